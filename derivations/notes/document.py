r"""The document model between extraction and judging: each statement's role, read in order, and the scope the
later statements are judged in (``../shared/DESIGN.md``, "The notes checker").

Roles (:data:`ROLES`), given to each step:

* **definition**: a step that introduces or redefines a name: its relation says so (``:=``, ``\coloneqq``,
  ``\triangleq``, ``\stackrel{\text{def}}{=}``), or it is the first step of its chain and its left side is a
  *name* (a letter or Greek letter with accents, a subscript and a power: ``r^2``, ``z_k``, ``\hat\sigma^2``)
  that is new (not used in the document's math before, not a name the notation profile knows), or the prose
  just before its block introduces it (``let``, ``define``, ``denote``, ``where``, ``we write``, ``we use``,
  ``令``, ``记``, ``设``, ``其中``, ``定义``): then a known name is *redefined* (an author's own
  ``\hat\sigma^2``), and the redefinition holds from there on.
  A definition is recorded, never judged, and substituted in the later steps that use its name.
* **premise**: what the author gives: a distribution (``\sim``), a model equation (a new name equal to an
  expression with a noise term, ``y = Ax + b + \epsilon``), a structure (``Q^\top Q = I``; a factorisation
  ``\Sigma = QDQ^\top`` or ``\Sigma = LL^\top`` introduced as such in the prose: "suppose", "assume",
  "decompose", "Cholesky", "eigen", "orthogonal", ...), a value given to a name (``\mu = 2``, a matrix of
  numbers). A value is substituted like a definition. Other premises are recorded, not judged, and the
  checker does not apply them: a later step that uses their names and is false without them is *not checked*
  (it may hold given the premise), never invalid.
* **equation**: a step of a solving sequence (set by the judge, which solves it).
* **other**: a relation that is not an equality claim (arrows, ``\propto``, ``\approx``, ``\in``, ``\to``).
* **assertion**: everything else, judged in the scope.

A role read from the form alone (a new name, a structure, a value, a model; not ``:=``, ``\sim`` or a prose
cue) is *tentative*: the judge tries the step as an assertion first, and a step that holds is an assertion
(``\Sigma^{-1}\Sigma = I``, a new name for what the notation profile already means); only one that does not
hold keeps its role, unjudged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .extract import Extraction, ExtractedStep
from .matrix_scope import IDENTITY, MatrixScope, gaussian_parameters, matrix_entries, read_matrix_scope, tex_of

__all__ = ["ROLES", "Statement", "Scope", "read_roles", "name_of", "RANDOM_OPERATORS"]

ROLES = ("definition", "premise", "equation", "assertion", "other")

_DEFINING_RELATIONS = {":=", "=:"}
_PREMISE_RELATIONS = {"sim", "in"}
_OTHER_RELATIONS = {"implies", "iff", "therefore", "implied by", "to", "propto", "approx", "<", ">", "<=", ">=",
                    "!=", "equiv"}

_ACCENTS = r"(?:\\(?:hat|bar|tilde|widehat|widetilde|overline|check|breve|dot|ddot|vec|mathbf|boldsymbol|bm|mathrm|mathcal|mathbb|mathit|mathsf|operatorname)\s*)"
_CORE = r"(?:\\[a-zA-Z]+|[A-Za-z])"
_NAME = re.compile(
    rf"^(?P<core>{_ACCENTS}*(?:\{{\s*{_ACCENTS}*{_CORE}\s*\}}|{_CORE}))"
    r"(?P<sub>_(?:\{[^{}]*\}|[A-Za-z0-9]|\\[a-zA-Z]+))?"
    r"(?P<power>\^(?:\{\s*[0-9]\s*\}|[0-9]))?"
    r"(?P<sub2>_(?:\{[^{}]*\}|[A-Za-z0-9]|\\[a-zA-Z]+))?$")
#: letters and macros that are operators or constants, never names a document defines
_NOT_NAMES = {r"\sum", r"\prod", r"\int", r"\log", r"\ln", r"\exp", r"\det", r"\operatorname", r"\frac", r"\pi",
              r"\infty", r"\partial", r"\nabla", r"\mathbb", r"\left", r"\right", r"\sqrt", r"\max", r"\min",
              r"\arg", r"\lim", r"\tr", r"\cdot", r"\text", r"\mathrm"}
#: names the notation profile knows (judged as assertions unless the prose redefines them)
_KNOWN = re.compile(r"^(?:\\(?:hat|bar|widehat|overline)\s*\{?\s*(?:\\mu|\\sigma|x|\\Sigma|\\theta)\b"
                    r"|\\mu_\{?(?:ML|MLE)\}?|\\sigma\^2_\{?(?:ML|MLE)\}?|\\ell|\\mathcal\s*\{?\s*L|L$|\\Lambda)")
#: the notation profile's own names (the data, the parameters, the model's matrices): never new in a document
_PRIMITIVE = re.compile(r"^(?:\\(?:mathbf|boldsymbol|bm)\s*)?\{?\s*(?:x|y|X|N|n|p|\\mu|\\sigma|\\Sigma|\\Lambda|A|b|L|"
                        r"\\epsilon|\\varepsilon|\\theta)\s*\}?(?:\^\s*\{?\s*2\s*\}?)?$")
_PRIMITIVE_CORE = re.compile(r"^(?:\\(?:mathbf|boldsymbol|bm|hat|bar)\s*)?\{?\s*(?:x|y|X|\\mu|\\sigma|\\Sigma|\\Lambda|"
                             r"\\theta)\b")
_NOISE = re.compile(r"\\(?:epsilon|varepsilon|eta|xi)(?![a-zA-Z])|\\mathbf\s*\{?\s*[en]\b|\bnoise\b")
_DEFINITION_CUES = re.compile(
    r"\b(?:let|define[sd]?|defining|denot(?:e|es|ed|ing)|where|we\s+write|we\s+use|write|set|put|call(?:ed)?|"
    r"introduce|shorthand|abbreviat\w*)\b|令|记|设|其中|定义|表示",
    re.IGNORECASE)
_PREMISE_CUES = re.compile(
    r"\b(?:suppose|assum\w*|given|decompos\w*|factori[sz]\w*|cholesky|eigen\w*|orthogonal|orthonormal|diagonal|"
    r"triangular|symmetric|positive[- ]definite|model|spectral)\b|假设|分解|正交|对角|模型",
    re.IGNORECASE)
_NUMBER = re.compile(r"^-?\s*(?:\d+(?:\.\d+)?|\\frac\s*\{\s*-?\d+\s*\}\s*\{\s*\d+\s*\}|\\tfrac\s*\{\s*\d+\s*\}\s*\{\s*\d+\s*\})$")
_NUMERIC_MATRIX = re.compile(r"^\\begin\{[pbvB]?matrix\}[\s\d.,&\\\-+/{}frac]*\\end\{[pbvB]?matrix\}$")
_PRODUCT_OF_MATRICES = re.compile(r"^(?:\s*(?:\\[A-Za-z]+|[A-Z])(?:\s*\^\s*(?:\{?\s*(?:\\top|T|-1|\\mathrm\{T\}|\\intercal)\s*\}?))?)+\s*$")
_TOKEN = re.compile(r"\\[a-zA-Z]+|[A-Za-z]")


def _compact(tex: str) -> str:
    """The text without braces and spaces, except one space between two letters or digits (``\\Delta b``,
    ``m_n w``), so that names stay apart."""
    tex = re.sub(r"(?<!\\)[{}]", " ", tex)  # a brace separates like a space: \frac{S} is not \fracS
    tex = re.sub(r"(?<=[A-Za-z0-9])\s+(?=[A-Za-z0-9])", " ", tex)
    return re.sub(r"(?<![A-Za-z0-9])\s+|\s+(?![A-Za-z0-9])", "", tex)


def name_of(tex: str) -> str | None:
    r"""The name a side is, if it is one, in compact form without its power (``r^2`` -> ``r``,
    ``\hat{\sigma}^2`` -> ``\hat\sigma``, ``z_{k}`` -> ``z_k``), else None."""
    found = _NAME.match(tex.strip())
    if not found:
        return None
    core = found.group("core")
    bare = re.sub(_ACCENTS, "", core).strip("{} ")
    if bare in _NOT_NAMES:
        return None
    return _compact(core + (found.group("sub") or "") + (found.group("sub2") or ""))


@dataclass(frozen=True)
class Statement:
    """What the document model says of one step: its role, the name it defines or the premise it states."""

    role: str
    name: str | None = None  # a definition's (or a value premise's) name, compact
    detail: str = ""  # the reason for the role, for the report
    #: read from the form alone (a new name, a structure, a value, a model), not from ``:=``, ``\sim`` or the
    #: prose: the judge first tries the step as an assertion, and keeps the role only if it does not hold
    tentative: bool = False


@dataclass
class Scope:
    r"""The document's definitions and premises in reading order, for the judge: ``definitions`` are
    (line, name, lhs, rhs): substituted in later steps; ``premises`` are (line, tex, names): the checker does not
    apply them, so a later step that uses one of ``names`` is not invalid without them."""

    definitions: list[tuple[int, str, str, str]] = field(default_factory=list)
    premises: list[tuple[int, str, frozenset[str]]] = field(default_factory=list)
    #: (line, the document's name, the profile's name) from a distribution premise the profile models:
    #: ``X_i \sim \mathcal{N}(m, v)`` renames the letter X to x, m to \mu and v to \sigma^2 in later steps
    renames: list[tuple[int, str, str]] = field(default_factory=list)
    #: what the premises say the vectors and matrices of matrix notes are (applied, so not in ``premises``)
    matrix: MatrixScope = field(default_factory=MatrixScope)
    #: the premises ``matrix`` applies, (line, tex, names): a step that also uses a name the scope does not know
    #: (``d_k``, the eigenvalues the prose puts on D's diagonal) may hold through what the prose says of it
    applied: list[tuple[int, str, frozenset[str]]] = field(default_factory=list)
    #: (line, values) of the observations the notes give (``x = (1, 3, 4, 8)``, in the prose too)
    data: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)

    def without(self, lines_and_texts: set[tuple[int, str]]) -> "Scope":
        """The scope without the premises at these (line, tex): tentative premises that held as assertions."""
        return Scope(list(self.definitions), [p for p in self.premises if (p[0], p[1]) not in lines_and_texts],
                     list(self.renames), self.matrix, list(self.applied), list(self.data))

    def without_definitions(self, steps: list[ExtractedStep]) -> "Scope":
        """The scope without the definitions made by these steps: tentative definitions that turned out to be
        assertions (the profile's own name, or a statement that holds)."""
        made = {(step.line, *_defining_sides(step)) for step in steps}
        return Scope([d for d in self.definitions if (d[0], d[2], d[3]) not in made], list(self.premises),
                     list(self.renames), self.matrix, list(self.applied), list(self.data))

    def renames_for(self, step: ExtractedStep) -> tuple[tuple[str, str], ...]:
        """(the document's name, the profile's name) of the renames stated before the step."""
        return tuple((name, profile) for line, name, profile in self.renames if line <= step.line)

    def definitions_for(self, step: ExtractedStep) -> tuple[tuple[str, str, int], ...]:
        """(lhs, rhs, line) of the definitions before the step whose name it uses, the last of each name."""
        available: dict[str, tuple[str, str, int]] = {}
        for line, name, lhs, rhs in self.definitions:
            if line < step.line or (line == step.line and (lhs, rhs) != _defining_sides(step)):
                available[name] = (lhs, rhs, line)  # the last definition of a name before the step wins
        text = _compact(step.lhs) + " = " + _compact(step.rhs)
        if RANDOM_OPERATORS.search(step.lhs + " " + step.rhs):  # the numbers given to the model's parameters
            text += " " + " ".join(self._model_parameters(step))  # hold in its moments (E[y] = C m + d)
        for target, product in self.matrix.built:  # the numbers given to Sigma = L L^T fix its Cholesky factor L
            if any(_uses(text, factor) for factor in set(re.findall(r"\\[A-Z][a-z]*|[A-Z]", product))):
                text += " " + _compact(tex_of(target))
        chosen: dict[str, tuple[str, str, int]] = {}
        while True:  # the definitions the step uses, and those their values use
            more = {name: d for name, d in available.items() if name not in chosen and _uses(text, name)}
            if not more:
                break
            chosen.update(more)
            text += " " + " ".join(_compact(rhs) for _, rhs, _ in more.values())
        return tuple(sorted(chosen.values(), key=lambda d: -d[2]))  # a later definition may use an earlier one

    def data_for(self, step: ExtractedStep) -> tuple:
        """(line, values) of the last observations given before the step, () if none."""
        given = [d for d in self.data if d[0] <= step.line]
        return given[-1] if given else ()

    def applied_for(self, step: ExtractedStep) -> list[tuple[int, str]]:
        """(line, tex) of the applied structures and factorisations that speak of a name the step uses, if the
        step also uses a letter neither the profile nor the document's scope knows (the eigenvalues d_k of
        Sigma = Q D Q^T: what the prose says of them may make it hold)."""
        used = _tokens(_DIMENSION_LIMIT.sub(r"\1 ", step.lhs + " " + step.rhs))
        known = {entry.key.split("_")[0] for entry in self.matrix.names} | _PROFILE_LETTERS | {
            letter for letter, _, _ in self.matrix.parts} | {
            name.split("_")[0] for line, name, _, _ in self.definitions if line <= step.line}
        unknown = {t.lstrip("\\") for t in used if re.fullmatch(r"[a-z]|\\[a-z]+", t)} - known - _OPERATOR_WORDS
        if not unknown:
            return []
        return [(line, tex) for line, tex, names in self.applied
                if line <= step.line and names & used and r"\sim" not in tex]

    def _model_parameters(self, step: ExtractedStep) -> list[str]:
        """The document's names of the means and covariances of its random vectors (compact), those whose
        numbers, if the notes give them, hold in the moments a step takes."""
        names = [name for line, name, _ in self.renames if line <= step.line]
        for _, mean, covariance in self.matrix.random:
            for key in (mean, covariance):
                if key and key != "I":
                    names.append(_compact(tex_of(key)))
        for joint in self.matrix.joint:  # and the parameters of jointly Gaussian scalars (\mu_x, \rho)
            for tex in joint.means + sum(joint.covariance, ()):
                names.extend(_names_in(tex))
        return [name for name in names if name in {d[1] for d in self.definitions if _is_value(d[3])}]

    def _only_numbers(self, step: ExtractedStep, used: set[str]) -> bool:
        r"""Whether every name the step uses has been given numbers before it (``\Sigma`` a matrix of numbers):
        then the step is a fact about numbers, which no premise about the names can change."""
        valued = {name for line, name, _, rhs in self.definitions if line <= step.line and _is_value(rhs)}
        names = {t for t in used if t.lstrip("\\") not in _OPERATOR_WORDS and t not in _NOT_NAMES}
        return bool(names) and names <= valued

    def premises_for(self, step: ExtractedStep) -> list[tuple[int, str]]:
        """(line, tex) of the premises before the step that speak of a name it uses. A distribution (``\\sim``)
        says nothing of values, only of expectations and densities: it counts only for a step that takes one."""
        text = step.lhs + " " + step.rhs
        used = _tokens(text)
        if self._only_numbers(step, used):
            return []
        random = bool(RANDOM_OPERATORS.search(text))
        return [(line, tex) for line, tex, names in self.premises
                if line <= step.line and names & used and (random or r"\sim" not in tex)]


#: the dimension d as the upper limit of a sum or product (``\\sum_{i=1}^{d}``): not a name of the notes
_DIMENSION_LIMIT = re.compile(r"(\\(?:sum|prod)\s*_\s*\{[^{}]*\}\s*\^\s*)\{?\s*[dD]\s*\}?")
#: lowercase letters the notation profile gives a meaning (vectors, indices, sizes, constants)
_PROFILE_LETTERS = {"x", "y", "b", "mu", "sigma", "epsilon", "varepsilon", "i", "j", "k", "n", "m", "p", "q", "t",
                    "pi", "e"}
#: lowercase macros that are operators or spacing, never names
_OPERATOR_WORDS = {"sum", "prod", "log", "ln", "exp", "det", "frac", "tfrac", "dfrac", "left", "right", "top", "cdot",
                   "operatorname", "mathbb", "mathcal", "mathbf", "mathrm", "text", "sqrt", "quad", "qquad", "int",
                   "partial", "nabla", "lvert", "rvert", "vert", "lVert", "rVert", "mid", "tr", "intercal", "boldsymbol",
                   "bm", "hat", "bar", "tilde", "widehat", "overline", "begin", "end", "pmatrix", "bmatrix", "times",
                   "infty", "ldots", "cdots", "dots", "limits", "displaystyle", "big", "Big", "bigl",
                   "bigr", "sim", "propto", "approx", "le", "ge", "leq", "geq", "neq"}

#: an expectation, a variance, a covariance, a probability or a density in a step
RANDOM_OPERATORS = re.compile(r"\\mathbb\s*\{?\s*[EPV]|\\operatorname\s*\{\s*(?:E|Var|Cov|var|cov)|\\(?:Var|Cov|E|Pr)"
                               r"(?![a-zA-Z])|(?<![\\A-Za-z])(?:E|Var|Cov|var|cov|p|P)\s*[\[(]|\\mathcal\s*\{?\s*N")


def _tokens(tex: str) -> set[str]:
    """The letters and macros of a formula, without the names of its environments (``pmatrix``)."""
    return set(_TOKEN.findall(_ENVIRONMENTS_AND_WORDS.sub(" ", tex)))


#: environment names and words set in text (``\\begin{pmatrix}``, ``\\operatorname{Cov}``, ``\\text{const}``)
_ENVIRONMENTS_AND_WORDS = re.compile(r"\\(?:begin|end|operatorname\*?|text|mathrm|textrm|mbox)\s*\{[^{}]*\}")


def _uses(compact_text: str, name: str) -> bool:
    """Whether the compact text uses the name. A name of one letter may stand next to other letters (``Am`` is A
    times m in TeX), but not inside a macro's name or a word (``\\operatorname{Cov}``, ``\\text{const}``)."""
    core = re.sub(r"\^\d$", "", name)
    if re.fullmatch(r"[A-Za-z](?:_[A-Za-z0-9]+)?", core):
        letters = _WORDS.sub(" ", compact_text)
        return re.search(re.escape(core) + ("(?![A-Za-z0-9])" if "_" in core else ""), letters) is not None
    return re.search(rf"(?<![A-Za-z\\]){re.escape(core)}(?![A-Za-z])", compact_text) is not None


#: macro names, words set in text (``\\operatorname Cov``, ``\\text const``) and environment names
_WORDS = re.compile(r"\\(?:operatorname|text|mathrm|textrm|mbox|begin|end)\s*[A-Za-z*]*|\\[A-Za-z]+")


def _prose_before(extraction: Extraction) -> dict[int, str]:
    """For each display block number, the prose just before it (up to 240 characters after the previous
    block), math blanked."""
    text = extraction.document.text
    blocks = [b for b in extraction.blocks if not b.inline]
    before: dict[int, str] = {}
    previous_end = 0
    for block in blocks:
        start = max(previous_end, block.start - 240)
        before[block.number] = re.sub(r"\$[^$]*\$", " ", text[start:block.start])
        previous_end = block.start + len(block.text)
    return before


def _is_value(tex: str) -> bool:
    compact = tex.strip()
    return bool(_NUMBER.match(compact) or _NUMERIC_MATRIX.match(" ".join(compact.split())))


def read_roles(extraction: Extraction, steps: list[ExtractedStep]) -> tuple[list[Statement], Scope]:
    """The role of each of ``steps`` (the extraction's steps, in order, possibly with its inline steps) and
    the scope they build (see the module docstring for the rules)."""
    prose = _prose_before(extraction)
    scope = Scope()
    math_text = " ".join(_compact(s.lhs + " " + s.rhs) for s in extraction.steps + extraction.inline_steps)
    lines = extraction.document.text.split("\n")
    if _capital_p_is_a_density(math_text):
        scope.renames.append((0, "P", "p"))
    if re.search(r"\\(?:ln|log)\s*\\mathcal\s*L", math_text):  # \ln\mathcal{L}: then \mathcal{L} is the likelihood
        scope.renames.append((0, r"\mathcal{L}", "L"))
    seen: set[str] = set()  # names used in the math so far
    statements: list[Statement] = []
    chain_first: set[int] = set()
    previous_chain = None
    for index, step in enumerate(steps):
        if step.chain is not previous_chain:
            chain_first.add(index)
            previous_chain = step.chain
    matrix_premises: list[tuple[int, str, str, str]] = []  # (line, lhs, relation, rhs) for the matrix scope
    random: set[str] = set()  # the names the premises so far make random
    for index, step in enumerate(steps):
        defined = {name for _, name, _, _ in scope.definitions}
        statement = _role(step, index in chain_first, seen, prose.get(step.block, "") if not step.inline else "",
                          defined, _annotation_before(lines, step) if index in chain_first else "")
        variables = _distributed_names(step) if step.relation == "sim" else None
        if statement.role == "premise" and variables and variables <= random and not _ASSUMING.search(
                prose.get(step.block, "")[-160:] if not step.inline else ""):
            statement = Statement("assertion", None, f"the distribution of {step.lhs.strip()}, which the premises "
                                  "before it fix")
        if statement.role == "assertion" and index in chain_first and index > 0 and statements[-1].role == "premise" \
                and steps[index - 1].block == step.block and steps[index - 1].relation == "sim" \
                and _follows_the_premise(steps[index - 1], step):
            statement = Statement("definition", name_of(step.lhs), f"definition of {step.lhs.strip()} (a function of "
                                  f"the random {steps[index - 1].lhs.strip()} it is stated with)")
        statements.append(statement)
        if statement.role == "definition" and statement.name:
            scope.definitions.append((step.line, statement.name, *_defining_sides(step)))
        elif statement.role == "premise":
            modelled = _modelled_distribution(step, math_text) if step.relation == "sim" else None
            if statement.name and _is_value(step.rhs):
                scope.definitions.append((step.line, statement.name, step.lhs, step.rhs))
            elif modelled is not None:
                scope.renames.extend((step.line, name, profile) for name, profile in modelled)
                if _vector_distribution(step, modelled):
                    matrix_premises.append((step.line, "x", "sim", r"\mathcal{N}(\mu, \Sigma)"))
            else:
                scope.premises.append((step.line, step.tex, _constrained_names(step)))
                matrix_premises.append((step.line, step.lhs, step.relation, step.rhs))
        if statement.role == "premise":
            random |= variables or ({name_of(step.lhs)} - {None} if _NOISE.search(step.rhs) else set())
        for side in (step.lhs, step.rhs):
            seen.update(_names_in(side))
    for step in sorted(steps + [s for s in extraction.inline_steps if s not in steps], key=lambda s: s.line):
        values = _observations(step)  # the data, displayed or given in a sentence
        if values is not None:
            scope.data.append((step.line, values))
    scope.matrix, applied = read_matrix_scope(matrix_premises, extraction.document.text)
    applied_premises = {(matrix_premises[k][0], matrix_premises[k][1], matrix_premises[k][3]) for k in applied}
    for index, step in enumerate(steps):
        if statements[index].role == "premise" and (step.line, step.lhs, step.rhs) in applied_premises:
            statements[index] = Statement("premise", statements[index].name,
                                          f"{statements[index].detail}, applied in the later steps")
            scope.applied.append(next(p for p in scope.premises if (p[0], p[1]) == (step.line, step.tex)))
    applied_lines = {(line, tex) for line, tex, _ in scope.applied}
    scope.premises = [p for p in scope.premises if (p[0], p[1]) not in applied_lines]
    used_before = {}  # each name of the displayed math, with the first line it is used on
    for step in steps:
        for name in _names_in(step.lhs) | _names_in(step.rhs):
            used_before.setdefault(name, step.line)
    given = [s for s in extraction.inline_steps if s not in steps and _value_given_in_a_sentence(s, lines, used_before)]
    scope.definitions = sorted(scope.definitions + [(s.line, name_of(s.lhs), s.lhs, s.rhs) for s in given],
                               key=lambda d: d[0])
    return statements, scope


_SIZES_AND_INDICES = {"n", "N", "k", "K", "p", "q", "d", "m", "i", "j", "t", "x", "X"}
#: a sentence that gives values: "take $H = 1$", "we observe $o = 3$", "with $r = 0$"
_VALUE_CUES = re.compile(r"\b(?:take|taking|let|set|setting|with|observe[sd]?|suppose|assume|given|choose|plug)\b"
                         r"|取|设|令|观测", re.IGNORECASE)


def _value_given_in_a_sentence(step: ExtractedStep, lines: list[str], used_before: dict[str, int]) -> bool:
    r"""Whether an inline ``$H = 1$`` gives a value to a name of the document's displayed math used before it
    (not a size or an index), in a sentence that says so ("take", "we observe", "with"): then it holds from
    there on, like a displayed value."""
    name = name_of(step.lhs)
    if step.relation != "=" or name is None or used_before.get(name, step.line + 1) > step.line or \
            name in _SIZES_AND_INDICES or not _is_value(step.rhs) or not 1 <= step.line <= len(lines):
        return False
    line = lines[step.line - 1]
    at = line.find(step.lhs.strip())
    sentence = re.split(r"[.;:!?。；：]\s", line[:at] if at >= 0 else line)[-1]
    return bool(_VALUE_CUES.search(re.sub(r"\$[^$]*\$", " ", sentence)))


_ASSUMING = re.compile(r"\b(?:suppose|assum\w*|instead|now let)\b|假设", re.IGNORECASE)


def _distributed_names(step: ExtractedStep) -> set[str] | None:
    r"""The names a distribution statement is of (compact): ``x``; ``x`` and ``z`` of a stacked
    ``\begin{pmatrix} x \\ z \end{pmatrix}``; ``y`` and ``x`` of ``y \mid x``; None if a part is not names."""
    names: set[str] = set()
    for part in re.split(r"\\mid|(?<!\\)\|", step.lhs):
        entries = matrix_entries(part)
        for entry in [row[0] for row in entries if len(row) == 1] if entries else [part]:
            name = name_of(entry)
            if name is None:
                return None
            names.add(name)
    return names or None


_INVERSE = re.compile(r"^(?P<name>.+?)\^\s*\{\s*-\s*1\s*\}\s*$")


def _defining_sides(step: ExtractedStep) -> tuple[str, str]:
    r"""The name and the value a step ``name = value`` would define; a name defined by its inverse
    (``P^{-1} = \Sigma_0^{-1} + A^\top R^{-1}A``) is the inverse of the value."""
    inverse = _INVERSE.match(step.lhs.strip())
    if inverse and name_of(inverse.group("name")):
        return inverse.group("name").strip(), rf"\left({step.rhs}\right)^{{-1}}"
    return step.lhs, step.rhs


def _follows_the_premise(premise: ExtractedStep, step: ExtractedStep) -> bool:
    r"""Whether ``step`` names a function of the random variable of the distribution premise stated just before
    it in the same display (``x \sim \mathcal{N}(m, \Sigma), \quad y = Ax + b``)."""
    variable, name = name_of(premise.lhs), name_of(step.lhs)
    return bool(variable and name and name != variable and _uses(_compact(step.rhs), variable))


_OBSERVATIONS = re.compile(r"^(?:\\left\s*)?\(\s*(?P<values>-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?)+)\s*"
                           r"(?:\\right\s*)?\)$")
_DATA_SET = re.compile(r"^(?:\\(?:mathbf|boldsymbol|bm)\s*)?\{?\s*[xX]\s*\}?(?:_\s*\{\s*1\s*:\s*[nN]\s*\})?$")


def _observations(step: ExtractedStep) -> tuple[str, ...] | None:
    """The values of the data set ``x = (1, 3, 4, 8)`` (x, X, bold x or x_{1:N} equal to a list of numbers),
    None for any other step."""
    if step.relation != "=" or not _DATA_SET.match(step.lhs.strip()):
        return None
    found = _OBSERVATIONS.match(step.rhs.strip())
    return tuple(v.strip() for v in found.group("values").split(",")) if found else None


def _vector_distribution(step: ExtractedStep, modelled: list[tuple[str, str]]) -> bool:
    r"""Whether a modelled distribution premise is of the profile's vector, ``x \sim \mathcal{N}(\mu, \Sigma)``
    after its renames, rather than of the univariate data."""
    return r"\Sigma" in {profile for _, profile in modelled} or bool(
        re.search(r",\s*(?:\\boldsymbol\s*\{?\s*)?\\Sigma\s*\}?\s*(?:\\right)?\s*\)\s*$", step.rhs))


_DATA_VARIABLE = re.compile(r"^(?:\\(?:mathbf|boldsymbol|bm)\s*)?\{?\s*(?P<letter>[xX])\s*\}?"
                            r"(?:_\s*\{?\s*[a-z]\s*\}?|\^\s*\{\s*\(\s*[a-z]\s*\)\s*\})?$")
#: the stacked blocks (x_a; x_b) or (x_1; x_2) of the profile's partitioned Gaussian
_PARTITIONED = re.compile(r"^(?:\\left\s*\(\s*)?\\begin\{[pb]matrix\}\s*(?P<letter>[a-z])_\{?([a1])\}?\s*\\\\\s*(?P=letter)_\{?([b2])\}?\s*"
                          r"\\end\{[pb]matrix\}(?:\s*\\right\s*\))?$")
_PROFILE_BLOCKS_MEAN = {_compact(r"\begin{pmatrix} \mu_a \\ \mu_b \end{pmatrix}"),
                        _compact(r"\begin{bmatrix} \mu_a \\ \mu_b \end{bmatrix}")}
_PROFILE_BLOCKS_COVARIANCE = {_compact(rf"\begin{{{kind}}} \Sigma_{{aa}} & \Sigma_{{ab}} \\ \Sigma_{{ba}} & \Sigma_{{bb}} "
                                       rf"\end{{{kind}}}") for kind in ("pmatrix", "bmatrix")}
_PROFILE_MEANS = {r"\mu", r"\boldsymbol\mu", r"\bm\mu", r"\mathbf\mu"}
_PROFILE_VARIANCES = {r"\sigma^2", r"\Sigma", r"\boldsymbol\Sigma", r"\bm\Sigma", r"\mathbf\Sigma"}


def _modelled_distribution(step: ExtractedStep, math_text: str) -> list[tuple[str, str]] | None:
    r"""The renames that make a distribution premise the notation profile's own (the data x_i iid
    N(\mu, \sigma^2), or a vector x ~ N(\mu, \Sigma)): [] if it already is, None if the profile does not
    model it (another variable, a mean that is not a name, a profile name the document uses otherwise)."""
    variable = _DATA_VARIABLE.match(step.lhs.strip()) or _PARTITIONED.match(" ".join(step.lhs.split()))
    arguments = gaussian_parameters(step.rhs)
    if not variable or arguments is None or len(arguments) != 2:
        return None
    mean, variance = arguments
    renames: list[tuple[str, str]] = []
    own = _compact(step.lhs + " " + step.rhs)
    elsewhere = math_text.replace(own, " ")
    letter = variable.group("letter")
    if letter == "X":
        renames.append(("X", "x"))
    elif letter != "x":  # (z_a; z_b) ~ N(..): the profile's partitioned x, if the notes do not use x otherwise
        if _uses(elsewhere, "x"):
            return None
        renames.append((letter, "x"))
    if _compact(mean) in _PROFILE_BLOCKS_MEAN and _compact(variance) in _PROFILE_BLOCKS_COVARIANCE:
        return renames  # the blocks written out: (mu_a; mu_b), (Sigma_aa Sigma_ab; Sigma_ba Sigma_bb)
    if _compact(mean) not in _PROFILE_MEANS:
        if name_of(mean) is None or _uses(elsewhere, r"\mu"):
            return None
        renames.append((mean, r"\mu"))
    if _compact(variance) not in _PROFILE_VARIANCES:
        squared = re.fullmatch(r"(.+?)\^\s*\{?\s*2\s*\}?", variance)
        if squared and name_of(squared.group(1)) and not _uses(elsewhere, r"\sigma"):
            renames.append((squared.group(1), r"\sigma"))
        elif name_of(variance) and re.match(r"\\[A-Z]|[A-Z]", variance) and not _uses(elsewhere, r"\Sigma"):
            renames.append((variance, r"\Sigma"))
        elif name_of(variance) and not _uses(elsewhere, r"\sigma"):
            renames.append((variance, r"\sigma^2"))
        else:
            return None
    return renames


_NOT_CONSTRAINED = {"T", r"\top", r"\sim", r"\mathcal", r"\mathbf", r"\mathrm", r"\boldsymbol", "N", r"\left",
                    r"\right", r"\begin", r"\end", "pmatrix", "bmatrix"}


def _constrained_names(step: ExtractedStep) -> frozenset[str]:
    """The names a premise constrains: a model equation (``z = Wx + c + \\eta``) its left side and its noise; a
    distribution or a structure (``\\Sigma = QDQ^\\top``) every name in it."""
    if step.relation == "=" and _NOISE.search(step.rhs):
        names = set(_TOKEN.findall(step.lhs)) | set(_NOISE.findall(step.rhs))
    else:
        names = set(_TOKEN.findall(step.lhs + " " + step.rhs))
    return frozenset(names - _NOT_CONSTRAINED)


def _annotation_before(lines: list[str], step: ExtractedStep) -> str:
    r"""A cue written in the math just before the chain's first side on its line (``\\text{where } w = ..``)."""
    first = step.chain.elements[0]
    if not 1 <= first.line <= len(lines):
        return ""
    line = lines[first.line - 1]
    at = line.find(first.tex[:12])
    found = _ANNOTATION_CUE.search(line[:at]) if at > 0 else None
    return found.group(0) if found else ""


def _capital_p_is_a_density(math_text: str) -> bool:
    """Whether the document writes densities ``P(x)``: every letter P in its math is applied to a bracket."""
    uses = list(re.finditer(r"(?<![A-Za-z\\])P(?![A-Za-z])", math_text))
    return bool(uses) and all(math_text[m.end():].lstrip().startswith("(") for m in uses)


def _names_in(tex: str) -> set[str]:
    """The compact names a side mentions (each letter or macro, with and without its subscript)."""
    compact = _compact(tex)
    names = set(re.findall(r"\\[a-zA-Z]+(?:_\\?[A-Za-z0-9]+)?|[A-Za-z](?:_\\?[A-Za-z0-9]+)?", compact))
    return names | {re.sub(r"_.*$", "", n) for n in names}


#: functions the notation profile knows: densities, the likelihood and log-likelihood
_PROFILE_FUNCTIONS = {"p", "P", "L", r"\ell", r"\mathcal", "N", r"\Phi", r"\phi", r"\varphi", "E", "D", "V", "e",
                      r"\Pr", r"\operatorname", r"\mathbb"}
_FUNCTION = re.compile(r"^(?P<name>\\[a-zA-Z]+|[A-Za-z])\s*(?:_\{?\w+\}?)?\s*\((?P<args>[^()]*)\)$")
_ANNOTATION_CUE = re.compile(r"\\text\s*\{\s*(?:where|with|let|and|for|setting|令|记|设|其中)\b[^{}]*\}\s*$", re.IGNORECASE)


def _role(step: ExtractedStep, first_of_chain: bool, seen: set[str], prose: str, defined: set[str],
          annotation: str = "") -> Statement:
    if step.relation in _DEFINING_RELATIONS:
        name = name_of(step.lhs if step.relation == ":=" else step.rhs)
        return Statement("definition", name, f"definition of {step.lhs if step.relation == ':=' else step.rhs}")
    if step.relation == "sim" and name_of(step.lhs) in defined:  # y := Cx + d, then y ~ N(..): a claim about y
        return Statement("assertion", None, f"the distribution of {step.lhs.strip()}, defined before")
    if step.relation in _PREMISE_RELATIONS:
        return Statement("premise", None, f"premise: {step.lhs} {'~' if step.relation == 'sim' else 'in'} ...")
    if step.relation in _OTHER_RELATIONS:
        return Statement("other")
    if step.relation != "=":
        return Statement("other")
    if _observations(step) is not None:
        return Statement("premise", None, f"premise: the data {step.lhs.strip()} = {step.rhs.strip()}")
    if IDENTITY.match(step.rhs) and _PRODUCT_OF_MATRICES.match(step.lhs) and "^" in step.lhs:
        return Statement("premise", None, f"premise: {step.lhs} = {step.rhs.strip()} (a structure)", True)
    if not first_of_chain:
        return Statement("assertion")
    named = _defining_sides(step)[0].strip()
    name = name_of(named)
    cue = prose.strip()[-160:] + " " + annotation
    function = _FUNCTION.match(step.lhs.strip())
    if (name is None and function and function.group("name") not in _NOT_NAMES | _PROFILE_FUNCTIONS
            and not _KNOWN.match(step.lhs.strip())):
        key = _compact(function.group("name"))
        if key not in defined and (not {key} & seen or _DEFINITION_CUES.search(cue)):
            return Statement("definition", None, f"definition of the function {function.group('name')}", True)
    if name is None:
        return Statement("assertion")
    introduced = bool(_DEFINITION_CUES.search(cue))
    # new: a name the document has not given a value yet (it may have been mentioned, as m_n in a premise), and
    # not one of the notation profile's own names
    new = (name not in defined and not _KNOWN.match(named) and not _PRIMITIVE.match(named)
           and (not _names_in(named) & seen or not _PRIMITIVE_CORE.match(named)))
    if _NOISE.search(step.rhs):
        return Statement("premise", None, f"premise: the model {step.lhs} = {step.rhs}", not introduced)
    numeric_matrix = bool(_NUMERIC_MATRIX.match(" ".join(step.rhs.split())))  # never a likelihood L
    if _is_value(step.rhs) and name not in defined and (numeric_matrix or not _KNOWN.match(step.lhs.strip())):
        return Statement("premise", name, f"premise: {step.lhs} is given the value {step.rhs}", not introduced)
    if _PREMISE_CUES.search(cue) and _PRODUCT_OF_MATRICES.match(step.rhs) and re.search(r"[A-Z\\]", step.rhs):
        return Statement("premise", None, f"premise: {step.lhs} = {step.rhs} (a structure)", True)
    if new or introduced:
        what = "definition" if new else "redefinition"
        return Statement("definition", name, f"{what} of {step.lhs.strip()}", not introduced)
    return Statement("assertion")
