"""The corpus of whole documents (tests/notes_corpus/documents/, issue 11): every expected step extracted, no
extra step, no fragment, in order, each with its line (and cell), relation, reason and sides; the inline steps
apart; the notes. Sides are compared after removing whitespace, unescaped braces and spacing commands (the
documents' README states the comparison)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from derivations.notes.extract import extract

DOCUMENTS = Path(__file__).parent / "notes_corpus" / "documents"
EXPECTED: dict[str, dict] = {}
for part in sorted(DOCUMENTS.glob("expected_steps*.json")):
    EXPECTED.update(json.loads(part.read_text(encoding="utf-8")))

_SPACING = re.compile(r"\\(?:quad|qquad)(?![a-zA-Z])|\\[,;!: ]")
_BRACES = re.compile(r"(?<!\\)[{}]")


def canonical(tex: str) -> str:
    r"""The side as compared: spacing commands, unescaped braces and whitespace removed (``\\ `` after a row end
    is not a spacing command: ``\\`` is removed as a pair first)."""
    tex = tex.replace("\\\\", "\x00")
    tex = _BRACES.sub("", _SPACING.sub("", tex))
    return re.sub(r"\s+", "", tex).replace("\x00", "\\\\")


def _record(step, expected: dict) -> dict:
    record = {"line": step.cell_line if step.cell is not None else step.line, "lhs": canonical(step.lhs),
              "rhs": canonical(step.rhs), "relation": step.relation}
    if step.cell is not None:
        record["cell"] = step.cell
    if step.reason or "reason" in expected:
        record["reason"] = step.reason
    return record


def _expected_record(expected: dict) -> dict:
    record = dict(expected, lhs=canonical(expected["lhs"]), rhs=canonical(expected["rhs"]))
    return record


def _compare(got: list, want: list) -> list[str]:
    problems = []
    for k in range(max(len(got), len(want))):
        mine = _record(got[k], want[k] if k < len(want) else {}) if k < len(got) else None
        theirs = _expected_record(want[k]) if k < len(want) else None
        if mine != theirs:
            problems.append(f"step {k + 1}: extracted {mine}, expected {theirs}")
    return problems


def test_the_corpus_is_complete() -> None:
    files = {p.name for p in DOCUMENTS.iterdir() if p.is_file() and not p.name.startswith(("expected", "README"))}
    assert files == set(EXPECTED), "every document has its expected steps, and every expectation its document"
    assert len(files) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_document_steps_are_extracted_exactly(name: str) -> None:
    found = extract(DOCUMENTS / name)
    want = EXPECTED[name]
    problems = _compare(found.steps, want["steps"])
    problems += ["inline " + p for p in _compare(found.inline_steps, want["inline_steps"])]
    notes = [text for _, text in found.notes]
    if notes != want.get("notes", []):
        problems.append(f"notes {notes}, expected {want.get('notes', [])}")
    assert not problems, f"{name}: {len(problems)} differences:\n" + "\n".join(problems[:40])
