"""``gaussproof check FILE [FILE ...] [--format text|json] [--budget SECONDS] [--inline]``: every step of every
display chain in the files (Markdown, R Markdown, Quarto, LaTeX, Jupyter notebooks), judged; with ``--inline``
the equalities of inline math too.

Each step is judged in a worker process (one per core, :mod:`derivations.limits`), the steps of a file in
parallel, the report in file order: a step gets STEP_TIME_LIMIT seconds of CPU for the symbolic proof and as
much again for the numeric test, and its worker is stopped at twice the limit whatever it computes. Each file
has a total of ``budget`` CPU seconds (DEFAULT_BUDGET); the steps after it is used up are not checked.

Exit code 1 if any step is invalid, 2 if a file cannot be read (not a regular file, not UTF-8, binary, empty,
over 1 MB), 0 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence, TextIO

from dataclasses import dataclass, field

from .document import Scope, read_roles
from .extract import Extraction, FileError, extract, read_text
from ..limits import Pool, default_pool
from .judge import STEP_TIME_LIMIT, StepResult, judge_steps
from .report_html import format_html

__all__ = ["check_file", "check_document", "DocumentReport", "format_text", "format_json", "format_github", "run",
           "FORMATS", "DEFAULT_BUDGET"]

#: the report formats of ``--format``
FORMATS = ("text", "json", "github", "html")

#: CPU seconds for all the steps of one file.
DEFAULT_BUDGET = 300.0


@dataclass
class DocumentReport:
    """The verdicts on one document's steps, and what the report says about the rest of it: the inline
    equalities left unchecked, notes (``\\input`` not read, ...), why no step was found."""

    path: str
    results: list[StepResult]
    extraction: Extraction
    inline: bool = False
    notes: list[str] = field(default_factory=list)
    scope: Scope = field(default_factory=Scope)
    text: str = ""  # the text a reader sees, line for line with the steps' lines (a notebook: its markdown cells)

    def explain(self) -> list[str]:
        """The scope the steps were judged in, one line each (``--explain``): definitions, then premises."""
        lines = [f"{self.path}: scope: {len(self.scope.definitions)} definitions and values, "
                 f"{len(self.scope.applied)} premises applied, "
                 f"{len(self.scope.premises)} premises the checker does not apply"]
        for line, name, lhs, rhs in self.scope.definitions:
            lines.append(f"    line {line}: {' '.join(lhs.split())} := {_one_line(rhs, 90)}   (substituted in later steps)")
        for line, tex, _ in self.scope.applied:
            lines.append(f"    line {line}: premise {_one_line(tex, 100)}   (applied in later steps)")
        for entry in self.scope.matrix.names:
            size = "vector" if entry.cols == "1" else "matrix"
            lines.append(f"    {entry.key}: {entry.kind + ' ' if entry.kind != 'general' else ''}{size}, "
                         f"{entry.rows} x {entry.cols}")
        for joint in self.scope.matrix.joint:
            lines.append(f"    {', '.join(joint.variables)}: jointly Gaussian scalars (E, Var, Cov and conditional "
                         "moments from their premise)")
        for line, tex, _ in self.scope.premises:
            lines.append(f"    line {line}: premise {_one_line(tex, 100)}")
        return lines

    def summary_notes(self) -> list[str]:
        """One line each: the notes, the inline equalities not checked, why 0 steps were checked."""
        lines = [f"{self.path}:{line}: note: {text}" for line, text in self.extraction.notes]
        unchecked = len(self.extraction.inline_steps) if not self.inline else 0
        if not self.results:
            why = self.extraction.why_empty() if not (self.inline and self.extraction.inline_steps) else None
            lines.append(f"{self.path}: 0 steps checked: {why or 'no step found'}")
        elif unchecked:
            lines.append(f"{self.path}: {unchecked} inline equalit{'y' if unchecked == 1 else 'ies'} not checked; "
                         "--inline checks them")
        return lines


def check_document(path: str | Path, seconds: float = STEP_TIME_LIMIT, budget: float | None = DEFAULT_BUDGET,
                   pool: Pool | bool | None = True, inline: bool = False) -> DocumentReport:
    """The verdict on every step of the document, in textual order, with the report's notes; raises FileError
    for a file that cannot be read. ``inline``: judge the equalities of inline math too. ``pool``: True for
    the process's worker pool (:func:`~derivations.limits.default_pool`), a :class:`~derivations.limits.Pool`,
    or None / False to judge in this process (soft limits only)."""
    text = read_text(path)
    found = extract(path, text)
    steps = found.steps_to_check(inline)
    pool = default_pool() if pool is True else pool or None
    roles = read_roles(found, steps)
    results = judge_steps(steps, seconds, text=found.document.text, budget=budget, pool=pool, roles=roles)
    shown = found.document.text if found.document.cells else text
    return DocumentReport(str(path), results, found, inline, scope=roles[1], text=shown)


def check_file(path: str | Path, seconds: float = STEP_TIME_LIMIT, budget: float | None = DEFAULT_BUDGET,
               pool: Pool | bool | None = True, inline: bool = False) -> list[StepResult]:
    """The verdict on every step of the file, in textual order (:func:`check_document` without its notes)."""
    return check_document(path, seconds, budget, pool, inline).results


def _one_line(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _counterexample_text(example: dict) -> str:
    sides = [f"{key} = {example[key]}" for key in ("lhs", "rhs", "lhs shape", "rhs shape") if key in example]
    values = [f"{k} = {v}" for k, v in example.items() if k not in ("lhs", "rhs", "lhs shape", "rhs shape")]
    return _one_line("; ".join(sides) + (" at " + ", ".join(values) if values else ""), 300)


def format_text(results: Sequence[StepResult]) -> str:
    """file:line, the step in LaTeX, the verdict with a one-line reason; a summary count at the end."""
    lines = []
    for r in results:
        label = {"valid": "VALID", "invalid": "INVALID", "not_checked": "NOT CHECKED"}[r.verdict]
        if r.role in ("definition", "premise"):
            label = r.role.upper()
        method = f" ({r.method})" if r.method else ""
        reason = f" [{r.source.reason}]" if r.source.reason else ""
        lines.append(f"{r.file}:{r.source.location}: {label}{method}: {_one_line(r.step)}{reason}")
        lines.append(f"    {_one_line(r.message, 200)}")
        if r.counterexample:
            lines.append(f"    counterexample: {_counterexample_text(r.counterexample)}")
    stated = sum(r.role in ("definition", "premise") for r in results)
    counts = {v: sum(r.verdict == v and r.role not in ("definition", "premise") for r in results)
              for v in ("valid", "invalid", "not_checked")}
    by_method = {m: sum(r.verdict == "valid" and r.method == m for r in results) for m in ("symbolic", "numeric")}
    lines.append(f"{len(results)} steps: {counts['valid']} valid ({by_method['symbolic']} proved symbolically, "
                 f"{by_method['numeric']} checked numerically), {counts['invalid']} invalid, "
                 f"{counts['not_checked']} not checked"
                 + (f", {stated} definitions and premises (recorded, not judged)" if stated else ""))
    return "\n".join(lines)


def format_json(results: Sequence[StepResult]) -> str:
    """A JSON list of objects with keys file, line, block, step, lhs, rhs, verdict, method, counterexample,
    message, and reason, inline, and cell (for a notebook; then line is the line in the cell)."""
    return json.dumps([r.to_json() for r in results], indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(results: Sequence[StepResult]) -> str:
    """One GitHub Actions workflow annotation (``::error file=..,line=..,title=..::..``) per invalid step, then
    the summary line. In a notebook the annotation is on the file's first line and names the cell."""
    lines = []
    for r in results:
        if r.verdict != "invalid":
            continue
        line = 1 if r.source.cell is not None else r.line
        where = f"{r.source.location}: " if r.source.cell is not None else ""
        example = f" Counterexample: {_counterexample_text(r.counterexample)}" if r.counterexample else ""
        lines.append(f"::error file={_escape_property(r.file)},line={line},title={_escape_property('invalid step')}"
                     f"::{_escape_data(where + _one_line(r.step, 200) + ': ' + r.message + example)}")
    lines.append(format_text(results).rpartition("\n")[2])
    return "\n".join(lines)


def run(paths: Sequence[str], output_format: str = "text", out: TextIO | None = None,
        err: TextIO | None = None, seconds: float = STEP_TIME_LIMIT, budget: float | None = DEFAULT_BUDGET,
        inline: bool = False, explain: bool = False) -> int:
    """Check the files and print the report; the exit code (0 all fine, 1 an invalid step, 2 a file error).
    Notes (why a file gave no step, inline equalities not checked, ``\\input`` not read) go to stderr with the
    JSON format, before the summary line with the text format. ``explain``: print each file's scope (its
    definitions and premises) first (to stderr with JSON and HTML, whose stdout is the report alone)."""
    out = out or sys.stdout
    err = err or sys.stderr
    results: list[StepResult] = []
    notes: list[str] = []
    documents: list[tuple[str, str, list[StepResult]]] = []
    file_errors = 0
    for path in paths:
        try:
            document = check_document(path, seconds, budget, inline=inline)
        except FileError as exc:
            print(f"gaussproof: error: {exc}", file=err)
            file_errors += 1
            continue
        results.extend(document.results)
        notes.extend(document.summary_notes())
        documents.append((document.path, document.text, document.results))
        if explain:
            print("\n".join(document.explain()), file=err if output_format in ("json", "html") else out)
    if output_format in ("json", "html"):
        report = format_json(results) if output_format == "json" else format_html(documents)
        for note in notes:
            print(note, file=err)
    else:
        report = format_github(results) if output_format == "github" else format_text(results)
        if notes:
            body, _, summary = report.rpartition("\n")
            report = "\n".join(([body] if body else []) + notes + [summary])
    if file_errors and output_format not in ("json", "html"):
        report += f"; {file_errors} of {len(paths)} file{'s' if len(paths) > 1 else ''} could not be read"
    print(report, file=out)
    if file_errors:
        return 2
    return 1 if any(r.verdict == "invalid" for r in results) else 0
