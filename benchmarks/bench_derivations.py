"""Benchmark: verifying every derivation, against sympy.stats computing E[sigma_hat^2] at fixed N;
then the conditional of a partitioned Gaussian, explicit components against the dimension-free route.

Run: python benchmarks/bench_derivations.py [--quick]
(``--quick``, the CI smoke run: no table of every derivation, which ``gaussproof verify`` has just printed, and
the explicit-component series stops at p = 3 instead of at the first size over its 30 s limit, which is p = 4.)
Prints the wall time of building and verifying each derivation (SymPy imported beforehand, caches cold),
then, in the same run, the time sympy.stats takes for E[sigma_hat^2] at N = 2..6 (sigma_hat^2 expanded
first, the fast way), and the ratio of each to our symbolic-N verification of the whole bias chain.
"""

from __future__ import annotations

import subprocess
import sys
import time

import sympy as sp
import sympy.stats as stats


def _sympy_stats_bias(n: int) -> float:
    sample = [stats.Normal(f"X{k}", sp.Symbol("mu", real=True), sp.sqrt(sp.Symbol("sigma^2", positive=True)))
              for k in range(n)]
    mean = sum(sample) / n
    estimator = sp.expand(sum((s - mean) ** 2 for s in sample) / n)
    start = time.perf_counter()
    stats.E(estimator)
    return time.perf_counter() - start


def main() -> None:
    from derivations import registry, verify
    from derivations.checker import check_chain_step
    from derivations.expectation import expectation

    quick = "--quick" in sys.argv[1:]
    if quick:
        print("Verifying every derivation: not run (--quick; `gaussproof verify` does it and prints its time)")
    else:
        print("Verifying every derivation (build = SymPy computing the steps, verify = checking them)")
        print(f"{'derivation':<20} {'steps':>5} {'build s':>8} {'verify s':>9}")
    total = 0.0
    univariate = 0.0
    for name in () if quick else registry.names():
        start = time.perf_counter()
        derivation = registry.get(name)
        built = time.perf_counter() - start
        report = verify(derivation)
        assert report.ok, f"{name} failed verification"
        total += built + report.seconds
        if name in {"loglik-univariate", "mle-univariate", "fisher-univariate", "unbiased-variance"}:
            univariate += built + report.seconds
        print(f"{name:<20} {len(report.results):>5} {built:>8.3f} {report.seconds:>9.3f}")
    if not quick:
        print(f"all derivations: {total:.3f} s; univariate derivations: {univariate:.3f} s (target < 5 s)")

    mle = registry.get("mle-univariate")
    chain = mle.chain("mean-of-sigma2hat")
    expectation.cache_clear()  # time the expectations too, not a cache filled while building
    start = time.perf_counter()
    for k in range(1, len(chain.steps)):
        assert check_chain_step(mle, chain, k).ok
    ours = time.perf_counter() - start
    print(f"\nE[sigma_hat^2] = (N-1)/N sigma^2 for symbolic N, every step checked: {ours:.3f} s")
    print(f"{'N':>3} {'sympy.stats s':>14} {'ratio stats/ours':>17}")
    for n in range(2, 7):
        seconds = _sympy_stats_bias(n)
        print(f"{n:>3} {seconds:>14.3f} {seconds / ours:>16.1f}x")
    conditional_scaling(largest=3 if "--quick" in sys.argv[1:] else 11)


#: Per-size limit for the explicit-component conditional; the first size over it ends the series.
EXPLICIT_LIMIT = 30.0

_EXPLICIT_CODE = """
import time
from derivations.checker import Context, check_step
from derivations.partitioned import explicit_chains
from derivations.registry import get
get("conditional")  # warm: the explicit chains apply its results
start = time.perf_counter()
for c in explicit_chains({m}, {n}):
    verdict = check_step(c.steps[0], c.steps[1], Context(), seconds=None)
    assert verdict.ok, verdict.message
print(time.perf_counter() - start)
"""


def _explicit_conditional_seconds(m: int, n: int) -> float | None:
    """Seconds to build and check joint = marginal x conditional with fully symbolic Sigma of block sizes
    (m, n) (exponent and determinant), in a subprocess killed after EXPLICIT_LIMIT; None if it was."""
    try:
        done = subprocess.run([sys.executable, "-c", _EXPLICIT_CODE.format(m=m, n=n)], capture_output=True,
                              text=True, timeout=EXPLICIT_LIMIT, check=True)
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def conditional_scaling(largest: int = 11) -> None:
    """Time of the conditional derivation against total dimension p = m + n: explicit symbolic components
    (grows with p; stopped at the first size over EXPLICIT_LIMIT) and the dimension-free route (block
    matrices of symbolic size: one derivation for every p), for p up to ``largest``."""
    from derivations import verify
    from derivations.partitioned import conditional

    start = time.perf_counter()
    report = verify(conditional())
    assert report.ok
    dimension_free = time.perf_counter() - start
    print(f"\nConditional of a partitioned Gaussian: explicit symbolic components vs dimension-free")
    print(f"(explicit: build and check the exponent and determinant identities, in a subprocess;"
          f" dimension-free: build and verify 'conditional', {len(report.results)} steps, valid for all m, n)")
    print(f"{'p':>3} {'(m, n)':>7} {'explicit s':>11} {'dimension-free s':>17}")
    for p in range(2, largest + 1):
        m = p // 2
        seconds = _explicit_conditional_seconds(m, p - m)
        shown = f"> {EXPLICIT_LIMIT:.0f}" if seconds is None else f"{seconds:.3f}"
        print(f"{p:>3} {f'({m}, {p - m})':>7} {shown:>11} {dimension_free:>17.3f}")
        if seconds is None:
            break


if __name__ == "__main__":
    main()
