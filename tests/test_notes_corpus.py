"""Integrity of the notes corpus (tests/notes_corpus): the expected verdicts are consistent with the files.

These tests do not run the checker (that is test_notes*, against expected.json); they keep the corpus
honest: every listed file exists, each corrupted file is a changed copy of its correct file with the
same number of steps, only ever turning valid steps into invalid ones, and the not-checked share stays
within the 10 % the issue allows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "notes_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
CORRECT = sorted(k.removeprefix("correct/") for k in EXPECTED if k.startswith("correct/"))
#: (set, file) for the main corpus ("") and the held-out sets ("heldout/", "heldout2/"), written without reading
#: the parser
SETS = ("", "heldout/", "heldout2/")
PAIRS = [(prefix, k.removeprefix(f"{prefix}correct/")) for prefix in SETS for k in EXPECTED
         if k.startswith(f"{prefix}correct/")]


def test_every_listed_file_exists_and_every_note_is_listed() -> None:
    for key in EXPECTED:
        assert (CORPUS / key).is_file(), key
    folders = [f"{prefix}{d}" for prefix in SETS for d in ("correct", "corrupted")]
    on_disk = {f"{d}/{p.name}" for d in folders for p in (CORPUS / d).iterdir()}
    assert on_disk == {k for k in EXPECTED if k.startswith(tuple(f"{d}/" for d in folders))}


def test_verdict_names() -> None:
    for key, verdicts in EXPECTED.items():
        assert verdicts and set(verdicts) <= {"valid", "invalid", "not_checked"}, key


def test_size_and_not_checked_share() -> None:
    assert len(CORRECT) >= 8
    steps = [v for name in CORRECT for v in EXPECTED[f"correct/{name}"]]
    assert len(steps) >= 45
    assert "invalid" not in steps
    assert steps.count("not_checked") <= 0.10 * len(steps)


@pytest.mark.parametrize("heldout", SETS[1:])
def test_heldout_size_and_not_checked_share(heldout: str) -> None:
    steps = [v for prefix, name in PAIRS if prefix == heldout for v in EXPECTED[f"{heldout}correct/{name}"]]
    assert len(steps) >= 30
    assert "invalid" not in steps
    assert steps.count("not_checked") <= 0.10 * len(steps)


@pytest.mark.parametrize("prefix, name", PAIRS)
def test_corrupted_copy_only_breaks_valid_steps(prefix: str, name: str) -> None:
    good, bad = EXPECTED[f"{prefix}correct/{name}"], EXPECTED[f"{prefix}corrupted/{name}"]
    assert (CORPUS / prefix / "correct" / name).read_text() != (CORPUS / prefix / "corrupted" / name).read_text()
    assert len(good) == len(bad)
    changed = [(g, b) for g, b in zip(good, bad) if g != b]
    assert changed and all(pair == ("valid", "invalid") for pair in changed)


def test_fifty_step_file() -> None:
    assert len(EXPECTED["fifty_steps.md"]) == 50
    assert "invalid" not in EXPECTED["fifty_steps.md"]
