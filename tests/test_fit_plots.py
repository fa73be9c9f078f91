"""gaussproof fit and plot: the bivariate fit against plain NumPy, the loader's errors, every figure kind in
every format, output-path errors, and the CLI's exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.cli import main
from numeric import plots
from numeric.fit import BivariateFit, example_path, fit_bivariate, fit_file, load_columns, unbiasing_factor


@pytest.fixture(scope="module")
def shipped() -> tuple[BivariateFit, np.ndarray]:
    return fit_file(example_path(), ("height", "weight"), ("cm", "kg"))


# ---------------------------------------------------------------------------------------------------------
# the fit against plain NumPy

def test_shipped_data_loads_as_25000_rows(shipped):
    _, data = shipped
    assert data.shape == (25_000, 2)
    np.testing.assert_array_equal(data[0], [167.089607, 51.252494])  # first line of the file


def test_fit_matches_numpy(shipped):
    fit, data = shipped
    assert fit.n == 25_000
    np.testing.assert_allclose(fit.mean, np.mean(data, axis=0), rtol=1e-12)
    np.testing.assert_allclose(fit.mle_cov, np.cov(data, rowvar=False, bias=True), rtol=1e-10)
    np.testing.assert_allclose(fit.unbiased_cov, np.cov(data, rowvar=False, ddof=1), rtol=1e-10)
    assert fit.correlation == pytest.approx(np.corrcoef(data, rowvar=False)[0, 1], rel=1e-10)


def test_conditional_mean_line_is_the_least_squares_line(shipped):
    fit, data = shipped
    slope, intercept = np.polyfit(data[:, 0], data[:, 1], 1)
    assert fit.slope == pytest.approx(slope, rel=1e-9)
    assert fit.intercept == pytest.approx(intercept, rel=1e-9, abs=1e-9)
    residuals = data[:, 1] - (intercept + slope * data[:, 0])
    # the conditional variance of the MLE is the mean squared residual of the least-squares line
    assert fit.conditional_sd == pytest.approx(np.sqrt(np.mean(residuals ** 2)), rel=1e-9)


def test_fit_on_random_data_with_negative_slope():
    rng = np.random.default_rng(3)
    x1 = rng.normal(size=50)
    data = np.column_stack([x1, 4.0 - 2.5 * x1 + rng.normal(scale=0.3, size=50)])
    fit = fit_bivariate(data)
    slope, intercept = np.polyfit(data[:, 0], data[:, 1], 1)
    assert (fit.slope, fit.intercept) == (pytest.approx(slope, rel=1e-9), pytest.approx(intercept, rel=1e-9))
    assert fit.correlation < -0.9
    assert "E[x2 | x1] = " in str(fit) and " - " in fit.conditional_line()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 60), seed=st.integers(0, 2 ** 32 - 1), scale=st.floats(1e-3, 1e3),
       shift=st.floats(-1e4, 1e4), rho=st.floats(-0.99, 0.99))
def test_fit_matches_numpy_on_random_data(n, seed, scale, shift, rho):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    data = shift + scale * np.column_stack([z[:, 0], rho * z[:, 0] + np.sqrt(1 - rho ** 2) * z[:, 1]])
    fit = fit_bivariate(data)
    np.testing.assert_allclose(fit.mean, data.mean(axis=0), rtol=1e-10, atol=1e-10 * scale)
    np.testing.assert_allclose(fit.mle_cov, np.cov(data, rowvar=False, bias=True), rtol=1e-8, atol=1e-10 * scale ** 2)
    np.testing.assert_allclose(fit.unbiased_cov, np.cov(data, rowvar=False, ddof=1), rtol=1e-8,
                               atol=1e-10 * scale ** 2)
    assert fit.correlation == pytest.approx(np.corrcoef(data, rowvar=False)[0, 1], rel=1e-8, abs=1e-10)
    slope, intercept = np.polyfit(data[:, 0], data[:, 1], 1)
    assert fit.slope == pytest.approx(slope, rel=1e-7, abs=1e-9)
    assert fit.intercept == pytest.approx(intercept, rel=1e-7, abs=1e-9 * (scale + abs(shift)))


def test_unbiasing_factor_is_n_over_n_minus_1_and_rejects_n_1():
    assert [unbiasing_factor(n) for n in (2, 3, 10)] == pytest.approx([2.0, 1.5, 10 / 9])
    with pytest.raises(ValueError, match="n must be at least 2"):
        unbiasing_factor(1)


def test_report_names_every_figure(shipped):
    fit, _ = shipped
    text = str(fit)
    for needle in ("N = 25000", "height (cm)", "weight (kg)", "MLE covariance", "unbiased covariance",
                   "correlation: ", "E[weight | height] = ", "* height, conditional sd ", " kg"):
        assert needle in text
    assert f"{fit.correlation:.6g}" in text and f"{fit.slope:.6g}" in text


def test_collinear_columns_are_rejected():
    x1 = np.arange(5.0)
    with pytest.raises(ValueError, match="singular"):
        fit_bivariate(np.column_stack([x1, 2 * x1 + 1]))


# ---------------------------------------------------------------------------------------------------------
# the loader's errors

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.txt"
    path.write_text(text)
    return path


def test_loader_skips_comments_and_blank_lines(tmp_path):
    path = _write(tmp_path, "# height weight\n\n1 2\n  3\t4   # trailing comment\n\n5 7\n")
    np.testing.assert_array_equal(load_columns(path), [[1, 2], [3, 4], [5, 7]])


@pytest.mark.parametrize("text, message", [
    ("1 2\n3 4 5\n", r"line 2: expected 2 columns, got 3"),
    ("1 2\n\n7\n", r"line 3: expected 2 columns, got 1"),
    ("1 2\n3 abc\n", r"line 2: not a number: 'abc'$"),
    ("height weight\n1 2\n", r"line 1: not a number: 'height' \(mark a header line as a comment with #\)"),
    ("1 2\nnan 4\n", r"line 2: 'nan' is not a finite number"),
    ("1 2\n3 inf\n", r"line 2: 'inf' is not a finite number"),
    ("# only\n1 2\n", r"need at least 2 data rows to fit a covariance, found 1"),
    ("", r"need at least 2 data rows to fit a covariance, found 0"),
])
def test_loader_errors_name_file_line_and_problem(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as info:
        load_columns(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------------------------------------------
# figures

def _assert_picture(path: Path) -> None:
    import matplotlib.image

    assert path.stat().st_size > 5_000
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
    assert np.unique(image.reshape(-1, image.shape[-1]), axis=0).shape[0] > 50  # not a blank canvas


@pytest.mark.parametrize("kind", plots.KINDS)
def test_every_kind_writes_a_png(kind, tmp_path, capsys):
    path = tmp_path / f"{kind}.png"
    options = ["--samples", "2000"] if kind == "bias" else []
    assert main(["plot", kind, "-o", str(path), *options]) == 0
    assert str(path) in capsys.readouterr().out
    _assert_picture(path)


def test_svg_and_pdf_by_extension(tmp_path):
    svg, pdf = tmp_path / "c.svg", tmp_path / "c.pdf"
    assert main(["plot", "conditional", "-o", str(svg), "--mean=-1,2", "--cov", "2,-0.5,1", "--at", "0.5"]) == 0
    assert main(["plot", "density", "-o", str(pdf)]) == 0
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000


def test_density_surface_has_uniform_faces():
    """Ragged surface faces make matplotlib 3.11 project uninitialised padding (random overflow warnings,
    matplotlib issue #32272): the density surface must consist of whole quadrilaterals only."""
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    figure = plots.density_figure()
    (surface,) = [c for c in figure.axes[0].collections if isinstance(c, Poly3DCollection)]
    assert surface._faces.shape[1:] == (4, 3) and not np.any(surface._invalid_vertices)
    plots._pyplot().close(figure)


def test_fit_plot_from_the_fit_command(tmp_path, capsys):
    path = tmp_path / "fit.png"
    assert main(["fit", "--example", "--plot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "E[weight | height] = " in out and f"plot written to {path}" in out
    _assert_picture(path)


@pytest.mark.parametrize("name, message", [
    ("figure.jpg", "unsupported extension '.jpg'; use one of .png, .svg, .pdf"),
    ("figure", r"unsupported extension '\(none\)'"),
    ("missing/figure.png", "directory .* does not exist"),
])
def test_bad_output_paths_are_refused_before_drawing(tmp_path, name, message, capsys):
    path = tmp_path / name
    assert main(["plot", "density", "-o", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaussproof: error: cannot write") and len(err.strip().splitlines()) == 1
    assert re.search(message, err)
    assert not path.exists()
    with pytest.raises(ValueError, match=message):
        plots.output_format(path)


def test_failed_save_leaves_no_partial_file(tmp_path):
    figure = plots.density_figure()
    target = tmp_path / "out.png"
    target.mkdir()  # a directory in the way: the save must fail and leave nothing behind
    with pytest.raises(ValueError, match="it is a directory"):
        plots.save(figure, target)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_write_error_midway_leaves_no_partial_file(tmp_path, monkeypatch):
    figure = plots.density_figure()

    def fail_halfway(path, **options):
        Path(path).write_bytes(b"\x89PNG half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(figure, "savefig", fail_halfway)
    target = tmp_path / "out.png"
    with pytest.raises(ValueError, match="cannot write .*No space left on device"):
        plots.save(figure, target)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------------------
# CLI

def test_fit_command_prints_every_figure(capsys):
    assert main(["fit", str(example_path()), "--names", "h,w"]) == 0
    out = capsys.readouterr().out
    for needle in ("mean:", "MLE covariance", "unbiased covariance", "correlation: ", "E[w | h] = "):
        assert needle in out


@pytest.mark.parametrize("argv, message", [
    (["fit"], "give a data FILE or --example"),
    (["fit", "x.txt", "--example"], "give either FILE or --example, not both"),
    (["fit", "/nonexistent/data.txt"], "cannot read '/nonexistent/data.txt'"),
    (["plot", "density", "-o", "x.png", "--cov", "1,2,1"], "--cov is not positive definite"),
])
def test_cli_input_errors_exit_2_with_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaussproof: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_malformed_file_from_the_cli(tmp_path, capsys):
    path = _write(tmp_path, "1 2\n3 4 5\n")
    assert main(["fit", str(path)]) == 2
    assert f"gaussproof: error: {path}, line 2: expected 2 columns, got 3" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["plot", "surface", "-o", "x.png"],
    ["plot", "density", "-o", "x.png", "--mean", "1,2,3"],
    ["plot", "density", "-o", "x.png", "--cov", "1,zero,1"],
    ["plot", "density"],
])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_readme_example_line_is_what_fit_prints(shipped):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (example,) = re.findall(r"gaussproof fit --example --plot fit\.png +# (.*)", readme)
    fit, _ = shipped
    assert example == fit.conditional_line()
