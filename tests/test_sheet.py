"""Formula sheets: structure from the registry, verification status from the checker, the four renderers
(pdflatex compiles the LaTeX; headless Chromium lays out the MathML; the PDF's pages and text), determinism,
and bad input at the command line."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import sympy as sp

from derivations import registry
from derivations.checker import Status
from derivations.cli import main
from derivations.core import Relation, Step
from derivations.mathml import expr_mathml, text_to_html
from derivations.sheet import (CHAIN_GROUPS, CLAIM_CHAINS, GROUPS, OTHER_GROUP, SAMPLES, SEED, SheetError,
                               _tex_code, _tex_text, build_sheet, find_chromium, render, render_pdf, run_chromium,
                               write_atomically)

PDFLATEX = shutil.which("pdflatex")
POPPLER = shutil.which("pdfinfo") and shutil.which("pdftotext")
CHROMIUM = find_chromium()
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (CI installs "
                                    "texlive-latex-base; see .ci/run)")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="pdfinfo/pdftotext are not installed (poppler-utils)")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium browser installed (CI installs "
                                    "Debian's chromium; see .ci/run)")

SMALL = ("loglik-univariate", "mle-univariate", "unbiased-variance", "conditional")


@pytest.fixture(scope="module")
def sheet():
    return build_sheet()


@pytest.fixture(scope="module")
def rendered(sheet):
    return {fmt: render(sheet, fmt).decode("utf-8") for fmt in ("md", "tex", "html")}


@pytest.fixture(scope="module")
def small_with_steps():
    return build_sheet(SMALL, with_steps=True)


# ---- structure ---------------------------------------------------------------------------------------------

def test_every_registered_derivation_is_in_exactly_one_group():
    listed = [name for names in GROUPS.values() for name in names]
    assert sorted(listed) == sorted(registry.names()), "GROUPS must list every registered derivation once"
    for (name, slug), group in CHAIN_GROUPS.items():
        assert group in GROUPS
        registry.get(name).chain(slug)  # raises if the chain does not exist


def test_every_chain_is_one_entry_built_from_the_chain(sheet):
    chains = {(d.name, c.slug): c for d in registry.all_derivations() for c in d.chains}
    entries = {(e.derivation, e.slug): e for e in sheet.entries}
    assert len(entries) == len(sheet.entries) and set(entries) == set(chains)
    assert OTHER_GROUP not in [g.title for g in sheet.groups]
    assert [g.title for g in sheet.groups] == list(GROUPS)
    for key, entry in entries.items():
        chain = chains[key]
        first, last = entry.result[0], entry.result[1]
        # the displayed formula is the chain's own first and last expression (or marked too long), not text
        assert first.expr is chain.first or (first.elided and first.latex_length > 0)
        assert last.expr is chain.last or (last.elided and last.latex_length > 0)
        assert entry.steps == len(chain.steps) - 1 == entry.proved + entry.numeric + entry.failed
        assert (entry.result[-1].relation is Relation.NEG_DEF) == (chain.steps[-1].relation is Relation.NEG_DEF)


def test_status_counts_agree_with_verify(sheet):
    for name in ("mle-univariate", "conditional-explicit", "linear-gaussian"):
        from derivations.checker import Method, verify

        report = verify(registry.get(name))
        entries = [e for e in sheet.entries if e.derivation == name]
        assert sum(e.proved for e in entries) == report.count(Status.VALID, Method.SYMBOLIC)
        assert sum(e.numeric for e in entries) == report.count(Status.VALID, Method.NUMERIC)
    assert sheet.ok and "0 failed" in sheet.summary


def test_a_wrong_step_is_marked_not_verified():
    good = registry.get("loglik-univariate")
    chain = good.chains[0]
    last = chain.steps[-1]
    bad = good.with_step(chain.slug, len(chain.steps) - 1, Step(2 * last.expr, last.justification))
    sheet = build_sheet(derivations=[bad], claims=[])
    (entry,) = sheet.entries
    assert entry.failed == 1 and "NOT VERIFIED" in entry.status and not sheet.ok
    assert "NOT VERIFIED: 1 of 4 steps" in render(sheet, "md").decode()
    assert "status-failed" in render(sheet, "html").decode()


def test_every_simulated_claim_is_on_the_sheet_with_its_z(sheet, rendered):
    from numeric.simulate import run_claims

    claims = run_claims(samples=SAMPLES, seed=SEED)
    assert claims, "the simulation produced no claims"
    on_entries = {(e.derivation, c.claim): e.slug for e in sheet.entries for c in e.claims}
    on_sections = {(s.name, c.claim) for g in sheet.groups for s in g.sections for c in s.claims}
    for result in claims:
        key = (result.derivation, result.claim)
        assert (key in on_entries) != (key in on_sections), f"{key} must appear exactly once"
        assert f"z = {result.z:.2f}" in rendered["md"]
    for (name, claim), slug in CLAIM_CHAINS.items():
        registry.get(name).chain(slug)
    assert f"seed {SEED}, {SAMPLES} simulated data sets" in rendered["md"]


# ---- renderers ---------------------------------------------------------------------------------------------

def test_markdown_has_balanced_display_math_and_every_entry(sheet, rendered):
    md = rendered["md"]
    assert md.count("\n$$\n") % 2 == 0 and md.count("$$") == 2 * len(sheet.entries)
    for entry in sheet.entries:
        assert f"**{entry.title}**" in md and f"`{entry.id}`" in md
    assert "None" not in md


def test_html_is_self_contained_mathml(sheet, rendered):
    page = rendered["html"]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "no network resources"
    assert "<link" not in page and "@import" not in page
    assert page.count('<math display="block">') == len(sheet.entries)
    # SymPy's MathML printer falls back to a lower-cased class name (product, subs, kroneckerdelta ...) for
    # objects it does not know; every multi-letter identifier on the sheet must be a real function name
    names = set(re.findall(r"<mi[^>]*>([^<&]{2,})</mi>", page))
    assert names <= {"log", "exp", "cos", "sin", "tr", "det", "Var", "Cov", "diag"}, names


def test_mathml_printer_covers_this_projects_objects():
    from derivations.expectation import Expectation, Variance
    from derivations.notation import N

    def mathml(expr):
        return html.unescape(expr_mathml(expr))

    muhat, i, j = sp.Symbol("muhat"), sp.Symbol("i"), sp.Symbol("j")
    assert "\U0001d53c" in mathml(Expectation(muhat)) and "<mover" in mathml(muhat)
    assert "Var" in mathml(Variance(muhat))
    assert "\u220f" in mathml(sp.Product(sp.Symbol("x") ** i, (i, 1, N)))
    assert "\u03b4" in mathml(sp.KroneckerDelta(i, j))
    sigma2 = sp.Symbol("sigma^2", positive=True)
    squared = mathml(sigma2 ** 2)
    assert squared.startswith("<msup><mrow><mo>(</mo>"), squared  # (sigma^2)^2, not sigma^2^2
    assert "<math" in text_to_html("Score in $\\mu$") and "&lt;b&gt;" in text_to_html("<b>")


def test_tex_escapes_text_but_not_math():
    assert _tex_text("50% & $x_1$ #1_a") == r"50\% \& $x_1$ \#1\_a"
    assert _tex_code("E[mu_hat] = sigma^2") == r"\texttt{E[mu\_hat] = sigma\textasciicircum{}2}"


def _pdf_pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    texts = text.split("\f")
    if texts and not texts[-1].strip():
        texts = texts[:-1]
    assert len(texts) == pages, "pdfinfo and pdftotext disagree on the page count"
    return texts


def _squeeze(text: str) -> str:
    """Letters and digits only, lower case, ligatures decomposed: robust to hyphenation and line breaks."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text)).lower()


def _title_words(title: str) -> list[str]:
    """The title's text between its inline formulas."""
    return [_squeeze(part) for part in re.split(r"\$[^$]*\$", title) if _squeeze(part)]


def _check_pdf_text(sheet, pages: list[str]) -> None:
    whole = _squeeze("".join(pages))
    for entry in sheet.entries:
        assert _squeeze(entry.id) in whole, f"{entry.id} missing from the PDF text"
        for words in _title_words(entry.title):
            assert words in whole, f"title of {entry.id} ({words}) missing from the PDF text"


@needs_pdflatex
@needs_poppler
def test_pdflatex_pdf_pages_text_and_bytes(sheet, tmp_path):
    pdf = render_pdf(sheet, "pdflatex")
    assert pdf == render_pdf(sheet, "pdflatex"), "pdflatex output must be byte-identical on regeneration"
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    pages = _pdf_pages(tmp_path / "sheet.pdf")
    _check_pdf_text(sheet, pages)
    # the first group follows the introduction on page 1, every later group starts a new page, in order
    first, *later = GROUPS
    assert first in [line.strip() for line in pages[0].splitlines()]
    starts = [next(line.strip() for line in page.splitlines() if line.strip()) for page in pages]
    assert [s for s in starts if s in GROUPS] == later
    assert len(pages) >= len(GROUPS)


@needs_pdflatex
@needs_poppler
def test_pdflatex_compiles_a_sheet_with_steps_and_a_one_page_sheet(small_with_steps, tmp_path):
    body = render(small_with_steps, "tex").decode()
    for entry in small_with_steps.entries:
        for line in entry.derivation_steps[1:]:
            assert line.justification.split("$")[0].replace("_", "\\_") in body
    (tmp_path / "steps.pdf").write_bytes(render_pdf(small_with_steps, "pdflatex"))
    _check_pdf_text(small_with_steps, _pdf_pages(tmp_path / "steps.pdf"))
    one = build_sheet(["loglik-univariate"], claims=[])
    (tmp_path / "one.pdf").write_bytes(render_pdf(one, "pdflatex"))
    assert len(_pdf_pages(tmp_path / "one.pdf")) == 1


@needs_pdflatex
def test_repr_latex_of_every_derivation_compiles(tmp_path):
    """Jupyter shows ``_repr_latex_`` through MathJax; here pdflatex checks it is valid amsmath."""
    blocks = []
    for d in registry.all_derivations():
        shown = d._repr_latex_()
        assert shown.count("$$") == 2 * len(d.chains)
        blocks.append(re.sub(r"\$\$(.*?)\$\$", r"\\[\1\\]", shown, flags=re.S))
    source = ("\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
              + "\n".join(blocks) + "\n\\end{document}\n")
    (tmp_path / "repr.tex").write_text(source)
    run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "repr.tex"], cwd=tmp_path,
                         capture_output=True, text=True, errors="replace", timeout=120)
    assert run.returncode == 0, [line for line in run.stdout.splitlines() if line.startswith("!")]


_BOXES_SCRIPT = """<script>
window.addEventListener('load', () => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height, r.top, r.bottom]; };
  const result = {
    math: [...document.querySelectorAll('math')].map(box),
    fractions: [...document.querySelectorAll('mfrac')].slice(0, 200).map(f =>
      [box(f.children[0]), box(f.children[1])]),
  };
  const out = document.createElement('pre');
  out.id = 'boxes';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>"""


@needs_chromium
def test_chromium_lays_out_the_mathml(sheet, rendered, tmp_path):
    page = tmp_path / "sheet.html"
    page.write_text(rendered["html"].replace("</body>", _BOXES_SCRIPT + "</body>"), encoding="utf-8")
    run = run_chromium(["--dump-dom", "--virtual-time-budget=10000", page.as_uri()], tmp_path)
    found = re.search(r'<pre id="boxes">(.*?)</pre>', run.stdout, re.S)
    assert found, f"no layout report from chromium: {run.stderr[-500:]}"
    boxes = json.loads(found.group(1).replace("&quot;", '"'))
    assert len(boxes["math"]) == rendered["html"].count("<math")
    assert all(width > 0 and height > 0 for width, height, _, _ in boxes["math"]), "a formula has an empty box"
    # MathML laid out as math, not as inline text: every fraction's numerator sits above its denominator
    assert boxes["fractions"]
    assert all(numerator[3] <= denominator[2] + 1 for numerator, denominator in boxes["fractions"])


@needs_chromium
def test_chromium_screenshot_is_not_blank(rendered, tmp_path):
    from PIL import Image  # installed with matplotlib

    page = tmp_path / "sheet.html"
    page.write_text(rendered["html"], encoding="utf-8")
    shot = tmp_path / "sheet.png"
    run_chromium([f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()], tmp_path)
    image = Image.open(shot).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:128]) / (image.width * image.height)
    assert 0.005 < dark < 0.5, f"screenshot looks blank or broken (dark fraction {dark:.4f})"


@needs_chromium
@needs_poppler
def test_chromium_pdf_has_every_title(tmp_path):
    small = build_sheet(["loglik-univariate", "marginal"], claims=[])
    (tmp_path / "sheet.pdf").write_bytes(render_pdf(small, "chromium"))
    pages = _pdf_pages(tmp_path / "sheet.pdf")
    _check_pdf_text(small, pages)
    assert len(pages) >= 2  # two groups, each from a new page


# ---- determinism -------------------------------------------------------------------------------------------

_RENDER_ALL = """
import sys
from derivations.sheet import build_sheet, render
sheet = build_sheet(sys.argv[1].split(","), with_steps=True)
for fmt in ("md", "tex", "html"):
    with open(sys.argv[2] + "." + fmt, "wb") as out:
        out.write(render(sheet, fmt))
"""


def test_same_sources_give_identical_bytes(sheet, rendered, tmp_path):
    assert all(render(sheet, fmt).decode() == text for fmt, text in rendered.items())
    names = "mle-univariate,unbiased-variance,conditional,affine"
    for hash_seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", _RENDER_ALL, names, str(tmp_path / hash_seed)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": hash_seed}, timeout=300)
    for fmt in ("md", "tex", "html"):
        assert (tmp_path / f"1.{fmt}").read_bytes() == (tmp_path / f"2.{fmt}").read_bytes(), fmt


# ---- command line ------------------------------------------------------------------------------------------

def test_unknown_only_name_is_one_line_listing_valid_names(capsys):
    assert main(["sheet", "--only", "loglik-univariate,no-such-thing"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no-such-thing" in err and "mle-univariate" in err


@pytest.mark.parametrize("where", ["missing-dir/sheet.md", "a-file/sheet.md", "a-dir", "sheet.docx"])
def test_bad_output_path_is_a_clear_error_and_leaves_nothing(where, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("keep")
    (tmp_path / "a-dir").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["sheet", "--only", "loglik-univariate", "-o", where]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gaussproof: error:") and "\n" not in err and where in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "sheet.md"

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SheetError, match="No space left on device"):
        write_atomically(target, b"x" * 100_000)
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_by_extension_and_stdout_defaults_to_markdown(tmp_path, capsys):
    assert main(["sheet", "--only", "fisher-univariate", "-o", str(tmp_path / "s.html")]) == 0
    assert (tmp_path / "s.html").read_text().startswith("<!DOCTYPE html>")
    capsys.readouterr()
    assert main(["sheet", "--only", "fisher-univariate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Gaussian formula sheet") and "Cramér-Rao" in out
    assert main(["sheet", "--format", "pdf"]) == 2
