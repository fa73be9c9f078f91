"""MathML for the sheet's HTML: SymPy's presentation MathML printer, completed for this project's objects.

SymPy 1.14's ``MathMLPresentationPrinter`` falls back to a lower-cased class name for objects it does not know
(``product(...)``, ``subs(...)``, ``kroneckerdelta(...)``) and prints symbol names such as ``muhat`` or the
function ``ell`` literally. This subclass adds the missing ``_print_<Class>`` methods, so the MathML reads like
``sympy.latex`` output. Text with inline ``$...$`` math (titles, assumptions, justifications are written in
LaTeX) goes through ``latex2mathml``: those strings are the derivations' own source text, never user input.
"""

from __future__ import annotations

import html
import re
from typing import Any
from xml.dom.minidom import parseString

import sympy as sp
from latex2mathml.converter import convert as _latex_to_mathml
from sympy.printing.conventions import split_super_sub
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pretty.pretty_symbology import greek_unicode

#: Symbol-name suffixes that SymPy's LaTeX printer turns into accents (``muhat`` -> \hat{\mu}).
_ACCENTS = {"hat": "^", "bar": "\u00af", "tilde": "~", "dot": "\u02d9", "ddot": "\u00a8", "check": "\u02c7"}
_NAMES = {**greek_unicode, "ell": "\u2113"}


class SheetMathMLPrinter(MathMLPresentationPrinter):
    """Presentation MathML matching ``sympy.latex`` for the objects the derivations use."""

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__({"mat_delim": "[", **(settings or {})})

    # -- helpers ---------------------------------------------------------------------------------------
    def _el(self, tag: str, *children, text: str | None = None, **attributes):
        element = self.dom.createElement(tag)
        for key, value in attributes.items():
            element.setAttribute(key.replace("_", "-"), value)
        if text is not None:
            element.appendChild(self.dom.createTextNode(text))
        for child in children:
            element.appendChild(child)
        return element

    def _name(self, name: str):
        """A name: Greek letters as Unicode, an accent suffix as ``mover``, digits as ``mn``, other
        multi-letter names (subscripts such as ``aa``) letter by letter, LaTeX names through latex2mathml."""
        if any(c in name for c in "\\{|"):
            return self._latex(name)
        if name in _NAMES:
            return self._el("mi", text=_NAMES[name])
        for suffix, accent in _ACCENTS.items():
            if name.endswith(suffix) and len(name) > len(suffix):
                return self._el("mover", self._name(name[:-len(suffix)]), self._el("mo", text=accent),
                                accent="true")
        if name.isdigit():
            return self._el("mn", text=name)
        if len(name) == 1:
            return self._el("mi" if name.isalpha() else "mo", text=name)
        return self._el("mrow", *[self._name(c) for c in name])

    def _latex(self, tex: str):
        """A DOM node for a symbol whose name is LaTeX source (e.g. ``\\hat{\\Sigma}``)."""
        math = parseString(latex_math_to_mathml(tex)).documentElement
        return self.dom.importNode(math.firstChild, True)

    def _bracketed(self, opening: str, closing: str, *args):
        row = self._el("mrow", self._el("mo", text=opening))
        for k, arg in enumerate(args):
            if k:
                row.appendChild(self._el("mo", text=","))
            row.appendChild(self._print(arg))
        row.appendChild(self._el("mo", text=closing))
        return row

    def _operator(self, name, *args, opening: str = "[", closing: str = "]"):
        head = name if not isinstance(name, str) else self._el("mi", text=name)
        return self._el("mrow", head, self._bracketed(opening, closing, *args))

    # -- symbols and functions -------------------------------------------------------------------------
    def _print_Symbol(self, sym, style: str = "plain"):
        name, supers, subs = split_super_sub(sym.name)
        base = self._name(name)

        def row(items):
            if len(items) == 1:
                return self._name(items[0])
            return self._el("mrow", *[self._name(item) for item in items])

        if supers and subs:
            return self._el("msubsup", base, row(subs), row(supers))
        if supers:
            return self._el("msup", base, row(supers))
        if subs:
            return self._el("msub", base, row(subs))
        return base

    def _print_MatrixSymbol(self, sym, **kwargs):
        return self._print_Symbol(sym)

    def _print_Function(self, e):
        if type(e).__name__ in _NAMES or len(type(e).__name__) == 1:  # undefined functions: ell, f
            return self._operator(self._name(type(e).__name__), *e.args, opening="(", closing=")")
        return super()._print_Function(e)

    def _print_exp(self, e):
        return self._el("msup", self._el("mi", text="e"), self._print(e.args[0]))

    def _print_Pow(self, e):
        # sigma^2 is a symbol whose name carries a superscript: (sigma^2)^2, not sigma^2^2
        if isinstance(e.base, sp.Symbol) and split_super_sub(e.base.name)[1] and not (
                e.exp.is_Rational and e.exp.q != 1) and not e.exp.is_negative:
            return self._el("msup", self._bracketed("(", ")", e.base), self._print(e.exp))
        return super()._print_Pow(e)

    # -- sums, products, substitution, deltas --------------------------------------------------------
    def _print_Product(self, e):
        (index, low, high), *rest = e.limits
        if rest:
            return self._print_Product(sp.Product(sp.Product(e.function, *rest), (index, low, high)))
        limits = self._el("munderover", self._el("mo", text="\u220f"),
                          self._el("mrow", self._print(index), self._el("mo", text="="), self._print(low)),
                          self._print(high))
        return self._el("mrow", limits, self.parenthesize(e.function, PRECEDENCE["Mul"]))

    def _print_Subs(self, e):
        expr, variables, points = e.args
        assignments = self._el("mrow")
        for k, (variable, point) in enumerate(zip(variables, points)):
            if k:
                assignments.appendChild(self._el("mo", text=","))
            assignments.appendChild(self._el("mrow", self._print(variable), self._el("mo", text="="),
                                             self._print(point)))
        return self._el("mrow", self._print(expr),
                        self._el("msub", self._el("mo", text="|", stretchy="true"), assignments))

    def _print_KroneckerDelta(self, e):
        return self._el("msub", self._el("mi", text="\u03b4"),
                        self._el("mrow", self._print(e.args[0]), self._print(e.args[1])))

    # -- expectations, traces, block matrices ----------------------------------------------------------
    def _print_Expectation(self, e):
        return self._operator(self._el("mi", text="\U0001d53c"), *e.args)

    _print_MatrixExpectation = lambda self, e: self._operator(self._el("mi", text="\U0001d53c"), e.args[0])

    def _print_Variance(self, e):
        return self._operator("Var", *e.args)

    def _print_Covariance(self, e):
        return self._operator("Cov", *e.args)

    def _print_MatrixCovariance(self, e):
        u, v, _ = e.args
        return self._operator("Cov", u) if u == v else self._operator("Cov", u, v)

    def _print_Trace(self, e):
        return self._operator("tr", e.arg, opening="(", closing=")")

    def _print_Determinant(self, e):
        arg = e.arg
        inner = (self._print_MatrixBase(arg, delimiters=False) if isinstance(arg, sp.MatrixBase)
                 else self._print(arg))
        return self._el("mrow", self._el("mo", text="|"), inner, self._el("mo", text="|"))

    def _print_MatrixBase(self, m, delimiters: bool = True):
        if not delimiters:
            saved = self._settings["mat_delim"]
            self._settings["mat_delim"] = ""
            try:
                return super()._print_MatrixBase(m)
            finally:
                self._settings["mat_delim"] = saved
        return super()._print_MatrixBase(m)

    def _print_MatMul(self, e):
        # as for MatAdd: SymPy's version (and its precedence test) multiplies explicit matrices out
        args = list(e.args)
        row = self._el("mrow")
        if args[0].is_number and args[0].is_negative:
            row.appendChild(self._el("mo", text="\u2212"))
            args[0] = -args[0]
            if args[0] == 1 and len(args) > 1:
                args = args[1:]
        for k, factor in enumerate(args):
            if k:
                row.appendChild(self._el("mo", text="\u2062"))  # invisible times
            row.appendChild(self._bracketed("(", ")", factor) if isinstance(factor, (sp.MatAdd, sp.Add))
                            else self._print(factor))
        return row

    def _print_MatAdd(self, e):
        # SymPy's _print_Add asks each term could_extract_minus_sign(), which multiplies explicit matrices
        # out (seconds per term); read the sign off the scalar coefficient instead, as the LaTeX printer does
        row = self._el("mrow")
        for k, term in enumerate(e.args):
            negative = isinstance(term, sp.MatMul) and term.args[0].is_number and term.args[0].is_negative
            if negative:
                coefficient, *rest = term.args
                term = rest[0] if coefficient == -1 and len(rest) == 1 else sp.MatMul(-coefficient, *rest)
            if k or negative:
                row.appendChild(self._el("mo", text="\u2212" if negative else "+"))
            row.appendChild(self.parenthesize(term, PRECEDENCE["Add"]) if isinstance(term, sp.MatAdd)
                            else self._print(term))
        return row

    def _print_BlockMatrix(self, e):
        return self._print_MatrixBase(e.blocks)

    def _print_MatrixElement(self, e):
        return self._el("msub", self.parenthesize(e.parent, PRECEDENCE["Atom"], strict=True),
                        self._el("mrow", self._print(e.i), self._el("mo", text=","), self._print(e.j)))


def expr_mathml(expr: Any) -> str:
    """Presentation MathML (the content of a ``<math>`` element) of an expression or a system of equations."""
    if isinstance(expr, (tuple, list)):
        return '<mo>,</mo><mspace width="1em"/>'.join(expr_mathml(e) for e in expr)
    return SheetMathMLPrinter().doprint(expr)


_INLINE_MATH = re.compile(r"\$([^$]+)\$")


def latex_math_to_mathml(tex: str, display: bool = False) -> str:
    """A ``<math>`` element from LaTeX math source written in the derivations (not user input)."""
    mathml = _latex_to_mathml(tex, display="block" if display else "inline")
    return mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "")


def text_to_html(text: str) -> str:
    """LaTeX text with inline ``$...$`` math as HTML: text escaped, math as MathML."""
    parts = []
    position = 0
    for match in _INLINE_MATH.finditer(text):
        parts.append(html.escape(_plain_text(text[position:match.start()])))
        parts.append(latex_math_to_mathml(match.group(1)))
        position = match.end()
    parts.append(html.escape(_plain_text(text[position:])))
    return "".join(parts)


def _plain_text(text: str) -> str:
    """The few text-mode LaTeX commands used outside math in titles and justifications."""
    return text.replace("~", "\u00a0").replace("---", "\u2014").replace("--", "\u2013")


__all__ = ["SheetMathMLPrinter", "expr_mathml", "latex_math_to_mathml", "text_to_html"]
