"""Printers: the same Derivation object rendered as LaTeX, plain text and JSON.

Expressions are printed with SymPy's own printers (``sympy.latex`` and a ``StrPrinter`` that shows symbol
names as Unicode); this module only lays out chains, relations and justifications.
"""

from __future__ import annotations

import json
from typing import Any

import sympy as sp
from sympy.printing.pretty.pretty_symbology import pretty_symbol
from sympy.printing.str import StrPrinter

from .checker import Report
from .core import Chain, Derivation, Relation, Step

_LATEX_RELATION = {Relation.EQUAL: "=", Relation.IFF: r"\iff", Relation.NEG_DEF: r"\prec 0"}
_TEXT_RELATION = {Relation.EQUAL: "=", Relation.IFF: "<=>", Relation.NEG_DEF: "is negative definite"}


class _TextPrinter(StrPrinter):
    """SymPy's str printer with symbol names such as ``sigma^2`` or ``muhat`` shown as σ², μ̂."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return pretty_symbol(expr.name)

    def _print_MatrixBase(self, expr: sp.MatrixBase) -> str:
        rows = ("; ".join(", ".join(self._print(e) for e in expr.row(r)) for r in range(expr.rows)))
        return f"[{rows}]"

    _print_ImmutableDenseMatrix = _print_MutableDenseMatrix = _print_MatrixBase

    def _print_Equality(self, expr: sp.Equality) -> str:
        return f"{self._print(expr.lhs)} = {self._print(expr.rhs)}"


def expr_latex(expr: Any) -> str:
    """LaTeX of a step's expression: an expression, a matrix, an equation or a system of equations."""
    if isinstance(expr, (tuple, list)):
        return r",\quad ".join(expr_latex(e) for e in expr)
    return sp.latex(expr)


def expr_text(expr: Any) -> str:
    """Plain text of a step's expression."""
    if isinstance(expr, (tuple, list)):
        return ",  ".join(expr_text(e) for e in expr)
    return _TextPrinter().doprint(expr)


def _latex_row(step: Step) -> str:
    if step.relation is Relation.START:
        return f"{expr_latex(step.expr)} "
    body = "" if step.expr is None else " " + expr_latex(step.expr)
    return f"&{_LATEX_RELATION[step.relation]}{body} && \\text{{{step.justification}}}"


def chain_latex(chain: Chain) -> str:
    """One chain as an amsmath ``aligned`` block, its title as the first row."""
    rows = [f"&\\text{{{chain.title}}}"]
    first, second, *rest = chain.steps
    rows.append(_latex_row(first) + _latex_row(second))
    rows.extend(_latex_row(step) for step in rest)
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def to_latex(derivation: Derivation) -> str:
    """The derivation as LaTeX: one displayed ``aligned`` chain per result, assumptions as a comment."""
    header = [f"% {derivation.name}: {derivation.title}",
              "% assumptions: " + "; ".join(derivation.assumptions)]
    blocks = [f"\\[\n{chain_latex(c)}\n\\]" for c in derivation.chains]
    return "\n".join(header) + "\n" + "\n".join(blocks)


def to_text(derivation: Derivation) -> str:
    """The derivation as plain text, one line per step with its justification."""
    lines = [f"{derivation.name}: {derivation.title}", "assumptions: " + "; ".join(derivation.assumptions)]
    for name, value in derivation.definitions.items():
        lines.append(f"where {expr_text(name)} := {expr_text(value)}")
    for c in derivation.chains:
        lines += ["", f"[{c.slug}] {c.title}", f"    {expr_text(c.first)}    ({c.steps[0].justification})"]
        for step in c.steps[1:]:
            body = "" if step.expr is None else " " + expr_text(step.expr)
            lines.append(f"  {_TEXT_RELATION[step.relation]}{body}    ({step.justification})")
    return "\n".join(lines)


def to_dict(derivation: Derivation, report: Report | None = None) -> dict[str, Any]:
    """A JSON-ready dictionary of the derivation (and, if given, the verdict on every step)."""
    verdicts = {(r.chain.slug, r.index): r.verdict for r in report.results} if report else {}

    def step_dict(c: Chain, index: int, step: Step) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "index": index,
            "relation": step.relation.value,
            "latex": None if step.expr is None else expr_latex(step.expr),
            "text": None if step.expr is None else expr_text(step.expr),
            "justification": step.justification,
        }
        verdict = verdicts.get((c.slug, index))
        if verdict is not None:
            entry["verdict"] = {"status": verdict.status.value,
                                "method": verdict.method.value if verdict.method else None,
                                "message": verdict.message, "seconds": round(verdict.seconds, 4),
                                "counterexample": dict(verdict.counterexample) if verdict.counterexample else None}
        return entry

    return {
        "name": derivation.name,
        "title": derivation.title,
        "assumptions": list(derivation.assumptions),
        "definitions": {expr_text(k): {"latex": expr_latex(v), "text": expr_text(v)}
                        for k, v in derivation.definitions.items()},
        "chains": [{"slug": c.slug, "title": c.title,
                    "unknowns": [expr_text(u) for u in c.unknowns],
                    "steps": [step_dict(c, k, s) for k, s in enumerate(c.steps)]}
                   for c in derivation.chains],
    }


def to_json(derivation: Derivation, report: Report | None = None) -> str:
    return json.dumps(to_dict(derivation, report), indent=2, ensure_ascii=False)
