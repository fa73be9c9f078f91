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
