"""Input validation for the numeric API, in one place: every public function calls these first.

Every check names the argument and the problem in one line:

- the wrong kind of input (a string, a boolean, a complex number, ``None`` or another object, an array of
  them, a float where a count is wanted) raises :class:`InputTypeError`, a ``TypeError`` as NumPy raises for
  the wrong kind of input, and also a ``ValueError``;
- a wrong value (NaN or inf, a masked value, a wrong shape, a sample size that is not a whole number of at
  most 2**53, a negative count) raises ``ValueError``.

So ``except ValueError`` catches every bad input, and nothing is let through to give a silent NaN, a
silently dropped imaginary part or mask, or an integer overflow.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike

#: The largest sample size accepted: every whole number up to 2**53 is exactly a float64 (the generated
#: formulas compute in float64), and it is far inside int64, so the conversion to int cannot overflow.
MAX_WHOLE = 2 ** 53


class InputTypeError(TypeError, ValueError):
    """An argument of the wrong kind (a string, a boolean, a complex number, an object array, a float count).

    A ``TypeError``, as NumPy raises for the wrong kind of input; also a ``ValueError``, so that code written to
    the numeric API's first rule, "every bad input raises ValueError", still catches it (NumPy's ``AxisError``
    is a ``ValueError`` and an ``IndexError`` for the same reason).
    """


def _described(value: object, array: np.ndarray) -> str:
    """What ``value`` is, for a message: ``str``, ``bool``, ``a complex array``, ``an array of str``."""
    if array.ndim == 0 and not isinstance(value, np.ndarray):
        return "None" if value is None else type(value).__name__
    kind = array.dtype.kind
    words = {"b": "a boolean array", "c": "a complex array", "U": "an array of str", "S": "an array of bytes",
             "O": "an object array"}
    return words.get(kind, f"a {array.dtype} array")


def real_array(value: ArrayLike, name: str) -> np.ndarray:
    """``value`` as an array of integer or floating dtype (finiteness not checked).

    InputTypeError for strings, bytes, booleans, complex numbers, None, other objects and arrays of them (an
    object array is accepted when every entry is a real number, e.g. a Python int too large for int64, a
    Fraction or a Decimal, and is converted to float); ValueError for a masked array with masked values (one
    with none is its data) and for a ragged nested sequence.
    """
    if isinstance(value, np.ma.MaskedArray) and np.ma.is_masked(value):
        raise ValueError(f"{name} is a masked array: fill or drop the masked values first "
                         f"(np.ma.filled / .compressed())")
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(f"{name} must be a rectangular array of numbers, got a ragged nested sequence") from None
    kind = array.dtype.kind
    if kind in "iuf":
        return array
    if kind == "c":
        raise InputTypeError(f"{name} must be real, got {_described(value, array)}")
    if kind == "O":
        return _real_objects(array, name)
    raise InputTypeError(f"{name} must be numeric, got {_described(value, array)}")


def _real_objects(array: np.ndarray, name: str) -> np.ndarray:
    """An object array whose entries are all real numbers (not bools; Decimals too), as floats;
    InputTypeError otherwise."""
    inside = " in an object array" if array.ndim else ""
    for entry in array.flat:
        if isinstance(entry, numbers.Complex) and not isinstance(entry, numbers.Real):
            raise InputTypeError(f"{name} must be real, got {type(entry).__name__}{inside}")
        if isinstance(entry, (bool, np.bool_)) or not isinstance(entry, (numbers.Real, Decimal)):
            raise InputTypeError(f"{name} must be numeric, got "
                                 f"{'None' if entry is None else type(entry).__name__}{inside}")
    try:
        return array.astype(float)
    except OverflowError:
        raise ValueError(f"{name} has an entry too large for a float64") from None


def _first(array: np.ndarray, bad: np.ndarray) -> str:
    """The first entry of ``array`` where ``bad`` holds, for a message (with its index unless a scalar)."""
    where = tuple(int(k) for k in np.argwhere(bad)[0]) if array.ndim else ()
    entry = array[where].item()
    return f"{entry!r}" if not where else f"{entry!r} (at index {where})"


def _finite(array: np.ndarray, name: str) -> np.ndarray:
    # A finite sum proves every entry finite (a NaN or inf entry makes the sum NaN or inf) at a fraction of
    # the cost of an element-wise test; only a non-finite sum (which finite entries can also give, by
    # overflow) needs the element-wise test.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(array, axis=None) if array.size else 0.0
    if not np.isfinite(total) and not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))
        where = tuple(int(k) for k in bad[0]) if array.ndim else ()
        raise ValueError(f"{name} contains NaN or inf (first at index {where})")
    return array


def finite_array(value: ArrayLike, name: str) -> np.ndarray:
    """``value`` as a float array: a real array (:func:`real_array`) with no NaN or inf (ValueError)."""
    with np.errstate(over="ignore"):  # a longdouble beyond the float64 range becomes inf, refused below
        return _finite(real_array(value, name).astype(float, copy=False), name)


def scalar(array: np.ndarray, name: str) -> int | float:
    """The value of a validated 0-d array as a Python int or float; ValueError for an array of any other shape."""
    if array.ndim != 0:
        raise ValueError(f"{name} must be a single number, got an array of shape {array.shape}")
    return array.item()


def sample(value: ArrayLike, name: str = "x", min_size: int = 1) -> np.ndarray:
    """A sample array with observations on the last axis, at least ``min_size`` of them."""
    array = finite_array(value, name)
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the sample), got a scalar")
    if array.shape[-1] < min_size:
        why = " (the estimator divides by n - 1)" if min_size == 2 else ""
        raise ValueError(f"{name} needs at least {min_size} observations on its last axis, "
                         f"got shape {array.shape}{why}")
    return array


def positive(value: ArrayLike, name: str) -> np.ndarray:
    """A finite array of strictly positive values (a variance, say)."""
    array = finite_array(value, name)
    if np.any(array <= 0):
        raise ValueError(f"{name} must be positive, got minimum {array.min()}")
    return array


def sample_size(value: ArrayLike, name: str = "n", minimum: int = 1) -> np.ndarray:
    """An int64 array of sample sizes: whole numbers (ints, or floats with no fractional part) from
    ``minimum`` to 2**53. InputTypeError for a bool, a string or a complex number; ValueError otherwise."""
    array = real_array(value, name)
    if array.dtype.kind == "f":
        array = _finite(array, name)
        too_large = (array != np.round(array)) | (array > MAX_WHOLE)
    else:
        too_large = array > MAX_WHOLE
    if np.any(too_large):
        raise ValueError(f"{name} must be a whole number of at most 2**53, got {_first(array, too_large)}")
    too_small = array < minimum
    if np.any(too_small):
        raise ValueError(f"{name} must be at least {minimum}, got {_first(array, too_small)}")
    return array.astype(np.int64)


def count(value: object, name: str, minimum: int = 0) -> int:
    """A single integer at least ``minimum`` (a number of samples, a chunk size, a seed), as NumPy asks of a
    size: a Python int or NumPy integer, never a bool or a float (``operator.index``; InputTypeError)."""
    if isinstance(value, (bool, np.bool_)):
        raise InputTypeError(f"{name} must be an integer, got bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise InputTypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}")
    return number


def along_sample(parameter: np.ndarray) -> np.ndarray:
    """A parameter with a trailing axis of length 1, so that it broadcasts against the sample axis."""
    return parameter[..., np.newaxis]


def covariance(value: ArrayLike, name: str = "cov") -> np.ndarray:
    """A symmetric positive-definite matrix (batches allowed on leading axes).

    Raises ValueError saying which property fails: not square, not symmetric (with the largest asymmetry),
    or not positive definite (with the smallest eigenvalue).
    """
    array = finite_array(value, name)
    if array.ndim < 2 or array.shape[-1] != array.shape[-2]:
        raise ValueError(f"{name} must be a square matrix (p, p), got shape {array.shape}")
    asymmetry = np.max(np.abs(array - np.swapaxes(array, -1, -2))) if array.size else 0.0
    scale = max(1.0, float(np.max(np.abs(array)))) if array.size else 1.0
    if asymmetry > 1e-10 * scale:
        raise ValueError(f"{name} is not symmetric: max |{name} - {name}^T| = {asymmetry:.3g}")
    try:
        np.linalg.cholesky(array)
    except np.linalg.LinAlgError:
        smallest = float(np.min(np.linalg.eigvalsh(array)))
        raise ValueError(f"{name} is not positive definite: smallest eigenvalue {smallest:.3g}") from None
    return array


def vector(value: ArrayLike, name: str, p: int, match: str = "the covariance") -> np.ndarray:
    """An array whose last axis has length p (a mean, or points in R^p; batches on leading axes)."""
    array = finite_array(value, name)
    if array.ndim == 0 or array.shape[-1] != p:
        raise ValueError(f"{name} must have last axis of length {p} to match {match}, got shape {array.shape}")
    return array


def indices(value: ArrayLike, name: str, p: int) -> np.ndarray:
    """Distinct integer coordinates in 0..p-1, in the order given (InputTypeError for floats, bools, ...)."""
    try:
        array = np.atleast_1d(real_array(value, name))
    except InputTypeError:
        raise InputTypeError(f"{name} must be a non-empty list of integer indices, "
                             f"got {_described(value, np.asarray(value))}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty list of integer indices, got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise InputTypeError(f"{name} must be a non-empty list of integer indices, got {_described(value, array)}")
    if np.any((array < 0) | (array >= p)):
        raise ValueError(f"{name} has an index out of range 0..{p - 1}: {array.tolist()}")
    if np.unique(array).size != array.size:
        raise ValueError(f"{name} has a repeated index: {array.tolist()}")
    return array


def matrix(value: ArrayLike, name: str, shape: tuple[int, int]) -> np.ndarray:
    """An array whose last two axes have the given shape (a matrix; batches on leading axes)."""
    array = finite_array(value, name)
    if array.ndim < 2 or array.shape[-2:] != tuple(shape):
        raise ValueError(f"{name} must have last two axes of shape {tuple(shape)}, got shape {array.shape}")
    return array


def observations(value: ArrayLike, name: str = "X", min_size: int = 1) -> np.ndarray:
    """A data set with observations on axis -2 and coordinates on axis -1: shape (..., N, p), N >= min_size."""
    array = finite_array(value, name)
    if array.ndim < 2:
        raise ValueError(f"{name} must have shape (..., N, p): observations on axis -2, coordinates on axis -1; "
                         f"got shape {array.shape}")
    if array.shape[-1] < 1:
        raise ValueError(f"{name} must have at least one coordinate (axis -1), got shape {array.shape}")
    if array.shape[-2] < min_size:
        why = " (the estimator divides by N - 1)" if min_size == 2 else ""
        raise ValueError(f"{name} needs at least {min_size} observations on axis -2, got shape {array.shape}{why}")
    return array


def bivariate_data(value: ArrayLike, name: str = "data") -> np.ndarray:
    """A finite array of shape (N, 2), N >= 2: points (x1, x2), enough to fit a covariance."""
    array = finite_array(value, name)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2), got {array.shape}")
    if array.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 rows to fit a covariance, got {array.shape[0]}")
    return array


def labels(value: object, name: str, size: int = 2) -> tuple[str, ...]:
    """A sequence of ``size`` strings (column names or units); InputTypeError for a bare string or non-strings."""
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise InputTypeError(f"{name} must be a sequence of {size} strings, got {value!r}")
    labels_ = tuple(value)
    if len(labels_) != size:
        raise ValueError(f"{name} needs one entry per column ({size}), got {len(labels_)}: {value!r}")
    return labels_


def batch_shape(**arrays: tuple[np.ndarray, int]) -> tuple[int, ...]:
    """The broadcast batch shape of arrays given as ``name=(array, core_ndim)`` (the trailing ``core_ndim``
    axes are the vector or matrix itself); ValueError naming every shape if the batches do not broadcast."""
    try:
        return np.broadcast_shapes(*(a.shape[:a.ndim - core] for a, core in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for name, (a, _) in arrays.items())
        raise ValueError(f"shape mismatch: the leading (batch) axes do not broadcast: {shapes}") from None


def unobserved(observed: np.ndarray, p: int, name: str = "idx_a") -> np.ndarray:
    """The coordinates 0..p-1 not in ``observed``, in increasing order; at least one must remain."""
    rest = np.setdiff1d(np.arange(p), observed)
    if rest.size == 0:
        raise ValueError(f"{name} lists all {p} coordinates; at least one must remain unobserved")
    return rest
