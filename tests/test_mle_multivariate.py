"""Multivariate MLE and matrix calculus: SymPy's wrong matrix derivatives pinned, the differential rules,
independent oracles (finite differences with NumPy, SciPy's log-density, sympy.stats moments) and
targeted mutations that the checker must reject."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import sympy as sp
import sympy.stats as st

from derivations import Status, Step, registry
from derivations.checker import check_chain_step
from derivations.expectation import expectation
from derivations.mle_multivariate import (A_p, SIGMA, SIGMA_GENERAL, Sigma_p, at_explicit, differential,
                                          matrix_gradient, muhat, n, scatter)
from derivations.normal_form import is_zero, normal_form
from derivations.notation import N, Sigmav, cov_entry, muv, p, r, s, xv

SYMPY_CHANGED = ("SymPy's MatrixSymbol derivative changed (fixed upstream?): revisit the entry-wise workaround "
                 "in derivations/mle_multivariate.py and this pin")


# --- SymPy 1.14's matrix derivatives: pinned, so that a change in SymPy is noticed ------------------------
@pytest.mark.parametrize("size", [2, p])
def test_sympy_log_det_derivative_is_still_wrong(size):
    X = sp.MatrixSymbol("X", size, size)
    A = sp.MatrixSymbol("A", size, size)
    zero = sp.ZeroMatrix(size, size)
    assert sp.log(sp.Determinant(X)).diff(X) == zero, SYMPY_CHANGED
    assert (sp.log(sp.Determinant(X)) + sp.Trace(X.I * A)).diff(X) == zero, SYMPY_CHANGED


def test_sympy_trace_derivative_is_right():
    X, A, B = (sp.MatrixSymbol(name, p, p) for name in "XAB")
    derivative = sp.Trace(A * X.I * B).diff(X)
    assert is_zero(derivative - (-X.T.I * A.T * B.T * X.T.I)), derivative


def test_sympy_wrong_answer_is_really_wrong():
    """The pinned 0 is not a harmless convention: the entry-wise derivative of log|X| is X^-T != 0."""
    X = sp.ImmutableMatrix(2, 2, sp.symbols("a b c d"))
    gradient = sp.derive_by_array(sp.log(X.det()), X).tomatrix()
    assert gradient != sp.zeros(2, 2)
    assert (gradient - X.inv().T).applyfunc(sp.simplify) == sp.zeros(2, 2)


# --- the differential rules ---------------------------------------------------------------------------------
def test_rules_give_the_textbook_gradients():
    X, A = sp.MatrixSymbol("X", p, p), sp.MatrixSymbol("A", p, p)
    assert is_zero(matrix_gradient(sp.log(sp.Determinant(X)), X) - X.T.I)
    assert is_zero(matrix_gradient(sp.Trace(X.I * A), X) + X.T.I * A.T * X.T.I)
    assert is_zero(matrix_gradient(sp.Trace(A * X), X) - A.T)
    assert is_zero(matrix_gradient(sp.Trace(A * X.T), X) - A)
    # the sum that SymPy differentiates to 0
    total = matrix_gradient(sp.log(sp.Determinant(X)) + sp.Trace(X.I * A), X)
    assert is_zero(total - (X.T.I - X.T.I * A.T * X.T.I))


def test_rules_refuse_what_they_do_not_know():
    X = sp.MatrixSymbol("X", p, p)
    with pytest.raises(NotImplementedError):
        differential(sp.exp(sp.Trace(X)), X, sp.MatrixSymbol("dX", p, p))


@pytest.mark.parametrize("seed", [0, 1])
def test_rules_match_finite_differences(seed):
    """Independent oracle: central differences of log|X| - tr(X^-1 A) at a random non-symmetric 3x3 X."""
    rng = np.random.default_rng(seed)
    X0 = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    A0 = rng.normal(size=(3, 3))

    def f(M):
        return np.log(np.linalg.det(M)) - np.trace(np.linalg.solve(M, A0))

    numeric = np.zeros((3, 3))
    h = 1e-6
    for a in range(3):
        for b in range(3):
            E = np.zeros((3, 3))
            E[a, b] = h
            numeric[a, b] = (f(X0 + E) - f(X0 - E)) / (2 * h)
    X, A = sp.MatrixSymbol("X", 3, 3), sp.MatrixSymbol("A", 3, 3)
    G = matrix_gradient(sp.log(sp.Determinant(X)) - sp.Trace(X.I * A), X)
    derived = np.array(G.xreplace({X: sp.ImmutableMatrix(X0), A: sp.ImmutableMatrix(A0)}).doit().as_explicit(),
                       dtype=float)
    assert np.allclose(derived, numeric, rtol=1e-6, atol=1e-6)
    # and S^-1 in place of S^-T would be wrong for this non-symmetric X
    inv = np.linalg.inv(X0)
    assert not np.allclose(inv - inv @ A0 @ inv, numeric, atol=1e-3)


# --- the derived results against independent oracles ---------------------------------------------------
def _data(rng, size):
    return rng.normal(size=(size, 2)) @ np.array([[1.0, 0.3], [0.0, 0.8]]) + np.array([0.5, -1.0])


def _substitute_data(expr, data, mu0, Sigma0):
    values = {N: data.shape[0]}
    expr = expr.xreplace(values).doit()
    values = {xv[k + 1, c + 1]: sp.Float(data[k, c], 30) for k in range(data.shape[0]) for c in range(2)}
    values.update({muv[1]: mu0[0], muv[2]: mu0[1]})
    values.update({Sigmav[a + 1, b + 1]: Sigma0[a, b] for a in range(2) for b in range(2)})
    return expr.xreplace(values)


def test_loglik_matches_scipy():
    rng = np.random.default_rng(3)
    data = _data(rng, 4)
    mu0 = np.array([0.2, -0.7])
    Sigma0 = np.array([[1.3, 0.4], [0.4, 0.9]])
    loglik = registry.get("mle-multivariate").chain("loglik-p2").steps[1].expr
    derived = float(_substitute_data(loglik, data, mu0, Sigma0))
    expected = scipy.stats.multivariate_normal(mu0, Sigma0).logpdf(data).sum()
    assert derived == pytest.approx(expected, rel=1e-12)


def test_entrywise_sigma_gradient_matches_finite_differences():
    """The computed entry-wise gradient (four independent entries) against central differences of the
    NumPy log-likelihood, at a random non-symmetric perturbation point."""
    rng = np.random.default_rng(5)
    data = _data(rng, 3)
    mu0 = np.array([0.1, -0.4])
    Sigma0 = np.array([[1.4, 0.3], [0.5, 1.1]])  # four independent entries: not symmetric

    def loglik(S):
        d = data - mu0
        return (-data.shape[0] * np.log(2 * np.pi) - data.shape[0] / 2 * np.log(np.linalg.det(S))
                - 0.5 * np.einsum("ni,ij,nj->", d, np.linalg.inv(S), d))

    h = 1e-6
    numeric = np.zeros((2, 2))
    for a in range(2):
        for b in range(2):
            E = np.zeros((2, 2))
            E[a, b] = h
            numeric[a, b] = (loglik(Sigma0 + E) - loglik(Sigma0 - E)) / (2 * h)
    gradient = registry.get("mle-multivariate").chain("score-Sigma-entrywise").steps[1].expr
    derived = np.array(_substitute_data(gradient, data, mu0, Sigma0).evalf(), dtype=float)
    assert np.allclose(derived, numeric, rtol=1e-6, atol=1e-6)


def test_mle_is_the_numpy_maximum():
    """mu_hat and Sigma_hat from the data beat random nearby parameters (SciPy's log-density)."""
    rng = np.random.default_rng(7)
    data = _data(rng, 30)
    mu_hat = data.mean(axis=0)
    Sigma_hat = (data - mu_hat).T @ (data - mu_hat) / len(data)
    best = scipy.stats.multivariate_normal(mu_hat, Sigma_hat).logpdf(data).sum()
    for _ in range(50):
        B = 0.05 * rng.normal(size=(2, 2))
        other = scipy.stats.multivariate_normal(mu_hat + 0.05 * rng.normal(size=2), Sigma_hat + B @ B.T + 0.01 * (B + B.T))
        assert other.logpdf(data).sum() < best


def _stats_sample(size):
    """x_n = mu + L z_n with z_n iid standard normal (sympy.stats): Sigma = L L^T."""
    a, c = sp.symbols("a c", positive=True)
    b = sp.Symbol("b", real=True)
    m1, m2 = sp.symbols("m1 m2", real=True)
    L = sp.Matrix([[a, 0], [b, c]])
    z = [[st.Normal(f"z{k}{q}", 0, 1) for q in range(2)] for k in range(size)]
    x = [sp.Matrix([m1, m2]) + L * sp.Matrix(z[k]) for k in range(size)]
    return x, L * L.T, (m1, m2)


@pytest.mark.parametrize("size", [2, 3])
def test_expected_sigma_hat_against_sympy_stats(size):
    x, Sigma, _ = _stats_sample(size)
    mean = sum(x, sp.zeros(2, 1)) / size
    Sigma_hat = sum(((v - mean) * (v - mean).T for v in x), sp.zeros(2, 2)) / size
    oracle = Sigma_hat.applyfunc(lambda e: sp.simplify(st.E(sp.expand(e))))
    derived = registry.get("mle-multivariate-bias").chain("mean-of-Sigmahat").last
    for a, b in ((1, 1), (1, 2), (2, 2)):
        value = derived.xreplace({r: a, s: b}).xreplace({N: size, cov_entry(a, b): Sigma[a - 1, b - 1]})
        assert sp.simplify(value - oracle[a - 1, b - 1]) == 0, (a, b)


def test_vector_fourth_moment_against_sympy_stats():
    """The Isserlis extension of the expectation operator, at a fourth moment."""
    x, Sigma, (m1, m2) = _stats_sample(1)
    oracle = st.E(sp.expand(x[0][0] ** 2 * x[0][1] ** 2))
    derived = expectation(xv[1, 1] ** 2 * xv[1, 2] ** 2).xreplace(
        {muv[1]: m1, muv[2]: m2, cov_entry(1, 1): Sigma[0, 0], cov_entry(1, 2): Sigma[0, 1],
         cov_entry(2, 2): Sigma[1, 1]})
    assert sp.expand(derived - oracle) == 0


def test_vector_second_moments_symbolic():
    m = sp.Symbol("m", integer=True, positive=True)
    value = expectation(xv[n, r] * xv[m, s])
    assert sp.expand(value - (muv[r] * muv[s] + Sigmav[r, s] * sp.KroneckerDelta(n, m, (1, N)))) == 0
    assert expectation(xv[n, r]) == muv[r]
    assert cov_entry(s, r) == cov_entry(r, s)


# --- targeted mutations: each must be rejected -----------------------------------------------------------
def _rejected(name, slug, index, expr, derivation=None):
    derivation = derivation or registry.get(name)
    old = derivation.chain(slug).steps[index]
    corrupted = derivation.with_step(slug, index, Step(expr, old.justification, old.relation, old.method))
    verdict = check_chain_step(corrupted, corrupted.chain(slug), index)
    return verdict.status is Status.INVALID


def test_inverse_instead_of_inverse_transpose_is_rejected():
    X = sp.MatrixSymbol("X", p, p)
    Xs = sp.ImmutableMatrix(2, 2, lambda a, b: sp.Symbol(f"X_{a + 1}{b + 1}", real=True))
    assert _rejected("matrix-calculus", "log-det-2x2", 2, at_explicit(X.I, {X: Xs}))
    assert _rejected("matrix-calculus", "log-det", 1, X.I)
    wrong = -N / 2 * Sigma_p.I + Sigma_p.I * A_p * Sigma_p.I / 2  # S^-1 in place of S^-T, S not symmetric
    assert _rejected("mle-multivariate", "score-Sigma-entrywise", 2,
                     at_explicit(wrong.xreplace({A_p: A_p.T}), {Sigma_p: SIGMA_GENERAL, A_p: scatter()}))


def test_dropped_half_is_rejected():
    dropped = -N / 2 * Sigma_p.I + Sigma_p.I * A_p * Sigma_p.I
    assert _rejected("mle-multivariate", "score-Sigma-general", 1, dropped)
    assert _rejected("mle-multivariate", "score-Sigma", 1, at_explicit(dropped, {Sigma_p: SIGMA, A_p: scatter()}))


def test_inverted_bias_factor_is_rejected():
    sigma_rs = cov_entry(r, s)
    assert _rejected("mle-multivariate-bias", "mean-of-Sigmahat", 5, N / (N - 1) * sigma_rs)
    assert _rejected("mle-multivariate-bias", "mean-of-Sigmahat-p2", 1, sp.MatMul(N / (N - 1), SIGMA))


def test_mean_with_n_minus_1_is_rejected():
    """mu_hat defined with 1/(N - 1): the gradient in mu no longer vanishes, and E[Sigma_hat] changes."""
    derivation = registry.get("mle-multivariate")
    wrong = {**derivation.definitions,
             **{muhat[k]: sp.Sum(xv[n, k], (n, 1, N)) / (N - 1) for k in (1, 2)}}
    from dataclasses import replace
    corrupted = replace(derivation, definitions=wrong)
    verdict = check_chain_step(corrupted, corrupted.chain("stationary-mu-p2"), 1)
    assert verdict.status is Status.INVALID
    bias = registry.get("mle-multivariate-bias")
    wrong_bias = replace(bias, definitions={**bias.definitions,
                                            muhat[r]: sp.Sum(xv[n, r], (n, 1, N)) / (N - 1),
                                            muhat[s]: sp.Sum(xv[n, s], (n, 1, N)) / (N - 1)})
    verdict = check_chain_step(wrong_bias, wrong_bias.chain("mean-of-Sigmahat"), 1)
    assert verdict.status is Status.INVALID


def test_stationary_point_needs_the_mle():
    """Sigma = A(mu_hat)/(N - 1) is not a stationary point: the checker must not certify it."""
    textbook = -N / 2 * Sigma_p.I + Sigma_p.I * A_p * Sigma_p.I / 2
    derivation = registry.get("mle-multivariate")
    wrong_start = at_explicit(textbook, {Sigma_p: A_p / (N - 1)})
    corrupted = derivation.with_step("stationary-general", 0,
                                     Step(wrong_start, "start", derivation.chain("stationary-general").steps[0].relation))
    verdict = check_chain_step(corrupted, corrupted.chain("stationary-general"), 1)
    assert verdict.status is Status.INVALID


def test_loglik_general_form_is_normal_form_stable():
    """The general-p log-likelihood (symbolic p) is proved, and its numeric test writes out the sums to p."""
    chain = registry.get("mle-multivariate").chain("loglik")
    assert normal_form(chain.last).has(p)
