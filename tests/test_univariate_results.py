"""The univariate results, cross-checked against independent oracles.

* ``sympy.stats`` with concrete N (2..5) computes E[mu_hat], Var[mu_hat], E[sigma_hat^2] and E[S^2] by
  its own machinery; the symbolic-N results must agree at each N.
* SciPy's ``norm.logpdf`` must agree with the derived log-likelihood on random data.
* The derived values must equal the textbook forms (typed here, in the test only).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import sympy.stats as stats
from hypothesis import given, settings, strategies as st
from scipy.stats import norm

from derivations import registry
from derivations.normal_form import normal_form
from derivations.notation import N, S2, i, mu, muhat, sigma2, sigma2hat, x
from derivations.univariate import log_likelihood


def _result(name: str, slug: str) -> sp.Expr:
    return registry.get(name).chain(slug).last


def _at(expr: sp.Expr, n: int, sample: list) -> sp.Expr:
    """The symbolic-N expression at N = n with x_k replaced by the k-th sample entry."""
    expr = expr.xreplace({N: n}).doit()
    return expr.xreplace({x[k + 1]: sample[k] for k in range(n)})


@pytest.fixture(scope="module")
def estimators():
    definitions = registry.get("unbiased-variance").definitions
    from derivations.normal_form import substitute_definitions
    return {name: substitute_definitions(symbol, definitions)
            for name, symbol in {"muhat": muhat, "sigma2hat": sigma2hat, "S2": S2}.items()}


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_sympy_stats_agrees_with_symbolic_n(n, estimators):
    sigma = sp.sqrt(sigma2)
    sample = [stats.Normal(f"X{k}", mu, sigma) for k in range(1, n + 1)]
    mean = _at(estimators["muhat"], n, sample)
    mle_variance = sp.expand(_at(estimators["sigma2hat"], n, sample))
    unbiased = sp.expand(_at(estimators["S2"], n, sample))

    assert sp.simplify(stats.E(mean) - _result("mle-univariate", "mean-of-muhat").xreplace({N: n})) == 0
    assert sp.simplify(stats.variance(mean) - _result("mle-univariate", "variance-of-muhat").xreplace({N: n})) == 0
    assert sp.simplify(stats.E(mle_variance)
                       - _result("mle-univariate", "mean-of-sigma2hat").xreplace({N: n})) == 0
    assert sp.simplify(stats.E(unbiased) - _result("unbiased-variance", "mean-of-S2").xreplace({N: n})) == 0


def test_derived_values_equal_textbook_forms():
    assert sp.simplify(_result("mle-univariate", "mean-of-muhat") - mu) == 0
    assert sp.simplify(_result("mle-univariate", "variance-of-muhat") - sigma2 / N) == 0
    assert sp.simplify(_result("mle-univariate", "mean-of-sigma2hat") - (N - 1) / N * sigma2) == 0
    assert _result("unbiased-variance", "mean-of-S2") == sigma2
    information = _result("fisher-univariate", "information")
    assert information == sp.Matrix([[N / sigma2, 0], [0, N / (2 * sigma2 ** 2)]])
    bound = _result("fisher-univariate", "cramer-rao")
    assert bound == sp.Matrix([[sigma2 / N, 0], [0, 2 * sigma2 ** 2 / N]])
    assert registry.get("unbiased-variance").chain("correction").last == (sp.Eq(sp.Symbol("c", positive=True),
                                                                                  N / (N - 1)),)


def test_mle_definitions_are_the_sample_mean_and_mle_variance():
    definitions = registry.get("mle-univariate").definitions
    data = [sp.Rational(3), sp.Rational(-1, 2), sp.Rational(7, 3), sp.Rational(5)]
    mean = sum(data) / 4
    assert _at(definitions[muhat], 4, data) == mean
    variance = _at(normal_form(sigma2hat, definitions), 4, data)
    assert variance == sum((d - mean) ** 2 for d in data) / 4


@settings(max_examples=25, deadline=None)
@given(data=st.lists(st.floats(-50, 50), min_size=2, max_size=12),
       mean=st.floats(-20, 20), variance=st.floats(0.1, 30))
def test_loglik_agrees_with_scipy(data, mean, variance):
    n = len(data)
    value = float(_at(log_likelihood(), n, data).xreplace({mu: mean, sigma2: variance}))
    expected = norm.logpdf(np.array(data), loc=mean, scale=np.sqrt(variance)).sum()
    assert value == pytest.approx(expected, rel=1e-10, abs=1e-9)


def test_score_vanishes_at_the_mle_on_data():
    data = [sp.Rational(k * k, 3) - 2 for k in range(1, 7)]
    mle = registry.get("mle-univariate")
    scores = [mle.chain("score-mu").last, mle.chain("score-sigma2").last]
    at_mle = {mu: _at(mle.definitions[muhat], 6, data),
              sigma2: _at(normal_form(sigma2hat, mle.definitions), 6, data)}
    for score in scores:
        assert _at(score, 6, data).xreplace(at_mle) == 0
