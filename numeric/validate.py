"""Input validation for the numeric API, in one place: every public function calls these first.

Each check raises ``ValueError`` naming the argument and the problem; nothing is allowed through to
produce a silent NaN.
"""

from __future__ import annotations

import numpy as np


def finite_array(value, name: str) -> np.ndarray:
    """``value`` as a float array; ValueError if it is not numeric or holds NaN or inf."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {type(value).__name__}: {exc}") from None
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


def sample(value, name: str = "x", min_size: int = 1) -> np.ndarray:
    """A sample array with observations on the last axis, at least ``min_size`` of them."""
    array = finite_array(value, name)
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the sample), got a scalar")
    if array.shape[-1] < min_size:
        why = " (the estimator divides by n - 1)" if min_size == 2 else ""
        raise ValueError(f"{name} needs at least {min_size} observations on its last axis, "
                         f"got shape {array.shape}{why}")
    return array


def positive(value, name: str) -> np.ndarray:
    """A finite array of strictly positive values (a variance, say)."""
    array = finite_array(value, name)
    if np.any(array <= 0):
        raise ValueError(f"{name} must be positive, got minimum {array.min()}")
    return array


def sample_size(value, name: str = "n", minimum: int = 1) -> np.ndarray:
    """An integer array of sample sizes, each at least ``minimum``."""
    array = finite_array(value, name)
    if np.any(array != np.round(array)):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if np.any(array < minimum):
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return array.astype(int)


def along_sample(parameter: np.ndarray) -> np.ndarray:
    """A parameter with a trailing axis of length 1, so that it broadcasts against the sample axis."""
    return parameter[..., np.newaxis]


def covariance(value, name: str = "cov") -> np.ndarray:
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


def vector(value, name: str, p: int, match: str = "the covariance") -> np.ndarray:
    """An array whose last axis has length p (a mean, or points in R^p; batches on leading axes)."""
    array = finite_array(value, name)
    if array.ndim == 0 or array.shape[-1] != p:
        raise ValueError(f"{name} must have last axis of length {p} to match {match}, got shape {array.shape}")
    return array


def indices(value, name: str, p: int) -> np.ndarray:
    """Distinct integer coordinates in 0..p-1, in the order given."""
    array = np.atleast_1d(np.asarray(value))
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty list of integer indices, got {value!r}")
    if np.any((array < 0) | (array >= p)):
        raise ValueError(f"{name} has an index out of range 0..{p - 1}: {array.tolist()}")
    if np.unique(array).size != array.size:
        raise ValueError(f"{name} has a repeated index: {array.tolist()}")
    return array


def matrix(value, name: str, shape: tuple[int, int]) -> np.ndarray:
    """An array whose last two axes have the given shape (a matrix; batches on leading axes)."""
    array = finite_array(value, name)
    if array.ndim < 2 or array.shape[-2:] != tuple(shape):
        raise ValueError(f"{name} must have last two axes of shape {tuple(shape)}, got shape {array.shape}")
    return array


def observations(value, name: str = "X", min_size: int = 1) -> np.ndarray:
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
