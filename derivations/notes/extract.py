r"""Find the statements of a document: the chains of relations in its math, with where each side sits.

The file is first made into a :class:`~.sources.Document` (:mod:`.sources`: Markdown dialects, notebooks,
LaTeX with its own macros; what is not math blanked, every line kept). In it, math is taken from:

* display math: ``$$...$$`` (also inside a line of prose), ``\[...\]``, a line that is only ``$...$``, the
  environments ``equation``, ``align``, ``gather``, ``multline``, ``eqnarray``, ``flalign``, ``alignat``
  (starred or not), and in Markdown also ``aligned``, ``gathered``, ``split`` and ``array`` written bare;
* inline math, ``$...$`` in a sentence and ``\(...\)``: its steps are kept apart (``inline``), and checked
  only when asked (``gaussproof check --inline``).

Inside a block (:func:`chains_of_block`):

* In Markdown, Hugo's escapes are undone (``\_``, ``\*``, ``\\{``, ``\\}``, ``\\\\``).
* Rows end at a top-level ``\\`` (or Hugo's ``\\\``). The rows of a matrix (``pmatrix``, ``bmatrix``, ...),
  of ``cases`` and of an ``array`` whose rows hold no relation belong to that object; an ``array`` whose rows
  hold relations is a layout, like ``aligned``.
* ``&``, ``\nonumber``, ``\notag``, ``\tag``, ``\label``, comments and trailing ``.``/``,``/``;`` are dropped,
  and so are decorations: ``\color``, ``\textcolor{c}{X}``, ``\cancel{X}``, ``\boxed{X}``,
  ``\underbrace{X}_{..}``, ``\overbrace{X}^{..}``, ``\displaystyle``, ``\limits``, ``\mathop{X}`` (each is its X).
* A relation with a reason on it (``\overset{\text{iid}}{=}``, ``\stackrel{(a)}{=}``, ``\underset{..}{=}``,
  ``\mathop{=}\limits_{..}``) is that relation, with the reason kept; a definition label (``def``,
  ``\triangle``, ``\Delta``, ``:``) makes an ``=`` a ``:=``.
* A row splits at its top-level relations (``=``, ``\approx``, ``\propto``, ``\le``, ``\Rightarrow``, ...) and
  into statements at top-level ``\quad``, ``\qquad``, ``\hspace``, ``;`` and ``,`` (a separator next to a
  relation, or after an operator, is only spacing). A top-level ``\text{..}`` holding prose is an annotation:
  it ends the statement, and what follows on the row starts a new one; a ``\text{..}`` that is part of a
  formula (after ``^`` or ``_``, or one word used as an operator or a term: ``\text{tr}(A)``, ``+\text{const}``)
  stays in it.

Chains: a row that starts with a relation continues the chain of the row before, and so does a row after one
that ended with a relation; a row with no relation continues the last expression (a long expression broken
over rows); any other row starts a new chain. A display block that starts with a relation continues the last
chain of the display block before it (``$$ = ... $$``, one row per block). Every consecutive pair of a chain is
a step: ``a = b = c`` gives two steps, and ``a = b \Rightarrow c = d`` three (the middle one, across the
arrow, is not an equality and is not checked).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .sources import LATEX, MARKDOWN, Document, LineIndex, blank, overwrite, read_document

__all__ = ["FileError", "Element", "Chain", "ExtractedStep", "Extraction", "read_text", "find_blocks",
           "chains_of_block", "extract", "extract_steps", "MAX_BYTES"]

MAX_BYTES = 1_000_000


class FileError(ValueError):
    """A file that cannot be checked at all: unreadable, not UTF-8, binary, empty, huge, or a notebook that
    is not valid JSON."""


@dataclass(frozen=True)
class Element:
    """One side of a relation: its LaTeX and the line where it starts."""

    tex: str
    line: int


@dataclass(frozen=True)
class Chain:
    """Elements joined by relations: ``relations[k]`` joins ``elements[k]`` and ``elements[k + 1]``, with the
    reason written on it in ``reasons[k]`` (None if none)."""

    elements: tuple[Element, ...]
    relations: tuple[str, ...]
    block: int
    reasons: tuple[str | None, ...] = ()
    inline: bool = False


_SYMBOLS = {"implies": r"\Rightarrow", "propto": r"\propto", "approx": r"\approx", "iff": r"\iff", "sim": r"\sim",
            "in": r"\in", "to": r"\to", "equiv": r"\equiv", "therefore": r"\therefore", "implied by": r"\Leftarrow"}


@dataclass(frozen=True)
class ExtractedStep:
    """A consecutive pair of a chain. ``line`` is the line of the document's text where the right side starts
    (in a notebook, counted over its markdown cells); ``cell`` and ``cell_line`` say where that is in a notebook."""

    file: str
    line: int
    block: int
    lhs: str
    rhs: str
    relation: str
    chain: Chain
    reason: str | None = None
    cell: int | None = None
    cell_line: int | None = None
    inline: bool = False

    @property
    def tex(self) -> str:
        """The step as LaTeX: ``lhs relation rhs`` with the relation written as its LaTeX symbol."""
        return f"{self.lhs} {_SYMBOLS.get(self.relation, self.relation)} {self.rhs}"

    @property
    def location(self) -> str:
        """Where the step is, as a reader finds it: ``12``, or ``cell 3, line 4`` in a notebook."""
        return f"cell {self.cell}, line {self.cell_line}" if self.cell is not None else str(self.line)

    @property
    def place(self) -> str:
        """``line 12``, or ``cell 3, line 4`` in a notebook (for a message)."""
        return self.location if self.cell is not None else f"line {self.line}"


@dataclass
class Extraction:
    r"""What a document holds: its display steps, its inline steps (checked only on request) and notes for the
    report (``\input`` not read, ...)."""

    document: Document
    steps: list[ExtractedStep]
    inline_steps: list[ExtractedStep]
    blocks: list["_Block"]  # the math blocks, display and inline, in order
    notes: list[tuple[int, str]] = field(default_factory=list)

    def steps_to_check(self, inline: bool = False) -> list[ExtractedStep]:
        """The display steps, in textual order; with ``inline``, the inline steps too, in their place."""
        if not inline:
            return self.steps
        return sorted(self.steps + self.inline_steps, key=lambda step: (step.chain.elements[0].line, step.line))

    def why_empty(self) -> str | None:
        """Why no display step was found (None if some were)."""
        if self.steps:
            return None
        if self.inline_steps:
            count = len(self.inline_steps)
            return (f"no display equation; {count} inline equalit{'y' if count == 1 else 'ies'} not checked; "
                    "--inline checks them")
        if any(not block.inline for block in self.blocks):
            return "its display math holds no relation between two expressions (no step to check)"
        if self.blocks:
            return "its only math is inline, and holds no equality"
        return "no math found (display math is $$..$$, \\[..\\], or an equation/align environment)"


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
_BARE_MARKDOWN = r"aligned|gathered|split|array|alignedat"
_OPENERS_TEMPLATE = (
    r"(?P<dollars>(?<!\\)\$\$)"
    r"|(?P<bracket>(?<!\\)\\\[)"
    r"|(?P<env>\\begin\{{(?P<name>(?:{environments})\*?)\}}(?:\{{\d+\}})?)"
    r"|(?P<line>^[ \t]*\$(?!\$)(?P<body>[^\n$]+)\$[ \t]*$)"
    r"|(?P<paren>(?<!\\)\\\()"
    r"|(?P<inline>(?<![\\$])\$(?!\$)(?P<ibody>(?:[^$\n\\]|\\.)+?)(?<!\\)\$)"
)
_OPENERS = {
    LATEX: re.compile(_OPENERS_TEMPLATE.format(environments=_ENVIRONMENTS), re.MULTILINE),
    MARKDOWN: re.compile(_OPENERS_TEMPLATE.format(environments=_ENVIRONMENTS + "|" + _BARE_MARKDOWN), re.MULTILINE),
}


@dataclass(frozen=True)
class _Block:
    text: str
    start: int  # offset of text in the document's text
    number: int
    inline: bool = False


def find_blocks(text: str, latex: bool = False) -> list[_Block]:
    """The math blocks of a document's text (:class:`~.sources.Document`), display and inline, in order."""
    openers = _OPENERS[LATEX if latex else MARKDOWN]
    blocks: list[_Block] = []
    numbers = [0, 0]  # display and inline blocks are numbered apart (a display block's number is its rank)

    def number(inline: bool) -> int:
        numbers[inline] += 1
        return numbers[inline]

    position = 0
    while True:
        found = openers.search(text, position)
        if not found:
            break
        kind = found.lastgroup
        for group in ("dollars", "bracket", "env", "line", "paren", "inline"):
            if found.group(group) is not None:
                kind = group
                break
        if kind in ("line", "inline"):
            body = "body" if kind == "line" else "ibody"
            math, start = found.group(body), found.start(body)
            if len(math) > 2 and math[0] == math[-1] == "`":  # GitHub's $`...`$
                math, start = math[1:-1], start + 1
            blocks.append(_Block(math, start, number(kind == "inline"), kind == "inline"))
            position = found.end()
            continue
        if kind == "dollars":
            end = re.compile(r"(?<!\\)\$\$").search(text, found.end())
        elif kind == "bracket":
            end = re.compile(r"(?<!\\)\\\]").search(text, found.end())
        elif kind == "paren":
            end = re.compile(r"(?<!\\)\\\)").search(text, found.end())
        else:
            end = _environment_end(text, found.group("name"), found.end())
        body_end = end.start() if end else len(text)
        block_text = text[found.end():body_end]
        if kind == "env" and found.group("name").startswith("array"):
            block_text = text[found.start():end.end() if end else len(text)]  # the layout is judged inside
            blocks.append(_Block(block_text, found.start(), number(False)))
        else:
            blocks.append(_Block(block_text, found.end(), number(kind == "paren"), kind == "paren"))
        position = end.end() if end else len(text)
    return blocks


def _environment_end(text: str, name: str, start: int) -> re.Match | None:
    """The ``\\end{name}`` that closes the ``\\begin{name}`` before ``start`` (nested ones skipped)."""
    pattern = re.compile(rf"\\(begin|end)\{{{re.escape(name)}\}}")
    depth = 1
    for found in pattern.finditer(text, start):
        depth += 1 if found.group(1) == "begin" else -1
        if depth == 0:
            return found
    return None


# ---------------------------------------------------------------------------------------------------------
# masking: annotations and layout replaced by spaces, keeping every offset (so lines stay right)


_BALANCED = r"\{(?:[^{}]|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\})*\}"
_LAYOUT = re.compile(
    r"(?<!\\)%[^\n]*"
    rf"|\\(?:nonumber|notag|displaystyle|textstyle|scriptstyle|limits|nolimits)(?![a-zA-Z])"
    rf"|\\tag\*?\s*{_BALANCED}|\\label\s*{_BALANCED}"
    r"|\\(?:begin|end)\{(?:aligned|split|gathered|alignedat)\*?\}(?:\{[^{}]*\})?"
    r"|\\(?:begin|end)\{(?:" + _ENVIRONMENTS + r")\*?\}(?:\{\d+\})?"
    r"|\\\\\[[^\]]*\]"  # \\[2pt]: keep the \\ below
)
_HUGO_ESCAPES = re.compile(r"\\\\\\\\|\\\\(?=[{}])|\\(?=[_*])")


def _undo_hugo_escapes(text: str) -> str:
    r"""Hugo's Markdown escapes inside math, undone in place: ``\_`` -> ``_``, ``\*`` -> ``*``, ``\\{`` -> ``\{``,
    ``\\\\`` -> ``\\``."""
    def undo(match: re.Match) -> str:
        token = match.group(0)
        return {"\\\\\\\\": "\\\\  ", "\\\\": " \\", "\\": " "}[token]

    return _HUGO_ESCAPES.sub(undo, text)


def _mask_layout(text: str) -> str:
    def blank_keep_rowsep(match: re.Match) -> str:
        token = match.group(0)
        if token.startswith("\\\\["):
            return "\\\\" + re.sub(r"[^\n]", " ", token[2:])
        return blank(token)

    text = _LAYOUT.sub(blank_keep_rowsep, text)
    return _mask_layout_arrays(text)


_ARRAY = re.compile(r"\\(begin|end)\{array\}")


def _mask_layout_arrays(text: str) -> str:
    """An ``array`` whose rows hold a top-level relation is a layout (blanked like ``aligned``); any other
    array is a vector or matrix, kept whole."""
    marks = list(_ARRAY.finditer(text))
    if not marks:
        return text
    chars = list(text)
    stack: list[re.Match] = []
    for mark in marks:
        if mark.group(1) == "begin":
            stack.append(mark)
            continue
        if not stack:
            continue
        begin = stack.pop()
        spec = re.match(r"\s*\{[^{}]*\}", text[begin.end():])
        body_start = begin.end() + (spec.end() if spec else 0)
        if _has_top_level_relation(text[body_start:mark.start()]):
            overwrite(chars, begin.start(), body_start)
            overwrite(chars, mark.start(), mark.end())
    return "".join(chars)


def _has_top_level_relation(body: str) -> bool:
    depth, env_depth, k = 0, 0, 0
    while k < len(body):
        environment = _ENV_MARK.match(body, k)
        if environment:
            env_depth += 1 if environment.group(1) == "begin" else -1
            k = environment.end()
            continue
        c = body[k]
        if depth == 0 and env_depth == 0 and _relation_at(body, k):
            return True
        if c == "\\":
            letters = re.match(r"\\[a-zA-Z]+|\\.", body[k:])
            k += len(letters.group(0)) if letters else 1
            continue
        depth += 1 if c in "{([" else -1 if c in "})]" else 0
        k += 1
    return False


# decorations and relations with reasons --------------------------------------------------------------------
_REL_SYMBOL = (r"=|\\approx|\\simeq|\\sim|\\propto|\\equiv|\\leq?|\\geq?|<|>|\\Rightarrow|\\implies"
               r"|\\Longrightarrow|\\iff|\\Leftrightarrow|\\to")
_STACKED = re.compile(
    r"\\(?:overset|stackrel|underset)\s*(?P<label>" + _BALANCED + r")\s*(?:\{\s*(?P<rel>" + _REL_SYMBOL + r")\s*\}"
    r"|(?P<bare>" + _REL_SYMBOL + r")(?![a-zA-Z]))"
    r"|\\mathop\s*\{\s*(?P<oprel>" + _REL_SYMBOL + r")\s*\}\s*(?:\\limits|\\nolimits)?\s*"
    r"(?P<limits>(?:[_^]\s*(?:" + _BALANCED + r"|\\[a-zA-Z]+|[^\s{}\\])\s*)*)"
    r"|\\xlongequal\s*(?:\[[^\]]*\])?\s*(?P<xlabel>" + _BALANCED + r")"
)
_DEFINITION_LABEL = re.compile(r"def|\\triangle|\\Delta|\\bigtriangleup|^\s*:\s*$|\\text\s*\{\s*:\s*\}")
_WRAPPED_TEXT = re.compile(r"\\(?:text|mathrm|textrm|textup|textit|mathit|mbox|textbf|mathbf|operatorname)\s*\{([^{}]*)\}")


def _label_text(label: str) -> str:
    label = label.strip()
    if label.startswith("{") and label.endswith("}"):
        label = label[1:-1]
    label = _WRAPPED_TEXT.sub(lambda m: m.group(1), label)
    return " ".join(label.replace("{", "").replace("}", "").split())


def _stacked_relations(text: str, reasons: dict[int, str]) -> str:
    """Relations with a label on them replaced in place by the bare relation; their reasons recorded by offset."""
    def replace(match: re.Match) -> str:
        if match.group("xlabel") is not None:
            symbol, labels = "=", [match.group("xlabel")]
        elif match.group("oprel") is not None:
            symbol = match.group("oprel")
            labels = re.findall(r"[_^]\s*(" + _BALANCED + r"|\\[a-zA-Z]+|[^\s{}\\])", match.group("limits") or "")
        else:
            symbol = match.group("rel") or match.group("bare")
            labels = [match.group("label")]
        reason = "; ".join(t for t in (_label_text(label) for label in labels) if t)
        if symbol == "=" and any(_DEFINITION_LABEL.search(label) for label in labels):
            symbol, reason = ":=", ""
        if reason:
            reasons[match.start()] = reason
        return symbol.ljust(len(match.group(0)))

    return _STACKED.sub(replace, text)


_DECORATION_HEADS = re.compile(
    r"\\(?P<drop>color)\s*(?P<dropgroup>" + _BALANCED + r")"
    r"|\\(?P<head>textcolor|colorbox)\s*" + _BALANCED + r"(?=\s*\{)"
    r"|\\fcolorbox\s*" + _BALANCED + r"\s*" + _BALANCED + r"(?=\s*\{)"
    r"|\\cancelto\s*" + _BALANCED + r"(?=\s*\{)"
    r"|\\(?:cancel|bcancel|xcancel|boxed|mathop|underbracket|overbracket)(?![a-zA-Z])(?=\s*\{)"
    r"|\\(?P<brace>underbrace|overbrace)(?![a-zA-Z])(?=\s*\{)"
)


def _strip_decorations(text: str) -> str:
    """``\\color``, ``\\textcolor``, ``\\cancel``, ``\\boxed``, ``\\underbrace..._{label}`` and the like: the
    decoration blanked in place, what it decorates kept (as a group ``{X}``)."""
    chars = list(text)
    for found in _DECORATION_HEADS.finditer(text):
        overwrite(chars, found.start(), found.end())
        if found.group("brace"):
            group_start = text.index("{", found.end())
            group_end = _matching_brace(text, group_start)
            label = re.match(r"\s*[_^]\s*(" + _BALANCED + r"|\\[a-zA-Z]+(?:\s*" + _BALANCED + r")?|[^\s{}\\])",
                             text[group_end:])
            if label:
                overwrite(chars, group_end, group_end + label.end())
    return "".join(chars)


def _prepare(block: _Block, dialect: str, reasons: dict[int, str]) -> str:
    """The block's text with escapes undone, layout and decorations blanked and labelled relations made
    plain (their reasons in ``reasons``), every offset kept."""
    text = block.text
    if dialect == MARKDOWN:
        text = _undo_hugo_escapes(text)
    text = _mask_layout(text)
    text = _stacked_relations(text, reasons)
    return _strip_decorations(text)


# ---------------------------------------------------------------------------------------------------------
# rows, statements, relations
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
_TEXT_MACROS = re.compile(r"\\(?:text|textrm|textit|textbf|textup|mbox|hbox|intertext|shortintertext)\s*\{")
_SEPARATORS = re.compile(r"\\(?:quad|qquad)(?![a-zA-Z])|\\hspace\*?\s*\{[^{}]*\}|[;,]")
_SPACING = re.compile(r"(?:\s|&|\\(?:quad|qquad|,|;|!|:|>| )(?![a-zA-Z])|\\hspace\*?\s*\{[^{}]*\})*")
_PROSE_WORDS = {"where", "for", "and", "or", "if", "iff", "since", "because", "so", "thus", "hence", "then", "by",
                "with", "when", "as", "using", "all", "each", "any", "is", "are", "be", "let", "note", "otherwise",
                "else", "given", "st", "ie", "eg", "def", "we", "get", "gives", "yields", "which", "that", "from",
                "see", "iid", "to", "on", "in", "of", "at", "the", "a", "an", "also", "but", "here", "since"}
_OPERATOR_BEFORE = re.compile(r"(?:[-+*/(\[{^_=<>|]|\\(?:cdot|times|pm|mp|left[(\[.|]|\\\{)|^)\s*$")


@dataclass(frozen=True)
class _Rel:
    """A relation met in a row (its name) and the reason written on it."""

    name: str
    reason: str | None = None


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


def _text_is_formula(row: str, start: int, content_end: int, end: int) -> bool:
    r"""Whether the ``\text{..}`` at row[start:end] (content ending at content_end) is part of the formula: after
    ``^`` or ``_``, or one word that is not prose used as an operator (a bracket or an operand follows) or as a
    term (an operator or a relation is before it)."""
    before = row[:start]
    if re.search(r"[\^_]\s*$", before):
        return True
    content = row[row.index("{", start) + 1:content_end - 1].strip()
    if not re.fullmatch(r"[A-Za-z]+", content) or content.lower() in _PROSE_WORDS:
        return False
    after = row[end:]
    if re.match(r"\s*(?:[(\[_^]|\\left|\\\{|\\[,;!:]\s*[\\A-Za-z(]|\\[a-zA-Z])", after):
        return True
    return bool(_OPERATOR_BEFORE.search(before))


def _split_row(row: str, reasons: dict[int, str], row_start: int) -> list[list]:
    """A row as statements (segments), separated by top-level annotations or separators; each segment a list
    alternating (offset, text) pieces and :class:`_Rel` relations."""
    segments: list[list] = [[]]
    piece_start, depth, env_depth, k = 0, 0, 0, 0

    def close_piece(end: int):
        segments[-1].append((piece_start, row[piece_start:end]))

    def piece_is_open(end: int) -> bool:
        """Something other than spacing since the last relation or separator, not ending with an operator."""
        piece = _drop_alignment(row[piece_start:end]).strip()
        piece = _SPACING.sub("", piece) if _SPACING.fullmatch(piece) else piece
        return bool(piece) and not _OPERATOR_BEFORE.search(piece)

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
                end = _matching_brace(row, text_match.end() - 1)
                if _text_is_formula(row, k, end, end):
                    k = end
                    continue
                close_piece(k)
                segments.append([])
                k = piece_start = end
                continue
            separator = _SEPARATORS.match(row, k)
            if separator:
                after = _SPACING.match(row, separator.end()).end()
                next_is_relation = _relation_at(row, after) is not None or after >= len(row)
                continues = re.match(r"[-+]|\\(?:cdot|times|pm|mp)(?![a-zA-Z])", row[after:])
                if c in ",;" or (piece_is_open(k) and not next_is_relation and not continues):
                    close_piece(k)
                    segments.append([])
                    k = piece_start = separator.end()
                    continue
                k = separator.end()
                continue
            relation = _relation_at(row, k)
            if relation:
                symbol, name = relation
                close_piece(k)
                segments[-1].append(_Rel(name, reasons.get(row_start + k)))
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


_RELATION_STARTS = frozenset(symbol[0] for symbol, _ in _RELATIONS)


def _relation_at(row: str, k: int) -> tuple[str, str] | None:
    if k >= len(row) or row[k] not in _RELATION_STARTS:
        return None
    for symbol, name in _RELATIONS:
        if row.startswith(symbol, k):
            if symbol[0] == "\\" and k + len(symbol) < len(row) and row[k + len(symbol)].isalpha():
                continue  # \le is not \left, \in is not \infty
            return symbol, name
    return None


_TRAILING = re.compile(r"(?<!\\)[\s.,;]+$")
_EDGE_SPACE = r"(?:\s|\\(?:quad|qquad)(?![a-zA-Z])|\\[,;!: ]|\\hspace\*?\s*\{[^{}]*\})+"
_EDGE_SPACING = re.compile(rf"^{_EDGE_SPACE}|{_EDGE_SPACE}$")
_LEADING_SPACE = re.compile(rf"(?:{_EDGE_SPACE}|&)*")


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
        if piece.startswith("\\&", k):
            out.append("\\&")
            k += 2
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
    # what was blanked (\limits, a decoration) leaves runs of spaces: one is enough, none before a sub/superscript
    return re.sub(r"(?<!\\)[ \t]+(?=[_^])", "", re.sub(r"[ \t]{2,}", " ", piece)).strip()


def _tokens(segment: list, row_start: int, line_of) -> list:
    """A segment as a list of Elements and relations, in order (empty pieces dropped)."""
    tokens = []
    for part in segment:
        if isinstance(part, _Rel):
            tokens.append(part)
            continue
        offset, text = part
        cleaned = _clean(text)
        if cleaned:
            lead = _LEADING_SPACE.match(text).end()  # the side starts after spacing and alignment
            tokens.append(Element(cleaned, line_of(row_start + offset + lead)))
    return tokens


def _chain_tokens(block: _Block, dialect: str, lines: LineIndex) -> list[list]:
    """The chains of one block as token lists (Element, _Rel, Element, ...; a list may start or end with a
    relation: the block's first list starts with one when the block continues the chain before it)."""
    reasons: dict[int, str] = {}
    masked = _prepare(block, dialect, reasons)

    def line_of(offset: int) -> int:
        return lines.line(block.start + offset)

    chains: list[list] = []
    current: list | None = None
    for row_start, row_end in _rows(masked):
        for number, segment in enumerate(_split_row(masked[row_start:row_end], reasons, row_start)):
            tokens = _tokens(segment, row_start, line_of)
            if not tokens:
                continue
            has_relation = any(isinstance(t, _Rel) for t in tokens)
            if number == 0 and current is not None:
                if isinstance(tokens[0], _Rel) or isinstance(current[-1], _Rel):
                    current.extend(tokens)  # "&= ..." continues the chain (or the previous row ended in "=")
                    continue
                if not has_relation:  # a long expression broken over rows
                    last = current[-1]
                    current[-1] = Element(f"{last.tex} {tokens[0].tex}", last.line)
                    continue
            if current is None and not chains and isinstance(tokens[0], _Rel):
                current = list(tokens)  # the block starts with a relation: it may continue the block before
                chains.append(current)
                continue
            while tokens and isinstance(tokens[0], _Rel):
                tokens = tokens[1:]
            if tokens:
                current = list(tokens)
                chains.append(current)
    return chains


def _chain_of_tokens(tokens: list, block: int, inline: bool) -> Chain:
    elements: list[Element] = []
    relations: list[str] = []
    reasons: list[str | None] = []
    pending: _Rel | None = None
    for token in tokens:
        if isinstance(token, _Rel):
            pending = token if pending is None else pending
            continue
        if elements:
            relations.append(pending.name if pending else "=")
            reasons.append(pending.reason if pending else None)
        elements.append(token)
        pending = None
    return Chain(tuple(elements), tuple(relations), block, tuple(reasons), inline)


def chains_of_block(block: _Block, file_text: str, dialect: str = LATEX) -> list[Chain]:
    """The chains of one block on its own (see the module docstring for the rules)."""
    return [_chain_of_tokens(_strip_leading_relations(tokens), block.number, block.inline)
            for tokens in _chain_tokens(block, dialect, LineIndex(file_text))]


def _document_chains(document: Document, lines: LineIndex,
                     blocks: list[_Block]) -> tuple[list[Chain], list[Chain]]:
    """The document's display chains (a block that starts with a relation continuing the last display chain)
    and its inline chains."""
    display: list[list] = []
    display_blocks: list[int] = []
    inline: list[Chain] = []
    for block in blocks:
        token_lists = _chain_tokens(block, document.dialect, lines)
        if block.inline:
            inline.extend(_chain_of_tokens(_strip_leading_relations(t), block.number, True) for t in token_lists)
            continue
        for position, tokens in enumerate(token_lists):
            if position == 0 and tokens and isinstance(tokens[0], _Rel) and display:
                display[-1].extend(tokens)
                continue
            display.append(_strip_leading_relations(tokens))
            display_blocks.append(block.number)
    chains = [_chain_of_tokens(tokens, number, False) for tokens, number in zip(display, display_blocks)]
    return chains, inline


def _strip_leading_relations(tokens: list) -> list:
    k = 0
    while k < len(tokens) and isinstance(tokens[k], _Rel):
        k += 1
    return tokens[k:]


def _steps_of(chains: list[Chain], document: Document, path: str) -> list[ExtractedStep]:
    steps = []
    for chain in chains:
        for k, relation in enumerate(chain.relations):
            lhs, rhs = chain.elements[k], chain.elements[k + 1]
            cell, cell_line = document.location(rhs.line)
            steps.append(ExtractedStep(path, rhs.line, chain.block, lhs.tex, rhs.tex, relation, chain,
                                       chain.reasons[k] if k < len(chain.reasons) else None, cell,
                                       cell_line if cell is not None else None, chain.inline))
    return steps


def extract(path: str | Path, text: str | None = None) -> Extraction:
    """Everything :func:`extract_steps` finds, with the inline steps apart and the notes for the report;
    FileError for a file that cannot be read or a notebook that is not one."""
    text = read_text(path) if text is None else text
    try:
        document = read_document(path, text)
    except ValueError as exc:
        raise FileError(str(exc)) from None
    blocks = find_blocks(document.text, latex=document.dialect == LATEX)
    chains, inline = _document_chains(document, LineIndex(document.text), blocks)
    return Extraction(document, _steps_of(chains, document, str(path)), _steps_of(inline, document, str(path)),
                      blocks, list(document.notes))


def extract_steps(path: str | Path, text: str | None = None, inline: bool = False) -> list[ExtractedStep]:
    """Every step of every display chain in the file, in textual order (with ``inline``, the inline steps
    too, in their place)."""
    return extract(path, text).steps_to_check(inline)
