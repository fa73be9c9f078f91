"""The checker: judges each step of a chain against the step before it.

* ``=`` steps: proved when the difference of normal forms simplifies to 0 (method *symbolic*). Otherwise
  a randomised test decides (:func:`numeric_test`): at each of several random points, seeded from the step
  itself, the sample size N, every integer symbol and every symbolic matrix size gets a random value from a
  wide range, sums are written out, matrices become random exact matrices, unknown functions random
  functions, and every other symbol a random exact rational of either sign over twelve decades. Rational
  values are compared exactly; with logs, roots or exps left, the difference is evaluated to guaranteed digits.
  A disagreement is a counterexample (verdict *invalid*); agreement everywhere gives verdict *valid* with
  method *numeric*, never "proved", with the test's strength in the message (Schwartz-Zippel for polynomial
  identities). With an unknown function agreement is no proof: *not checked*.
* ``iff`` steps: both equation systems are solved for the chain's unknowns (sums over the data treated as
  free symbols); proved when the solution sets are equal and non-empty and no leading coefficient that
  ``solve`` divided by can vanish (a mu = a iff mu = 1 fails at a = 0: invalid, with that witness).
* ``neg-def`` steps: Sylvester's criterion, every leading principal minor of -H positive, decided by SymPy
  from the symbols' assumptions.

Every step runs under a time limit; past it the step is *not checked*, never valid.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Mapping, Sequence

import sympy as sp
from sympy.core.evalf import PrecisionExhausted
from sympy.core.function import AppliedUndef
from sympy.matrices.exceptions import NonSquareMatrixError

from .core import Chain, Derivation, Method, Relation, Step
from .limits import Pool, StepTimeout, Task, shared, time_limit
from .matrices import random_matrix, random_spd
from .normal_form import (DiagonalMatrixSymbol, LowerTriangularMatrixSymbol, OrthogonalMatrixSymbol, is_zero,
                          normal_form, solve_with_sums_as_symbols)
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


# The time limits live in .limits: StepTimeout (a BaseException) and time_limit (CPU time, ITIMER_PROF).
#: CPU seconds per step (soft, in the process; a worker stops a step at twice this: see .limits).
STEP_TIME_LIMIT = 30.0


@dataclass(frozen=True)
class Context:
    """What the checker knows besides the two steps: named quantities, symmetric matrices, unknowns."""

    definitions: Mapping = field(default_factory=dict)
    symmetric: frozenset = frozenset()
    unknowns: tuple = ()

    def normal_form(self, expr):
        return normal_form(expr, self.definitions, self.symmetric)


#: Random points of the randomised test. Each point draws its own sample size, integer values, matrix sizes
#: and values (:func:`_instantiate`); all of them must agree for a "checked numerically". A step that writes
#: thresholds (numbers >= 10 or <= 1/10 in size) gets up to _THRESHOLD_POINTS more, near each of them.
NUMERIC_POINTS = 8
_THRESHOLD_POINTS = 8
#: Sample sizes N are drawn from 2..NUMERIC_MAX_N at most points (fewer for nested sums over the data, whose
#: expansion has N^depth terms: :func:`_largest_sample`); at one point of a step with sums nested at most once
#: from NUMERIC_MAX_N..NUMERIC_WIDE_N, and at half the points of a step without sums over the data (N only a
#: number in it) from 2..NUMERIC_HUGE_N.
NUMERIC_MAX_N = 40
NUMERIC_WIDE_N = 400
NUMERIC_HUGE_N = 10 ** 6
#: Symbolic matrix sizes (and sum limits of dimension symbols) are drawn from 1..NUMERIC_MAX_SIZE; at one
#: point every size is NUMERIC_LARGE_SIZE - 1 or NUMERIC_LARGE_SIZE.
NUMERIC_MAX_SIZE = 6
NUMERIC_LARGE_SIZE = 8
#: Other integer symbols are drawn from 1..NUMERIC_SMALL_INTEGER (at most N) at even points, all the same at
#: point 0 and all different at point 2 (so that indices i, j meet and part), and from
#: 1..NUMERIC_MAX_INTEGER at odd points (of either sign unless assumed positive).
NUMERIC_SMALL_INTEGER = 3
NUMERIC_MAX_INTEGER = 1000
#: A real value is sign * (u / v) * 10^e with u, v random 6-digit integers (not a short decimal), e a decade
#: of the point's class: at least this many values per decade.
_MANTISSAS = 900_000
#: A difference of two values with logs, roots or exps is evaluated by SymPy's evalf, strict, to the digits
#: :func:`_digits_to_resolve` asks for (at least _EVALF_DIGITS), with _EVALF_MAX_DIGITS more to spare for
#: cancellation: one it still cannot tell from 0 counts as equal at that point.
_EVALF_DIGITS = 30
_EVALF_MAX_DIGITS = 400
#: Beyond this many digits (a difference between parts of wildly different sizes) a point is not usable.
_EVALF_LIMIT_DIGITS = 20_000

#: The kind of value each point draws: (sign, decade range). "+": every symbol positive; "-": negative where
#: the symbol may be negative; "±": a random sign per symbol. Decades 10^lo..10^hi.
_POINT_CLASSES = (("+", 0, 0), ("+", 3, 5), ("-", 2, 4), ("±", -4, -2),
                  ("±", -12, 12), ("±", -6, 6), ("±", -12, 12), ("±", -6, 6))


def _thresholds(exprs: Sequence) -> list[sp.Rational]:
    """Sizes near which a step may change behaviour: the numbers written in it of size >= 10 or <= 1/10, and
    e^c, e^-c for such a c up to 1000 (|log sigma^2 + 20| turns at sigma^2 = e^-20); at most four."""
    found: set = set()
    for e in exprs:
        for number in sp.sympify(e).atoms(sp.Rational):
            size = abs(number)
            if size != 0 and (size >= 10 or size <= sp.Rational(1, 10)):
                found.add(size)
                if size <= 1000:
                    found.update(sp.Rational(sp.exp(sign * size).evalf(20)) for sign in (-1, 1))
    return sorted(found)[:2] + sorted(found)[2:][-2:] if len(found) > 4 else sorted(found)


def seed_of(*exprs) -> int:
    """A seed drawn from the expressions themselves, so that the same step always gets the same points
    (``str`` is SymPy's canonical printing: it does not depend on the process or the hash seed)."""
    text = "\x00".join(sp.sstr(e, order="lex") if isinstance(e, sp.Basic) else repr(e) for e in exprs)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _random_value(symbol: sp.Symbol, rng: random.Random, point: int, sample_size: int,
                  threshold: tuple | None = None) -> sp.Rational:
    """A random exact value for ``symbol`` at this point: an integer from 1..min(NUMERIC_SMALL_INTEGER, N) at
    even points, 1..NUMERIC_MAX_INTEGER at odd points (0 and negatives too unless assumed positive /
    nonnegative); another value sign * (u / v) * 10^e, u and v random 6-digit integers, e a random decade of
    the point's class (:data:`_POINT_CLASSES`), positive where assumed. At a threshold point ``(c, side,
    signed)``, a value just above (side 1) or below (side -1) the size c instead, of a random sign if
    ``signed`` (where the symbol may be negative)."""
    sign_kind, low, high = _POINT_CLASSES[point % len(_POINT_CLASSES)]
    may_be_negative = not (symbol.is_positive or symbol.is_nonnegative)
    sign = {"+": 1, "-": -1 if may_be_negative else 1,
            "±": rng.choice((-1, 1)) if may_be_negative else 1}[sign_kind]
    if symbol.is_integer:
        low_integer = 0 if symbol.is_nonnegative and not symbol.is_positive else 1
        high_integer = min(NUMERIC_SMALL_INTEGER, sample_size) if point % 2 == 0 else NUMERIC_MAX_INTEGER
        return sp.Integer(sign * rng.randint(low_integer, max(low_integer, high_integer)))
    ratio = sp.Rational(rng.randint(100_000, 999_999), rng.randint(100_000, 999_999))
    if threshold is not None:
        size, side, signed = threshold
        nudge = sp.Rational(rng.randint(1, 999_999), 10 ** 6) * sp.Rational(10) ** -rng.randint(0, 3)
        return (rng.choice((-1, 1)) if signed and may_be_negative else 1) * size * (1 + side * nudge)
    return sign * ratio * sp.Rational(10) ** rng.randint(low, high)


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


def _random_structured(m: sp.MatrixSymbol, rng: random.Random, spd_names: set) -> sp.ImmutableMatrix:
    """A random exact value for the matrix symbol ``m`` that has its structure: orthogonal, diagonal with
    positive entries, lower triangular with a positive diagonal, symmetric positive definite (a name in
    ``spd_names``), else any rational matrix."""
    rows, cols = int(m.shape[0]), int(m.shape[1])
    if isinstance(m, OrthogonalMatrixSymbol):
        return _random_orthogonal(rows, rng)
    if isinstance(m, DiagonalMatrixSymbol):
        return sp.ImmutableMatrix(sp.diag(*[sp.Rational(rng.randint(1, 19), rng.randint(1, 7)) for _ in range(rows)]))
    if isinstance(m, LowerTriangularMatrixSymbol):
        return sp.ImmutableMatrix(rows, cols, lambda r, c: sp.Rational(rng.randint(1, 19), rng.randint(1, 7)) if r == c
                                  else sp.Rational(rng.randint(-19, 19), rng.randint(1, 7)) if r > c else 0)
    if m.name in spd_names:
        return random_spd(rows, rng)
    return random_matrix(rows, cols, rng)


def _data_depth(exprs: Sequence) -> int:
    """The deepest nesting of sums and products over the data (whose limits involve N)."""
    def depth(e) -> int:
        if not isinstance(e, sp.Basic) or not e.args:
            return 0
        inner = max((depth(a) for a in e.args), default=0)
        if isinstance(e, (sp.Sum, sp.Product)) and any(sp.sympify(lim).has(N) for lim in e.limits):
            return inner + len(e.limits)
        return inner

    return max((depth(e) for e in exprs), default=0)


def _sample_range(exprs: Sequence, point: int) -> tuple[int, int]:
    """Where N is drawn from at this point (see NUMERIC_MAX_N)."""
    depth = _data_depth(exprs)
    if point == 0:
        return 2, 6
    if depth == 0 and point % 2 == 1:
        return 2, NUMERIC_HUGE_N
    if depth == 1 and point == 3:
        return NUMERIC_MAX_N, NUMERIC_WIDE_N
    return 2, _largest_sample(exprs)


def _largest_sample(exprs: Sequence) -> int:
    """2..NUMERIC_MAX_N for sums over the data nested at most twice; fewer deeper (N^depth terms)."""
    depth = _data_depth(exprs)
    return NUMERIC_MAX_N if depth <= 2 else max(6, int(round(20000 ** (1 / depth))))


def _size_symbols(exprs: Sequence) -> list[sp.Symbol]:
    """Integer symbols that fix how big something is: in a matrix's shape, or a limit of a sum or product
    (other than N): they are set before sums are written out and matrices drawn."""
    matrices = set().union(*(e.atoms(sp.MatrixSymbol) for e in exprs))
    shapes = {d for m in matrices for d in m.shape}
    limits = {b for e in exprs for big in e.atoms(sp.Sum, sp.Product) for limit in big.limits for b in limit[1:]}
    found = set().union(*(sp.sympify(v).free_symbols for v in shapes | limits)) if shapes | limits else set()
    return sorted((s for s in found if s.is_integer and s != N), key=str)


class _IllFormed(Exception):
    """A side whose matrix shapes do not fit at the sizes drawn (a dropped transpose, a wrong block)."""

    def __init__(self, message: str, sizes: dict):
        super().__init__(message)
        self.sizes = sizes


def _each_side(function, exprs: Sequence, chosen: dict) -> list:
    """``function`` applied to each side; a side whose shapes do not fit at the sizes drawn is reported as
    :class:`_IllFormed`."""
    out = []
    for side, e in zip(("left side", "right side"), exprs):
        try:
            out.append(function(e))
        except (sp.ShapeError, NonSquareMatrixError) as exc:
            sizes = ", ".join(f"{k} = {v}" for k, v in chosen.items() if k != N) or "the sizes drawn"
            raise _IllFormed(f"the {side} is not defined at {sizes}: the shapes do not fit ({exc.args[0]})",
                             {str(k): str(v) for k, v in chosen.items()}) from None
    return out


def _instantiate(exprs: Sequence, point: int, rng: random.Random, symmetric: frozenset,
                 threshold: tuple | None = None) -> tuple[list, dict]:
    """Concrete versions of ``exprs`` at one random point: N from 2..the largest sample, sizes of matrices and
    limits of sums from 1..NUMERIC_MAX_SIZE (at point 1 from NUMERIC_MAX_SIZE - 2 up), random matrices for
    matrix symbols (SPD for symmetric ones, orthogonal for ``OrthogonalMatrixSymbol``s), sums written out,
    then random exact values for the rest (:func:`_random_value`)."""
    exprs = [sp.sympify(e) for e in exprs]
    chosen = {N: sp.Integer(rng.randint(*_sample_range(exprs, point)))}
    sizes = (NUMERIC_LARGE_SIZE - 1, NUMERIC_LARGE_SIZE) if point == 1 else (1, NUMERIC_MAX_SIZE)
    chosen.update({d: sp.Integer(rng.randint(*sizes)) for d in _size_symbols(exprs)})
    exprs = _each_side(lambda e: e.xreplace(chosen), exprs, chosen)
    spd_names = {m.name for m in symmetric}
    values: dict = {}
    for m in sorted(set().union(*(e.atoms(sp.MatrixSymbol) for e in exprs)), key=str):
        values[m] = _random_structured(m, rng, spd_names)
    exprs = _each_side(lambda e: e.xreplace(values).doit(), exprs, chosen)
    exprs = [e.as_explicit() if isinstance(e, sp.MatrixExpr) else e for e in exprs]
    exprs = [e if isinstance(e, sp.MatrixBase) else sp.Matrix([e]) for e in exprs]
    indexed = sorted(set().union(*(e.atoms(sp.Indexed) for e in exprs)), key=str)
    labels = {a.base.label for a in indexed}  # x of x[1]: a name, not a value (x[1] gets its own)
    scalars = sorted(set().union(*(e.free_symbols for e in exprs)) - labels, key=str)
    n = int(chosen[N])
    values.update({s: _random_value(s, rng, point, n, threshold) for s in scalars})
    integers = [s for s in scalars if s.is_integer]
    if point == 0:  # every integer symbol (index) the same: i = j = k
        same = sp.Integer(rng.randint(1, min(NUMERIC_SMALL_INTEGER, n)))
        values.update({s: same for s in integers})
    elif point == 2:  # all different: i != j != k
        values.update({s: sp.Integer(n) for n, s in enumerate(integers, start=1)})
    values.update({a: _random_value(a, rng, point, n, threshold) for a in indexed})
    exprs = [e.xreplace({k: v for k, v in values.items() if not isinstance(k, sp.MatrixSymbol)}) for e in exprs]
    example = {str(k): str(v) for k, v in {**chosen, **values}.items()}
    return exprs, example


def _digits_to_resolve(number: sp.Expr) -> int:
    """Significant digits to which ``number`` (a difference at a random point) is evaluated: enough that a
    part of a sum is never lost against a larger one (log(1 + e^-3000) needs 1300 more digits than
    log(2)), and twice the digits of the longest exact number in it (pi written to 450 digits)."""
    spread, literal_digits = 0.0, 0
    for part in sp.preorder_traversal(number):
        if part.is_Rational:
            literal_digits = max(literal_digits, len(str(abs(part.p))) + len(str(part.q)))
        elif isinstance(part, sp.Add):
            magnitudes = []
            for term in part.args:
                try:
                    approximate = term.evalf(15)
                except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                    continue
                if approximate.is_Float and approximate != 0:
                    magnitudes.append(float(sp.log(abs(approximate), 10)))
            if len(magnitudes) > 1:
                spread = max(spread, max(magnitudes) - min(magnitudes))
    return int(_EVALF_DIGITS + spread + 2 * literal_digits)


def _values_differ(a: sp.Expr, b: sp.Expr) -> bool | None:
    """Exact comparison where the difference is a rational number; otherwise the difference is evaluated by
    SymPy's ``evalf`` in strict mode (correct digits guaranteed, precision raised as needed up to
    _EVALF_MAX_DIGITS digits): it differs when that gives a non-zero number, and counts as equal when evalf
    cannot tell it from 0. A finite value differs from an infinite one; None where the comparison says
    nothing (a NaN, both sides infinite, or a side that is not a number)."""
    difference = a - b
    if difference.is_Rational:
        return difference != 0
    if a.has(sp.nan, sp.zoo) or b.has(sp.nan, sp.zoo):
        return None
    finite = [side.is_finite for side in (a, b)]
    if finite[0] is False or finite[1] is False:
        return None if finite[0] is finite[1] else True
    if difference.free_symbols or difference.has(sp.Sum, sp.Product, sp.Integral, sp.Derivative, AppliedUndef):
        return None
    try:
        try:  # strict digits that are not all zero separate the sides; zeros may be lost parts of a sum
            value = difference.evalf(_EVALF_DIGITS, strict=True, maxn=_EVALF_MAX_DIGITS)
        except PrecisionExhausted:
            value = sp.S.Zero
        if value.is_number and value != 0 and not value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return True
        digits = _digits_to_resolve(difference)
        if digits > _EVALF_LIMIT_DIGITS:
            return None
        value = difference.evalf(digits, strict=True, maxn=digits + _EVALF_MAX_DIGITS)
    except PrecisionExhausted:
        return False  # SymPy cannot tell the difference from 0, even at that many digits
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None
    if not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return value != 0


def _random_function(rng: random.Random) -> sp.Lambda:
    """A random function of one or more arguments for an unknown function f: a polynomial of degree 3 in
    the sum of the arguments with random weights, plus a random exponential (neither linear, nor even, nor odd,
    nor periodic)."""
    t = sp.Dummy("t")
    coefficients = [sp.Rational(rng.randint(1, 99), rng.randint(1, 9)) * rng.choice((-1, 1)) for _ in range(5)]
    body = sum(c * t ** k for k, c in enumerate(coefficients[:4])) + coefficients[4] * sp.exp(t / 7)
    return t, body


def _instantiate_functions(exprs: Sequence, rng: random.Random) -> tuple[list, dict]:
    """Unknown functions (SymPy's undefined functions f(..)) replaced by random ones (:func:`_random_function`),
    derivatives of them carried out."""
    functions = sorted({type(f) for e in exprs for f in sp.sympify(e).atoms(AppliedUndef)}, key=str)
    if not functions:
        return list(exprs), {}
    chosen = {}
    for function in functions:
        t, body = _random_function(rng)
        weights = [sp.Integer(rng.randint(1, 5)) for _ in range(8)]
        chosen[function] = (t, body, weights)

    def replace(call):
        t, body, weights = chosen[type(call)]
        return body.xreplace({t: sum(w * a for w, a in zip(weights, call.args))})

    out = [sp.sympify(e).replace(lambda e: isinstance(e, AppliedUndef), replace).doit() for e in exprs]
    return out, {str(f): str(chosen[f][1]).replace(str(chosen[f][0]), "t") for f in functions}


def numeric_test(lhs, rhs, seed: int | None = None,
                 symmetric: frozenset = frozenset()) -> tuple[bool | None, dict | None]:
    """Randomised exact test of lhs == rhs (no named quantities left in either).

    At each of NUMERIC_POINTS random points (seeded from the two expressions unless ``seed`` is given, so a
    rerun draws the same points) every symbolic size, every symbol and every matrix gets a random value (see
    :func:`_instantiate`), unknown functions a random function, and the sides are compared entry by entry,
    exactly or to guaranteed digits (:func:`_values_differ`). Returns (False, counterexample) if a point
    separates the sides; (True, None) if they agree at every point; (None, reason) if fewer than
    NUMERIC_POINTS points where both sides are defined numbers were found, or an unknown function makes
    agreement no proof: then nothing is claimed.
    """
    rng = random.Random(seed_of(lhs, rhs) if seed is None else seed)
    (lhs, rhs), functions = _instantiate_functions([lhs, rhs], rng)
    plan = [None] * NUMERIC_POINTS + [(size, side, signed) for size in _thresholds([lhs, rhs])
                                      for signed in (False, True) for side in (1, -1)][:_THRESHOLD_POINTS]
    tested = 0
    for attempt in range(3 * len(plan)):
        if tested == len(plan):
            break
        try:
            (left, right), example = _instantiate([lhs, rhs], tested, rng, symmetric, plan[tested])
        except _IllFormed as exc:
            return False, {**exc.sizes, "reason": str(exc)}
        example.update(functions)
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
    if tested < len(plan):
        return None, {"reason": f"only {tested} of {len(plan)} random points gave both sides a value"}
    if functions:
        return None, {"reason": f"the sides agree for {NUMERIC_POINTS} random choices of the unknown "
                                f"function{'s' if len(functions) > 1 else ''} {', '.join(functions)}, but that is "
                                "no proof for every function"}
    return True, None


#: What "checked numerically" claims, in the verdict's message.
NUMERIC_CLAIM = (f"equal at {NUMERIC_POINTS} or more random exact points (N from 2..{NUMERIC_MAX_N} and beyond, "
                 f"matrix sizes 1..{NUMERIC_MAX_SIZE} and once {NUMERIC_LARGE_SIZE - 1} or {NUMERIC_LARGE_SIZE}, "
                 "values of both signs over 10^-12..10^12 and near the numbers written in the step); a false "
                 f"polynomial identity of degree d survives with probability at most (d/{_MANTISSAS})^{NUMERIC_POINTS} "
                 "in its real symbols (Schwartz-Zippel)")


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


_AT_LEAST_TWO = sp.Symbol("N_minus_2", integer=True, nonnegative=True)


def _may_vanish(coefficient) -> bool:
    """True unless SymPy can tell ``coefficient`` is non-zero for every value of its symbols allowed by their
    assumptions, with the sample size N >= 2 (the convention throughout: a sample of one has no variance)."""
    if not coefficient.free_symbols:
        return coefficient == 0
    return sp.factor(coefficient.xreplace({N: _AT_LEAST_TWO + 2})).is_zero is not False


def _vanishing_coefficients(system: Sequence[sp.Equality], unknowns: Sequence, context: Context) -> list:
    """Leading coefficients, in an unknown, of the equations' numerators that may vanish: SymPy's ``solve``
    divides by them (a mu = a gives mu = 1, which is wrong when a = 0). Sums over the data stand in as
    symbols; an equation that is not polynomial in an unknown is not looked at (its solution set is
    SymPy's)."""
    found = []
    for eq in system:
        expr = context.normal_form(eq)
        held = {s: sp.Dummy("sum") for s in expr.atoms(sp.Sum)}
        numerator = sp.numer(sp.together(expr.xreplace(held)))
        for factor in sp.Mul.make_args(sp.factor_terms(numerator)):  # a e^mu = a: the factor a
            factor = factor.xreplace({v: k for k, v in held.items()})
            if not factor.free_symbols & set(unknowns) and factor.free_symbols and _may_vanish(factor):
                found.append(factor)
        for unknown in unknowns:
            try:
                polynomial = sp.Poly(numerator, unknown)
            except sp.PolynomialError:
                continue
            if polynomial.degree() < 1:
                continue
            leading = sp.factor(polynomial.LC().xreplace({v: k for k, v in held.items()}))
            if leading.free_symbols & set(unknowns):
                continue
            if _may_vanish(leading):
                found.append(leading)
    return found


def _degenerate_witness(coefficient, before_system, after_system, context: Context) -> dict | None:
    """Parameter values where ``coefficient`` vanishes and one system holds for an unknown's value that the
    other rejects: a witness that the solution sets differ there."""
    for parameter in sorted(coefficient.free_symbols - {N}, key=str):
        try:
            roots = sp.solve(coefficient, parameter)
        except (NotImplementedError, ValueError):
            continue
        for root in roots:
            for first, second in ((before_system, after_system), (after_system, before_system)):
                residuals = [context.normal_form(eq).xreplace({parameter: root}) for eq in first]
                if not all(is_zero(r) for r in residuals):
                    continue
                for eq in second:
                    agree, example = numeric_test(context.normal_form(eq).xreplace({parameter: root}), sp.S.Zero)
                    if agree is False:
                        return {str(parameter): str(root), "holds": str(first[0]), "fails": str(eq),
                                **(example or {})}
    return None


def _real_solutions(solutions: list[dict], unknowns: Sequence) -> list[dict]:
    """The solutions that can be real for real unknowns: one whose value has an imaginary part that is not
    zero (mu = a (-1 + i sqrt 3)/2 of mu^3 = a^3) is dropped."""
    def can_be_real(value) -> bool:
        imaginary = sp.simplify(sp.im(value))
        return imaginary == 0 or imaginary.is_zero is not False and not imaginary.free_symbols
    real = [u for u in unknowns if u.is_real]
    return [s for s in solutions if all(can_be_real(v) for k, v in s.items() if k in real)]


def _check_iff(previous: Step, step: Step, context: Context) -> Verdict:
    before_system, after_system = _as_system(previous.expr), _as_system(step.expr)
    unknowns = context.unknowns
    before = _real_solutions(solve_with_sums_as_symbols(before_system, unknowns, context.definitions), unknowns)
    after = _real_solutions(solve_with_sums_as_symbols(after_system, unknowns, context.definitions), unknowns)
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
        vanishing = (_vanishing_coefficients(before_system, unknowns, context)
                     + _vanishing_coefficients(after_system, unknowns, context))
        for coefficient in vanishing:
            witness = _degenerate_witness(coefficient, before_system, after_system, context)
            if witness:
                return Verdict(Status.INVALID, Method.SYMBOLIC, f"the solution sets differ where {coefficient} = 0",
                               counterexample=witness)
        if vanishing:
            return Verdict(Status.NOT_CHECKED, None, f"the same solution set {after} only where "
                           f"{', '.join(map(str, vanishing))} != 0, which the assumptions do not guarantee")
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
        return Verdict(Status.VALID, Method.NUMERIC, f"{reason}; {NUMERIC_CLAIM}")
    reason = example.pop("reason", None) if example else None
    return Verdict(Status.INVALID, Method.NUMERIC, reason or "the two sides differ at a random point",
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
    except MemoryError:
        verdict = Verdict(Status.NOT_CHECKED, None, "out of memory (MemoryError)")
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


def _check_shared_step(key: int, chain: int, index: int, seconds: float | None) -> Verdict:
    """In a worker: step ``index`` of chain number ``chain`` of the derivation shared under ``key``."""
    derivation = shared(key)
    return check_chain_step(derivation, derivation.chains[chain], index, seconds=seconds)


def verify(derivation: Derivation, pool: Pool | None = None, seconds: float | None = STEP_TIME_LIMIT) -> Report:
    """Check every step of every chain of ``derivation``, each under a soft limit of ``seconds`` CPU.

    With a ``pool`` (:class:`~derivations.limits.Pool`) the steps run in its worker processes, in parallel,
    each stopped for good at twice ``seconds`` of CPU (a step whose worker was stopped is *not checked*). The
    derivation is not pickled (an expression built with ``evaluate=False`` would come back evaluated): the
    workers inherit it by fork (:meth:`Pool.share`). Without a pool the steps run here, in order, under the
    soft limit only. ``Report.seconds`` is wall-clock time."""
    start = time.perf_counter()
    (report,) = verify_all([derivation], pool, seconds)
    return replace(report, seconds=time.perf_counter() - start)


def verify_all(derivations: Sequence[Derivation], pool: Pool | None = None,
               seconds: float | None = STEP_TIME_LIMIT) -> list[Report]:
    """:func:`verify` for several derivations; with a ``pool`` all their steps are shared out among its workers
    at once (no worker idles at the end of a short derivation). ``Report.seconds`` is then the sum of the
    steps' wall-clock times (the derivations' steps run interleaved)."""
    places = [(n, d, c, k) for n, d in enumerate(derivations) for c in d.chains for k in range(1, len(c.steps))]
    if pool is None:
        verdicts = [check_chain_step(d, c, k, seconds=seconds) for _, d, c, k in places]
    else:
        keys = {id(d): pool.share(d) for d in derivations}
        numbers = {id(c): n for d in derivations for n, c in enumerate(d.chains)}
        hard = 2 * seconds if seconds else None
        outcomes = pool.map([Task(_check_shared_step, (keys[id(d)], numbers[id(c)], k, seconds), seconds=hard)
                             for _, d, c, k in places])
        verdicts = [o.value if o.ok else Verdict(Status.NOT_CHECKED, None, o.reason(), o.wall)
                    for o in outcomes]
    reports = []
    for number, derivation in enumerate(derivations):
        results = tuple(StepResult(c, k, c.steps[k], v) for (n, _, c, k), v in zip(places, verdicts) if n == number)
        reports.append(Report(derivation, results, sum(r.verdict.seconds for r in results)))
    return reports


__all__ = ["Status", "Method", "Verdict", "StepResult", "Report", "check_step", "check_chain_step",
           "verify", "verify_all", "numeric_test", "time_limit", "StepTimeout", "Context", "context_of"]
