"""Property tests of the adversarial suite: random polynomial identities (exact rational coefficients),
perturbed by a term that vanishes on the small sizes or small integers a randomised test is likely to try,
must never be judged valid; the unperturbed identities must never be judged invalid.

Families of perturbations:
* c (N - k_1)...(N - k_r) q for the sample size N, the roots chosen from 2..40 (the whole range the checker
  samples N from, or the classic N = 2, 3, 5);
* c (n - 1)...(n - K) for an integer symbol n;
* c e_{m+1}(A) I for a square matrix A of symbolic size, where e_{m+1} is written with traces (Newton's
  identities), so it vanishes for every matrix of size <= m (m = 3, 6);
* the same N-perturbations written in LaTeX, through ``judge_pair``.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from derivations import Status, Step, check_step
from derivations.checker import numeric_test
from derivations.notation import N, mu, sigma2
from derivations.notes.judge import judge_pair

a, b = sp.symbols("a b", real=True)
n_int = sp.Symbol("n", integer=True, positive=True)
p = sp.Symbol("p", integer=True, positive=True)
A = sp.MatrixSymbol("A", p, p)
SCALARS = (a, b, mu, sigma2, N)
LATEX = {a: "a", b: "b", mu: r"\mu", sigma2: r"\sigma^2", N: "N"}

#: Root sets of the N-perturbation: the classic sizes, 2..6, and all of 2..40 / 1..40.
ROOT_SETS = ((2, 3, 5), tuple(range(2, 7)), tuple(range(2, 41)), tuple(range(1, 41)))

#: No example database (nothing written to the working tree), a fixed seed, and no shrinking: a failing
#: example is reported as drawn (each one costs a SymPy run), which keeps the file well under a minute.
SETTINGS = dict(deadline=None, database=None, derandomize=True,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

coefficients = st.fractions(min_value=-12, max_value=12, max_denominator=9).filter(lambda f: f != 0)
monomials = st.tuples(coefficients, st.lists(st.integers(0, 2), min_size=len(SCALARS), max_size=len(SCALARS)))
polynomials = st.lists(monomials, min_size=1, max_size=4)


def _expr(poly) -> sp.Expr:
    return sp.Add(*[sp.Rational(c.numerator, c.denominator) * sp.Mul(*[s ** e for s, e in zip(SCALARS, exps)])
                    for c, exps in poly])


def _nonzero(poly) -> bool:
    return sp.expand(_expr(poly)) != 0


def _latex_rational(c: Fraction) -> str:
    sign = "-" if c < 0 else "+"
    c = abs(c)
    body = str(c.numerator) if c.denominator == 1 else rf"\frac{{{c.numerator}}}{{{c.denominator}}}"
    return sign, body


def _latex(expr: sp.Expr) -> str:
    """A polynomial written the way people write one: terms with rational coefficients, ``\\sigma^2`` as a
    unit (never a power of sigma)."""
    expr = sp.expand(expr)
    if expr == 0:
        return "0"
    poly = sp.Poly(expr, *SCALARS)
    out = []
    for exps, coeff in poly.terms():
        sign, body = _latex_rational(Fraction(int(coeff.p), int(coeff.q)))
        factors = []
        for s, e in zip(SCALARS, exps):
            if e == 0:
                continue
            name = LATEX[s]
            if e == 1:
                factors.append(name)
            else:
                factors.append(f"({name})^{{{e}}}" if s is sigma2 else f"{name}^{{{e}}}")
        if body == "1" and factors:
            body = ""
        term = body + " ".join(factors)
        out.append(f"{sign} {term}")
    text = " ".join(out)
    return text[2:] if text.startswith("+ ") else "-" + text[2:] if text.startswith("- ") else text


def _root_product(roots, symbol=N) -> sp.Expr:
    return sp.Mul(*[symbol - k for k in roots])


def _latex_roots(roots) -> str:
    if roots == tuple(range(roots[0], roots[-1] + 1)) and len(roots) > 5:
        return rf"\prod_{{k={roots[0]}}}^{{{roots[-1]}}}(N - k)"
    return "".join(f"(N - {k})" for k in roots)


def _newton_elementary(k: int) -> sp.Expr:
    """k! e_k(A) in the traces tr(A^j): zero for every matrix of size < k."""
    q = sp.symbols(f"q1:{k + 1}")
    m = sp.zeros(k, k)
    for r in range(k):
        for c in range(k):
            if c == r + 1:
                m[r, c] = r + 1
            elif c <= r:
                m[r, c] = q[r - c]
    traces = {q[j]: (sp.Trace(A) if j == 0 else sp.Trace(A ** (j + 1))) for j in range(k)}
    return sp.expand(m.det()).xreplace(traces)


# ---------------------------------------------------------------------------- the sample size N

@settings(max_examples=40, **SETTINGS)
@given(polynomials.filter(_nonzero), polynomials.filter(_nonzero), polynomials.filter(_nonzero),
       st.sampled_from(ROOT_SETS), coefficients)
def test_numeric_test_rejects_identities_perturbed_by_a_polynomial_in_N(left, right, q, roots, c):
    product = sp.Mul(_expr(left), _expr(right), evaluate=False)
    perturbation = sp.Rational(c.numerator, c.denominator) * _root_product(roots) * _expr(q)
    agree, _ = numeric_test(product, sp.expand(product) + perturbation)
    assert agree is not True, f"numeric_test accepted P = expand(P) + {perturbation}"


@settings(max_examples=40, **SETTINGS)
@given(polynomials.filter(_nonzero), polynomials.filter(_nonzero))
def test_numeric_test_accepts_the_unperturbed_identities(left, right):
    product = sp.Mul(_expr(left), _expr(right), evaluate=False)
    agree, example = numeric_test(product, sp.expand(product))
    assert agree is not False, f"numeric_test rejected {product} = its expansion: {example}"


@settings(max_examples=12, **SETTINGS)
@given(polynomials.filter(_nonzero), polynomials.filter(_nonzero), st.sampled_from(ROOT_SETS), coefficients)
def test_check_step_rejects_identities_perturbed_by_a_polynomial_in_N(left, q, roots, c):
    perturbation = sp.Rational(c.numerator, c.denominator) * _root_product(roots) * _expr(q)
    factored = sp.factor(_expr(left))
    verdict = check_step(Step(factored, "P"), Step(sp.expand(_expr(left)) + perturbation, "P + 0?"))
    assert verdict.status is not Status.VALID, f"check_step accepted {factored} = expand + {perturbation}: {verdict.message}"


@settings(max_examples=12, **SETTINGS)
@given(polynomials.filter(_nonzero), polynomials.filter(_nonzero))
def test_check_step_accepts_the_unperturbed_identities(left, right):
    product = sp.Mul(_expr(left), _expr(right), evaluate=False)
    verdict = check_step(Step(product, "P"), Step(sp.expand(product), "expanded"))
    assert verdict.status is not Status.INVALID, f"check_step rejected {product}: {verdict.counterexample}"


# ---------------------------------------------------------------------------- an integer symbol

@settings(max_examples=15, **SETTINGS)
@given(polynomials.filter(_nonzero), st.integers(3, 8), coefficients)
def test_integer_symbol_perturbation_is_rejected(left, k, c):
    perturbation = sp.Rational(c.numerator, c.denominator) * _root_product(range(1, k + 1), n_int)
    expr = _expr(left)
    verdict = check_step(Step(sp.factor(expr), "P"), Step(sp.expand(expr) + perturbation, "P + 0?"))
    assert verdict.status is not Status.VALID, f"accepted a perturbation {perturbation} for the integer n"


# ---------------------------------------------------------------------------- the matrix size

@settings(max_examples=10, **SETTINGS)
@given(coefficients, coefficients, coefficients, st.sampled_from((4, 7)))
def test_matrix_identity_perturbed_by_a_size_limited_polynomial_is_rejected(c1, c2, c, order):
    identity = sp.Identity(p)
    r1, r2, r = (sp.Rational(v.numerator, v.denominator) for v in (c1, c2, c))
    factored = (A + r1 * identity) * (A + r2 * identity)
    expanded = A ** 2 + (r1 + r2) * A + r1 * r2 * identity
    verdict = check_step(Step(factored, "product"), Step(expanded + r * _newton_elementary(order) * identity, "claimed"))
    assert verdict.status is not Status.VALID, (f"accepted (A + {r1} I)(A + {r2} I) = expansion + {r} "
                                                f"{order}! e_{order}(A) I, which is nonzero for {order} x {order} A")


@settings(max_examples=10, **SETTINGS)
@given(coefficients, coefficients)
def test_matrix_identity_unperturbed_is_not_rejected(c1, c2):
    identity = sp.Identity(p)
    r1, r2 = (sp.Rational(v.numerator, v.denominator) for v in (c1, c2))
    factored = (A + r1 * identity) * (A + r2 * identity)
    expanded = A ** 2 + (r1 + r2) * A + r1 * r2 * identity
    verdict = check_step(Step(factored, "product"), Step(expanded, "expanded"))
    assert verdict.status is not Status.INVALID, f"rejected (A + {r1} I)(A + {r2} I) = its expansion"


# ---------------------------------------------------------------------------- the same through gaussproof check

def _latex_product(left, right) -> str:
    return rf"\left({_latex(_expr(left))}\right)\left({_latex(_expr(right))}\right)"


@settings(max_examples=15, **SETTINGS)
@given(polynomials.filter(_nonzero), polynomials.filter(_nonzero), st.sampled_from(ROOT_SETS), coefficients)
def test_judge_pair_rejects_latex_identities_perturbed_by_a_polynomial_in_N(left, right, roots, c):
    sign, body = _latex_rational(c)
    lhs = _latex_product(left, right)
    rhs = f"{_latex(_expr(left) * _expr(right))} {sign} {body}{_latex_roots(roots)}"
    verdict = judge_pair(lhs, rhs)
    assert verdict[0] != "valid", f"judge_pair accepted {lhs} = {rhs}: {verdict[2]}"


@settings(max_examples=15, **SETTINGS)
@given(polynomials.filter(_nonzero), polynomials.filter(_nonzero))
def test_judge_pair_accepts_the_unperturbed_latex_identities(left, right):
    lhs = _latex_product(left, right)
    rhs = _latex(_expr(left) * _expr(right))
    verdict = judge_pair(lhs, rhs)
    assert verdict[0] != "invalid", f"judge_pair rejected {lhs} = {rhs}: {verdict[3]}"
