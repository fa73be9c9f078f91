"""Formula sheets: every verified result on one sheet, as Markdown, LaTeX, HTML or PDF.

Building is separate from printing (as in SymPy: the expression, then a printer). :func:`build_sheet` makes a
:class:`Sheet` - groups of sections (one derivation each) of entries (one chain each) - holding SymPy objects,
verdicts from :func:`derivations.checker.verify` and Monte Carlo results from :mod:`numeric.simulate`. The
renderers (:func:`render_markdown`, :func:`render_latex`, :func:`render_html`, :func:`render_pdf`) only lay
it out: expressions through ``sympy.latex`` (:func:`derivations.printing.expr_latex`) or the MathML printer
(:mod:`derivations.mathml`). Nothing on a sheet is typed in: each formula is the first and last expression of
a chain whose every step the checker judged.

The output is deterministic: no dates, a fixed Monte Carlo seed, and PDFs from pdflatex with the creation
date and trailer ID switched off (Chromium's PDFs carry a date; see :func:`render_pdf`).
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable, Sequence

import sympy as sp

from . import output_file, registry
from .checker import Method, Report, Status, verify
from .core import Chain, Derivation, Relation
from .mathml import expr_mathml, latex_math_to_mathml, text_to_html
from .printing import expr_latex

#: Groups of the sheet, in order: title -> registry names. The one place that decides where a derivation goes.
GROUPS: dict[str, tuple[str, ...]] = {
    "Univariate maximum likelihood": ("loglik-univariate", "mle-univariate", "fisher-univariate"),
    "Bias and unbiased estimators": ("unbiased-variance", "mle-multivariate-bias"),
    "Multivariate density": ("density-normalisation", "mahalanobis", "bivariate", "parameter-count"),
    "Independence": ("independent-2d", "diagonal-product", "affine"),
    "Partitioned Gaussian": ("marginal", "conditional", "conditional-explicit"),
    "Linear-Gaussian model": ("linear-gaussian",),
    "Multivariate maximum likelihood": ("mle-multivariate", "matrix-calculus"),
}
#: Chains shown in another group than their derivation's: (derivation, chain slug) -> group title.
CHAIN_GROUPS: dict[tuple[str, str], str] = {
    ("mle-univariate", "mean-of-muhat"): "Bias and unbiased estimators",
    ("mle-univariate", "variance-of-muhat"): "Bias and unbiased estimators",
    ("mle-univariate", "mean-of-sigma2hat"): "Bias and unbiased estimators",
    ("mle-univariate", "variance-of-sigma2hat"): "Bias and unbiased estimators",
}
#: Derivations registered but missing from GROUPS land here (a test keeps it empty), never off the sheet.
OTHER_GROUP = "Other results"

#: Monte Carlo settings printed on the sheet: fixed, so that the sheet is reproducible.
SEED = 0
SAMPLES = 20_000

#: Expressions whose LaTeX is longer than this are not printed on a sheet (explicit-size checks with
#: hundreds of terms); the entry says so and ``gaussproof show NAME`` prints them in full.
MAX_LATEX = 900

TITLE = "Gaussian formula sheet"
FORMATS = ("md", "tex", "html", "pdf")


class SheetError(Exception):
    """A sheet could not be produced or written; the message is one line naming the problem."""


# ------------------------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One line of displayed math: a relation to the line before (START for the first line) and an
    expression with its LaTeX (``sympy.latex``, printed once here: it decides whether the expression fits),
    or ``None`` for both where the expression is too long for a sheet (``latex_length`` says how long)."""

    relation: Relation
    expr: object
    justification: str = ""
    latex_length: int = 0
    latex: str | None = None

    @property
    def elided(self) -> bool:
        return self.expr is None and self.relation is not Relation.NEG_DEF


@dataclass(frozen=True)
class Claim:
    """A Monte Carlo-checked expectation: claim text, exact value, estimate, standard error and z."""

    claim: str
    exact: float
    estimate: float
    standard_error: float
    z: float
    passed: bool


@dataclass(frozen=True)
class Entry:
    """One result: a chain's first and last expressions, how they were verified, and its claims."""

    derivation: str
    slug: str
    title: str
    result: tuple[Line, ...]
    justification: str
    steps: int
    proved: int
    numeric: int
    failed: int
    claims: tuple[Claim, ...] = ()
    derivation_steps: tuple[Line, ...] = ()  #: every step of the chain (``with_steps``), else empty

    @property
    def id(self) -> str:
        """``derivation/chain``: what ``gaussproof show`` and the tests look it up by."""
        return f"{self.derivation}/{self.slug}"

    @property
    def status(self) -> str:
        """How the entry was verified, in words."""
        if self.failed:
            return f"NOT VERIFIED: {self.failed} of {self.steps} steps failed or were not checked"
        if self.numeric == 0:
            return f"proved symbolically ({self.steps} step{'s' if self.steps != 1 else ''})"
        if self.proved == 0:
            return f"checked numerically ({self.steps} step{'s' if self.steps != 1 else ''})"
        return (f"{self.proved} of {self.steps} steps proved symbolically, {self.numeric} checked numerically "
                f"(randomised exact test)")


@dataclass(frozen=True)
class Section:
    """The entries of one derivation within a group, under its assumptions and definitions."""

    name: str
    title: str
    assumptions: tuple[str, ...]
    definitions: tuple[Line, ...]
    entries: tuple[Entry, ...]
    claims: tuple[Claim, ...] = ()  #: claims of the derivation that belong to no single entry


@dataclass(frozen=True)
class Group:
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Sheet:
    """A formula sheet: groups of sections of entries, with the settings it was made with."""

    title: str
    groups: tuple[Group, ...]
    seed: int
    samples: int
    with_steps: bool
    versions: tuple[tuple[str, str], ...] = field(default=())

    @property
    def entries(self) -> list[Entry]:
        return [e for g in self.groups for s in g.sections for e in s.entries]

    @property
    def ok(self) -> bool:
        return all(not e.failed and all(c.passed for c in e.claims) for e in self.entries) and all(
            c.passed for g in self.groups for s in g.sections for c in s.claims)

    @property
    def summary(self) -> str:
        entries = self.entries
        steps = sum(e.steps for e in entries)
        proved = sum(e.proved for e in entries)
        numeric = sum(e.numeric for e in entries)
        failed = sum(e.failed for e in entries)
        derivations = len({e.derivation for e in entries})
        return (f"{len(entries)} results from {derivations} derivations; {steps} steps: {proved} proved "
                f"symbolically, {numeric} checked numerically, {failed} failed or not checked.")


def group_of(derivation: str, slug: str) -> str:
    """The group a chain is shown in (CHAIN_GROUPS, else its derivation's group in GROUPS)."""
    if (derivation, slug) in CHAIN_GROUPS:
        return CHAIN_GROUPS[(derivation, slug)]
    for title, names in GROUPS.items():
        if derivation in names:
            return title
    return OTHER_GROUP


def _line(relation: Relation, expr: object, justification: str = "") -> Line:
    if expr is None:
        return Line(relation, None, justification)
    latex = expr_latex(expr)
    fits = len(latex) <= MAX_LATEX
    return Line(relation, expr if fits else None, justification, len(latex), latex if fits else None)


def _result(chain: Chain) -> tuple[Line, ...]:
    """The chain's statement: first REL last, REL the composition of the step relations (= if every step
    is an equality, iff if any is an equivalence), and ``≺ 0`` when the chain ends in a definiteness step."""
    relations = [s.relation for s in chain.steps[1:]]
    if Relation.NEG_DEF in relations[:-1]:
        raise ValueError(f"chain {chain.slug!r}: a negative-definiteness step must be the last step")
    combined = Relation.IFF if Relation.IFF in relations else Relation.EQUAL
    lines = [_line(Relation.START, chain.first), _line(combined, chain.last)]
    if relations[-1] is Relation.NEG_DEF:
        lines.append(Line(Relation.NEG_DEF, None))
    return tuple(lines)


def _claims(results: Sequence) -> dict[tuple[str, str | None], list[Claim]]:
    """Simulated claims keyed by (derivation, chain slug or None)."""
    keyed: dict[tuple[str, str | None], list[Claim]] = {}
    for r in results:
        slug = getattr(r, "chain", None) or CLAIM_CHAINS.get((r.derivation, r.claim))
        keyed.setdefault((r.derivation, slug), []).append(
            Claim(r.claim, float(r.exact), float(r.estimate), float(r.standard_error), float(r.z), bool(r.passed)))
    return keyed


#: Which chain a simulated claim checks, for claims (numeric.simulate.ClaimResult) that do not name it.
#: A claim not found here is shown under its derivation, never dropped.
CLAIM_CHAINS: dict[tuple[str, str], str] = {
    ("mle-univariate", "E[mu_hat] = mu"): "mean-of-muhat",
    ("mle-univariate", "Var[mu_hat] = sigma^2/N"): "variance-of-muhat",
    ("mle-univariate", "E[sigma_hat^2] = (N-1)/N sigma^2"): "mean-of-sigma2hat",
    ("unbiased-variance", "E[S^2] = sigma^2"): "mean-of-S2",
}


def _entry(derivation: Derivation, chain: Chain, report: Report, claims: list[Claim], with_steps: bool) -> Entry:
    results = [r for r in report.results if r.chain.slug == chain.slug]
    proved = sum(r.verdict.status is Status.VALID and r.verdict.method is Method.SYMBOLIC for r in results)
    numeric = sum(r.verdict.status is Status.VALID and r.verdict.method is Method.NUMERIC for r in results)
    justification = "; ".join(s.justification for s in chain.steps[1:])
    steps = tuple(_line(s.relation, s.expr, s.justification) for s in chain.steps) if with_steps else ()
    return Entry(derivation.name, chain.slug, chain.title, _result(chain), justification, len(results), proved,
                 numeric, len(results) - proved - numeric, tuple(claims), steps)


def _versions() -> tuple[tuple[str, str], ...]:
    try:
        own = version("gaussproof")
    except PackageNotFoundError:  # running from a source tree that is not installed
        own = "source"
    return (("gaussproof", own), ("SymPy", sp.__version__))


def build_sheet(names: Sequence[str] = (), *, with_steps: bool = False, seed: int = SEED,
                samples: int = SAMPLES, derivations: Sequence[Derivation] | None = None,
                claims: Sequence | None = None) -> Sheet:
    """Build the sheet of the named derivations (all when ``names`` is empty), verifying every step.

    ``derivations`` and ``claims`` replace the registry and the simulation (tests use them to build a sheet
    from a corrupted derivation). Unknown names raise :class:`registry.UnknownDerivation`.
    """
    if derivations is None:
        wanted = list(dict.fromkeys(names))
        derivations = [registry.get(n) for n in wanted] if wanted else registry.all_derivations()
    if claims is None:
        from numeric.simulate import run_claims

        claims = run_claims([d.name for d in derivations], samples=samples, seed=seed)
    keyed = _claims(claims)
    known = {(d.name, c.slug) for d in derivations for c in d.chains}
    section_claims: dict[str, list[Claim]] = {}
    for (name, slug), found in keyed.items():
        if (name, slug) not in known:
            section_claims.setdefault(name, []).extend(found)

    order = list(GROUPS) + [OTHER_GROUP]
    grouped: dict[str, list[Section]] = {title: [] for title in order}
    for d in derivations:
        report = verify(d)
        by_group: dict[str, list[Entry]] = {}
        for c in d.chains:
            by_group.setdefault(group_of(d.name, c.slug), []).append(
                _entry(d, c, report, keyed.get((d.name, c.slug), []), with_steps))
        definitions = tuple(_line(Relation.START, sp.Eq(k, v, evaluate=False)) for k, v in d.definitions.items())
        home = group_of(d.name, "")
        for title, entries in by_group.items():
            orphans = tuple(section_claims.get(d.name, ())) if title == home else ()
            grouped[title].append(Section(d.name, d.title, d.assumptions, definitions, tuple(entries), orphans))
        if home not in by_group and section_claims.get(d.name):
            grouped[home].append(Section(d.name, d.title, d.assumptions, definitions, (),
                                         tuple(section_claims[d.name])))
    groups = tuple(Group(title, tuple(grouped[title])) for title in order if grouped[title])
    return Sheet(TITLE, groups, seed, samples, with_steps, _versions())


# ------------------------------------------------------------------------------------------------------------
# Shared wording
# ------------------------------------------------------------------------------------------------------------

def _preamble_lines(sheet: Sheet) -> list[str]:
    """The sheet's introduction as LaTeX text (inline math in $...$), one paragraph per item."""
    versions = ", ".join(f"{name} {number}" for name, number in sheet.versions)
    return [
        "Every formula on this sheet is generated from a gaussproof derivation: the first and last "
        "expression of a chain of steps, each step checked when the sheet was made. "
        "Proved symbolically: SymPy showed the two sides of every step equal. "
        "Checked numerically: a randomised exact-rational test at several sample sizes "
        "agreed (evidence, not a proof).",
        f"Monte Carlo: $z = (\\text{{estimate}} - \\text{{exact}}) / \\text{{standard error}}$ with the "
        f"standard error from the derived variance; seed {sheet.seed}, {sheet.samples} simulated data sets "
        f"per claim; a claim passes when $|z| \\le 5$.",
        sheet.summary + f" Generated by {versions}.",
    ]


def _claim_text(claim: Claim, code: Callable[[str], str]) -> str:
    """A claim as a line of text: the claim (formatted by ``code``), its z-score and verdict."""
    verdict = "passes" if claim.passed else "FAILS"
    return (f"Monte Carlo: {code(claim.claim)}: exact {claim.exact:.6g}, estimate {claim.estimate:.6g}, "
            f"standard error {claim.standard_error:.3g}, z = {claim.z:.2f} ({verdict})")


def _elision(line: Line, derivation: str) -> str:
    return (f"\\text{{(expression of {line.latex_length} characters of LaTeX, too long for a sheet: "
            f"gaussproof show {derivation})}}")


_TEX_RELATION = {Relation.EQUAL: "=", Relation.IFF: r"\iff", Relation.NEG_DEF: r"\prec 0"}


def _lines_latex(lines: Sequence[Line], derivation: str, justify: bool, numbered: bool = False) -> str:
    """Displayed lines as an amsmath ``aligned`` block (one row per line), a statement of two lines (or
    first = last < 0) on one line; ``justify`` puts each justification beside its row, ``numbered`` a
    number (k) that a list of justifications below refers to."""
    rows = []
    for k, line in enumerate(lines):
        body = _elision(line, derivation) if line.elided else (line.latex or "")
        if line.relation is Relation.START:
            row = f"&{body}"
        elif line.relation is Relation.NEG_DEF:
            row = f"&{_TEX_RELATION[line.relation]}"
        else:
            row = f"&{_TEX_RELATION[line.relation]} {body}"
        if justify and line.justification and k:
            row += f" && \\text{{{line.justification}}}"
        if numbered:
            row += f" && \\text{{({k + 1})}}"
        rows.append(row)
    statement = len(lines) == 2 or (len(lines) == 3 and lines[2].relation is Relation.NEG_DEF)
    if statement and not (justify or numbered):  # first REL last (< 0) on one line
        return " ".join(row.lstrip("&") for row in rows)
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


# ------------------------------------------------------------------------------------------------------------
# Markdown (a code host's Markdown: $...$ inline and $$...$$ display math)
# ------------------------------------------------------------------------------------------------------------

def _md_code(text: str) -> str:
    return f"`{text}`"


def render_markdown(sheet: Sheet) -> str:
    """The sheet as Markdown with ``$$`` display math (renders on GitHub/GitLab)."""
    out = [f"# {sheet.title}", ""]
    for paragraph in _preamble_lines(sheet):
        out += [paragraph, ""]
    for group in sheet.groups:
        out += [f"## {group.title}", ""]
        for section in group.sections:
            out += [f"### {section.title} (`{section.name}`)", ""]
            out += [f"- Assumptions: " + "; ".join(f"${a}$" for a in section.assumptions)]
            for line in section.definitions:
                out.append("- Where: " + (f"${line.latex}$" if line.expr is not None
                                          else f"(a definition of {line.latex_length} characters of LaTeX)"))
            out += [f"- {_claim_text(c, _md_code)}" for c in section.claims]
            out.append("")
            for entry in section.entries:
                out += [f"**{entry.title}**", "", "$$",
                        _lines_latex(entry.result, entry.derivation, justify=False), "$$", ""]
                out += [f"- Why: {entry.justification}", f"- Verified: {entry.status} (`{entry.id}`)"]
                out += [f"- {_claim_text(c, _md_code)}" for c in entry.claims]
                out.append("")
                if entry.derivation_steps:
                    out += ["$$", _lines_latex(entry.derivation_steps, entry.derivation, justify=False,
                                               numbered=True), "$$", ""]
                    out += [f"{k}. {line.justification}" for k, line in enumerate(entry.derivation_steps, 1)]
                    out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# ------------------------------------------------------------------------------------------------------------
# LaTeX (a standalone amsmath article for pdflatex)
# ------------------------------------------------------------------------------------------------------------

_TEX_PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage{amsmath,amssymb,graphicx}
\usepackage[margin=2cm]{geometry}
% reproducible PDFs: no creation date, no trailer ID
\ifdefined\pdfinfoomitdate \pdfinfoomitdate=1 \fi
\ifdefined\pdftrailerid \pdftrailerid{} \fi
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.4em}
% display math wider than the line is scaled down to the line width
\newsavebox{\sheetbox}
\newcommand{\sheetfit}[1]{\sbox{\sheetbox}{$\displaystyle #1$}%
  \ifdim\wd\sheetbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\sheetbox}}\else\usebox{\sheetbox}\fi}
\newcommand{\sheetnote}[1]{{\small #1\par}}
"""


def _tex_text(text: str) -> str:
    """Titles and justifications are LaTeX text already (inline math in $...$); escape the few characters
    that are special in text mode outside math."""
    out, in_math = [], False
    for char in text:
        if char == "$":
            in_math = not in_math
        elif not in_math and char in "&%#_":
            char = "\\" + char
        out.append(char)
    return "".join(out)


_TEX_SPECIALS = {"\\": r"\textbackslash{}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
                 **{c: "\\" + c for c in "&%#_${}"}}


def _tex_code(text: str) -> str:
    """Plain text (a claim as simulate names it) in typewriter type, every special character escaped."""
    return "\\texttt{%s}" % "".join(_TEX_SPECIALS.get(c, c) for c in text)


def render_latex(sheet: Sheet) -> str:
    """The sheet as a standalone LaTeX article (amsmath, amssymb, graphicx, geometry); compiles with pdflatex.
    Each group starts on a new page."""
    out = [_TEX_PREAMBLE, "\\begin{document}", f"{{\\LARGE\\bfseries {sheet.title}\\par}}", ""]
    out += [_tex_text(p) + "\n" for p in _preamble_lines(sheet)]
    for k, group in enumerate(sheet.groups):
        out += ["\\clearpage" if k else "", f"\\section*{{{_tex_text(group.title)}}}", ""]
        for section in group.sections:
            out += [f"\\subsection*{{{_tex_text(section.title)} \\texttt{{({section.name})}}}}", ""]
            out.append("\\sheetnote{Assumptions: " + "; ".join(f"${a}$" for a in section.assumptions) + "}")
            for line in section.definitions:
                out.append("\\sheetnote{Where: " + (f"\\sheetfit{{{line.latex}}}" if line.expr is not None
                                                   else f"(a definition of {line.latex_length} characters of "
                                                        f"LaTeX)") + "}")
            out += [f"\\sheetnote{{{_claim_text(c, _tex_code)}}}" for c in section.claims]
            for entry in section.entries:
                out += ["", f"\\paragraph{{{_tex_text(entry.title)}}}",
                        f"\\[\\sheetfit{{{_lines_latex(entry.result, entry.derivation, justify=False)}}}\\]",
                        f"\\sheetnote{{Why: {_tex_text(entry.justification)}}}",
                        f"\\sheetnote{{Verified: {_tex_text(entry.status)} ({_tex_code(entry.id)})}}"]
                out += [f"\\sheetnote{{{_claim_text(c, _tex_code)}}}" for c in entry.claims]
                if entry.derivation_steps:
                    steps = _lines_latex(entry.derivation_steps, entry.derivation, justify=True)
                    out.append(f"\\[\\sheetfit{{{steps}}}\\]")
            out.append("")
    out.append("\\end{document}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------------------
# HTML (one self-contained file, MathML, no network)
# ------------------------------------------------------------------------------------------------------------

_CSS = """
body { font-family: "DejaVu Serif", Georgia, serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       line-height: 1.4; color: #111; }
h2 { border-bottom: 1px solid #999; margin-top: 2em; }
h2.group { break-before: page; }
h2.group:first-of-type { break-before: auto; }
.entry { margin: 1em 0 1.2em; break-inside: avoid; }
.entry h4 { margin: 0.2em 0; }
.formula { overflow-x: auto; overflow-y: hidden; }
.note { font-size: 0.9em; margin: 0.15em 0; }
.status-failed { color: #b00; font-weight: bold; }
table.steps { border-collapse: collapse; }
table.steps td { padding: 0.1em 0.6em; vertical-align: middle; }
table.steps td.why { font-size: 0.85em; color: #333; }
math { font-family: "DejaVu Math TeX Gyre", "STIX Two Math", "Latin Modern Math", math; }
"""

#: Scales display math wider than its column down to fit (screen and print); no network, no library.
_FIT_SCRIPT = """
function fitFormulas() {
  for (const box of document.querySelectorAll('.formula')) {
    box.style.zoom = 1;
    const wide = box.scrollWidth, room = box.clientWidth;
    if (wide > room && room > 0) box.style.zoom = room / wide;
  }
}
window.addEventListener('load', fitFormulas);
window.addEventListener('beforeprint', fitFormulas);
"""

_HTML_RELATION = {Relation.EQUAL: "<mo>=</mo>", Relation.IFF: "<mo>&#x27FA;</mo>",
                  Relation.NEG_DEF: "<mo>&#x227A;</mo><mn>0</mn>"}


def _line_mathml(line: Line, derivation: str) -> str:
    if line.elided:
        body = (f"<mtext>(expression of {line.latex_length} characters of LaTeX, too long for a sheet: "
                f"gaussproof show {html.escape(derivation)})</mtext>")
    else:
        body = "" if line.expr is None else expr_mathml(line.expr)
    return ("" if line.relation is Relation.START else _HTML_RELATION[line.relation]) + body


def _html_text(text: str) -> str:
    return text_to_html(text)


def _html_code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def render_html(sheet: Sheet) -> str:
    """The sheet as one self-contained HTML file: MathML (rendered natively by current browsers), inline CSS
    and a few lines of inline script that shrink over-wide formulas; no external resources."""
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html.escape(sheet.title)}</title>", f"<style>{_CSS}</style>",
           f"<script>{_FIT_SCRIPT}</script>", "</head>", "<body>", f"<h1>{html.escape(sheet.title)}</h1>"]
    out += [f"<p>{_html_text(p)}</p>" for p in _preamble_lines(sheet)]
    for group in sheet.groups:
        out.append(f'<h2 class="group">{html.escape(group.title)}</h2>')
        for section in group.sections:
            out.append(f'<section id="{html.escape(section.name)}-{len(out)}">')
            out.append(f"<h3>{_html_text(section.title)} <code>({html.escape(section.name)})</code></h3>")
            out.append('<p class="note">Assumptions: ' + "; ".join(latex_math_to_mathml(a)
                                                                   for a in section.assumptions) + "</p>")
            for line in section.definitions:
                out.append('<p class="note">Where: ' + (f"<math>{expr_mathml(line.expr)}</math>"
                                                        if line.expr is not None else
                                                        f"(a definition of {line.latex_length} characters of "
                                                        f"LaTeX)") + "</p>")
            out += [f'<p class="note">{_claim_text(c, _html_code)}</p>' for c in section.claims]
            for entry in section.entries:
                out += ['<div class="entry">', f"<h4>{_html_text(entry.title)}</h4>",
                        '<div class="formula"><math display="block">'
                        + "".join(_line_mathml(line, entry.derivation) for line in entry.result) + "</math></div>",
                        f'<p class="note">Why: {_html_text(entry.justification)}</p>',
                        f'<p class="note{" status-failed" if entry.failed else ""}">Verified: '
                        f"{html.escape(entry.status)} ({_html_code(entry.id)})</p>"]
                out += [f'<p class="note">{_claim_text(c, _html_code)}</p>' for c in entry.claims]
                if entry.derivation_steps:
                    out.append('<table class="steps">')
                    for line in entry.derivation_steps:
                        out.append(f'<tr><td><div class="formula"><math display="block">'
                                   f"{_line_mathml(line, entry.derivation)}</math></div></td>"
                                   f'<td class="why">{_html_text(line.justification)}</td></tr>')
                    out.append("</table>")
                out.append("</div>")
            out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------------------
# PDF (pdflatex when present, else the HTML printed by headless Chromium)
# ------------------------------------------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Flags that let headless Chromium run here (root, no GPU, no network, no first-run or update machinery).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")
PDF_TIME_LIMIT = 120.0


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def run_chromium(arguments: Sequence[str], workdir: str | os.PathLike, timeout: float = PDF_TIME_LIMIT
                 ) -> subprocess.CompletedProcess:
    """Run headless Chromium with a fresh profile directory inside ``workdir``."""
    chromium = find_chromium()
    if chromium is None:
        raise SheetError("no Chromium found (install the chromium package)")
    profile = Path(workdir) / "chromium-profile"
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=workdir)
    except subprocess.TimeoutExpired:
        raise SheetError(f"chromium did not finish within {timeout:g} s") from None


def _pdf_with_pdflatex(sheet: Sheet, workdir: Path) -> bytes:
    (workdir / "sheet.tex").write_text(render_latex(sheet), encoding="utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    command = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "sheet.tex"]
    try:
        run = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=PDF_TIME_LIMIT,
                             env=env, errors="replace")
    except subprocess.TimeoutExpired:
        raise SheetError(f"pdflatex did not finish within {PDF_TIME_LIMIT:g} s") from None
    pdf = workdir / "sheet.pdf"
    if run.returncode != 0 or not pdf.exists():
        error = next((line for line in run.stdout.splitlines() if line.startswith("!")), "no error line")
        raise SheetError(f"pdflatex failed: {error}")
    return pdf.read_bytes()


def _pdf_with_chromium(sheet: Sheet, workdir: Path) -> bytes:
    page = workdir / "sheet.html"
    page.write_text(render_html(sheet), encoding="utf-8")
    pdf = workdir / "sheet.pdf"
    run = run_chromium([f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()], workdir)
    if not pdf.exists() or pdf.stat().st_size == 0:
        detail = (run.stderr.strip().splitlines() or ["no output"])[-1]
        raise SheetError(f"chromium did not print the PDF: {detail}")
    return pdf.read_bytes()


PDF_ENGINES: dict[str, Callable[[Sheet, Path], bytes]] = {"pdflatex": _pdf_with_pdflatex,
                                                           "chromium": _pdf_with_chromium}


def pdf_engine() -> str | None:
    """The PDF engine used by default: pdflatex when installed, else Chromium, else None."""
    if shutil.which("pdflatex"):
        return "pdflatex"
    return "chromium" if find_chromium() else None


def render_pdf(sheet: Sheet, engine: str | None = None) -> bytes:
    """The sheet as PDF: the LaTeX through pdflatex (byte-identical on regeneration: no date, no trailer
    ID), or the HTML printed by headless Chromium (the same pages and text, but Chromium writes the
    creation date into the file, so its bytes differ between runs)."""
    engine = engine or pdf_engine()
    if engine is None:
        raise SheetError("a PDF needs pdflatex or chromium and neither is installed "
                         "(apt-get install texlive-latex-base, or chromium)")
    if engine not in PDF_ENGINES:
        raise SheetError(f"unknown PDF engine {engine!r}; engines: {', '.join(PDF_ENGINES)}")
    with tempfile.TemporaryDirectory(prefix="gaussproof-sheet-") as workdir:
        return PDF_ENGINES[engine](sheet, Path(workdir))


RENDERERS: dict[str, Callable[[Sheet], str | bytes]] = {"md": render_markdown, "tex": render_latex,
                                                        "html": render_html, "pdf": render_pdf}
SUFFIXES = {".md": "md", ".markdown": "md", ".tex": "tex", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def render(sheet: Sheet, fmt: str) -> bytes:
    """The sheet in format ``fmt`` (md, tex, html, pdf) as bytes (text formats UTF-8)."""
    if fmt not in RENDERERS:
        raise SheetError(f"unknown sheet format {fmt!r}; formats: {', '.join(FORMATS)}")
    output = RENDERERS[fmt](sheet)
    return output if isinstance(output, bytes) else output.encode("utf-8")


def check_writable(path: str | os.PathLike) -> None:
    """Raise SheetError unless ``path`` can take the sheet: a regular file or a new file in a writable
    directory (:func:`derivations.output_file.check_target`: a device or FIFO is refused, a symlink is
    followed)."""
    try:
        output_file.check_target(path)
    except output_file.OutputFileError as exc:
        raise SheetError(str(exc)) from None


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: a temporary file in the same directory, then ``os.replace``
    (:func:`derivations.output_file.write_atomically`: only a regular file is replaced and it keeps its
    permission bits, a new file gets 0o666 less the umask, a symlink is written through). On any failure no
    file is left behind and SheetError names the problem."""
    try:
        output_file.write_atomically(path, lambda temporary: Path(temporary).write_bytes(data))
    except output_file.OutputFileError as exc:
        raise SheetError(str(exc)) from None


__all__ = ["GROUPS", "CHAIN_GROUPS", "CLAIM_CHAINS", "SEED", "SAMPLES", "MAX_LATEX", "FORMATS", "SheetError",
           "Line", "Claim", "Entry", "Section", "Group", "Sheet", "group_of", "build_sheet", "render",
           "render_markdown", "render_latex", "render_html", "render_pdf", "pdf_engine", "find_chromium",
           "run_chromium", "check_writable", "write_atomically"]
