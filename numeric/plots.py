"""Figures (matplotlib, Agg backend: no display needed): the bias of sigma_hat^2, a 2-D density, conditioning,
and a fitted bivariate Gaussian over data.

Every curve is evaluated with the numeric API (generated from the derivations), never a formula typed here:
the bias curve is :func:`numeric.expected_mle_var`, the points and error bars come from
:func:`numeric.simulate.simulate_univariate` (standard errors from the *derived* Var[sigma_hat^2]), densities
from :func:`numeric.pdf`, the conditional mean and covariance from :func:`numeric.conditional`.

:func:`save` writes PNG, SVG or PDF by the extension of the path, through a temporary file in the same
directory that replaces the target only when complete (no partial file on failure;
:mod:`derivations.output_file`: only a regular file is replaced, a device or FIFO is refused).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from derivations.output_file import check_target, write_atomically

from . import validate

FORMATS = ("png", "svg", "pdf")
KINDS = ("bias", "density", "conditional", "fit")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def output_format(path: str | Path) -> str:
    """The figure format for ``path`` (png, svg or pdf, from its extension). ValueError for a path that cannot
    take an output file (:func:`derivations.output_file.check_target`: a directory, a device or FIFO, a
    missing or unwritable directory), then for any other extension. Call it before the work of drawing."""
    check_target(path)
    path = Path(path)
    extension = path.suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise ValueError(f"cannot write {str(path)!r}: unsupported extension "
                         f"{path.suffix or '(none)'!r}; use one of {', '.join('.' + f for f in FORMATS)}")
    return extension


def save(figure, path: str | Path) -> Path:
    """Save ``figure`` to ``path`` in the format named by its extension and close it; returns the path.

    Atomic (:func:`derivations.output_file.write_atomically`): an existing regular file is replaced and keeps
    its permission bits, a new file gets 0o666 less the umask, a symlink is written through; a device, FIFO or
    directory is refused with ValueError (``OutputFileError``), as is any OSError, and no partial file is left.
    """
    plt = _pyplot()
    try:
        extension = output_format(path)
        write_atomically(path, lambda temporary: figure.savefig(temporary, format=extension, dpi=110))
    finally:
        plt.close(figure)
    return Path(path)


# ----------------------------------------------------------------------------------------------------------
def bias_figure(sizes: Sequence[int] = tuple(range(2, 21)), samples: int = 20_000, seed: int = 0,
                sigma2: float = 1.0):
    """E[sigma_hat^2]/sigma^2 against N: the derived (N-1)/N with Monte Carlo estimates of E[sigma_hat^2] and
    E[S^2] (``samples`` simulated data sets per N), error bars +- 2 standard errors from the derived variances."""
    from .simulate import UnivariateSetting, simulate_univariate
    from .univariate import expected_mle_var

    sizes = np.asarray(validate.sample_size(sizes, "sizes", minimum=2)).reshape(-1)
    samples, seed = validate.count(samples, "samples", minimum=2), validate.count(seed, "seed", minimum=0)
    sigma2 = validate.scalar(validate.positive(sigma2, "sigma2"), "sigma2")
    estimates = {"E[sigma_hat^2]": [], "E[S^2]": []}
    for k, n in enumerate(sizes):
        results = simulate_univariate(samples, seed + k, UnivariateSetting(n=int(n), mu=0.0, sigma2=sigma2))
        for result in results:
            for claim in estimates:
                if result.claim.startswith(claim):
                    estimates[claim].append((result.estimate / sigma2, result.standard_error / sigma2))
    exact = expected_mle_var(sigma2, sizes) / sigma2

    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.axhline(1.0, color="0.6", linestyle=":", label="1 (unbiased)")
    axes.plot(sizes, exact, "-", color="C0", label=r"exact $E[\hat\sigma^2]/\sigma^2 = (N-1)/N$")
    for (claim, values), colour, marker, label in (
            (("E[sigma_hat^2]", estimates["E[sigma_hat^2]"]), "C1", "o",
             r"Monte Carlo $\hat\sigma^2$ (MLE, divide by N)"),
            (("E[S^2]", estimates["E[S^2]"]), "C2", "s", r"Monte Carlo $S^2$ (divide by N$-$1)")):
        mean, error = np.array(values).T
        axes.errorbar(sizes, mean, yerr=2 * error, fmt=marker, color=colour, markersize=4, capsize=3,
                      label=label)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("sample size N")
    axes.set_ylabel(r"E[estimate] / $\sigma^2$")
    axes.set_title(f"Bias of the variance MLE ({samples} simulated data sets per N, error bars $\\pm$2 s.e.)",
                   fontsize=10)
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def _mean_cov(mean, cov) -> tuple[np.ndarray, np.ndarray]:
    cov = validate.covariance(cov, "cov")
    if cov.shape != (2, 2):
        raise ValueError(f"cov must be 2 x 2 for a 2-D figure, got shape {cov.shape}")
    return validate.vector(mean, "mean", 2), cov


def _grid(mean: np.ndarray, cov: np.ndarray, points: int = 120, width: float = 3.5):
    sd = np.sqrt(np.diag(cov))
    x1 = np.linspace(mean[0] - width * sd[0], mean[0] + width * sd[0], points)
    x2 = np.linspace(mean[1] - width * sd[1], mean[1] + width * sd[1], points)
    g1, g2 = np.meshgrid(x1, x2)
    return g1, g2, np.stack([g1, g2], axis=-1)


def _mahalanobis_levels(mean: np.ndarray, cov: np.ndarray, radii: Sequence[float] = (3, 2, 1)) -> np.ndarray:
    """Density values on the ellipses at Mahalanobis distance r: the density at mean + r L e_1 (Sigma = L L^T),
    a point whose distance from the mean is exactly r."""
    from .multivariate import pdf

    lower = np.linalg.cholesky(cov)
    points = mean + np.asarray(radii, dtype=float)[:, None] * lower[:, 0]
    return np.asarray(pdf(points, mean, cov), dtype=float)


def _labels(names: Sequence[str], units: Sequence[str]) -> list[str]:
    return [f"{n} ({u})" if u else n for n, u in zip(names, units)]


def density_figure(mean=(0.0, 0.0), cov=((1.0, 0.6), (0.6, 2.0))):
    """The density of N(mean, cov) in 2-D: a 3-D surface and a contour plot."""
    from .multivariate import pdf

    mean, cov = _mean_cov(mean, cov)
    s1, s2, coarse = _grid(mean, cov, points=50)
    g1, g2, grid = _grid(mean, cov)
    density = np.asarray(pdf(grid, mean, cov), dtype=float)

    plt = _pyplot()
    figure = plt.figure(figsize=(11, 4.8))
    surface = figure.add_subplot(1, 2, 1, projection="3d")
    # Stride 1: every face is a quadrilateral. With faces of mixed sizes (plot_surface's default downsampling),
    # matplotlib 3.11 pads them in an uninitialised array and projects the padding too, which warns "overflow
    # encountered in dot" at random (matplotlib issue #32272, open; fix proposed in PR #32310).
    surface.plot_surface(s1, s2, np.asarray(pdf(coarse, mean, cov), dtype=float), rstride=1, cstride=1,
                         cmap="viridis", linewidth=0, antialiased=True)
    surface.set_xlabel("$x_1$")
    surface.set_ylabel("$x_2$")
    surface.set_zlabel("density")
    surface.set_title("density surface")
    contour = figure.add_subplot(1, 2, 2)
    filled = contour.contourf(g1, g2, density, levels=15, cmap="viridis")
    figure.colorbar(filled, ax=contour, label="density")
    contour.contour(g1, g2, density, levels=_mahalanobis_levels(mean, cov), colors="white", linewidths=1)
    contour.plot(*mean, "r+", markersize=10, label="mean")
    contour.plot([], [], color="white", label="Mahalanobis distance 1, 2, 3")
    contour.set_xlabel("$x_1$")
    contour.set_ylabel("$x_2$")
    contour.set_title("contours")
    contour.legend(loc="upper left", facecolor="0.85")
    figure.suptitle(f"2-D Gaussian, mean ({mean[0]:g}, {mean[1]:g}), covariance "
                    f"[[{cov[0, 0]:g}, {cov[0, 1]:g}], [{cov[1, 0]:g}, {cov[1, 1]:g}]]")
    figure.tight_layout()
    return figure


def _conditional_line(mean: np.ndarray, cov: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, float]:
    """E[x2 | x1] on the points ``x1`` and the conditional variance (from :func:`numeric.conditional`)."""
    from .multivariate import conditional

    mean_b, cov_b = conditional(mean, cov, [0], np.asarray(x1, dtype=float)[:, None])
    return np.asarray(mean_b, dtype=float).reshape(-1), float(np.asarray(cov_b, dtype=float).reshape(-1)[0])


def conditional_figure(mean=(0.0, 0.0), cov=((1.0, 0.6), (0.6, 2.0)), at: float | None = None):
    """Conditioning a 2-D Gaussian on x1 = ``at`` (default mean_1 + sd_1): joint contours with the line
    E[x2 | x1], and the conditional density p(x2 | x1 = at) next to the marginal p(x2)."""
    from .multivariate import marginal, pdf

    mean, cov = _mean_cov(mean, cov)
    at = float(mean[0] + np.sqrt(cov[0, 0])) if at is None else validate.scalar(validate.finite_array(at, "at"), "at")
    g1, g2, grid = _grid(mean, cov)
    density = np.asarray(pdf(grid, mean, cov), dtype=float)
    line_x1 = g1[0]
    line, conditional_var = _conditional_line(mean, cov, line_x1)
    (mean_at,), _ = _conditional_line(mean, cov, np.array([at]))
    sd_at = np.sqrt(conditional_var)

    plt = _pyplot()
    figure, (joint, slice_) = plt.subplots(1, 2, figsize=(11, 4.6))
    joint.contour(g1, g2, density, levels=_mahalanobis_levels(mean, cov), colors="C2", linewidths=1.2)
    joint.plot([], [], color="C2", label="joint density (Mahalanobis 1, 2, 3)")
    joint.plot(line_x1, line, color="C3", label=r"$E[x_2 \mid x_1]$")
    joint.axvline(at, color="C1", linestyle="--", label=f"$x_1$ = {at:g}")
    joint.plot(at, mean_at, "o", color="C1")
    joint.set_xlim(g1.min(), g1.max())
    joint.set_ylim(g2.min(), g2.max())
    joint.set_xlabel("$x_1$")
    joint.set_ylabel("$x_2$")
    joint.set_title("joint density and conditional mean")
    joint.legend(loc="upper left", fontsize=8)

    x2 = np.linspace(g2.min(), g2.max(), 400)[:, None]
    conditional_density = np.asarray(pdf(x2, np.array([mean_at]), np.array([[conditional_var]])), dtype=float)
    marginal_mean, marginal_cov = marginal(mean, cov, [1])
    marginal_density = np.asarray(pdf(x2, marginal_mean, marginal_cov), dtype=float)
    slice_.plot(x2[:, 0], conditional_density, color="C1",
                label=f"$p(x_2 \\mid x_1 = {at:g})$: mean {mean_at:.3g}, sd {sd_at:.3g}")
    slice_.plot(x2[:, 0], marginal_density, color="0.5", linestyle="--", label="marginal $p(x_2)$")
    slice_.set_xlabel("$x_2$")
    slice_.set_ylabel("density")
    slice_.set_title(f"conditional density at $x_1$ = {at:g}")
    slice_.legend(loc="upper left", fontsize=8)
    figure.suptitle(f"Conditioning a 2-D Gaussian, mean ({mean[0]:g}, {mean[1]:g}), covariance "
                    f"[[{cov[0, 0]:g}, {cov[0, 1]:g}], [{cov[1, 0]:g}, {cov[1, 1]:g}]]")
    figure.tight_layout()
    return figure


def fit_figure(fit, data: np.ndarray, max_points: int = 5_000, seed: int = 0):
    """Data (a random subsample of at most ``max_points``, translucent) with the fitted Gaussian's density
    contours at Mahalanobis distance 1, 2, 3 and the conditional-mean line E[x2 | x1]."""
    from .fit import BivariateFit
    from .multivariate import pdf

    if not isinstance(fit, BivariateFit):
        raise validate.InputTypeError(f"fit must be a BivariateFit (from numeric.fit.fit_bivariate), "
                                      f"got {type(fit).__name__}")
    data = validate.bivariate_data(data, "data")
    max_points = validate.count(max_points, "max_points", minimum=1)
    seed = validate.count(seed, "seed", minimum=0)
    shown = data
    if data.shape[0] > max_points:
        shown = data[np.random.default_rng(seed).choice(data.shape[0], max_points, replace=False)]
    low, high = data.min(axis=0), data.max(axis=0)
    pad = 0.05 * (high - low)
    x1 = np.linspace(low[0] - pad[0], high[0] + pad[0], 150)
    x2 = np.linspace(low[1] - pad[1], high[1] + pad[1], 150)
    g1, g2 = np.meshgrid(x1, x2)
    density = np.asarray(pdf(np.stack([g1, g2], axis=-1), fit.mean, fit.mle_cov), dtype=float)
    line, _ = _conditional_line(fit.mean, fit.mle_cov, x1)

    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7.5, 5.5))
    axes.scatter(shown[:, 0], shown[:, 1], s=3, alpha=0.25, color="C0", linewidths=0,
                 label=f"data ({len(shown)} of {data.shape[0]} points)" if len(shown) < len(data)
                 else f"data ({len(data)} points)")
    axes.contour(g1, g2, density, levels=_mahalanobis_levels(fit.mean, fit.mle_cov), colors="C1",
                 linewidths=1.2)
    axes.plot([], [], color="C1", label="fitted density, Mahalanobis distance 1, 2, 3")
    axes.plot(x1, line, color="C3", linewidth=2,
              label=f"E[{fit.names[1]} | {fit.names[0]}] = {fit.intercept:.4g} "
                    f"{'-' if fit.slope < 0 else '+'} {abs(fit.slope):.4g} {fit.names[0]}")
    axes.set_xlim(x1[0], x1[-1])
    axes.set_ylim(x2[0], x2[-1])
    labels = _labels(fit.names, fit.units)
    axes.set_xlabel(labels[0])
    axes.set_ylabel(labels[1])
    axes.set_title(f"Bivariate Gaussian MLE, N = {fit.n}, correlation {fit.correlation:.3f}")
    axes.legend(loc="upper left", fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure
