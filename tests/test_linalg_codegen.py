"""The Cholesky code generator: solves instead of inverses, broadcasting over batch axes."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import sympy as sp

from numeric._linalg_codegen import matrix_function, spd_solve

m, n = sp.symbols("m n", integer=True, positive=True)
A, B, D = sp.MatrixSymbol("A", m, m), sp.MatrixSymbol("B", m, n), sp.MatrixSymbol("D", n, n)
x, mu = sp.MatrixSymbol("x", m, 1), sp.MatrixSymbol("mu", m, 1)


def _spd(p: int, rng) -> np.ndarray:
    a = rng.normal(size=(p, p))
    return a @ a.T + p * np.eye(p)


def test_schur_complement_without_inverse():
    f = matrix_function(D - B.T * A.I * B, [A, B, D])
    assert "inv" not in inspect.getsource(f) and "_spd_solve" in inspect.getsource(f)
    s = _spd(5, np.random.default_rng(0))
    a, b, d = s[:2, :2], s[:2, 2:], s[2:, 2:]
    np.testing.assert_allclose(f(a, b, d), d - b.T @ np.linalg.inv(a) @ b, rtol=1e-12)


def test_right_inverse_and_batches():
    f = matrix_function(B.T * A.I * (x - mu), [A, B, x, mu])
    g = matrix_function((x - mu).T * A.I, [A, x, mu])
    rng = np.random.default_rng(1)
    s = _spd(4, rng)
    a, b = s[:3, :3], s[:3, 3:]
    points = rng.normal(size=(6, 3, 1))
    out = f(a, b, points, np.zeros((3, 1)))
    assert out.shape == (6, 1, 1)
    np.testing.assert_allclose(out[2], b.T @ np.linalg.solve(a, points[2]), rtol=1e-12)
    np.testing.assert_allclose(g(a, points, np.zeros((3, 1)))[4], points[4].T @ np.linalg.inv(a), rtol=1e-12)


def test_not_positive_definite_fails_loudly():
    with pytest.raises(np.linalg.LinAlgError):
        spd_solve(np.array([[1.0, 2.0], [2.0, 1.0]]), np.eye(2))


def test_quadratic_form_with_a_centre_whitened_on_its_own():
    """|L^-1 (u - c)|^2 computed as L^-1 u - L^-1 c equals the direct form, whichever side has the batch,
    and leaves the inputs untouched."""
    from numeric._linalg_codegen import spd_quadratic_rows

    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + 3 * np.eye(3)
    points, centre = rng.standard_normal((5, 3)), rng.standard_normal(3)
    kept = points.copy(), centre.copy()
    direct = np.einsum("...i,ij,...j->...", points - centre, np.linalg.inv(cov), points - centre)
    np.testing.assert_allclose(spd_quadratic_rows(cov, points, centre), direct, rtol=1e-12)
    np.testing.assert_allclose(spd_quadratic_rows(cov, centre, points), direct, rtol=1e-12)  # batch on the centre
    batch_cov = np.stack([cov, 2 * cov])[:, None]  # (2, 1, 3, 3) against 5 points: result (2, 5)
    np.testing.assert_allclose(spd_quadratic_rows(batch_cov, points, centre), np.stack([direct, direct / 2]),
                               rtol=1e-12)
    np.testing.assert_array_equal(points, kept[0])
    np.testing.assert_array_equal(centre, kept[1])
