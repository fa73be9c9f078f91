r"""LaTeX -> SymPy for the notation of Gaussian derivations (one side of a step).

``parse(tex, matrix=False)`` returns a SymPy expression (scalar, explicit ``Matrix`` or matrix expression) or
raises :class:`Unparsed` naming the fragment and the reason. User text is never given to ``sympify``,
``parse_expr`` or ``eval``: the grammar (``grammar.lark``) builds a tree and this module maps each node.

Precedence and scope rules (also in README):

* ``+``/``-`` bind loosest; a leading sign applies to the first term (``-a b = -(ab)``).
* Juxtaposition (implicit multiplication), ``\cdot``, ``\times`` and ``*`` multiply, in written order
  (matrix products keep their order).
* A slash's denominator is the run of juxtaposed numbers and symbols (with their sub/superscripts) that
  follows it: ``1/2\sigma^2 = 1/(2\sigma^2)``; it stops at a bracket, ``\frac``, ``\sqrt`` or an operator:
  ``1/N \sum_i x_i = (1/N)\sum_i x_i``, ``1/\sigma^2 (x - \mu) = (x - \mu)/\sigma^2``. A bracket (or
  ``\frac``) right after the slash is the whole denominator: ``a/(b c) d = a d/(b c)``.
* ``\frac{a}{b}c = (a/b) c``.
* ``\sum``, ``\prod`` and a derivative (``\frac{\partial}{\partial\mu}``, ``\nabla_\mu``) reach to the end of
  the term: over juxtaposition, ``\cdot`` and ``/``, up to the next ``+``/``-`` at the same bracket level.
* ``\log``, ``\ln``, ``\exp``, ``\det``: followed directly by a bracket, their argument is that bracket
  (``\exp(a)\exp(b)`` is a product of two exps); otherwise they reach over the juxtaposed factors that follow,
  up to ``\cdot``, ``/``, ``+`` or ``-`` (``\log 2\pi\sigma^2 = \log(2\pi\sigma^2)``,
  ``\log\frac{1}{\sqrt{2\pi}}\exp(..) = \log(\frac{1}{\sqrt{2\pi}}\exp(..))``).
  A power written on the bracket goes inside for ``\log``/``\ln`` (``\log(2\pi\sigma^2)^{-N/2}`` is the log
  of the power) and outside for ``\exp``, ``\det``, ``E``, ``Var`` (``E[x]^2 = (E[x])^2``).
* ``^T``, ``^{T}``, ``^\top``: transpose (the identity on scalars); ``^{-1}`` of a matrix: its inverse.

Notation (no declarations needed): ``x_i``, ``x_{i}``, ``x^{(n)}`` are observations ``x[i]`` of the sample
(an ``IndexedBase``, so a sum over i depends on i); a bare ``x`` is one observation. ``n`` is the sample size
``N`` unless it is a summation index. ``\sigma`` (and ``\delta`` without subscripts) is the standard deviation
``sqrt(sigma^2)``; ``\hat\mu``, ``\bar x``, ``\mu_{ML}``, ``\mu_{MLE}`` are the sample mean, ``\hat\sigma^2``,
``\sigma^2_{MLE}`` the ML variance, ``S^2``/``s^2`` the unbiased variance (their definitions come from the
derivations). In matrix mode (see :func:`looks_like_matrix`) ``x, \mu, \Sigma, \Lambda, A, b, y, L,
\epsilon, I`` and the blocks ``x_a, \mu_b, \Sigma_{ab}, \Sigma_{12}`` are non-commuting matrices of
compatible symbolic sizes, the symbols of the partitioned and linear-Gaussian derivations.

Textbook notation: a density of the data set (``p(\mathbf{x}|..)``, ``p(X|..)``, ``p(\mathcal{D}|..)``,
``p(x_{1:N}|..)``, ``p(x_1, \dots, x_N|..)``) is the likelihood of the sample; a bare ``p`` under a log or a
derivative is the density named by ``parse(.., density=)`` (else not checked), the dimension in exponents;
``L(\theta)``, ``\ell(..)``, ``\mathcal{L}(..)``, ``\mathrm{NLL}(..)`` take their arguments as the mean (and
variance); ``|A|`` pairs are determinants or absolute values; ``parse(.., mean="theta")`` reads theta as mu.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from pathlib import Path

import lark
import sympy as sp
from sympy.core.function import AppliedUndef

from .. import linear_gaussian as lg
from .. import partitioned as pt
from ..density import gaussian_density
from ..normal_form import DiagonalMatrixSymbol, LowerTriangularMatrixSymbol, OrthogonalMatrixSymbol
from ..expectation import Covariance, Expectation, UnsupportedExpectation, Variance
from ..matrix_expectation import MatrixCovariance, MatrixExpectation, gaussian_model
from .matrix_scope import MatrixScope
from ..notation import N, S2, ell, i as index_i, j as index_j, mu, muhat, normal_pdf, sigma2, sigma2hat, x

__all__ = ["Unparsed", "Undetermined", "LetterAddedToMatrix", "GaussianVariable", "is_unknown_letter", "Reading", "parse", "normalise",
           "looks_like_matrix", "degree_in", "INDEX_LETTERS", "INDEX_LETTERS_NOT_SIZES", "CONDITIONAL_NAMES"]


class Unparsed(ValueError):
    """A construct outside the grammar: ``fragment`` is the offending LaTeX, ``reason`` says why."""

    def __init__(self, fragment: str, reason: str):
        super().__init__(f"{reason}: {fragment}")
        self.fragment = fragment
        self.reason = reason


class LetterAddedToMatrix(Unparsed):
    """An unknown letter added to a vector or matrix (``Cx + d``): the letter is of that shape, which the caller
    records (``name``, ``shape``) before it parses again."""

    def __init__(self, fragment: str, name: str, shape: tuple):
        super().__init__(fragment, "a matrix added to a scalar")
        self.name = name
        self.shape = shape


class GaussianVariable(sp.Symbol):
    """A scalar the document makes jointly Gaussian with others (a stacked premise, :class:`.JointGaussian`): a
    real variable of its own, never the sample's x_i; E, Var and Cov of it follow the premise."""

    def __new__(cls, name: str):
        return super().__new__(cls, name, real=True)


class Undetermined(Unparsed):
    """Notation whose meaning the notes leave open (a letter of unknown nature under E, a reading that the
    chosen :class:`Reading` excludes): the step is *not checked*, with ``reason``."""


@dataclass(frozen=True)
class Reading:
    r"""One way of reading notation that has more than one plausible meaning. The judge parses a step under
    every reading its text admits (``parse(.., seen=)`` reports which choices arose) and calls it valid or
    invalid only if every reading agrees.

    * ``tex_tokens``: ``\sqrt 25``, ``x^25``, ``x_12`` as TeX sets them, one token the argument
      (sqrt(2) 5, x^2 5, x_1 2); False: the digits together (sqrt(25), x^{25}, x_{12}).
    * ``calls``: names written before a bracket, ``\psi(-t)``, read as unknown functions applied to it;
      the others multiply the bracket. (f, g, h before a bracket are always functions.)
    * ``capital_matrices``: capital letters the notation does not know (P, Q, W) as matrices, which do not
      commute; False: real numbers.
    * ``symmetric_L``: in matrix notes, L as the symmetric precision of the linear-Gaussian model; False: a
      general matrix (a Cholesky factor is not symmetric).
    * ``s_real``: s (or S) as any real number, in a step that writes it otherwise than squared; False: the
      sample standard deviation (s^2, S^2 the unbiased sample variance).
    * ``square_A``: in matrix notes, A as a general square matrix; False: the linear-Gaussian model's map
      (q x p) from x to y.
    """

    tex_tokens: bool = True
    calls: frozenset = frozenset()
    capital_matrices: bool = False
    symmetric_L: bool = True
    square_A: bool = False
    s_real: bool = False


# ---------------------------------------------------------------------------------------------------------
# symbols
INDEX_LETTERS = {"i": index_i, "j": index_j,
                 **{c: sp.Symbol(c, integer=True, positive=True) for c in "klmn"}}
_n = INDEX_LETTERS["n"]
#: index letters that are never a size: one added to a vector is a vector of the notes (a mean m)
INDEX_LETTERS_NOT_SIZES = frozenset(INDEX_LETTERS[c] for c in "jklm")
_dimension = sp.Symbol("p", integer=True, positive=True)
#: the letters matrix notes use for the dimension where a number is expected (an exponent, a limit)
_DIMENSION_LETTERS = {sp.Symbol("D", real=True): _dimension, sp.Symbol("d", real=True): _dimension}

#: the names the matrix profile reads as vectors or matrices (an accent on one is a sample statistic)
_MATRIX_NAMES = {"x", "mu", "Sigma", "Lambda", "A", "b", "y", "L", "epsilon", "varepsilon", "S"}
#: macros of more than one letter that name a quantity and may take a subscript besides the Greek letters
_SUBSCRIPTED_WORDS = {"ell", "hbar", "imath", "jmath", "infty"}
_GREEK_LETTERS = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
                  "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"}
_GREEK = {"alpha", "beta", "gamma", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa",
          "lambda", "nu", "xi", "rho", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta",
          "Theta", "Xi", "Phi", "Psi", "Omega", "Pi", "Upsilon"}
_MLE_TAGS = {"ML", "MLE", "mle", "ml", "hat"}
_ESTIMATE_ACCENTS = {"hat", "widehat"}

#: matrix mode: conditional moments written as names, defined by the conditional derivation
CONDITIONAL_NAMES = {
    "mu|b|a": sp.MatrixSymbol("mu_{b|a}", pt.n, 1),
    "Sigma|b|a": sp.MatrixSymbol("Sigma_{b|a}", pt.n, pt.n),
    "mu|a|b": sp.MatrixSymbol("mu_{a|b}", pt.m, 1),
    "Sigma|a|b": sp.MatrixSymbol("Sigma_{a|b}", pt.m, pt.m),
}
MATRIX_DEFINITIONS = {
    CONDITIONAL_NAMES["mu|b|a"]: pt.mu_b + pt.Sigma_ab.T * pt.Sigma_aa.I * (pt.x_a - pt.mu_a),
    CONDITIONAL_NAMES["Sigma|b|a"]: pt.Sigma_bb - pt.Sigma_ab.T * pt.Sigma_aa.I * pt.Sigma_ab,
    CONDITIONAL_NAMES["mu|a|b"]: pt.mu_a + pt.Sigma_ab * pt.Sigma_bb.I * (pt.x_b - pt.mu_b),
    CONDITIONAL_NAMES["Sigma|a|b"]: pt.Sigma_aa - pt.Sigma_ab * pt.Sigma_bb.I * pt.Sigma_ab.T,
}
_Sigma = sp.MatrixSymbol("Sigma", _dimension, _dimension)
MATRIX_SYMMETRIC = frozenset({pt.Sigma_aa, pt.Sigma_bb, lg.Lambda, lg.L, _Sigma})

_BLOCK = {"a": "a", "b": "b", "1": "a", "2": "b"}
_DATA_RANGE = re.compile(r"1:[Nn]")  # x_{1:N}: the whole sample
#: E_{\mathcal{D}}, E_{X}, E_{x_{1:N}}: an expectation over the data set, the model's own
_DATA_SUBSCRIPT = re.compile(r"\s*\{?\s*(?:\\Data|\\mathcal\s*\{?\s*D\s*\}?|X|\\mathbf\s*\{?\s*[xX]\s*\}?"
                             r"|x_\{?1:[Nn]\}?)\s*\}?\s*")


def _subscript_label(text: str) -> str:
    """The plain label of a subscript: ``{\\text{MLE}}`` -> ``MLE``, ``{b|a}`` -> ``b|a``."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    text = re.sub(r"\\(text|mathrm|textrm|mathit|rm|operatorname)\s*\{([^{}]*)\}", r"\2", text)
    text = re.sub(r"\\(text|mathrm|rm)\b", "", text)
    return re.sub(r"\s+", "", text.replace(r"\mid", "|"))


def _strip_script(token: str) -> str:
    body = token[1:].strip()
    return body[1:-1] if body.startswith("{") and body.endswith("}") else body


# ---------------------------------------------------------------------------------------------------------
# normalisation of the text before the grammar
_WORD_OPERATORS = {"Var": r"\Var", "Cov": r"\Cov", "E": r"\E", "V": r"\Var", "tr": r"\tr", "Tr": r"\tr",
                   "diag": r"\diag", "det": r"\det", "var": r"\Var", "cov": r"\Cov", "trace": r"\tr"}
_CALLIGRAPHIC = {"N": r"\Normal", "L": r"\CalL", "D": r"\Data", "X": r"\Data"}


def normalise(tex: str) -> str:
    """Spacing, sizing and font macros removed or rewritten to the grammar's vocabulary."""
    if re.search(r"\\arg\s*\\?(max|min)|\\operatorname\*?\s*\{\s*arg", tex) or "argmax" in tex:
        raise Unparsed(tex.strip(), r"an \arg\max line names a maximiser; it is not an equality of values")
    s = tex
    s = re.sub(r"\\(left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)\s*"
               r"(\\\{|\\\}|\\langle|\\rangle|\\lvert|\\rvert|\\vert|\\\||[()\[\]|.])",
               lambda mo: _delimiter(mo.group(1), mo.group(2)), s)
    s = re.sub(r"\\\\|\\(,|;|!|:|\s)|\\(quad|qquad|displaystyle|textstyle|limits|nolimits|nonumber|notag)(?![a-zA-Z])|~",
               lambda mo: mo.group(0) if mo.group(0) == "\\\\" else " ", s)
    s = s.replace(r"\mid", "|").replace(r"\vert", "|").replace(r"\_", "_").replace(r"\intercal", "T")
    s = re.sub(r"\\[dt]frac(?![a-zA-Z])", r"\\frac", s)
    s = re.sub(r"\\frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\\frac\s*([0-9a-zA-Z])\s*\{", r"\\frac{\1}{", s)
    s = re.sub(r"\\frac\s*(\{[^{}]*\})\s*([0-9a-zA-Z])(?![0-9a-zA-Z])", r"\\frac\1{\2}", s)
    s = re.sub(r"\\(mathbb|mathrm|operatorname|mathop|text|mathsf)\s*\{\s*\\mathbb\s*\{\s*E\s*\}\s*\}", r"\\E ", s)
    s = re.sub(r"\\(mathbb|mathrm|operatorname|text|mathsf|mathop)\*?\s*\{\s*([A-Za-z]+)\s*\}",
               lambda mo: _font_word(mo.group(1), mo.group(2)), s)
    # an accent over a bold letter is the accent over the letter (bold letters are the plain vectors)
    s = re.sub(r"\\(bar|hat|tilde|widehat|overline)\s*\{\s*\\(?:mathbf|boldsymbol|bm)\s*(?:\{\s*([A-Za-z]|\\[a-zA-Z]+)\s*\}|"
               r"([A-Za-z]))\s*\}", lambda mo: f"\\{mo.group(1)}{{{mo.group(2) or mo.group(3)}}}", s)
    s = _derivative_fractions(s)
    s = re.sub(r"\\mathcal\s*\{\s*([A-Z])\s*\}", lambda mo: _CALLIGRAPHIC.get(mo.group(1), mo.group(0)), s)
    s = re.sub(r"\\mathcal\s*([A-Z])", lambda mo: _CALLIGRAPHIC.get(mo.group(1), mo.group(0)), s)
    # plain-letter operator names directly followed by a bracket: Var(..), Cov[..], tr(..)
    s = re.sub(r"(?<![\\a-zA-Z])(Var|Cov|var|cov|tr|Tr|diag)\s*(?=[(\[])", lambda mo: _WORD_OPERATORS[mo.group(1)], s)
    s = re.sub(r"\\(Var|Cov|E|tr|diag|det)(?=[a-zA-Z])", r"\\\1 ", s)
    return _determinant_bars(_squared_operators(s))


_SQUARED_OPERATOR = re.compile(r"\\(E|Var)\s*\^\s*(?:\{\s*2\s*\}|2)\s*(?=[\[(])")
_CLOSING = {"[": "]", "(": ")"}


def _squared_operators(s: str) -> str:
    r"""``\E^2[X]`` (a common shorthand) rewritten as ``(\E[X])^{2}``: the square of the expectation."""
    while True:
        found = _SQUARED_OPERATOR.search(s)
        if not found:
            return s
        opening = found.end()
        depth, k = 0, opening
        while k < len(s):
            if s[k] in "[(":
                depth += 1
            elif s[k] in "])":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        if k >= len(s) or s[k] != _CLOSING[s[opening]]:
            raise Unparsed(s[found.start():], f"\\{found.group(1)}^2 without its closing bracket")
        s = f"{s[:found.start()]}(\\{found.group(1)}{s[opening:k + 1]})^{{2}}{s[k + 1:]}"


_UPRIGHT_D = re.compile(r"\\(?:mathrm|text|rm|operatorname|mathit)\s*(?:\{\s*d\s*\}|d(?![a-zA-Z]))|\{\s*\\rm\s+d\s*\}")
_D_NUMERATOR = re.compile(r"\s*d\s*(\^\s*(?:\{\s*\d+\s*\}|\d))?\s*(.*)", re.DOTALL)
_D_VARIABLE = r"d\s*((?:\\[a-zA-Z]+|[a-zA-Z])(?:\s*_\s*(?:\{[^{}]*\}|\w))?(?:\s*\^\s*(?:\{[^{}]*\}|\w))?)\s*"
_D_DENOMINATOR = re.compile(rf"\s*(?:{_D_VARIABLE})+")


def _braced(s: str, start: int) -> int | None:
    """The index just past the brace group opening at ``s[start]`` (``{``), or None if unbalanced."""
    depth = 0
    for k in range(start, len(s)):
        depth += {"{": 1, "}": -1}.get(s[k], 0)
        if depth == 0:
            return k + 1
    return None


def _derivative_fractions(s: str) -> str:
    r"""Derivatives written with d as fractions, ``\frac{d}{dt}``, ``\frac{\mathrm{d}}{\mathrm{d}x}``,
    ``\frac{d f}{d x}``, ``\frac{d^2}{dx^2}``, ``\frac{d\ell}{d\sigma^2}``, rewritten with ``\partial``
    (the grammar's derivative); a fraction whose numerator and denominator are not both of that form is left
    alone (``\frac{d}{2}`` is d/2)."""
    s = _UPRIGHT_D.sub(" d ", s)
    out, k = [], 0
    while True:
        found = re.compile(r"\\frac\s*\{").search(s, k)
        if not found:
            out.append(s[k:])
            return "".join(out)
        open_numerator = found.end() - 1
        end_numerator = _braced(s, open_numerator)
        rest = s[end_numerator:] if end_numerator else ""
        open_denominator = end_numerator + len(rest) - len(rest.lstrip()) if end_numerator else None
        if not end_numerator or not s.startswith("{", open_denominator):
            out.append(s[k:found.end()])
            k = found.end()
            continue
        end_denominator = _braced(s, open_denominator)
        numerator = _D_NUMERATOR.fullmatch(s[open_numerator + 1:end_numerator - 1])
        denominator_text = s[open_denominator + 1:end_denominator - 1] if end_denominator else ""
        if not (numerator and end_denominator and _D_DENOMINATOR.fullmatch(denominator_text)):
            out.append(s[k:found.end()])
            k = found.end()
            continue
        order, function = numerator.group(1) or "", numerator.group(2)
        variables = " ".join(r"\partial " + v for v in re.findall(_D_VARIABLE, denominator_text))
        out.append(s[k:found.start()] + rf"\frac{{\partial{order} {function}}}{{{variables}}}")
        k = end_denominator


def _determinant_bars(s: str) -> str:
    r"""Plain bars ``|A|`` as ``\lvert A \rvert`` (a determinant of a matrix, an absolute value of a scalar):
    within each bracket ``( )``, ``[ ]``, ``\{ \}`` or brace group ``{ }`` (and at the top level) the bars
    directly inside it are paired left to right when there are an even number of them; a single bar
    (``p(x|\mu)``, ``E[x|y]``, ``\mu_{a|b}``) is the conditioning bar and stays."""
    replacements: dict[int, str] = {}
    stack: list[list[int]] = [[]]

    def pair(bars: list[int]) -> None:
        if len(bars) >= 2 and len(bars) % 2 == 0:
            for number, position in enumerate(bars):
                replacements[position] = r" \lvert " if number % 2 == 0 else r" \rvert "

    k = 0
    while k < len(s):
        if s.startswith("\\{", k) or s.startswith("\\}", k):
            if s[k + 1] == "{":
                stack.append([])
            elif len(stack) > 1:
                pair(stack.pop())
            k += 2
            continue
        if s[k] == "\\":
            macro = re.match(r"\\([a-zA-Z]+|.)", s[k:])
            k += len(macro.group(0)) if macro else 1
            continue
        if s[k] in "([{":
            stack.append([])
        elif s[k] in ")]}" and len(stack) > 1:
            pair(stack.pop())
        elif s[k] == "|":
            stack[-1].append(k)
        k += 1
    for bars in stack:
        pair(bars)
    return "".join(replacements.get(k, c) for k, c in enumerate(s))


def _delimiter(size: str, delim: str) -> str:
    if delim == ".":
        return " "
    if delim in ("|", r"\vert", r"\lvert", r"\rvert"):
        if size in ("left",) or size.endswith("l"):
            return r"\lvert "
        if size in ("right",) or size.endswith("r"):
            return r"\rvert "
        return "|"
    return {r"\langle": "(", r"\rangle": ")"}.get(delim, delim)


def _font_word(font: str, word: str) -> str:
    if word in _WORD_OPERATORS:
        return _WORD_OPERATORS[word] + " "
    if font == "mathbb" and word in ("V",):
        return r"\Var "
    if font in ("mathrm", "operatorname", "text", "mathsf") and len(word) == 1:
        return word
    if font in ("mathrm", "operatorname") and word in ("exp", "log", "ln"):
        return "\\" + word + " "
    if word == "NLL":  # the negative log-likelihood
        return r"\NLL "
    return f"\\{font}{{{word}}}"  # left for the grammar (a subscript label such as _{\text{MLE}} is fine)


# ---------------------------------------------------------------------------------------------------------
# matrix mode
_MATRIX_MARKERS = re.compile(r"\\Sigma|\\Lambda|\^\s*\{?\s*(T|\\top|\\intercal)\s*\}?|\\begin\{[pbvBV]?matrix\}"
                             r"|_\s*\{?\s*(aa|ab|ba|bb|11|12|21|22|a|b)\s*\}?(?![a-zA-Z0-9])|\\det|\\tr\b"
                             r"|(?<![a-zA-Z\\])[AI](?![a-zA-Z])")


def looks_like_matrix(tex: str) -> bool:
    """Matrix mode: any of \\Sigma, \\Lambda, ^T / ^\\top, a pmatrix/bmatrix, a block subscript (a, b, aa, ab,
    12, ...), \\det, \\tr or a lone A or I in the text."""
    return bool(_MATRIX_MARKERS.search(tex))


# ---------------------------------------------------------------------------------------------------------
@dataclass
class _Group:
    """A bracketed argument list: ``(a, b | c)``; ``post`` holds its sub/superscripts."""

    kind: str
    args: list
    seps: list
    post: list = field(default_factory=list)


@dataclass
class _Op:
    """An operator that takes what follows it: \\log, \\sum_{i=1}^N, E, p, d/dmu, ..."""

    kind: str
    data: dict = field(default_factory=dict)
    post: list = field(default_factory=list)
    tex: str = ""


@dataclass
class _Name:
    """A symbol before its sub/superscripts are known: base is a letter, a macro name or accent:base."""

    base: str
    tex: str
    bold: bool = False  # \mathbf, \boldsymbol, \bm, \vec: in scalar mode a bold x is the whole data set


@dataclass
class _Value:
    value: object
    simple: bool = False
    name: str | None = None  # a plain name the notation does not know, which may be applied to a bracket


@dataclass
class _Partial:
    """``\\partial^k f`` (numerator) or ``\\partial v`` (denominator) inside \\frac."""

    parts: list  # [(order, value or None)]


class _MulMark:
    def __init__(self, op: str):
        self.op = op


_REACH_ENDS = {"log": "log", "ln": "log", "exp": "exp", "det": "det", "tr": "tr"}  # an operator's reach ends
# at the next operator of its family
_OPERATOR_MACROS = {"log", "ln", "exp", "sum", "prod", "E", "Var", "Cov", "det", "tr", "diag", "Normal", "partial",
                    "nabla", "CalL", "ell", "NLL", "Data", "dots", "cdots", "ldots"}
_FUNCTION_LETTERS = {"p", "E", "L", "q"}
_UNKNOWN_FUNCTIONS = {"f", "g", "h"}
#: names the notation knows that are also written as functions (a mean function mu(t), a prior pi(theta))
_MAYBE_FUNCTIONS = {"mu", "pi", "sigma"}
_SPECIAL_FUNCTIONS = {"Phi": "the normal distribution function?", "phi": "the normal density?",
                      "varphi": "the normal density?", "Gamma": "the gamma function?", "zeta": "the zeta function?",
                      "sigma": "a sigmoid?", "Psi": "the digamma function?"}


@lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text()
    return lark.Lark(grammar, parser="lalr", maybe_placeholders=False)


class _Builder(lark.Transformer):
    def __init__(self, matrix: bool, identity_size, model_hint: str, numeric_blocks: bool,
                 density: str | None = None, inner: bool = False, mean: str | None = None,
                 reading: Reading = Reading(), seen: set | None = None, constants: frozenset = frozenset(),
                 table: MatrixScope | None = None):
        super().__init__()
        self.table = table
        self.reading = reading
        self.constants = constants
        self.seen = seen if seen is not None else set()
        self.density = density
        self.mean = mean
        self.inner = inner
        self.matrix_mode = matrix
        self.numeric_blocks = numeric_blocks
        self.identity_size = identity_size
        self.model_hint = model_hint

    def _inner(self, text: str, matrix: bool = False):
        """An exponent, a limit, an index or a derivative's variable, parsed with the same notation."""
        return parse(text, matrix=matrix, inner=True, mean=self.mean, reading=self.reading, seen=self.seen,
                     constants=self.constants, table=self.table if matrix else None)

    # ---- leaves
    def number(self, children):
        return _Value(sp.Rational(str(children[0])), simple=True)

    def letter(self, children):
        return _Name(str(children[0]), str(children[0]))

    def macro(self, children):
        name = str(children[0])[1:]
        return _Name(name, "\\" + name)

    def accent(self, children):
        accent = str(children[0]).strip("\\")
        inner = children[1]
        if isinstance(inner, lark.Token):
            base = str(inner).lstrip("\\")
        else:
            base = _plain_name(inner)
            if base is None:
                raise Unparsed(f"\\{accent}{{..}}", "an accent over an expression")
        if accent in ("mathbf", "boldsymbol", "bm", "vec", "mathbfit"):
            return _Name(base, f"\\{accent}{{{base}}}", bold=True)
        return _Name(f"{accent}:{base}", f"\\{accent}{{{base}}}")

    def font(self, children):
        word = str(children[1]).strip()
        if len(word) == 1:
            return _Name(word, word)
        if word in _WORD_OPERATORS:
            return _Name(_WORD_OPERATORS[word][1:], word)
        raise Unparsed(f"{children[0]}{{{word}}}", "unknown named operator")

    def group(self, children):
        return _Value(children[0])

    def empty_group(self, children):
        raise Unparsed("{}", "empty group")

    def paren(self, children):
        return self._group("(", children[0])

    def bracket(self, children):
        return self._group("[", children[0])

    def brace(self, children):
        return self._group("{", children[0])

    def _group(self, kind, arglist):
        args, seps = arglist
        return _Group(kind, args, seps)

    def arglist(self, children):
        args = [c for c in children if not isinstance(c, lark.Token)]
        seps = [str(c) for c in children if isinstance(c, lark.Token)]
        return args, seps

    def abs(self, children):
        value = children[0]
        if _is_matrix(value):
            return _Value(sp.Determinant(value) if not isinstance(value, sp.MatrixBase) else value.det())
        return _Value(sp.Abs(value))

    def frac(self, children):
        numerator, denominator = children[1], children[2]
        if isinstance(numerator, _Partial) or isinstance(denominator, _Partial):
            return self._derivative_frac(numerator, denominator)
        if _is_matrix(denominator):
            raise Unparsed(r"\frac{..}{matrix}", "division by a matrix")
        return _Value(numerator / denominator if not _is_matrix(numerator) else numerator * (1 / denominator))

    def sqrt(self, children):
        arg = children[1]
        value = self._token_value(arg) if isinstance(arg, lark.Token) else arg
        return _Value(sp.sqrt(value))

    def root(self, children):
        return _Value(sp.root(children[2], children[1]))

    def _token_value(self, token):
        text = str(token)
        if text[0].isdigit():
            return sp.Rational(text)
        return self._symbol(_Name(text.lstrip("\\"), text), [])

    def matrix(self, children):
        rows = [c for c in children if isinstance(c, list)]
        return _Value(self._matrix(rows))

    def mrow(self, children):
        return [c for c in children if not isinstance(c, lark.Token)]

    # ---- structure
    def postfix(self, children):
        token = str(children[0])
        return (token[0], _strip_script(token))

    def item(self, children):
        head, post = children[0], list(children[1:])
        if isinstance(head, _Name):
            return self._name_item(head, post)
        if isinstance(head, (_Group, _Op)):
            if isinstance(head, _Op) and post:
                raise Unparsed(head.tex, "a sub/superscript on a derivative operator")
            head.post = post
            return head
        value = head.value
        if _is_matrix(value) and post:  # a power on a written-out matrix: kept apart for \det (det M^{-1/2})
            return _Group("m", [value], [], post)
        for kind, text in post:
            if kind == "_":
                raise Unparsed(f"_{{{text}}}", "a subscript on an expression")
            value = self._power(value, text)
        return _Value(value, simple=head.simple)

    def run(self, children):
        return list(children)

    def mulop(self, children):
        return _MulMark(str(children[0]))

    def term(self, children):
        items = []
        for child in children:
            if isinstance(child, _MulMark):
                items.append(child)
            else:
                items.extend(child)
        return self._resolve(items)

    def expr(self, children):
        total = None
        sign = "+"
        for child in children:
            if isinstance(child, lark.Token):
                sign = str(child)
                continue
            if isinstance(child, _Partial):
                if len(children) > 1:
                    raise Unparsed(r"\partial", "a \\partial outside a derivative")
                return child
            term = -child if sign == "-" else child
            total = term if total is None else _add(total, term)
            sign = "+"
        return total

    # ---- names and their sub/superscripts
    def _name_item(self, name: _Name, post: list):
        base = name.base
        subs = [text for kind, text in post if kind == "_"]
        sups = [text for kind, text in post if kind == "^"]
        if base in _OPERATOR_MACROS or (base in ("Var", "Cov", "tr", "diag") and not self.matrix_mode and False):
            return _Op(base, {"subs": subs, "sups": sups}, tex=name.tex)
        if base in _FUNCTION_LETTERS and not (self.matrix_mode and base in ("L", "A", "I")):
            return _Op("call:" + base, {"subs": subs, "sups": sups, "name": name}, tex=name.tex)
        if base in _UNKNOWN_FUNCTIONS:
            return _Op("call:" + base, {"subs": subs, "sups": sups, "name": name}, tex=name.tex)
        # x^{(n)}: an index written as a superscript
        index_sups = [s for s in sups if re.fullmatch(r"\(\s*[a-zA-Z0-9]+\s*\)", s.strip())]
        if index_sups and not subs:
            subs = [index_sups[0].strip()[1:-1].strip()]
            sups = [s for s in sups if s is not index_sups[0]]
        if len(subs) > 1:
            raise Unparsed(name.tex + "".join("_" + s for s in subs), "two subscripts")
        if base in ("s", "S") and not subs and not (self.matrix_mode and base == "S") and \
                not (self.table and table_symbol(self.table, base) is not None):  # (S in matrix notes: a matrix)
            if [t.strip() for t in sups] != ["2"]:
                self.seen.add("sample_sd")  # s^2 is the sample variance; a bare s the sample sd, or any number?
            if self.reading.s_real:
                value = sp.Symbol(base, real=True)
                for text in sups:
                    value = self._power(value, text)
                return _Value(value, simple=True)
        value = self._symbol(name, subs)
        if not subs and not sups and not self.matrix_mode and ":" not in base and (
                base in _MAYBE_FUNCTIONS or isinstance(value, sp.Symbol) and value in _unknown_letters(value)):
            return _Value(value, simple=True, name=value.name if isinstance(value, sp.Symbol) else base)
        for text in sups:
            value = self._power(value, text)
        return _Value(value, simple=True)

    def _symbol(self, name: _Name, subs: list):
        base = name.base
        sub = _subscript_label(subs[0]) if subs else None
        accent, _, plain = base.rpartition(":")
        if self.mean is not None and plain == self.mean:  # the notes' own name for the mean (theta)
            plain = "mu"
        if self.table and not accent and self.table.joint_of(plain + (f"_{sub}" if sub else "")):
            return GaussianVariable(plain + (f"_{sub}" if sub else ""))
        if self.matrix_mode:
            value = self._matrix_symbol(accent, plain, sub, name)
            if value is not None:
                return value
        # the data set: \mathbf{x}, \boldsymbol{x}, \vec x, \mathbf{X}, x_{1:N}
        if plain in ("x", "X") and not accent and (sub is None and name.bold
                                                   or sub is not None and _DATA_RANGE.fullmatch(sub)):
            return DATA_MARK
        # estimates
        if accent in _ESTIMATE_ACCENTS and plain == "mu" and (sub is None or sub in _MLE_TAGS):
            return muhat
        if accent == "bar" and plain == "x" and sub is None:
            return muhat
        if accent in _ESTIMATE_ACCENTS and plain == "sigma" and (sub is None or sub in _MLE_TAGS):
            return sp.sqrt(sigma2hat)
        if accent == "" and plain == "mu" and sub in _MLE_TAGS:
            return muhat
        if accent == "" and plain == "sigma" and sub in _MLE_TAGS:
            return sp.sqrt(sigma2hat)
        if accent:
            raise Unparsed(name.tex + (f"_{{{sub}}}" if sub else ""), f"unknown decorated symbol \\{accent}")
        if sub is not None and plain == "delta" and len(sub) == 2 and all(c in INDEX_LETTERS for c in sub):
            a, b = (INDEX_LETTERS[c] for c in sub)
            return sp.KroneckerDelta(a, b, (1, N))
        if sub is not None and len(plain) > 1 and plain.removeprefix("var").lower() not in _GREEK_LETTERS \
                and plain not in _SUBSCRIPTED_WORDS:
            raise Unparsed(f"{name.tex}_{{{sub}}}", "unknown macro")  # \int_0 is not a name with a subscript
        if sub is not None and re.fullmatch(r"\(.*\)", sub):
            raise Undetermined(f"{name.tex}_{{{sub}}}", "an order statistic (the k-th smallest observation)")
        if sub is not None and plain == "x":
            return x[self._index(sub, name.tex)]
        if sub is not None and _is_index_text(sub):
            index = self._index(sub, name.tex)
            if plain == "sigma":
                return sp.sqrt(sp.IndexedBase("sigma^2", positive=True)[index])
            return sp.IndexedBase(plain, real=True)[index]
        if sub is not None:
            if re.fullmatch(r"\\[a-zA-Z]+", sub) and sub[1:].removeprefix("var").lower() in _GREEK_LETTERS:
                sub = sub[1:]  # S_{\mu}: a label, the name S_mu
            if not re.fullmatch(r"[A-Za-z0-9]+", sub):
                raise Unparsed(f"{name.tex}_{{{sub}}}", "unknown subscript")
            if plain == "sigma":
                return sp.sqrt(sp.Symbol(f"sigma_{sub}^2", positive=True))
            return sp.Symbol(f"{plain}_{sub}", real=True)
        return self._plain_symbol(plain, name.tex)

    def _plain_symbol(self, plain: str, tex: str):
        if plain == "x":
            return x[index_i]
        if plain == "mu":
            return mu
        if plain in ("sigma", "delta"):
            return sp.sqrt(sigma2)
        if plain == "pi":
            return sp.pi
        if plain == "e":
            return sp.E
        if plain == "N":
            return N
        if plain in ("S", "s"):
            return sp.sqrt(S2)
        if plain in INDEX_LETTERS:
            return INDEX_LETTERS[plain]
        if plain == "infty":
            return sp.oo
        if len(plain) == 1 and plain.isalpha():
            if plain.isupper() and plain != "X" and not self.matrix_mode and not self.inner:
                self.seen.add(f"capital:{plain}")
                if self.reading.capital_matrices:
                    return sp.MatrixSymbol(plain, _dimension, _dimension)
            return sp.Symbol(plain, real=True)
        if plain in _GREEK:
            return sp.Symbol(plain.replace("var", ""), real=True)
        raise Unparsed(tex, "unknown macro")

    def _index(self, text: str, tex: str):
        text = text.strip()
        if text.isdigit():
            return sp.Integer(text)
        if text in INDEX_LETTERS:
            return INDEX_LETTERS[text]
        value = self._inner(text)
        if not value.free_symbols <= set(INDEX_LETTERS.values()) | {N}:
            raise Unparsed(f"{tex}_{{{text}}}", "not an index")
        return value

    def _matrix_symbol(self, accent: str, plain: str, sub: str | None, name: _Name):
        if self.table:  # what the document's premises say the name is comes before the profile
            value = table_symbol(self.table, (f"{accent}:" if accent else "") + plain + (f"_{sub}" if sub else ""))
            if value is not None:
                return value
            whole = table_symbol(self.table, plain) if sub is not None and not accent else None
            if whole is not None:
                return self._entry(whole, sub, name)
            part = self.table.part(plain) if sub is not None and not accent else None
            if part is not None and (sub.isdigit() or sub in INDEX_LETTERS):
                matrix, kind = table_symbol(self.table, part[0]), part[1]
                index = self._index(sub, name.tex) - 1
                return matrix[:, index] if kind == "column" else matrix[index, index]
        if accent and plain in _MATRIX_NAMES:
            # \bar x, \hat\mu, \hat\Sigma in matrix notes are a sample's mean vector or covariance matrix, which
            # the matrix profile does not model (never the scalar sample mean of univariate notes)
            raise Unparsed(name.tex + (f"_{{{sub}}}" if sub else ""), "an estimate in matrix notation (a sample mean "
                           "vector or covariance matrix), which the checker does not model")
        if accent:
            return None
        if sub is not None and "|" in sub:
            key = f"{plain}|{sub}"
            if key in CONDITIONAL_NAMES:
                return CONDITIONAL_NAMES[key]
            raise Unparsed(f"{name.tex}_{{{sub}}}", "unknown conditional block")
        if sub is None:
            table = {"x": lg.x, "mu": lg.mu, "Sigma": _Sigma,
                     "Lambda": lg.Lambda, "A": lg.A, "b": lg.b, "y": lg.y, "L": lg.L, "epsilon": lg.eps,
                     "varepsilon": lg.eps}
            if plain == "I":
                return sp.Identity(self.identity_size)
            if plain == "L":
                self.seen.add("symmetric_L")
            if plain == "A" and self.reading.square_A:
                return sp.MatrixSymbol("A", _dimension, _dimension)
            if plain in table:
                return table[plain]
            if len(plain) == 1 and plain.isupper() and plain != "N":  # (N is the sample size)
                return sp.MatrixSymbol(plain, _dimension, _dimension)
            return None
        if plain in ("x", "mu") and sub in _BLOCK and (sub in "ab" or self.numeric_blocks):
            return {("x", "a"): pt.x_a, ("x", "b"): pt.x_b, ("mu", "a"): pt.mu_a, ("mu", "b"): pt.mu_b}[
                (plain, _BLOCK[sub])]
        if plain == "Sigma" and len(sub) == 2 and all(c in _BLOCK for c in sub):
            key = _BLOCK[sub[0]] + _BLOCK[sub[1]]
            return {"aa": pt.Sigma_aa, "ab": pt.Sigma_ab, "ba": pt.Sigma_ab.T, "bb": pt.Sigma_bb}[key]
        if plain == "Sigma":
            raise Unparsed(f"{name.tex}_{{{sub}}}", "unknown covariance block")
        if plain == "Lambda" and len(sub) == 2 and all(c in _BLOCK for c in sub):
            row, column = ("ab".index(_BLOCK[c]) for c in sub)
            return _precision_blocks()[row, column]
        if plain == "Lambda":
            raise Unparsed(f"{name.tex}_{{{sub}}}", "unknown precision block")
        return None

    def _entry(self, whole, sub: str, name: _Name):
        """``L_{jj}``, ``L_{12}``: an entry of a matrix of the document's scope; ``v_k``: an entry of a vector
        (indices from 1)."""
        indices = list(sub.replace(",", "").replace(" ", ""))
        if whole.shape[1] == 1 and len(indices) == 1 or len(indices) == 2 and whole.shape[1] != 1:
            if all(c.isdigit() or c in INDEX_LETTERS for c in indices):
                positions = [self._index(c, name.tex) - 1 for c in indices] + ([0] if len(indices) == 1 else [])
                return whole[positions[0], positions[1]]
        raise Unparsed(f"{name.tex}_{{{sub}}}", f"an entry or block of the matrix {whole.name}, which the checker "
                       "does not relate to the matrix")

    def _power(self, value, text: str):
        t = text.strip()
        if t in ("T", r"\top", r"\intercal", "'") or (t == "t" and _is_matrix(value)):  # (e^t: a power)
            return value.T if _is_matrix(value) else value
        if t in ("-T", r"-\top"):
            if not _is_matrix(value):
                raise Unparsed(f"^{{{t}}}", "inverse transpose of a scalar")
            return value.I.T
        exponent = self._inner(t)
        if self.matrix_mode:  # (2\pi)^{D/2}: in matrix notes a D or d in an exponent is the dimension
            exponent = exponent.xreplace(_DIMENSION_LETTERS)
        if _is_matrix(value):
            if exponent == -1:
                if value.shape[0] != value.shape[1]:
                    self.seen.add("square_A")  # the model's A (q x p) inverted: perhaps a square A is meant
                    raise Unparsed(f"^{{{t}}}", f"the inverse of a matrix of size {value.shape}, not known square")
                return value.I if not isinstance(value, sp.MatrixBase) else value.inv()
            if exponent.is_Integer:
                return value ** exponent
            if exponent.is_Rational and isinstance(value, DiagonalMatrixSymbol):
                return sp.MatPow(value, exponent)  # a diagonal matrix with positive entries: the entries' powers
            raise Unparsed(f"^{{{t}}}", "a non-integer power of a matrix")
        _check_power_size(value, exponent, t)
        if value == sp.E:
            return sp.exp(exponent)
        return value ** exponent

    # ---- runs: juxtaposition, operators, slashes
    def _resolve(self, items: list):
        factors = []
        k = 0
        while k < len(items):
            item = items[k]
            if isinstance(item, _MulMark):
                if item.op == "/":
                    denominator, k = self._denominator(items, k + 1)
                    if _is_matrix(denominator):
                        raise Unparsed("/", "division by a matrix")
                    factors.append(sp.Integer(1) / denominator)
                    continue
                k += 1
                continue
            if isinstance(item, _Op):
                value, k = self._apply_op(item, items, k)
                factors.append(value)
                continue
            if isinstance(item, _Value) and item.name is not None:
                following = items[k + 1] if k + 1 < len(items) else None
                if isinstance(following, _Group) and following.kind == "(" and "|" not in following.seps:
                    self.seen.add(f"apply:{item.name}")
                    if item.name in self.reading.calls:
                        factors.append(self._apply_function(item.name, following))
                        k += 2
                        continue
                else:
                    self.seen.add(f"plain:{item.name}")
            if isinstance(item, _Group):
                factors.append(self._group_value(item))
            elif isinstance(item, _Partial):
                factors.append(item)
            else:
                factors.append(item.value)
            k += 1
        partials = [f for f in factors if isinstance(f, _Partial)]
        if partials:
            return self._partial_run(factors)
        return _multiply(factors)

    def _apply_function(self, name: str, group: _Group):
        """``name(a, b, ..)``: an unknown real function applied to the bracket's arguments (a named special
        function, Phi, Gamma, a sigmoid sigma, is not modelled: not checked)."""
        if name in _SPECIAL_FUNCTIONS:
            raise Undetermined(f"\\{name}(..)", f"{name}(..) read as a function: {_SPECIAL_FUNCTIONS[name]}, "
                               "which the checker does not model")
        if any(_is_matrix(a) or isinstance(a, _Partial) for a in group.args):
            raise Unparsed(f"{name}(..)", "an unknown function of a matrix")
        value = sp.Function(name, real=True)(*group.args)
        for kind, text in group.post:
            if kind == "_":
                raise Unparsed(f"_{{{text}}}", "a subscript on a bracket")
            value = self._power(value, text)
        return value

    def _denominator(self, items: list, k: int):
        if k >= len(items) or isinstance(items[k], _MulMark):
            raise Unparsed("/", "a slash without a denominator")
        first = items[k]
        if isinstance(first, _Op):
            rest = [it for it in items[k:]]
            return self._resolve(rest), len(items)
        if isinstance(first, _Group) or (isinstance(first, _Value) and not first.simple):
            return (self._group_value(first) if isinstance(first, _Group) else first.value), k + 1
        run = []
        while k < len(items) and isinstance(items[k], _Value) and items[k].simple:
            run.append(items[k].value)
            k += 1
        return _multiply(run), k

    def _group_value(self, group: _Group):
        if group.seps or len(group.args) != 1:
            raise Unparsed("(" + ", ".join(map(str, group.args)) + ")", "a list where a value is expected")
        value = group.args[0]
        if isinstance(value, _Partial):
            raise Unparsed(r"\partial", "a \\partial outside a derivative")
        for kind, text in group.post:
            if kind == "_":
                raise Unparsed(f"_{{{text}}}", "a subscript on a bracket")
            value = self._power(value, text)
        return value

    def _rest_of_factors(self, items, k, kind: str):
        """Items from k up to the next \\cdot or slash mark, or the next operator of the same ``kind`` (the
        reach of \\log without a bracket: ``\\log a \\log b`` is log(a) log(b), ``\\det P \\det Q`` det(P) det(Q),
        while ``\\log \\frac{1}{\\sqrt{2\\pi}} \\exp(..)`` is the log of the product)."""
        end = k
        while end < len(items) and not isinstance(items[end], _MulMark) and \
                not (end > k and isinstance(items[end], _Op) and _REACH_ENDS.get(items[end].kind) == _REACH_ENDS[kind]):
            end += 1
        if end == k:
            raise Unparsed("", "an operator without an argument")
        return self._resolve(items[k:end]), end

    def _apply_op(self, op: _Op, items: list, k: int):
        kind = op.kind
        nxt = items[k + 1] if k + 1 < len(items) else None
        if kind in ("log", "ln", "exp", "det", "tr"):
            if op.data["subs"] or op.data["sups"]:
                raise Unparsed(op.tex, "a sub/superscript on \\" + kind)
            fn = {"log": sp.log, "ln": sp.log, "exp": sp.exp, "det": _det, "tr": _trace}[kind]
            if isinstance(nxt, _Group) and not nxt.seps and len(nxt.args) == 1:
                inner = self._as_density(nxt.args[0]) if kind in ("log", "ln") else nxt.args[0]
                post = nxt.post
                if kind in ("log", "ln"):
                    for _, text in post:
                        inner = self._power(inner, text)
                    return fn(_scalar(inner)), k + 2
                value = fn(_scalar(inner) if kind == "exp" else inner)
                for p_kind, text in post:
                    if p_kind == "_":
                        raise Unparsed(f"_{{{text}}}", "a subscript on a bracket")
                    value = self._power(value, text)
                return value, k + 2
            arg, end = self._rest_of_factors(items, k + 1, kind)
            if kind in ("log", "ln"):
                arg = self._as_density(arg)
            if kind in ("log", "ln", "exp"):
                arg = _scalar(arg)
            return fn(arg), end
        if kind in ("sum", "prod"):
            body = self._resolve(items[k + 1:])
            return self._big_operator(op, body), len(items)
        if kind == "nabla":
            if len(op.data["subs"]) != 1:
                raise Unparsed(op.tex, "\\nabla needs the variable as a subscript")
            variable = self._inner(_strip_braces(op.data["subs"][0]), matrix=self.matrix_mode)
            body = self._as_density(self._resolve(items[k + 1:]))
            return _derivative(body, [(1, variable)], op.tex), len(items)
        if kind == "deriv":
            body = self._as_density(self._resolve(items[k + 1:]))
            return _derivative(body, op.data["variables"], op.tex), len(items)
        if kind in ("E", "Var", "Cov"):
            if not isinstance(nxt, _Group):
                raise Unparsed(op.tex, f"{kind} needs its argument in brackets")
            value = self._moment(kind, nxt, op)
            for p_kind, text in nxt.post:
                if p_kind == "_":
                    raise Unparsed(f"_{{{text}}}", "a subscript on a bracket")
                value = self._power(value, text)
            return value, k + 2
        if kind == "Normal" or kind.startswith("call:") or kind in ("CalL", "ell", "NLL"):
            return self._call(op, nxt, k)
        if kind in ("dots", "cdots", "ldots"):
            return DOTS_MARK, k + 1
        if kind == "Data":
            return DATA_MARK, k + 1
        if kind == "diag":
            if not isinstance(nxt, _Group):
                raise Unparsed(op.tex, "diag needs its entries in brackets")
            return sp.ImmutableMatrix(sp.diag(*nxt.args)), k + 2
        if kind == "partial":
            if op.data["subs"] or len(op.data["sups"]) > 1:
                raise Unparsed(op.tex, "a subscript on \\partial")
            order = self._inner(op.data["sups"][0]) if op.data["sups"] else sp.Integer(1)
            if not (order.is_Integer and order > 0):
                raise Unparsed(op.tex, "the order of a derivative must be a positive whole number")
            return _Partial([(int(order), None)]), k + 1
        raise Unparsed(op.tex, "unsupported operator")

    def _moment(self, kind: str, group: _Group, op: _Op):
        args = group.args
        if op.data.get("subs") and not _DATA_SUBSCRIPT.fullmatch(op.data["subs"][0]):
            raise Undetermined(f"{op.tex}_{{{op.data['subs'][0]}}}", f"{kind} over what is written under it "
                               "(a distribution or a variable): not modelled")
        joint = self._joint_of(args)
        if joint is not None:
            return self._joint_moment(kind, args, group.seps, joint, op)
        if any(s == "|" for s in group.seps):
            if self.matrix_mode and kind in ("E", "Var", "Cov") and group.seps == ["|"] and \
                    all(_is_matrix(a) for a in args):
                return self._conditional_moment(kind, args[0], args[1], op)
            raise Unparsed(op.tex + "[..|..]", "a conditional expectation")
        if self.matrix_mode and any(_is_matrix(a) for a in args):
            model, subst = matrix_model(args, self.model_hint, self.table)
            args = [a.xreplace(subst) for a in args]
            if kind == "E" and len(args) == 1:
                return MatrixExpectation(args[0], model)
            if kind in ("Var", "Cov") and len(args) == 1:
                return MatrixCovariance(args[0], args[0], model)
            if kind == "Cov" and len(args) == 2:
                return MatrixCovariance(args[0], args[1], model)
            raise Unparsed(op.tex, f"{kind} with {len(args)} arguments")
        if any(_is_matrix(a) for a in args):
            raise Unparsed(op.tex, f"{kind} of a matrix in scalar notes")
        unknown = {s for s in set().union(*(_unknown_letters(a) for a in args))
                   if not (isinstance(s, sp.Symbol) and s.name in self.constants)} | \
            {f.func for a in args if isinstance(a, sp.Basic) for f in a.atoms(AppliedUndef)}
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            raise Undetermined(f"{op.tex}[..{names}..]", f"{names} under {kind}: a constant or a random variable? "
                               "the notes do not say")
        if kind == "E" and len(args) == 1:
            return Expectation(args[0])
        if kind == "Var" and len(args) == 1:
            return Variance(args[0])
        if kind == "Cov" and len(args) == 2:
            return Covariance(args[0], args[1])
        raise Unparsed(op.tex, f"{kind} with {len(args)} arguments")

    def _joint_of(self, args):
        """The joint Gaussian premise of the scalar variables under a moment, None if there are none; a moment
        of variables of two premises is not modelled."""
        variables = {v for a in args if isinstance(a, sp.Basic) for v in a.atoms(GaussianVariable)}
        if not variables:
            return None
        joints = {self.table.joint_of(v.name) for v in variables}
        if len(joints) != 1:
            raise Undetermined(", ".join(sorted(v.name for v in variables)), "variables of two joint Gaussian "
                               "premises under one moment: how they depend on each other is not stated")
        return joints.pop()

    def _joint_moment(self, kind: str, args: list, seps: list, joint, op: _Op):
        r"""E, Var, Cov of polynomials in jointly Gaussian scalars (Isserlis, with the premise's mean and
        covariance), and E[u | v], Var[u | v] of affine u, v: the ``conditional`` derivation's results (Schur
        complement) with the moments of u and v, at v as observed."""
        from ..expectation import joint_gaussian_moments
        from ..partitioned import conditional_moments

        variables = tuple(GaussianVariable(key) for key in joint.variables)
        means = tuple(self._premise_value(tex) for tex in joint.means)
        covariance = tuple(tuple(self._premise_value(tex) for tex in row) for row in joint.covariance)
        parameters = set().union(*(v.free_symbols for v in means + sum(covariance, ())))
        unknown = {u for a in args for u in _unknown_letters(a) if u not in parameters and u not in variables
                   and not (isinstance(u, sp.Symbol) and u.name in self.constants)}
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            raise Undetermined(f"{op.tex}[..{names}..]", f"{names} under {kind}: a constant or a random variable? "
                               "the notes do not say")
        expect, variance, covariance_of = joint_gaussian_moments(variables, means, covariance)
        try:
            if "|" not in seps:
                if kind == "E" and len(args) == 1:
                    return expect(args[0])
                if kind in ("Var", "Cov") and len(args) == 1:
                    return variance(args[0])
                if kind == "Cov" and len(args) == 2:
                    return covariance_of(*args)
                raise Unparsed(op.tex, f"{kind} with {len(args)} arguments")
            bar = seps.index("|") + 1
            targets, given = args[:bar], args[bar:]
            if len(targets) != 1 or kind not in ("E", "Var") or \
                    not all(degree_in(a, variables) <= 1 for a in targets + given):
                raise Unparsed(op.tex + "[..|..]", "a conditional moment other than E or Var of an affine function "
                               "of jointly Gaussian variables")
            u, v = sp.ImmutableMatrix([targets[0]]), sp.ImmutableMatrix(given)
            mean, cov = conditional_moments(v.applyfunc(expect), u.applyfunc(expect),
                                            sp.ImmutableMatrix(len(given), len(given),
                                                               lambda r, c: covariance_of(given[r], given[c])),
                                            sp.ImmutableMatrix(len(given), 1, lambda r, c: covariance_of(given[r], u[0])),
                                            sp.ImmutableMatrix([[variance(u[0])]]), v)
            return (mean if kind == "E" else cov).doit()[0, 0]
        except UnsupportedExpectation as exc:
            raise Unparsed(op.tex, str(exc)) from None

    def _premise_value(self, tex: str):
        """A mean or covariance entry of a joint Gaussian premise, read as a scalar of the notes."""
        return parse(tex, table=self.table, constants=self.constants, reading=self.reading)

    def _conditional_moment(self, kind: str, target, given, op: _Op):
        """E[u | v] and Cov[u | v] of jointly Gaussian vectors of the model: the results of the ``conditional``
        derivation (Schur complement) with the model's moments of u and v, at v as observed."""
        from ..partitioned import conditional_moments

        model, subst = matrix_model([target, given], self.model_hint, self.table)
        random = set(model.means) | set(subst)
        if not (given.free_symbols & random and target.free_symbols & random):
            raise Unparsed(op.tex + "[..|..]", "a conditional moment of vectors the model does not make random")
        u, v = target.xreplace(subst), given.xreplace(subst)
        moments = {name: value.doit() for name, value in {
            "Eu": MatrixExpectation(u, model), "Ev": MatrixExpectation(v, model), "Cuu": MatrixCovariance(u, u, model),
            "Cvu": MatrixCovariance(v, u, model), "Cvv": MatrixCovariance(v, v, model)}.items()}
        mean, covariance = conditional_moments(moments["Ev"], moments["Eu"], moments["Cvv"], moments["Cvu"],
                                               moments["Cuu"], given)
        return mean if kind == "E" else covariance

    def _column(self, op: _Op):
        """``q_k`` (with its powers) where the document's prose makes q_k the columns of a matrix Q."""
        value = self._symbol(op.data["name"], op.data["subs"])
        for text in op.data["sups"]:
            value = self._power(value, text)
        return value

    def _call(self, op: _Op, nxt, k: int):
        kind = op.kind
        if kind in ("CalL", "ell", "call:L", "NLL"):
            if isinstance(nxt, _Group) and nxt.kind == "(":
                value = self._likelihood(kind, nxt)
                for p_kind, text in nxt.post:
                    if p_kind == "_":
                        raise Unparsed(f"_{{{text}}}", "a subscript on a bracket")
                    value = self._power(value, text)
                return value, k + 2
            return self._likelihood(kind), k + 1
        if not isinstance(nxt, _Group) or nxt.kind != "(":
            if kind == "call:p":
                return self._bare_p(op), k + 1
            if kind.startswith("call:") and not (op.data["subs"] or op.data["sups"]):
                name = op.data["name"]
                return self._symbol(name, []), k + 1
            if kind == "call:q" and self.table and self.table.part("q") and op.data["subs"]:
                return self._column(op), k + 1
            if kind.startswith("call:"):
                return self._name_item(op.data["name"], [("_", s) for s in op.data["subs"]]
                                       + [("^", s) for s in op.data["sups"]]).value, k + 1
            raise Unparsed(op.tex, "a density needs its arguments in brackets")
        if kind in ("call:f", "call:g", "call:h"):
            if "|" in nxt.seps or ";" in nxt.seps:
                raise Unparsed(op.tex + "(..|..)", "an unknown function with a bar")
            return self._apply_function(kind[len("call:"):], nxt), k + 2
        if kind == "call:E":
            return self._moment("E", nxt, op), k + 2
        if kind == "call:q" and self.table and self.table.part("q") and op.data["subs"]:
            return self._column(op), k + 1  # q_k^T(x - m): a column times a bracket
        if kind == "call:q":
            raise Unparsed(op.tex + "(..)", "an unknown density q")
        if kind == "call:p" and self.matrix_mode and not nxt.seps and not any(_is_matrix(a) for a in nxt.args):
            return _dimension * self._group_value(nxt), k + 2  # matrix notes: p(p + 1)/2, the dimension times..
        value = self._density(nxt, op)
        for p_kind, text in nxt.post:
            value = self._power(value, text)
        return value, k + 2

    def _bare_p(self, op: _Op):
        """A ``p`` without arguments: the dimension p inside an exponent, a limit or an index (``(2\\pi)^{-p/2}``);
        elsewhere a marker, resolved as a density where a density is meant (:meth:`_as_density`)."""
        if op.data["subs"]:
            raise Unparsed(op.tex + "_{" + op.data["subs"][0] + "}", "p with a subscript and no arguments")
        value = _dimension if self.inner else BARE_P
        for text in op.data["sups"]:
            value = self._power(value, text)
        return value

    def _as_density(self, value):
        """A bare ``p`` standing for a whole function (the argument of \\log/\\ln, what a derivative acts on, a
        whole side) is the density written with arguments before it (``density``, chosen by the judge), if that
        is the likelihood of the data set (or, in matrix notes, which have no sample, the density of the
        vector); otherwise the step is not checked."""
        if not (isinstance(value, sp.Basic) and value == BARE_P):
            return value
        if self.density is None:
            raise Unparsed("p", "p without arguments and no density p(..) before it to refer to: write p(x|..)")
        try:
            referent = parse(self.density, matrix=self.matrix_mode, identity_size=self.identity_size,
                             model_hint=self.model_hint, inner=True, mean=self.mean, reading=self.reading)
        except Unparsed as exc:
            raise Unparsed("p", f"p without arguments refers to {self.density}, which is not understood "
                           f"({exc.reason})") from None
        if not self.matrix_mode and not isinstance(referent, sp.Product):  # (matrix notes have no sample)
            raise Unparsed("p", f"p without arguments after {self.density}, a density of one observation: "
                           "which density is meant? write p(x|..) or p(\\mathbf{x}|..)")
        return referent

    def _likelihood(self, kind: str, group: _Group | None = None):
        """``L``: the likelihood of the sample; ``\\ell``: its log; ``\\mathcal{L}``: either (resolved in
        :func:`_finish`); ``\\mathrm{NLL}``: minus the log. Written with arguments (``L(\\theta)``,
        ``\\ell(\\hat\\mu, \\sigma^2)``) they are taken at that mean and variance (:meth:`_likelihood_parameters`)."""
        mean, variance = (mu, sigma2) if group is None else self._likelihood_parameters(group, kind)
        if kind == "NLL":
            return -self._likelihood("ell", group)
        if kind == "CalL":
            return _CAL_L(mean, variance)
        if kind == "ell":
            return ell if (mean, variance) == (mu, sigma2) else sp.log(_likelihood_value(mean, variance))
        return _likelihood_value(mean, variance)

    def _likelihood_parameters(self, group: _Group, kind: str):
        """(mean, variance) from the arguments of a likelihood: ``(m)`` is the mean (``(\\sigma^2)`` or
        ``(\\sigma)`` alone the variance), ``(m, v)`` both (a standard deviation is squared); after ``|`` or ``;``
        only the data may follow (``\\mathcal{L}(\\theta|\\mathcal{D})``)."""
        args, seps = list(group.args), group.seps
        if "|" in seps or ";" in seps:
            split = seps.index("|") if "|" in seps else seps.index(";")
            args, data = args[:split + 1], args[split + 1:]
            if not all(d in (DATA_MARK, DOTS_MARK, _CAPITAL_X) or isinstance(d, sp.Indexed) for d in data):
                raise Unparsed(kind + "(..|..)", "a likelihood given something other than the data")
        if any(_is_matrix(a) or isinstance(a, _Partial) for a in args) or not 1 <= len(args) <= 2:
            raise Unparsed(kind + "(..)", "a likelihood needs its mean, or its mean and variance, as arguments")
        if len(args) == 1:
            (only,) = args
            return (mu, sigma2) if only in (sigma2, sp.sqrt(sigma2)) else (only, sigma2)
        mean, variance = args
        if isinstance(variance, sp.Pow) and variance.exp == sp.Rational(1, 2):
            variance = variance ** 2
        return mean, variance

    def _density(self, group: _Group, op: _Op):
        args, seps = group.args, group.seps
        if "|" in seps or ";" in seps:
            split = seps.index("|") if "|" in seps else seps.index(";")
            variables, parameters = args[:split + 1], args[split + 1:]
        else:
            variables, parameters = args, []
        if any(_is_matrix(v) for v in variables + parameters):
            if self.table:
                density = table_density(self.table, tuple(variables), tuple(parameters))
                if density is not None:
                    return density
            return _multivariate_density(variables, parameters, op.tex, self.model_hint)
        if len(parameters) == 0:
            mean, variance = mu, sigma2
        elif len(parameters) == 2:
            mean, variance = parameters
            if isinstance(variance, sp.Pow) and variance.exp == sp.Rational(1, 2):
                variance = variance ** 2
        else:
            raise Unparsed(op.tex + "(..)", "a density needs a mean and a variance after the bar")
        if len(variables) == 1 and variables[0] in (DATA_MARK, _CAPITAL_X) or any(v == DOTS_MARK for v in variables):
            return sp.Product(normal_pdf(x[index_i], mean, variance), (index_i, 1, N))
        if len(variables) != 1:
            raise Unparsed(op.tex + "(..)", "a joint density of several variables")
        return normal_pdf(variables[0], mean, variance)

    def _big_operator(self, op: _Op, body):
        subs, sups = op.data["subs"], op.data["sups"]
        if len(subs) > 1 or len(sups) > 1:
            raise Unparsed(op.tex, "limits given twice")
        if _is_matrix(body) and body.shape == (1, 1):
            body = body[0, 0]  # a sum of quadratic forms (q_k^T x)^2 is a sum of numbers (entry, not trace:
            # SymPy writes the entry out at the sizes drawn, the trace of a scaled power it does not)
        if _is_matrix(body):
            raise Unparsed(op.tex, "a sum of matrices")
        upper = self._inner(sups[0]) if sups else N
        if self.matrix_mode:  # \sum_{i=1}^{d}: in matrix notes a D or d as a limit is the dimension
            upper = upper.xreplace(_DIMENSION_LETTERS)
        if subs:
            text = _subscript_label(subs[0])
            if "=" in text:
                name, lower_text = text.split("=", 1)
                lower = self._inner(lower_text)
            else:
                name, lower = text, sp.Integer(1)
            names = [nm.strip() for nm in name.split(",")]
            if not all(nm in INDEX_LETTERS for nm in names):
                raise Unparsed(op.tex + "_{" + text + "}", "unsupported summation range")
            indices = [INDEX_LETTERS[nm] for nm in names]
        else:
            candidates = sorted(body.free_symbols & set(INDEX_LETTERS.values()) - {N}, key=str) \
                if isinstance(body, sp.Basic) else []
            if len(candidates) > 1:
                raise Unparsed(op.tex, "a sum without limits over several indices")
            indices = candidates or [index_i]
            lower = sp.Integer(1)
        cls = sp.Sum if op.kind == "sum" else sp.Product
        return cls(body, *[(index, lower, upper) for index in indices])

    def _partial_run(self, factors):
        parts = []
        current = None
        for f in factors:
            if isinstance(f, _Partial):
                if current is not None:
                    parts.append(current)
                current = [f.parts[0][0], []]
            elif current is None:
                raise Unparsed(r"\partial", "a factor before \\partial")
            else:
                current[1].append(f)
        parts.append(current)
        return _Partial([(order, _multiply(values) if values else None) for order, values in parts])

    def _derivative_frac(self, numerator, denominator):
        if not isinstance(numerator, _Partial) or not isinstance(denominator, _Partial):
            raise Unparsed(r"\frac{\partial ..}{..}", "a derivative needs \\partial above and below")
        if len(numerator.parts) != 1:
            raise Unparsed(r"\frac{\partial ..}{..}", "several \\partial in the numerator")
        order, function = numerator.parts[0]
        variables = []
        for den_order, value in denominator.parts:
            if value is None:
                raise Unparsed(r"\partial", "a \\partial without a variable")
            variables.append((den_order, value))
        if isinstance(function, sp.Symbol) and function in _unknown_letters(function) and len(variables) == 1:
            function = sp.Function(function.name, real=True)(variables[0][1])  # df/dx: f is a function of x
        if len(variables) == 1 and order > 1:
            (den_order, value), = variables
            base, exponent = value.as_base_exp() if isinstance(value, sp.Basic) else (value, 1)
            if exponent == order and _is_variable(base):
                variables = [(order, base)]
            elif value == sigma2 ** order:
                variables = [(order, sigma2)]
            else:
                raise Unparsed(r"\frac{\partial^k}{..}", "the order of the derivative does not match")
        if function is None:
            return _Op("deriv", {"variables": variables, "subs": [], "sups": []}, tex=r"\frac{\partial}{\partial ..}")
        return _Value(_derivative(self._as_density(function), variables, r"\frac{\partial}{\partial ..}"))

    def _matrix(self, rows: list):
        if len({len(r) for r in rows}) != 1:
            raise Unparsed(r"\begin{matrix}", "rows of different lengths")
        if not any(_is_matrix(c) for r in rows for c in r):
            return sp.ImmutableMatrix([[_scalar(c) for c in r] for r in rows])
        heights = []
        for r in rows:
            hs = {c.shape[0] for c in r if _is_matrix(c) and not isinstance(c, sp.Identity)}
            heights.append(hs.pop() if len(hs) == 1 else None)
        widths = []
        for col in zip(*rows):
            ws = {c.shape[1] for c in col if _is_matrix(c) and not isinstance(c, sp.Identity)}
            widths.append(ws.pop() if len(ws) == 1 else None)
        for _ in range(2):  # an identity block is square: its size fixes its row's height and column's width
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    if isinstance(cell, sp.Identity):
                        size = heights[r] or widths[c]
                        if size is not None:
                            heights[r] = heights[r] or size
                            widths[c] = widths[c] or size
        blocks = []
        for r, row in enumerate(rows):
            out = []
            for c, cell in enumerate(row):
                h, w = heights[r], widths[c]
                if isinstance(cell, sp.Identity):
                    size = h or w
                    if size is None:
                        raise Unparsed("I", "cannot tell the size of the identity block")
                    out.append(sp.Identity(size))
                elif cell == 0 and not _is_matrix(cell):
                    if h is None or w is None:
                        raise Unparsed("0", "cannot tell the size of the zero block")
                    out.append(sp.ZeroMatrix(h, w))
                elif not _is_matrix(cell):
                    raise Unparsed(str(cell), "a scalar block in a block matrix")
                else:
                    out.append(cell)
            blocks.append(out)
        try:
            return sp.BlockMatrix(blocks)
        except (ValueError, sp.ShapeError) as exc:
            raise Unparsed(r"\begin{bmatrix}", f"blocks of incompatible sizes ({exc})") from None


@lru_cache(maxsize=1)
def _precision_blocks() -> sp.ImmutableMatrix:
    """The blocks Lambda_aa, Lambda_ab, Lambda_ba, Lambda_bb of the precision Lambda = Sigma^-1 of the
    partitioned Gaussian, in terms of the covariance blocks (SymPy's 2 x 2 block inverse)."""
    inverse = sp.block_collapse(pt.JOINT_COVARIANCE.I)
    return sp.ImmutableMatrix(2, 2, [inverse.blocks[r, c] for r in range(2) for c in range(2)])


# markers for the data set and the (log-)likelihood written as a name
DATA_MARK = sp.Symbol("__data__")
DOTS_MARK = sp.Symbol("__dots__")
BARE_P = sp.Symbol("p")  # (not the dimension: that one is a positive integer)
"""A ``p`` written without arguments, before it is known whether it is a density or the dimension."""
_CAPITAL_X = sp.Symbol("X", real=True)  # p(X|mu, sigma^2): X is the data set
_CAL_L = sp.Function("calL")
LOGLIK_MARK = _CAL_L(mu, sigma2)
"""\\mathcal{L}: the log-likelihood, or the likelihood when written inside a log (resolved in :func:`parse`)."""


def _likelihood_value(mean=mu, variance=sigma2):
    return sp.Product(normal_pdf(x[index_i], mean, variance), (index_i, 1, N))


def _plain_name(value) -> str | None:
    for name, sym in (("mu", mu), ("x", x[index_i])):
        if value == sym:
            return name
    if value == sp.sqrt(sigma2):
        return "sigma"
    if isinstance(value, sp.Symbol):
        return value.name
    if isinstance(value, sp.MatrixSymbol) and str(value.name).isalpha():  # \mathbf{x}, \boldsymbol{\Sigma}
        return str(value.name)
    if isinstance(value, sp.Identity):
        return "I"
    return None


def _strip_braces(text: str) -> str:
    text = text.strip()
    return text[1:-1] if text.startswith("{") and text.endswith("}") else text


def _is_index_text(sub: str) -> bool:
    return sub in INDEX_LETTERS or bool(re.fullmatch(r"[ijkn][+-]\d", sub))


def _is_matrix(value) -> bool:
    return isinstance(value, (sp.MatrixBase, sp.MatrixExpr))


#: Largest exact number a power may make (bits), and largest whole exponent of an expression with symbols.
MAX_POWER_BITS = 100_000
MAX_SYMBOLIC_EXPONENT = 10_000


def _check_power_size(base, exponent, text: str) -> None:
    """A power too large to evaluate exactly (``10^{10^{8}}`` has 10^8 digits) is not checked, before it
    is computed."""
    if not (isinstance(exponent, sp.Basic) and exponent.is_Rational and abs(exponent) > 1):
        return
    if isinstance(base, sp.Basic) and base.is_Rational:
        bits = max(abs(base.p).bit_length(), abs(base.q).bit_length())
        if bits > 1 and abs(exponent) * bits > MAX_POWER_BITS:
            raise Undetermined(f"^{{{text}}}", f"a number of about {int(abs(exponent) * bits * 0.30103)} digits, "
                               "too large to evaluate exactly")
    elif abs(exponent) > MAX_SYMBOLIC_EXPONENT:
        raise Undetermined(f"^{{{text}}}", f"an exponent above {MAX_SYMBOLIC_EXPONENT}, too large to check")


def _is_variable(value) -> bool:
    return isinstance(value, (sp.Symbol, sp.Indexed)) or value == sp.sqrt(sigma2)


def _unknown_letters(value) -> set:
    """The symbols in ``value`` that the notation does not know (a, b, U, W, \\psi, y_1: letters the notes
    never introduce), as opposed to the parameters, the data, estimates, sizes and indices."""
    if not isinstance(value, sp.Basic):
        return set()
    indexed = value.atoms(sp.Indexed)
    labels = {a.base.label for a in indexed}
    return {s for s in value.free_symbols - labels if isinstance(s, sp.Symbol) and s not in _KNOWN_SYMBOLS} | \
        {a for a in indexed if a.base != x}


def degree_in(value, variables) -> int:
    """The degree of a scalar expression as a polynomial in ``variables`` (a large number if it is not one)."""
    try:
        return sp.Poly(value, *variables).total_degree()
    except sp.PolynomialError:
        return 1_000


def _scalar(value):
    """An explicit 1 x 1 matrix as its entry (e.g. a quadratic form inside exp); anything else unchanged."""
    if isinstance(value, sp.MatrixBase) and value.shape == (1, 1):
        return value[0, 0]
    if isinstance(value, sp.MatrixExpr) and value.shape == (1, 1) and value.has(sp.MatrixSlice):
        return value[0, 0]  # a product of columns q_k^T x: SymPy writes its entry out at the sizes drawn
    if isinstance(value, sp.MatrixExpr) and value.shape == (1, 1):
        return sp.Trace(value)  # a quadratic form of symbolic vectors (as in density.gaussian_density)
    if isinstance(value, sp.MatrixExpr):
        raise Unparsed(str(value), "a matrix where a scalar is expected")
    return value


def _multiply(factors: list):
    if not factors:
        return sp.Integer(1)
    result = factors[0]
    for f in factors[1:]:
        if isinstance(result, sp.MatrixBase) and result.shape == (1, 1) and not _is_matrix(f):
            result = result[0, 0]
        try:
            result = result * f
        except (sp.ShapeError, ValueError, TypeError) as exc:
            raise Unparsed(f"{result} * {f}", f"factors of incompatible shapes ({exc})") from None
    if isinstance(result, sp.MatrixBase) and result.shape == (1, 1):
        return result[0, 0]
    return result


def _add(a, b):
    if isinstance(a, sp.MatrixBase) and a.shape == (1, 1) and not _is_matrix(b):
        a = a[0, 0]
    if isinstance(b, sp.MatrixBase) and b.shape == (1, 1) and not _is_matrix(a):
        b = b[0, 0]
    if _is_matrix(a) != _is_matrix(b) and (a if _is_matrix(a) else b).shape == (1, 1):
        a, b = _scalar(a), _scalar(b)  # a quadratic form (x - mu)^T Sigma^-1 (x - mu) added to a scalar
    if _is_matrix(a) != _is_matrix(b):
        zero_scalar = (not _is_matrix(a) and a == 0) or (not _is_matrix(b) and b == 0)
        if zero_scalar:
            return b if _is_matrix(b) else a
        matrix, scalar = (a, b) if _is_matrix(a) else (b, a)
        _, letter = scalar.as_coeff_Mul() if isinstance(scalar, sp.Expr) else (None, scalar)
        if is_unknown_letter(letter) or letter in INDEX_LETTERS_NOT_SIZES:  # m added to Lz: a vector m
            raise LetterAddedToMatrix(f"{a} + {b}", letter.name, tuple(matrix.shape))
        raise Unparsed(f"{a} + {b}", "a matrix added to a scalar")
    try:
        return a + b
    except (sp.ShapeError, ValueError, TypeError) as exc:
        raise Unparsed(f"{a} + {b}", f"terms of incompatible shapes ({exc})") from None


def _det(value):
    if isinstance(value, sp.MatrixBase):
        return value.det()
    if isinstance(value, sp.MatrixExpr):
        return sp.Determinant(value)
    raise Unparsed(r"\det", "the determinant of a scalar")


def _trace(value):
    if isinstance(value, sp.MatrixBase):
        return value.trace()
    if isinstance(value, sp.MatrixExpr):
        return sp.Trace(value)
    raise Unparsed(r"\operatorname{tr}", "the trace of a scalar")


def _derivative(function, variables: list, tex: str):
    """The derivative of ``function``; a bare f, g or h in it is an unknown function of the (first) variable."""
    if _is_matrix(function):
        raise Unparsed(tex, "a derivative of a matrix expression")
    names = {s for s in getattr(function, "free_symbols", ()) if isinstance(s, sp.Symbol)
             and s.name in _UNKNOWN_FUNCTIONS}
    if names and variables:
        function = function.xreplace({s: sp.Function(s.name, real=True)(variables[0][1]) for s in names})
    result = function
    for order, variable in variables:
        if variable == sp.sqrt(sigma2):  # d/dsigma = 2 sigma d/dsigma^2 (everything is a function of sigma^2)
            for _ in range(order):
                result = 2 * sp.sqrt(sigma2) * sp.Derivative(result, sigma2)
            continue
        if not isinstance(variable, (sp.Symbol, sp.Indexed)):
            raise Unparsed(tex, f"a derivative with respect to {variable}, which is not a variable")
        result = sp.Derivative(result, (variable, order))
    return result


def _multivariate_density(variables: list, parameters: list, tex: str, hint: str):
    """N(v | m, S) of vectors (density.gaussian_density); p(x_a), p(x_b), p(x_b | x_a), p(x_a | x_b): the
    marginal and conditional densities of the partitioned Gaussian; p(x) is N(x | mu, Sigma) when the chain
    speaks of Sigma (x ~ N(mu, Sigma)), else the linear-Gaussian model's N(x | mu, Lambda^-1), and p(y | x) is
    N(y | A x + b, L^-1)."""
    if len(parameters) == 2 and all(_is_matrix(a) for a in variables + parameters) and len(variables) == 1:
        (point,), (mean, covariance) = variables, parameters
        if covariance.shape[0] != covariance.shape[1] or mean.shape != point.shape or \
                point.shape[0] != covariance.shape[0] or point.shape[1] != 1:
            raise Unparsed(tex + "(..)", "a density whose point, mean and covariance do not fit together")
        return gaussian_density(point, mean, covariance)
    blocks = {pt.x_a: (pt.mu_a, pt.Sigma_aa), pt.x_b: (pt.mu_b, pt.Sigma_bb)}
    if not parameters and len(variables) == 1 and variables[0] in blocks:
        return gaussian_density(variables[0], *blocks[variables[0]])
    if not parameters and variables == [pt.x_a, pt.x_b]:  # det and quadratic form of a BlockMatrix inside a
        # scalar do not evaluate at the checker's random sizes (SymPy 1.14 leaves a Matrix of Matrices)
        raise Unparsed(tex + "(x_a, x_b)", "the joint density of two blocks (not supported; write p(x) with the "
                       "stacked vectors, or the product of marginal and conditional)")
    if variables == [pt.x_b] and parameters == [pt.x_a]:
        return gaussian_density(pt.x_b, CONDITIONAL_NAMES["mu|b|a"], CONDITIONAL_NAMES["Sigma|b|a"])
    if variables == [pt.x_a] and parameters == [pt.x_b]:
        return gaussian_density(pt.x_a, CONDITIONAL_NAMES["mu|a|b"], CONDITIONAL_NAMES["Sigma|a|b"])
    if not parameters and variables == [lg.x] and hint == "affine":
        return gaussian_density(lg.x, lg.mu, _Sigma)
    # the linear-Gaussian model (derivations.linear_gaussian): x ~ N(mu, Lambda^-1), y | x ~ N(A x + b, L^-1)
    if not parameters and variables == [lg.x]:
        return gaussian_density(lg.x, lg.mu, lg.Lambda.I)
    if variables == [lg.y] and parameters == [lg.x]:
        return gaussian_density(lg.y, lg.A * lg.x + lg.b, lg.L.I)
    raise Unparsed(tex + "(..)", "a multivariate density of unknown arguments (write N(x|mean, covariance))")


def matrix_model(args, hint: str, table: MatrixScope | None = None):
    """The Gaussian model for E/Cov of matrix expressions, and substitutions for derived random vectors: the
    document's own (:func:`table_model`) when the arguments use one of its random vectors; blocks x_a, x_b:
    the partitioned joint; otherwise the linear-Gaussian model x ~ N(mu, Lambda^-1), epsilon ~ N(0, L^-1)
    independent, y = A x + b + epsilon; or with hint "affine" x ~ N(mu, Sigma)."""
    symbols = set().union(*(a.atoms(sp.MatrixSymbol) for a in args))
    if table and (table.random or table.derived):
        model, subst = table_model(table)
        if symbols & (set(model.means) | set(subst)):
            return model, subst
    if symbols & {pt.x_a, pt.x_b}:
        return pt.JOINT, {}
    if hint == "affine":
        return gaussian_model({pt.x: pt.mu}, {(pt.x, pt.x): _Sigma_p}), {}
    return lg.MODEL, {lg.y: lg.A * lg.x + lg.b + lg.eps}


_Sigma_p = sp.MatrixSymbol("Sigma", pt.p, pt.p)
_STRUCTURED = {"orthogonal": OrthogonalMatrixSymbol, "diagonal": DiagonalMatrixSymbol,
               "lower": LowerTriangularMatrixSymbol}
#: the profile's names a matrix scope may speak of (its premises use them at the profile's sizes)
_PROFILE_MATRIX_SYMBOLS = {"x": lg.x, "mu": lg.mu, "Sigma": _Sigma, "y": lg.y, "b": lg.b, "epsilon": lg.eps,
                           "varepsilon": lg.eps, "A": lg.A}


@lru_cache(maxsize=256)
def table_symbol(table: MatrixScope, key: str):
    """The SymPy matrix symbol of a name the document's matrix scope gives a shape and a structure
    (:mod:`.matrix_scope`), None if it gives none."""
    entry = table.name(key)
    if entry is None:
        return None
    kind = _STRUCTURED.get(entry.kind, sp.MatrixSymbol)
    return kind(key.replace(":", "_"), _size(entry.rows), _size(entry.cols))


def is_unknown_letter(value) -> bool:
    """Whether ``value`` is a letter (or Greek letter, with a subscript) the notation gives no meaning."""
    return isinstance(value, sp.Symbol) and value not in _KNOWN_SYMBOLS and not value.is_integer \
        and re.fullmatch(r"[A-Za-z]+(?:_[A-Za-z0-9]+)?", value.name) is not None


def _size(text: str):
    """A size of the matrix scope: a number, or a size symbol (p, q, m, n)."""
    return sp.Integer(text) if text.isdigit() else sp.Symbol(text, integer=True, positive=True)


def _scope_symbol(table: MatrixScope, key: str):
    value = table_symbol(table, key)
    return value if value is not None else _PROFILE_MATRIX_SYMBOLS.get(key)


@lru_cache(maxsize=64)
def table_model(table: MatrixScope):
    """The Gaussian model of the document's premises: its random vectors (independent) with their means and
    covariances, and its model equations as substitutions (z -> W x + c + eta)."""
    means, covariances = {}, {}
    for vector_key, mean_key, covariance_key in table.random:
        vector = _scope_symbol(table, vector_key)
        if vector is None:
            continue
        size = vector.shape[0]
        means[vector] = _scope_symbol(table, mean_key) if mean_key else sp.ZeroMatrix(size, 1)
        covariances[(vector, vector)] = sp.Identity(size) if covariance_key == "I" else \
            _scope_symbol(table, covariance_key)
    vectors = list(means)
    for k, u in enumerate(vectors):  # independent: the premises state them one by one
        for v in vectors[k + 1:]:
            covariances[(u, v)] = sp.ZeroMatrix(u.shape[0], v.shape[0])
    subst = {}
    for vector_key, value_tex in table.derived:
        vector = _scope_symbol(table, vector_key)
        subst[vector] = parse(value_tex, matrix=True, table=table)
    return gaussian_model(means, covariances), subst


def table_density(table: MatrixScope, variables: tuple, parameters: tuple):
    """The density the document's premises give: p(v) of a random vector v ~ N(m, V); p(z | u) of a vector of
    a model equation given one of its random vectors (z = W u + c + eta: N(z | W u + c, Cov[eta])); None for
    any other."""
    model, subst = table_model(table)
    if len(variables) != 1 or len(parameters) > 1:
        return None
    (point,) = variables
    if not parameters and point in model.means:
        return gaussian_density(point, model.means[point], model.covariance(point, point))
    if len(parameters) == 1 and point in subst and parameters[0] in model.means:
        given = parameters[0]
        others = [v for v in model.means if v != given]
        value = subst[point]
        mean = value.xreplace({v: model.means[v] for v in others})
        noise = gaussian_model({v: model.means[v] for v in others},
                               {(u, v): model.covariance(u, v) for k, u in enumerate(others) for v in others[k:]})
        return gaussian_density(point, mean, MatrixCovariance(value, value, noise).doit())
    return None


@lru_cache(maxsize=64)
def table_factorisations(table: MatrixScope) -> dict:
    """{matrix: product} of the document's factorisations (Sigma -> Q D Q^T), to apply to a parsed side."""
    return {_scope_symbol(table, key): parse(value_tex, matrix=True, table=table) for key, value_tex in table.built}


def table_symmetric(table: MatrixScope) -> frozenset:
    """The matrices the document's matrix scope makes symmetric: covariances and diagonal matrices."""
    return frozenset(table_symbol(table, e.key) for e in table.names if e.kind in ("symmetric", "diagonal"))
_KNOWN_SYMBOLS = frozenset({mu, sigma2, N, muhat, sigma2hat, S2, _dimension, *INDEX_LETTERS.values(), DATA_MARK,
                            DOTS_MARK, BARE_P})


# ---------------------------------------------------------------------------------------------------------
def _finish(value, matrix: bool):
    """\\mathcal{L}: likelihood inside a log, log-likelihood elsewhere; a free n is the sample size N."""
    if isinstance(value, _Partial):
        raise Unparsed(r"\partial", "a \\partial outside a derivative")
    if isinstance(value, sp.Basic):
        if value.has(_CAL_L):
            value = value.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], _CAL_L),
                                  lambda e: sp.log(_likelihood_value(*e.args[0].args)))
            value = value.xreplace({LOGLIK_MARK: ell})
            value = value.replace(lambda e: isinstance(e, _CAL_L), lambda e: sp.log(_likelihood_value(*e.args)))
        if value.has(DATA_MARK) or value.has(DOTS_MARK):
            raise Unparsed("\\mathcal{D}", "the data set (\\mathcal{D}, \\mathbf{x}, x_{1:N}, x_1, \\dots, x_N) "
                           "outside a density")
        if value.has(BARE_P):
            if not matrix:
                raise Unparsed("p", "p without arguments where no density is meant (not the argument of \\log or "
                               "of a derivative); write p(x|..), or use p as a dimension only in exponents")
            value = value.xreplace({BARE_P: _dimension})  # matrix notes: the dimension, as in -p/2 \log 2\pi
        if not matrix and _n in value.free_symbols:  # (in matrix mode n is the size of block b)
            value = value.subs(_n, N)
    return value


def parse(tex: str, matrix: bool = False, identity_size=None, model_hint: str = "linear-gaussian",
          density: str | None = None, inner: bool = False, mean: str | None = None,
          reading: Reading = Reading(), seen: set | None = None, constants: frozenset = frozenset(),
          table: MatrixScope | None = None):
    r"""The SymPy value of one side of a step; raises :class:`Unparsed` for constructs outside the grammar.

    ``density``: the LaTeX of the density ``p(..)`` written with arguments that a bare ``p`` refers to (the
    judge passes the last one before the step); a bare ``p`` as a whole side, as the argument of ``\log``/``\ln``
    or under a derivative is that density if it is the likelihood of the data set, else not checked. ``inner``:
    an exponent, a limit or an index, where a bare ``p`` is the dimension (``(2\pi)^{-p/2}``). ``mean``: the
    name (``theta``, a macro without its backslash, or a letter) the notes use for the mean mu of the data,
    if they name it differently (the judge infers it, see ``judge.mean_name``). ``reading``: how notation
    with several plausible meanings is read (:class:`Reading`); ``seen``, if given, collects which of those
    choices the text raised ("tex_tokens", "apply:NAME", "plain:NAME", "capital:NAME", "symmetric_L").
    ``constants``: names the notes declare to be constants (``scope.declared_constants``); any other letter
    the notation does not know is of unknown nature under E, Var and Cov (:class:`Undetermined`). ``table``:
    in matrix notes, what the document's premises say its vectors and matrices are (:mod:`.matrix_scope`)."""
    if not isinstance(tex, str):
        raise Unparsed(repr(tex), "not text")
    text = normalise(tex)
    if not text.strip():
        raise Unparsed(tex, "empty expression")
    if len(text) > 5000:
        raise Unparsed(text[:40] + "...", "expression longer than 5000 characters")
    seen = seen if seen is not None else set()
    text = _one_token_arguments(text, reading, seen)
    try:
        tree = _lark().parse(text)
    except lark.exceptions.UnexpectedCharacters as exc:
        raise Unparsed(_around(text, exc.pos_in_stream), "unexpected character") from None
    except lark.exceptions.UnexpectedToken as exc:
        token = exc.token
        where = getattr(token, "start_pos", None)
        fragment = _around(text, where) if where is not None else str(token)
        reason = "unexpected end" if token.type == "$END" else f"unexpected {str(token)!r}"
        raise Unparsed(fragment, reason) from None
    except lark.exceptions.LarkError as exc:
        raise Unparsed(text, f"not understood ({type(exc).__name__})") from None
    numeric_blocks = bool(re.search(r"\\Sigma\s*_\s*\{?\s*(11|12|21|22)", text))
    builder = _Builder(matrix, identity_size if identity_size is not None else _dimension, model_hint,
                       numeric_blocks, density, inner, mean, reading, seen, constants,
                       table if matrix else MatrixScope(joint=table.joint) if table and table.joint else None)
    try:
        value = builder.transform(tree)
        if not inner:
            value = builder._as_density(value)
    except lark.exceptions.VisitError as exc:
        original = exc.orig_exc
        if isinstance(original, Unparsed):
            raise original from None
        if isinstance(original, RecursionError):
            raise Unparsed(text[:60], "nested too deeply") from None
        raise Unparsed(text[:80], f"cannot build this expression ({type(original).__name__}: {original})") from None
    return _finish(value, matrix)


_SEVERAL_DIGITS = re.compile(r"(\\sqrt|[\^_])\s*(\d(?:\d|\.\d)[\d.]*)")


def _one_token_arguments(text: str, reading: Reading, seen: set) -> str:
    r"""``\sqrt 25``, ``x^25``, ``x_12``: TeX takes one token as the argument (sqrt(2) 5, x^2 5, x_1 2), an
    author may mean all the digits; the text is rewritten for the reading (``seen`` notes the choice)."""
    if not _SEVERAL_DIGITS.search(text):
        return text
    seen.add("tex_tokens")
    if reading.tex_tokens:
        return _SEVERAL_DIGITS.sub(lambda mo: f"{mo.group(1)}{{{mo.group(2)[0]}}}{mo.group(2)[1:]}", text)
    return _SEVERAL_DIGITS.sub(lambda mo: f"{mo.group(1)}{{{mo.group(2)}}}", text)


def _around(text: str, position: int | None) -> str:
    if position is None:
        return text
    start, end = max(0, position - 15), min(len(text), position + 15)
    return ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")
