r"""What the notes' prose says a name is, before the steps that use it (the seed of the document's scope).

For now: which letters the notes declare to be constants (numbers, not random), so that ``E``, ``Var`` and
``Cov`` may treat them as such. A letter the notes never introduce is of unknown nature under ``E``: a
step that needs to know is *not checked* (see ``parse``). A declaration is a sentence of prose (outside
display math) that says so:

* "for constants $a$ and $b$", "where $c$ is a constant", "$a, b$ are fixed real numbers", "let $k$ be a
  scalar", "$a$ is non-random / deterministic";
* "$a, b \in \mathbb{R}$" (inline or in the sentence);
* Chinese: "常数 $a$", "$a$ 为常数", "其中 $a,b$ 是常量".

A sentence that also speaks of randomness ("random", "variable", "distributed", ``\sim``, 随机, 变量)
declares nothing. The declaration holds from its line to the end of the file.
"""

from __future__ import annotations

import re

__all__ = ["declared_constants", "constants_before"]

_CONSTANT_WORDS = re.compile(r"\b(?:constants?|scalars?|real numbers?|numbers?|non-?random|deterministic|fixed)\b"
                             r"|常数|常量|实数", re.IGNORECASE)
#: a sentence that also speaks of randomness declares nothing ("X is a random variable with constant variance")
_RANDOM_WORDS = re.compile(r"(?<!non-)(?<!non)\brandom|variables?\b|distributed|\\sim\b|随机|变量|分布", re.IGNORECASE)
_INLINE_MATH = re.compile(r"(?<!\$)\$([^$\n]+)\$(?!\$)|\\\((.+?)\\\)")
_IN_REALS = re.compile(r"^(.*?)\\in\s*(?:\\mathbb\s*\{?\s*R\s*\}?|\\R\b|\\mathbf\s*\{?\s*R\s*\}?)")
_LETTER = re.compile(r"\s*\\?([A-Za-z]+)\s*")
_DISPLAY = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\begin\{(\w+\*?)\}.*?\\end\{\1\}|```.*?```", re.DOTALL)


def _names(math: str) -> list[str]:
    """The single letters (or Greek macros) of an inline formula that is a list of names: ``a``, ``a, b``,
    ``a,b,c``; nothing for a formula that is not."""
    parts = [p for p in re.split(r",|\\text\s*\{\s*and\s*\}|\band\b", math) if p.strip()]
    names = []
    for part in parts:
        found = _LETTER.fullmatch(part)
        if not found or (len(found.group(1)) > 1 and not part.strip().startswith("\\")):
            return []
        names.append(found.group(1))
    return names


def declared_constants(text: str) -> list[tuple[int, frozenset[str]]]:
    """(line, names) for each prose sentence that declares names to be constants, in order."""
    masked = _DISPLAY.sub(lambda mo: re.sub(r"[^\n]", " ", mo.group(0)), text)
    found = []
    line = 1
    for sentence in re.split(r"(?<=[.;:!?。；：\n])", masked):
        start_line = line
        line += sentence.count("\n")
        names: set[str] = set()
        keyword = _CONSTANT_WORDS.search(sentence) and not _RANDOM_WORDS.search(sentence)
        for math in _INLINE_MATH.finditer(sentence):
            body = math.group(1) or math.group(2)
            in_reals = _IN_REALS.match(body)
            if in_reals:
                names.update(_names(in_reals.group(1)))
            elif keyword:
                names.update(_names(body))
        if names:
            found.append((start_line, frozenset(names)))
    return found


def constants_before(declarations: list[tuple[int, frozenset[str]]], line: int) -> frozenset[str]:
    """The names declared constant on or before ``line``."""
    names: set[str] = set()
    for declared_at, declared in declarations:
        if declared_at <= line:
            names |= declared
    return frozenset(names)
