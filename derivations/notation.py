"""Shared notation for a sample x_1, ..., x_N iid Normal(mu, sigma^2) of symbolic size N.

sigma^2 is the parameter (a positive symbol printed ``\\sigma^{2}``), as in the usual derivations.
"""

from __future__ import annotations

import sympy as sp

N = sp.Symbol("N", integer=True, positive=True)
"""Sample size (symbolic)."""

i, j = sp.symbols("i j", integer=True, positive=True)
"""Summation indices over the sample."""

x = sp.IndexedBase("x", real=True)
"""The data: ``x[i]`` is the i-th observation."""

mu = sp.Symbol("mu", real=True)
sigma2 = sp.Symbol("sigma^2", positive=True)

muhat = sp.Symbol("muhat", real=True)
"""Name of the maximum-likelihood estimate of mu (defined by the MLE derivation)."""
sigma2hat = sp.Symbol("sigmahat^2", positive=True)
"""Name of the maximum-likelihood estimate of sigma^2 (positive: the data are not all equal)."""
S2 = sp.Symbol("S^2", positive=True)
"""Name of the unbiased sample variance."""
ell = sp.Function("ell")(mu, sigma2)
"""Name of the log-likelihood l(mu, sigma^2) = log L (defined by the log-likelihood derivation)."""


def sample_sum(summand: sp.Expr, index: sp.Symbol = i) -> sp.Sum:
    """``sum_{index=1}^{N} summand``."""
    return sp.Sum(summand, (index, 1, N))


def normal_pdf(value: sp.Expr, mean: sp.Expr = mu, variance: sp.Expr = sigma2) -> sp.Expr:
    """The univariate normal density N(value | mean, variance)."""
    return sp.exp(-(value - mean) ** 2 / (2 * variance)) / sp.sqrt(2 * sp.pi * variance)


# A vector-valued sample x_1, ..., x_N iid N_p(mu, Sigma), written component-wise (multivariate derivations).
p = sp.Symbol("p", integer=True, positive=True)
"""Dimension of the vector sample (symbolic)."""

r, s = sp.symbols("r s", integer=True, positive=True)
"""Component indices 1..p."""

xv = x
"""The vector data: ``xv[n, r]`` is component r of observation n. The same IndexedBase as the scalar sample:
x[i] (one index) is an observation of the scalar sample, x[n, r] (two indices) a component of the vector
sample; the two samples are independent."""

muv = sp.IndexedBase("mu", real=True)
"""Mean vector of the vector sample: ``muv[r]``."""

Sigmav = sp.IndexedBase("Sigma", real=True)
"""Covariance matrix of the vector sample, by entries: use :func:`cov_entry`, which respects symmetry."""


def cov_entry(a: sp.Expr, b: sp.Expr) -> sp.Indexed:
    """Sigma_ab written with its indices in canonical order, so that Sigma_ba and Sigma_ab are one symbol."""
    first, second = sorted((sp.sympify(a), sp.sympify(b)), key=sp.default_sort_key)
    return Sigmav[first, second]
