"""Univariate Gaussian: log-likelihood, score, MLE, maximum, Fisher information, bias, unbiased variance.

Data x_1, ..., x_N iid Normal(mu, sigma^2) with symbolic N; sigma^2 is the parameter. Every result is
computed by SymPy from the previous chain's result (differentiate, solve, take expectations); steps written
by hand are the textbook forms, and each is proved equal to what SymPy computed.
"""

from __future__ import annotations

import sympy as sp

from .core import Derivation, Relation, Step, chain
from .expectation import Expectation, Variance, expectation
from .normal_form import CANONICAL_INDEX, log_product_to_sum, solve_with_sums_as_symbols, split_sums, \
    substitute_definitions
from .notation import N, S2, ell, i, j, mu, muhat, normal_pdf, sample_sum, sigma2, sigma2hat, x
from .registry import get, register

ASSUMPTIONS = (
    r"x_1, \dots, x_N \overset{iid}{\sim} \mathcal{N}(\mu, \sigma^2)",
    r"N \geq 1 \text{ symbolic}, \ \sigma^2 > 0",
)

UNBIASED_ASSUMPTIONS = (ASSUMPTIONS[0], r"N \geq 2 \text{ symbolic}, \ \sigma^2 > 0")

PARAMETERS = (mu, sigma2)


def _readable(expr):
    """Print a computed expression with the sample index i instead of the checker's canonical index."""
    return expr.xreplace({CANONICAL_INDEX: i}) if isinstance(expr, sp.Basic) else expr


# ----------------------------------------------------------------------------------------------------------
@register("loglik-univariate")
def loglik_univariate() -> Derivation:
    """log L = -N/2 log(2 pi) - N/2 log sigma^2 - 1/(2 sigma^2) sum_i (x_i - mu)^2, from the product of densities."""
    joint = sp.log(sp.Product(normal_pdf(x[i]), (i, 1, N)))
    sum_of_logs = log_product_to_sum(joint)
    expanded_terms = sample_sum(sp.expand(sp.expand_log(sp.log(normal_pdf(x[i])))))
    split = _readable(split_sums(expanded_terms))
    textbook = (-N / 2 * sp.log(2 * sp.pi) - N / 2 * sp.log(sigma2)
                - sample_sum((x[i] - mu) ** 2) / (2 * sigma2))
    loglik = chain(
        "loglik", r"Log-likelihood of N iid observations",
        joint, "independence: the joint density is the product of the densities",
        Step(sum_of_logs, "log of a product is the sum of logs"),
        Step(expanded_terms, r"log of the normal density, expanded"),
        Step(split, "split the sum; sum of N equal terms"),
        Step(textbook, r"collect the square $(x_i - \mu)^2$"),
    )
    return Derivation("loglik-univariate", "Univariate Gaussian log-likelihood", ASSUMPTIONS, (loglik,))


def log_likelihood() -> sp.Expr:
    """log L(mu, sigma^2) as derived by ``loglik-univariate``."""
    return get("loglik-univariate").chain("loglik").last


# ----------------------------------------------------------------------------------------------------------
@register("mle-univariate")
def mle_univariate() -> Derivation:
    """Score functions, the MLEs by solving them, the maximum, and E[mu_hat], Var[mu_hat], E[sigma_hat^2]."""
    loglik = log_likelihood()
    definitions = {ell: loglik}

    score_mu_text = sample_sum(x[i] - mu) / sigma2
    score_mu = chain(
        "score-mu", r"Score in $\mu$",
        sp.Derivative(ell, mu), r"definition of the score, $\ell = \log L$ (loglik-univariate)",
        Step(loglik.diff(mu), "differentiate term by term under the sum"),
        Step(score_mu_text, "simplify"),
    )
    score_sigma2_text = loglik.diff(sigma2)
    score_sigma2 = chain(
        "score-sigma2", r"Score in $\sigma^2$",
        sp.Derivative(ell, sigma2), r"definition of the score, $\ell = \log L$ (loglik-univariate)",
        Step(score_sigma2_text, "differentiate term by term under the sum"),
    )

    scores = (sp.Eq(score_mu_text, 0), sp.Eq(score_sigma2_text, 0))
    (solution,) = solve_with_sums_as_symbols(scores, PARAMETERS)
    mu_solution = _readable(solution[mu])
    definitions[muhat] = mu_solution
    definitions[sigma2hat] = sample_sum((x[i] - muhat) ** 2) / N
    mle = chain(
        "mle", r"Maximum-likelihood estimates: both scores vanish",
        (sp.Eq(sp.Derivative(ell, mu), 0), sp.Eq(sp.Derivative(ell, sigma2), 0)),
        "stationary point of the log-likelihood",
        Step(scores, "the scores above", Relation.IFF),
        Step((sp.Eq(mu, mu_solution), sp.Eq(sigma2, _readable(solution[sigma2]))),
             "solve (sums over the data as unknown constants)", Relation.IFF),
        Step((sp.Eq(mu, mu_solution), sp.Eq(sigma2, definitions[sigma2hat])),
             r"$\frac{1}{N}\sum x_i^2 - \hat\mu^2 = \frac{1}{N}\sum (x_i - \hat\mu)^2$", Relation.IFF),
        Step((sp.Eq(mu, muhat), sp.Eq(sigma2, sigma2hat)), r"name the solution $\hat\mu, \hat\sigma^2$",
             Relation.IFF),
        unknowns=PARAMETERS,
    )

    at_mle = {mu: muhat, sigma2: sigma2hat}
    hessian_defined = sp.Matrix(2, 2, lambda r, c: sp.Subs(sp.Derivative(ell, PARAMETERS[r], PARAMETERS[c]),
                                                           PARAMETERS, (muhat, sigma2hat)))
    hessian_at_mle = sp.hessian(loglik, PARAMETERS).xreplace(at_mle)
    maximum = chain(
        "maximum", r"The stationary point is a maximum",
        hessian_defined, "Hessian of the log-likelihood at the MLE",
        Step(hessian_at_mle, "differentiate twice, substitute"),
        Step(sp.Matrix([[-N / sigma2hat, 0], [0, -N / (2 * sigma2hat ** 2)]]),
             r"$\sum (x_i - \hat\mu) = 0$, $\sum (x_i - \hat\mu)^2 = N \hat\sigma^2$"),
        Step(None, "Sylvester's criterion: negative definite", Relation.NEG_DEF),
    )

    expected_mean = chain(
        "mean-of-muhat", r"$\hat\mu$ is unbiased",
        Expectation(muhat), r"expectation of the estimator",
        Step(Expectation(mu_solution), r"definition of $\hat\mu$"),
        Step(sample_sum(Expectation(x[i])) / N, "linearity of E"),
        Step(sample_sum(mu) / N, r"$E[x_i] = \mu$"),
        Step(expectation(mu_solution), "sum of N equal terms"),
    )

    second_moment = sample_sum(sample_sum(Expectation(x[i] * x[j]), j)) / N ** 2
    variance_of_mean = chain(
        "variance-of-muhat", r"Variance of $\hat\mu$",
        Variance(muhat), r"variance of the estimator",
        Step(Expectation(muhat ** 2) - Expectation(muhat) ** 2, "definition of the variance"),
        Step(second_moment - mu ** 2, r"expand the square, linearity of E, $E[\hat\mu] = \mu$"),
        Step(sample_sum(sample_sum(mu ** 2 + sigma2 * sp.KroneckerDelta(i, j, (1, N)), j)) / N ** 2 - mu ** 2,
             r"$E[x_i x_j] = \mu^2 + \sigma^2 \delta_{ij}$"),
        Step(sp.expand(expectation(mu_solution ** 2) - expectation(mu_solution) ** 2),
             r"$\sum_i \sum_j \delta_{ij} = N$"),
    )
    var_muhat = variance_of_mean.last

    bias_ratio = sp.factor(expectation(substitute_definitions(sigma2hat, definitions)) / sigma2)
    expected_variance = chain(
        "mean-of-sigma2hat", r"$\hat\sigma^2$ is biased",
        Expectation(sigma2hat), r"expectation of the estimator",
        Step(Expectation(sample_sum(x[i] ** 2) / N - muhat ** 2),
             r"expand the square, $\sum_i x_i = N \hat\mu$"),
        Step(sample_sum(Expectation(x[i] ** 2)) / N - Expectation(muhat ** 2), "linearity of E"),
        Step(mu ** 2 + sigma2 - (Variance(muhat) + Expectation(muhat) ** 2),
             r"$E[x_i^2] = \mu^2 + \sigma^2$, $E[\hat\mu^2] = \mathrm{Var}[\hat\mu] + E[\hat\mu]^2$"),
        Step(mu ** 2 + sigma2 - (var_muhat + expected_mean.last ** 2),
             r"$\mathrm{Var}[\hat\mu] = \sigma^2/N$, $E[\hat\mu] = \mu$ (above)"),
        Step(sp.Mul(bias_ratio, sigma2, evaluate=False), "simplify"),
    )

    sigma2hat_value = substitute_definitions(sigma2hat, definitions)
    variance_of_variance = chain(
        "variance-of-sigma2hat", r"Variance of $\hat\sigma^2$ (the spread of the estimator)",
        Variance(sigma2hat), "variance of the estimator",
        Step(Expectation(sigma2hat ** 2) - Expectation(sigma2hat) ** 2, "definition of the variance"),
        Step(Expectation(sigma2hat ** 2) - expected_variance.last ** 2, r"$E[\hat\sigma^2]$ (above)"),
        Step(sp.factor(expectation(sigma2hat_value ** 2) - expectation(sigma2hat_value) ** 2),
             "fourth moments by Isserlis, sums of Kronecker deltas"),
    )

    return Derivation(
        "mle-univariate", "Univariate Gaussian MLE: score, estimates, maximum, bias", ASSUMPTIONS,
        (score_mu, score_sigma2, mle, maximum, expected_mean, variance_of_mean, expected_variance,
         variance_of_variance),
        definitions,
    )


# ----------------------------------------------------------------------------------------------------------
@register("fisher-univariate")
def fisher_univariate() -> Derivation:
    """Fisher information diag(N/sigma^2, N/(2 sigma^4)), the Cramer-Rao bound, and efficiency of mu_hat."""
    loglik = log_likelihood()
    mle = get("mle-univariate")
    second = sp.hessian(loglik, PARAMETERS)
    information_defined = sp.Matrix(2, 2, lambda r, c: -Expectation(
        sp.Derivative(ell, PARAMETERS[r], PARAMETERS[c])))
    information_value = sp.ImmutableMatrix(second.applyfunc(lambda e: sp.factor(-expectation(e))))
    information = chain(
        "information", "Fisher information",
        information_defined, "minus the expected Hessian",
        Step(-second.applyfunc(Expectation), "differentiate twice"),
        Step(information_value, r"$E[x_i] = \mu$, $E[(x_i - \mu)^2] = \sigma^2$"),
    )
    bound_value = information_value.inv().applyfunc(sp.factor)
    bound = chain(
        "cramer-rao", "Cramér-Rao bound",
        sp.Inverse(information_value), "inverse Fisher information",
        Step(bound_value, "inverse of a diagonal matrix"),
    )
    efficiency = chain(
        "efficiency", r"$\hat\mu$ attains the bound",
        Variance(muhat) - bound_value[0, 0], r"gap between $\mathrm{Var}[\hat\mu]$ and $[I^{-1}]_{\mu\mu}$",
        Step(sp.S.Zero, r"$\mathrm{Var}[\hat\mu] = \sigma^2/N$ (mle-univariate): $\hat\mu$ is efficient"),
    )
    return Derivation("fisher-univariate", "Fisher information and the Cramér-Rao bound", ASSUMPTIONS,
                      (information, bound, efficiency), {ell: loglik, muhat: mle.definitions[muhat]})


# ----------------------------------------------------------------------------------------------------------
@register("unbiased-variance")
def unbiased_variance() -> Derivation:
    """The correction N/(N-1) and E[S^2] = sigma^2 for S^2 = sum (x_i - mu_hat)^2 / (N - 1)."""
    mle = get("mle-univariate")
    expected_mle = mle.chain("mean-of-sigma2hat").last
    c = sp.Symbol("c", positive=True)
    (solution,) = sp.solve(sp.Eq(c * expected_mle, sigma2), c, dict=True)
    factor_value = solution[c]
    correction = chain(
        "correction", r"The factor that removes the bias",
        (sp.Eq(Expectation(c * sigma2hat), sigma2),), r"ask for $E[c\,\hat\sigma^2] = \sigma^2$",
        Step((sp.Eq(c * expected_mle, sigma2),), r"linearity of E, $E[\hat\sigma^2]$ (mle-univariate)",
             Relation.IFF),
        Step((sp.Eq(c, factor_value),), "solve", Relation.IFF),
        unknowns=(c,),
    )
    s2_value = sample_sum((x[i] - muhat) ** 2) / (N - 1)
    definition = chain(
        "definition", r"The unbiased sample variance $S^2$",
        factor_value * sigma2hat, r"corrected estimator $c\,\hat\sigma^2$",
        Step(s2_value, r"definition of $\hat\sigma^2$, cancel N"),
    )
    definitions = {sigma2hat: mle.definitions[sigma2hat], muhat: mle.definitions[muhat], S2: s2_value}
    expected = chain(
        "mean-of-S2", r"$S^2$ is unbiased",
        Expectation(S2), "expectation of the estimator",
        Step(factor_value * Expectation(sigma2hat), r"$S^2 = \frac{N}{N-1}\hat\sigma^2$, linearity of E"),
        Step(factor_value * expected_mle, r"$E[\hat\sigma^2]$ (mle-univariate)"),
        Step(sp.factor(expectation(substitute_definitions(S2, definitions))), "cancel"),
    )
    variance = chain(
        "variance-of-S2", r"Variance of $S^2$",
        Variance(S2), "variance of the estimator",
        Step(factor_value ** 2 * Variance(sigma2hat), r"$\mathrm{Var}[cX] = c^2 \mathrm{Var}[X]$"),
        Step(sp.factor(factor_value ** 2 * mle.chain("variance-of-sigma2hat").last),
             r"$\mathrm{Var}[\hat\sigma^2]$ (mle-univariate), cancel"),
    )
    return Derivation("unbiased-variance", "The unbiased sample variance", UNBIASED_ASSUMPTIONS,
                      (correction, definition, expected, variance), definitions)
