r"""What a document in matrix notation says its vectors and matrices are: the part of the scope the parser
reads matrix notes in (``../shared/DESIGN.md``, "The notes checker").

The notation profile knows one set of letters (x, mu, Sigma, the linear-Gaussian model's A, b, y, L, epsilon).
Real notes use others, and say what they are in their premises:

* a **distribution** ``z \sim \mathcal{N}(m, V)`` of a vector: z is a random vector, m its mean (a vector of
  the same size, or 0), V its covariance (symmetric positive definite); E and Cov follow it, the random
  vectors of different premises independent;
* a **model equation** ``z = Wx + c + \eta`` (a left side that is a new vector, a noise term): z is the random
  vector W x + c + eta; a new vector is of another size q than x's p, and W is q x p;
* a **structure**: ``Q^\top Q = I`` (Q orthogonal), and a **factorisation** ``\Sigma = QDQ^\top`` or
  ``\Sigma = LL^\top`` whose factors the prose describes (orthogonal, diagonal, a Cholesky factor or lower
  triangular). A factorisation is applied: Sigma is replaced by the product, and the randomised test draws
  factors with their structure (a random orthogonal Q, a positive diagonal D, a lower-triangular L with a
  positive diagonal). A factorisation with a factor the prose does not describe is not applied.

:class:`MatrixScope` is a frozen record of strings (it travels to the judge's worker processes); the parser
turns it into SymPy objects (:func:`derivations.notes.parse.parse`, ``table=``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["MatrixName", "JointGaussian", "MatrixScope", "matrix_entries", "key_of", "tex_of", "gaussian_arguments",
           "gaussian_parameters", "IDENTITY",
           "PROFILE_VECTORS", "PROFILE_SIZES", "read_matrix_scope"]

#: the profile's own names and their sizes (``derivations.linear_gaussian``: x, mu of size p; y, b, epsilon of
#: size q; Sigma p x p); a premise may use them, never resize them
PROFILE_SIZES = {"x": ("p", "1"), "mu": ("p", "1"), "Sigma": ("p", "p"), "y": ("q", "1"), "b": ("q", "1"),
                 "epsilon": ("q", "1"), "varepsilon": ("q", "1"), "A": ("q", "p")}
PROFILE_VECTORS = {"x", "mu", "y", "b", "epsilon", "varepsilon"}

KINDS = ("general", "symmetric", "orthogonal", "diagonal", "lower")


@dataclass(frozen=True)
class MatrixName:
    """A name the document gives a shape: ``key`` as the parser spells it (``W``, ``Sigma_0``, ``eta``), its
    rows and columns (``p``, ``q`` or ``1``) and its kind (:data:`KINDS`)."""

    key: str
    rows: str
    cols: str
    kind: str = "general"


@dataclass(frozen=True)
class JointGaussian:
    r"""Scalar variables the document makes jointly Gaussian with a stacked premise
    ``\begin{pmatrix} x \\ y \end{pmatrix} \sim \mathcal{N}(\begin{pmatrix} \mu_x \\ \mu_y \end{pmatrix},
    \begin{pmatrix} \sigma_x^2 & \rho\sigma_x\sigma_y \\ \rho\sigma_x\sigma_y & \sigma_y^2 \end{pmatrix})``:
    their keys (as the parser spells them), the TeX of their means and the rows of their covariance."""

    variables: tuple[str, ...]
    means: tuple[str, ...]
    covariance: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class MatrixScope:
    """The document's matrix names (:class:`MatrixName`), its random vectors ``(vector, mean or None for 0,
    covariance or "I")``, its model equations ``(vector, right side)`` and its factorisations ``(matrix,
    product)``, each with the line it is stated on (``lines``)."""

    names: tuple[MatrixName, ...] = ()
    random: tuple[tuple[str, str | None, str], ...] = ()
    derived: tuple[tuple[str, str], ...] = ()
    built: tuple[tuple[str, str], ...] = ()
    lines: tuple[int, ...] = field(default=(), compare=False)
    #: sizes a step's numeric values fix (``A = \begin{pmatrix}..\end{pmatrix}`` of a q x p name: q = p = 2)
    sizes: tuple[tuple[str, int], ...] = ()
    #: the matrices of numbers a step's definitions give (name, value), also in the model's moments
    values: tuple[tuple[str, str], ...] = ()
    #: (letter, matrix, "column" or "diagonal"): the prose's names for a matrix's columns (``the columns
    #: $q_1, \dots, q_p$ of $Q$``) or diagonal entries (``$D$ is diagonal with $d_1, \dots, d_p$``)
    parts: tuple[tuple[str, str, str], ...] = ()
    #: scalar variables made jointly Gaussian by a stacked premise (:class:`JointGaussian`)
    joint: tuple[JointGaussian, ...] = ()

    def joint_of(self, key: str) -> JointGaussian | None:
        """The joint Gaussian premise that makes the scalar ``key`` random, None if none does."""
        return next((j for j in self.joint if key in j.variables), None)

    def part(self, letter: str) -> tuple[str, str] | None:
        """(matrix, "column" or "diagonal") if ``letter`` with an index names a part of a matrix, else None."""
        for name, matrix, kind in self.parts:
            if name == letter:
                return matrix, kind
        return None

    def name(self, key: str) -> MatrixName | None:
        for entry in self.names:
            if entry.key == key:
                return entry
        return None

    def mentions(self, tex: str) -> bool:
        """Whether the text uses one of the names the scope gives a shape, or one of its random vectors (then it
        is in matrix notation)."""
        letters = re.sub(r"\\[A-Za-z]+", " ", tex)  # a single letter is any letter outside a macro's name
        keys = [entry.key for entry in self.names] + [vector for vector, _, _ in self.random if vector != "x"] + \
            [vector for vector, _ in self.derived]  # (x is also the univariate data, X after a rename)
        return any(_mention(key).search(tex if _is_macro(key) else letters) for key in keys)

    def __bool__(self) -> bool:
        return bool(self.names or self.random or self.derived or self.built or self.sizes or self.parts or self.joint)


_ACCENT = re.compile(r"^\\(hat|bar|tilde|widehat|widetilde|overline|check)\s*")
_FONT = re.compile(r"^\\(?:mathbf|boldsymbol|bm|vec)\s*")
_CORE = re.compile(r"^\{?\s*(?P<core>\\[A-Za-z]+|[A-Za-z])\s*\}?\s*(?:_\s*(?P<sub>\{[^{}]*\}|[A-Za-z0-9]|\\[A-Za-z]+))?$")


def key_of(tex: str) -> str | None:
    r"""The parser's key of a name (``\Sigma_0`` -> ``Sigma_0``, ``\tilde{x}`` -> ``tilde:x``,
    ``\mathbf{W}`` -> ``W``), None if ``tex`` is not a single name."""
    text = tex.strip()
    accent = ""
    found = _ACCENT.match(text)
    if found:
        accent = found.group(1).replace("wide", "").replace("overline", "bar") + ":"
        text = text[found.end():].strip()
        if text.startswith("{") and text.endswith("}") and "_" not in text:
            text = text[1:-1].strip()
    text = _FONT.sub("", text)
    found = _CORE.match(text)
    if not found:
        return None
    core = found.group("core").lstrip("\\")
    if core in {"top", "sum", "prod", "frac", "left", "right", "mathcal", "operatorname", "cdot", "sim"}:
        return None
    sub = (found.group("sub") or "").strip("{} ").lstrip("\\")
    if sub and not re.fullmatch(r"[A-Za-z0-9]+", sub):
        return None
    return f"{accent}{core}" + (f"_{sub}" if sub else "")


def tex_of(key: str) -> str:
    r"""The TeX of a key without an accent (``Sigma_0`` -> ``\Sigma_{0}``, ``W`` -> ``W``): the inverse of
    :func:`key_of`."""
    core, _, sub = key.partition("_")
    return ("\\" + core if len(core) > 1 else core) + (f"_{{{sub}}}" if sub else "")


_NOISE_KEYS = {"eta", "epsilon", "varepsilon", "xi", "e", "n"}
_GAUSSIAN = re.compile(r"^\\mathcal\s*\{?\s*N\s*\}?\s*(?P<sub>_\s*\{?\s*\w+\s*\}?)?\s*(?:\\left)?\s*\((?P<args>.*?)(?:\\right)?\s*\)$",
                       re.DOTALL)
_TRANSPOSE = r"(?:\^\s*(?:\\top|T|\{\s*\\top\s*\}|\{\s*T\s*\}|\\intercal|\{\s*\\intercal\s*\}))"
_FACTOR = re.compile(rf"\s*(?P<name>\\[A-Z][a-z]*|[A-Z])(?P<transpose>{_TRANSPOSE})?")
#: an identity matrix: ``I``, ``I_p``, ``\\mathbf{I}``, ``\\mathbb{I}``
IDENTITY = re.compile(r"^\s*(?:I|I_\{?\w+\}?|\\mathbf\s*\{?\s*I\s*\}?|\\mathbb\s*\{?\s*I\s*\}?)\s*$")
#: the structures prose gives a matrix, in the order they are looked for
_KIND_WORDS = (("lower", re.compile(r"cholesky|lower[- ]triangular|下三角", re.IGNORECASE)),
               ("orthogonal", re.compile(r"orthogonal|orthonormal|rotation|正交", re.IGNORECASE)),
               ("diagonal", re.compile(r"diagonal|对角", re.IGNORECASE)))


#: a list of indexed letters in the prose: ``$q_1, \dots, q_p$``, ``$d_1, \ldots, d_p$``, ``\lambda_1, \dots, \lambda_d``
#: (alone in its formula, or as the entries of ``\operatorname{diag}(..)``)
_INDEXED_LIST = re.compile(r"(?:\$|\()\s*(?P<letter>\\[a-z]+|[a-z])_\{?1\}?\s*,\s*(?:\\[lc]?dots|\.\.\.)\s*,\s*(?P=letter)_\{?\w\}?\s*(?:\$|\))")
_DIAG = re.compile(r"^\s*\\(?:operatorname|mathrm|text)\s*\{\s*diag\s*\}\s*(?:\\left\s*)?\(")


_SPACING = re.compile(r"(?<!\\)\\(?:[,;:! ]|(?:q?quad|thinspace|medspace|thickspace)(?![A-Za-z]))")


def gaussian_parameters(tex: str, subscripted: bool = False) -> list[str] | None:
    r"""The arguments of a Gaussian ``\mathcal{N}(m, S)`` (:func:`gaussian_arguments`), None if ``tex`` is not
    one; with ``subscripted``, also of ``\mathcal{N}_p(m, S)``."""
    found = _GAUSSIAN.match(tex.strip())
    if not found or (found.group("sub") and not subscripted):
        return None
    return gaussian_arguments(found.group("args"))


def gaussian_arguments(text: str) -> list[str]:
    r"""The arguments of ``\mathcal{N}(..)`` split at the top-level commas, without spacing commands
    (``m,\,P`` -> ``m``, ``P``)."""
    return [a.strip() for a in re.split(r",(?![^{}()]*[})])", _SPACING.sub(" ", text)) if a.strip()]


def _split_terms(tex: str) -> list[str] | None:
    """The terms of a sum at the top level (signs dropped), None if a term is subtracted inside brackets."""
    terms, depth, start = [], 0, 0
    for k, c in enumerate(tex):
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif c in "+-" and depth == 0:
            terms.append(tex[start:k])
            start = k + 1
    terms.append(tex[start:])
    return [t.strip() for t in terms if t.strip()]


def _described_kind(name_tex: str, prose: str) -> str | None:
    r"""The structure the prose gives the matrix ``name_tex`` (``$Q$ is orthogonal``, ``$D$ is diagonal``,
    ``let $L$ be its Cholesky factor``, ``a lower-triangular $L$``): a keyword in the 60 characters before or the
    100 after an inline ``$F$``, in the same sentence and not past other math, a triangular factor before the
    rest; None if there is none."""
    pattern = re.compile(r"(?P<before>[^$.;。；]{0,60})\$\s*" + re.escape(name_tex) +
                         r"\s*(?:=\s*(?P<value>[^$]*))?\$(?P<after>[^$.;。；]{0,100})")
    for found in pattern.finditer(prose):
        if found.group("value") and _DIAG.match(found.group("value")):
            return "diagonal"  # $\Lambda = \operatorname{diag}(\lambda_1, \dots, \lambda_d)$
        if found.group("value") is not None:
            continue
        for kind, words in _KIND_WORDS:  # "lower triangular with a positive diagonal" is triangular
            if words.search(found.group("before")) or words.search(found.group("after")):
                return kind
    return None


class _Builder:
    def __init__(self, prose: str):
        self.prose = prose
        self.names: dict[str, MatrixName] = {}
        self.random: list[tuple[str, str | None, str]] = []
        self.derived: list[tuple[str, str]] = []
        self.built: list[tuple[str, str]] = []
        self.orthogonal: set[str] = set()
        self.joint: list[JointGaussian] = []

    def size(self, key: str) -> tuple[str, str] | None:
        if key in PROFILE_SIZES:
            return PROFILE_SIZES[key]
        entry = self.names.get(key)
        return (entry.rows, entry.cols) if entry else None

    def give(self, key: str, rows: str, cols: str, kind: str = "general") -> bool:
        """Record the name's shape; False if it already has another (then the premise is not applied)."""
        known = self.size(key)
        if known is not None:
            if known != (rows, cols):
                return False
            if key in self.names and kind != "general":
                self.names[key] = MatrixName(key, rows, cols, kind)
            return True
        self.names[key] = MatrixName(key, rows, cols, kind)
        return True

    def model_equation(self, lhs: str, rhs: str) -> bool:
        """``z = Wx + c + \\eta``: z the random vector of the right side."""
        target = key_of(lhs)
        terms = _split_terms(rhs)
        if target is None or not terms:
            return False
        products, vectors = [], []
        for term in terms:
            product = re.fullmatch(r"(?P<m>\\[A-Z][a-z]*|[A-Z](?:_\{?\w+\}?)?)\s*(?P<v>.+)", term)
            if product and key_of(product.group("v")) and key_of(product.group("m")):
                products.append((key_of(product.group("m")), key_of(product.group("v"))))
            elif key_of(term):
                vectors.append(key_of(term))
            else:
                return False
        if not any(v in _NOISE_KEYS or v.split("_")[0] in _NOISE_KEYS for v in vectors):
            return False
        size = self.size(target)
        if size is None:
            known_rows = [self.size(m)[0] for m, _ in products if self.size(m)]
            size = (known_rows[0] if known_rows else "q" if products else "p", "1")
        rows = size[0]
        for matrix, vector in products:
            columns = self.size(vector)
            if columns is None or columns[1] != "1" or not self.give(matrix, rows, columns[0]):
                return False
        if not all(self.give(v, rows, "1") for v in vectors) or not self.give(target, rows, "1"):
            return False
        self.derived.append((target, rhs))
        return True

    def distribution(self, lhs: str, rhs: str) -> bool:
        """``z \\sim \\mathcal{N}(m, V)`` of a vector."""
        vector = key_of(lhs)
        arguments = gaussian_parameters(rhs, subscripted=True)
        if vector is None or arguments is None or len(arguments) != 2:
            return False
        mean_tex, covariance_tex = arguments
        mean = None if mean_tex in ("0", r"\mathbf{0}", r"\mathbf 0", r"\boldsymbol{0}") else key_of(mean_tex)
        identity = bool(IDENTITY.match(covariance_tex))
        covariance = "I" if identity else key_of(covariance_tex)
        if covariance is None or (mean is None and mean_tex not in ("0", r"\mathbf{0}", r"\mathbf 0",
                                                                     r"\boldsymbol{0}")):
            return False
        if not identity and not re.match(r"[A-Z]|Sigma|Lambda|Gamma|Omega|Psi|Phi", covariance):
            return False  # a scalar variance: not a vector's distribution
        size = self.size(vector) or (self.size(covariance) if not identity else None) or (
            self.size(mean) if mean else None) or ("p", "1")
        rows = size[0]
        if size[1] != "1" and vector in self.names:
            return False
        if not self.give(vector, rows, "1") or (mean and not self.give(mean, rows, "1")):
            return False
        if not identity and not self.give(covariance, rows, rows, "symmetric"):
            return False
        self.random.append((vector, mean, covariance))
        return True

    def joint_distribution(self, lhs: str, rhs: str) -> bool:
        r"""A stacked premise of scalars, ``(x; y) \sim \mathcal{N}((\mu_x; \mu_y), C)``: names on the left
        side, as many means, a square covariance whose entries are scalar (no capital letter: not blocks)."""
        variables, arguments = matrix_entries(lhs), gaussian_parameters(rhs)
        if variables is None or arguments is None or len(arguments) != 2:
            return False
        means, covariance = matrix_entries(arguments[0]), matrix_entries(arguments[1])
        keys = [key_of(row[0]) if len(row) == 1 else None for row in variables]
        size = len(keys)
        if None in keys or len(set(keys)) != size or size < 2 or means is None or covariance is None or \
                [len(row) for row in means] != [1] * size or [len(row) for row in covariance] != [size] * size:
            return False
        entries = [entry for row in covariance for entry in row] + [row[0] for row in means]
        if any(re.search(r"(?<!\\)[A-Z]|\\[A-Z]", re.sub(r"\\(?:mathcal|mathbb|mathbf)\s*\{?\s*[A-Z]", "", e))
               for e in entries) or any(key in self.names for key in keys):
            return False  # blocks of a partitioned vector, or a vector the scope sizes
        self.joint.append(JointGaussian(tuple(keys), tuple(row[0] for row in means),
                                        tuple(tuple(row) for row in covariance)))
        return True

    def structure(self, lhs: str, rhs: str) -> bool:
        """``Q^\\top Q = I``: Q orthogonal."""
        if not IDENTITY.match(rhs):
            return False
        factors = list(_FACTOR.finditer(lhs))
        if len(factors) != 2 or "".join(f.group(0) for f in factors).strip() != lhs.strip().replace(" ", "") \
                and "".join(f.group(0) for f in factors) != lhs:
            return False
        names = {f.group("name") for f in factors}
        if len(names) != 1 or sum(bool(f.group("transpose")) for f in factors) != 1:
            return False
        name = names.pop()
        key = key_of(name)
        size = self.size(key) or ("p", "p")
        if size[0] != size[1] or not self.give(key, *size, "orthogonal"):
            return False
        self.orthogonal.add(key)
        return True

    def factorisation(self, lhs: str, rhs: str) -> bool:
        """``\\Sigma = QDQ^\\top``, ``\\Sigma = LL^\\top``: applied when the prose describes every factor."""
        target = key_of(lhs)
        size = self.size(target) if target else None
        factors = list(_FACTOR.finditer(rhs))
        if size is None or size[0] != size[1] or len(factors) < 2 or \
                "".join(f.group(0) for f in factors).replace(" ", "") != rhs.replace(" ", ""):
            return False
        kinds = {}
        for factor in factors:
            key = key_of(factor.group("name"))
            kind = "orthogonal" if key in self.orthogonal else _described_kind(factor.group("name"), self.prose)
            if key is None or kind is None:
                return False
            kinds[key] = kind
        if not all(self.give(key, *size, kind) for key, kind in kinds.items()):
            return False
        self.built.append((target, rhs))
        return True

    def parts(self) -> tuple[tuple[str, str, str], ...]:
        r"""The lists of indexed letters the prose makes a square matrix's columns or a diagonal matrix's
        entries, in the sentence that names the matrix: ``the columns $q_1, \dots, q_p$ of $Q$``, ``$D$ is
        diagonal with the eigenvalues $d_1, \dots, d_p$``."""
        found = []
        for sentence in re.split(r"(?<=[.;:!?。；：])\s", self.prose):
            for listed in _INDEXED_LIST.finditer(sentence):
                letter = listed.group("letter").lstrip("\\")
                for entry in self.names.values():
                    named = re.search(r"\$\s*\\?" + re.escape(entry.key) + r"\s*(?:=[^$]*)?\$", sentence)
                    initial = entry.key.lower() if len(letter) > 1 else entry.key.upper()[:1]  # lambda_i of Lambda
                    if not named or entry.rows != entry.cols or (letter.upper() if len(letter) == 1 else letter) != initial:
                        continue
                    if entry.kind == "diagonal" and re.search(r"diagonal|eigenvalue|对角|特征值", sentence,
                                                              re.IGNORECASE):
                        found.append((letter, entry.key, "diagonal"))
                    elif entry.kind != "diagonal" and re.search(r"column|列", sentence, re.IGNORECASE):
                        found.append((letter, entry.key, "column"))
        return tuple(dict.fromkeys(found))

    def scope(self, lines: list[int]) -> MatrixScope:
        return MatrixScope(tuple(self.names.values()), tuple(self.random), tuple(self.derived), tuple(self.built),
                           tuple(lines), parts=self.parts(), joint=tuple(self.joint))


def read_matrix_scope(premises: list[tuple[int, str, str, str]], prose: str) -> tuple[MatrixScope, set[int]]:
    """The matrix scope of the premises (line, lhs, relation, rhs), and the indices of those it applies:
    structures and factorisations first (they size their factors after the profile's Sigma), then model
    equations (they size the new vectors), then distributions."""
    builder = _Builder(prose)
    applied: set[int] = set()
    passes = (("=", builder.structure), ("=", builder.factorisation), ("=", builder.model_equation),
              ("sim", builder.joint_distribution), ("sim", builder.distribution))
    for relation, read in passes:
        for index, (_, lhs, rel, rhs) in enumerate(premises):
            if index not in applied and rel == relation and read(lhs, rhs):
                applied.add(index)
    return builder.scope(sorted(premises[k][0] for k in applied)), applied


_MATRIX = re.compile(r"^(?:\\left\s*[(\[]\s*)?\\begin\{(?P<env>[pbB]?matrix)\}(?P<body>.*)\\end\{(?P=env)\}"
                     r"(?:\s*\\right\s*[)\]])?$", re.DOTALL)


def matrix_entries(tex: str) -> list[list[str]] | None:
    r"""The entries of ``\begin{pmatrix} a & b \\ c & d \end{pmatrix}`` by rows (TeX, stripped), None if ``tex``
    is not one matrix environment (a nested one included)."""
    found = _MATRIX.match(tex.strip())
    if not found or "\\begin" in found.group("body"):
        return None
    rows = [row for row in re.split(r"\\\\", found.group("body")) if row.strip()]
    return [[entry.strip() for entry in row.split("&")] for row in rows] or None


def _is_macro(key: str) -> bool:
    return bool(re.match(r"(?:\w+:)?[A-Za-z]{2,}", key))


@lru_cache(maxsize=256)
def _mention(key: str) -> re.Pattern:
    """A pattern for the name ``key`` written in TeX (``Sigma_0``: ``\\Sigma_0``, ``\\Sigma_{0}``; ``W``: the
    letter W, to be searched in the text without its macros' names; ``tilde:x``: ``\\tilde{x}``)."""
    accent, _, name = key.rpartition(":")
    core, _, sub = name.partition("_")
    pattern = rf"\\{core}(?![A-Za-z])" if len(core) > 1 else core
    if sub:
        pattern += rf"\s*_\s*\{{?\s*{re.escape(sub)}(?![A-Za-z0-9])"
    if accent:
        return re.compile(rf"\\{accent}\s*\{{?\s*" + pattern)
    return re.compile(pattern)
