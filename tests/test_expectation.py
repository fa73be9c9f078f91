"""The expectation operator against sympy.stats (an independent oracle) and hand-checked moments."""

from __future__ import annotations

import pytest
import sympy as sp
import sympy.stats as stats

from derivations.expectation import Covariance, Expectation, UnsupportedExpectation, Variance, expectation, \
    evaluate_expectations
from derivations.notation import N, i, j, mu, sample_sum, sigma2, x


def test_second_moments_carry_kronecker_delta():
    value = expectation(x[i] * x[j])
    assert sp.simplify(value - (mu ** 2 + sigma2 * sp.KroneckerDelta(i, j, (1, N)))) == 0


def test_fourth_moment_by_isserlis_matches_sympy_stats():
    X = stats.Normal("X", mu, sp.sqrt(sigma2))
    assert sp.simplify(expectation(x[1] ** 4) - stats.E(X ** 4)) == 0
    assert sp.simplify(expectation(x[1] ** 3) - stats.E(X ** 3)) == 0


@pytest.mark.parametrize("n", [2, 3])
def test_variance_of_mle_variance_matches_sympy_stats(n):
    """Var[sigma_hat^2] = 2 sigma^4 (N-1)/N^2 needs fourth moments under a fourfold sum."""
    estimator = sample_sum(x[i] ** 2) / N - (sample_sum(x[i]) / N) ** 2
    symbolic = evaluate_expectations(Variance(estimator))
    assert sp.simplify(symbolic - 2 * sigma2 ** 2 * (N - 1) / N ** 2) == 0
    sample = [stats.Normal(f"X{k}", mu, sp.sqrt(sigma2)) for k in range(1, n + 1)]
    concrete = sp.expand(estimator.xreplace({N: n}).doit().xreplace({x[k + 1]: sample[k] for k in range(n)}))
    assert sp.simplify(stats.variance(concrete) - symbolic.xreplace({N: n})) == 0


def test_covariance_of_distinct_observations_is_zero():
    assert evaluate_expectations(Covariance(x[1], x[2])) == 0
    assert evaluate_expectations(Covariance(x[i], x[i])) == sigma2


def test_nested_expectation_is_a_constant():
    assert evaluate_expectations(Expectation(x[i] * Expectation(x[j]))) == mu ** 2


def test_non_polynomial_argument_is_a_clear_error():
    with pytest.raises(UnsupportedExpectation, match="non-polynomial"):
        expectation(sp.log(x[1]))
    with pytest.raises(UnsupportedExpectation, match="power"):
        expectation(1 / sample_sum(x[i]))
