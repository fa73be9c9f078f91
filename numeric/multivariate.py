"""Multivariate Gaussian: NumPy functions generated from the verified multivariate derivations.

Nothing here restates a formula. Each function evaluates a result of a derivation, printed once (on first
use, ``functools.lru_cache``) by :mod:`numeric._linalg_codegen` (Cholesky solves and factor-based log
determinants and quadratic forms; never an explicit inverse of a covariance) or :mod:`numeric._codegen`
(sums over a sample):

- ``logpdf``, ``pdf``: the density ``gaussian_density`` of ``density-normalisation`` (its logarithm, expanded);
- ``mahalanobis``: the quadratic form of ``mahalanobis`` (chain ``distance``);
- ``marginal``: the affine-map theorem of ``affine`` with a selection matrix, the route of ``marginal``;
- ``conditional``: ``conditional`` (chains ``conditional-mean``, ``conditional-covariance``);
- ``linear_gaussian``, ``linear_gaussian_posterior``: ``linear-gaussian`` (p(y); the posterior in
  information form, which the derivation proves by completing the square);
- ``mvn_mle``, ``expected_mle_cov``: the estimators of ``mle-multivariate-bias`` (the stationary point of
  ``mle-multivariate``) and E[Sigma_hat] = (N-1)/N Sigma.

NumPy conventions: a vector is an array whose last axis holds its p coordinates, a matrix one whose last two
axes do; leading axes are batch axes and broadcast. Every function validates its input
(:mod:`numeric.validate`) and raises ``ValueError`` naming the problem.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike
import sympy as sp

from derivations import registry
from derivations import density as _density
from derivations import linear_gaussian as _lg
from derivations import partitioned as _part
from derivations.mle_multivariate import Sigmahat, muhat
from derivations.mle_multivariate import n as _obs
from derivations.normal_form import substitute_definitions
from derivations.notation import N, cov_entry, r, s, xv

from . import validate
from ._codegen import scalar_function, vector_sample_function
from ._linalg_codegen import matrix_function

__all__ = ["logpdf", "pdf", "mahalanobis", "marginal", "conditional", "linear_gaussian",
           "linear_gaussian_posterior", "mvn_mle", "expected_mle_cov"]


# ---- generated functions -----------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _log_density(p: int) -> Callable:
    """log N(x | mu, Sigma) at dimension p: the log of ``gaussian_density``, expanded."""
    x, mean, cov = sp.MatrixSymbol("x", p, 1), sp.MatrixSymbol("mu", p, 1), sp.MatrixSymbol("Sigma", p, p)
    log_density = sp.expand_log(sp.log(_density.gaussian_density(x, mean, cov)), force=True)
    return matrix_function(log_density, [x, mean, cov], vectors_as_rows=True)


@lru_cache(maxsize=None)
def _generated(name: str) -> Callable:
    if name == "mahalanobis":
        form = registry.get("mahalanobis").chain("distance").first  # (x - mu)^T Sigma^-1 (x - mu)
        return matrix_function(sp.sqrt(sp.Trace(form)), [_density.xv, _density.muv, _density.Sigma],
                               vectors_as_rows=True)
    if name in ("marginal-mean", "marginal-covariance"):
        zero = sp.ZeroMatrix(_part.A.shape[0], 1)
        mean, cov = (e.doit() for e in _part.affine_moments(_part.A, zero, _part.mu, _part.Sigma))
        expr = mean if name == "marginal-mean" else cov
        return matrix_function(expr, [_part.A, _part.mu, _part.Sigma])
    if name in ("conditional-mean", "conditional-covariance"):
        blocks = [_part.mu_a, _part.mu_b, _part.Sigma_aa, _part.Sigma_ab, _part.Sigma_bb, _part.x_a]
        mean, cov = _part.conditional_moments(*blocks)
        return matrix_function(mean if name == "conditional-mean" else cov, blocks)
    if name in _LINEAR_GAUSSIAN_CHAINS:
        expr = registry.get("linear-gaussian").chain(_LINEAR_GAUSSIAN_CHAINS[name]).last
        return matrix_function(expr, [_lg.mu, _lg.Lambda, _lg.A, _lg.b, _lg.L, _lg.y])
    if name in ("mle-mean", "mle-covariance"):
        definitions = registry.get("mle-multivariate-bias").definitions
        estimator = muhat[r] if name == "mle-mean" else Sigmahat[r, s]
        return vector_sample_function(substitute_definitions(estimator, definitions), xv, _obs, r, s)
    if name == "expected-mle-cov":
        entry = registry.get("mle-multivariate-bias").chain("mean-of-Sigmahat").last  # E[Sigma_hat_rs]
        value = sp.Symbol("Sigma_rs")
        return scalar_function(entry.xreplace({cov_entry(r, s): value}), (value, N))
    raise KeyError(name)


#: The linear-Gaussian results, by the chain of ``linear-gaussian`` whose last step is the result.
_LINEAR_GAUSSIAN_CHAINS = {
    "mean-y": "mean-y",
    "covariance-y": "covariance-y",
    "posterior-mean": "information-mean",
    "posterior-covariance": "information-covariance",
}


def _column(vector: np.ndarray) -> np.ndarray:
    return vector[..., np.newaxis]


# ---- densities -------------------------------------------------------------------------------------------
def _point_arguments(x, mean, cov) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cov = validate.covariance(cov, "cov")
    p = cov.shape[-1]
    mean = validate.vector(mean, "mean", p)
    x = validate.vector(x, "x", p)
    validate.batch_shape(x=(x, 1), mean=(mean, 1), cov=(cov, 2))
    return x, mean, cov


def logpdf(x: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """Log density of N_p(mean, cov) at the points ``x``.

    log N(x | mu, Sigma) = -p/2 log(2 pi) - 1/2 log|Sigma| - 1/2 (x - mu)^T Sigma^-1 (x - mu)
    (``density-normalisation``: the log of its density, expanded). Evaluated through one Cholesky factor
    of Sigma per covariance: log|Sigma| = 2 sum log diag(L), the quadratic form |L^-1 (x - mu)|^2.

    Parameters
    ----------
    x : array_like, shape (..., p)
        Points (batch axes first).
    mean : array_like, shape (..., p)
    cov : array_like, shape (..., p, p)
        Symmetric positive definite.

    Returns
    -------
    ndarray, shape broadcast(x.shape[:-1], mean.shape[:-1], cov.shape[:-2])
    """
    x, mean, cov = _point_arguments(x, mean, cov)
    return np.asarray(_log_density(cov.shape[-1])(x, mean, cov), dtype=float)


def pdf(x: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """Density of N_p(mean, cov) at ``x``: exp(logpdf(x, mean, cov)) (see :func:`logpdf`)."""
    return np.exp(logpdf(x, mean, cov))


def mahalanobis(x: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """Mahalanobis distance sqrt((x - mu)^T Sigma^-1 (x - mu)) of the points ``x`` from N_p(mean, cov).

    The quadratic form of ``mahalanobis`` (chain ``distance``), through the Cholesky factor of Sigma.
    Shapes as in :func:`logpdf`; the square of the result is the quadratic form.
    """
    x, mean, cov = _point_arguments(x, mean, cov)
    return np.asarray(_generated("mahalanobis")(x, mean, cov), dtype=float)


# ---- partitioned Gaussian ----------------------------------------------------------------------------------
def _moments(mean, cov) -> tuple[np.ndarray, np.ndarray]:
    cov = validate.covariance(cov, "cov")
    mean = validate.vector(mean, "mean", cov.shape[-1])
    validate.batch_shape(mean=(mean, 1), cov=(cov, 2))
    return mean, cov


def marginal(mean: ArrayLike, cov: ArrayLike, idx: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Marginal of the coordinates ``idx`` (any subset, in the order given) of N_p(mean, cov).

    x_idx ~ N(A mu, A Sigma A^T) with A the selection matrix of ``idx`` (``affine``, the route of
    ``marginal``: x_a ~ N(mu_a, Sigma_aa)).

    Parameters
    ----------
    mean : array_like, shape (..., p)
    cov : array_like, shape (..., p, p)
    idx : sequence of distinct ints in 0..p-1

    Returns
    -------
    mean_idx : ndarray, shape (..., k)
    cov_idx : ndarray, shape (..., k, k)
    """
    mean, cov = _moments(mean, cov)
    p = cov.shape[-1]
    idx = validate.indices(idx, "idx", p)
    select = np.eye(p)[idx]
    mean_idx = _generated("marginal-mean")(select, _column(mean), cov)[..., 0]
    return mean_idx, _generated("marginal-covariance")(select, _column(mean), cov)


def conditional(mean: ArrayLike, cov: ArrayLike, idx_a: ArrayLike, x_a: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Conditional of the unobserved coordinates given x[idx_a] = x_a, for x ~ N_p(mean, cov).

    x_b | x_a ~ N(mu_b + Sigma_ba Sigma_aa^-1 (x_a - mu_a), Sigma_bb - Sigma_ba Sigma_aa^-1 Sigma_ab)
    (``conditional``), with a = ``idx_a`` (any subset, any order; ``x_a`` in that order) and b the remaining
    coordinates in increasing order.

    Parameters
    ----------
    mean : array_like, shape (..., p)
    cov : array_like, shape (..., p, p)
    idx_a : sequence of m distinct ints in 0..p-1, m < p
    x_a : array_like, shape (..., m)
        Observed values; a batch broadcasts against the batch axes of mean and cov.

    Returns
    -------
    mean_b : ndarray, shape (..., p - m)
    cov_b : ndarray, shape (cov.shape[:-2]..., p - m, p - m)
        Does not depend on x_a.
    """
    mean, cov = _moments(mean, cov)
    p = cov.shape[-1]
    idx_a = validate.indices(idx_a, "idx_a", p)
    idx_b = validate.unobserved(idx_a, p, "idx_a")
    x_a = validate.vector(x_a, "x_a", idx_a.size, match="idx_a")
    validate.batch_shape(mean=(mean, 1), cov=(cov, 2), x_a=(x_a, 1))
    blocks = (_column(mean[..., idx_a]), _column(mean[..., idx_b]), cov[..., idx_a[:, None], idx_a],
              cov[..., idx_a[:, None], idx_b], cov[..., idx_b[:, None], idx_b])
    mean_b = _generated("conditional-mean")(*blocks, _column(x_a))[..., 0]
    return mean_b, _generated("conditional-covariance")(*blocks, None)


# ---- linear-Gaussian model ---------------------------------------------------------------------------------
def _linear_gaussian_arguments(mu, Lambda, A, b, L) -> tuple[np.ndarray, ...]:
    Lambda = validate.covariance(Lambda, "Lambda")
    L = validate.covariance(L, "L")
    p, q = Lambda.shape[-1], L.shape[-1]
    A = validate.matrix(A, "A", (q, p))
    mu = validate.vector(mu, "mu", p, match="Lambda")
    b = validate.vector(b, "b", q, match="L")
    validate.batch_shape(mu=(mu, 1), Lambda=(Lambda, 2), A=(A, 2), b=(b, 1), L=(L, 2))
    return mu, Lambda, A, b, L


def linear_gaussian(mu: ArrayLike, Lambda: ArrayLike, A: ArrayLike, b: ArrayLike,
                    L: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """p(y) of the linear-Gaussian model x ~ N(mu, Lambda^-1), y | x ~ N(A x + b, L^-1).

    y ~ N(A mu + b, L^-1 + A Lambda^-1 A^T) (``linear-gaussian``, chains mean-y and covariance-y).
    Lambda and L are precisions (inverse covariances).

    Parameters
    ----------
    mu : array_like, shape (..., p)
    Lambda : array_like, shape (..., p, p)
        Precision of x, symmetric positive definite.
    A : array_like, shape (..., q, p)
    b : array_like, shape (..., q)
    L : array_like, shape (..., q, q)
        Precision of y given x, symmetric positive definite.

    Returns
    -------
    mean_y : ndarray, shape (..., q)
    cov_y : ndarray, shape (..., q, q)
    """
    mu, Lambda, A, b, L = _linear_gaussian_arguments(mu, Lambda, A, b, L)
    arguments = (_column(mu), Lambda, A, _column(b), L, None)
    return _generated("mean-y")(*arguments)[..., 0], _generated("covariance-y")(*arguments)


def linear_gaussian_posterior(mu: ArrayLike, Lambda: ArrayLike, A: ArrayLike, b: ArrayLike, L: ArrayLike,
                              y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """p(x | y) of the linear-Gaussian model (see :func:`linear_gaussian`).

    x | y ~ N(S (A^T L (y - b) + Lambda mu), S) with S = (Lambda + A^T L A)^-1 (``linear-gaussian``, the
    information form, equal to the conditional of the joint of (x, y)).

    Parameters
    ----------
    mu, Lambda, A, b, L : as in :func:`linear_gaussian`
    y : array_like, shape (..., q)
        Observation(s).

    Returns
    -------
    mean : ndarray, shape (..., p)
    cov : ndarray, shape (..., p, p)
    """
    mu, Lambda, A, b, L = _linear_gaussian_arguments(mu, Lambda, A, b, L)
    y = validate.vector(y, "y", L.shape[-1], match="L")
    validate.batch_shape(mu=(mu, 1), Lambda=(Lambda, 2), A=(A, 2), b=(b, 1), L=(L, 2), y=(y, 1))
    arguments = (_column(mu), Lambda, A, _column(b), L, _column(y))
    return _generated("posterior-mean")(*arguments)[..., 0], _generated("posterior-covariance")(*arguments)


# ---- maximum likelihood ------------------------------------------------------------------------------------
def mvn_mle(X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood estimates of N_p(mu, Sigma) from N observations.

    mu_hat = (1/N) sum_n x_n, Sigma_hat = (1/N) sum_n (x_n - mu_hat)(x_n - mu_hat)^T (``mle-multivariate``:
    the stationary point of the log-likelihood; the estimators as defined in ``mle-multivariate-bias``),
    computed in two passes (centred data).

    Parameters
    ----------
    X : array_like, shape (..., N, p)
        Observations on axis -2, coordinates on axis -1.

    Returns
    -------
    mean_hat : ndarray, shape (..., p)
    cov_hat : ndarray, shape (..., p, p)
    """
    X = validate.observations(X, "X")
    first, second = X[..., :, :, np.newaxis], X[..., :, np.newaxis, :]
    size = X.shape[-2]
    mean_hat = _generated("mle-mean")(first, second, size)[..., 0, :, 0]
    return mean_hat, _generated("mle-covariance")(first, second, size)[..., 0, :, :]


def expected_mle_cov(cov: ArrayLike, n: ArrayLike) -> np.ndarray:
    """E[Sigma_hat] = (n - 1)/n Sigma, the bias of the MLE of the covariance (``mle-multivariate-bias``).

    Parameters
    ----------
    cov : array_like, shape (..., p, p)
        Symmetric positive definite.
    n : int or array_like of ints >= 1, broadcastable to cov.shape[:-2]

    Returns
    -------
    ndarray, shape (..., p, p)
    """
    cov = validate.covariance(cov, "cov")
    n = validate.sample_size(n, "n", minimum=1)
    validate.batch_shape(cov=(cov, 2), n=(n, 0))
    return np.asarray(_generated("expected-mle-cov")(cov, n[..., np.newaxis, np.newaxis]), dtype=float)
