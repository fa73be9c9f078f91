"""A small, independent implementation of the extraction contract in SPEC.md, restricted to the
constructs used by the part C documents.  It lists the display-math steps of a document with
(line, [cell], lhs, rhs, relation, reason).  Written for this corpus only; not the project's tool.
"""
import bisect
import json
import re
import sys

MATRIX_ENVS = {"pmatrix", "bmatrix", "vmatrix", "Vmatrix", "matrix", "cases", "smallmatrix"}
LAYOUT_ENVS = {"aligned", "gathered", "split"}
DISPLAY_ENVS = ["equation", "align", "gather", "multline", "eqnarray", "flalign", "alignat"]

REL_CMDS = {
    "approx": "approx", "propto": "propto", "sim": "sim", "le": "<=", "ge": ">=", "ne": "!=",
    "in": "in", "to": "to", "equiv": "equiv", "coloneqq": ":=", "triangleq": ":=",
    "Rightarrow": "implies", "implies": "implies", "Longrightarrow": "implies",
    "iff": "iff", "Leftrightarrow": "iff", "therefore": "therefore",
}
SEP_CMDS = {"quad", "qquad"}
DEF_REASONS = {"def", "\\triangle", "\\Delta", "\\text{def}", "\\mathrm{def}"}


# ----------------------------------------------------------------------------- helpers
def line_index(text):
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def line_of(starts, pos):
    return bisect.bisect_right(starts, pos)


def mask(text, a, b):
    """replace text[a:b] by spaces, keeping newlines"""
    return text[:a] + "".join("\n" if c == "\n" else " " for c in text[a:b]) + text[b:]


def read_group(s, i):
    """s[i] == '{' : return index after the matching '}'"""
    assert s[i] == "{", (s[i:i + 20])
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ValueError("unbalanced braces")


def normalize(side):
    """comparison form: drop whitespace, unescaped braces and spacing commands (token-wise, so that
    the row break \\\\ is never mistaken for the spacing command '\\ ')"""
    out = []
    for tok in re.findall(r"\\[A-Za-z]+|\\.|.", side, flags=re.S):
        if tok in ("\\quad", "\\qquad", "\\,", "\\;", "\\!", "\\:", "\\ ", "{", "}"):
            continue
        if tok.isspace():
            continue
        out.append(tok)
    return "".join(out)


# ----------------------------------------------------------------------------- macros (.tex)
def parse_macros(text):
    macros = {}
    for mobj in re.finditer(r"\\(?:newcommand|renewcommand|providecommand)\s*\{\\([A-Za-z]+)\}\s*(?:\[(\d)\])?\s*\{", text):
        start = mobj.end() - 1
        end = read_group(text, start)
        macros[mobj.group(1)] = (int(mobj.group(2) or 0), text[start + 1:end - 1])
    for mobj in re.finditer(r"\\DeclareMathOperator\s*\{\\([A-Za-z]+)\}\s*\{([^}]*)\}", text):
        macros[mobj.group(1)] = (0, "\\operatorname{" + mobj.group(2) + "}")
    return macros


def expand(s, macros):
    for _ in range(20):
        out = []
        i = 0
        changed = False
        while i < len(s):
            m = re.match(r"\\([A-Za-z]+)", s[i:])
            if m and m.group(1) in macros:
                n, body = macros[m.group(1)]
                j = i + m.end()
                args = []
                for _k in range(n):
                    while j < len(s) and s[j] in " \t":
                        j += 1
                    if s[j] == "{":
                        e = read_group(s, j)
                        args.append(s[j + 1:e - 1])
                        j = e
                    else:
                        args.append(s[j])
                        j += 1
                rep = body
                for k, a in enumerate(args):
                    rep = rep.replace("#%d" % (k + 1), a)
                out.append(rep)
                i = j
                changed = True
            elif m:
                out.append(m.group(0))
                i += m.end()
            elif s[i] == "\\" and i + 1 < len(s):
                out.append(s[i:i + 2])
                i += 2
            else:
                out.append(s[i])
                i += 1
        s = "".join(out)
        if not changed:
            break
    return s


# ----------------------------------------------------------------------------- finding display blocks
def md_blocks(text, is_file=True):
    """return list of (start, end) offsets of display-math contents in a Markdown text"""
    t = text
    if is_file and t.startswith("---\n"):
        end = t.find("\n---", 4)
        t = mask(t, 0, end + 4)
    # fenced code blocks (``` or ~~~ of any language)
    lines = t.split("\n")
    pos = 0
    fence_start = None
    fence_tok = None
    for ln in lines:
        s = ln.lstrip()
        if fence_start is None and (s.startswith("```") or s.startswith("~~~")):
            fence_start, fence_tok = pos, s[:3]
        elif fence_start is not None and s.startswith(fence_tok):
            t = mask(t, fence_start, pos + len(ln))
            fence_start = None
        pos += len(ln) + 1
    for mobj in re.finditer(r"<!--.*?-->", t, flags=re.S):
        t = mask(t, mobj.start(), mobj.end())
    for mobj in re.finditer(r"`[^`\n]*`", t):
        t = mask(t, mobj.start(), mobj.end())
    blocks = []
    i = 0
    while True:
        a = t.find("$$", i)
        if a < 0:
            break
        b = t.find("$$", a + 2)
        if b < 0:
            raise ValueError("unclosed $$")
        blocks.append((a + 2, b))
        i = b + 2
    return blocks, t


def tex_blocks(text):
    t = text
    for mobj in re.finditer(r"(?<!\\)%[^\n]*", t):
        t = mask(t, mobj.start(), mobj.end())
    blocks = []
    envpat = "|".join(DISPLAY_ENVS)
    for mobj in re.finditer(r"\\begin\{(%s)(\*?)\}(.*?)\\end\{\1\2\}" % envpat, t, flags=re.S):
        blocks.append((mobj.start(3), mobj.end(3)))
    for mobj in re.finditer(r"\\\[(.*?)\\\]", t, flags=re.S):
        blocks.append((mobj.start(1), mobj.end(1)))
    for mobj in re.finditer(r"\$\$(.*?)\$\$", t, flags=re.S):
        blocks.append((mobj.start(1), mobj.end(1)))
    blocks.sort()
    return blocks, t


# ----------------------------------------------------------------------------- one block
def clean_block(t, a, b):
    """mask labels, tags, layout environments inside t[a:b]"""
    seg = t[a:b]
    for pat in [r"\\label\{[^}]*\}", r"\\tag\{[^}]*\}", r"\\nonumber", r"\\notag",
                r"\\begin\{(?:aligned|gathered|split)\}(?:\{[^}]*\})?", r"\\end\{(?:aligned|gathered|split)\}"]:
        for mobj in re.finditer(pat, seg):
            seg = mask(seg, mobj.start(), mobj.end())
    return t[:a] + seg + t[b:]


def tokens(t, a, b):
    """yield (kind, start, end, value) for the top level of t[a:b]; kinds: rowbreak, rel, sep, amp, other"""
    i = a
    brace = 0
    env = 0
    paren = 0
    while i < b:
        c = t[i]
        top = brace == 0 and env == 0 and paren == 0
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+)", t[i:b])
            if m:
                name = m.group(1)
                j = i + m.end()
                if name == "begin" or name == "end":
                    em = re.match(r"\s*\{([A-Za-z*]+)\}", t[j:b])
                    envname = em.group(1).rstrip("*")
                    if envname in MATRIX_ENVS or envname == "array":
                        env += 1 if name == "begin" else -1
                    j += em.end()
                    yield ("other", i, j, None)
                    i = j
                    continue
                if name == "left":
                    k = j
                    while t[k] == " ":
                        k += 1
                    if t[k] == "\\":
                        k += 2
                    else:
                        k += 1
                    paren += 1
                    yield ("other", i, k, None)
                    i = k
                    continue
                if name == "right":
                    k = j
                    while t[k] == " ":
                        k += 1
                    if t[k] == "\\":
                        k += 2
                    else:
                        k += 1
                    paren -= 1
                    yield ("other", i, k, None)
                    i = k
                    continue
                if top and name in ("overset", "stackrel", "underset"):
                    # \overset{reason}{rel}
                    g1e = read_group(t, j)
                    g2e = read_group(t, g1e)
                    inner = t[g1e + 1:g2e - 1].strip()
                    reason = t[j + 1:g1e - 1].strip()
                    rel = None
                    if inner == "=":
                        rel = "="
                    elif inner.startswith("\\") and inner[1:] in REL_CMDS:
                        rel = REL_CMDS[inner[1:]]
                    if rel is not None:
                        rm = re.fullmatch(r"\\(?:text|mathrm)\{(.*)\}", reason)
                        if rm:
                            reason = rm.group(1)
                        if reason in DEF_REASONS or reason == "def":
                            yield ("rel", i, g2e, (":=", None))
                        else:
                            yield ("rel", i, g2e, (rel, reason))
                        i = g2e
                        continue
                if top and name in REL_CMDS:
                    yield ("rel", i, j, (REL_CMDS[name], None))
                elif top and name in SEP_CMDS:
                    yield ("sep", i, j, None)
                else:
                    yield ("other", i, j, None)
                i = j
                continue
            # two-character command
            two = t[i:i + 2]
            if two == "\\\\" and brace == 0 and env == 0:
                yield ("rowbreak", i, i + 2, None)
            elif two in ("\\{",) :
                paren += 1
                yield ("other", i, i + 2, None)
            elif two in ("\\}",):
                paren -= 1
                yield ("other", i, i + 2, None)
            else:
                yield ("other", i, i + 2, None)
            i += 2
            continue
        if c == "{":
            brace += 1
            yield ("other", i, i + 1, None)
        elif c == "}":
            brace -= 1
            yield ("other", i, i + 1, None)
        elif c in "([" and brace == 0 and env == 0:
            paren += 1
            yield ("other", i, i + 1, None)
        elif c in ")]" and brace == 0 and env == 0:
            paren -= 1
            yield ("other", i, i + 1, None)
        elif top and c == ":" and t[i + 1:i + 2] == "=":
            yield ("rel", i, i + 2, (":=", None))
            i += 2
            continue
        elif top and c == "=":
            yield ("rel", i, i + 1, ("=", None))
        elif top and c in "<>":
            yield ("rel", i, i + 1, (c, None))
        elif top and c in ",;":
            yield ("sep", i, i + 1, None)
        elif c == "&" and brace == 0 and env == 0:
            yield ("amp", i, i + 1, None)
        elif not c.isspace():
            yield ("other", i, i + 1, None)
        i += 1


def block_rows(t, a, b):
    rows = []
    cur = []
    for tok in tokens(t, a, b):
        if tok[0] == "rowbreak":
            rows.append(cur)
            cur = []
        else:
            cur.append(tok)
    rows.append(cur)
    return [r for r in rows]


def side_text(t, pieces):
    """pieces: list of (start, end) token spans, amp tokens removed"""
    return "".join(t[s:e] if t[s:e] != "&" else " " for s, e in pieces)


def row_statements(t, row):
    """split a row into statements: list of lists of items; an item is ('elem', start, text) or ('rel', value)"""
    toks = [tk for tk in row if tk[0] != "amp"]
    # drop trailing punctuation
    while toks and toks[-1][0] == "sep" and t[toks[-1][1]:toks[-1][2]] in ",;":
        toks = toks[:-1]
    while toks and toks[-1][0] == "other" and t[toks[-1][1]:toks[-1][2]] == ".":
        toks = toks[:-1]
    # separators next to a relation are spacing only
    stmts = [[]]
    for k, tk in enumerate(toks):
        if tk[0] == "sep":
            prev = next((x for x in reversed(toks[:k]) if x[0] != "sep"), None)
            nxt = next((x for x in toks[k + 1:] if x[0] != "sep"), None)
            if (prev is not None and prev[0] == "rel") or (nxt is not None and nxt[0] == "rel"):
                continue
            if stmts[-1]:
                stmts.append([])
            continue
        stmts[-1].append(tk)
    result = []
    for st in stmts:
        if not st:
            continue
        items = []
        cur = []
        amps = {tk[1] for tk in row if tk[0] == "amp"}
        for tk in st:
            if tk[0] == "rel":
                items.append(("elem", cur))
                items.append(("rel", tk[3]))
                cur = []
            else:
                cur.append(tk)
        items.append(("elem", cur))
        out = []
        for kind, val in items:
            if kind == "elem":
                if val:
                    s0 = val[0][1]
                    e0 = val[-1][2]
                    # rebuild text without amp (already removed) but keep everything else
                    txt = "".join(" " if (s0 + q) in amps else ch for q, ch in enumerate(t[s0:e0]))
                    out.append(("elem", s0, txt.strip()))
                else:
                    out.append(("elem", None, ""))
            else:
                out.append(("rel", val))
        result.append(out)
    return result


def extract_md_text(text, is_file=True, cell=None):
    blocks, t = md_blocks(text, is_file)
    starts = line_index(text)
    # across blocks only a block beginning with a relation continues; implement by processing
    steps = []
    last = None
    for blk in blocks:
        s, last = _extract_block_with_state(t, blk, starts, None, cell, last)
        steps += s
    return steps


def _extract_block_with_state(t, blk, starts, macros, cell, last_chain):
    a, b = blk
    t = clean_block(t, a, b)
    rows = block_rows(t, a, b)
    steps = []
    prev_row_info = None
    first_row = True
    for row in rows:
        stmts = row_statements(t, row)
        if not stmts:
            continue
        for si, st in enumerate(stmts):
            begins_rel = st[0][0] == "elem" and st[0][2] == "" and len(st) > 1
            cont = False
            if si == 0 and last_chain is not None:
                if begins_rel:
                    cont = True
                elif not first_row and prev_row_info is not None and (prev_row_info[1] or not prev_row_info[0]):
                    cont = True
            if cont:
                base = last_chain
                chain_items = st[1:] if begins_rel else st
            else:
                base = []
                chain_items = st
            seq = base + chain_items
            for k in range(1, len(seq), 2):
                if k + 1 <= len(base):
                    continue
                lhs = seq[k - 1]
                rel = seq[k][1]
                rhs = seq[k + 1] if k + 1 < len(seq) else ("elem", None, "")
                if lhs[2] == "" or rhs[2] == "":
                    continue
                ll, rl = lhs[2], rhs[2]
                if macros:
                    ll, rl = expand(ll, macros), expand(rl, macros)
                step = {}
                if cell is not None:
                    step["cell"] = cell
                step.update({"line": line_of(starts, rhs[1]), "lhs": ll, "rhs": rl, "relation": rel[0]})
                if rel[1] is not None:
                    step["reason"] = rel[1]
                steps.append(step)
            last_chain = seq
        had_rel = any(it[0] == "rel" for st in stmts for it in st)
        ended_rel = stmts[-1][-1][0] == "elem" and stmts[-1][-1][2] == "" and len(stmts[-1]) > 1
        prev_row_info = (had_rel, ended_rel)
        first_row = False
    return steps, last_chain


def extract_file(path):
    text = open(path, encoding="utf-8").read()
    if path.endswith(".ipynb"):
        nb = json.loads(text)
        steps = []
        last = None
        for ci, c in enumerate(nb["cells"], start=1):
            if c["cell_type"] != "markdown":
                continue
            src = "".join(c["source"])
            blocks, t = md_blocks(src, is_file=False)
            starts = line_index(src)
            for blk in blocks:
                s, last = _extract_block_with_state(t, blk, starts, None, ci, last)
                steps += s
        return steps
    if path.endswith(".tex"):
        macros = parse_macros(text)
        blocks, t = tex_blocks(text)
        starts = line_index(text)
        steps = []
        last = None
        for blk in blocks:
            s, last = _extract_block_with_state(t, blk, starts, macros, None, last)
            steps += s
        return steps
    return extract_md_text(text, is_file=True)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        st = extract_file(p)
        print("==", p, len(st))
        for k, s in enumerate(st, 1):
            print(k, json.dumps(s, ensure_ascii=False))
