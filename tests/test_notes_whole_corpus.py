"""The labelled whole-document corpus (tests/notes_corpus/whole/, issue 12): every labelled step extracted
exactly, and, judged as documents, no definition or premise invalid and no correct step invalid beyond the
three known false alarms the corpus README explains (a new one fails). The benchmark
(``benchmarks/bench_check.py``) reports the errors caught and the coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derivations.notes.check import check_document
from derivations.notes.extract import extract
from test_notes_documents_corpus import canonical

WHOLE = Path(__file__).parent / "notes_corpus" / "whole"
LABELS: dict[str, list[dict]] = {}
for part in sorted(WHOLE.glob("labels.part_*.json")):
    LABELS.update(json.loads(part.read_text(encoding="utf-8")))

#: correct steps still judged invalid, each explained in whole/README.md ("Known false alarms")
KNOWN_FALSE_ALARMS = {("mle_blog.md", 104), ("b_mle_one_at_a_time.md", 113), ("b_zhihu_posterior_mean.md", 32),
                      ("c_sample_mle_zh.md", 69)}


def test_labels_are_complete_and_well_formed() -> None:
    documents = {p.name for p in WHOLE.iterdir() if p.is_file() and not p.name.startswith(("labels", "README"))}
    assert documents == set(LABELS) and len(documents) >= 15
    assert sum(map(len, LABELS.values())) >= 300
    for name, steps in LABELS.items():
        assert all(step["label"] in "dvxo" and step["role"] in ("definition", "premise", "equation", "assertion",
                                                                  "other") for step in steps), name
        assert sum(step["label"] == "x" for step in steps) >= 2, f"{name}: at least two errors"


@pytest.mark.parametrize("name", sorted(LABELS))
def test_labelled_steps_are_the_extracted_steps(name: str) -> None:
    steps = extract(WHOLE / name).steps
    want = LABELS[name]
    got = [(s.cell_line if s.cell else s.line, canonical(s.lhs), canonical(s.rhs)) for s in steps]
    assert got == [(w["line"], canonical(w["lhs"]), canonical(w["rhs"])) for w in want]


@pytest.fixture(scope="module")
def judged() -> dict[str, list]:
    return {name: check_document(WHOLE / name).results for name in sorted(LABELS)}


def test_no_definition_or_premise_is_invalid(judged) -> None:
    wrong = [f"{name}:{r.source.location} {r.step}" for name, results in judged.items()
             for r, label in zip(results, LABELS[name]) if label["label"] == "d" and r.verdict == "invalid"]
    assert not wrong, wrong


def test_no_new_false_alarm(judged) -> None:
    alarms = {(name, r.line) for name, results in judged.items() for r, label in zip(results, LABELS[name])
              if label["label"] == "v" and r.verdict == "invalid"}
    assert alarms <= KNOWN_FALSE_ALARMS, sorted(alarms - KNOWN_FALSE_ALARMS)


def test_errors_are_caught_where_they_were(judged) -> None:
    """A ratchet on recall: the errors caught stay caught (25 of 58 when this test was written; 41 of 58 with the
    matrix scope and the data, and 10 of part C's 19; 46 of 58 and 16 of 19 with joint Gaussian scalars, values
    in sentences, diagonal powers, Cholesky numbers and additive constants)."""
    caught = sum(r.verdict == "invalid" for name, results in judged.items()
                 for r, label in zip(results, LABELS[name]) if label["label"] == "x")
    assert caught >= 62
