"""Judge one step of a person's notes with the derivations' own checker (:func:`derivations.checker.check_step`).

Both sides are parsed (:mod:`.parse`), wrapped as :class:`~derivations.core.Step` objects and checked in a
:class:`~derivations.checker.Context` that knows the named estimates (mu-hat, sigma-hat^2, S^2, the
log-likelihood ell: their definitions come from the ``mle-univariate`` and ``unbiased-variance``
derivations), the conditional moments mu_{b|a}, Sigma_{b|a} (from ``conditional``) and which matrices are
symmetric. Each step has a time limit for the symbolic proof; past it the randomised exact test alone
decides (under the same limit again), and past that the step is *not checked: time limit*.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from .. import partitioned as pt
from ..checker import Context, Status, check_step
from ..core import Method, Relation, Step
from .extract import Chain, ExtractedStep
from .parse import MATRIX_DEFINITIONS, MATRIX_SYMMETRIC, Unparsed, looks_like_matrix, parse

__all__ = ["StepResult", "judge", "judge_pair", "STEP_TIME_LIMIT", "VERDICTS"]

#: Seconds for the symbolic attempt, and again for the numeric fallback.
STEP_TIME_LIMIT = 5.0
VERDICTS = ("valid", "invalid", "not_checked")

_NOT_EQUALITIES = {
    "implies": "an implication (\\Rightarrow), not an equality",
    "implied by": "an implication (\\Leftarrow), not an equality",
    "iff": "an equivalence of statements (\\iff), not an equality",
    "therefore": "a conclusion (\\therefore), not an equality",
    "propto": "proportional (\\propto), not an equality",
    "approx": "an approximation (\\approx), not an equality",
    "sim": "a distribution statement (\\sim), not an equality",
    ":=": "a definition, not a claim",
    "=:": "a definition, not a claim",
    "equiv": "an identity by definition (\\equiv), not checked",
    "<=": "an inequality, not checked", ">=": "an inequality, not checked",
    "<": "an inequality, not checked", ">": "an inequality, not checked",
    "!=": "a non-equality (\\neq), not checked", "to": "a limit or a map (\\to), not an equality",
    "in": "a set membership (\\in), not an equality",
}


@dataclass(frozen=True)
class StepResult:
    """The verdict on one step, with where it sits (the JSON schema of ``gaussproof check``)."""

    file: str
    line: int
    block: int
    lhs: str
    rhs: str
    relation: str
    verdict: str  # valid | invalid | not_checked
    method: str | None  # symbolic | numeric | None
    message: str
    counterexample: dict | None = None
    seconds: float = 0.0

    @property
    def step(self) -> str:
        symbol = {"=": "=", "implies": r"\Rightarrow", "propto": r"\propto", "approx": r"\approx",
                  "iff": r"\iff"}.get(self.relation, self.relation)
        return f"{self.lhs} {symbol} {self.rhs}"

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "block": self.block, "step": self.step, "lhs": self.lhs,
                "rhs": self.rhs, "verdict": self.verdict, "method": self.method,
                "counterexample": self.counterexample, "message": self.message}


@lru_cache(maxsize=1)
def _scalar_context() -> Context:
    from ..registry import get

    definitions = dict(get("mle-univariate").definitions)
    definitions.update(get("unbiased-variance").definitions)
    return Context(definitions=definitions)


@lru_cache(maxsize=1)
def _matrix_context() -> Context:
    from ..registry import get

    definitions = dict(MATRIX_DEFINITIONS)
    definitions.update(get("conditional").definitions)  # Sigma_bb = K + Sigma_ba Sigma_aa^-1 Sigma_ab
    return Context(definitions=definitions, symmetric=MATRIX_SYMMETRIC | {pt.K})


def _model_hint(chain_text: str) -> str:
    """x ~ N(mu, Sigma) when the chain speaks of an unsubscripted Sigma and no Lambda; otherwise the
    linear-Gaussian model (x ~ N(mu, Lambda^-1), y = A x + b + epsilon)."""
    if re.search(r"\\Sigma(?!\s*_)", chain_text) and "\\Lambda" not in chain_text:
        return "affine"
    return "linear-gaussian"


_IDENTITY_SIZES = (None, pt.m, pt.n, sp.Symbol("q", integer=True, positive=True))


def _parse_pair(lhs: str, rhs: str, matrix: bool, hint: str):
    """Both sides parsed; in matrix mode the identity's size is chosen so that the shapes fit."""
    uses_identity = matrix and re.search(r"(?<![a-zA-Z\\])I(?![a-zA-Z])", lhs + rhs)
    sizes = _IDENTITY_SIZES if uses_identity else (None,)
    first_error = None
    for size in sizes:
        try:
            left = parse(lhs, matrix=matrix, identity_size=size, model_hint=hint)
            right = parse(rhs, matrix=matrix, identity_size=size, model_hint=hint)
        except Unparsed as exc:
            first_error = first_error or exc
            continue
        left, right = _match_zero(left, right), _match_zero(right, left)
        if _shape(left) == _shape(right) or size is sizes[-1] or not uses_identity:
            return left, right
    raise first_error


def _shape(value):
    return tuple(value.shape) if isinstance(value, (sp.MatrixBase, sp.MatrixExpr)) else None


def _match_zero(value, other):
    """A scalar 0 compared with a matrix is the zero matrix of its shape."""
    if _shape(value) is None and _shape(other) is not None and value == 0:
        return sp.ZeroMatrix(*other.shape)
    return value


def judge_pair(lhs: str, rhs: str, relation: str = "=", chain_text: str | None = None,
               seconds: float = STEP_TIME_LIMIT) -> tuple[str, str | None, str, dict | None]:
    """(verdict, method, message, counterexample) for the step ``lhs relation rhs``. ``chain_text`` (all
    of the chain's LaTeX) decides scalar or matrix mode; by default the step's own text."""
    if relation != "=":
        return "not_checked", None, _NOT_EQUALITIES.get(relation, f"relation {relation!r} is not checked"), None
    chain_text = chain_text if chain_text is not None else f"{lhs} = {rhs}"
    matrix = looks_like_matrix(chain_text)
    try:
        left, right = _parse_pair(lhs, rhs, matrix, _model_hint(chain_text))
    except Unparsed as exc:
        return "not_checked", None, f"unparsed: {exc.reason}: {exc.fragment}", None
    except RecursionError:
        return "not_checked", None, "unparsed: nested too deeply", None
    context = _matrix_context() if matrix else _scalar_context()
    start = Step(left, "left-hand side", Relation.START)
    try:
        verdict = check_step(start, Step(right, "notes"), context, seconds=seconds)
        if verdict.status is Status.NOT_CHECKED and "time limit" in verdict.message:
            symbolic_message = verdict.message
            verdict = check_step(start, Step(right, "notes", method=Method.NUMERIC), context, seconds=seconds)
            if verdict.status is Status.NOT_CHECKED and "time limit" in verdict.message:
                return ("not_checked", None, f"time limit: the symbolic proof ({symbolic_message}) and then the "
                        f"numeric test ran out of time", None)
    except RecursionError:
        return "not_checked", None, "the checker hit the recursion limit", None
    except Exception as exc:  # anything SymPy raises on odd input is a step we could not check, not a crash
        return "not_checked", None, f"the checker failed: {type(exc).__name__}: {exc}", None
    status = {Status.VALID: "valid", Status.INVALID: "invalid", Status.NOT_CHECKED: "not_checked"}[verdict.status]
    method = verdict.method.value if verdict.method is not None and status != "not_checked" else None
    message = verdict.message
    if status == "valid" and method == "symbolic":
        message = "proved symbolically: " + message
    elif status == "valid":
        message = "checked numerically (not a proof): " + message
    counterexample = dict(verdict.counterexample) if verdict.counterexample else None
    return status, method, message, counterexample


def _chain_text(chain: Chain) -> str:
    return " = ".join(e.tex for e in chain.elements)


def judge(step: ExtractedStep, seconds: float = STEP_TIME_LIMIT) -> StepResult:
    """The verdict on an extracted step."""
    begin = time.perf_counter()
    verdict, method, message, counterexample = judge_pair(step.lhs, step.rhs, step.relation,
                                                          _chain_text(step.chain), seconds)
    return StepResult(step.file, step.line, step.block, step.lhs, step.rhs, step.relation, verdict, method,
                      message, counterexample, time.perf_counter() - begin)
