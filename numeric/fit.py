"""Fitting a bivariate Gaussian to a two-column data file: the MLE, the unbiased covariance, the correlation
and the conditional mean E[x2 | x1] as a line with its conditional standard deviation.

Nothing here restates a Gaussian formula: the estimates come from :func:`numeric.mvn_mle` (the stationary
point of ``mle-multivariate``), the unbiasing factor N/(N-1) from the ``correction`` chain of
``unbiased-variance`` (SymPy solved E[c sigma_hat^2] = sigma^2 for c; E[Sigma_hat] = (N-1)/N Sigma entry by
entry, ``mle-multivariate-bias``, so the same c removes the bias of the covariance), and the line from
:func:`numeric.conditional` (the ``conditional`` derivation's mu_b|a, which is affine in x_a).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from ._codegen import scalar_function

#: The data set shipped with gaussproof (see numeric/data/README.md): height in cm, weight in kg.
EXAMPLE_NAMES = ("height", "weight")
EXAMPLE_UNITS = ("cm", "kg")


def example_path() -> Path:
    """Path of the shipped data set ``numeric/data/height_weight.txt`` (25,000 heights in cm, weights in kg)."""
    return Path(str(resources.files("numeric") / "data" / "height_weight.txt"))


def load_columns(path: str | Path) -> np.ndarray:
    """Read a whitespace-separated two-column numeric file into an array of shape (N, 2).

    Blank lines and ``#`` comments (whole-line or trailing) are skipped. Raises ``ValueError`` naming the
    file and line for a wrong column count, a non-numeric value or a NaN/inf, and for fewer than 2 rows;
    ``OSError`` if the file cannot be read.
    """
    path = Path(path)
    rows: list[tuple[float, float]] = []
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) != 2:
                raise ValueError(f"{path}, line {number}: expected 2 columns, got {len(fields)}: {line.strip()!r}")
            values = []
            for field in fields:
                try:
                    value = float(field)
                except ValueError:
                    hint = " (mark a header line as a comment with #)" if not rows else ""
                    raise ValueError(f"{path}, line {number}: not a number: {field!r}{hint}") from None
                if not math.isfinite(value):
                    raise ValueError(f"{path}, line {number}: {field!r} is not a finite number (NaN or inf)")
                values.append(value)
            rows.append((values[0], values[1]))
    if len(rows) < 2:
        raise ValueError(f"{path}: need at least 2 data rows to fit a covariance, found {len(rows)}")
    return np.array(rows, dtype=float)


@lru_cache(maxsize=None)
def _unbiasing_factor() -> Callable:
    from derivations import registry
    from derivations.notation import N

    (solution,) = registry.get("unbiased-variance").chain("correction").last  # Eq(c, N/(N - 1))
    return scalar_function(solution.rhs, (N,))


def unbiasing_factor(n: int) -> float:
    """The factor c = N/(N-1) with E[c sigma_hat^2] = sigma^2, as solved in ``unbiased-variance`` (N >= 2)."""
    n = validate.scalar(validate.sample_size(n, "n", minimum=2), "n")
    return float(_unbiasing_factor()(n))


@dataclass(frozen=True)
class BivariateFit:
    """A bivariate Gaussian fitted by maximum likelihood to N points (x1, x2).

    ``intercept + slope * x1`` is E[x2 | x1] under the fitted Gaussian and ``conditional_sd`` the standard
    deviation of x2 given x1 (the same for every x1).
    """

    n: int
    mean: np.ndarray
    mle_cov: np.ndarray
    unbiased_cov: np.ndarray
    correlation: float
    intercept: float
    slope: float
    conditional_sd: float
    names: tuple[str, str] = ("x1", "x2")
    units: tuple[str, str] = ("", "")

    def label(self, k: int) -> str:
        """Axis label of column k, with its unit if known, e.g. ``height (cm)``."""
        return f"{self.names[k]} ({self.units[k]})" if self.units[k] else self.names[k]

    def conditional_line(self) -> str:
        """E[x2 | x1] = a + b * x1, conditional sd s, in the columns' names."""
        a, b = self.intercept, self.slope
        sign = "-" if b < 0 else "+"
        unit = f" {self.units[1]}" if self.units[1] else ""
        return (f"E[{self.names[1]} | {self.names[0]}] = {a:.6g} {sign} {abs(b):.6g} * {self.names[0]}, "
                f"conditional sd {self.conditional_sd:.6g}{unit}")

    def __str__(self) -> str:
        width = max(len(n) for n in self.names)

        def matrix(m: np.ndarray) -> list[str]:
            return [f"  {self.names[k]:<{width}}  {m[k, 0]:>14.6g}  {m[k, 1]:>14.6g}" for k in range(2)]

        header = f"  {'':<{width}}  {self.names[0]:>14}  {self.names[1]:>14}"
        return "\n".join([
            f"bivariate Gaussian fitted to N = {self.n} points ({self.label(0)}, {self.label(1)})",
            "mean:",
            *(f"  {self.names[k]:<{width}}  {self.mean[k]:>14.6g}" for k in range(2)),
            "MLE covariance (divide by N):", header, *matrix(self.mle_cov),
            "unbiased covariance (divide by N - 1):", header, *matrix(self.unbiased_cov),
            f"correlation: {self.correlation:.6g}",
            self.conditional_line(),
        ])


def fit_bivariate(data: ArrayLike, names: tuple[str, str] = ("x1", "x2"),
                  units: tuple[str, str] = ("", "")) -> BivariateFit:
    """Fit N(mean, cov) to the rows of ``data`` (shape (N, 2)) by maximum likelihood.

    Returns the MLE (mean, Sigma_hat), S = N/(N-1) Sigma_hat, the correlation
    Sigma_hat_12 / sqrt(Sigma_hat_11 Sigma_hat_22), and the conditional mean E[x2 | x1] of the fitted
    Gaussian as intercept and slope with the conditional standard deviation.
    """
    from .multivariate import conditional, mvn_mle

    data = validate.bivariate_data(data, "data")
    names, units = validate.labels(names, "names"), validate.labels(units, "units")
    n = data.shape[0]
    mean, cov = mvn_mle(data)
    mean, cov = np.asarray(mean, dtype=float), np.asarray(cov, dtype=float)
    if not np.all(np.linalg.eigvalsh(cov) > 0):
        raise ValueError("the fitted covariance is singular: the two columns are exactly collinear "
                         "(or one is constant)")
    sd = np.sqrt(np.diag(cov))
    # E[x2 | x1] is affine in x1: read off the line at x1 = mean_1 and mean_1 + sd_1, and at x1 = 0.
    at = np.array([[mean[0]], [mean[0] + sd[0]], [0.0]])
    mean_b, cov_b = conditional(mean, cov, [0], at)
    mean_b = np.asarray(mean_b, dtype=float).reshape(-1)
    cov_b = np.asarray(cov_b, dtype=float).reshape(-1)
    return BivariateFit(
        n=n, mean=mean, mle_cov=cov, unbiased_cov=unbiasing_factor(n) * cov,
        correlation=float(cov[0, 1] / (sd[0] * sd[1])),
        intercept=float(mean_b[2]), slope=float((mean_b[1] - mean_b[0]) / sd[0]),
        conditional_sd=float(np.sqrt(cov_b[0])), names=names, units=units,
    )


def fit_file(path: str | Path, names: tuple[str, str] = ("x1", "x2"),
             units: tuple[str, str] = ("", "")) -> tuple[BivariateFit, np.ndarray]:
    """Load a two-column file (:func:`load_columns`) and fit it (:func:`fit_bivariate`); returns (fit, data)."""
    data = load_columns(path)
    return fit_bivariate(data, names, units), data
