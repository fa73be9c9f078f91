"""``gaussproof check --format html``: the documents themselves, every line that holds a step marked with its
verdict (valid, invalid with its counterexample, not checked with its reason) or its role (definition,
premise), for a person who would rather look than read. One self-contained page: no script, no network."""

from __future__ import annotations

import html
from collections import defaultdict
from typing import Sequence

from .judge import StepResult

__all__ = ["format_html"]

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem;
       color: #1d2430; background: #fff; }
@media (prefers-color-scheme: dark) { body { color: #e4e8ee; background: #15181d; }
  .line.marked { background: #222833; } .step { background: #1c2129; } }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; overflow-wrap: anywhere; }
.summary { margin: .3rem 0 1rem; }
.doc { border: 1px solid #8884; border-radius: 6px; overflow-x: auto; }
.line { display: grid; grid-template-columns: 4.5rem 1fr; font: 13px/1.5 ui-monospace, monospace; }
.line .no { color: #8a94a6; text-align: right; padding-right: .8rem; user-select: none; }
.line .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.line.marked { background: #f4f6fa; }
.steps { grid-column: 2; margin: .2rem 0 .5rem; }
.step { border-left: 4px solid #888; padding: .25rem .6rem; margin: .2rem 0; background: #fafbfc;
        font: 13px/1.4 system-ui, sans-serif; }
.step code { font: 12.5px ui-monospace, monospace; overflow-wrap: anywhere; }
.verdict { font-weight: 600; margin-right: .4rem; }
.valid { border-color: #2e8540; } .valid .verdict { color: #2e8540; }
.invalid { border-color: #c62828; } .invalid .verdict { color: #c62828; }
.not_checked { border-color: #b08800; } .not_checked .verdict { color: #9a7600; }
.definition, .premise { border-color: #5470c6; } .definition .verdict, .premise .verdict { color: #5470c6; }
.counterexample { display: block; color: #c62828; margin-top: .15rem; overflow-wrap: anywhere; }
.message { display: block; color: #5b6474; overflow-wrap: anywhere; }
"""

_LABEL = {"valid": "valid", "invalid": "invalid", "not_checked": "not checked"}


def _kind(result: StepResult) -> str:
    return result.role if result.role in ("definition", "premise") else result.verdict


def _step_html(result: StepResult) -> str:
    kind = _kind(result)
    label = result.role if kind in ("definition", "premise") else _LABEL[result.verdict]
    method = f" ({result.method})" if result.method and kind not in ("definition", "premise") else ""
    reason = f" [{html.escape(result.source.reason)}]" if result.source.reason else ""
    counterexample = ""
    if result.counterexample:
        values = "; ".join(f"{html.escape(str(k))} = {html.escape(str(v))}" for k, v in result.counterexample.items())
        counterexample = f'<span class="counterexample">counterexample: {values}</span>'
    role = f" · {html.escape(result.role)}" if result.role not in ("assertion", "definition", "premise") else ""
    return (f'<div class="step {kind}" data-verdict="{result.verdict}" data-role="{html.escape(result.role)}">'
            f'<span class="verdict">{html.escape(label)}{method}{role}</span><code>{html.escape(result.step)}</code>'
            f'{reason}<span class="message">{html.escape(result.message)}</span>{counterexample}</div>')


def _document_html(path: str, text_lines: list[str], results: list[StepResult]) -> str:
    by_line: dict[int, list[StepResult]] = defaultdict(list)
    for result in results:
        by_line[result.line].append(result)
    counts = {kind: sum(_kind(r) == kind for r in results)
              for kind in ("valid", "invalid", "not_checked", "definition", "premise")}
    summary = (f"{len(results)} steps: {counts['valid']} valid, {counts['invalid']} invalid, "
               f"{counts['not_checked']} not checked, {counts['definition'] + counts['premise']} definitions and "
               f"premises")
    rows = []
    for number, line in enumerate(text_lines, start=1):
        steps = by_line.get(number, [])
        marked = " marked" if steps else ""
        where = steps[0].source.location if steps else str(number)
        rows.append(f'<div class="line{marked}" id="line-{number}"><span class="no">{html.escape(where)}</span>'
                    f'<span class="text">{html.escape(line) or "&#8203;"}</span>')
        if steps:
            rows.append('<div class="steps">' + "".join(_step_html(r) for r in steps) + "</div>")
        rows.append("</div>")
    return (f'<section class="document"><h2>{html.escape(path)}</h2><p class="summary">{summary}</p>'
            f'<div class="doc">{"".join(rows)}</div></section>')


def format_html(documents: Sequence[tuple[str, str, list[StepResult]]]) -> str:
    """One HTML page for (path, the document's text as read, its results) of each file: each line of the text,
    and under each line that holds steps, the steps with their verdict, role, reason and counterexample."""
    body = "".join(_document_html(path, text.split("\n"), results) for path, text, results in documents)
    total = sum(len(results) for _, _, results in documents)
    invalid = sum(r.verdict == "invalid" for _, _, results in documents for r in results)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>gaussproof check: {invalid} invalid of {total} steps</title><style>{_STYLE}</style></head>"
            f"<body><h1>gaussproof check: {total} steps, {invalid} invalid</h1>{body}</body></html>\n")
