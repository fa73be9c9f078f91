"""The multivariate-density derivations, cross-checked against SciPy and attacked with targeted mutations.

* SciPy (``multivariate_normal``, ``norm``, ``mahalanobis``) is an independent numeric oracle for the
  derived densities and distances at random points and random SPD covariances (hypothesis).
* Targeted mutations (the slips people make in this material) substituted into the relevant step must
  get the verdict *invalid*: (2 pi)^(1/p) for (2 pi)^(-p/2), |Sigma|^(+1/2), a wrong sign in the exponent,
  a dropped 1/2, and rho for 2 rho in the bivariate quadratic form.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st
from scipy.spatial.distance import mahalanobis as scipy_mahalanobis
from scipy.stats import multivariate_normal, norm

from derivations import Status, Step, registry
from derivations.checker import _random_orthogonal, check_chain_step, check_step
from derivations.core import Relation
from derivations.density import (MU, SIGMA, X, Sigma_2d, free_entries, gaussian_density, lambda1, lambda2,
                                 mu1, mu2, rho, sigma1, sigma2, theta, x1, x2, y1, y2)
from derivations.normal_form import OrthogonalMatrixSymbol, normal_form
from derivations.notation import p

SETTINGS = settings(max_examples=25, deadline=None)
finite = st.floats(-4, 4, allow_nan=False, allow_infinity=False)
scale = st.floats(0.2, 4, allow_nan=False, allow_infinity=False)
correlation = st.floats(-0.95, 0.95, allow_nan=False, allow_infinity=False)


def _result(name: str, slug: str):
    return registry.get(name).chain(slug).last


def _value(expr, values: dict) -> float:
    """A derived expression (named quantities replaced) at a numeric point."""
    return float(normal_form(expr, registry.get("bivariate").definitions).xreplace(
        {k: sp.Float(v) for k, v in values.items()}).evalf())


# ---- SciPy as oracle ---------------------------------------------------------------------------------------
@SETTINGS
@given(finite, finite, finite, finite, scale, scale, correlation)
def test_bivariate_density_matches_scipy(a, b, m, n, s, t, r):
    cov = [[s * s, r * s * t], [r * s * t, t * t]]
    point = {x1: a, x2: b, mu1: m, mu2: n, sigma1: s, sigma2: t, rho: r}
    expected = multivariate_normal(mean=[m, n], cov=cov).pdf([a, b])
    for step in registry.get("bivariate").chain("density").steps:
        assert _value(step.expr, point) == pytest.approx(expected, rel=1e-9)


@SETTINGS
@given(finite, finite, finite, finite, scale, scale)
def test_independent_2d_is_the_product_of_scipy_marginals(a, b, m, n, s, t):
    point = {x1: a, x2: b, mu1: m, mu2: n, sigma1: s, sigma2: t}
    expected = norm(m, s).pdf(a) * norm(n, t).pdf(b)
    assert expected == pytest.approx(multivariate_normal([m, n], np.diag([s * s, t * t])).pdf([a, b]))
    derivation = registry.get("independent-2d")
    for step in derivation.chain("density").steps:
        value = float(normal_form(step.expr, derivation.definitions).xreplace(
            {k: sp.Float(v) for k, v in point.items()}).evalf())
        assert value == pytest.approx(expected, rel=1e-9)


@SETTINGS
@given(st.integers(1, 4), st.lists(finite, min_size=8, max_size=8), st.lists(scale, min_size=4, max_size=4))
def test_diagonal_product_matches_scipy(size, coordinates, scales):
    xs, ms, ss = coordinates[:size], coordinates[4:4 + size], scales[:size]
    point = {**dict(zip(X, xs)), **dict(zip(MU, ms)), **dict(zip(SIGMA, ss))}
    expected = multivariate_normal(ms, np.diag(np.square(ss))).pdf(xs)
    assert expected == pytest.approx(np.prod(norm(ms, ss).pdf(xs)))
    for step in registry.get("diagonal-product").chain(f"p{size}").steps:
        value = float(normal_form(step.expr).xreplace({k: sp.Float(v) for k, v in point.items()}).evalf())
        assert value == pytest.approx(expected, rel=1e-9)


@st.composite
def spd_matrices(draw, size: int):
    """A random SPD matrix B B^T + I/2 and a mean and a point, as nested lists of floats."""
    entries = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=size * size, max_size=size * size))
    b = np.array(entries).reshape(size, size)
    return b @ b.T + 0.5 * np.eye(size)


@SETTINGS
@given(st.integers(1, 3).flatmap(lambda size: st.tuples(spd_matrices(size),
                                                        st.lists(finite, min_size=2 * size, max_size=2 * size))))
def test_matrix_formula_matches_scipy_for_random_spd(data):
    """The density formula the derivations start from, N(x | mu, Sigma), at random SPD covariances."""
    cov, coordinates = data
    size = cov.shape[0]
    point, mean = coordinates[:size], coordinates[size:]
    rational = lambda v: sp.Rational(v)  # exact input, so the formula itself is what is tested
    density = gaussian_density(sp.ImmutableMatrix([rational(v) for v in point]),
                               sp.ImmutableMatrix([rational(v) for v in mean]),
                               sp.ImmutableMatrix(size, size, [rational(v) for v in cov.ravel()]))
    assert float(density.doit().evalf()) == pytest.approx(multivariate_normal(mean, cov).pdf(point), rel=1e-9)


@SETTINGS
@given(finite, finite, finite, finite, st.floats(-3.1, 3.1), scale, scale)
def test_mahalanobis_2d_matches_scipy(a, b, m, n, angle, l1, l2):
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    cov = rotation @ np.diag([l1, l2]) @ rotation.T
    expected = scipy_mahalanobis([a, b], [m, n], np.linalg.inv(cov)) ** 2
    point = {x1: a, x2: b, mu1: m, mu2: n, theta: angle, lambda1: l1, lambda2: l2}
    value = float(_result("mahalanobis", "distance-2d").xreplace({k: sp.Float(v) for k, v in point.items()}))
    assert value == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_whitened_integrand_is_a_pair_of_scipy_standard_normals():
    rng = np.random.default_rng(1)
    for a, b in rng.normal(size=(10, 2)):
        value = float(_result("density-normalisation", "p2-integrand").xreplace({y1: a, y2: b}))
        assert value == pytest.approx(norm.pdf(a) * norm.pdf(b), rel=1e-12)


def test_bivariate_density_integrates_to_one_numerically():
    """An independent check of the normalisation: SciPy's quadrature of the derived bivariate density."""
    from scipy.integrate import dblquad

    f = sp.lambdify((x1, x2), _result("bivariate", "density").xreplace(
        {mu1: 0.3, mu2: -0.2, sigma1: 1.3, sigma2: 0.7, rho: -0.6}), "numpy")
    total, _ = dblquad(lambda b, a: f(a, b), -12, 12, -12, 12)
    assert total == pytest.approx(1, abs=1e-7)


def test_parameter_count_matches_numpy_triangle():
    closed = _result("parameter-count", "closed-form")
    for size in range(1, 11):
        assert closed.subs(p, size) == len(np.triu_indices(size)[0])
    assert [free_entries(size) for size in range(1, 7)] == [1, 3, 6, 10, 15, 21]


def test_random_orthogonal_values_are_orthogonal():
    for size in (1, 2, 3, 4):
        q = _random_orthogonal(size, random.Random(size))
        assert q.T * q == sp.eye(size) and any(v != 0 for v in q - sp.eye(size)) or size == 1


def test_orthogonality_is_what_proves_the_inverse():
    """The same step with a plain (not orthogonal) matrix symbol is rejected: U^-1 = U^T is not assumed."""
    plain = sp.MatrixSymbol("U", p, p)
    lam = sp.MatrixSymbol("Lambda", p, p)
    verdict = check_step(Step((plain * lam * plain.T).I, "", Relation.START), Step(plain * lam.I * plain.T, ""))
    assert verdict.status is Status.INVALID
    orthogonal = OrthogonalMatrixSymbol("U", p, p)
    verdict = check_step(Step((orthogonal * lam * orthogonal.T).I, "", Relation.START),
                         Step(orthogonal * lam.I * orthogonal.T, ""))
    assert verdict.status is Status.VALID


# ---- targeted mutations ------------------------------------------------------------------------------------
def _judge_replaced(name: str, slug: str, index: int, expr) -> Status:
    derivation = registry.get(name)
    step = derivation.chain(slug).steps[index]
    corrupted = derivation.with_step(slug, index, Step(expr, step.justification, step.relation))
    return check_chain_step(corrupted, corrupted.chain(slug), max(index, 1)).status


def _diagonal_step(size: int, normaliser, det_power=sp.Rational(-1, 2), exponent_factor=sp.Rational(-1, 2)):
    xs, ms, ss = X[:size], MU[:size], SIGMA[:size]
    return (normaliser * sp.Mul(*[s ** 2 for s in ss]) ** det_power
            * sp.exp(exponent_factor * sp.Add(*[(a - m) ** 2 / s ** 2 for a, m, s in zip(xs, ms, ss)])))


def test_unmutated_targets_are_valid():
    """The replacements below are built the same way as the true steps: unmutated, they are proved."""
    for size in (2, 3, 4):
        assert _judge_replaced("diagonal-product", f"p{size}", 1,
                               _diagonal_step(size, (2 * sp.pi) ** (-sp.Integer(size) / 2))) is Status.VALID
    assert _judge_replaced("bivariate", "quadratic-form", 2, _bivariate_quadratic(2 * rho)) is Status.VALID


@pytest.mark.parametrize("size", [2, 3, 4])
def test_normaliser_2pi_to_the_1_over_p_is_rejected(size):
    wrong = _diagonal_step(size, (2 * sp.pi) ** (sp.Integer(1) / size))
    assert _judge_replaced("diagonal-product", f"p{size}", 1, wrong) is Status.INVALID


@pytest.mark.parametrize("size", [2, 3])
def test_determinant_to_the_plus_half_is_rejected(size):
    wrong = _diagonal_step(size, (2 * sp.pi) ** (-sp.Integer(size) / 2), det_power=sp.Rational(1, 2))
    assert _judge_replaced("diagonal-product", f"p{size}", 1, wrong) is Status.INVALID


def test_bivariate_determinant_to_the_plus_half_is_rejected():
    step = registry.get("bivariate").chain("density").steps[1].expr
    wrong = step.xreplace({sp.Determinant(Sigma_2d) ** sp.Rational(-1, 2): sp.Determinant(Sigma_2d) ** sp.Rational(1, 2)})
    assert wrong != step
    assert _judge_replaced("bivariate", "density", 1, wrong) is Status.INVALID


def _independent_exponent(sign, half):
    return sp.exp(sign * half * ((x1 - mu1) ** 2 / sigma1 ** 2 + (x2 - mu2) ** 2 / sigma2 ** 2)) \
        / (2 * sp.pi * sigma1 * sigma2)


def test_independent_quadratic_step_unmutated_is_valid():
    assert _judge_replaced("independent-2d", "density", 3, _independent_exponent(-1, sp.Rational(1, 2))) \
        is Status.VALID


def test_wrong_sign_in_the_exponent_is_rejected():
    assert _judge_replaced("independent-2d", "density", 3, _independent_exponent(1, sp.Rational(1, 2))) \
        is Status.INVALID
    assert _judge_replaced("diagonal-product", "p3", 1, _diagonal_step(3, (2 * sp.pi) ** sp.Rational(-3, 2),
                                                                       exponent_factor=sp.Rational(1, 2))) \
        is Status.INVALID


def test_dropped_half_is_rejected():
    assert _judge_replaced("independent-2d", "density", 3, _independent_exponent(-1, 1)) is Status.INVALID
    z1, z2 = sp.symbols("z_1 z_2", real=True)
    dropped = sp.exp(-(z1 ** 2 - 2 * rho * z1 * z2 + z2 ** 2) / (1 - rho ** 2)) \
        / (2 * sp.pi * sigma1 * sigma2 * sp.sqrt(1 - rho ** 2))
    assert _judge_replaced("bivariate", "density", 2, dropped) is Status.INVALID
    z = sp.Symbol("z", real=True)
    assert _judge_replaced("density-normalisation", "p1-integral", 1,
                           sp.Integral(sp.exp(-z ** 2) / sp.sqrt(2 * sp.pi), (z, -sp.oo, sp.oo))) is Status.INVALID


def _bivariate_quadratic(cross):
    return ((x1 - mu1) ** 2 / sigma1 ** 2 - cross * (x1 - mu1) * (x2 - mu2) / (sigma1 * sigma2)
            + (x2 - mu2) ** 2 / sigma2 ** 2) / (1 - rho ** 2)


def test_rho_for_two_rho_in_the_quadratic_form_is_rejected():
    assert _judge_replaced("bivariate", "quadratic-form", 2, _bivariate_quadratic(rho)) is Status.INVALID
    z1, z2 = sp.symbols("z_1 z_2", real=True)
    assert _judge_replaced("bivariate", "quadratic-form", 3,
                           (z1 ** 2 - rho * z1 * z2 + z2 ** 2) / (1 - rho ** 2)) is Status.INVALID


def test_wrong_normaliser_in_the_integral_is_rejected():
    z = sp.Symbol("z", real=True)
    wrong = sp.Integral(sp.exp(-z ** 2 / 2) * sp.sqrt(2 * sp.pi), (z, -sp.oo, sp.oo))  # (2 pi)^(+1/2)
    assert _judge_replaced("density-normalisation", "p1-integral", 1, wrong) is Status.INVALID


def test_show_independent_2d_prints_the_product_of_two_densities(capsys):
    from derivations.cli import main

    assert main(["show", "independent-2d", "--format", "text"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "two univariate densities" in last
    body = last.split("    (")[0]
    assert body.count("exp(") == 2 and "x₁" in body and "x₂" in body and "σ₁" in body and "σ₂" in body
