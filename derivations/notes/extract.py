r"""Find the equality chains in a Markdown or LaTeX file.

Math is taken from: Markdown ``$$...$$``, ``\[...\]``, a line that is only ``$...$``, fenced ```` ```math ````
blocks; LaTeX ``equation``, ``align``, ``gather``, ``multline``, ``eqnarray`` (starred or not, and
``aligned``/``split``/``gathered`` inside any block). Other fenced code blocks and inline ``$..$`` in prose
are skipped.

Inside a block, rows end at ``\\`` (or Hugo's ``\\\``); ``\nonumber``, ``\notag``, ``\tag{..}``,
``\label{..}``, ``&``, comments and trailing ``.``/``,`` are dropped. A ``\text{..}`` at the top level of a row
is an annotation (e.g. a justification ``\text{(linearity)}``): it ends the current chain, and what follows
it on the row starts a new one. A top-level comma also separates chains (``a = b, \quad c = d``).

A row splits at its top-level relations (``=``, ``\approx``, ``\propto``, ``\le``, ``\Rightarrow``, ...).
A row that starts with a relation continues the chain of the row before; a row with no relation continues
the last expression (a long expression broken over lines); any other row starts a new chain. Every
consecutive pair of a chain is a step: ``a = b = c`` gives two steps, and ``a = b \Rightarrow c = d`` three
(the middle one, across the arrow, is not an equality and is not checked).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FileError", "Element", "Chain", "ExtractedStep", "read_text", "find_blocks", "chains_of_block",
           "extract_steps", "MAX_BYTES"]

MAX_BYTES = 1_000_000


class FileError(ValueError):
    """A file that cannot be checked at all: unreadable, not UTF-8, binary, empty or huge."""


@dataclass(frozen=True)
class Element:
    """One side of a relation: its LaTeX and the line where it starts."""

    tex: str
    line: int


@dataclass(frozen=True)
class Chain:
    """Elements joined by relations: ``relations[k]`` joins ``elements[k]`` and ``elements[k + 1]``."""

    elements: tuple[Element, ...]
    relations: tuple[str, ...]
    block: int


@dataclass(frozen=True)
class ExtractedStep:
    """A consecutive pair of a chain."""

    file: str
    line: int
    block: int
    lhs: str
    rhs: str
    relation: str
    chain: Chain

    @property
    def tex(self) -> str:
        """The step as LaTeX: ``lhs relation rhs`` with the relation written as its LaTeX symbol."""
        symbol = {"implies": r"\Rightarrow", "propto": r"\propto", "approx": r"\approx",
                  "iff": r"\iff"}.get(self.relation, self.relation)
        return f"{self.lhs} {symbol} {self.rhs}"


def read_text(path: str | Path) -> str:
    """The file's text; :class:`FileError` naming the problem if it is missing, not a regular file (a
    directory, a device such as /dev/zero, a FIFO, a socket), huge, binary, not UTF-8 or empty. The path is
    looked at (stat) before it is opened, and opened without blocking, so a FIFO is never waited on; at most
    MAX_BYTES + 1 bytes are read, so a file that grows is not read without end."""
    path = Path(path)
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        raise FileError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    kind = _file_kind(info.st_mode)
    if kind:
        raise FileError(f"{path}: {kind}")
    if info.st_size > MAX_BYTES:
        raise FileError(f"{path}: too large ({info.st_size} bytes; the limit is {MAX_BYTES} bytes)")
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise FileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        kind = _file_kind(os.fstat(descriptor).st_mode)  # replaced between the stat and the open
        if kind:
            raise FileError(f"{path}: {kind}")
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(descriptor, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise FileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise FileError(f"{path}: too large (over {MAX_BYTES} bytes, the limit)")
    if b"\x00" in data:
        raise FileError(f"{path}: binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(f"{path}: not UTF-8 (invalid byte at offset {exc.start})") from None
    if not text.strip():
        raise FileError(f"{path}: empty file")
    return text


def _file_kind(mode: int) -> str | None:
    """Why a file of this mode is not read (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in ((stat.S_ISDIR, "is a directory"), (stat.S_ISFIFO, "is a FIFO (named pipe)"),
                       (stat.S_ISCHR, "is a character device"), (stat.S_ISBLK, "is a block device"),
                       (stat.S_ISSOCK, "is a socket")):
        if test(mode):
            return f"{kind}, not a regular file"
    return "not a regular file"


# ---------------------------------------------------------------------------------------------------------
# blocks
_ENVIRONMENTS = r"equation|align|gather|multline|eqnarray|displaymath|flalign|alignat"
_OPENERS = re.compile(
    r"(?P<fence>^[ \t]*(?P<ticks>`{3,}|~{3,})[ \t]*(?P<lang>[A-Za-z0-9_+-]*)[^\n]*$)"
    r"|(?P<dollars>(?<!\\)\$\$)"
    r"|(?P<bracket>(?<!\\)\\\[)"
    rf"|(?P<env>\\begin\{{(?P<name>(?:{_ENVIRONMENTS})\*?)\}}(?:\{{\d+\}})?)"
    r"|(?P<line>^[ \t]*\$(?!\$)(?P<inline>[^\n$]+)\$[ \t]*$)"
    r"|(?P<comment>(?<!\\)%[^\n]*$)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class _Block:
    text: str
    start: int  # offset of text in the file
    number: int


def find_blocks(text: str, latex: bool = False) -> list[_Block]:
    """The display-math blocks of a file, in order. ``latex``: ``%`` starts a comment outside math too."""
    blocks: list[_Block] = []
    position = 0
    while True:
        found = _OPENERS.search(text, position)
        if not found:
            break
        kind = found.lastgroup if found.lastgroup not in ("ticks", "lang", "name", "inline") else None
        for group in ("fence", "dollars", "bracket", "env", "line", "comment"):
            if found.group(group) is not None:
                kind = group
                break
        if kind == "comment":
            position = found.end() if latex else found.start() + 1
            continue
        if kind == "fence":
            ticks = found.group("ticks")
            closing = re.compile(rf"^[ \t]*{re.escape(ticks[0])}{{{len(ticks)},}}[ \t]*$", re.MULTILINE)
            end = closing.search(text, found.end())
            body_end = end.start() if end else len(text)
            if found.group("lang").lower() == "math":
                blocks.append(_Block(text[found.end():body_end], found.end(), len(blocks) + 1))
            position = end.end() if end else len(text)
            continue
        if kind == "line":
            start = found.start("inline")
            blocks.append(_Block(found.group("inline"), start, len(blocks) + 1))
            position = found.end()
            continue
        if kind == "dollars":
            end = re.compile(r"(?<!\\)\$\$").search(text, found.end())
        elif kind == "bracket":
            end = re.compile(r"(?<!\\)\\\]").search(text, found.end())
        else:
            end = re.compile(rf"\\end\{{{re.escape(found.group('name'))}\}}").search(text, found.end())
        body_end = end.start() if end else len(text)
        blocks.append(_Block(text[found.end():body_end], found.end(), len(blocks) + 1))
        position = end.end() if end else len(text)
    return blocks


# ---------------------------------------------------------------------------------------------------------
# masking: annotations and layout replaced by spaces, keeping every offset (so lines stay right)
def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


_BALANCED = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_LAYOUT = re.compile(
    r"(?<!\\)%[^\n]*"
    rf"|\\(?:nonumber|notag|displaystyle|textstyle)(?![a-zA-Z])|\\tag\*?\s*{_BALANCED}|\\label\s*{_BALANCED}"
    r"|\\(?:begin|end)\{(?:aligned|split|gathered|alignedat|array|cases)\*?\}(?:\{[^{}]*\})?"
    r"|\\(?:begin|end)\{(?:" + _ENVIRONMENTS + r")\*?\}"
    r"|\\\\\[[^\]]*\]"  # \\[2pt]: keep the \\ below
)


def _mask_layout(text: str) -> str:
    def blank_keep_rowsep(match: re.Match) -> str:
        token = match.group(0)
        if token.startswith("\\\\["):
            return "\\\\" + re.sub(r"[^\n]", " ", token[2:])
        return _blank(match)

    return _LAYOUT.sub(blank_keep_rowsep, text)


_ENV_MARK = re.compile(r"\\(begin|end)\s*\{[^{}]*\}")
_RELATIONS = [
    (r"\Longleftrightarrow", "iff"), (r"\Leftrightarrow", "iff"), (r"\iff", "iff"),
    (r"\Longrightarrow", "implies"), (r"\Rightarrow", "implies"), (r"\implies", "implies"),
    (r"\Leftarrow", "implied by"), (r"\impliedby", "implied by"), (r"\therefore", "therefore"),
    (r"\coloneqq", ":="), (r"\triangleq", ":="), (r"\equiv", "equiv"), (r"\doteq", ":="), (r"\eqqcolon", "=:"),
    (r"\approx", "approx"), (r"\simeq", "approx"), (r"\propto", "propto"), (r"\sim", "sim"),
    (r"\leq", "<="), (r"\geq", ">="), (r"\le", "<="), (r"\ge", ">="), (r"\neq", "!="), (r"\ne", "!="),
    (r"\ll", "<"), (r"\gg", ">"), (r"\to", "to"), (r"\mapsto", "to"), (r"\in", "in"),
    (":=", ":="), ("=:", "=:"), ("!=", "!="), ("<=", "<="), (">=", ">="), ("=", "="), ("<", "<"), (">", ">"),
]
_STACKED_EQUALS = re.compile(r"\\(?:overset|stackrel)\s*(" + _BALANCED + r")\s*\{\s*=\s*\}")
_TEXT_MACROS = re.compile(r"\\(?:text|textrm|textit|textbf|mbox|hbox|intertext|shortintertext)\s*\{")


def _stacked(match: re.Match) -> str:
    label = match.group(1)
    relation = ":=" if re.search(r"def|triangle|Delta|:", label) else "="
    return relation.ljust(len(match.group(0)))


def _rows(text: str) -> list[tuple[int, int]]:
    """(start, end) of each row: split at top-level \\\\ or \\\\\\ (not inside braces or nested environments)."""
    rows, start, depth, k = [], 0, 0, 0
    while k < len(text):
        c = text[k]
        environment = _ENV_MARK.match(text, k)
        if environment:
            depth += 1 if environment.group(1) == "begin" else -1
            k = environment.end()
            continue
        if c == "\\" and text.startswith("\\\\", k):
            if depth == 0:
                end = k
                k += 2
                if k < len(text) and text[k] == "\\" and not (k + 1 < len(text) and text[k + 1].isalpha()):
                    k += 1  # Hugo's \\\
                rows.append((start, end))
                start = k
                continue
            k += 2
            continue
        if c == "\\" and k + 1 < len(text):
            k += 2  # an escaped character or the first letter of a macro
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        k += 1
    rows.append((start, len(text)))
    return rows


def _split_row(row: str) -> list[list]:
    """A row as segments separated by top-level \\text{..} or commas; each segment a list alternating
    (offset, text) pieces and relation names."""
    segments: list[list] = [[]]
    piece_start, depth, env_depth, k = 0, 0, 0, 0

    def close_piece(end: int):
        segments[-1].append((piece_start, row[piece_start:end]))

    while k < len(row):
        c = row[k]
        environment = _ENV_MARK.match(row, k)
        if environment:
            env_depth += 1 if environment.group(1) == "begin" else -1
            k = environment.end()
            continue
        top = depth == 0 and env_depth == 0
        if top:
            text_match = _TEXT_MACROS.match(row, k)
            if text_match:
                close_piece(k)
                end = _matching_brace(row, text_match.end() - 1)
                segments.append([])
                k = piece_start = end
                continue
            if c == ",":
                close_piece(k)
                segments.append([])
                k = piece_start = k + 1
                continue
            relation = _relation_at(row, k)
            if relation:
                symbol, name = relation
                close_piece(k)
                segments[-1].append(name)
                k = piece_start = k + len(symbol)
                continue
        if c == "\\":
            if row.startswith("\\{", k):  # (\left\{: \left is skipped below, then \{ counts once)
                depth += 1
            elif row.startswith("\\}", k):
                depth -= 1
            letters = re.match(r"\\[a-zA-Z]+|\\.", row[k:])
            k += len(letters.group(0)) if letters else 1
            continue
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth = max(0, depth - 1) if c != "}" else depth - 1
        k += 1
    close_piece(len(row))
    return segments


def _matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "{" and (k == 0 or text[k - 1] != "\\"):
            depth += 1
        elif text[k] == "}" and (k == 0 or text[k - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return k + 1
    return len(text)


def _relation_at(row: str, k: int) -> tuple[str, str] | None:
    for symbol, name in _RELATIONS:
        if row.startswith(symbol, k):
            if symbol[0] == "\\" and k + len(symbol) < len(row) and row[k + len(symbol)].isalpha():
                continue  # \le is not \left, \in is not \infty
            return symbol, name
    return None


_TRAILING = re.compile(r"[\s.,;]+$")


_EDGE_SPACING = re.compile(r"^(\s|\\(quad|qquad|,|;|!|:)(?![a-zA-Z]))+|(\s|\\(quad|qquad|,|;|!|:)(?![a-zA-Z]))+$")


def _drop_alignment(piece: str) -> str:
    """``&`` at the top level (alignment) removed; the ``&`` of a matrix inside stays."""
    out, depth, k = [], 0, 0
    while k < len(piece):
        environment = _ENV_MARK.match(piece, k)
        if environment:
            depth += 1 if environment.group(1) == "begin" else -1
            out.append(environment.group(0))
            k = environment.end()
            continue
        out.append(" " if piece[k] == "&" and depth == 0 else piece[k])
        k += 1
    return "".join(out)


def _clean(piece: str) -> str:
    piece = _drop_alignment(piece)
    previous = None
    while previous != piece:
        previous = piece
        piece = _EDGE_SPACING.sub("", _TRAILING.sub("", piece))
    return piece.strip()


def _tokens(segment: list, row_start: int, line_of) -> list:
    """A segment as a list of Elements and relation names, in order (empty pieces dropped)."""
    tokens = []
    for part in segment:
        if isinstance(part, str):
            tokens.append(part)
            continue
        offset, text = part
        cleaned = _clean(text)
        if cleaned:
            stripped = len(text) - len(text.lstrip())
            tokens.append(Element(cleaned, line_of(row_start + offset + stripped)))
    return tokens


def chains_of_block(block: _Block, file_text: str) -> list[Chain]:
    """The chains of one block (see the module docstring for the rules)."""
    masked = _mask_layout(block.text)
    masked = _STACKED_EQUALS.sub(_stacked, masked)
    first_line = file_text.count("\n", 0, block.start) + 1

    def line_of(offset: int) -> int:
        return first_line + masked.count("\n", 0, offset)

    chains: list[list] = []  # each chain: alternating Element, relation, Element, ... (may end in a relation)
    current: list | None = None
    for row_start, row_end in _rows(masked):
        for number, segment in enumerate(_split_row(masked[row_start:row_end])):
            tokens = _tokens(segment, row_start, line_of)
            if not tokens:
                continue
            has_relation = any(isinstance(t, str) for t in tokens)
            if number == 0 and current is not None:
                if isinstance(tokens[0], str) or isinstance(current[-1], str):
                    current.extend(tokens)  # "&= ..." continues the chain (or the previous row ended in "=")
                    continue
                if not has_relation:  # a long expression broken over rows
                    last = current[-1]
                    current[-1] = Element(f"{last.tex} {tokens[0].tex}", last.line)
                    continue
            while tokens and isinstance(tokens[0], str):
                tokens = tokens[1:]
            if tokens:
                current = list(tokens)
                chains.append(current)
    result = []
    for tokens in chains:
        elements: list[Element] = []
        relations: list[str] = []
        pending = None
        for token in tokens:
            if isinstance(token, str):
                pending = token if pending is None else pending
                continue
            if elements:
                relations.append(pending or "=")
            elements.append(token)
            pending = None
        result.append(Chain(tuple(elements), tuple(relations), block.number))
    return result


def extract_steps(path: str | Path, text: str | None = None) -> list[ExtractedStep]:
    """Every step of every chain in the file, in textual order."""
    text = read_text(path) if text is None else text
    latex = str(path).endswith((".tex", ".latex", ".ltx"))
    steps = []
    for block in find_blocks(text, latex=latex):
        for chain in chains_of_block(block, text):
            for k, relation in enumerate(chain.relations):
                lhs, rhs = chain.elements[k], chain.elements[k + 1]
                steps.append(ExtractedStep(str(path), rhs.line, chain.block, lhs.tex, rhs.tex, relation, chain))
    return steps
