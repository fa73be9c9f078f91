"""(b) Textual check of labels.part_c.json against the documents.

For every labelled step:
  * the normalised rhs occurs, in full, on the labelled line (notebooks: the line of the labelled
    cell's source), and the text just before it on that line ends with the step's relation
    (alignment '&' allowed in between), or the line begins with that relation;
  * the normalised lhs occurs in the document before that point;
  * keys, roles, labels are of the SPEC's format; d/x/o steps have a note; propto notes name the
    variable; roles agree with labels.
Finally the labels are compared one by one (order, line, sides, relation, reason) with what
extract.py finds, so that no step is missing or extra.
"""
import json
import re
import sys

from pathlib import Path
HERE = Path(__file__).resolve().parent  # part_c_tools/
DOCS = HERE.parent  # the documents and labels.part_c.json
sys.path.insert(0, str(HERE))
from extract import expand, extract_file, normalize, parse_macros  # noqa: E402

LABELS = json.load(open(str(DOCS / "labels.part_c.json"), encoding="utf-8"))
REL_TOKENS = {
    "=": ["="], ":=": [":=", "\\coloneqq"], "sim": ["\\sim", "\\overset\\textiid\\sim"],
    "propto": ["\\propto"], "implies": ["\\Rightarrow"], "approx": ["\\approx"],
}
ROLES = {"definition": "d", "premise": "d", "assertion": "vx", "equation": "vx", "other": "o"}


def doc_lines(name):
    """returns {cell_or_None: [normalised line texts]}"""
    path = str(DOCS) + "/" + name
    text = open(path, encoding="utf-8").read()
    if name.endswith(".ipynb"):
        nb = json.loads(text)
        out = {}
        for ci, c in enumerate(nb["cells"], 1):
            if c["cell_type"] == "markdown":
                out[ci] = "".join(c["source"]).split("\n")
        return out
    lines = text.split("\n")
    if name.endswith(".tex"):
        macros = parse_macros(text)
        lines = [expand(ln, macros) if not ln.lstrip().startswith("\\newcommand") else ln for ln in lines]
    return {None: lines}


def main():
    ok = True
    for name, steps in LABELS.items():
        cells = doc_lines(name)
        norm = {c: [normalize(ln) for ln in lines] for c, lines in cells.items()}
        problems = []
        for k, st in enumerate(steps, 1):
            keys = set(st)
            need = {"line", "lhs", "rhs", "relation", "role", "label", "note"}
            if name.endswith(".ipynb"):
                need.add("cell")
            if not need <= keys or not keys <= need | {"reason"}:
                problems.append((k, "keys", sorted(keys)))
            if st["label"] not in ROLES.get(st["role"], ""):
                problems.append((k, "role/label", st["role"], st["label"]))
            if st["label"] in "dxo" and not st.get("note", "").strip():
                problems.append((k, "missing note"))
            if st["relation"] == "propto" and not re.search(r"\bin z_a\b|\bin [a-z]", st["note"]):
                problems.append((k, "propto note names no variable"))
            c = st.get("cell")
            lines = norm[c]
            ln = st["line"]
            if not 1 <= ln <= len(lines):
                problems.append((k, "line out of range"))
                continue
            rhs, lhs = normalize(st["rhs"]), normalize(st["lhs"])
            line = lines[ln - 1]
            found = False
            for mobj in re.finditer(re.escape(rhs), line):
                before = line[:mobj.start()].rstrip("&")
                toks = REL_TOKENS[st["relation"]]
                if st.get("reason"):
                    toks = ["\\overset\\text%s\\sim" % st["reason"], "\\overset%s\\sim" % st["reason"]]
                if any(before.endswith(t) for t in toks):
                    # lhs must occur before this point (same line or earlier lines of the same cell)
                    earlier = "".join(lines[:ln - 1]) + line[:mobj.start()]
                    if lhs in earlier:
                        found = True
                        break
            if not found:
                problems.append((k, "rhs not found after its relation on line %d (or lhs not before it)" % ln))
        # comparison with the extractor
        ext = extract_file(str(DOCS) + "/" + name)
        if len(ext) != len(steps):
            problems.append(("count", len(ext), len(steps)))
        for k, (a, b) in enumerate(zip(ext, steps), 1):
            for key in ("cell", "line", "relation", "reason"):
                if a.get(key) != b.get(key):
                    problems.append((k, "differs from extractor in", key, a.get(key), b.get(key)))
            for key in ("lhs", "rhs"):
                if normalize(a[key]) != normalize(b[key]):
                    problems.append((k, "differs from extractor in", key))
        print("%-30s %2d steps: %s" % (name, len(steps), "OK" if not problems else problems))
        ok &= not problems
    print("ALL OK" if ok else "FAILURES")
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
