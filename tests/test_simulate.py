"""Monte Carlo cross-checks: correct claims pass at the default size, wrong ones are rejected.

Tolerance: |z| <= 5 with the standard error from the *derived* variance of each estimator; a correct claim
fails with probability 5.7e-7 per run (seeds are fixed, so the outcome is deterministic here).
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations.cli import main
from numeric.simulate import UnivariateSetting, simulate_univariate


def test_all_univariate_claims_pass():
    results = simulate_univariate(samples=200_000, seed=0)
    assert [r.passed for r in results] == [True] * 4, [(r.claim, r.z) for r in results]


@pytest.mark.parametrize("wrong, label", [
    (lambda s, n: n / (n - 1) * s, "N/(N-1)"),
    (lambda s, n: s, "no bias (factor 1)"),
])
def test_wrong_bias_factor_is_rejected(wrong, label):
    """The simulation tells (N-1)/N from 1 and from N/(N-1) at the default size (|z| far above 5)."""
    (claim,) = [r for r in simulate_univariate(samples=200_000, seed=0, expected_mle_var=wrong)
                if r.claim.startswith("E[sigma_hat^2]")]
    assert not claim.passed and abs(claim.z) > 50, (label, claim.z)


def test_power_margin_at_large_n():
    """Even at N = 50, where (N-1)/N = 0.98, the default size separates the right factor from 1."""
    setting = UnivariateSetting(n=50, mu=0.0, sigma2=1.0)
    right = simulate_univariate(samples=200_000, seed=1, setting=setting)[2]
    wrong = simulate_univariate(samples=200_000, seed=1, setting=setting, expected_mle_var=lambda s, n: s)[2]
    assert right.passed and abs(wrong.z) > 5


def test_streamed_moments_equal_whole_array_moments():
    from numeric.simulate import _Moments

    values = np.random.default_rng(2).normal(3.0, 2.0, size=10_001)
    moments = _Moments()
    for part in np.array_split(values, 7):
        moments.add(part)
    assert moments.mean == pytest.approx(values.mean(), rel=1e-12)
    assert moments.variance == pytest.approx(values.var(ddof=1), rel=1e-10)


def test_cli_simulate_exit_codes(capsys):
    assert main(["simulate", "--samples", "20000"]) == 0
    assert "E[sigma_hat^2]" in capsys.readouterr().out
    assert main(["simulate", "no-such"]) == 2


def test_bad_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="n must be at least 2"):
        simulate_univariate(samples=100, setting=UnivariateSetting(n=1))
    with pytest.raises(ValueError, match="samples must be at least 2"):
        simulate_univariate(samples=1)
