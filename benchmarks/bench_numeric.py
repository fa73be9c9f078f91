"""Benchmark: the numeric side against SciPy, a hand-written NumPy version, and the raw random generator.

Run: python benchmarks/bench_numeric.py [--repeat K]
Prints, in one run (best of K runs each; for logpdf best of 2K with the three versions timed in turn in each
round, so that a slow spell of a shared machine hits all of them; code generation done beforehand, not timed):

1. ``numeric.logpdf`` on 10^6 points at p = 2 and p = 10 against ``scipy.stats.multivariate_normal.logpdf``
   and against a NumPy Cholesky version written here (factor once, the triangular system solved for all
   points at once, sum of squares, log-determinant from the factor's diagonal). Targets: speed >= 1.0x SciPy's, time within
   1.25x of the hand-written version.
2. Monte Carlo throughput of each simulation behind ``gaussproof simulate`` and of all of them
   (``numeric.simulate.monte_carlo_throughput``: standard normal variates drawn and turned into estimates, per
   second) against ``Generator.standard_normal`` alone drawing as many variates. Target: >= 50% of the raw
   generator's throughput.

Each line says whether its target is met; the script exits 0 either way (it is a measurement, not a test).

BLAS runs single-threaded for every contender (set before NumPy loads; override with OPENBLAS_NUM_THREADS):
on 2 cores shared with other work, OpenBLAS's worker threads made the same matrix product 10-20x slower in
some runs, so best-of-k timings and their ratios swung from run to run.
"""

from __future__ import annotations

import argparse
import os
import time
import timeit

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402  (after the thread settings)
from scipy.stats import multivariate_normal  # noqa: E402

import numeric  # noqa: E402
from numeric.simulate import DEFAULT_SAMPLES, SIMULATIONS, monte_carlo_throughput  # noqa: E402

POINTS = 1_000_000
SPEED_VS_SCIPY = 1.0  # numeric.logpdf at least as fast as SciPy
SLOWDOWN_VS_HAND = 1.25  # numeric.logpdf at most 1.25x the hand-written time
THROUGHPUT_FRACTION = 0.5  # Monte Carlo at >= 50% of the raw generator


def hand_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """NumPy Cholesky log-density: Sigma = L L^T once; z = L^-1 (x - mu) for all points; sum of squares;
    log det Sigma = 2 sum log diag L.

    The triangular system is solved for all points at once through the p x p inverse of the factor (one
    solve against the identity, then one matrix product over the points). ``np.linalg.solve(L, (x - mu).T)``
    on all points is the other NumPy route: it was 2.3x (p = 2) and 4.7x (p = 10) slower when measured,
    which would make the "within 1.25x of hand-written" target too easy.
    """
    lower = np.linalg.cholesky(cov)
    inverse_factor = np.linalg.solve(lower, np.eye(cov.shape[0]))
    z = (x - mean) @ inverse_factor.T
    half_log_det = np.log(np.diag(lower)).sum()
    return -0.5 * np.einsum("ij,ij->i", z, z) - half_log_det - 0.5 * cov.shape[0] * np.log(2 * np.pi)


def _best(function, repeat: int) -> float:
    return min(timeit.repeat(function, number=1, repeat=repeat))


def _best_interleaved(functions, repeat: int) -> list[float]:
    """Best time of each function, the functions timed in turn within each round, so that a slow spell of a
    shared machine hits all of them rather than the one that happened to run then."""
    times = [[timeit.timeit(f, number=1) for f in functions] for _ in range(repeat)]
    return [min(column) for column in zip(*times)]


def _verdict(met: bool) -> str:
    return "target met" if met else "target NOT met"


def _random_case(p: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    factor = rng.standard_normal((p, p))
    cov = factor @ factor.T + p * np.eye(p)
    mean = rng.standard_normal(p)
    x = mean + rng.standard_normal((POINTS, p)) @ np.linalg.cholesky(cov).T
    return x, mean, cov


def bench_logpdf(repeat: int) -> None:
    rng = np.random.default_rng(0)
    print(f"logpdf on {POINTS:,} points (best of {2 * repeat}, interleaved; ratio > 1 means numeric.logpdf is faster)")
    print(f"{'p':>3}  {'numeric s':>9}  {'scipy s':>8}  {'hand s':>8}  {'scipy/numeric':>13}  {'hand/numeric':>12}"
          f"  targets")
    for p in (2, 10):
        x, mean, cov = _random_case(p, rng)
        ours = np.asarray(numeric.logpdf(x, mean, cov))  # also generates the code: not timed below
        reference = multivariate_normal.logpdf(x, mean, cov)
        hand = hand_logpdf(x, mean, cov)
        error = max(np.max(np.abs(ours - reference)), np.max(np.abs(hand - reference)))
        assert error < 1e-8 * max(1.0, np.max(np.abs(reference))), f"p = {p}: results disagree by {error:.3g}"
        t_ours, t_scipy, t_hand = _best_interleaved([lambda: numeric.logpdf(x, mean, cov),
                                                     lambda: multivariate_normal.logpdf(x, mean, cov),
                                                     lambda: hand_logpdf(x, mean, cov)], 2 * repeat)
        vs_scipy, vs_hand = t_scipy / t_ours, t_hand / t_ours
        print(f"{p:>3}  {t_ours:>9.4f}  {t_scipy:>8.4f}  {t_hand:>8.4f}  {vs_scipy:>12.2f}x  {vs_hand:>11.2f}x  "
              f">= {SPEED_VS_SCIPY:g}x scipy: {_verdict(vs_scipy >= SPEED_VS_SCIPY)}; "
              f">= {1 / SLOWDOWN_VS_HAND:.2f}x hand: {_verdict(vs_hand >= 1 / SLOWDOWN_VS_HAND)}")


def bench_monte_carlo(repeat: int, samples: int = DEFAULT_SAMPLES) -> None:
    print(f"\nMonte Carlo throughput (standard normal variates per second): each simulation of `gaussproof "
          f"simulate`\nat {samples:,} data sets, best of {repeat}, against Generator.standard_normal alone")
    print(f"{'simulation':<25}  {'variates':>10}  {'simulation /s':>14}  {'generator /s':>13}  {'fraction':>8}  target")
    groups: dict[object, str] = {}
    for name, simulation in SIMULATIONS.items():
        groups.setdefault(simulation, name)  # one line per simulation (some serve several derivations)
    for label, names in [*((name, [name]) for name in groups.values()), ("all (gaussproof simulate)", [])]:
        runs = [monte_carlo_throughput(names, samples) for _ in range(repeat)]
        variates = runs[0].variates
        simulated = min(r.simulation_seconds for r in runs)
        generated = min(r.generator_seconds for r in runs)
        fraction = generated / simulated
        print(f"{label:<25}  {variates:>10,}  {variates / simulated:>14.3g}  {variates / generated:>13.3g}  "
              f"{fraction:>7.0%}  >= {THROUGHPUT_FRACTION:.0%}: {_verdict(fraction >= THROUGHPUT_FRACTION)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats, best taken (default 5)")
    args = parser.parse_args()
    start = time.perf_counter()
    bench_logpdf(args.repeat)
    bench_monte_carlo(args.repeat)
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
