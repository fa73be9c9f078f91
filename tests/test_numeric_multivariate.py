"""The multivariate numeric API against independent oracles.

SciPy's ``multivariate_normal`` (log density, marginal, joint-density ratio for the conditional) and plain
NumPy (solves, np.mean, np.cov, the linear-Gaussian joint built as an affine map of (x, eps)) on random
symmetric positive-definite matrices drawn with hypothesis, p = 1..8; batches; every validation error;
accuracy on near-singular covariances against 60-digit mpmath.
"""

from __future__ import annotations

import inspect

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st
from scipy import stats
from scipy.spatial.distance import mahalanobis as scipy_mahalanobis

import numeric
from numeric import multivariate as mv

SETTINGS = settings(max_examples=30, deadline=None)
seeds = st.integers(0, 2 ** 32 - 1)
dims = st.integers(1, 8)


def random_spd(p: int, rng: np.random.Generator, batch: tuple[int, ...] = ()) -> np.ndarray:
    """A random SPD matrix with eigenvalues spread over about two orders of magnitude."""
    q, _ = np.linalg.qr(rng.normal(size=batch + (p, p)))
    eigenvalues = np.exp(rng.uniform(-2.5, 2.5, size=batch + (p,))) * rng.uniform(0.5, 3.0)
    cov = (q * eigenvalues[..., None, :]) @ np.swapaxes(q, -1, -2)
    return (cov + np.swapaxes(cov, -1, -2)) / 2


def case(p: int, seed: int, points: int = 7):
    rng = np.random.default_rng(seed)
    cov = random_spd(p, rng)
    mean = rng.normal(scale=2.0, size=p)
    x = mean + rng.normal(size=(points, p)) @ np.linalg.cholesky(cov).T * 1.5
    return rng, mean, cov, x


# ---- densities ---------------------------------------------------------------------------------------------
@SETTINGS
@given(dims, seeds)
def test_logpdf_and_pdf_match_scipy(p, seed):
    _, mean, cov, x = case(p, seed)
    expected = stats.multivariate_normal(mean, cov).logpdf(x)
    np.testing.assert_allclose(numeric.logpdf(x, mean, cov), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(numeric.pdf(x, mean, cov), np.exp(expected), rtol=1e-9, atol=0)


@SETTINGS
@given(dims, seeds)
def test_mahalanobis_matches_numpy_solve_and_scipy(p, seed):
    _, mean, cov, x = case(p, seed)
    d = x - mean
    squared = np.einsum("ij,ij->i", d, np.linalg.solve(cov, d.T).T)
    distance = numeric.mahalanobis(x, mean, cov)
    np.testing.assert_allclose(distance ** 2, squared, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(distance, [scipy_mahalanobis(row, mean, np.linalg.inv(cov)) for row in x],
                               rtol=1e-8)


def test_density_batches_broadcast():
    rng = np.random.default_rng(3)
    covs = random_spd(3, rng, batch=(4,))
    means = rng.normal(size=(4, 3))
    x = rng.normal(size=(5, 1, 3))  # 5 points against 4 distributions
    out = numeric.logpdf(x, means, covs)
    assert out.shape == (5, 4)
    for k in range(4):
        np.testing.assert_allclose(out[:, k], stats.multivariate_normal(means[k], covs[k]).logpdf(x[:, 0]),
                                   rtol=1e-10)
    assert numeric.logpdf(np.zeros(3), np.zeros(3), np.eye(3)).shape == ()
    assert numeric.mahalanobis(x, means, covs).shape == (5, 4)


def test_generated_code_factorises_and_never_inverts():
    sources = [inspect.getsource(mv._log_density(4))] + [
        inspect.getsource(mv._generated(name)) for name in
        ("mahalanobis", "conditional-mean", "conditional-covariance", "mean-y", "covariance-y",
         "posterior-mean", "posterior-covariance")]
    assert all("inv(" not in source for source in sources)
    assert "_spd_logdet(Sigma)" in sources[0] and "_spd_quadratic_rows(Sigma" in sources[0]


def test_rows_printer_refuses_other_vector_products():
    """Vectors as rows are only sound for sums and quadratic forms; anything else is refused, not misprinted."""
    from numeric._linalg_codegen import matrix_function

    k = sp.Symbol("k", integer=True, positive=True)
    S, u = sp.MatrixSymbol("S", k, k), sp.MatrixSymbol("u", k, 1)
    with pytest.raises(ValueError, match="only quadratic forms"):
        matrix_function(S * u, [S, u], vectors_as_rows=True)
    with pytest.raises(ValueError, match="only traces of quadratic forms"):
        matrix_function(sp.Trace(u * u.T), [u], vectors_as_rows=True)


def test_one_matrix_many_right_hand_sides_solved_as_columns():
    from numeric._linalg_codegen import spd_solve

    rng = np.random.default_rng(4)
    cov, rhs = random_spd(3, rng), rng.normal(size=(5, 2, 3, 2))
    np.testing.assert_allclose(spd_solve(cov, rhs), np.linalg.solve(cov, rhs), rtol=1e-10)


def _mp_logpdf(x, mean, cov) -> float:
    """60-digit log density of the exactly represented float inputs."""
    with mpmath.workdps(60):
        S = mpmath.matrix(cov.tolist())
        d = mpmath.matrix((np.asarray(x, dtype=object) - np.asarray(mean, dtype=object)).tolist())
        quadratic = (d.T * mpmath.inverse(S) * d)[0]
        return float(-len(x) * mpmath.log(2 * mpmath.pi) / 2 - mpmath.log(mpmath.det(S)) / 2 - quadratic / 2)


@pytest.mark.parametrize("gap", [1e-8, 1e-12])
def test_near_singular_covariance_accuracy(gap):
    """rho = 1 - gap: the error against 60 digits stays within the conditioning bound u * cond(Sigma) and the
    result is finite where SciPy (at 1 - 1e-12) refuses the matrix as singular.

    Measured (max over the points): 8.8e-10 at 1e-8, 1.8e-5 at 1e-12, about 1/35 of the bound. An explicit
    inverse and determinant give 1.7e-9 and 3.7e-5: relative to the float entries of Sigma, every backward
    stable method is conditioning-limited, so this pins the Cholesky route's accuracy rather than claiming
    that it beats the closed form by orders of magnitude.
    """
    rng = np.random.default_rng(7)
    s1, s2, rho = 1.3, 0.7, 1 - gap
    cov = np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
    mean = np.array([0.2, -0.1])
    along = rng.normal(size=6) * s1
    x = np.column_stack([mean[0] + along, mean[1] + along * rho * s2 / s1
                         + rng.normal(size=6) * s2 * np.sqrt(2 * gap)])  # typical points: q = O(1)
    reference = np.array([_mp_logpdf(row, mean, cov) for row in x])
    bound = np.finfo(float).eps * np.linalg.cond(cov)
    error = np.abs(numeric.logpdf(x, mean, cov) - reference)
    assert np.all(np.isfinite(reference)) and np.all(error <= bound), (error, bound)
    if gap == 1e-8:
        np.testing.assert_allclose(numeric.logpdf(x, mean, cov), stats.multivariate_normal(mean, cov).logpdf(x),
                                   atol=10 * bound)


# ---- partitioned Gaussian ----------------------------------------------------------------------------------
@st.composite
def partitions(draw):
    p = draw(st.integers(2, 8))
    idx_a = draw(st.permutations(range(p)).map(lambda perm: perm[:draw(st.integers(1, p - 1))]))
    return p, list(idx_a), draw(seeds)


@SETTINGS
@given(dims, seeds, st.data())
def test_marginal_matches_scipy(p, seed, data):
    _, mean, cov, _ = case(p, seed)
    idx = list(data.draw(st.permutations(range(p))))[:data.draw(st.integers(1, p))]
    expected = stats.multivariate_normal(mean, cov).marginal(sorted(idx))
    order = np.argsort(np.argsort(idx))  # scipy keeps increasing order; ours keeps the order given
    got_mean, got_cov = numeric.marginal(mean, cov, idx)
    np.testing.assert_array_equal(got_mean, expected.mean[order])
    np.testing.assert_array_equal(got_cov, expected.cov[np.ix_(order, order)])


@SETTINGS
@given(partitions())
def test_conditional_matches_scipy_density_ratio(partition):
    """log p(x_b | x_a) = log p(x) - log p(x_a), both from SciPy, at several x_b."""
    p, idx_a, seed = partition
    rng, mean, cov, x = case(p, seed, points=4)
    idx_b = sorted(set(range(p)) - set(idx_a))
    x_a = x[0, idx_a]
    mean_b, cov_b = numeric.conditional(mean, cov, idx_a, x_a)
    assert mean_b.shape == (len(idx_b),) and cov_b.shape == (len(idx_b), len(idx_b))
    full = np.tile(x[0], (4, 1))
    full[:, idx_b] = x[:, idx_b]
    ratio = (stats.multivariate_normal(mean, cov).logpdf(full)
             - stats.multivariate_normal(mean[idx_a], cov[np.ix_(idx_a, idx_a)]).logpdf(x_a))
    np.testing.assert_allclose(stats.multivariate_normal(mean_b, cov_b).logpdf(full[:, idx_b]), ratio,
                               rtol=1e-8, atol=1e-8)
    # and the moments themselves against a plain NumPy solve
    gain = np.linalg.solve(cov[np.ix_(idx_a, idx_a)], cov[np.ix_(idx_a, idx_b)]).T
    np.testing.assert_allclose(mean_b, mean[idx_b] + gain @ (x_a - mean[idx_a]), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(cov_b, cov[np.ix_(idx_b, idx_b)] - gain @ cov[np.ix_(idx_a, idx_b)],
                               rtol=1e-9, atol=1e-9 * np.abs(cov).max())


def test_conditional_batches_and_index_order():
    rng = np.random.default_rng(11)
    cov, mean = random_spd(5, rng), rng.normal(size=5)
    x_a = rng.normal(size=(6, 2, 2))  # a (6, 2) batch of observations of coordinates (3, 1)
    mean_b, cov_b = numeric.conditional(mean, cov, [3, 1], x_a)
    assert mean_b.shape == (6, 2, 3) and cov_b.shape == (3, 3)
    for i, j in np.ndindex(6, 2):
        one, _ = numeric.conditional(mean, cov, [3, 1], x_a[i, j])
        np.testing.assert_allclose(mean_b[i, j], one, rtol=1e-12)
    swapped, swapped_cov = numeric.conditional(mean, cov, [1, 3], x_a[..., ::-1])
    np.testing.assert_allclose(swapped, mean_b, rtol=1e-12)
    np.testing.assert_allclose(swapped_cov, cov_b, rtol=1e-12)
    # leading batch axes on mean and cov
    covs = random_spd(5, rng, batch=(3,))
    means = rng.normal(size=(3, 5))
    batch_mean, batch_cov = numeric.conditional(means, covs, [0], np.array([[0.5]]))
    assert batch_mean.shape == (3, 4) and batch_cov.shape == (3, 4, 4)
    for k in range(3):
        m, c = numeric.conditional(means[k], covs[k], [0], [0.5])
        np.testing.assert_allclose(batch_mean[k], m, rtol=1e-12)
        np.testing.assert_allclose(batch_cov[k], c, rtol=1e-12)


# ---- linear-Gaussian model ---------------------------------------------------------------------------------
@SETTINGS
@given(st.integers(1, 5), st.integers(1, 5), seeds)
def test_linear_gaussian_against_the_joint_built_in_numpy(p, q, seed):
    """(x, y) = M (x, eps) + (0, b) with M = [[I, 0], [A, I]]: joint moments by NumPy, then p(y) is the
    y-block and p(x | y) the conditional computed with a NumPy solve."""
    rng = np.random.default_rng(seed)
    Lambda, L = random_spd(p, rng), random_spd(q, rng)
    A, b, mu, y = rng.normal(size=(q, p)), rng.normal(size=q), rng.normal(size=p), rng.normal(size=q)
    M = np.block([[np.eye(p), np.zeros((p, q))], [A, np.eye(q)]])
    source_cov = np.block([[np.linalg.inv(Lambda), np.zeros((p, q))], [np.zeros((q, p)), np.linalg.inv(L)]])
    joint_mean = M @ np.concatenate([mu, np.zeros(q)]) + np.concatenate([np.zeros(p), b])
    joint_cov = M @ source_cov @ M.T
    mean_y, cov_y = numeric.linear_gaussian(mu, Lambda, A, b, L)
    np.testing.assert_allclose(mean_y, joint_mean[p:], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(cov_y, joint_cov[p:, p:], rtol=1e-8, atol=1e-9 * np.abs(joint_cov).max())
    gain = np.linalg.solve(joint_cov[p:, p:], joint_cov[p:, :p]).T
    post_mean, post_cov = numeric.linear_gaussian_posterior(mu, Lambda, A, b, L, y)
    scale = np.abs(joint_cov).max()
    np.testing.assert_allclose(post_mean, mu + gain @ (y - joint_mean[p:]), rtol=1e-7, atol=1e-7 * scale)
    np.testing.assert_allclose(post_cov, joint_cov[:p, :p] - gain @ joint_cov[p:, :p], rtol=1e-7,
                               atol=1e-7 * scale)


def test_linear_gaussian_posterior_batch_of_observations():
    rng = np.random.default_rng(5)
    Lambda, L, A = random_spd(3, rng), random_spd(2, rng), rng.normal(size=(2, 3))
    mu, b, ys = rng.normal(size=3), rng.normal(size=2), rng.normal(size=(4, 2))
    means, cov = numeric.linear_gaussian_posterior(mu, Lambda, A, b, L, ys)
    assert means.shape == (4, 3) and cov.shape == (3, 3)
    for k in range(4):
        np.testing.assert_allclose(means[k], numeric.linear_gaussian_posterior(mu, Lambda, A, b, L, ys[k])[0],
                                   rtol=1e-12)


# ---- maximum likelihood ------------------------------------------------------------------------------------
@SETTINGS
@given(dims, st.integers(1, 40), seeds)
def test_mvn_mle_matches_numpy(p, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(loc=3.0, size=(2, n, p)) @ np.linalg.cholesky(random_spd(p, rng)).T
    mean_hat, cov_hat = numeric.mvn_mle(X)
    assert mean_hat.shape == (2, p) and cov_hat.shape == (2, p, p)
    for k in range(2):
        np.testing.assert_allclose(mean_hat[k], X[k].mean(axis=0), rtol=1e-12, atol=1e-12)
        expected = np.cov(X[k], rowvar=False, bias=True).reshape(p, p)
        np.testing.assert_allclose(cov_hat[k], expected, rtol=1e-10, atol=1e-12 * np.abs(X).max() ** 2)


def test_expected_mle_cov():
    rng = np.random.default_rng(2)
    cov = random_spd(4, rng, batch=(3,))
    n = np.array([2, 5, 40])
    np.testing.assert_allclose(numeric.expected_mle_cov(cov, n), (n - 1)[:, None, None] / n[:, None, None] * cov,
                               rtol=1e-14)
    np.testing.assert_allclose(numeric.expected_mle_cov(cov[0], 1), np.zeros((4, 4)), atol=0)


# ---- validation --------------------------------------------------------------------------------------------
GOOD_COV = np.array([[2.0, 0.3], [0.3, 1.0]])


@pytest.mark.parametrize("call, message", [
    (lambda: numeric.logpdf([0, 0], [0, 0], [[1.0, 0.2], [0.1, 1.0]]), "cov is not symmetric"),
    (lambda: numeric.logpdf([0, 0], [0, 0], [[1.0, 2.0], [2.0, 1.0]]), "cov is not positive definite"),
    (lambda: numeric.logpdf([0, 0], [0, 0], np.ones((2, 3))), r"cov must be a square matrix .* shape \(2, 3\)"),
    (lambda: numeric.logpdf([0, 0, 0], [0, 0], GOOD_COV), r"x must have last axis of length 2 .* shape \(3,\)"),
    (lambda: numeric.pdf([0, 0], [0], GOOD_COV), r"mean must have last axis of length 2 .* shape \(1,\)"),
    (lambda: numeric.logpdf([0, np.nan], [0, 0], GOOD_COV), "x contains NaN or inf"),
    (lambda: numeric.mahalanobis([0, 0], [np.inf, 0], GOOD_COV), "mean contains NaN or inf"),
    (lambda: numeric.logpdf(np.zeros((3, 2)), np.zeros((4, 2)), GOOD_COV),
     r"shape mismatch.*x \(3, 2\), mean \(4, 2\)"),
    (lambda: numeric.marginal([0, 0], GOOD_COV, [2]), "idx has an index out of range 0..1"),
    (lambda: numeric.marginal([0, 0], GOOD_COV, [1, 1]), "idx has a repeated index"),
    (lambda: numeric.conditional([0, 0], GOOD_COV, [0, 1], [0, 0]), "at least one must remain unobserved"),
    (lambda: numeric.conditional([0, 0], GOOD_COV, [-1], [0]), "idx_a has an index out of range"),
    (lambda: numeric.conditional([0, 0], GOOD_COV, [0], [0, 1]), r"x_a must have last axis of length 1 to match idx_a"),
    (lambda: numeric.conditional([0, 0], GOOD_COV, [0.5], [0]), "idx_a must be a non-empty list of integer"),
    (lambda: numeric.linear_gaussian([0, 0], GOOD_COV, np.ones((1, 3)), [0], [[1.0]]),
     r"A must have last two axes of shape \(1, 2\), got shape \(1, 3\)"),
    (lambda: numeric.linear_gaussian([0, 0], GOOD_COV, np.ones((1, 2)), [0], [[-1.0]]),
     "L is not positive definite"),
    (lambda: numeric.linear_gaussian([0, 0], -GOOD_COV, np.ones((1, 2)), [0], [[1.0]]),
     "Lambda is not positive definite"),
    (lambda: numeric.linear_gaussian_posterior([0, 0], GOOD_COV, np.ones((1, 2)), [0], [[1.0]], [1, 2]),
     r"y must have last axis of length 1 to match L"),
    (lambda: numeric.mvn_mle(np.zeros(5)), r"X must have shape \(..., N, p\)"),
    (lambda: numeric.mvn_mle(np.zeros((0, 2))), "X needs at least 1 observations"),
    (lambda: numeric.mvn_mle([[1.0, np.inf]]), "X contains NaN or inf"),
    (lambda: numeric.expected_mle_cov(GOOD_COV, 0), "n must be at least 1"),
    (lambda: numeric.expected_mle_cov(GOOD_COV, 2.5), "n must be a whole number"),
    (lambda: numeric.expected_mle_cov([[1.0, 0.0], [1.0, 1.0]], 3), "cov is not symmetric"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_finite_check_survives_overflowing_sums():
    """Finite entries whose sum overflows are accepted (the fast finiteness test falls back)."""
    x = np.array([[1e308, 1e308]])
    assert np.isfinite(numeric.mahalanobis(x, [1e308, 1e308], np.eye(2))).all()
