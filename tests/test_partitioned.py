"""Partitioned Gaussian: targeted corruptions of the conditional are rejected, and the derived conditional
moments agree with brute-force conditioning in NumPy (an independent oracle)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from derivations import Status, Step, registry
from derivations.checker import check_chain_step
from derivations.matrix_expectation import MatrixExpectation, evaluate_matrix_expectation, gaussian_model
from derivations.partitioned import (GAIN, Sigma_aa, Sigma_ab, Sigma_bb, explicit_chains, m, mu_a, mu_b, n,
                                     x_a, x_b)
from derivations.core import Derivation


def resized(derivation: Derivation, sizes: dict) -> Derivation:
    """The derivation with its symbolic block sizes substituted (e.g. m = n, so that wrong factor orders
    have valid shapes and must be rejected by value, not by shape)."""
    def step(s: Step) -> Step:
        if s.expr is None:
            return s
        return dataclasses.replace(s, expr=s.expr.xreplace(sizes))

    chains = tuple(dataclasses.replace(c, steps=tuple(step(s) for s in c.steps)) for c in derivation.chains)
    return dataclasses.replace(
        derivation, chains=chains,
        definitions={k.xreplace(sizes): v.xreplace(sizes) for k, v in derivation.definitions.items()},
        symmetric=frozenset(s.xreplace(sizes) for s in derivation.symmetric))


def judge_replaced(derivation: Derivation, slug: str, index: int, expr) -> Status:
    step = derivation.chain(slug).steps[index]
    corrupted = derivation.with_step(slug, index, Step(expr, step.justification, step.relation, step.method))
    return check_chain_step(corrupted, corrupted.chain(slug), index).status


@pytest.fixture(scope="module")
def conditional() -> Derivation:
    return registry.get("conditional")


@pytest.fixture(scope="module")
def square() -> Derivation:
    return resized(registry.get("conditional"), {m: n})


def test_conditional_results_are_the_textbook_forms(conditional):
    mean = conditional.chain("conditional-mean").last
    cov = conditional.chain("conditional-covariance").last
    assert mean == mu_b + Sigma_ab.T * Sigma_aa.I * (x_a - mu_a)
    assert cov == Sigma_bb - Sigma_ab.T * Sigma_aa.I * Sigma_ab


@pytest.mark.parametrize("wrong", ["inverse-first", "wrong-order"])
def test_wrong_shapes_are_rejected(conditional, wrong):
    """Sigma_bb - Sigma_aa^-1 Sigma_ba (and Sigma_ab Sigma_aa^-1 Sigma_ba) have no valid shape when m != n."""
    expr = {"inverse-first": sp.MatAdd(Sigma_bb, -Sigma_aa.I * Sigma_ab.T),
            "wrong-order": sp.MatAdd(Sigma_bb, -Sigma_ab * Sigma_aa.I * Sigma_ab.T)}[wrong]
    assert judge_replaced(conditional, "conditional-covariance", 2, expr) is Status.INVALID


@pytest.mark.parametrize("slug, index", [("conditional-covariance", 2), ("residual-covariance", 4),
                                         ("conditional-covariance-square", 2)])
@pytest.mark.parametrize("wrong", ["inverse-first", "wrong-order", "transposes-swapped", "no-correction"])
def test_wrong_conditional_covariance_is_rejected(square, slug, index, wrong):
    s_aa, s_ab, s_bb = (s.xreplace({m: n}) for s in (Sigma_aa, Sigma_ab, Sigma_bb))
    expr = {"inverse-first": s_bb - s_aa.I * s_ab.T,
            "wrong-order": s_bb - s_ab * s_aa.I * s_ab.T,
            "transposes-swapped": s_bb - s_ab.T * s_aa.I * s_ab.T,
            "no-correction": s_bb}[wrong]
    assert judge_replaced(square, slug, index, expr) is Status.INVALID


@pytest.mark.parametrize("slug, index", [("conditional-mean", 2), ("conditional-mean-square", 1)])
@pytest.mark.parametrize("wrong", ["plus-mean", "minus-correction", "no-mean-b"])
def test_wrong_conditional_mean_is_rejected(conditional, slug, index, wrong):
    expr = {"plus-mean": mu_b + GAIN * (x_a + mu_a),
            "minus-correction": mu_b - GAIN * (x_a - mu_a),
            "no-mean-b": GAIN * (x_a - mu_a)}[wrong]
    assert judge_replaced(conditional, slug, index, expr) is Status.INVALID


def test_nonzero_cross_covariance_is_rejected(conditional):
    assert judge_replaced(conditional, "independence", 4, Sigma_ab.T) is Status.INVALID


def test_wrong_schur_block_in_completed_square_is_rejected(conditional):
    chain = conditional.chain("complete-square")
    wrong = chain.last.xreplace({sp.MatrixSymbol("K", n, n): Sigma_bb})
    assert judge_replaced(conditional, "complete-square", len(chain.steps) - 1, wrong) is Status.INVALID


def test_wrong_affine_covariance_and_marginal_are_rejected():
    affine = registry.get("affine")
    from derivations.partitioned import A as a, Sigma as sigma
    assert judge_replaced(affine, "covariance", 4, a * sigma * sigma * a.T) is Status.INVALID
    marginal = registry.get("marginal")
    assert judge_replaced(marginal, "covariance-a", 1, Sigma_aa.I) is Status.INVALID
    assert judge_replaced(marginal, "mean-a", 1, 2 * mu_a) is Status.INVALID


def test_explicit_check_rejects_a_wrong_conditional_covariance():
    exponent, _ = explicit_chains(1, 1)
    s = {sym.name: sym for sym in exponent.first.free_symbols}
    # the conditional variance without its correction: s_22 instead of s_22 - s_12^2 / s_11
    rhs = exponent.steps[1].expr
    da = sp.Matrix([[s["x_1"] - s["m_1"]]])
    db = sp.Matrix([[s["x_2"] - s["m_2"] - s["s_12"] / s["s_11"] * (s["x_1"] - s["m_1"])]])
    bad = da.T * sp.Matrix([[1 / s["s_11"]]]) * da + db.T * sp.Matrix([[1 / s["s_22"]]]) * db
    derivation = Derivation("t", "t", (), (exponent,))
    assert judge_replaced(derivation, exponent.slug, 1, sp.ImmutableMatrix(bad)) is Status.INVALID
    assert judge_replaced(derivation, exponent.slug, 1, rhs) is Status.VALID


def test_matrix_expectation_refuses_what_it_cannot_do():
    model = gaussian_model({x_a: mu_a, x_b: mu_b},
                           {(x_a, x_a): Sigma_aa, (x_a, x_b): Sigma_ab, (x_b, x_b): Sigma_bb})
    with pytest.raises(NotImplementedError):  # a third moment
        evaluate_matrix_expectation(x_a * x_a.T * x_a * x_a.T, model)
    with pytest.raises(ValueError):  # a covariance left out would silently be zero
        gaussian_model({x_a: mu_a, x_b: mu_b}, {(x_a, x_a): Sigma_aa, (x_b, x_b): Sigma_bb})
    assert evaluate_matrix_expectation(x_a * x_b.T, model) == Sigma_ab + mu_a * mu_b.T
    assert MatrixExpectation(x_b, model).doit() == mu_b


def test_show_prints_the_schur_complement():
    out = subprocess.run([sys.executable, "-m", "derivations", "show", "conditional", "--format", "latex"],
                         capture_output=True, text=True, check=True).stdout
    assert r"\Sigma_{bb} - \Sigma_{ab}^{T} \Sigma_{aa}^{-1} \Sigma_{ab}" in out
    assert r"\mu_{b} + \Sigma_{ab}^{T} \Sigma_{aa}^{-1} \left(- \mu_{a} + x_{a}\right)" in out


# ---------------------------------------------------------------------------------------------------------
def _random_spd(size: int, rng: np.random.Generator) -> np.ndarray:
    root = rng.normal(size=(size, size))
    return root @ root.T + 0.5 * np.eye(size)


@pytest.mark.parametrize("size_a, size_b", [(1, 1), (1, 3), (2, 2), (3, 2), (4, 5)])
@pytest.mark.parametrize("route", ["construction", "square"])
def test_conditional_agrees_with_numpy_conditioning(conditional, size_a, size_b, route):
    """Brute force: the precision matrix J = Sigma^-1 gives Cov[x_b | x_a] = J_bb^-1 and
    E[x_b | x_a] = mu_b - J_bb^-1 J_ba (x_a - mu_a)."""
    rng = np.random.default_rng(size_a * 10 + size_b)
    size = size_a + size_b
    sigma = _random_spd(size, rng)
    mean = rng.normal(size=(size, 1))
    given = rng.normal(size=(size_a, 1))
    if route == "construction":
        mean_expr, cov_expr = conditional.chain("conditional-mean").last, conditional.chain("conditional-covariance").last
    else:  # the completing-the-square results are in K: put back K = Sigma_bb - Sigma_ba Sigma_aa^-1 Sigma_ab
        k = sp.MatrixSymbol("K", n, n)
        schur = Sigma_bb - Sigma_ab.T * Sigma_aa.I * Sigma_ab
        mean_expr = conditional.chain("conditional-mean-square").first.xreplace({k: schur})
        cov_expr = conditional.chain("conditional-covariance-square").first.xreplace({k: schur})
    args = [mu_a, mu_b, Sigma_aa, Sigma_ab, Sigma_bb, x_a]
    values = [mean[:size_a], mean[size_a:], sigma[:size_a, :size_a], sigma[:size_a, size_a:],
              sigma[size_a:, size_a:], given]
    mean_fn = sp.lambdify(args, mean_expr, "numpy")
    cov_fn = sp.lambdify(args, cov_expr, "numpy")
    precision = np.linalg.inv(sigma)
    j_bb, j_ba = precision[size_a:, size_a:], precision[size_a:, :size_a]
    expected_cov = np.linalg.inv(j_bb)
    expected_mean = mean[size_a:] - expected_cov @ j_ba @ (given - mean[:size_a])
    np.testing.assert_allclose(np.asarray(cov_fn(*values), dtype=float), expected_cov, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.asarray(mean_fn(*values), dtype=float).reshape(-1, 1), expected_mean,
                               rtol=1e-9, atol=1e-12)
