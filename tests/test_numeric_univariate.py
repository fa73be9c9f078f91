"""numeric's univariate functions against SciPy and plain NumPy (independent oracles), and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

import numeric

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(x=arrays(float, st.tuples(st.integers(1, 3), st.integers(2, 9)), elements=finite),
       mu=finite, sigma2=st.floats(1e-2, 1e4))
def test_loglik_matches_scipy(x, mu, sigma2):
    expected = norm.logpdf(x, loc=mu, scale=np.sqrt(sigma2)).sum(axis=-1)
    np.testing.assert_allclose(numeric.loglik(x, mu, sigma2), expected, rtol=1e-10, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(x=arrays(float, st.tuples(st.integers(1, 3), st.integers(2, 9)), elements=finite))
def test_mle_and_unbiased_match_numpy(x):
    mean, variance = numeric.mle(x)
    np.testing.assert_allclose(mean, x.mean(axis=-1), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(variance, x.var(axis=-1), rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(numeric.unbiased_var(x), x.var(axis=-1, ddof=1), rtol=1e-9, atol=1e-7)


def test_score_matches_finite_differences_and_vanishes_at_mle():
    rng = np.random.default_rng(3)
    x = rng.normal(1.0, 2.0, size=25)
    mu, sigma2, h = 0.7, 3.1, 1e-6
    d_mu, d_sigma2 = numeric.score(x, mu, sigma2)
    assert d_mu == pytest.approx((numeric.loglik(x, mu + h, sigma2) - numeric.loglik(x, mu - h, sigma2)) / (2 * h),
                                 rel=1e-6)
    assert d_sigma2 == pytest.approx(
        (numeric.loglik(x, mu, sigma2 + h) - numeric.loglik(x, mu, sigma2 - h)) / (2 * h), rel=1e-6)
    at_mle = numeric.score(x, *numeric.mle(x))
    np.testing.assert_allclose(at_mle, 0, atol=1e-10)


def test_broadcasting_over_leading_axes():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert numeric.loglik(x, np.zeros((2, 1)), 1.0).shape == (2, 3)
    assert numeric.mle(x)[0].shape == (2, 3)
    assert numeric.expected_mle_var([1.0, 2.0], 4).tolist() == [0.75, 1.5]


def test_mle_variance_is_stable_for_large_offsets():
    """Two-pass form from the derivation: no catastrophic cancellation at mean 1e9."""
    x = 1e9 + np.array([0.0, 1.0, 2.0])
    assert numeric.mle(x)[1] == pytest.approx(2 / 3, rel=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: numeric.unbiased_var([1.0]), "at least 2 observations"),
    (lambda: numeric.loglik([1.0, np.nan], 0.0, 1.0), "NaN"),
    (lambda: numeric.loglik([1.0], 0.0, 0.0), "sigma2 must be positive"),
    (lambda: numeric.loglik(3.0, 0.0, 1.0), "at least one axis"),
    (lambda: numeric.mle([]), "at least 1 observations"),
    (lambda: numeric.expected_mle_var(1.0, 0), "n must be at least 1"),
    (lambda: numeric.expected_mle_var(1.0, 2.5), "whole number"),
    (lambda: numeric.score(["a"], 0.0, 1.0), "x must be numeric"),
])
def test_bad_input_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
