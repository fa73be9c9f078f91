"""Linear-Gaussian model: p(y), Cov(x, y), p(x | y).

x ~ N(mu, Lambda^-1), y | x ~ N(A x + b, L^-1), i.e. y = A x + b + eps with eps ~ N(0, L^-1) independent
of x; x in R^p, y in R^q, p and q symbolic. The moments of y and the cross-covariance are taken with the
matrix expectation operator; p(x | y) is the conditional of the partitioned Gaussian (derivations
``conditional``) applied to the joint of (y, x); the information form of the posterior comes from
completing the square in x, and equals the Schur-complement form (Woodbury), checked at explicit sizes.
"""

from __future__ import annotations

import random

import sympy as sp

from .core import Derivation, Step, chain
from .matrices import random_matrix, random_spd, symbolic_matrix
from .matrix_expectation import MatrixCovariance, MatrixExpectation, evaluate_matrix_expectation, gaussian_model
from .normal_form import matrix_normal_form
from .partitioned import conditional_moments, instantiate
from .registry import get, register

p, q = sp.symbols("p q", integer=True, positive=True)
x, mu = sp.MatrixSymbol("x", p, 1), sp.MatrixSymbol("mu", p, 1)
Lambda = sp.MatrixSymbol("Lambda", p, p)
A, b = sp.MatrixSymbol("A", q, p), sp.MatrixSymbol("b", q, 1)
L = sp.MatrixSymbol("L", q, q)
y, eps = sp.MatrixSymbol("y", q, 1), sp.MatrixSymbol("epsilon", q, 1)
P = sp.MatrixSymbol("P", p, p)
"""Posterior precision Lambda + A^T L A (the checker parametrises Lambda = P - A^T L A)."""

SYMMETRIC = frozenset({Lambda, L, P})
MODEL = gaussian_model({x: mu, eps: sp.ZeroMatrix(q, 1)},
                       {(x, x): Lambda.I, (x, eps): sp.ZeroMatrix(p, q), (eps, eps): L.I})
ASSUMPTIONS = (r"x \sim \mathcal{N}_p(\mu, \Lambda^{-1}), \ y \mid x \sim \mathcal{N}_q(A x + b, L^{-1})",
               r"y = A x + b + \epsilon, \ \epsilon \sim \mathcal{N}(0, L^{-1}) \text{ independent of } x;"
               r" \Lambda, L \text{ symmetric positive definite}; p, q \text{ symbolic}")


def _tidy(expr: sp.MatrixExpr) -> sp.MatrixExpr:
    return matrix_normal_form(expr, SYMMETRIC)


#: Woodbury with fully symbolic explicit matrices at these sizes (p, q) ((1, 2) takes 3.7 s, (2, 2) over 40 s) ...
WOODBURY_SYMBOLIC_SIZES = ((1, 1),)
#: ... and with exact random-rational instances of Lambda, L (SPD) and A (y, b, mu symbolic) at these.
WOODBURY_INSTANCE_SIZES = ((2, 1), (2, 2), (3, 2), (3, 3))


def woodbury_chains(schur_mean: sp.MatrixExpr, schur_cov: sp.MatrixExpr, size_x: int, size_y: int,
                    instance_seed: int | None = None) -> tuple:
    """Schur-complement form = information form of the posterior at sizes p = ``size_x``, q = ``size_y``
    (the Woodbury identity at that size): fully symbolic matrices, or with ``instance_seed`` an exact
    random-rational instance of Lambda, L and A (y, b and mu symbolic)."""
    values = {Lambda: symbolic_matrix("lambda", size_x, size_x, symmetric=True),
              L: symbolic_matrix("l", size_y, size_y, symmetric=True),
              A: symbolic_matrix("a", size_y, size_x), b: symbolic_matrix("b", size_y, 1),
              mu: symbolic_matrix("mu", size_x, 1), y: symbolic_matrix("y", size_y, 1)}
    how = "explicit symbolic components"
    if instance_seed is not None:
        rng = random.Random(instance_seed)
        values[Lambda], values[L] = random_spd(size_x, rng), random_spd(size_y, rng)
        values[A] = random_matrix(size_y, size_x, rng)
        how = f"random rational instance, seed {instance_seed}"
    information = sp.Inverse(values[Lambda] + values[A].T * values[L] * values[A])
    tag = f"{size_x}-{size_y}"
    covariance = chain(
        f"woodbury-covariance-{tag}", rf"Woodbury: covariance forms agree, p = {size_x}, q = {size_y}",
        instantiate(schur_cov, values), "Schur-complement form (explicit components)",
        Step(information, rf"$(\Lambda + A^T L A)^{{-1}}$ (Woodbury; {how})"),
    )
    mean = chain(
        f"woodbury-mean-{tag}", rf"Woodbury: mean forms agree, p = {size_x}, q = {size_y}",
        instantiate(schur_mean, values), "Schur-complement form (explicit components)",
        Step(information * (values[A].T * values[L] * (values[y] - values[b]) + values[Lambda] * values[mu]),
             rf"$S(A^T L (y - b) + \Lambda\mu)$ ({how})"),
    )
    return covariance, mean


@register("linear-gaussian")
def linear_gaussian() -> Derivation:
    """p(y) = N(A mu + b, L^-1 + A Lambda^-1 A^T), Cov(x, y) = Lambda^-1 A^T, the joint of (x, y), and
    p(x | y) in Schur-complement and information form (mean S (A^T L (y - b) + Lambda mu),
    S = (Lambda + A^T L A)^-1)."""
    obs = A * x + b + eps
    dx = x - mu
    mean_y = chain(
        "mean-y", r"Mean of $y$",
        MatrixExpectation(obs, MODEL), r"$y = A x + b + \epsilon$",
        Step(A * MatrixExpectation(x, MODEL) + b + MatrixExpectation(eps, MODEL), "linearity of E"),
        Step(evaluate_matrix_expectation(obs, MODEL), r"$E[x] = \mu$, $E[\epsilon] = 0$"),
    )
    cov_y_value = _tidy(MatrixCovariance(obs, obs, MODEL))
    cov_y = chain(
        "covariance-y", r"Covariance of $y$: $p(y) = \mathcal{N}(A\mu + b, L^{-1} + A\Lambda^{-1}A^T)$",
        MatrixCovariance(obs, obs, MODEL), "covariance",
        Step(MatrixExpectation((A * dx + eps) * (A * dx + eps).T, MODEL), r"$E[y] = A\mu + b$ (above)"),
        Step(A * MatrixExpectation(dx * dx.T, MODEL) * A.T + MatrixExpectation(eps * eps.T, MODEL),
             r"linearity of E; $x$ and $\epsilon$ uncorrelated"),
        Step(cov_y_value, r"$\mathrm{Cov}[x] = \Lambda^{-1}$, $\mathrm{Cov}[\epsilon] = L^{-1}$;"
                          r" y is an affine map of the Gaussian $(x, \epsilon)$, so Gaussian"),
        Step(L.I + A * Lambda.I * A.T, "textbook order"),
    )
    cross_value = _tidy(MatrixCovariance(x, obs, MODEL))
    cross = chain(
        "cross-covariance", r"Cross-covariance $\mathrm{Cov}[x, y]$",
        MatrixCovariance(x, obs, MODEL), "covariance",
        Step(MatrixExpectation(dx * (A * dx + eps).T, MODEL), "means above"),
        Step(MatrixExpectation(dx * dx.T, MODEL) * A.T + MatrixExpectation(dx * eps.T, MODEL), "linearity of E"),
        Step(cross_value, r"$\mathrm{Cov}[x] = \Lambda^{-1}$, $\mathrm{Cov}[x, \epsilon] = 0$"),
    )
    joint_cov = sp.BlockMatrix([[Lambda.I, cross.last], [cross.last.T, cov_y.last]])
    joint = chain(
        "joint", r"The joint of $(x, y)$ is a partitioned Gaussian",
        sp.BlockMatrix([[MatrixCovariance(x, x, MODEL), MatrixCovariance(x, obs, MODEL)],
                        [MatrixCovariance(obs, x, MODEL), MatrixCovariance(obs, obs, MODEL)]]),
        r"covariance of $(x, y)$, an affine map of $(x, \epsilon)$: jointly Gaussian with mean $(\mu, A\mu + b)$",
        Step(joint_cov, r"blocks above"),
    )
    # p(x | y): the partitioned conditional with the joint ordered (y, x), i.e. a = y, b = x
    post_mean, post_cov = conditional_moments(mean_y.last, mu, cov_y.last, cross.last.T, Lambda.I, y)
    gain = Lambda.I * A.T * cov_y.last.I
    posterior_mean = chain(
        "posterior-mean", r"Posterior mean $E[x \mid y]$ (Schur-complement form)",
        post_mean, r"conditional of the partitioned Gaussian (conditional) with $a = y$, $b = x$",
        Step(mu + gain * (y - A * mu - b), r"$\Sigma_{xy}\Sigma_{yy}^{-1} = \Lambda^{-1}A^T(L^{-1} + A\Lambda^{-1}A^T)^{-1}$"),
    )
    posterior_cov = chain(
        "posterior-covariance", r"Posterior covariance $\mathrm{Cov}[x \mid y]$ (Schur-complement form)",
        post_cov, r"conditional of the partitioned Gaussian (conditional) with $a = y$, $b = x$",
        Step(Lambda.I - gain * A * Lambda.I, "the Schur complement of the y-block"),
    )
    # information form by completing the square in x
    h = A.T * L * (y - b) + Lambda * mu
    info_mean = P.I * h
    constant = (y - b).T * L * (y - b) + mu.T * Lambda * mu - h.T * P.I * h
    square = chain(
        "information-square", r"Completing the square in $x$: $\log p(x) + \log p(y \mid x)$",
        (x - mu).T * Lambda * (x - mu) + (y - A * x - b).T * L * (y - A * x - b),
        r"$-2\times$ the x-dependent exponent of $p(x)\,p(y \mid x) \propto p(x \mid y)$",
        Step((x - info_mean).T * P * (x - info_mean) + constant,
             r"complete the square: precision $P = \Lambda + A^T L A$, centre $P^{-1}(A^T L (y - b) + \Lambda\mu)$;"
             r" the constant does not depend on x"),
    )
    S = (Lambda + A.T * L * A).I
    information_mean = chain(
        "information-mean", r"Posterior mean (information form)",
        info_mean, r"centre of the square",
        Step(S * (A.T * L * (y - b) + Lambda * mu), r"$S = (\Lambda + A^T L A)^{-1} = P^{-1}$"),
    )
    information_cov = chain(
        "information-covariance", r"Posterior covariance (information form)",
        P.I, r"inverse of the precision of the square",
        Step(S, r"$S = (\Lambda + A^T L A)^{-1}$"),
    )
    woodbury = [c for sizes in WOODBURY_SYMBOLIC_SIZES for c in woodbury_chains(posterior_mean.last, posterior_cov.last, *sizes)]
    woodbury += [c for seed, sizes in enumerate(WOODBURY_INSTANCE_SIZES)
                 for c in woodbury_chains(posterior_mean.last, posterior_cov.last, *sizes, instance_seed=seed)]
    return Derivation(
        "linear-gaussian", "Linear-Gaussian model: marginal, joint and posterior", ASSUMPTIONS,
        (mean_y, cov_y, cross, joint, posterior_mean, posterior_cov, square, information_mean, information_cov,
         *woodbury),
        definitions={Lambda: P - A.T * L * A}, symmetric=SYMMETRIC,
    )
