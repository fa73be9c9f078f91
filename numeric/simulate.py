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


def simulate_univariate(samples: int = DEFAULT_SAMPLES, seed: int = 0, setting: UnivariateSetting = UnivariateSetting(),
                        chunk: int = 50_000, progress: Callable[[int, int], None] | None = None,
                        expected_mle_var: Callable[[float, int], float] | None = None) -> list[ClaimResult]:
    """Simulate the univariate claims: E[mu_hat], Var[mu_hat], E[sigma_hat^2], E[S^2].

    ``expected_mle_var`` replaces the derived E[sigma_hat^2] (used to show that a wrong claim is rejected).
    """
    samples, seed, chunk = _check_counts(samples, seed, chunk)
    n = validate.scalar(validate.sample_size(setting.n, "n", minimum=2), "n")
    mu = validate.scalar(validate.finite_array(setting.mu, "mu"), "mu")
    sigma2 = validate.scalar(validate.positive(setting.sigma2, "sigma2"), "sigma2")
    rng = np.random.default_rng(seed)
    mean_hat, var_hat, unbiased = _Moments(), _Moments(), _Moments()
    done = 0
    for size in _chunks(samples, chunk):
        # drawn as (n, size) and used transposed: the sums over each data set's n values then run over
        # contiguous rows of `size` values (vectorised) rather than over 50,000 rows of n values (3-8x slower)
        x = mu + np.sqrt(sigma2) * rng.standard_normal((n, size)).T
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


def _check_counts(samples: int, seed: int, chunk: int | None = None) -> tuple[int, int, int | None]:
    """``samples`` (at least 2 data sets), ``seed`` (a non-negative integer) and ``chunk`` (at least 1, if given)
    as ints; InputTypeError for a float or bool, ValueError for a value too small."""
    return (validate.count(samples, "samples", minimum=2), validate.count(seed, "seed", minimum=0),
            None if chunk is None else validate.count(chunk, "chunk", minimum=1))


def _entries(p: int) -> list[tuple[int, int]]:
    """The distinct entries (i <= j) of a symmetric p x p matrix."""
    return [(i, j) for i in range(p) for j in range(i, p)]


def sample_covariance_variance(cov: np.ndarray, dof: int) -> np.ndarray:
    """Var[W_ij] / dof^2 for W ~ Wishart(cov, dof): the variance of each entry of a sample covariance
    matrix with ``dof`` degrees of freedom, (cov_ij^2 + cov_ii cov_jj) / dof (Isserlis: for centred jointly
    Gaussian u, v, Var[u v] = E[u^2] E[v^2] + E[u v]^2). Computed from the known covariance, never from the
    simulation; on the diagonal it is the derived Var[sigma_hat^2] of ``mle-univariate`` (tests check this)."""
    diagonal = np.diagonal(cov)
    return (cov ** 2 + np.multiply.outer(diagonal, diagonal)) / dof


class _Sums:
    """Streamed first and second moments of vectors, about a fixed centre: sum d and sum d d^T. The vectors
    are the columns of a (p, size) array (each coordinate a contiguous row: every pass is vectorised)."""

    def __init__(self, centre: np.ndarray) -> None:
        self.centre, self.count = centre, 0
        self.first = np.zeros(centre.shape[-1])
        self.second = np.zeros((centre.shape[-1],) * 2)

    def add(self, columns: np.ndarray) -> None:
        d = columns - self.centre[:, np.newaxis]
        self.count += d.shape[1]
        self.first += d.sum(axis=1)
        self.second += d @ d.T

    @property
    def mean(self) -> np.ndarray:
        return self.centre + self.first / self.count

    @property
    def covariance(self) -> np.ndarray:
        """The unbiased sample covariance (divisor count - 1)."""
        shift = self.first / self.count
        return (self.second - self.count * np.outer(shift, shift)) / (self.count - 1)


@dataclass(frozen=True)
class MultivariateSetting:
    """The model simulated for the multivariate claims (all correlations non-zero, so that every entry of
    E[Sigma_hat] separates (N-1)/N from 1 and from N/(N-1)).

    Sigma_hat: `samples` data sets of n iid N(mean, cov). Conditional: `samples` draws of x ~ N(mean, cov),
    x_b | x_a at the point ``x_a`` for the coordinates ``idx_a``. Linear-Gaussian: `samples` draws of
    x ~ N(mu, Lambda^-1), y = A x + b + eps, eps ~ N(0, L^-1).
    """

    n: int = 5
    mean: tuple = (1.0, -0.5, 2.0, 0.3)
    cov: tuple = ((2.0, 0.6, -0.4, 0.5), (0.6, 1.0, 0.3, -0.2), (-0.4, 0.3, 1.5, 0.4), (0.5, -0.2, 0.4, 1.2))
    idx_a: tuple = (3, 1)
    x_a: tuple = (1.5, -1.0)
    mu: tuple = (0.5, -1.0)
    Lambda: tuple = ((2.0, 0.5), (0.5, 1.0))
    A: tuple = ((1.0, -0.5), (0.3, 2.0), (-1.2, 0.4))
    b: tuple = (0.2, -0.3, 1.0)
    L: tuple = ((4.0, 1.0, 0.5), (1.0, 3.0, -0.5), (0.5, -0.5, 2.0))


def _normal_columns(rng: np.random.Generator, size: int, factor: np.ndarray) -> np.ndarray:
    """`size` columns factor @ z, z standard normal: N(0, factor factor^T) draws as a (p, size) array."""
    return factor @ rng.standard_normal((factor.shape[-1], size))


def simulate_mle_covariance(samples: int = DEFAULT_SAMPLES, seed: int = 0,
                            setting: MultivariateSetting = MultivariateSetting(), chunk: int = 20_000,
                            progress: Progress | None = None,
                            expected_mle_cov: Callable[[np.ndarray, int], np.ndarray] | None = None
                            ) -> list[ClaimResult]:
    """E[Sigma_hat] = (N-1)/N Sigma, entry by entry (``mle-multivariate-bias``): `samples` data sets of n
    draws, Sigma_hat from :func:`numeric.mvn_mle`. Standard error of the mean of the entry (i, j) over the
    data sets: N Sigma_hat ~ Wishart(Sigma, N - 1), so Var[Sigma_hat_ij] = (N-1)(Sigma_ij^2 +
    Sigma_ii Sigma_jj) / N^2 (:func:`sample_covariance_variance`). ``expected_mle_cov`` replaces the derived
    claim (to show that a wrong one is rejected)."""
    from . import multivariate

    samples, seed, chunk = _check_counts(samples, seed, chunk)
    cov = validate.covariance(setting.cov, "cov")
    mean = validate.vector(setting.mean, "mean", cov.shape[-1])
    n = validate.scalar(validate.sample_size(setting.n, "n", minimum=2), "n")
    p = cov.shape[-1]
    factor = np.linalg.cholesky(cov)
    rng = np.random.default_rng(seed)
    total = np.zeros((p, p))
    done = 0
    for size in _chunks(samples, chunk):
        # drawn as (n, p, size) so that the data sets are the contiguous (fastest) axis of every pass
        z = rng.standard_normal((n, p, size))
        data = np.moveaxis(factor @ z, -1, 0) + mean  # (size, n, p)
        total += multivariate.mvn_mle(data)[1].sum(axis=0)
        done += size
        if progress:
            progress(done, samples)
    exact = (expected_mle_cov or multivariate.expected_mle_cov)(cov, n)
    variance = (n - 1) * sample_covariance_variance(cov, 1) / n ** 2
    return [ClaimResult(f"E[Sigma_hat_{i + 1}{j + 1}] = (N-1)/N Sigma_{i + 1}{j + 1}", "mle-multivariate-bias",
                        float(exact[i, j]), total[i, j] / samples, float(np.sqrt(variance[i, j] / samples)))
            for i, j in _entries(p)]


def simulate_conditional(samples: int = DEFAULT_SAMPLES, seed: int = 0,
                         setting: MultivariateSetting = MultivariateSetting(), chunk: int = 100_000,
                         progress: Progress | None = None, conditional: Callable | None = None
                         ) -> list[ClaimResult]:
    """E[x_b | x_a] and Cov[x_b | x_a] at x_a = ``setting.x_a`` (``conditional``), estimated without the
    claimed formulas: least squares of x_b on x_a over `samples` joint draws (the regression of x_b on
    x_a is E[x_b | x_a] for a Gaussian), the prediction at x_a and the residual covariance.

    Standard errors from the derived conditional covariance K: Var of the prediction of coordinate i is
    K_ii (1 + (x_a - mu_a)^T Sigma_aa^-1 (x_a - mu_a)) / R, Var of the residual covariance entry is
    (K_ij^2 + K_ii K_jj) / (R - m - 1). ``conditional`` replaces the derived claim (mean, cov, idx_a, x_a)."""
    from . import multivariate

    samples, seed, chunk = _check_counts(samples, seed, chunk)
    cov = validate.covariance(setting.cov, "cov")
    p = cov.shape[-1]
    mean = validate.vector(setting.mean, "mean", p)
    idx_a = validate.indices(setting.idx_a, "idx_a", p)
    idx_b = validate.unobserved(idx_a, p)
    x_a = validate.vector(setting.x_a, "x_a", idx_a.size, match="idx_a")
    if samples < idx_a.size + 3:
        raise ValueError(f"samples must be at least {idx_a.size + 3} (the residual covariance divides by "
                         f"samples - {idx_a.size} - 1), got {samples}")
    factor = np.linalg.cholesky(cov)
    rng = np.random.default_rng(seed)
    sums = _Sums(mean)
    done = 0
    for size in _chunks(samples, chunk):
        sums.add(mean[:, np.newaxis] + _normal_columns(rng, size, factor))
        done += size
        if progress:
            progress(done, samples)
    centre, spread = sums.mean, sums.covariance
    s_aa, s_ab, s_bb = spread[np.ix_(idx_a, idx_a)], spread[np.ix_(idx_a, idx_b)], spread[np.ix_(idx_b, idx_b)]
    slope = np.linalg.solve(s_aa, s_ab).T  # least squares: x_b ~ intercept + slope x_a
    predicted = centre[idx_b] + slope @ (x_a - centre[idx_a])
    residual = (samples - 1) / (samples - idx_a.size - 1) * (s_bb - slope @ s_ab)  # unbiased

    exact_mean, exact_cov = (conditional or multivariate.conditional)(mean, cov, idx_a, x_a)
    leverage = multivariate.mahalanobis(x_a, mean[idx_a], cov[np.ix_(idx_a, idx_a)]) ** 2
    names = [str(k + 1) for k in idx_b]
    results = [ClaimResult(f"E[x_{names[i]} | x_a] = mu_b + Sigma_ba Sigma_aa^-1 (x_a - mu_a)", "conditional",
                           float(exact_mean[i]), float(predicted[i]),
                           float(np.sqrt(exact_cov[i, i] * (1 + leverage) / samples)))
               for i in range(idx_b.size)]
    variance = sample_covariance_variance(exact_cov, samples - idx_a.size - 1)
    results += [ClaimResult(f"Cov[x_{names[i]}, x_{names[j]} | x_a] = Schur complement", "conditional",
                            float(exact_cov[i, j]), float(residual[i, j]), float(np.sqrt(variance[i, j])))
                for i, j in _entries(idx_b.size)]
    return results


def simulate_linear_gaussian(samples: int = DEFAULT_SAMPLES, seed: int = 0,
                             setting: MultivariateSetting = MultivariateSetting(), chunk: int = 100_000,
                             progress: Progress | None = None, linear_gaussian: Callable | None = None
                             ) -> list[ClaimResult]:
    """p(y) = N(A mu + b, L^-1 + A Lambda^-1 A^T) (``linear-gaussian``): the sample mean and the unbiased
    sample covariance of y = A x + b + eps over `samples` draws of x ~ N(mu, Lambda^-1) and
    eps ~ N(0, L^-1) (each drawn as U^-T z with U the Cholesky factor of its precision). Standard errors
    from the derived covariance C of y: sqrt(C_ii / R) and sqrt((C_ij^2 + C_ii C_jj) / (R - 1)).
    ``linear_gaussian`` replaces the derived claim (mu, Lambda, A, b, L)."""
    from . import multivariate

    samples, seed, chunk = _check_counts(samples, seed, chunk)
    Lambda, L = validate.covariance(setting.Lambda, "Lambda"), validate.covariance(setting.L, "L")
    p, q = Lambda.shape[-1], L.shape[-1]
    A = validate.matrix(setting.A, "A", (q, p))
    mu, b = validate.vector(setting.mu, "mu", p, match="Lambda"), validate.vector(setting.b, "b", q, match="L")
    # x - mu = U^-T z has covariance (U U^T)^-1 = Lambda^-1: the factor is the p x p triangular U^-T
    x_factor = np.linalg.inv(np.linalg.cholesky(Lambda).T)
    eps_factor = np.linalg.inv(np.linalg.cholesky(L).T)
    rng = np.random.default_rng(seed)
    sums = _Sums(b)
    done = 0
    for size in _chunks(samples, chunk):
        x = mu[:, np.newaxis] + _normal_columns(rng, size, x_factor)
        sums.add(A @ x + b[:, np.newaxis] + _normal_columns(rng, size, eps_factor))
        done += size
        if progress:
            progress(done, samples)
    exact_mean, exact_cov = (linear_gaussian or multivariate.linear_gaussian)(mu, Lambda, A, b, L)
    estimate_mean, estimate_cov = sums.mean, sums.covariance
    results = [ClaimResult(f"E[y_{i + 1}] = (A mu + b)_{i + 1}", "linear-gaussian", float(exact_mean[i]),
                           float(estimate_mean[i]), float(np.sqrt(exact_cov[i, i] / samples)))
               for i in range(q)]
    variance = sample_covariance_variance(exact_cov, samples - 1)
    results += [ClaimResult(f"Cov[y_{i + 1}, y_{j + 1}] = (L^-1 + A Lambda^-1 A^T)_{i + 1}{j + 1}", "linear-gaussian",
                            float(exact_cov[i, j]), float(estimate_cov[i, j]), float(np.sqrt(variance[i, j])))
                for i, j in _entries(q)]
    return results


Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Simulation:
    """A simulation and the number of standard normal variates it draws for `samples` data sets."""

    run: Callable[[int, int, "Progress | None"], list[ClaimResult]]
    variates: Callable[[int], int]


_UNIVARIATE = Simulation(lambda samples, seed, progress: simulate_univariate(samples, seed, progress=progress),
                         lambda samples: samples * UnivariateSetting().n)
_SETTING = MultivariateSetting()

#: derivation name -> the simulation that estimates its claims (one simulation may serve several derivations;
#: it runs once and its results are filtered by derivation).
SIMULATIONS: dict[str, Simulation] = {
    "mle-univariate": _UNIVARIATE,
    "unbiased-variance": _UNIVARIATE,
    "mle-multivariate-bias": Simulation(
        lambda samples, seed, progress: simulate_mle_covariance(samples, seed, progress=progress),
        lambda samples: samples * _SETTING.n * len(_SETTING.mean)),
    "conditional": Simulation(
        lambda samples, seed, progress: simulate_conditional(samples, seed, progress=progress),
        lambda samples: samples * len(_SETTING.mean)),
    "linear-gaussian": Simulation(
        lambda samples, seed, progress: simulate_linear_gaussian(samples, seed, progress=progress),
        lambda samples: samples * (len(_SETTING.mu) + len(_SETTING.b))),
}


def _selected(names: Sequence[str]) -> tuple[list[str], list[Simulation]]:
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        raise validate.InputTypeError(f"names must be a sequence of derivation names, got {names!r}")
    for name in names:
        registry.get(name)  # unknown names: UnknownDerivation listing the valid ones
    wanted = list(dict.fromkeys(names)) if names else list(SIMULATIONS)
    return wanted, list(dict.fromkeys(SIMULATIONS[name] for name in wanted if name in SIMULATIONS))


def run_claims(names: Sequence[str] = (), samples: int = DEFAULT_SAMPLES, seed: int = 0,
               progress: Progress | None = None) -> list[ClaimResult]:
    """Run the simulations of the named derivations (all when ``names`` is empty) and return their claims.

    An unknown name raises ``derivations.registry.UnknownDerivation``; a derivation without simulated
    claims contributes nothing. ``progress(done, total)`` is called after each chunk, counting data sets
    over all the simulations run.
    """
    samples, seed, _ = _check_counts(samples, seed)
    wanted, simulations = _selected(names)
    total = samples * len(simulations)
    results: list[ClaimResult] = []
    for k, simulation in enumerate(simulations):
        offset = k * samples
        report = (lambda done, _, offset=offset: progress(offset + done, total)) if progress else None
        results += [r for r in simulation.run(samples, seed, report) if r.derivation in wanted]
    return results


@dataclass(frozen=True)
class Throughput:
    """Standard normal variates per second: the simulations, and the raw generator drawing as many."""

    variates: int
    simulation_seconds: float
    generator_seconds: float

    @property
    def fraction(self) -> float:
        """Simulation throughput as a fraction of the raw generator's."""
        return self.generator_seconds / self.simulation_seconds


def monte_carlo_throughput(names: Sequence[str] = (), samples: int = DEFAULT_SAMPLES, seed: int = 0,
                           chunk: int = 1_000_000) -> Throughput:
    """Time :func:`run_claims` (after one small warm-up run that generates the code) and
    ``Generator.standard_normal`` drawing the same number of variates in chunks of ``chunk``."""
    import time

    samples, seed, chunk = _check_counts(samples, seed, chunk)
    _, simulations = _selected(names)
    run_claims(names, 100, seed)
    start = time.perf_counter()
    run_claims(names, samples, seed)
    simulated = time.perf_counter() - start
    variates = sum(simulation.variates(samples) for simulation in simulations)
    generator = np.random.default_rng(seed)
    start = time.perf_counter()
    for size in _chunks(variates, chunk):
        generator.standard_normal(size)
    return Throughput(variates, simulated, time.perf_counter() - start)
