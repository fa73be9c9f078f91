"""Linear-Gaussian model: targeted corruptions are rejected, and p(y) and p(x | y) agree with a direct
NumPy computation (no Monte Carlo)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from derivations import Status, registry
from derivations.linear_gaussian import A, L, Lambda, b, mu, p, q, y
from test_partitioned import judge_replaced, resized


@pytest.fixture(scope="module")
def model():
    return registry.get("linear-gaussian")


@pytest.fixture(scope="module")
def square(model):
    """p = q, so that a dropped transpose still has a valid shape and must be rejected by value."""
    return resized(model, {q: p})


def _square(*symbols):
    return [s.xreplace({q: p}) for s in symbols]


def test_dropped_transpose_in_cov_y_is_rejected(model, square):
    a, lam, l = _square(A, Lambda, L)
    index = len(square.chain("covariance-y").steps) - 1
    assert judge_replaced(square, "covariance-y", index, l.I + a * lam.I * a) is Status.INVALID
    # with p != q the same slip has the wrong shape
    assert judge_replaced(model, "covariance-y", index, L.I + A * Lambda.I * A) is Status.INVALID


def test_cross_covariance_without_transpose_is_rejected(model, square):
    a, lam = _square(A, Lambda)
    index = len(square.chain("cross-covariance").steps) - 1
    assert judge_replaced(square, "cross-covariance", index, lam.I * a) is Status.INVALID
    assert judge_replaced(model, "cross-covariance", index, Lambda.I * A) is Status.INVALID


def test_wrong_posterior_is_rejected(model):
    gain = Lambda.I * A.T * (L.I + A * Lambda.I * A.T).I
    assert judge_replaced(model, "posterior-mean", 1, mu + gain * (y - A * mu + b)) is Status.INVALID
    assert judge_replaced(model, "posterior-covariance", 1, Lambda.I + gain * A * Lambda.I) is Status.INVALID
    s = (Lambda + A.T * L * A).I
    assert judge_replaced(model, "information-mean", 1, s * (A.T * L * (y + b) + Lambda * mu)) is Status.INVALID
    assert judge_replaced(model, "information-covariance", 1, (Lambda + A.T * L.I * A).I) is Status.INVALID


def test_woodbury_steps_reject_a_wrong_sign(model):
    chain = model.chain("woodbury-covariance-2-2")
    assert judge_replaced(model, chain.slug, 1, -chain.last) is Status.INVALID
    chain = model.chain("woodbury-covariance-1-1")
    (lam,) = [s for s in chain.last.free_symbols if s.name.startswith("lambda")]
    assert judge_replaced(model, chain.slug, 1, chain.last.xreplace({lam: 2 * lam})) is Status.INVALID


def _random_spd(size: int, rng: np.random.Generator) -> np.ndarray:
    root = rng.normal(size=(size, size))
    return root @ root.T + 0.5 * np.eye(size)


@pytest.mark.parametrize("size_x, size_y", [(1, 1), (2, 3), (3, 2), (4, 4)])
def test_marginal_and_posterior_agree_with_numpy(model, size_x, size_y):
    rng = np.random.default_rng(size_x * 7 + size_y)
    lam, l = _random_spd(size_x, rng), _random_spd(size_y, rng)
    a = rng.normal(size=(size_y, size_x))
    bv, m, yv = rng.normal(size=(size_y, 1)), rng.normal(size=(size_x, 1)), rng.normal(size=(size_y, 1))
    args = [mu, Lambda, A, b, L, y]
    values = [m, lam, a, bv, l, yv]

    def evaluate(expr):
        return np.asarray(sp.lambdify(args, expr, "numpy")(*values), dtype=float)

    # direct computation: (x, eps) has covariance diag(Lambda^-1, L^-1); y = [A I] (x, eps) + b
    stacked = np.block([[np.linalg.inv(lam), np.zeros((size_x, size_y))],
                        [np.zeros((size_y, size_x)), np.linalg.inv(l)]])
    to_y = np.hstack([a, np.eye(size_y)])
    to_x = np.hstack([np.eye(size_x), np.zeros((size_x, size_y))])
    np.testing.assert_allclose(evaluate(model.chain("mean-y").last).reshape(-1, 1), a @ m + bv, rtol=1e-10)
    np.testing.assert_allclose(evaluate(model.chain("covariance-y").last), to_y @ stacked @ to_y.T, rtol=1e-10)
    np.testing.assert_allclose(evaluate(model.chain("cross-covariance").last), to_x @ stacked @ to_y.T,
                               rtol=1e-10, atol=1e-12)
    # posterior from the joint precision of (x, y): [[Lambda + A^T L A, -A^T L], [-L A, L]]
    precision_xx = lam + a.T @ l @ a
    post_cov = np.linalg.inv(precision_xx)
    post_mean = post_cov @ (lam @ m + a.T @ l @ (yv - bv))
    for slug in ("posterior-covariance",):
        np.testing.assert_allclose(evaluate(model.chain(slug).last), post_cov, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(evaluate(model.chain("posterior-mean").last).reshape(-1, 1), post_mean, rtol=1e-9)
    np.testing.assert_allclose(evaluate(model.chain("information-mean").last).reshape(-1, 1), post_mean,
                               rtol=1e-9)
    np.testing.assert_allclose(evaluate(model.chain("information-covariance").last), post_cov, rtol=1e-9)
