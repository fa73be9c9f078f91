r"""Turn a file as people write it into the text in which math is looked for (the first stage of ``check``).

A :class:`Document` is the file's text with everything that is not math a reader sees blanked out (replaced
by spaces, newlines kept, so every line number stays right), in one of two dialects, ``markdown`` or
``latex``, plus where each line comes from and notes for the report.

* **Markdown** (``.md``, ``.markdown``, ``.Rmd``, ``.qmd`` and anything unknown): front matter, HTML comments
  (whatever they hold), fenced code other than ```` ```math ````, indented code blocks (after a blank line, not
  under a list item or an admonition), Liquid code blocks (``{% highlight %}``), Obsidian ``%% .. %%`` comments
  and blockquote markers are blanked. Hugo/Jekyll wrappers are rewritten, in place, into the delimiters they
  stand for: ``{{< katex display >}}..{{< /katex >}}`` and ``{% katex display %}..{% endkatex %}`` into
  ``$$..$$``, their inline forms into ``$..$``; ``{{< math >}}``, ``{% raw %}`` and the like are blanked.
  A line copied from a rendered web page (CSDN, Zhihu), which holds a formula as rendered text, then its LaTeX
  source, then rendered text again, is rewritten into ``$$ source $$`` (:func:`copied_formula`).
* **LaTeX** (``.tex``, ``.latex``, ``.ltx``): ``%`` comments blanked; the macros the file defines
  (``\newcommand``, ``\renewcommand``, ``\providecommand``, ``\def``, ``\DeclareMathOperator``) are expanded
  (:func:`expand_macros`); ``\input`` and ``\include`` are noted, not read.
* **Notebooks** (``.ipynb``): the markdown cells, one after the other, read as Markdown; code and raw cells
  and outputs are never read. A line is reported as ``cell N, line L`` (N counts every cell, from 1).
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Document", "read_document", "blank", "overwrite", "document_of_text", "mask_markdown", "expand_macros", "copied_formula",
           "LineIndex", "MARKDOWN", "LATEX", "dialect_of"]

MARKDOWN, LATEX = "markdown", "latex"
_LATEX_SUFFIXES = (".tex", ".latex", ".ltx")


class LineIndex:
    """Line numbers of offsets in one text, in O(log n) each (one pass over the text to build)."""

    def __init__(self, text: str):
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        """The 1-based line holding ``offset``."""
        return bisect.bisect_left(self._newlines, offset) + 1


@dataclass
class Document:
    """A file ready for extraction: ``text`` has as many lines as the file (a notebook: its markdown cells),
    with what is not math a reader sees blanked; ``cells[k] = (first line, cell number)`` for a notebook."""

    path: str
    dialect: str
    text: str
    cells: list[tuple[int, int]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)

    def location(self, line: int) -> tuple[int | None, int]:
        """(cell, line in the cell) of a line of ``text``; (None, line) outside a notebook."""
        if not self.cells:
            return None, line
        k = bisect.bisect_right([first for first, _ in self.cells], line) - 1
        first, cell = self.cells[max(k, 0)]
        return cell, line - first + 1


def dialect_of(path: str | Path) -> str:
    return LATEX if str(path).lower().endswith(_LATEX_SUFFIXES) else MARKDOWN


def read_document(path: str | Path, text: str) -> Document:
    """The document of a file whose text was read (:func:`.extract.read_text`); ValueError naming the problem
    for a notebook that is not valid JSON or has no cells."""
    if str(path).lower().endswith(".ipynb"):
        return _notebook(str(path), text)
    return document_of_text(str(path), text, dialect_of(path))


def document_of_text(path: str, text: str, dialect: str) -> Document:
    if dialect == LATEX:
        notes: list[tuple[int, str]] = []
        masked = expand_macros(_mask_tex_comments(text), notes)
        return Document(path, LATEX, masked, notes=notes)
    return Document(path, MARKDOWN, mask_markdown(text))


def _notebook(path: str, text: str) -> Document:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a Jupyter notebook (invalid JSON at line {exc.lineno}: {exc.msg})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{path}: not a Jupyter notebook (no list of cells)")
    parts, starts, line = [], [], 1
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(piece, str) for piece in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise ValueError(f"{path}: not a Jupyter notebook (cell {number} has no text source)")
        source = source.rstrip("\n") + "\n"
        parts.append(mask_markdown(source))
        starts.append((line, number))
        line += source.count("\n") + 1  # a blank line between cells, so that no block runs from one into the next
    return Document(path, MARKDOWN, "\n".join(parts), cells=starts)


# ---------------------------------------------------------------------------------------------------------
# Markdown
def blank(text: str) -> str:
    """The text with every character but newlines replaced by a space (its lines and offsets kept)."""
    return re.sub(r"[^\n]", " ", text)


def overwrite(chars: list[str], start: int, end: int, replacement: str = "") -> None:
    """Blank chars[start:end] (newlines kept), with ``replacement`` written at its start."""
    for k in range(start, end):
        if chars[k] != "\n":
            chars[k] = " "
    chars[start:start + len(replacement)] = list(replacement)


_FRONT_MATTER = re.compile(r"\A(?:---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)|\+\+\+[ \t]*\n.*?\n\+\+\+[ \t]*(?:\n|\Z))",
                           re.DOTALL)
_FENCE = re.compile(r"^(?P<indent>[ \t>]*)(?P<ticks>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$", re.MULTILINE)
_LIQUID_CODE = re.compile(r"\{%-?\s*highlight\b.*?%\}.*?\{%-?\s*endhighlight\s*-?%\}", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_OBSIDIAN_COMMENT = re.compile(r"(?<!\\)%%.*?(?:%%|\Z)", re.DOTALL)
_WRAPPERS = re.compile(
    r"\{\{[<%]\s*(?P<hugo>/?)\s*(?P<hname>katex|math|tex|mathjax)\b(?P<hargs>[^}]*?)[>%]\}\}"
    r"|\{%-?\s*(?P<liquid>katex|endkatex|math|endmath|raw|endraw|latex|endlatex)\b(?P<largs>[^%]*?)-?%\}")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S|^[ \t]*(?:!!!|\?\?\?\+?|===)[ \t]")


def mask_markdown(text: str) -> str:
    """Markdown text with what is never math blanked and the Hugo/Jekyll math wrappers turned into ``$$`` or
    ``$`` (see the module docstring); every offset and line stays where it was."""
    chars = list(text)
    front = _FRONT_MATTER.match(text)
    if front:
        overwrite(chars, 0, front.end())
    # HTML comments and fences, in one left-to-right pass: the earlier opener wins (a fence inside a comment is
    # comment; a comment marker inside a fence is code)
    position = front.end() if front else 0
    upcoming: dict[re.Pattern, re.Match | None] = {}

    def next_match(pattern: re.Pattern) -> re.Match | None:
        """The pattern's next match at or after ``position`` (searched again only once passed: linear time)."""
        found = upcoming.get(pattern, False)
        if found is False or (found is not None and found.start() < position):
            found = upcoming[pattern] = pattern.search(text, position)
        return found

    while True:
        comment, fence, liquid = next_match(_HTML_COMMENT), next_match(_FENCE), next_match(_LIQUID_CODE)
        found = min((m for m in (comment, fence, liquid) if m), key=lambda m: m.start(), default=None)
        if found is None:
            break
        if found is fence:
            ticks = fence.group("ticks")
            closing = re.compile(rf"^[ \t>]*{re.escape(ticks[0])}{{{len(ticks)},}}[ \t]*$", re.MULTILINE)
            end = closing.search(text, fence.end())
            stop = end.end() if end else len(text)
            if fence.group("info").strip().lower() in ("math", "{math}", "latex", "katex"):
                overwrite(chars, fence.start(), fence.end(), "$$")
                if end:
                    overwrite(chars, end.start(), end.end(), "$$")
            else:
                overwrite(chars, fence.start(), stop)
            position = max(stop, fence.end() + 1)
            continue
        overwrite(chars, found.start(), found.end())
        position = found.end()
    text = "".join(chars)
    text = _mask_indented_code(text)
    text = _OBSIDIAN_COMMENT.sub(lambda m: blank(m.group(0)), text)
    text = re.sub(r"^(?:[ \t]*>)+", lambda m: blank(m.group(0)), text, flags=re.MULTILINE)
    text = _rewrite_wrappers(text)
    return _rewrite_copied_lines(text)


def _mask_indented_code(text: str) -> str:
    """Indented code blocks blanked: lines indented by 4 spaces or a tab that follow a blank line, when the
    paragraph before is not a list item or an admonition (whose indented body is its content)."""
    lines = text.split("\n")
    in_list = False
    in_code = False
    previous_blank = True
    for k, line in enumerate(lines):
        empty = not line.strip()
        indented = line.startswith(("    ", "\t"))
        if in_code:
            if empty or indented:
                lines[k] = blank(line)
                previous_blank = empty
                continue
            in_code = False
        if empty:
            previous_blank = True
            continue
        if indented and previous_blank and not in_list:
            in_code = True
            lines[k] = blank(line)
            previous_blank = False
            continue
        if _LIST_ITEM.match(line):
            in_list = True
        elif not indented and not line.startswith(" "):
            in_list = False
        previous_blank = False
    return "\n".join(lines)


def _rewrite_wrappers(text: str) -> str:
    """Hugo shortcodes and Liquid tags around math, rewritten into the delimiters they stand for."""
    chars = list(text)
    display_stack: list[str] = []
    for wrapper in _WRAPPERS.finditer(text):
        name = wrapper.group("hname") or wrapper.group("liquid")
        args = (wrapper.group("hargs") or wrapper.group("largs") or "")
        closing = bool(wrapper.group("hugo")) or name.startswith("end")
        base = name[3:] if name.startswith("end") else name
        if base == "katex":
            if closing:
                delimiter = display_stack.pop() if display_stack else "$"
            else:
                delimiter = "$$" if "display" in args else "$"
                display_stack.append(delimiter)
            overwrite(chars, wrapper.start(), wrapper.end(), delimiter)
        else:  # math, tex, mathjax, raw, latex: a wrapper around $$ .. $$ that is itself not math
            overwrite(chars, wrapper.start(), wrapper.end())
    return "".join(chars)


# copied pages -------------------------------------------------------------------------------------------
_GLYPH_NAMES = {"exp", "log", "ln", "det", "max", "min", "lim", "sin", "cos", "tan", "arg", "sup", "inf", "tr",
                "Pr", "deg", "dim", "ker", "mod", "gcd"}
_SPELLED = re.compile(r"\\(?:text|mathrm|operatorname|textrm|mbox|mathit|mathbf|mathsf|mathtt)\s*\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([a-zA-Z]+)|\\.")
_SOURCE_MARK = re.compile(r"\\[a-zA-Z]+|[_^]")


def _shown_text(source: str) -> str:
    """What a rendering of the LaTeX ``source`` shows in ASCII: command names dropped, except operator names and
    spelled text (``\\text{..}``, ``\\mathrm{..}``), which render as letters."""
    shown = _SPELLED.sub(lambda m: " " + m.group(1) + " ", source)
    return _COMMAND.sub(lambda m: " " + m.group(1) + " " if m.group(1) in _GLYPH_NAMES else " ", shown)


def _glyph_key(source: str) -> Counter:
    """The ASCII letters, digits, brackets, ``=`` and ``+`` a rendering of the LaTeX ``source`` shows."""
    return _shown_key(_shown_text(source))


_SHOWN_PUNCTUATION = "()[]=+"
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_WORD = re.compile(r"[A-Za-z]{2,}")


def _shown_key(rendered: str) -> Counter:
    """The ASCII letters, digits, brackets, ``=`` and ``+`` a rendered copy shows."""
    return Counter(c for c in rendered if c.isascii() and (c.isalnum() or c in _SHOWN_PUNCTUATION))


def copied_formula(line: str) -> tuple[int, int] | None:
    r"""(start, end) of the LaTeX source in a text copied from a rendered page, which holds nothing but a formula
    as rendered text, then its source, then (usually) rendered text again; None for any other text.
    The source is the ASCII span with a command, ``_`` or ``^`` whose letters, digits, brackets, ``=`` and ``+``
    are those shown by the rendered copies around it (each copy shows the same ones); the rendered copies hold no
    prose (no CJK text; the spaced copy before it no word the source does not spell), and the one before it shows something that is not
    plain ASCII text (a Greek letter, a math symbol, spaced-out characters)."""
    if len(line) > 4000 or "$" in line:
        return None
    if not _SOURCE_MARK.search(line):
        return _plain_copy(line)
    first = len(line) - len(line.lstrip())
    last = len(line.rstrip())
    counts = [0]
    for c in line:
        counts.append(counts[-1] + (c.isascii() and (c.isalnum() or c in _SHOWN_PUNCTUATION)))
    boundaries = [m.start() for m in re.finditer(r"\s(?=\S)", line) if first < m.start() < last]
    for start in (b + 1 for b in boundaries):
        before = line[first:start]
        if "\\" in before or _CJK.search(before):
            break  # every later start has this in its rendered part
        shown = counts[start] - counts[first]
        if not shown or (not re.search(r"[^\x00-\x7f]", before) and not re.search(r"(?:^|\s)\S(?:\s\S){3,}", before)):
            continue  # a rendered copy shows a symbol that is not ASCII, or spaced-out characters
        key = _shown_key(before)
        ends = [b for b in boundaries if b > start and counts[last] - counts[b] == shown] + [last]
        for end in ends:
            source = line[start:end].rstrip()
            if not source.isascii() or not _SOURCE_MARK.search(source) or source.count("{") != source.count("}"):
                continue
            after = line[end:last]
            if after.strip() and (_shown_key(after) != key or _CJK.search(after)):
                continue
            if _glyph_key(source) != key:
                continue
            spelled = set(_WORD.findall(_shown_text(source)))
            if not set(_WORD.findall(before)) <= spelled:  # (the compact copy after runs letters together)
                continue  # a word the source does not spell: prose, not a rendered copy
            return start, start + len(source)
    return None


def _plain_copy(text: str) -> tuple[int, int] | None:
    """(start, end) of the source of a copied formula with no command in it, ``n = 1 n=1 n=1``: a spaced copy,
    then the source and the compact copy, the same text, with a relation in it."""
    tokens = list(re.finditer(r"\S+", text))
    if len(tokens) < 4 or tokens[-1].group(0) != tokens[-2].group(0):
        return None
    source = tokens[-2].group(0)
    spaced = "".join(t.group(0) for t in tokens[:-2])
    if spaced != source or not re.search(r"[=<>]", source) or not source.isascii():
        return None
    return tokens[-2].start(), tokens[-2].end()


_CJK_RUN = re.compile(r"[^\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
_TRAILING_PUNCTUATION = re.compile(r"[\s\u3000-\u303f\uff00-\uffef.,;:]*$")


def _rewrite_copied_lines(text: str) -> str:
    """Formulas copied from a rendered page rewritten in place (outside math; see :func:`copied_formula`): a line
    that is one formula into ``$$ source $$``; a formula between the CJK text of a sentence into ``$source$``."""
    if "\\" not in text and not _CJK.search(text):
        return text
    display = [m.start() for m in re.finditer(r"(?<!\\)\$\$", text)]
    out, offset = [], 0
    for line in text.split("\n"):
        if ("\\" in line or _CJK.search(line)) and "$" not in line and bisect.bisect_left(display, offset) % 2 == 0:
            line = _rewrite_copied_line(line)
        out.append(line)
        offset += len(line) + 1
    return "\n".join(out)


def _rewrite_copied_line(line: str) -> str:
    body_end = _TRAILING_PUNCTUATION.search(line).start()
    found = copied_formula(line[:body_end])
    if found:
        start, end = found
        indent = len(line) - len(line.lstrip())
        if start - indent >= 3:
            return (" " * indent + "$$").ljust(start) + line[start:end] + " $$".ljust(body_end - end) + line[body_end:]
    chars = list(line)
    for run in _CJK_RUN.finditer(line):
        segment = run.group(0)
        found = copied_formula(segment)
        if not found:
            continue
        start, end = run.start() + found[0], run.start() + found[1]
        if start - 1 < run.start() or end >= run.end():
            continue  # no room for the delimiters (a rendered copy has at least one character)
        overwrite(chars, run.start(), start - 1)
        chars[start - 1] = "$"
        overwrite(chars, end, run.end())
        chars[end] = "$"
    return "".join(chars)


# ---------------------------------------------------------------------------------------------------------
# LaTeX
_TEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")


def _mask_tex_comments(text: str) -> str:
    return _TEX_COMMENT.sub(lambda m: blank(m.group(0)), text)


_DEFINERS = re.compile(r"\\(?P<kind>newcommand|renewcommand|providecommand|DeclareRobustCommand)\*?\s*"
                       r"|\\def\s*(?=\\)|\\DeclareMathOperator(?P<star>\*?)\s*")
_INPUT = re.compile(r"\\(input|include)\s*\{([^{}]*)\}")
#: how much longer than the file the expansion may make it (a macro that expands into itself is stopped)
MAX_EXPANSION = 200_000


def _group(text: str, at: int) -> tuple[str, int] | None:
    """The braced group starting at ``at`` (after spaces): (its content, the offset after it)."""
    k = at
    while k < len(text) and text[k] in " \t\n":
        k += 1
    if k >= len(text) or text[k] != "{":
        return None
    depth = 0
    for j in range(k, len(text)):
        if text[j] == "\\":
            continue
        if text[j] == "{" and text[j - 1] != "\\":
            depth += 1
        elif text[j] == "}" and text[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[k + 1:j], j + 1
    return None


@dataclass(frozen=True)
class _Macro:
    arguments: int
    default: str | None  # the first argument's default (an optional argument)
    body: str


def _definitions(text: str) -> tuple[dict[str, _Macro], list[tuple[int, int]]]:
    """The macros the text defines, and the spans of their definitions."""
    macros: dict[str, _Macro] = {}
    spans = []
    for found in _DEFINERS.finditer(text):
        k = found.end()
        if found.group(0).startswith("\\def"):
            name = re.match(r"\\([a-zA-Z]+|.)", text[k:])
            if not name:
                continue
            k += name.end()
            parameters = re.match(r"(?:#\d)*", text[k:])
            arguments = parameters.group(0).count("#")
            k += parameters.end()
            body = _group(text, k)
            if body is None:
                continue
            macros[name.group(1)] = _Macro(arguments, None, body[0])
            spans.append((found.start(), body[1]))
            continue
        named = _group(text, k)
        if named is not None:
            name_text, k = named
        else:
            bare = re.match(r"\s*(\\[a-zA-Z]+)", text[k:])
            if not bare:
                continue
            name_text, k = bare.group(1), k + bare.end()
        name = re.fullmatch(r"\s*\\([a-zA-Z]+)\s*", name_text)
        if not name:
            continue
        if found.group(0).startswith("\\DeclareMathOperator"):
            body = _group(text, k)
            if body is None:
                continue
            star = "*" if found.group("star") else ""
            macros[name.group(1)] = _Macro(0, None, f"\\operatorname{star}{{{body[0]}}}")
            spans.append((found.start(), body[1]))
            continue
        count = re.match(r"\s*\[(\d)\]", text[k:])
        arguments = int(count.group(1)) if count else 0
        k += count.end() if count else 0
        default = re.match(r"\s*\[([^\]]*)\]", text[k:]) if count else None
        k += default.end() if default else 0
        body = _group(text, k)
        if body is None:
            continue
        if found.group("kind") == "providecommand" and name.group(1) in macros:
            spans.append((found.start(), body[1]))
            continue
        macros[name.group(1)] = _Macro(arguments, default.group(1) if default else None, body[0])
        spans.append((found.start(), body[1]))
    return macros, spans


def _argument(text: str, at: int) -> tuple[str, int] | None:
    """A macro argument at ``at``: a braced group, or one token (a command or a character)."""
    group = _group(text, at)
    if group is not None:
        return group
    k = at
    while k < len(text) and text[k] in " \t":
        k += 1
    if k >= len(text) or text[k] in "}\n":
        return None
    token = re.match(r"\\[a-zA-Z]+|\\.|.", text[k:], re.DOTALL)
    return token.group(0), k + token.end()


def expand_macros(text: str, notes: list[tuple[int, str]] | None = None) -> str:
    r"""The LaTeX text with the macros it defines expanded and their definitions blanked; each line keeps its
    number (a macro body's newlines become spaces). ``\input``/``\include`` lines are added to ``notes`` as
    (line, "\input{NAME} not read"). An expansion that would grow the text by over MAX_EXPANSION characters
    (a macro that expands into itself) stops there, with a note."""
    notes = notes if notes is not None else []
    index = LineIndex(text)
    for found in _INPUT.finditer(text):
        notes.append((index.line(found.start()), f"\\{found.group(1)}{{{found.group(2)}}} not read"))
    macros, spans = _definitions(text)
    if not macros:
        return text
    chars = list(text)
    for start, end in spans:
        overwrite(chars, start, end)
    text = "".join(chars)
    pattern = re.compile(r"\\(" + "|".join(sorted(map(re.escape, macros), key=len, reverse=True)) + r")(?![a-zA-Z])")
    limit = len(text) + MAX_EXPANSION
    for _ in range(20):  # macros that use macros
        pieces, position, changed, size = [], 0, False, 0
        for use in pattern.finditer(text):
            if use.start() < position:
                continue
            macro = macros[use.group(1)]
            k = use.end()
            arguments = []
            if macro.default is not None:
                optional = re.match(r"\s*\[([^\]]*)\]", text[k:])
                arguments.append(optional.group(1) if optional else macro.default)
                k += optional.end() if optional else 0
            while len(arguments) < macro.arguments:
                argument = _argument(text, k)
                if argument is None:
                    break
                arguments.append(argument[0])
                k = argument[1]
            if len(arguments) < macro.arguments:
                continue
            body = macro.body.replace("\n", " ")
            body = re.sub(r"#(\d)", lambda m: arguments[int(m.group(1)) - 1] if int(m.group(1)) <= len(arguments)
                          else m.group(0), body)
            if re.fullmatch(r"[a-zA-Z]", text[k:k + 1] or "-") and re.search(r"\\[a-zA-Z]+$", body):
                body += " "
            pieces.append(text[position:use.start()])
            pieces.append(body)
            size += use.start() - position + len(body)
            position = k
            changed = True
            if size > limit:
                break
        if not changed:
            break
        pieces.append(text[position:])
        if size + len(text) - position > limit:
            notes.append((1, "macro expansion stopped: the macros expand without end"))
            break
        text = "".join(pieces)
    return text
