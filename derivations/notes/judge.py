"""Judge one step of a person's notes with the derivations' own checker (:func:`derivations.checker.check_step`).

Both sides are parsed (:mod:`.parse`), wrapped as :class:`~derivations.core.Step` objects and checked in a
:class:`~derivations.checker.Context` that knows the named estimates (mu-hat, sigma-hat^2, S^2, the
log-likelihood ell: their definitions come from the ``mle-univariate`` and ``unbiased-variance``
derivations), the conditional moments mu_{b|a}, Sigma_{b|a} (from ``conditional``) and which matrices are
symmetric. Each step has a time limit of CPU time for the symbolic proof; past it the randomised exact test
alone decides (under the same limit again), and past that the step is *not checked: time limit*. In
:func:`judge_steps` with a pool each step (parsing included) runs in a worker process that is stopped at twice
the limit whatever the step computes (:mod:`derivations.limits`).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import sympy as sp

from .. import partitioned as pt
from ..checker import Context, Status, check_step
from ..limits import Budget, Outcome, Pool, Task, default_pool, run_tasks
from ..core import Method, Relation, Step
from ..notation import N, x as x_data
from .document import RANDOM_OPERATORS, Scope, Statement, name_of
from .extract import Chain, ExtractedStep
from .scope import constants_before, declared_constants
from .. import linear_gaussian as lg
from .matrix_scope import JointGaussian, MatrixName, MatrixScope, gaussian_parameters, key_of, tex_of
from .parse import (INDEX_LETTERS_NOT_SIZES, MATRIX_DEFINITIONS, MATRIX_SYMMETRIC, GaussianVariable,
                    LetterAddedToMatrix, Reading, Undetermined, Unparsed, degree_in, is_unknown_letter,
                    looks_like_matrix, matrix_model, parse, table_factorisations, table_symbol, table_symmetric)
from ..matrix_expectation import MatrixCovariance, MatrixExpectation

__all__ = ["StepResult", "judge", "judge_pair", "judge_steps", "density_referents", "mean_name", "STEP_TIME_LIMIT",
           "VERDICTS"]

#: Seconds for the symbolic attempt, and again for the numeric fallback.
STEP_TIME_LIMIT = 5.0
VERDICTS = ("valid", "invalid", "not_checked")

_NOT_EQUALITIES = {
    "implies": "an implication (\\Rightarrow), not an equality",
    "implied by": "an implication (\\Leftarrow), not an equality",
    "iff": "an equivalence of statements (\\iff), not an equality",
    "therefore": "a conclusion (\\therefore), not an equality",
    "propto": "proportional (\\propto), not an equality",
    "approx": "an approximation (\\approx), not an equality",
    "sim": "a distribution statement (\\sim), not an equality",
    ":=": "a definition, not a claim",
    "=:": "a definition, not a claim",
    "equiv": "an identity by definition (\\equiv), not checked",
    "<=": "an inequality, not checked", ">=": "an inequality, not checked",
    "<": "an inequality, not checked", ">": "an inequality, not checked",
    "!=": "a non-equality (\\neq), not checked", "to": "a limit or a map (\\to), not an equality",
    "in": "a set membership (\\in), not an equality",
}


@dataclass(frozen=True)
class StepResult:
    """The verdict on one step, with where it sits (the JSON schema of ``gaussproof check``)."""

    source: ExtractedStep
    verdict: str  # valid | invalid | not_checked
    method: str | None  # symbolic | numeric | None
    message: str
    counterexample: dict | None = None
    seconds: float = 0.0
    role: str = "assertion"  # definition | premise | equation | assertion | other (:mod:`.document`)
    uses: tuple[int, ...] = ()  # the lines of the definitions and premises the judgement used or set aside

    file = property(lambda self: self.source.file)
    line = property(lambda self: self.source.line)
    block = property(lambda self: self.source.block)
    lhs = property(lambda self: self.source.lhs)
    rhs = property(lambda self: self.source.rhs)
    relation = property(lambda self: self.source.relation)

    @property
    def step(self) -> str:
        return self.source.tex

    def to_json(self) -> dict:
        """The JSON record; in a notebook ``cell`` is added and ``line`` is the line in the cell."""
        record = {"file": self.file, "line": self.source.cell_line or self.line, "block": self.block,
                  "step": self.step, "lhs": self.lhs, "rhs": self.rhs, "relation": self.relation,
                  "reason": self.source.reason, "inline": self.source.inline, "verdict": self.verdict,
                  "method": self.method, "counterexample": self.counterexample, "message": self.message,
                  "role": self.role, "uses": list(self.uses)}
        if self.source.cell is not None:
            record["cell"] = self.source.cell
        return record


@lru_cache(maxsize=1)
def _scalar_context() -> Context:
    from ..registry import get

    definitions = dict(get("mle-univariate").definitions)
    definitions.update(get("unbiased-variance").definitions)
    return Context(definitions=definitions)


@lru_cache(maxsize=1)
def _matrix_context() -> Context:
    from ..registry import get

    definitions = dict(MATRIX_DEFINITIONS)
    definitions.update(get("conditional").definitions)  # Sigma_bb = K + Sigma_ba Sigma_aa^-1 Sigma_ab
    return Context(definitions=definitions, symmetric=MATRIX_SYMMETRIC | {pt.K})


def _model_hint(chain_text: str) -> str:
    """x ~ N(mu, Sigma) when the chain speaks of an unsubscripted Sigma and no Lambda; otherwise the
    linear-Gaussian model (x ~ N(mu, Lambda^-1), y = A x + b + epsilon)."""
    if re.search(r"\\Sigma(?!\s*_)", chain_text) and "\\Lambda" not in chain_text:
        return "affine"
    return "linear-gaussian"


_IDENTITY_SIZES = (None, pt.m, pt.n, sp.Symbol("q", integer=True, positive=True))


def _parse_pair(lhs: str, rhs: str, matrix: bool, hint: str, density: str | None = None, mean: str | None = None,
                reading: Reading = Reading(), seen: set | None = None, constants: frozenset = frozenset(),
                table: MatrixScope | None = None):
    """Both sides parsed; in matrix mode the identity's size is chosen so that the shapes fit, and the
    document's factorisations (``table``: Sigma = Q D Q^T) are applied. An unknown letter added to a vector
    (``Cx + d``) is a vector of its size, on both sides."""
    promoted = table
    if matrix:  # a letter one side makes a vector (z_a - mu_a) is that vector on the other side too
        for side in (lhs, rhs):
            promoted = _promotions(lambda scope: parse(side, matrix=True, model_hint=hint, density=density, mean=mean,
                                                       reading=reading, seen=set(), constants=constants, table=scope),
                                   promoted)
    return _promoting(lambda scope: _parse_sides(lhs, rhs, matrix, hint, density, mean, reading, seen, constants,
                                                 scope), promoted, matrix)


def _promotions(read, table: MatrixScope | None) -> MatrixScope | None:
    """``table`` with the letters that ``read`` adds to vectors made vectors (:func:`_promoting`); unchanged if
    ``read`` fails otherwise."""
    found: list[MatrixScope | None] = [table]

    def recording(scope):
        found[0] = scope
        return read(scope)

    try:
        _promoting(recording, table, True)
    except Unparsed:
        pass
    return found[0]


def _promoting(read, table: MatrixScope | None, matrix: bool):
    """``read(scope)``, again with each unknown letter that it adds to a vector or matrix (``Cx + d``) made a
    vector or matrix of that shape (at most four), so that the letter has one shape wherever it is used."""
    promoted: list[MatrixName] = []
    while True:
        scope = replace(table or MatrixScope(), names=(table.names if table else ()) + tuple(promoted)) \
            if promoted else table
        try:
            return read(scope)
        except LetterAddedToMatrix as exc:
            if not matrix or len(promoted) >= 4 or any(p.key == exc.name for p in promoted):
                raise Unparsed(exc.fragment, exc.reason) from None
            promoted.append(MatrixName(exc.name, *(str(d) for d in exc.shape)))


def _parse_sides(lhs: str, rhs: str, matrix: bool, hint: str, density: str | None, mean: str | None,
                 reading: Reading, seen: set | None, constants: frozenset, table: MatrixScope | None):
    uses_identity = matrix and re.search(r"(?<![a-zA-Z\\])I(?![a-zA-Z])", lhs + rhs)
    sizes = _IDENTITY_SIZES if uses_identity else (None,)
    first_error = None
    for size in sizes:
        try:
            left = parse(lhs, matrix=matrix, identity_size=size, model_hint=hint, density=density, mean=mean,
                         reading=reading, seen=seen, constants=constants, table=table)
            right = parse(rhs, matrix=matrix, identity_size=size, model_hint=hint, density=density, mean=mean,
                          reading=reading, seen=seen, constants=constants, table=table)
            left, right = _factorised(left, table, matrix), _factorised(right, table, matrix)
        except (Undetermined, LetterAddedToMatrix):
            raise
        except Unparsed as exc:
            first_error = first_error or exc
            continue
        left, right = _match_zero(left, right), _match_zero(right, left)
        if _shape(left) == _shape(right) or size is sizes[-1] or not uses_identity:
            return left, right
    raise first_error


def _factorised(value, table: MatrixScope | None, matrix: bool):
    """A parsed side in the document's matrix scope: at the sizes its numeric values fix (p = 2), with its
    factorisations applied (Sigma -> Q D Q^T, moments evaluated first so that the covariances they give are
    factorised too)."""
    if not (matrix and table and isinstance(value, sp.Basic)):
        return value
    sizes = _fixed_sizes(table)
    if sizes:
        value = value.subs(sizes)
    if table.values:  # the numbers given to matrices hold in the model's moments too (the mean m of x)
        value = value.doit().xreplace(_numeric_values(table))
    if not table.built:
        return value
    factorisations = table_factorisations(replace(table, sizes=()))
    if sizes:
        factorisations = {k.subs(sizes): v.subs(sizes) for k, v in factorisations.items()}
    if not value.has(*factorisations) and not value.has(MatrixExpectation, MatrixCovariance):
        return value
    return value.doit().xreplace(factorisations)


def _fixed_sizes(table: MatrixScope) -> dict:
    """{size symbol: number} of the sizes the step's numeric values fix (``table.sizes``: p = 2)."""
    return {sp.Symbol(name, integer=True, positive=True): size for name, size in table.sizes}


def _shape(value):
    return tuple(value.shape) if isinstance(value, (sp.MatrixBase, sp.MatrixExpr)) else None


def _match_zero(value, other):
    """A scalar 0 compared with a matrix is the zero matrix of its shape."""
    if _shape(value) is None and _shape(other) is not None and value == 0:
        return sp.ZeroMatrix(*other.shape)
    return value


def judge_pair(lhs: str, rhs: str, relation: str = "=", chain_text: str | None = None,
               seconds: float = STEP_TIME_LIMIT, density: str | None = None,
               mean: str | None = None, constants: frozenset = frozenset(),
               definitions: tuple = (), renames: tuple = (),
               table: MatrixScope | None = None, data: tuple = (),
               conditional: str | None = None) -> tuple[str, str | None, str, dict | None]:
    r"""(verdict, method, message, counterexample) for the step ``lhs relation rhs``. ``chain_text`` (all
    of the chain's LaTeX) decides scalar or matrix mode; by default the step's own text. ``density``: the
    ``p(..)`` a bare ``p`` refers to (see :func:`density_referents`); by default the last one in the step.
    ``mean``: the notes' name for the mean, if not mu (see :func:`mean_name`). ``constants``: the letters
    the notes declare constants (:func:`.scope.declared_constants`). ``definitions``: the document's
    definitions the step uses, (lhs, rhs, line) in order (:class:`.document.Scope`): each name is replaced by
    its definition; a step that uses a definition the checker cannot read is not checked. ``renames``: (the
    document's name, the profile's name) from the distribution premises the profile models (``X`` -> ``x``,
    ``m`` -> ``\mu``), applied after the definitions. ``table``: in matrix notes, what the document's premises
    say its vectors and matrices are (:mod:`.matrix_scope`). ``data``: the observations the notes give
    (``x = (1, 3, 4, 8)``), (line, values): a number computed from the data is judged at them. ``conditional``:
    the last conditional density ``p(v | ..)`` written before the step, whose v a step ``a = b + \text{const}``
    is taken in when its chain does not start with a density.

    Notation with more than one plausible reading (:class:`.parse.Reading`) is judged under each: valid or
    invalid only if all of them agree, else not checked, naming the readings."""
    if relation == "propto":
        return _judge_proportional(lhs, rhs, chain_text if chain_text is not None else lhs, seconds, density, mean,
                                   constants, definitions, renames, table)
    constant = _ADDITIVE_CONSTANT.search(rhs) if relation == "=" else None
    if constant:  # a = b + const: a - b does not depend on the variable
        chain = chain_text if chain_text is not None else lhs
        named = chain if _PROPORTIONAL_IN.match(_renamed(chain, renames)) else conditional
        return _judge_proportional(lhs, rhs[:constant.start()], chain, seconds, density, mean, constants,
                                   definitions, renames, table, additive=True, variables_text=named)
    if relation not in ("=", "sim"):
        return "not_checked", None, _NOT_EQUALITIES.get(relation, f"relation {relation!r} is not checked"), None
    chain_text = chain_text if chain_text is not None else f"{lhs} = {rhs}"
    if density is None:
        density = (_density_calls(lhs) + _density_calls(rhs) or [None])[-1]
    renamed = tuple((_renamed(name, renames), _renamed(value, renames), line) for name, value, line in definitions)
    lhs, rhs, chain_text = _renamed(lhs, renames), _renamed(rhs, renames), _renamed(chain_text, renames)
    matrix = looks_like_matrix(chain_text) or bool(table and table.mentions(
        " ".join([chain_text] + [value for _, value, _ in renamed]))) or bool(
        table and any(looks_like_matrix(value) for _, value, _ in renamed))
    scatter = [name for name, value, _ in renamed if matrix and _is_scatter_matrix(name, value)]
    if scatter and not RANDOM_OPERATORS.search(f"{lhs} {rhs}"):
        # S := sum_i (v_i)(v_i)^T: any symmetric matrix, whatever the data (not substituted); never under E, where
        # it is random
        renamed = tuple(d for d in renamed if d[0] not in scatter)
        table = replace(table or MatrixScope(), names=(table.names if table else ()) + tuple(
            MatrixName(key_of(name), "p", "p", "symmetric") for name in scatter))
    usable, unusable, (sizes, values) = _usable_definitions(renamed, matrix, _model_hint(chain_text), density, mean,
                                                            constants, table)
    if sizes:
        table = replace(table or MatrixScope(), sizes=sizes, values=values)
        fixed = _factors_fixed_by_values(table, usable, f"{lhs} {rhs}")
        if fixed:
            return "not_checked", None, fixed, None
    blocking = [reason for reason, known in unusable if known]
    if blocking:
        return "not_checked", None, blocking[0], None
    for _ in range(len(usable) + 1):  # until no defined name is left (a definition may use another)
        before = (lhs, rhs)
        for name_tex, value_tex, _ in usable:
            lhs, rhs = substitute_name(lhs, name_tex, value_tex), substitute_name(rhs, name_tex, value_tex)
        if (lhs, rhs) == before or len(lhs) + len(rhs) > 20_000:
            break
    if table and table.joint and usable:  # the numbers given to the parameters of jointly Gaussian scalars
        table = replace(table, joint=tuple(_substituted(joint, usable) for joint in table.joint))
    if relation == "sim":
        verdict = _judge_distribution(lhs, rhs, matrix, _model_hint(chain_text), constants, table, seconds)
    else:
        verdict = _judge_readings(lhs, rhs, matrix, chain_text, seconds, density, mean, constants, table, data)
    if verdict[0] == "invalid" and unusable:  # the definition it could not substitute may make it hold
        return "not_checked", None, f"{unusable[0][0]}; without it: {verdict[2]}", None
    return verdict


def _substituted(joint: JointGaussian, usable: list) -> JointGaussian:
    """The joint premise with the definitions (numbers given to its parameters) substituted in its entries."""
    def value(tex: str) -> str:
        for name_tex, value_tex, _ in usable:
            tex = substitute_name(tex, name_tex, value_tex)
        return tex

    return JointGaussian(joint.variables, tuple(value(t) for t in joint.means),
                         tuple(tuple(value(t) for t in row) for row in joint.covariance))


_PROPORTIONAL_IN = re.compile(r"^\s*p\s*(?:\\left\s*)?\(\s*(?P<variables>[^|)]*?)\s*(?:\||\\mid|\))")


_GIVEN = re.compile(r"\\mid|(?<!\\)\|")


def _judge_distribution(lhs: str, rhs: str, matrix: bool, hint: str, constants: frozenset,
                        table: MatrixScope | None, seconds: float) -> tuple[str, str | None, str, dict | None]:
    r"""``v \sim \mathcal{N}(m, S)`` for a v the document's premises make random: a vector of its model (a
    defined ``y := Cx + d``), or a scalar of a joint Gaussian premise; ``u \mid v \sim \mathcal{N}(m, S)`` for
    such u and v. Valid if the mean and the covariance (the variance of a scalar) are m and S, both judged by
    the shared checker; invalid if either fails. A vector is Gaussian (and its conditional law the Schur
    complement's) when it is affine in Gaussian variables, which is what the premises' moments are of."""
    arguments = gaussian_parameters(rhs) or []
    joint = bool(table and table.joint) and not matrix
    if not (matrix or joint) or len(arguments) != 2:
        return "not_checked", None, "a distribution statement the checker does not judge (not a Gaussian vector)", None
    parts = _GIVEN.split(lhs, maxsplit=1)
    target, given = parts[0].strip(), (parts[1].strip() if len(parts) == 2 else None)
    bar = rf" \mid {given}" if given else ""
    spread = r"\operatorname{Cov}" if matrix else r"\operatorname{Var}"
    try:
        def read(tex):
            return _promoting(lambda scope: parse(tex, matrix=matrix, model_hint=hint, seen=set(), constants=constants,
                                                  table=scope), table, matrix)

        values = [read(t) for t in [target] + ([given] if given else [])]
        if matrix:
            model, subst = matrix_model(values, hint, table)
            randoms = set(model.means)
            if not (_is_random(values[0], model, subst) and _shape(values[0]) and _shape(values[0])[1] == 1):
                return ("not_checked", None, "a distribution statement of a vector the document's model does not "
                        "make random", None)
            stacked = _stacked_blocks(values[0])
            affine = all(_affine_in(v.xreplace(subst), randoms) for v in values[1:] + (stacked or values[:1]))
        else:
            variables = {v for value in values for v in value.atoms(GaussianVariable)}
            if not values[0].atoms(GaussianVariable):
                return ("not_checked", None, "a distribution statement of a scalar the document's premises do not "
                        "make random", None)
            affine = all(degree_in(v, variables) <= 1 for v in values)
        if not affine:
            return ("not_checked", None, "a distribution statement of a variable that is not affine in the "
                    "premises' Gaussian variables (then it need not be Gaussian)", None)
        if matrix and not given and stacked:  # (x; z): the blocks' means, and their covariances by pairs
            blocks = [b.xreplace(subst) for b in stacked]
            moments = (sp.BlockMatrix([[MatrixExpectation(b, model).doit()] for b in blocks]),
                       sp.BlockMatrix([[MatrixCovariance(a, b, model).doit() for b in blocks] for a in blocks]))
        elif matrix and not given:
            u = values[0].xreplace(subst)
            moments = (MatrixExpectation(u, model).doit(), MatrixCovariance(u, u, model).doit())
        else:
            moments = (read(rf"\mathbb{{E}}\left[{target}{bar}\right]"), read(rf"{spread}\left[{target}{bar}\right]"))
        moments = tuple(_factorised(m, table, True) for m in moments) if matrix else moments
        mean, covariance = read(arguments[0]), read(arguments[1])
    except Unparsed as exc:
        return "not_checked", None, f"unparsed: {exc.reason}: {exc.fragment}", None
    verdicts = [_check_parsed(moment, _match_zero(value, moment), _context(matrix, Reading(), table), seconds)
                for moment, value in zip(moments, (mean, covariance))]
    names = ("the mean", "the covariance" if matrix else "the variance")
    source = "the model" if matrix else "the premises"
    for (status, method, message, example), name in zip(verdicts, names):
        if status == "invalid":
            return status, method, f"{name} is not the one {source} give{'s' if matrix else ''}: {message}", example
    if all(v[0] == "valid" for v in verdicts):
        methods = {v[1] for v in verdicts}
        return "valid", "symbolic" if methods == {"symbolic"} else "numeric", \
            f"the mean and {names[1]} {source} give{'s' if matrix else ''}: {verdicts[0][2]}; {verdicts[1][2]}", None
    return "not_checked", None, next(v[2] for v in verdicts if v[0] == "not_checked"), None


def _stacked_blocks(value) -> list | None:
    """The blocks of a stacked vector ``(x; z)`` (a column of blocks), None for any other value."""
    if isinstance(value, sp.BlockMatrix) and value.blocks.shape[1] == 1 and value.blocks.shape[0] > 1:
        return list(value.blocks)
    return None


def _affine_in(value, randoms: set) -> bool:
    """Whether a vector expression is affine in the random vectors: after expanding, no term holds two of them
    (or one twice), and none sits inside an inverse, a determinant, a trace or a function."""
    expanded = sp.expand(value.doit()) if isinstance(value, sp.Basic) else value
    for term in (expanded.args if isinstance(expanded, (sp.MatAdd, sp.Add)) else (expanded,)):
        count = 0
        for node in sp.preorder_traversal(term):
            if node in randoms:
                count += 1
            elif isinstance(node, (sp.Inverse, sp.Determinant, sp.Trace, sp.Function, sp.Pow, sp.MatPow)) and \
                    node.free_symbols & randoms:
                return False
        if count > 1:
            return False
    return True


def _is_random(value, model, subst) -> bool:
    return bool(value.free_symbols & (set(model.means) | set(subst)))


#: ``+ \text{const}`` at the end of a side: equal up to a term free of the variable
_ADDITIVE_CONSTANT = re.compile(r"\s*\+\s*\\(?:text|mathrm|operatorname)\s*\{\s*(?:const|constant)\.?\s*\}\s*$")


def _judge_proportional(lhs: str, rhs: str, chain_text: str, seconds: float, density: str | None,
                        mean: str | None, constants: frozenset, definitions: tuple,
                        renames: tuple, table: MatrixScope | None = None, additive: bool = False,
                        variables_text: str | None = None) -> tuple[str, str | None, str, dict | None]:
    r"""``lhs \propto rhs`` as a function of the variables of the density the chain starts with
    (``p(x_a | x_b) \propto ...``: x_a): valid if the ratio lhs / rhs does not depend on them, i.e. if
    lhs(v) rhs(w) = lhs(w) rhs(v) for any two values v, w (judged by the shared checker, so with the same proof
    or randomised test as any equality); invalid with a counterexample if it does. Not checked when the chain
    does not start with a density, so that the variable is not clear. ``additive``: ``lhs = rhs + const``, valid
    if lhs - rhs does not depend on the variables (those of the density ``variables_text`` starts with, if
    given), lhs(v) - rhs(v) = lhs(w) - rhs(w)."""
    chain_text = _renamed(chain_text, renames)
    found = _PROPORTIONAL_IN.match(_renamed(variables_text, renames) if variables_text else chain_text)
    relation = "equal up to a constant" if additive else "proportional (\\propto)"
    if not found or not found.group("variables").strip():
        return "not_checked", None, (f"{relation} in a variable the notes do not name (the chain does not start "
                                     "with a density p(..)), not checked"), None
    matrix = looks_like_matrix(chain_text) or bool(table and table.mentions(chain_text))
    hint = _model_hint(chain_text)
    lhs, rhs = _renamed(lhs, renames), _renamed(rhs, renames)
    try:
        left, right = _parse_pair(lhs, rhs, matrix, hint, density, mean, constants=constants, table=table)
        variables = [parse(v, matrix=matrix, model_hint=hint, density=density, mean=mean, seen=set(),
                           constants=constants, table=table) for v in found.group("variables").split(",")]
    except Unparsed as exc:
        return "not_checked", None, f"unparsed: {exc.reason}: {exc.fragment}", None
    if not all(isinstance(v, (sp.Symbol, sp.MatrixSymbol)) for v in variables):
        return "not_checked", None, "proportional (\\propto) in a variable the checker cannot read", None
    # the variable as the sides read it (a letter the sides make a vector, z_a - mu_a, is a vector there too);
    # a variable neither side holds would make the ratio constant for nothing: not checked
    held = {getattr(a, "name", None): a for side in (left, right) if isinstance(side, sp.Basic)
            for a in side.free_symbols | side.atoms(sp.MatrixSymbol)}
    variables = [v if any(isinstance(side, sp.Basic) and side.has(v) for side in (left, right)) else held.get(v.name)
                 for v in variables]
    if any(v is None for v in variables):
        return ("not_checked", None, "proportional (\\propto) in a variable neither side holds as the checker reads "
                "it", None)
    def copy(variable, tag: str):
        if isinstance(variable, sp.MatrixSymbol):
            return sp.MatrixSymbol(f"{variable.name}_{tag}", *variable.shape)
        return sp.Symbol(f"{variable.name}_{tag}", **variable.assumptions0)
    first = {v: copy(v, "v") for v in variables}
    second = {v: copy(v, "w") for v in variables}
    def at(side, values):
        return side.xreplace(values) if isinstance(side, sp.Basic) else side
    try:
        if additive:
            cross_left = at(left, first) - at(right, first)
            cross_right = at(left, second) - at(right, second)
        else:
            cross_left = at(left, first) * at(right, second)
            cross_right = at(left, second) * at(right, first)
    except Exception as exc:  # shapes that do not multiply
        return "not_checked", None, f"{relation}: the sides could not be compared ({exc})", None
    names = ", ".join(v.strip() for v in found.group("variables").split(","))
    status, method, message, example = _check_parsed(cross_left, cross_right, _context(matrix, Reading(), table),
                                                    seconds)
    what = "difference" if additive else "ratio"
    if status == "valid":
        message = (f"{'equal up to a term free of' if additive else 'proportional in'} {names}: the {what} of the "
                   f"sides does not depend on it ({message})")
    elif status == "invalid":
        message = (f"{'not equal up to a term free of' if additive else 'not proportional in'} {names}: the {what} "
                   f"of the sides changes with it ({message})")
    return status, method, message, example


def _renamed(text: str, renames: tuple) -> str:
    for name_tex, profile_tex in renames:
        text = _rename(text, name_tex, profile_tex)
    return text


def _judge_readings(lhs: str, rhs: str, matrix: bool, chain_text: str, seconds: float, density: str | None,
                    mean: str | None, constants: frozenset,
                    table: MatrixScope | None = None, data: tuple = ()) -> tuple[str, str | None, str, dict | None]:
    """The verdict on ``lhs = rhs`` under every reading of its notation (:func:`judge_pair`'s second half)."""
    try:
        readings = _readings(lhs, rhs, matrix, _model_hint(chain_text), density, mean, constants, chain_text, table)
    except Undetermined as exc:
        return "not_checked", None, f"{exc.reason}: {exc.fragment}", None
    except Unparsed as exc:
        return "not_checked", None, f"unparsed: {exc.reason}: {exc.fragment}", None
    except RecursionError:
        return "not_checked", None, "unparsed: nested too deeply", None
    model = bool(_MODEL_STATED.search(chain_text))
    verdicts = []
    for reading, left, right in readings:
        context = _context(matrix, reading, table)
        verdict = _model_sizes_misfit(left, right, model, _check_parsed(left, right, context, seconds))
        verdict = _blocks_and_whole(left, right, _partition_sizes_misfit(left, right, verdict))
        verdict = _symbolic_against_explicit_sizes(left, right, verdict)
        verdict = _numbers_beside_symbolic_sizes(left, right, verdict)
        verdict = _data_values_unknown(left, right, verdict)
        if data and verdict[2].startswith("a numeric value of an expression"):
            verdict = _at_the_data(left, right, data, context, seconds) or verdict
        verdicts.append((reading, verdict))
    return _combine(verdicts)


_PARTITION = {pt.m + pt.n}


def _partition_sizes_misfit(left, right, verdict: tuple) -> tuple:
    """Sides of shapes (p, p) and (m + n, m + n) (a matrix written as its blocks): the notes partition it, the
    checker's sizes p and m + n are its own: not checked rather than invalid."""
    status, _, message, _ = verdict
    shapes = {_shape(left), _shape(right)}
    if status != "invalid" or None in shapes or len(shapes) != 2:
        return verdict
    sizes = {size for shape in shapes for size in shape}
    if sizes & _PARTITION and not all(s in _PARTITION or s == 1 for s in sizes):
        return ("not_checked", None, f"the notes write a matrix as its blocks; its size and the blocks' (m + n) "
                f"are the checker's own sizes, which the notes do not relate ({message})", None)
    return verdict


def _symbolic_against_explicit_sizes(left, right, verdict: tuple) -> tuple:
    """Sides of shapes (p, p) and (2, 2), or a matrix of shape (m, m) against a number: a matrix of the checker's
    symbolic size against one the notes write out, or whose blocks they give numbers in the prose (a numeric
    example): the notes' size is not the checker's, so the shapes differing is no error."""
    if verdict[0] != "invalid":
        return verdict
    shapes = [_shape(left), _shape(right)]
    if shapes[0] == shapes[1]:
        return verdict
    symbolic = [shape is not None and any(not sp.sympify(d).is_number for d in shape) for shape in shapes]
    explicit = [shape is not None and not symbolic[k] or shape is None and isinstance(side, sp.Basic)
                and not side.free_symbols for k, (shape, side) in enumerate(zip(shapes, (left, right)))]
    if symbolic[0] and explicit[1] or symbolic[1] and explicit[0]:
        return ("not_checked", None, f"a matrix of the checker's symbolic size against one the notes write out "
                f"({verdict[2]})", None)
    return verdict


def _numbers_beside_symbolic_sizes(left, right, verdict: tuple) -> tuple:
    """A step whose shapes do not fit at the sizes drawn, where a matrix of numbers (a value the notes give,
    a = (1, -1)) stands beside matrices of the checker's symbolic sizes: the numbers fix a size the checker
    did not tie to its symbols, so the misfit is no error."""
    if verdict[0] != "invalid" or "shapes do not fit" not in verdict[2]:
        return verdict
    sides = [side for side in (left, right) if isinstance(side, sp.Basic)]
    explicit = any(isinstance(a, sp.MatrixBase) and not a.free_symbols for side in sides for a in sp.preorder_traversal(side))
    symbolic = any(any(not sp.sympify(d).is_number for d in m.shape)
                   for side in sides for m in side.atoms(sp.MatrixSymbol))
    if explicit and symbolic:
        return ("not_checked", None, f"a matrix of numbers beside matrices of the checker's symbolic sizes "
                f"({verdict[2]})", None)
    return verdict


def _blocks_and_whole(left, right, verdict: tuple) -> tuple:
    """A step that speaks of a vector or matrix and of its blocks (x and x_a, \\Lambda and \\Lambda_{aa}): the
    checker does not relate them (its x is not made of x_a and x_b), so the two sides differing is no error."""
    if verdict[0] != "invalid":
        return verdict
    names = {m.name for side in (left, right) if isinstance(side, sp.Basic) for m in side.atoms(sp.MatrixSymbol)}
    whole = {n for n in names if "_" not in n}
    blocks = {n.split("_")[0] for n in names if "_" in n}
    if whole & blocks:
        return ("not_checked", None, f"it relates {', '.join(sorted(whole & blocks))} to its blocks, which the checker "
                f"does not (as unrelated symbols: {verdict[2]})", None)
    return verdict


def _at_the_data(left, right, data: tuple, context: Context, seconds: float) -> tuple | None:
    """The verdict on a number computed from the data (``\\hat\\sigma^2 = \\frac{9 + 1 + 0 + 16}{3}``) at the
    observations the notes give, ``data`` = (line, values): the estimates' definitions written out, N and each
    x_i given their values. None if something besides the data is left (mu, sigma^2: not computable)."""
    line, values = data
    numbers = [sp.Rational(v) for v in values]
    at = {N: len(numbers)}
    observations = {x_data[k]: v for k, v in enumerate(numbers, start=1)}

    def evaluate(side):
        for _ in range(6):
            expanded = side.xreplace(context.definitions)
            if expanded == side:
                break
            side = expanded
        return sp.sympify(side).subs(at).doit().xreplace(observations)

    try:
        left_at, right_at = evaluate(left), evaluate(right)
    except Exception:  # a form SymPy cannot write out: the step stays not checked
        return None
    if left_at.free_symbols or right_at.free_symbols:
        return None
    status, method, message, example = _check_parsed(left_at, right_at, context, seconds)
    if status == "not_checked":
        return None
    where = f"at the data on line {line} (N = {len(numbers)})"
    if status == "valid":
        return status, method, f"{where}: {message}", example
    return status, method, f"{where} the two sides are {left_at} and {right_at}", {"N": str(len(numbers)),
                                                                                 "lhs": str(left_at),
                                                                                 "rhs": str(right_at)}


def _data_values_unknown(left, right, verdict: tuple) -> tuple:
    """A number (not 0) on one side and an expression in symbols on the other (``\\hat\\mu = \\frac{1 + 3 + 4}{3}``,
    ``\\lambda_n = 1 + 1``): a value computed from data, or from values the prose gives, that the checker has not
    read; not checked rather than invalid (an ``= 0`` stays an equation or an identity)."""
    status, _, message, _ = verdict
    if status != "invalid":
        return verdict
    sides = [side for side in (left, right) if isinstance(side, sp.Basic)]
    if len(sides) != 2 or _shape(left) not in (None, (1, 1)) or _shape(right) not in (None, (1, 1)):
        return verdict  # (a 1 x 1 product, a quadratic form, is a number too)
    numbers = [side for side in sides if not side.free_symbols and side != 0]
    symbolic = [side for side in sides if side.free_symbols - {N}]
    if numbers and symbolic:
        return ("not_checked", None, "a numeric value of an expression in symbols whose values (the data, or "
                f"values given in the prose) the checker does not read (as an identity: {message})", None)
    return verdict


_NAME_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|[^\s{}]")


def _name_tokens(name_tex: str) -> tuple[list[str], str | None]:
    """The tokens of a defined name without its power (``\\mathbf{S}`` -> [\\mathbf, S]; ``z_{k}`` -> [z, _, k])
    and the power it was written with (``r^2`` -> "2"), if any."""
    power = re.search(r"\^\s*\{?\s*(\d)\s*\}?\s*(?:_.*)?$", name_tex)
    core = name_tex[:power.start()] + (name_tex[power.end(1):].lstrip(" }") if power else "") if power else name_tex
    return _NAME_TOKEN.findall(core), power.group(1) if power else None


def _match_name(text: str, at: int, tokens: list[str]) -> int | None:
    """The end of the name ``tokens`` written at ``at`` (braces and spaces between its tokens allowed)."""
    if tokens[0][0] != "\\" and _inside_macro_name(text, at):
        return None
    k, opened = at, 0
    for number, token in enumerate(tokens):
        while number and k < len(text) and text[k] in " {":
            opened += text[k] == "{"
            k += 1
        if not text.startswith(token, k):
            return None
        k += len(token)
        if token[0] == "\\" and token[1:].isalpha() and k < len(text) and text[k].isalpha():
            return None  # \sigma is not \sigmaX
        while opened and k < len(text) and text[k] in " }":
            opened -= text[k] == "}"
            k += 1
    if opened or (k < len(text) and text[k] == "_"):
        return None  # the name with a subscript: another object
    return k


def _inside_macro_name(text: str, at: int) -> bool:
    """Whether the letter at ``at`` is part of a command's name (``\\mu``, ``\\det``), not a letter of its own
    (in ``Cm`` the m is one: letters side by side are a product)."""
    k = at
    while k > 0 and text[k - 1].isalpha():
        k -= 1
    return k > 0 and text[k - 1] == "\\"


def _rename(text: str, name_tex: str, profile_tex: str) -> str:
    """A document's name replaced by the profile's: a single letter everywhere it is a letter of its own
    (``X_i`` -> ``x_i``, ``\\bar X`` -> ``\\bar x``), any other name as :func:`substitute_name` does."""
    if re.fullmatch(r"[A-Za-z]", name_tex):
        return "".join(f" {profile_tex} " if token == name_tex else token for token in _WORDS_KEPT.findall(text))
    return substitute_name(text, name_tex, profile_tex)


#: text whose letters are never names: environment names and spelled words
_SPELLED_WORDS = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}|\\(?:text|mathrm|operatorname|textrm|mbox|textbf|textit)\*?"
                            r"\s*\{[^{}]*\}")
#: tokens: those, then a command, then any other character
_WORDS_KEPT = re.compile(_SPELLED_WORDS.pattern + r"|\\[a-zA-Z]+|\\.|.", re.DOTALL)


def substitute_name(text: str, name_tex: str, value_tex: str) -> str:
    r"""``text`` with every occurrence of the defined name replaced by its definition, as a group:
    ``\Delta`` -> ``{\left(value\right)}``; a name defined with a power (``r^2 = value``) is replaced with that
    power by the value, and alone by its root."""
    tokens, power = _name_tokens(name_tex.strip())
    if not tokens:
        return text
    kept = {m.start(): m.end() for m in _SPELLED_WORDS.finditer(text)}  # environment names, \text{..}: skipped
    plain = re.fullmatch(r"\s*(?:\\[a-zA-Z]+|[A-Za-z])\s*", value_tex)  # a name for a name: no group needed
    group = f" {value_tex.strip()} " if plain else f"{{\\left({value_tex}\\right)}}"
    out, k = [], 0
    while k < len(text):
        if k in kept:
            out.append(text[k:kept[k]])
            k = kept[k]
            continue
        end = _match_name(text, k, tokens) if text.startswith(tokens[0], k) else None
        if end is None:
            out.append(text[k])
            k += 1
            continue
        written_power = re.match(r"\s*\^\s*(?:\{\s*(\d)\s*\}|(\d))", text[end:]) if power else None
        if power and written_power and (written_power.group(1) or written_power.group(2)) == power:
            out.append(group)
            end += written_power.end()
        elif power:
            out.append(f"{{\\left({value_tex}\\right)^{{1/{power}}}}}")
        else:
            out.append(group)
        k = end
    return "".join(out)


_OUTER_PRODUCT = re.compile(r"^\\sum_\s*\{[^{}]*\}(?:\^\s*\{?\s*\w+\s*\}?)?\s*(?:\\left)?\s*\((?P<v>[^()]+)(?:\\right)?\s*\)\s*"
                            r"(?:\\left)?\s*\((?P<w>[^()]+)(?:\\right)?\s*\)\s*\^\s*\{?\s*(?:\\top|T|\\mathsf\{T\})\s*\}?\s*$")


def _is_scatter_matrix(name: str, value: str) -> bool:
    r"""Whether a definition makes a capital letter a sum of outer products of one vector with itself
    (``\mathbf{S} := \sum_{i=1}^{N}(x_i - \bar x)(x_i - \bar x)^\top``): a symmetric matrix, and, for data of
    more points than dimensions, any symmetric positive semi-definite one, so that a rational identity holds for
    it exactly when it holds for every symmetric matrix (its steps are judged with S a symmetric matrix)."""
    key = key_of(name)
    found = _OUTER_PRODUCT.match(" ".join(value.split()))
    return bool(key and re.fullmatch(r"[A-Z]", key) and found and
                found.group("v").replace(" ", "") == found.group("w").replace(" ", ""))


def _usable_definitions(definitions: tuple, matrix: bool, hint: str, density: str | None, mean: str | None,
                        constants: frozenset, table: MatrixScope | None = None) -> tuple[list, list[tuple[str, bool]]]:
    """The document's definitions split into those the checker can substitute (readable, the value of its
    name's shape) and the others, each with the reason and whether its name is one the notation profile
    defines (then a step that uses it cannot be judged at all)."""
    usable, unusable = [], []
    context = _matrix_context() if matrix else _scalar_context()
    sizes: dict = {}  # the symbolic sizes the numeric values fix
    values: list = []  # (name, value) of the matrices given numbers

    def read(tex: str):
        return _promoting(lambda scope: parse(tex, matrix=matrix, model_hint=hint, density=density, mean=mean,
                                              seen=set(), constants=constants, table=scope), table, matrix)

    for lhs, rhs, line in definitions:
        try:
            left = read(lhs)
        except Unparsed as exc:
            if _value_stands_for_the_name(lhs, rhs, matrix, read):
                usable.append((lhs, rhs, line))  # the name is replaced by its value: never read itself
            else:
                unusable.append((f"it uses {lhs}, defined on line {line}, whose name the checker cannot read "
                                 f"({exc.reason})", True))
            continue
        if left == sp.E and lhs.strip() == "e" and _value_stands_for_the_name(lhs, rhs, matrix, read):
            usable.append((lhs, rhs, line))  # the notes' own e (a residual), not Euler's number
            continue
        key = left.base if isinstance(left, sp.Pow) and (left.exp.is_Integer and left.exp > 0 or
                                                         left.exp == sp.S.Half) else left  # sigma_x: sqrt(sigma_x^2)
        known = isinstance(key, sp.Basic) and key in context.definitions
        try:
            right = read(rhs)
        except Unparsed as exc:
            unusable.append((f"it uses {lhs}, defined on line {line} in a form the checker cannot read "
                             f"({exc.reason}: {exc.fragment})", known))
            continue
        value = right if key is left else right ** 2 if left.exp == sp.S.Half else right ** sp.Rational(1, int(left.exp))
        if not isinstance(key, (sp.Symbol, sp.MatrixSymbol, sp.Indexed)) or (
                isinstance(value, sp.Basic) and key in value.free_symbols):
            unusable.append((f"it uses {lhs}, defined on line {line} by an expression the checker cannot "
                             f"substitute", known))
        elif _shape(key) != _shape(value) and _fixes_sizes(key, value, sizes):
            usable.append((lhs, rhs, line))
            values.append((lhs, rhs))
        elif _shape(key) is None and _shape(value) is not None and (is_unknown_letter(key) or
                                                                     key in INDEX_LETTERS_NOT_SIZES):
            usable.append((lhs, rhs, line))  # a letter the notation does not know takes its value's shape
        elif _shape(key) is None and _shape(value) == (1, 1):
            usable.append((lhs, rhs, line))  # a scalar defined by a 1 x 1 product (z_k = q_k^T (x - m))
        elif _same_kind_of_matrix(key, value):
            usable.append((lhs, rhs, line))  # the notes' own vector y := Cx + d, whatever the profile's size of y
        elif _shape(key) != _shape(value):  # a matrix defined by what reads as a scalar (or the other way round)
            unusable.append((f"it uses {lhs}, defined on line {line} by an expression that the checker reads "
                             f"with another shape ({_shape(value) or 'a scalar'} for {_shape(key) or 'a scalar'})",
                             known))
        else:
            usable.append((lhs, rhs, line))
    return usable, unusable, (tuple(sorted((str(k), int(v)) for k, v in sizes.items())), tuple(values))


@lru_cache(maxsize=64)
def _numeric_values(table: MatrixScope) -> dict:
    """{matrix symbol at the fixed sizes: its matrix of numbers} for the values a step uses."""
    sizes = _fixed_sizes(table)
    bare = replace(table, sizes=(), values=())
    values = {}
    for name, value in table.values:
        number = parse(value, matrix=True, table=bare)
        values[parse(name, matrix=True, table=bare).subs(sizes)] = \
            number if isinstance(number, sp.MatrixBase) else sp.ImmutableMatrix([[number]])
    for target, product in table.built:  # Sigma = L L^T with numbers for Sigma: L is its Cholesky factor
        factor = _cholesky_factor(table, product)
        key = parse(tex_of(target), matrix=True, table=bare)
        value = values.get(key.subs(sizes)) if factor is not None else None
        if value is not None and value.is_symmetric() and value.is_positive_definite:
            values[factor.subs(sizes)] = sp.ImmutableMatrix(sp.Matrix(value).cholesky(hermitian=False))
    return values


def _cholesky_factor(table: MatrixScope, product: str):
    """The lower-triangular factor L of a factorisation ``L L^\top`` (a Cholesky factor: unique for a symmetric
    positive-definite product, so numbers given to the product fix it), None for any other product."""
    found = re.fullmatch(r"\s*(?P<f>\\[A-Z][a-z]*|[A-Z])\s*(?P=f)\s*\^\s*\{?\s*(?:\\top|T|\\intercal)\s*\}?\s*", product)
    entry = table.name(key_of(found.group("f"))) if found else None
    return table_symbol(replace(table, sizes=(), values=()), entry.key) if entry and entry.kind == "lower" else None


def _factors_fixed_by_values(table: MatrixScope, usable: list, text: str) -> str | None:
    """The reason a step is not checked when it uses a factor of a factorisation (L of Sigma = L L^T) and the
    numeric value the notes give the product: the value fixes the factor, which the checker does not solve
    for (its random factors would not multiply to the value); None otherwise."""
    valued = {key_of(name): line for name, _, line in usable}
    for target, product in table.built:
        if target in valued and _cholesky_factor(table, product) is None:
            factors = {key_of(f.group(0)) for f in re.finditer(r"\\[A-Z][a-z]*|[A-Z]", product)
                       if key_of(f.group(0))} - {None}
            used = [f for f in factors if table.name(f) and replace(table, names=(table.name(f),)).mentions(text)]
            if used:
                return (f"it uses {', '.join(sorted(used))} and the value given to {target} on line {valued[target]}, "
                        f"which fixes {', '.join(sorted(used))} through {target} = {product}; the checker does not "
                        "solve for the factors")
    return None


def _same_kind_of_matrix(key, value) -> bool:
    """Whether a matrix name of symbolic size is defined by a matrix expression at other symbolic sizes (a
    vector of size p for the profile's y of size q; the notes' gain K, p x q, for the profile's K, p x p): the
    document's meaning of the name wins. Never a 1 x 1 value (a quadratic form) for a vector or matrix."""
    if not (isinstance(key, sp.MatrixSymbol) and isinstance(value, sp.MatrixExpr)) or value.shape == (1, 1):
        return False
    return not any(sp.sympify(d).is_number for d in (*key.shape, *value.shape) if d != 1)


def _value_stands_for_the_name(lhs: str, rhs: str, matrix: bool, read) -> bool:
    r"""Whether a definition whose name the grammar cannot read (``\tilde\sigma^2``, ``\hat m`` in matrix
    notes) can still be substituted: its left side is a name, and its value reads with a shape the name may
    have (a scalar in scalar notes; a vector or matrix, never 1 x 1, in matrix notes)."""
    if name_of(lhs) is None:
        return False
    try:
        value = read(rhs)
    except Unparsed:
        return False
    shape = _shape(value)
    return shape not in (None, (1, 1)) if matrix else shape is None


def _fixes_sizes(key, value, sizes: dict) -> bool:
    """Whether a matrix name of symbolic size (A, q x p) is given a matrix of numbers (2 x 2), or a block
    (Sigma_{11}, m x m) a number (then 1 x 1), whose sizes then hold for the step (recorded in ``sizes``; False
    if they contradict sizes already fixed)."""
    if isinstance(key, sp.MatrixSymbol) and isinstance(value, sp.Number):
        value = sp.ImmutableMatrix([[value]])  # a number given to a block Sigma_{11}: the blocks are 1 x 1
    if not (isinstance(key, sp.MatrixSymbol) and isinstance(value, sp.MatrixBase) and not value.free_symbols):
        return False
    wanted = {}
    for symbolic, size in zip(key.shape, value.shape):
        if isinstance(symbolic, sp.Symbol):
            wanted[symbolic] = size
        elif symbolic != size:
            return False
    if any(sizes.get(k, v) != v or wanted.get(k, v) != v for k, v in {**wanted, **sizes}.items()):
        return False
    sizes.update(wanted)
    return bool(wanted)


_MODEL_SIZED = frozenset({lg.A, lg.y, lg.b, lg.L, lg.eps})


#: the notes state the linear-Gaussian model when the chain speaks of its precision Lambda or its noise epsilon
_MODEL_STATED = re.compile(r"\\Lambda|\\(?:var)?epsilon")


def _model_sizes_misfit(left, right, model: bool, verdict: tuple) -> tuple:
    """A shape error in a step that uses the linear-Gaussian model's A, y, b, L or epsilon without stating the
    model (``model``), whose sizes (y of size q, A q x p) are then the checker's assumption, not the notes':
    not checked rather than invalid."""
    status, _, message, _ = verdict
    if model:
        return verdict
    atoms = set().union(*(v.atoms(sp.MatrixSymbol) for v in (left, right) if isinstance(v, sp.Basic)))
    if status == "invalid" and atoms & _MODEL_SIZED and ("shapes do not fit" in message
                                                         or "different shapes" in message):
        return ("not_checked", None, f"the sizes assumed for the linear-Gaussian model (A q x p, x of size p, y "
                f"of size q) do not fit this step ({message})", None)
    return verdict


def _check_parsed(left, right, context: Context, seconds: float) -> tuple[str, str | None, str, dict | None]:
    """(verdict, method, message, counterexample) for ``left = right`` (parsed) by the shared checker: the
    symbolic proof, then, past the time limit, the randomised test alone."""
    start = Step(left, "left-hand side", Relation.START)
    try:
        try:
            verdict = check_step(start, Step(right, "notes"), context, seconds=seconds)
        except RecursionError:  # the symbolic normal form nested too deeply: the randomised test decides
            verdict = check_step(start, Step(right, "notes", method=Method.NUMERIC), context, seconds=seconds)
        if verdict.status is Status.NOT_CHECKED and "time limit" in verdict.message:
            symbolic_message = verdict.message
            verdict = check_step(start, Step(right, "notes", method=Method.NUMERIC), context, seconds=seconds)
            if verdict.status is Status.NOT_CHECKED and "time limit" in verdict.message:
                return ("not_checked", None, f"time limit: the symbolic proof ({symbolic_message}) and then the "
                        f"numeric test ran out of time", None)
    except RecursionError:
        return "not_checked", None, "the checker hit the recursion limit", None
    except Exception as exc:  # anything SymPy raises on odd input is a step we could not check, not a crash
        return "not_checked", None, f"the checker failed: {type(exc).__name__}: {exc}", None
    status = {Status.VALID: "valid", Status.INVALID: "invalid", Status.NOT_CHECKED: "not_checked"}[verdict.status]
    method = verdict.method.value if verdict.method is not None and status != "not_checked" else None
    message = verdict.message
    if status == "valid" and method == "symbolic":
        message = "proved symbolically: " + message
    elif status == "valid":
        message = "checked numerically (not a proof): " + message
    counterexample = dict(verdict.counterexample) if verdict.counterexample else None
    return status, method, message, counterexample


# ---------------------------------------------------------------------------------------------------------
# readings: notation with more than one plausible meaning is judged under each; valid or invalid only if all agree
MAX_READINGS = 8


def _reading_options(seen: set, matrix: bool, chain_text: str = "") -> dict:
    """For each choice the text raised (``parse(.., seen=)``), the values of :class:`Reading` to try."""
    options: dict = {}
    if "tex_tokens" in seen:
        options["tex_tokens"] = (True, False)
    applied = {item.split(":", 1)[1] for item in seen if item.startswith("apply:")}
    plain = {item.split(":", 1)[1] for item in seen if item.startswith("plain:")}
    if applied - plain:  # a name used as a plain factor elsewhere in the step multiplies its bracket
        options["calls"] = (frozenset(), frozenset(applied - plain))
    if any(item.startswith("capital:") for item in seen):
        options["capital_matrices"] = (False, True)
    if matrix and "symmetric_L" in seen and not _MODEL_STATED.search(chain_text):  # else L is y|x's precision
        options["symmetric_L"] = (True, False)
    if "sample_sd" in seen:
        options["s_real"] = (False, True)
    if matrix and "square_A" in seen:
        options["square_A"] = (False, True)
    return options


def _readings(lhs: str, rhs: str, matrix: bool, hint: str, density: str | None, mean: str | None,
              constants: frozenset = frozenset(), chain_text: str = "", table: MatrixScope | None = None) -> list:
    """[(reading, left, right)] for every plausible reading of the step that parses (:class:`Reading`); the
    first error if none does. A reading that leaves something undetermined (:class:`Undetermined`: a letter of
    unknown nature under E) makes the whole step undetermined: that reading may be the one meant."""
    seen: set = set()
    try:
        first = [(Reading(), *_parse_pair(lhs, rhs, matrix, hint, density, mean, Reading(), seen, constants, table))]
        error = None
    except Undetermined:
        raise
    except Unparsed as exc:
        first, error = [], exc
    options = _reading_options(seen, matrix, chain_text)
    if not options:
        if error:
            raise error
        return first
    names, values = zip(*options.items())
    combinations = [dict(zip(names, combination)) for combination in itertools.product(*values)]
    if len(combinations) > MAX_READINGS:
        raise Undetermined(f"{lhs} = {rhs}", f"{len(combinations)} readings of its notation "
                           f"({', '.join(_describe_choice(n) for n in names)}), too many to check")
    readings = []
    for choice in combinations:
        reading = replace(Reading(), **choice)
        if reading == Reading() and (first or error):
            readings.extend(first)
            continue
        try:
            readings.append((reading, *_parse_pair(lhs, rhs, matrix, hint, density, mean, reading,
                                                   constants=constants, table=table)))
        except Undetermined:
            raise
        except Unparsed as exc:
            error = error or exc
    if not readings:
        raise error
    return readings


def _context(matrix: bool, reading: Reading, table: MatrixScope | None = None) -> Context:
    if not matrix:
        return _scalar_context()
    context = _matrix_context()
    if table:
        context = replace(context, symmetric=context.symmetric | table_symmetric(table))
    if not reading.symmetric_L:
        context = replace(context, symmetric=context.symmetric - {lg.L})
    return context


def _describe_choice(name: str) -> str:
    return {"tex_tokens": "one token or all the digits after \\sqrt, ^ or _",
            "calls": "a name before a bracket applied to it or multiplying it",
            "capital_matrices": "capital letters as numbers or as matrices",
            "symmetric_L": "L symmetric or not",
            "square_A": "A the model's map from x to y or a square matrix",
            "s_real": "s the sample standard deviation or any number"}[name]


def _describe(reading: Reading) -> str:
    """What a reading takes the ambiguous notation to mean, in words."""
    parts = []
    if not reading.tex_tokens:
        parts.append("the digits after \\sqrt, ^ or _ together")
    if reading.calls:
        parts.append(", ".join(sorted(reading.calls)) + " applied to the bracket as unknown functions")
    if reading.capital_matrices:
        parts.append("capital letters as matrices")
    if not reading.symmetric_L:
        parts.append("L a general matrix, not symmetric")
    if reading.square_A:
        parts.append("A a square matrix")
    if reading.s_real:
        parts.append("s any real number")
    return "; ".join(parts) or "the default reading (TeX's one-token arguments, a name times a bracket, " \
                                "capitals as numbers, L symmetric)"


def _combine(verdicts: list) -> tuple[str, str | None, str, dict | None]:
    """One verdict from the verdicts under each reading: valid (or invalid) only if every reading gives it;
    otherwise not checked, naming what each reading gave."""
    if len(verdicts) == 1:
        return verdicts[0][1]
    statuses = {verdict[0] for _, verdict in verdicts}
    if len(statuses) == 1 and statuses != {"not_checked"}:
        status, method, message, counterexample = verdicts[0][1]
        return status, method, f"{message} (the same under each of {len(verdicts)} readings of its notation)", \
            counterexample
    if statuses == {"not_checked"}:
        return verdicts[0][1]
    summary = "; ".join(f"{verdict[0].replace('_', ' ')} with {_describe(reading)}" for reading, verdict in verdicts)
    return "not_checked", None, f"the notation has more than one reading, and they disagree: {summary}", None


def _chain_text(chain: Chain) -> str:
    return " = ".join(e.tex for e in chain.elements)


_DENSITY_CALL = re.compile(r"(?<![\\a-zA-Z])p\s*(?:\\left\s*|\\[bB]igg?l?\s*)?\(")


def _density_calls(tex: str) -> list[str]:
    """The ``p(..)`` written with arguments in the text, in order (the LaTeX of each, brackets balanced)."""
    calls = []
    for found in _DENSITY_CALL.finditer(tex):
        depth = 0
        for end in range(found.end() - 1, len(tex)):
            depth += {"(": 1, ")": -1}.get(tex[end], 0)
            if depth == 0:
                calls.append(tex[found.start():end + 1])
                break
    return calls


def conditional_referents(steps: list[ExtractedStep]) -> list[str | None]:
    """For each step, the last conditional density ``p(v | ..)`` written in the file before it or in it (the
    variable v a step ``= .. + \\text{const}`` is taken in)."""
    referents, last = [], None
    for step in steps:
        for side in (step.lhs, step.rhs):
            calls = [c for c in _density_calls(side) if re.search(r"\\mid|(?<!\\)\|", c)]
            last = calls[-1] if calls else last
        referents.append(last)
    return referents


def density_referents(steps: list[ExtractedStep]) -> list[str | None]:
    """For each step, the last density ``p(..)`` written with arguments in the file up to and including the
    step (in its chains' elements, in textual order): what a bare ``p`` in the step (``\\ln p``) refers to."""
    referents, last = [], None
    for step in steps:
        for side in (step.lhs, step.rhs):
            calls = _density_calls(side)
            last = calls[-1] if calls else last
        referents.append(last)
    return referents


_DENSITY_OPEN = re.compile(r"(?:(?<![\\a-zA-Z])p|\\mathcal\s*\{?\s*N\s*\}?)\s*(?:\\left\s*)?\(")
_MEAN_USED = re.compile(r"\\mu(?![a-zA-Z])")


def _split_top(text: str, separators: str) -> list[tuple[str, str]]:
    """(separator before, piece) for the pieces of text between top-level separators."""
    pieces, depth, start, before = [], 0, 0, ""
    for k, c in enumerate(text):
        depth += 1 if c in "([{" else -1 if c in ")]}" else 0
        if depth == 0 and c in separators:
            pieces.append((before, text[start:k]))
            before, start = c, k + 1
    pieces.append((before, text[start:]))
    return pieces


def mean_name(steps: list[ExtractedStep]) -> str | None:
    r"""The notes' own name for the mean of the data: when every density written with parameters has a mean
    and a variance (``p(x;\theta,\sigma^2)``, ``\mathcal{N}(x|\theta,\sigma^2)``), all with the same plain
    symbol as the mean, that symbol is not ``\mu``, and ``\mu`` appears nowhere in the notes, the symbol is
    the mean (``theta``); otherwise None."""
    texts = [side for step in steps for side in (step.lhs, step.rhs)]
    if any(_MEAN_USED.search(t) for t in texts):
        return None
    means = set()
    for tex in texts:
        for found in _DENSITY_OPEN.finditer(tex):
            depth, end = 0, None
            for k in range(found.end() - 1, len(tex)):
                depth += {"(": 1, ")": -1}.get(tex[k], 0)
                if depth == 0:
                    end = k
                    break
            if end is None:
                continue
            pieces = _split_top(tex[found.end():end].replace(r"\mid", "|"), "|;,")
            bar = next((k for k, (sep, _) in enumerate(pieces) if sep in ("|", ";")), None)
            if bar is not None:  # p(x | m, v): a mean and a variance, nothing else (not p(x|theta), a vector)
                means.add(pieces[bar][1].strip() if len(pieces) - bar == 2 else "")
    if len(means) != 1:
        return None
    (name,) = means
    plain = re.fullmatch(r"\\?([a-zA-Z]+)", name)
    if plain is None or plain.group(1) in ("mu", "x", "N", "n", "p", "e", "pi") or \
            (len(plain.group(1)) > 1 and not name.startswith("\\")):
        return None
    return plain.group(1)


def judge(step: ExtractedStep, seconds: float = STEP_TIME_LIMIT, density: str | None = None,
          mean: str | None = None, constants: frozenset = frozenset()) -> StepResult:
    """The verdict on an extracted step; ``density``: what a bare ``p`` refers to (:func:`density_referents`),
    ``mean``: the notes' name for the mean (:func:`mean_name`), ``constants``: the letters declared constants
    before it."""
    begin = time.perf_counter()
    verdict, method, message, counterexample = judge_pair(step.lhs, step.rhs, step.relation,
                                                          _chain_text(step.chain), seconds, density, mean,
                                                          constants)
    return StepResult(step, verdict, method, message, counterexample, time.perf_counter() - begin)


def _judge_task(lhs: str, rhs: str, relation: str, chain_text: str, seconds: float, density: str | None,
                mean: str | None, constants: frozenset, definitions: tuple = (), renames: tuple = (),
                table: MatrixScope | None = None, data: tuple = (), conditional: str | None = None) -> tuple:
    """:func:`judge_pair` as a task (run in a worker, or inline): SymPy's cache is emptied first, so that the
    step's work, and so its verdict near a limit, does not depend on which steps this process judged before."""
    from sympy.core.cache import clear_cache

    clear_cache()
    return judge_pair(lhs, rhs, relation, chain_text, seconds, density, mean, constants, definitions, renames, table,
                      data, conditional)


def _warm_up(pool: Pool | None, steps: list[ExtractedStep]) -> None:
    """Build what the steps need once (the grammar; the scalar context, the matrix context if a chain is in
    matrix notation) before workers are forked, so that no step's CPU time pays for it; workers forked before
    something new was built are replaced."""
    needed = {"scalar"} | ({"matrix"} if any(looks_like_matrix(_chain_text(s.chain)) for s in steps) else set())
    if not needed <= _WARM:
        judge_pair("x", "x")
        _scalar_context()
        if "matrix" in needed:
            judge_pair(r"\Sigma", r"\Sigma")
            _matrix_context()
        _WARM.update(needed)
        _WARM_TOKEN[0] = object()
    if pool is not None:
        pool.share(_WARM_TOKEN[0])


_WARM: set = set()
_WARM_TOKEN: list = [None]


def _not_run(outcome: Outcome, budget: Budget | None) -> tuple:
    """(verdict, method, message, counterexample) of a step whose task gave no result."""
    reason = outcome.reason(budget.seconds if budget is not None else None)
    if outcome.kind == "error":
        reason = f"the checker failed: {reason}"
    return "not_checked", None, reason, None


# ---------------------------------------------------------------------------------------------------------
# score equations: "e = 0" with a free parameter is an equation to solve, judged with the solution that follows
_ARROWS = ("implies", "iff", "therefore")
_ZERO = re.compile(r"^\s*(?:0|\\(?:mathbf|boldsymbol|bm|vec)\s*\{?\s*0\s*\}?)\s*$")
_ESTIMATE_TAG = re.compile(r"_\s*\{?\s*(?:\\(?:text|mathrm|rm)\s*\{?\s*)?(?:MLE|ML|mle|ml)\s*\}?\s*\}?"
                           r"|\^\s*(?:\{\s*\*\s*\}|\*|\\ast|\{\s*\\ast\s*\})")
_ACCENT = re.compile(r"\\(?:hat|widehat|tilde|widetilde)\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[a-zA-Z])")


@dataclass(frozen=True)
class _Equation:
    """An ``e = 0`` step that is not an identity: ``expr`` (normal form of e) and its parameters."""

    expr: sp.Expr
    parameters: frozenset


def _data_free(factor) -> bool:
    return not (factor.has(sp.Indexed) or factor.has(sp.Sum) or factor.has(sp.Product))


def equation_parameters(expr) -> frozenset:
    """The parameters an equation ``expr = 0`` can be solved for: the free symbols (not the data, N or an
    index) of its factors that involve the data. A factor free of the data (1/sigma^2 in front of a score) is
    not solved for; with no data at all every factor counts."""
    factors = sp.Mul.make_args(sp.factor_terms(sp.together(expr)))
    kept = [f for f in factors if not _data_free(f)] or list(factors)
    labels = {a.base.label for a in expr.atoms(sp.Indexed)}
    symbols = set().union(*(f.free_symbols for f in kept)) - labels - {N}
    return frozenset(s for s in symbols if type(s) is sp.Symbol and not s.is_integer)  # not x[i], not a bound dummy


def _as_equation(step: ExtractedStep, density: str | None = None, mean: str | None = None) -> _Equation | None:
    """The equation of an ``e = 0`` (or ``0 = e``) step with parameters left in e, in scalar mode; None if the
    step is not of that form."""
    if step.relation != "=" or looks_like_matrix(_chain_text(step.chain)):
        return None
    if _ZERO.match(step.rhs):
        side = step.lhs
    elif _ZERO.match(step.lhs):
        side = step.rhs
    else:
        return None
    try:
        expr = _scalar_context().normal_form(parse(side, density=density, mean=mean))
    except Exception:  # unparsed, or SymPy failing on it: then it is not judged as an equation either
        return None
    if isinstance(expr, (sp.MatrixBase, sp.MatrixExpr)) or expr == 0:
        return None
    parameters = equation_parameters(expr)
    return _Equation(expr, parameters) if parameters else None


def solution_target(tex: str, mean: str | None = None) -> tuple[sp.Symbol, bool, bool] | None:
    r"""What a solution line's left side names: (parameter, squared, estimate). ``\hat\theta``,
    ``\theta_{ML}``, ``\theta^*``, ``\theta`` -> theta; ``\hat\sigma^2``, ``\sigma^2_{MLE}`` -> sigma^2;
    ``\hat\sigma`` -> sigma^2 with squared False (the value is a standard deviation); ``\bar x`` -> mu.
    ``estimate``: the name carries an estimate mark. None if the text is not such a name."""
    text = tex.strip()
    marked = bool(_ACCENT.search(text) or _ESTIMATE_TAG.search(text))
    text = _ESTIMATE_TAG.sub("", _ACCENT.sub(lambda m: m.group(1), text))
    if re.fullmatch(r"\\bar\s*\{?\s*x\s*\}?", text):
        return (sp.Symbol("mu", real=True), True, True)
    try:
        value = parse(text, mean=mean)
    except Unparsed:
        return None
    if isinstance(value, sp.Symbol) and not value.is_integer and value != N:
        return value, True, marked
    base, exponent = value.as_base_exp() if isinstance(value, sp.Pow) else (None, None)
    if isinstance(base, sp.Symbol) and exponent == sp.Rational(1, 2):
        return base, False, marked
    return None


def _solution_of(equation: _Equation, lhs: str, rhs: str, mean: str | None = None):
    """(parameter, value) if ``lhs = rhs`` states a value of one of the equation's parameters."""
    target = solution_target(lhs, mean)
    if target is None or target[0] not in equation.parameters:
        return None
    parameter, direct, _ = target
    try:
        value = parse(rhs, mean=mean)
    except Unparsed:
        return None
    if isinstance(value, (sp.MatrixBase, sp.MatrixExpr)):
        return None
    return parameter, (value if direct else value ** 2)


def _judge_equation(equation: _Equation, parameter, value, seconds: float):
    """The equation with the solution substituted, judged (through the checker) against 0."""
    context = _scalar_context()
    residual = equation.expr.subs(parameter, value)
    mu, mu_hat = sp.Symbol("mu", real=True), sp.Symbol("muhat", real=True)
    if parameter != mu and residual.has(mu) and sp.sympify(value).has(mu_hat):
        residual = residual.subs(mu, mu_hat)  # a solution in mu_hat: both score equations solved together
    start = Step(residual, "equation at the stated solution", Relation.START)
    verdict = check_step(start, Step(sp.Integer(0), "notes"), context, seconds=seconds)
    if verdict.status is Status.NOT_CHECKED and "time limit" in verdict.message:
        verdict = check_step(start, Step(sp.Integer(0), "notes", method=Method.NUMERIC), context, seconds=seconds)
    status = {Status.VALID: "valid", Status.INVALID: "invalid", Status.NOT_CHECKED: "not_checked"}[verdict.status]
    method = verdict.method.value if verdict.method is not None and status != "not_checked" else None
    return status, method, verdict.message, dict(verdict.counterexample) if verdict.counterexample else None


def _equation_message(status: str, parameter, solution: str, where: str, detail: str) -> str:
    name = "sigma^2" if str(parameter) == "sigma^2" else str(parameter)
    claim = {"valid": "is solved by", "invalid": "is NOT solved by", "not_checked": "could not be checked at"}
    return f"an equation in {name}, which {claim[status]} the stated solution {solution} ({where}): {detail}"


def _later_candidates(steps: list[ExtractedStep], chains: list[list[int]], chain_number: int, position: int):
    """(step index, where) of the steps after an equation that could state its solution: in the same chain,
    a step ``a = b`` right after an arrow; then the first step of the next chain, and of the chain after it (a
    rearrangement may come between the equation and its solution)."""
    members = chains[chain_number]
    for k in range(position + 1, len(members)):
        previous, step = steps[members[k - 1]], steps[members[k]]
        if previous.relation in _ARROWS and step.relation == "=":
            yield members[k], "after the arrow"
    for later in (chain_number + 1, chain_number + 2):  # the next chain, or the one after a rearrangement
        if later < len(chains):
            following = steps[chains[later][0]]
            if following.relation == "=":
                yield chains[later][0], following.place


def judge_steps(steps: list[ExtractedStep], seconds: float = STEP_TIME_LIMIT,
                text: str | None = None, budget: float | Budget | None = None,
                pool: Pool | None = None,
                roles: tuple[list[Statement], Scope] | None = None) -> list[StepResult]:
    r"""The verdict on every step, each judged on its own (:func:`judge`), except score equations.

    A step ``e = 0`` that is not an identity and whose e still has a parameter (mu, sigma^2, theta: a free
    symbol of a factor involving the data) is an equation to solve. If a solution follows (``\hat\theta = s``
    or ``\theta = s`` after an arrow in the same chain, or as the next chain), the equation is judged with s
    substituted for the parameter: valid if it then vanishes, invalid with a counterexample if not. A
    solution whose left side is the bare parameter (or a name the parser has no definition for, such as
    ``\hat\theta``) gets the same verdict; a known estimate (``\hat\mu``) keeps its own judgement by
    definition. With no solution after it the equation is not checked. ``text``: the file's text, whose prose
    may declare letters constants (:func:`.scope.declared_constants`).

    Limits (:mod:`derivations.limits`): each step gets ``seconds`` of CPU for the symbolic proof and then
    ``seconds`` for the numeric test, and is stopped for good at twice ``seconds`` in all (parsing included).
    With a ``pool`` the steps run in its workers, in parallel (the results are in file order) and under the
    hard limit; with ``pool`` None, here, one after the other, under the soft limit only. ``budget``: CPU
    seconds for the whole file (a number or a :class:`~derivations.limits.Budget`; None: no budget); once the
    steps before a step have used it up, that step is not checked.

    ``roles``: the document model's statements and scope (:func:`.document.read_roles`; None: every step an
    assertion, no scope). Definitions and premises are recorded, not judged; a step is judged with the
    definitions it uses substituted; an invalid step that uses a name a premise speaks of (which the checker
    does not apply) is not checked: it may hold given the premise.
    """
    referents = density_referents(steps)
    conditionals = conditional_referents(steps)
    mean = mean_name(steps)
    declarations = declared_constants(text) if text is not None else []
    budget = budget if isinstance(budget, Budget) or budget is None else Budget(budget)
    hard = 2 * seconds if seconds else None
    _warm_up(pool, steps)
    statements, scope = roles if roles is not None else ([Statement("assertion")] * len(steps), Scope())
    known = {k for k, (step, s) in enumerate(zip(steps, statements))
             if s.tentative and s.role == "definition" and _profile_knows(step)}
    statements = [Statement("assertion") if k in known else s for k, s in enumerate(statements)]
    scope = scope.without_definitions([steps[k] for k in known])
    judged = [k for k, statement in enumerate(statements)
              if statement.role not in ("definition", "premise") or statement.tentative]
    used = {k: scope.definitions_for(steps[k]) for k in judged}
    tasks = [Task(_judge_task, (steps[k].lhs, steps[k].rhs, steps[k].relation, _chain_text(steps[k].chain), seconds,
                                referents[k], mean, constants_before(declarations, steps[k].line), used[k],
                                scope.renames_for(steps[k]), scope.matrix or None, scope.data_for(steps[k]),
                                conditionals[k]),
                  seconds=hard) for k in judged]
    results: list[StepResult] = [
        StepResult(step, "not_checked", None, f"{statement.detail}: recorded, not judged", role=statement.role)
        for step, statement in zip(steps, statements)]
    held: set[tuple[int, str]] = set()  # tentative premises that hold as assertions
    held_definitions: list[ExtractedStep] = []
    for k, outcome in zip(judged, run_tasks(tasks, pool, budget)):
        statement = statements[k]
        value = outcome.value if outcome.ok else _not_run(outcome, budget)
        if statement.tentative and value[0] != "valid":
            continue  # a definition or premise after all: recorded, not judged
        if statement.tentative:
            held.add((steps[k].line, steps[k].tex))
            held_definitions.append(steps[k])
        role = "assertion" if statement.tentative else statement.role
        role = role if role != "assertion" or steps[k].relation in ("=", "sim") else "other"
        results[k] = StepResult(steps[k], *value, seconds=outcome.wall, role=role,
                                uses=tuple(line for _, _, line in used[k]))
    scope = scope.without(held).without_definitions(held_definitions)
    chains: list[list[int]] = []
    for index, step in enumerate(steps):
        if chains and steps[chains[-1][0]].chain is step.chain:
            chains[-1].append(index)
        else:
            chains.append([index])
    equations = []  # (index, task): every step judged invalid may be an equation to solve (worked out in a task)
    for chain_number, members in enumerate(chains):
        for position, index in enumerate(members):
            if results[index].verdict != "invalid":
                continue
            candidates = [(candidate, where, steps[candidate].lhs, steps[candidate].rhs)
                          for candidate, where in _later_candidates(steps, chains, chain_number, position)]
            equations.append((index, Task(_equation_task, (steps[index], referents[index], mean, candidates, seconds),
                                          seconds=hard)))
    outcomes = run_tasks([task for _, task in equations], pool, budget)
    solved: set[int] = set()
    for (index, _), outcome in zip(equations, outcomes):
        if index in solved:
            continue
        result = results[index]
        begin = time.perf_counter() - outcome.wall
        if not outcome.ok:  # whether it is an equation is not known: its "invalid" as an identity may be wrong
            _, _, reason, _ = _not_run(outcome, budget)
            message = reason if outcome.kind == "budget" else (
                f"invalid as an identity, but it may be an equation to solve, and judging it as one failed: {reason}")
            results[index] = _replace(result, "not_checked", None, message, None, begin)
            continue
        if outcome.value is None:
            continue
        if outcome.value[0] == "unsolved":
            results[index] = _replace(result, "not_checked", None,
                                      f"an equation to solve in {outcome.value[1]}, not an identity; no solution "
                                      f"(\\hat\\theta = .. or \\theta = ..) follows it to check", None, begin)
            continue
        _, candidate, where, parameter, status, method, detail, example, bare = outcome.value
        stated = f"{steps[candidate].lhs} = {steps[candidate].rhs}"
        results[index] = _replace(result, status, method, _equation_message(status, parameter, stated, where,
                                                                            detail), example, begin)
        own = results[candidate]
        if bare or own.message.startswith("unparsed") or (status == "valid" and own.verdict == "invalid"):
            # the stated solution is what the notes mean by the estimate (sigma_hat^2 with a known mean)
            results[candidate] = _replace(own, status, method,
                                          f"the solution of the equation on {steps[index].place}: "
                                          + _equation_message(status, parameter, stated, "this line", detail),
                                          example, begin)
            solved.add(candidate)
    return [_set_aside_premises(result, scope) for result in results]


_ESTIMATE_OR_CONDITIONAL = re.compile(r"\\(?:hat|bar|widehat|overline|tilde)|_\s*\{[^{}]*(?:\||\\mid|ML)|\^\s*\*")


def _profile_knows(step: ExtractedStep) -> bool:
    r"""Whether the step's left side is a name the notation profile defines (``\mu_{a|b}``, ``\hat\mu``): then
    a new-looking definition of it is an assertion about it, judged."""
    if not _ESTIMATE_OR_CONDITIONAL.search(step.lhs):  # a plain letter (P, W) means what the notes say
        return False
    matrix = looks_like_matrix(_chain_text(step.chain))
    try:
        name = parse(step.lhs, matrix=matrix, model_hint=_model_hint(_chain_text(step.chain)), seen=set())
    except Exception:  # not a name the grammar reads: not one the profile knows either
        return False
    context = _matrix_context() if matrix else _scalar_context()
    return isinstance(name, sp.Basic) and name in context.definitions


def _set_aside_premises(result: StepResult, scope: Scope) -> StepResult:
    """An invalid step that uses a name a premise speaks of: not checked (the premise may make it hold, and the
    checker does not apply it), naming the premise; the counterexample without it is kept in the message."""
    if result.verdict != "invalid":
        return result
    premises = scope.premises_for(result.source) + scope.applied_for(result.source)
    if not premises:
        return result
    named = "; ".join(f"{' '.join(tex.split())} (line {line})" for line, tex in premises[:3])
    example = f" Without it: {result.message}" if result.message else ""
    return replace(result, verdict="not_checked", method=None, counterexample=None,
                   message=f"may hold given the premise {named}, which the checker does not apply.{example}",
                   uses=tuple(sorted(set(result.uses) | {line for line, _ in premises})))


def _equation_task(step: ExtractedStep, density: str | None, mean: str | None, candidates: list,
                   seconds: float) -> tuple | None:
    """A step judged invalid, as an equation to solve (run in a worker, or inline): None if it is not one;
    ("unsolved", parameter names) if no candidate (index, where, lhs, rhs) states its solution; else
    ("judged", candidate, where, parameter, status, method, detail, counterexample, bare), ``bare``: the
    solution's left side is the parameter itself (or a name with no definition), not a known estimate."""
    from sympy.core.cache import clear_cache

    clear_cache()
    equation = _as_equation(step, density, mean)
    if equation is None:
        return None
    names = ", ".join(sorted("sigma^2" if str(p) == "sigma^2" else str(p) for p in equation.parameters))
    for candidate, where, lhs, rhs in candidates:
        solution = _solution_of(equation, lhs, rhs, mean)
        if solution is not None:
            parameter, value = solution
            status, method, detail, example = _judge_equation(equation, parameter, value, seconds)
            target = solution_target(lhs, mean)
            bare = target is not None and not target[2]
            return "judged", candidate, where, str(parameter), status, method, detail, example, bare
    return "unsolved", names


def _replace(result: StepResult, verdict: str, method: str | None, message: str, counterexample, begin: float):
    """The result of a step judged as an equation (or as the solution of one)."""
    return replace(result, verdict=verdict, method=method, message=message, role="equation",
                   counterexample=counterexample, seconds=result.seconds + time.perf_counter() - begin)
