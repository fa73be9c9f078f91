"""Univariate Gaussian: NumPy functions generated from the verified univariate derivations.

Nothing here restates a formula: each function evaluates a result of ``loglik-univariate``,
``mle-univariate`` or ``unbiased-variance`` (lambdified once, on first use). Samples lie on the last axis of
``x``; parameters broadcast against the remaining (leading) axes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from derivations import registry
from derivations.normal_form import substitute_definitions
from derivations.notation import N, S2, mu, muhat, sigma2, sigma2hat
from derivations.univariate import log_likelihood

from . import validate
from ._codegen import sample_function, scalar_function


@lru_cache(maxsize=None)
def _generated(name: str) -> Callable:
    mle = registry.get("mle-univariate")
    if name == "loglik":
        return sample_function(log_likelihood(), (mu, sigma2))
    if name == "score_mu":
        return sample_function(mle.chain("score-mu").last, (mu, sigma2))
    if name == "score_sigma2":
        return sample_function(mle.chain("score-sigma2").last, (mu, sigma2))
    if name == "muhat":
        return sample_function(substitute_definitions(muhat, mle.definitions), ())
    if name == "sigma2hat":
        return sample_function(substitute_definitions(sigma2hat, mle.definitions), ())
    if name == "unbiased":
        return sample_function(substitute_definitions(S2, registry.get("unbiased-variance").definitions), ())
    if name == "expected_mle_var":
        return scalar_function(mle.chain("mean-of-sigma2hat").last, (sigma2, N))
    if name in _MOMENT_CHAINS:
        derivation, slug = _MOMENT_CHAINS[name]
        return scalar_function(registry.get(derivation).chain(slug).last, (sigma2, N))
    raise KeyError(name)


#: Exact moments of the estimators, by the chain that derives each.
_MOMENT_CHAINS = {
    "var_muhat": ("mle-univariate", "variance-of-muhat"),
    "var_sigma2hat": ("mle-univariate", "variance-of-sigma2hat"),
    "mean_S2": ("unbiased-variance", "mean-of-S2"),
    "var_S2": ("unbiased-variance", "variance-of-S2"),
}


def exact_moments(sigma2: float, n: int) -> dict[str, float]:
    """Var[mu_hat], Var[sigma_hat^2], E[S^2], Var[S^2] at (sigma2, n), from their derivations."""
    sigma2 = validate.scalar(validate.positive(sigma2, "sigma2"), "sigma2")
    n = validate.scalar(validate.sample_size(n, "n", minimum=2), "n")
    return {name: float(_generated(name)(sigma2, n)) for name in _MOMENT_CHAINS}


def _evaluate(name: str, x: np.ndarray, **parameters: np.ndarray) -> np.ndarray:
    shape = validate.batch_shape(x=(x, 1), **{k: (p, 0) for k, p in parameters.items()})
    out = _generated(name)(x, x.shape[-1], *(validate.along_sample(p) for p in parameters.values()))
    return np.broadcast_to(out, shape + (1,))[..., 0]


def loglik(x: ArrayLike, mu: ArrayLike, sigma2: ArrayLike) -> np.ndarray:
    """Log-likelihood of iid Normal(mu, sigma2) observations on the last axis of ``x``.

    log L = -N/2 log(2 pi) - N/2 log sigma^2 - 1/(2 sigma^2) sum_i (x_i - mu)^2  (``loglik-univariate``).

    Parameters
    ----------
    x : array_like, shape (..., N)
    mu, sigma2 : array_like, broadcastable to x.shape[:-1]; sigma2 > 0

    Returns
    -------
    ndarray, shape broadcast(x.shape[:-1], mu.shape, sigma2.shape)
    """
    x = validate.sample(x)
    return _evaluate("loglik", x, mu=validate.finite_array(mu, "mu"), sigma2=validate.positive(sigma2, "sigma2"))


def score(x: ArrayLike, mu: ArrayLike, sigma2: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The score (d log L / d mu, d log L / d sigma^2) (``mle-univariate``, chains score-mu, score-sigma2)."""
    x = validate.sample(x)
    mu, sigma2 = validate.finite_array(mu, "mu"), validate.positive(sigma2, "sigma2")
    return (_evaluate("score_mu", x, mu=mu, sigma2=sigma2),
            _evaluate("score_sigma2", x, mu=mu, sigma2=sigma2))


def mle(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood estimates (mu_hat, sigma_hat^2) = (mean, 1/N sum (x_i - mu_hat)^2) over the last axis."""
    x = validate.sample(x)
    return _evaluate("muhat", x), _evaluate("sigma2hat", x)


def unbiased_var(x: ArrayLike) -> np.ndarray:
    """Unbiased sample variance S^2 = sum (x_i - mu_hat)^2 / (N - 1) over the last axis (needs N >= 2)."""
    return _evaluate("unbiased", validate.sample(x, min_size=2))


def expected_mle_var(sigma2: ArrayLike, n: ArrayLike) -> np.ndarray:
    """E[sigma_hat^2] = (n - 1)/n sigma^2, the bias of the MLE of the variance (``mle-univariate``)."""
    sigma2 = validate.positive(sigma2, "sigma2")
    n = validate.sample_size(n, "n", minimum=1)
    validate.batch_shape(sigma2=(sigma2, 0), n=(n, 0))
    return np.asarray(_generated("expected_mle_var")(sigma2, n), dtype=float)
