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


# ---- multivariate claims and run_claims --------------------------------------------------------------------
from derivations.registry import UnknownDerivation  # noqa: E402
from numeric import multivariate, univariate  # noqa: E402
from numeric.simulate import (DEFAULT_SAMPLES, SIMULATIONS, MultivariateSetting, Simulation,  # noqa: E402
                              monte_carlo_throughput, run_claims, sample_covariance_variance,
                              simulate_conditional, simulate_linear_gaussian, simulate_mle_covariance)


@pytest.fixture(scope="module")
def all_claims():
    return run_claims()


def test_every_claim_passes_at_the_default_size(all_claims):
    assert {r.derivation for r in all_claims} == set(SIMULATIONS)
    assert all(r.passed for r in all_claims), [(r.claim, r.z) for r in all_claims if not r.passed]
    assert len([r for r in all_claims if r.derivation == "mle-multivariate-bias"]) == 10  # p = 4: i <= j


@pytest.mark.parametrize("wrong, label", [
    (lambda cov, n: n / (n - 1) * np.asarray(cov), "N/(N-1)"),
    (lambda cov, n: np.asarray(cov), "no bias (factor 1)"),
])
def test_wrong_multivariate_bias_is_rejected_entry_by_entry(wrong, label):
    results = simulate_mle_covariance(DEFAULT_SAMPLES, seed=0, expected_mle_cov=wrong)
    assert all(abs(r.z) > 5 for r in results), (label, [(r.claim, r.z) for r in results])


def test_wrong_conditional_is_rejected():
    """The marginal of x_b in place of the conditional (no Schur correction, no regression on x_a)."""
    def marginal_instead(mean, cov, idx_a, x_a):
        rest = [k for k in range(len(mean)) if k not in list(idx_a)]
        return multivariate.marginal(mean, cov, rest)

    results = simulate_conditional(DEFAULT_SAMPLES, seed=0, conditional=marginal_instead)
    assert all(abs(r.z) > 5 for r in results), [(r.claim, r.z) for r in results]


def test_wrong_linear_gaussian_covariance_is_rejected():
    """Dropping the noise term L^-1 from Cov[y] is rejected on the diagonal."""
    def without_noise(mu, Lambda, A, b, L):
        mean, _ = multivariate.linear_gaussian(mu, Lambda, A, b, L)
        return mean, np.asarray(A) @ np.linalg.inv(Lambda) @ np.asarray(A).T

    results = simulate_linear_gaussian(DEFAULT_SAMPLES, seed=0, linear_gaussian=without_noise)
    diagonal = [r for r in results if r.claim.startswith("Cov[y_1, y_1]") or r.claim.startswith("Cov[y_2, y_2]")
                or r.claim.startswith("Cov[y_3, y_3]")]
    assert len(diagonal) == 3 and all(abs(r.z) > 5 for r in diagonal)
    assert all(r.passed for r in results if r.claim.startswith("E[y"))  # the means were left right


def test_sample_covariance_variance_is_the_derived_univariate_one_on_the_diagonal():
    cov, n = np.asarray(MultivariateSetting().cov), 5
    variance = (n - 1) * sample_covariance_variance(cov, 1) / n ** 2
    for k in range(cov.shape[0]):
        assert variance[k, k] == pytest.approx(univariate.exact_moments(cov[k, k], n)["var_sigma2hat"], rel=1e-12)


def test_sample_covariance_variance_matches_the_spread_of_simulated_estimates():
    """The standard errors are not too wide: the empirical variance of Sigma_hat entries over 40,000 data
    sets agrees with the formula (the relative standard error of a variance estimate here is under 2%)."""
    setting = MultivariateSetting()
    cov, n = np.asarray(setting.cov), setting.n
    data = np.random.default_rng(3).multivariate_normal(setting.mean, cov, size=(40_000, n))
    estimates = multivariate.mvn_mle(data)[1]
    np.testing.assert_allclose(estimates.var(axis=0), (n - 1) * sample_covariance_variance(cov, 1) / n ** 2,
                               rtol=0.1)


def test_run_claims_selects_by_derivation_and_reports_progress():
    calls = []
    results = run_claims(["conditional", "linear-gaussian"], samples=20_000, progress=lambda d, t: calls.append((d, t)))
    assert {r.derivation for r in results} == {"conditional", "linear-gaussian"}
    assert calls[-1] == (40_000, 40_000) and all(t == 40_000 for _, t in calls)
    assert run_claims(["affine"], samples=100) == []
    with pytest.raises(UnknownDerivation, match="no-such"):
        run_claims(["no-such"])


def test_cli_simulate_named_and_failing(capsys, monkeypatch):
    assert main(["simulate", "mle-multivariate-bias", "--samples", "20000"]) == 0
    out = capsys.readouterr().out
    assert "E[Sigma_hat_12]" in out and "E[sigma_hat^2]" not in out
    wrong = Simulation(lambda s, seed, progress: simulate_mle_covariance(s, seed, expected_mle_cov=lambda c, n: c),
                       SIMULATIONS["mle-multivariate-bias"].variates)
    monkeypatch.setitem(SIMULATIONS, "mle-multivariate-bias", wrong)
    assert main(["simulate", "mle-multivariate-bias"]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_throughput_helper_counts_the_variates_drawn():
    throughput = monte_carlo_throughput(["conditional"], samples=10_000)
    assert throughput.variates == 10_000 * len(MultivariateSetting().mean)
    assert throughput.simulation_seconds > 0 and throughput.generator_seconds > 0


def test_bad_multivariate_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="cov is not positive definite"):
        simulate_mle_covariance(100, setting=MultivariateSetting(cov=((1.0, 2.0, 0, 0), (2.0, 1.0, 0, 0),
                                                                       (0, 0, 1.0, 0), (0, 0, 0, 1.0))))
    with pytest.raises(ValueError, match="samples must be at least 5"):
        simulate_conditional(4)
