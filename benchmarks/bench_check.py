"""Benchmark: `gaussproof check` against Math-Verify and mathguard on the notes corpus, same steps.

Run: python benchmarks/bench_check.py [--quick]   (--quick: gaussproof alone on the first corpus and the 50 steps)

The corpus is `tests/notes_corpus/` (correct and corrupted notes, expected verdicts in `expected.json`), scored
in three sections: the corpus, the held-out set `heldout/` and the second held-out set `heldout2/`; then the
labelled whole documents of `whole/` (gaussproof alone: roles, errors caught, false alarms, coverage); then the
adversarial suite `tests/adversarial/steps.json` (false one-line steps that must never be valid, and their
true twins that must never be invalid).
For each tool it prints errors caught (corrupted steps judged invalid / all corrupted steps), false alarms
(steps that are right, in either folder, judged invalid), steps not checked, and precision and recall with
"invalid" as the positive class. Then it times `gaussproof check` on `fifty_steps.md` (target < 10 s).

Tools:
- gaussproof: `derivations.notes.check_file`, what `gaussproof check` runs (imported lazily; "not available"
  if absent). Its missed errors and false alarms are listed by file and step number.
- Math-Verify (`pip install math-verify`, optional: not a test dependency): its `parse` and `verify` on each
  (lhs, rhs) pair. The pairs come from the simple splitter below, which follows the counting rules in
  `tests/notes_corpus/README.md` and is itself checked against the step counts in `expected.json`, so
  every tool is scored on the same steps. Steps over `\\propto` or `\\Rightarrow` are not equalities: they
  are not given to Math-Verify and count as not checked.
- mathguard (`check_chain`): not on the package index here; reported as not installed if it cannot be
  imported.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "notes_corpus"
FIFTY = CORPUS / "fifty_steps.md"


# --- a simple splitter (for Math-Verify's input, and to check the corpus counts) --------------------------

_BLOCK = re.compile(
    r"```math\n(?P<fence>.*?)```"
    r"|\$\$(?P<dollars>.*?)\$\$"
    r"|\\\[(?P<brackets>.*?)\\\]"
    r"|\\begin\{(?P<env>equation\*?|align\*?)\}(?P<envbody>.*?)\\end\{(?P=env)\}"
    r"|^[ \t]*\$(?P<line>[^$\n]+)\$[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
_COMMENTS = re.compile(r"\\(?:label|tag)\{[^{}]*\}|\\nonumber|\\notag|\\(?:begin|end)\{(?:aligned|split)\}")
_RELATIONS = (("=", "="), ("\\propto", "propto"), ("\\Rightarrow", "implies"), ("\\implies", "implies"),
              ("\\iff", "implies"))


@dataclass(frozen=True)
class Pair:
    """One step: consecutive sides of a chain and the relation between them."""

    lhs: str
    rhs: str
    relation: str  # "=", "propto" or "implies"


def _strip_text(row: str) -> str:
    """Drop `\\text{..}` annotations (not those in a subscript, which are part of a name)."""
    out, k = [], 0
    while k < len(row):
        if row.startswith("\\text{", k) and not row[:k].rstrip().endswith(("_", "_{")):
            depth, k = 1, k + len("\\text{")
            while k < len(row) and depth:
                depth += {"{": 1, "}": -1}.get(row[k], 0)
                k += 1
            continue
        out.append(row[k])
        k += 1
    return "".join(out)


def _top_level(text: str):
    """Yield (position, char, at_top_level) over text, tracking braces, brackets and environments."""
    depth, k = 0, 0
    while k < len(text):
        if text.startswith("\\begin{", k):
            depth += 1
        elif text.startswith("\\end{", k):
            depth -= 1
        char = text[k]
        if char == "\\" and k + 1 < len(text) and text[k + 1] in "{}[]()":
            yield k, char, depth == 0
            k += 2
            continue
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
        yield k, char, depth == 0
        k += 1


def _rows(body: str) -> list[str]:
    """Cut a block at top-level `\\\\` (and Hugo's `\\\\\\`)."""
    rows, start, skip = [], 0, -1
    positions = list(_top_level(body))
    for k, char, top in positions:
        if k <= skip:
            continue
        if top and body.startswith("\\\\", k):
            rows.append(body[start:k])
            end = k + 2
            if body.startswith("\\", end) and (end + 1 >= len(body) or body[end + 1].isspace()):
                end += 1  # Hugo's third backslash
            start, skip = end, end - 1
    rows.append(body[start:])
    return rows


def _split_relations(row: str) -> list[str]:
    """Alternate sides and relation names: [side, rel, side, rel, side, ...] (sides may be empty)."""
    parts, start, skip = [], 0, -1
    for k, char, top in _top_level(row):
        if k <= skip or not top:
            continue
        for token, name in _RELATIONS:
            if row.startswith(token, k) and not (token[0] == "\\" and row[k + len(token):k + len(token) + 1].isalpha()):
                parts += [row[start:k], name]
                start, skip = k + len(token), k + len(token) - 1
                break
    return parts + [row[start:]]


def _clean(side: str) -> str:
    side = re.sub(r"\\(?:quad|qquad)(?![A-Za-z])|\\[,;!]", " ", side)
    return side.strip().rstrip(",.").strip()


def _drop_alignment(row: str) -> str:
    """Replace the top-level `&` (alignment points; not matrix column separators) by spaces."""
    chars = list(row)
    for k, char, top in _top_level(row):
        if top and char == "&":
            chars[k] = " "
    return "".join(chars)


def extract_pairs(text: str) -> list[Pair]:
    """Every step of every chain in a note, in textual order (the rules of the corpus README)."""
    pairs: list[Pair] = []
    for match in _BLOCK.finditer(text):
        body = next(g for name, g in match.groupdict().items() if g is not None and name != "env")
        body = _strip_text(_COMMENTS.sub(" ", body))
        chain: list[str] = []  # side, relation, side, ... of the current chain
        previous_had_relation = True
        for row in _rows(body):
            row = _clean(_drop_alignment(row))
            if not row:
                continue
            parts = _split_relations(row)
            sides, relations = [_clean(p) for p in parts[0::2]], parts[1::2]
            continues = bool(chain) and (not sides[0] or sides[0].startswith("+") or not previous_had_relation)
            if not continues:
                pairs += _chain_pairs(chain)
                chain = []
            elif sides[0]:  # a long expression broken over rows
                chain[-1] = f"{chain[-1]} {sides[0]}"
                sides[0] = ""
            for k, side in enumerate(sides):
                if side:
                    chain.append(side)
                if k < len(relations):
                    chain.append(relations[k])
            previous_had_relation = bool(relations)
        pairs += _chain_pairs(chain)
    return pairs


def _chain_pairs(chain: list[str]) -> list[Pair]:
    return [Pair(chain[k - 1], chain[k + 1], chain[k]) for k in range(1, len(chain) - 1, 2)]


# --- the tools ------------------------------------------------------------------------------------------

def gaussproof_verdicts(paths: list[Path]) -> dict[Path, list[str]] | str:
    """Verdicts of `gaussproof check` (derivations.notes.check_file) per file, or why it is not available."""
    try:
        from derivations.notes import check_file
    except ImportError as error:
        return f"not available ({error})"
    return {path.resolve(): [result.verdict for result in check_file(path)] for path in paths}


def math_verify_verdicts(pairs: list[Pair]) -> list[str] | str:
    """Math-Verify's judgement of each equality pair (not_checked when a side does not parse)."""
    try:
        from math_verify import parse, verify
    except ImportError:
        return "Math-Verify not installed (pip install math-verify)"
    verdicts = []
    for pair in pairs:
        if pair.relation != "=":
            verdicts.append("not_checked")
        elif (pair.lhs, pair.rhs) in _MATH_VERIFY_SEEN:  # the corrupted notes repeat most correct steps
            verdicts.append(_MATH_VERIFY_SEEN[pair.lhs, pair.rhs])
        else:
            with contextlib.redirect_stderr(io.StringIO()):
                for side in (pair.lhs, pair.rhs):  # a chain's sides appear in two steps: parse once
                    if side not in _MATH_VERIFY_PARSED:
                        _MATH_VERIFY_PARSED[side] = parse(f"${side}$", parsing_timeout=2)
                lhs, rhs = _MATH_VERIFY_PARSED[pair.lhs], _MATH_VERIFY_PARSED[pair.rhs]
                verdict = ("valid" if verify(lhs, rhs, timeout_seconds=2) else "invalid") if lhs and rhs \
                    else "not_checked"
            verdicts.append(_MATH_VERIFY_SEEN.setdefault((pair.lhs, pair.rhs), verdict))
    return verdicts


_MATH_VERIFY_SEEN: dict[tuple[str, str], str] = {}
_MATH_VERIFY_PARSED: dict[str, list] = {}


def mathguard_verdicts(pairs: list[Pair]) -> list[str] | str:
    """mathguard's check_chain on each pair, if mathguard can be imported."""
    if importlib.util.find_spec("mathguard") is None:
        return "mathguard could not be installed (not on the package index here)"
    check_chain = importlib.import_module("mathguard").check_chain
    verdicts = []
    for pair in pairs:
        if pair.relation != "=":
            verdicts.append("not_checked")
            continue
        try:
            result = check_chain([pair.lhs, pair.rhs])
            ok = getattr(result, "ok", getattr(result, "valid", result))
            verdicts.append("valid" if ok else "invalid")
        except Exception:  # any failure of the other tool on our input is "not checked" for it
            verdicts.append("not_checked")
    return verdicts


# --- scoring --------------------------------------------------------------------------------------------

def score(name: str, expected: dict[str, list[str]], got: dict[str, list[str]], show: bool = False) -> None:
    """Print the counts; with show, also every missed error and false alarm (file and step number)."""
    caught = corrupted = alarms = unchecked = total = 0
    wrong: list[str] = []
    for key, want in expected.items():
        have = got.get(key)
        if have is None or len(have) != len(want):
            print(f"  {name}: {key}: {0 if have is None else len(have)} steps, expected {len(want)}: not scored")
            continue
        for number, (w, h) in enumerate(zip(want, have), start=1):
            if (w == "invalid") != (h == "invalid"):
                wrong.append(f"    {key} step {number}: expected {w}, got {h}")
            total += 1
            unchecked += h == "not_checked"
            if w == "invalid":
                corrupted += 1
                caught += h == "invalid"
            elif h == "invalid":
                alarms += 1
    flagged = caught + alarms
    precision = f"{caught / flagged:.2f}" if flagged else "n/a"
    recall = f"{caught / corrupted:.2f}" if corrupted else "n/a"
    print(f"{name:<12} {caught:>3}/{corrupted:<3} caught  {alarms:>3} false alarms  "
          f"{unchecked:>3}/{total} not checked  precision {precision}  recall {recall}")
    if show and wrong:
        print("\n".join(wrong))


def time_fifty_cold() -> str:
    """Seconds for check_file on fifty_steps.md in a fresh process (its steps are in the corpus, so in this
    process they would come from caches); imports are not timed."""
    code = ("import time; from derivations.notes import check_file; start = time.perf_counter(); "
            f"results = check_file({str(FIFTY)!r}); print(len(results), time.perf_counter() - start)")
    try:
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "over 120 s (target < 10 s)"
    if run.returncode != 0:
        return f"not available ({(run.stderr.strip().splitlines() or [''])[-1][:160]})"
    steps, seconds = run.stdout.split()
    return f"{float(seconds):.2f} s for {steps} steps, cold caches (target < 10 s)"


def score_set(title: str, scored: dict[str, list[str]], files: dict[str, Path], pairs: dict) -> None:
    """Every tool on the same steps of one set of notes."""
    n_steps = sum(map(len, scored.values()))
    n_invalid = sum(v.count("invalid") for v in scored.values())
    print(f"{title}: {len(scored)} files, {n_steps} steps, {n_invalid} of them corrupted (expected invalid)\n")

    start = time.perf_counter()
    ours = gaussproof_verdicts([files[k] for k in scored])
    ours_seconds = time.perf_counter() - start
    if isinstance(ours, str):
        print(f"{'gaussproof':<12} {ours}")
    else:
        score("gaussproof", scored, {k: ours.get(files[k].resolve(), []) for k in scored}, show=True)
        print(f"{'':<12} ({ours_seconds:.1f} s for these notes)")

    for name, tool in (("Math-Verify", math_verify_verdicts), ("mathguard", mathguard_verdicts)):
        if QUICK:
            print(f"{name:<12} not run (--quick)")
            continue
        start = time.perf_counter()
        got = {k: tool(pairs[k]) for k in scored}
        seconds = time.perf_counter() - start
        message = next((v for v in got.values() if isinstance(v, str)), None)
        if message:
            print(f"{name:<12} {message}")
        else:
            score(name, scored, got)
            print(f"{'':<12} ({seconds:.1f} s for these notes)")
    print()


WHOLE = CORPUS / "whole"


def _side(tex: str) -> str:
    """A side as the labels are compared: no whitespace, unescaped braces or spacing commands."""
    tex = tex.replace("\\\\", "\x00")
    tex = re.sub(r"(?<!\\)[{}]", "", re.sub(r"\\(?:quad|qquad)(?![a-zA-Z])|\\[,;!: ]", "", tex))
    return re.sub(r"\s+", "", tex).replace("\x00", "\\\\")


def score_whole_documents() -> None:
    """The labelled whole-document corpus (tests/notes_corpus/whole/, issue 12), each part apart: errors caught
    (recall), false alarms on correct steps (precision), definitions and premises judged invalid, assertions
    judged (coverage), and the time per document."""
    try:
        from derivations.notes.check import check_document
    except ImportError as error:
        print(f"Whole documents: gaussproof not available ({error})\n")
        return
    for part in sorted(path.stem.rsplit("_", 1)[1] for path in WHOLE.glob("labels.part_*.json")):
        labels = json.loads((WHOLE / f"labels.part_{part}.json").read_text(encoding="utf-8"))
        counts = dict.fromkeys(("steps", "misread", "d", "d_invalid", "v", "v_invalid", "x", "x_caught",
                                "assertions", "judged"), 0)
        seconds = []
        for name, want in labels.items():
            start = time.perf_counter()
            results = check_document(WHOLE / name).results
            seconds.append(time.perf_counter() - start)
            counts["steps"] += len(want)
            counts["misread"] += abs(len(results) - len(want))
            for result, label in zip(results, want):
                if (_side(result.lhs), _side(result.rhs)) != (_side(label["lhs"]), _side(label["rhs"])):
                    counts["misread"] += 1
                    continue
                kind, invalid = label["label"], result.verdict == "invalid"
                if kind == "d":
                    counts["d"] += 1
                    counts["d_invalid"] += invalid
                elif kind in "vx":
                    if label.get("role") in ("assertion", "equation"):
                        counts["assertions"] += 1
                        counts["judged"] += result.verdict in ("valid", "invalid")
                    counts[kind] += 1
                    counts["v_invalid" if kind == "v" else "x_caught"] += invalid
        flagged = counts["x_caught"] + counts["v_invalid"]
        print(f"Whole documents, part {part.upper()} ({len(labels)} documents, {counts['steps']} labelled steps, "
              f"{counts['misread']} extracted differently from the labels):")
        print(f"  errors caught {counts['x_caught']}/{counts['x']} (recall {counts['x_caught'] / counts['x']:.2f}), "
              f"false alarms {counts['v_invalid']}/{counts['v']} correct steps (precision "
              f"{counts['x_caught'] / flagged if flagged else 1:.2f}), definitions and premises invalid "
              f"{counts['d_invalid']}/{counts['d']}, assertions judged {counts['judged']}/{counts['assertions']} "
              f"({counts['judged'] / counts['assertions']:.0%}); {sum(seconds) / len(seconds):.1f} s per document "
              f"(slowest {max(seconds):.1f} s)")
    print()


ADVERSARIAL = CORPUS.parent / "adversarial" / "steps.json"


def _math_verify_pair(lhs: str, rhs: str) -> str:
    from math_verify import parse, verify

    with contextlib.redirect_stderr(io.StringIO()):
        left, right = parse(f"${lhs}$", parsing_timeout=2), parse(f"${rhs}$", parsing_timeout=2)
        return ("valid" if verify(left, right, timeout_seconds=2) else "invalid") if left and right else "not_checked"


def score_adversarial() -> None:
    """The adversarial suite (tests/adversarial/steps.json): false one-line steps, which must never be valid,
    and their true twins, which must never be invalid; each tool on the same steps."""
    cases = json.loads(ADVERSARIAL.read_text(encoding="utf-8"))
    print(f"Adversarial suite: {len(cases)} false steps, each with a true twin\n")
    tools = [("gaussproof", None), ("Math-Verify", _math_verify_pair)]
    try:
        from derivations.notes.judge import judge_pair
        tools[0] = ("gaussproof", lambda lhs, rhs: judge_pair(lhs, rhs)[0])
    except ImportError as error:
        print(f"{'gaussproof':<12} not available ({error})")
        tools = tools[1:]
    if importlib.util.find_spec("math_verify") is None:
        print(f"{'Math-Verify':<12} Math-Verify not installed (pip install math-verify)")
        tools = [t for t in tools if t[0] != "Math-Verify"]
    for name, judge in tools:
        start = time.perf_counter()
        false = [judge(c["false"]["lhs"], c["false"]["rhs"]) for c in cases]
        true = [judge(c["true"]["lhs"], c["true"]["rhs"]) for c in cases]
        wrong = [c["id"] for c, v in zip(cases, false) if v == "valid"]
        alarms = [c["id"] for c, v in zip(cases, true) if v == "invalid"]
        print(f"{name:<12} {len(wrong):>3}/{len(cases)} false steps valid  {false.count('invalid'):>3} invalid  "
              f"{false.count('not_checked'):>3} not checked | true twins: {len(alarms):>3} invalid  "
              f"{true.count('valid'):>3} valid  {true.count('not_checked'):>3} not checked  "
              f"({time.perf_counter() - start:.1f} s)")
        if name == "gaussproof" and (wrong or alarms):
            print("    false steps valid: " + ", ".join(wrong) + "\n    true twins invalid: " + ", ".join(alarms))
    print()


#: ``--quick`` (the CI smoke run): gaussproof alone on the first corpus and the 50-step timing; no Math-Verify or
#: mathguard comparison, no held-out sets, whole-document corpus or adversarial suite (the test suite judges them).
QUICK = "--quick" in sys.argv[1:]


def main() -> None:
    began = time.perf_counter()
    expected = json.loads((CORPUS / "expected.json").read_text())
    files = {key: CORPUS / key for key in expected}
    pairs = {key: extract_pairs(path.read_text(encoding="utf-8")) for key, path in files.items()}
    for key, want in expected.items():  # the splitter must agree with the corpus before anyone is scored
        assert len(pairs[key]) == len(want), f"splitter: {key} has {len(pairs[key])} steps, expected {len(want)}"
    sets = (("Corpus", ("correct/", "corrupted/")),
            ("Held-out set (written without reading the parser)", ("heldout/",)),
            ("Second held-out set (textbook, lecture and blog styles, written without reading "
             "the parser)", ("heldout2/",)))
    if QUICK:
        print("Held-out sets: not run (--quick; tests/test_notes_check.py judges them)\n")
    for title, prefixes in sets[:1] if QUICK else sets:
        scored = {k: v for k, v in expected.items() if k.startswith(prefixes)}
        score_set(title, scored, files, pairs)

    if QUICK:
        print("Whole documents: not run (--quick; tests/test_notes_whole_corpus.py judges them)\n")
    else:
        score_whole_documents()
    if QUICK:
        print("Adversarial suite: not run (--quick; the tests judge it, tests/test_adversarial.py)\n")
    else:
        score_adversarial()

    print(f"\n{FIFTY.name}: {len(extract_pairs(FIFTY.read_text(encoding='utf-8')))} steps")
    print(f"gaussproof check: {time_fifty_cold()}")
    print(f"\nbenchmark run time {time.perf_counter() - began:.1f} s wall, {time.process_time():.1f} s CPU "
          "(this process; budget < 180 s for the three sets and the adversarial suite, most of it Math-Verify)")


if __name__ == "__main__":
    sys.exit(main())
