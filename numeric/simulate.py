"""Monte Carlo cross-checks of the expectations the derivations claim.

Each *claim* (e.g. E[sigma_hat^2] = (N-1)/N sigma^2) is estimated by simulation with
``numpy.random.Generator`` (fixed seed, vectorised, streamed in chunks so memory stays bounded) and compared
to the lambdified exact value with z = (estimate - exact) / standard error. The standard error comes from the
*derived* variance of the estimator (e.g. Var[sigma_hat^2] = 2 sigma^4 (N-1)/N^2), not from the simulation,
so a wrong claim cannot widen its own tolerance. A claim fails when |z| > 5: for a correct claim that happens
with probability 5.7e-7 (two-sided normal tail), so the false-failure rate of a run of k claims is below
k * 5.7e-7.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from derivations import registry

from . import univariate, validate

Z_LIMIT = 5.0
#: Simulated data sets per claim in a default run (``gaussproof simulate``).
DEFAULT_SAMPLES = 200_000
#: Two-sided normal tail probability beyond Z_LIMIT: the false-failure rate of one correct claim.
FALSE_FAILURE_RATE = 5.733e-7


@dataclass(frozen=True)
class ClaimResult:
    """A simulated claim: its exact value, the Monte Carlo estimate, the standard error and z."""

    claim: str
    derivation: str
    exact: float
    estimate: float
    standard_error: float

    @property
    def z(self) -> float:
        return (self.estimate - self.exact) / self.standard_error

    @property
    def passed(self) -> bool:
        return abs(self.z) <= Z_LIMIT


class _Moments:
    """Running mean and sum of squared deviations over chunks (Chan et al.'s parallel update)."""

    def __init__(self) -> None:
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, values: np.ndarray) -> None:
        n, mean = values.size, float(values.mean())
        m2 = float(((values - mean) ** 2).sum())
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta ** 2 * self.count * n / total
        self.count = total

    @property
    def variance(self) -> float:
        return self.m2 / (self.count - 1)


def _chunks(samples: int, chunk: int) -> Iterator[int]:
    for start in range(0, samples, chunk):
        yield min(chunk, samples - start)


@dataclass(frozen=True)
class UnivariateSetting:
    """The model simulated for the univariate claims: `samples` data sets of n iid Normal(mu, sigma2)."""

    n: int = 5
    mu: float = 1.5
    sigma2: float = 2.0


def simulate_univariate(samples: int = 200_000, seed: int = 0, setting: UnivariateSetting = UnivariateSetting(),
                        chunk: int = 50_000, progress: Callable[[int, int], None] | None = None,
                        expected_mle_var: Callable[[float, int], float] | None = None) -> list[ClaimResult]:
    """Simulate the univariate claims: E[mu_hat], Var[mu_hat], E[sigma_hat^2], E[S^2].

    ``expected_mle_var`` replaces the derived E[sigma_hat^2] (used to show that a wrong claim is rejected).
    """
    n = int(validate.sample_size(setting.n, "n", minimum=2))
    if samples < 2:
        raise ValueError(f"samples must be at least 2, got {samples}")
    mu, sigma2 = setting.mu, float(validate.positive(setting.sigma2, "sigma2"))
    rng = np.random.default_rng(seed)
    mean_hat, var_hat, unbiased = _Moments(), _Moments(), _Moments()
    done = 0
    for size in _chunks(samples, chunk):
        x = mu + np.sqrt(sigma2) * rng.standard_normal((size, n))
        m, v = univariate.mle(x)
        mean_hat.add(m)
        var_hat.add(v)
        unbiased.add(univariate.unbiased_var(x))
        done += size
        if progress:
            progress(done, samples)

    exact = univariate.exact_moments(sigma2, n)
    bias_claim = (expected_mle_var or univariate.expected_mle_var)(sigma2, n)
    return [
        ClaimResult("E[mu_hat] = mu", "mle-univariate", mu, mean_hat.mean,
                    np.sqrt(exact["var_muhat"] / samples)),
        # sample variance of normal mu_hat: Var[s^2] = 2 Var[mu_hat]^2 / (R - 1)
        ClaimResult("Var[mu_hat] = sigma^2/N", "mle-univariate", exact["var_muhat"], mean_hat.variance,
                    exact["var_muhat"] * np.sqrt(2 / (samples - 1))),
        ClaimResult("E[sigma_hat^2] = (N-1)/N sigma^2", "mle-univariate", float(bias_claim), var_hat.mean,
                    np.sqrt(exact["var_sigma2hat"] / samples)),
        ClaimResult("E[S^2] = sigma^2", "unbiased-variance", exact["mean_S2"], unbiased.mean,
                    np.sqrt(exact["var_S2"] / samples)),
    ]


Progress = Callable[[int, int], None]
Simulation = Callable[[int, int, "Progress | None"], list[ClaimResult]]


def _univariate_claims(samples: int, seed: int, progress: Progress | None) -> list[ClaimResult]:
    return simulate_univariate(samples, seed, progress=progress)


#: derivation name -> the simulation that estimates its claims (one simulation may serve several derivations;
#: it runs once and its results are filtered by derivation).
SIMULATIONS: dict[str, Simulation] = {
    "mle-univariate": _univariate_claims,
    "unbiased-variance": _univariate_claims,
}


def run_claims(names: Sequence[str] = (), samples: int = DEFAULT_SAMPLES, seed: int = 0,
               progress: Progress | None = None) -> list[ClaimResult]:
    """Run the simulations of the named derivations (all when ``names`` is empty) and return their claims.

    An unknown name raises ``derivations.registry.UnknownDerivation``; a derivation without simulated
    claims contributes nothing. ``progress(done, total)`` is called after each chunk, counting data sets
    over all the simulations run.
    """
    for name in names:
        registry.get(name)  # unknown names: UnknownDerivation listing the valid ones
    wanted = list(dict.fromkeys(names)) if names else list(SIMULATIONS)
    simulations = list(dict.fromkeys(SIMULATIONS[name] for name in wanted if name in SIMULATIONS))
    total = samples * len(simulations)
    results: list[ClaimResult] = []
    for k, simulation in enumerate(simulations):
        offset = k * samples
        report = (lambda done, _, offset=offset: progress(offset + done, total)) if progress else None
        results += [r for r in simulation(samples, seed, report) if r.derivation in wanted]
    return results
