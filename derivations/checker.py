"""The checker: judges each step of a chain against the step before it.

* ``=`` steps: proved when the difference of normal forms simplifies to 0 (method *symbolic*). Otherwise
  a randomised test decides: the symbolic N is set to several concrete sizes, the sums expanded, and all
  symbols replaced by random exact rationals. Exact rational arithmetic where the expression is rational,
  50-digit arithmetic where logs or roots remain. A disagreement is a counterexample (verdict *invalid*);
  agreement everywhere gives verdict *valid* with method *numeric*, never "proved".
* ``iff`` steps: both equation systems are solved for the chain's unknowns (sums over the data treated as
  free symbols); proved when the solution sets are equal and non-empty.
* ``neg-def`` steps: Sylvester's criterion, every leading principal minor of -H positive, decided by SymPy
  from the symbols' assumptions.

Every step runs under a time limit; past it the step is *not checked*, never valid.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterator, Mapping, Sequence

import sympy as sp

from .core import Chain, Derivation, Method, Relation, Step
from .matrices import random_matrix, random_spd
from .normal_form import OrthogonalMatrixSymbol, is_zero, normal_form, solve_with_sums_as_symbols
from .notation import N


class Status(str, Enum):
    VALID = "valid"
    INVALID = "invalid"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Verdict:
    """The checker's judgement of one step."""

    status: Status
    method: Method | None
    message: str
    seconds: float = 0.0
    counterexample: Mapping[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.VALID


class StepTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise StepTimeout after ``seconds`` (main thread only; elsewhere no limit is enforced)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise StepTimeout(f"time limit of {seconds:g} s exceeded")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: Sample sizes at which the randomised test instantiates the symbolic N.
NUMERIC_SIZES = (2, 3, 5)
#: Random points per sample size.
NUMERIC_POINTS = 3
STEP_TIME_LIMIT = 30.0


@dataclass(frozen=True)
class Context:
    """What the checker knows besides the two steps: named quantities, symmetric matrices, unknowns."""

    definitions: Mapping = field(default_factory=dict)
    symmetric: frozenset = frozenset()
    unknowns: tuple = ()

    def normal_form(self, expr):
        return normal_form(expr, self.definitions, self.symmetric)


def _random_value(symbol: sp.Symbol, rng: random.Random, n: int) -> sp.Rational:
    if symbol.is_integer:
        return sp.Integer(rng.randint(1, n))
    numerator = rng.randint(1, 97) if symbol.is_positive or symbol.is_nonnegative else rng.randint(-97, 97)
    return sp.Rational(numerator, rng.randint(1, 29))


def _random_orthogonal(size: int, rng: random.Random) -> sp.ImmutableMatrix:
    """A random exact rational orthogonal matrix: the Cayley transform (I - A)(I + A)^-1 of a random
    skew-symmetric A (I + A is invertible since A has imaginary eigenvalues)."""
    a = sp.zeros(size, size)
    for row in range(size):
        for col in range(row + 1, size):
            a[row, col] = sp.Rational(rng.randint(-9, 9), rng.randint(1, 5))
            a[col, row] = -a[row, col]
    identity = sp.eye(size)
    return sp.ImmutableMatrix((identity - a) * (identity + a).inv())


def _instantiate(exprs: Sequence, n: int, rng: random.Random, symmetric: frozenset) -> tuple[list, dict]:
    """Concrete versions of ``exprs``: N = n, random sizes 1..3 for symbolic matrix sizes, random matrices
    for matrix symbols (SPD for symmetric ones, orthogonal for ``OrthogonalMatrixSymbol``s), sums written out,
    then random rationals for the rest."""
    exprs = [sp.sympify(e) for e in exprs]
    matrices = set().union(*(e.atoms(sp.MatrixSymbol) for e in exprs))
    # symbolic sizes: of matrix symbols, and upper limits of sums such as p in sum_{r=1}^{p} (N is set apart)
    sum_limits = {limit[2] for e in exprs for total in e.atoms(sp.Sum) for limit in total.limits}
    sizes = sorted(({d for m in matrices for d in m.shape if not sp.sympify(d).is_Integer}
                    | {u for u in sum_limits if isinstance(u, sp.Symbol) and u.is_integer}) - {N}, key=str)
    chosen = {N: sp.Integer(n), **{d: sp.Integer(rng.randint(1, 3)) for d in sizes}}
    exprs = [e.xreplace(chosen) for e in exprs]
    spd_names = {m.name for m in symmetric}
    values: dict = {}
    for m in sorted(set().union(*(e.atoms(sp.MatrixSymbol) for e in exprs)), key=str):
        values[m] = (_random_orthogonal(int(m.shape[0]), rng) if isinstance(m, OrthogonalMatrixSymbol)
                     else random_spd(int(m.shape[0]), rng) if m.name in spd_names
                     else random_matrix(int(m.shape[0]), int(m.shape[1]), rng))
    exprs = [e.xreplace(values).doit() for e in exprs]
    exprs = [e.as_explicit() if isinstance(e, sp.MatrixExpr) else e for e in exprs]
    exprs = [e if isinstance(e, sp.MatrixBase) else sp.Matrix([e]) for e in exprs]
    indexed = sorted(set().union(*(e.atoms(sp.Indexed) for e in exprs)), key=str)
    labels = {a.base.label for a in indexed}  # x of x[1]: a name, not a value (x[1] gets its own)
    scalars = sorted(set().union(*(e.free_symbols for e in exprs)) - labels, key=str)
    values.update({s: _random_value(s, rng, n) for s in scalars})
    values.update({a: _random_value(a, rng, n) for a in indexed})
    exprs = [e.xreplace({k: v for k, v in values.items() if not isinstance(k, sp.MatrixSymbol)}) for e in exprs]
    example = {str(k): str(v) for k, v in {**chosen, **values}.items()}
    return exprs, example


def _values_differ(a: sp.Expr, b: sp.Expr) -> bool | None:
    """Exact comparison where possible, else 50 digits. A finite value differs from an infinite one;
    None where the comparison says nothing (a NaN, or both sides infinite)."""
    difference = a - b
    if difference.is_Rational:
        return difference != 0
    left, right = sp.N(a, 50), sp.N(b, 50)
    if not (left.is_number and right.is_number) or sp.nan in (left, right):
        return None
    if left.is_finite is not True or right.is_finite is not True:
        return None if (left.is_finite is not True and right.is_finite is not True) else True
    scale = max(1, abs(left), abs(right))
    return abs(left - right) > sp.Float("1e-35", 50) * scale


def numeric_test(lhs, rhs, seed: int = 0, symmetric: frozenset = frozenset()) -> tuple[bool | None, dict | None]:
    """Randomised exact-rational test of lhs == rhs (no named quantities left in either).

    Scalars, matrices and matrix expressions of symbolic size are all instantiated (see ``_instantiate``)
    and compared entry by entry. Returns (False, counterexample) if a point separates the sides; (True, None)
    if they agree at every point tried and at least one usable point was found for every N; and
    (None, reason) if some N gave no point where both sides are defined: then nothing is claimed.
    """
    rng = random.Random(seed)
    for n in NUMERIC_SIZES:
        tested = 0
        for _ in range(10 * NUMERIC_POINTS):
            if tested == NUMERIC_POINTS:
                break
            (left, right), example = _instantiate([lhs, rhs], n, rng, symmetric)
            if left.shape != right.shape:
                return False, {**example, "lhs shape": str(left.shape), "rhs shape": str(right.shape)}
            for a, b in zip(left, right):
                differ = _values_differ(a, b)
                if differ is None:
                    break
                if differ:
                    return False, {**example, "lhs": str(a), "rhs": str(b)}
            else:
                tested += 1
        if tested == 0:
            return None, {"reason": f"no random point with N = {n} where both sides are finite numbers"}
    return True, None


def _same_solution_sets(a: list[dict], b: list[dict]) -> bool:
    def same(s, t):
        return s.keys() == t.keys() and all(is_zero(sp.expand(s[k] - t[k])) for k in s)

    return all(any(same(s, t) for t in b) for s in a) and all(any(same(t, s) for s in a) for t in b)


def _as_system(expr) -> tuple[sp.Equality, ...]:
    return tuple(expr) if isinstance(expr, (tuple, list)) else (expr,)


def _witness_against(solutions: list[dict], system: Sequence[sp.Equality], context: Context) -> dict | None:
    """A solution of one system that fails an equation of ``system``: proof the solution sets differ."""
    for solution in solutions:
        for eq in system:
            residual = context.normal_form(context.normal_form(eq).xreplace(solution))
            if is_zero(residual):
                continue
            agree, example = numeric_test(residual, sp.S.Zero)
            if agree is False:
                return {"solution": str(solution), "fails": str(eq), **(example or {})}
    return None


def _check_iff(previous: Step, step: Step, context: Context) -> Verdict:
    before_system, after_system = _as_system(previous.expr), _as_system(step.expr)
    unknowns = context.unknowns
    before = solve_with_sums_as_symbols(before_system, unknowns, context.definitions)
    after = solve_with_sums_as_symbols(after_system, unknowns, context.definitions)
    witness = (_witness_against(before, after_system, context)
               or _witness_against(after, before_system, context))
    if witness:
        return Verdict(Status.INVALID, Method.SYMBOLIC,
                       "a solution of one side does not satisfy the other", counterexample=witness)
    if not before or not after:
        return Verdict(Status.NOT_CHECKED, None,
                       f"SymPy found no solution in {list(unknowns)} for "
                       f"{'the previous step' if not before else 'this step'}")
    if _same_solution_sets(before, after):
        return Verdict(Status.VALID, Method.SYMBOLIC, f"same solution set {after}")
    return Verdict(Status.NOT_CHECKED, None,
                   f"solution sets look different but no witness was found: before {before}, after {after}")


def _check_negative_definite(previous: Step) -> Verdict:
    matrix = previous.expr
    if not isinstance(matrix, sp.MatrixBase) or not matrix.is_square:
        return Verdict(Status.NOT_CHECKED, None, "negative definiteness needs a square matrix")
    if not is_zero(matrix - matrix.T):
        return Verdict(Status.INVALID, Method.SYMBOLIC, "the matrix is not symmetric")
    minors = [sp.factor((-matrix)[:k, :k].det()) for k in range(1, matrix.rows + 1)]
    for k, minor in enumerate(minors, start=1):
        if minor.is_positive is not True:
            status = Status.INVALID if minor.is_positive is False else Status.NOT_CHECKED
            return Verdict(status, Method.SYMBOLIC,
                           f"leading minor {k} of -H is {minor}: SymPy cannot show it is positive")
    return Verdict(Status.VALID, Method.SYMBOLIC,
                   "Sylvester: leading minors of -H are " + ", ".join(map(str, minors)) + ", all positive")


def _shape(expr) -> tuple | None:
    return tuple(expr.shape) if isinstance(expr, (sp.MatrixBase, sp.MatrixExpr)) else None


#: What SymPy raises on forms its simplification does not handle (e.g. ``cancel`` on a Trace of a MatAdd).
_SIMPLIFICATION_ERRORS = (ValueError, TypeError, NotImplementedError, AttributeError, IndexError)


def _as_scalar(expr):
    """A 1 x 1 matrix as the scalar it holds (its trace), so that u^T A u = tr(A u u^T) is comparable."""
    if _shape(expr) == (1, 1):
        return expr[0, 0] if isinstance(expr, sp.MatrixBase) else sp.Trace(expr)
    return expr


def _check_equal(previous: Step, step: Step, context: Context) -> Verdict:
    left, right = context.normal_form(previous.expr), context.normal_form(step.expr)
    if (_shape(left) is None) != (_shape(right) is None):  # a scalar against a matrix: fine if it is 1 x 1
        left, right = _as_scalar(left), _as_scalar(right)
    if _shape(left) != _shape(right):
        return Verdict(Status.INVALID, Method.SYMBOLIC,
                       f"the two sides have different shapes: {_shape(left)} and {_shape(right)}")
    reason = "marked for the numeric test" if step.method is Method.NUMERIC else "not proved symbolically"
    if step.method is Method.SYMBOLIC:
        try:
            if is_zero(left - right, context.symmetric):
                return Verdict(Status.VALID, Method.SYMBOLIC, "difference simplifies to 0")
        except _SIMPLIFICATION_ERRORS as exc:  # a SymPy failure on some form: then the numeric test decides
            reason = f"not proved symbolically (SymPy's simplification failed: {type(exc).__name__})"
    agree, example = numeric_test(left, right, symmetric=context.symmetric)
    if agree is None:
        return Verdict(Status.NOT_CHECKED, None, f"not proved symbolically, and the numeric test found "
                       f"nothing to compare: {example['reason']}")
    if agree:
        sizes = ", ".join(map(str, NUMERIC_SIZES))
        return Verdict(Status.VALID, Method.NUMERIC,
                       f"{reason}; equal at up to {NUMERIC_POINTS} random exact points for each N in {{{sizes}}}"
                       " (symbolic matrix sizes drawn from 1..3)")
    return Verdict(Status.INVALID, Method.NUMERIC, "the two sides differ at a random point",
                   counterexample=example)


def check_step(previous: Step, step: Step, context: Context = Context(),
               seconds: float | None = STEP_TIME_LIMIT) -> Verdict:
    """Judge ``step`` against ``previous`` according to ``step.relation``."""
    start = time.perf_counter()
    try:
        with time_limit(seconds):
            if step.relation is Relation.EQUAL:
                verdict = _check_equal(previous, step, context)
            elif step.relation is Relation.IFF:
                verdict = _check_iff(previous, step, context)
            elif step.relation is Relation.NEG_DEF:
                verdict = _check_negative_definite(previous)
            else:
                verdict = Verdict(Status.NOT_CHECKED, None, f"a {step.relation.value} step is not checked")
    except StepTimeout as exc:
        verdict = Verdict(Status.NOT_CHECKED, None, str(exc))
    except _SIMPLIFICATION_ERRORS as exc:
        verdict = Verdict(Status.NOT_CHECKED, None, f"{type(exc).__name__}: {exc}")
    return Verdict(verdict.status, verdict.method, verdict.message, time.perf_counter() - start,
                   verdict.counterexample)


@dataclass(frozen=True)
class StepResult:
    """A step, where it sits, and its verdict."""

    chain: Chain
    index: int
    step: Step
    verdict: Verdict

    @property
    def label(self) -> str:
        return f"{self.chain.slug} step {self.index} ({self.step.justification})"


@dataclass(frozen=True)
class Report:
    """The verdicts on every checked step of a derivation."""

    derivation: Derivation
    results: tuple[StepResult, ...] = field(default_factory=tuple)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.verdict.ok for r in self.results)

    def count(self, status: Status, method: Method | None = None) -> int:
        return sum(1 for r in self.results if r.verdict.status is status
                   and (method is None or r.verdict.method is method))

    @property
    def failures(self) -> list[StepResult]:
        return [r for r in self.results if not r.verdict.ok]


def context_of(derivation: Derivation, chain: Chain) -> Context:
    return Context(derivation.definitions, derivation.symmetric, chain.unknowns)


def check_chain_step(derivation: Derivation, chain: Chain, index: int, **kwargs) -> Verdict:
    """Verdict on step ``index`` (>= 1) of ``chain`` in ``derivation``."""
    return check_step(chain.steps[index - 1], chain.steps[index], context_of(derivation, chain), **kwargs)


def verify(derivation: Derivation, **kwargs) -> Report:
    """Check every step of every chain of ``derivation``."""
    start = time.perf_counter()
    results = tuple(StepResult(c, k, c.steps[k], check_chain_step(derivation, c, k, **kwargs))
                    for c in derivation.chains for k in range(1, len(c.steps)))
    return Report(derivation, results, time.perf_counter() - start)


__all__ = ["Status", "Method", "Verdict", "StepResult", "Report", "check_step", "check_chain_step",
           "verify", "numeric_test", "time_limit", "StepTimeout", "Context", "context_of"]
