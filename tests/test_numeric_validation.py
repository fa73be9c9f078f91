"""The numeric API's input checks (numeric/validate.py), function by function and argument by argument.

Every public function of numeric/ is called with each bad kind of input in place of one good argument: a
string, a complex number, a masked value, a boolean, None in an object array, NaN; for sample sizes also a
fraction, a number above 2**53 and one too small; for counts (samples, seed, chunk, max_points) a float, a
bool, a string and a negative number; for index lists floats, bools, strings and an empty list. Each must
raise the right exception (TypeError for the wrong kind, ValueError for a wrong value) with a one-line
message that starts with the argument's name, and no warning (the ComplexWarning of a dropped imaginary part
was one). Property tests check that valid input (real arrays, ints) still converts and computes as before.
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

import numeric
from numeric import fit as fitting
from numeric import plots, simulate, univariate, validate

pytestmark = pytest.mark.filterwarnings("error")  # a bad input must be refused, not warned about

COV = [[2.0, 0.5], [0.5, 1.0]]
DATA = [[1.0, 2.0], [2.0, 1.5], [3.0, 5.0], [4.0, 3.0]]


def _fit_figure(**arguments):
    good = dict(fit=fitting.fit_bivariate(DATA), data=DATA)
    return plots.fit_figure(**{**good, **arguments})


def _in_setting(function, setting_class):
    """Call ``function`` (a simulation) with one field of its setting replaced: keyword ``field=value``."""
    def call(**field):
        return function(100, setting=dataclasses.replace(setting_class(), **field))
    return call


U = simulate.UnivariateSetting
M = simulate.MultivariateSetting

#: (label, function called with keyword arguments, good arguments, {argument: kind}); kinds are "real"
#: (an array or number of reals), "size" (a sample size), "size2" (a sample size of at least 2),
#: "count" (an integer: samples 2+, seed 0+, chunk and max_points 1+) and "index" (a list of coordinates).
FUNCTIONS = [
    ("loglik", numeric.loglik, dict(x=[1.0, 2.0, 4.0], mu=0.5, sigma2=2.0),
     dict(x="real", mu="real", sigma2="real")),
    ("score", numeric.score, dict(x=[1.0, 2.0, 4.0], mu=0.5, sigma2=2.0),
     dict(x="real", mu="real", sigma2="real")),
    ("mle", numeric.mle, dict(x=[1.0, 2.0, 4.0]), dict(x="real")),
    ("unbiased_var", numeric.unbiased_var, dict(x=[1.0, 2.0, 4.0]), dict(x="real")),
    ("expected_mle_var", numeric.expected_mle_var, dict(sigma2=2.0, n=5), dict(sigma2="real", n="size")),
    ("exact_moments", univariate.exact_moments, dict(sigma2=2.0, n=5), dict(sigma2="real", n="size2")),
    ("logpdf", numeric.logpdf, dict(x=[0.5, 1.0], mean=[0.0, 0.0], cov=COV), dict(x="real", mean="real", cov="real")),
    ("pdf", numeric.pdf, dict(x=[0.5, 1.0], mean=[0.0, 0.0], cov=COV), dict(x="real", mean="real", cov="real")),
    ("mahalanobis", numeric.mahalanobis, dict(x=[0.5, 1.0], mean=[0.0, 0.0], cov=COV),
     dict(x="real", mean="real", cov="real")),
    ("marginal", numeric.marginal, dict(mean=[0.0, 1.0], cov=COV, idx=[1]),
     dict(mean="real", cov="real", idx="index")),
    ("conditional", numeric.conditional, dict(mean=[0.0, 1.0], cov=COV, idx_a=[0], x_a=[0.5]),
     dict(mean="real", cov="real", idx_a="index", x_a="real")),
    ("linear_gaussian", numeric.linear_gaussian, dict(mu=[0.0, 1.0], Lambda=COV, A=[[1.0, -1.0]], b=[0.5], L=[[2.0]]),
     dict(mu="real", Lambda="real", A="real", b="real", L="real")),
    ("linear_gaussian_posterior", numeric.linear_gaussian_posterior,
     dict(mu=[0.0, 1.0], Lambda=COV, A=[[1.0, -1.0]], b=[0.5], L=[[2.0]], y=[0.3]),
     dict(mu="real", Lambda="real", A="real", b="real", L="real", y="real")),
    ("mvn_mle", numeric.mvn_mle, dict(X=DATA), dict(X="real")),
    ("expected_mle_cov", numeric.expected_mle_cov, dict(cov=COV, n=5), dict(cov="real", n="size")),
    ("unbiasing_factor", fitting.unbiasing_factor, dict(n=5), dict(n="size2")),
    ("fit_bivariate", fitting.fit_bivariate, dict(data=DATA), dict(data="real")),
    ("density_figure", plots.density_figure, dict(mean=[0.0, 1.0], cov=COV), dict(mean="real", cov="real")),
    ("conditional_figure", plots.conditional_figure, dict(mean=[0.0, 1.0], cov=COV, at=0.5),
     dict(mean="real", cov="real", at="real")),
    ("fit_figure", _fit_figure, {}, dict(data="real", max_points="count", seed="count")),
    ("bias_figure", plots.bias_figure, dict(sizes=[2, 3], samples=100, seed=0, sigma2=1.0),
     dict(sizes="size2", samples="count", seed="count", sigma2="real")),
    ("simulate_univariate", simulate.simulate_univariate, dict(samples=100, seed=0, chunk=50),
     dict(samples="count", seed="count", chunk="count")),
    ("simulate_univariate setting", _in_setting(simulate.simulate_univariate, U), {},
     dict(n="size2", mu="real", sigma2="real")),
    ("simulate_mle_covariance", simulate.simulate_mle_covariance, dict(samples=100, seed=0, chunk=50),
     dict(samples="count", seed="count", chunk="count")),
    ("simulate_mle_covariance setting", _in_setting(simulate.simulate_mle_covariance, M), {},
     dict(n="size2", mean="real", cov="real")),
    ("simulate_conditional", simulate.simulate_conditional, dict(samples=100, seed=0, chunk=50),
     dict(samples="count", seed="count", chunk="count")),
    ("simulate_conditional setting", _in_setting(simulate.simulate_conditional, M), {},
     dict(mean="real", cov="real", idx_a="index", x_a="real")),
    ("simulate_linear_gaussian", simulate.simulate_linear_gaussian, dict(samples=100, seed=0, chunk=50),
     dict(samples="count", seed="count", chunk="count")),
    ("simulate_linear_gaussian setting", _in_setting(simulate.simulate_linear_gaussian, M), {},
     dict(mu="real", Lambda="real", A="real", b="real", L="real")),
    ("run_claims", simulate.run_claims, dict(names=["mle-univariate"], samples=100, seed=0),
     dict(samples="count", seed="count")),
    ("monte_carlo_throughput", simulate.monte_carlo_throughput, dict(names=["mle-univariate"], samples=100, seed=0,
                                                                      chunk=50),
     dict(samples="count", seed="count", chunk="count")),
]


def _good_value(label: str, good: dict, argument: str):
    if argument in good:
        return good[argument]
    if label == "fit_figure":
        return {"data": DATA, "max_points": 10, "seed": 0}[argument]
    setting = U() if label.startswith("simulate_univariate") else M()
    return getattr(setting, argument)


def _first_replaced(good, value):
    """``good`` as an object array with its first entry replaced by ``value`` (or ``value`` for a scalar)."""
    array = np.array(good, dtype=object)
    if array.ndim == 0:
        return value
    array.flat[0] = value
    return array


def _first_masked(good):
    return np.ma.masked_array(good, mask=np.arange(np.size(good)).reshape(np.shape(good)) == 0)


def _bad_reals(name: str, good):
    """(kind, bad value, exception, message pattern) for an argument that takes real numbers."""
    array = np.asarray(good, dtype=float)
    scalar = array.ndim == 0
    return [
        ("str", str(good) if scalar else array.astype(str).tolist(), TypeError,
         rf"{name} must be numeric, got (str|an array of str)"),
        ("complex", complex(good) + 1j if scalar else (array + 1j).tolist(), TypeError,
         rf"{name} must be real, got (complex|a complex array)"),
        ("complex zero imaginary", array.astype(complex), TypeError,
         rf"{name} must be real, got a complex array"),
        ("masked", _first_masked(array), ValueError,
         rf"{name} is a masked array: fill or drop the masked values first \(np\.ma\.filled / \.compressed\(\)\)"),
        ("bool", True if scalar else np.ones(array.shape, dtype=bool), TypeError,
         rf"{name} must be numeric, got (bool|a boolean array)"),
        ("None", _first_replaced(good, None), TypeError, rf"{name} must be numeric, got None( in an object array)?"),
        ("nan", np.asarray(_first_replaced(good, float("nan")), dtype=float), ValueError,
         rf"{name} contains NaN or inf"),
    ]


def _bad_sizes(name: str, good, minimum: int):
    whole = rf"{name} must be a whole number of at most 2\*\*53, got "
    return [kind for kind in _bad_reals(name, good) if kind[0] != "complex zero imaginary"] + [
        ("fraction", 2.5, ValueError, whole + r"2\.5"),
        ("1e20", 1e20, ValueError, whole + r"1e\+20"),
        ("huge Python int", 10 ** 30, ValueError, whole + r"1e\+30"),
        ("2**53 + 1", 2 ** 53 + 1, ValueError, whole + "9007199254740993"),
        ("too small", minimum - 1, ValueError, rf"{name} must be at least {minimum}, got {minimum - 1}"),
        ("negative", -3, ValueError, rf"{name} must be at least {minimum}, got -3"),
        ("array with one too small", [minimum + 3, minimum - 1], ValueError,
         rf"{name} must be at least {minimum}, got {minimum - 1} \(at index \(1,\)\)"),
    ]


def _bad_counts(name: str):
    minimum = {"samples": 2, "seed": 0}.get(name, 1)
    return [
        ("float", 100.0, TypeError, rf"{name} must be an integer, got float"),
        ("bool", True, TypeError, rf"{name} must be an integer, got bool"),
        ("str", "100", TypeError, rf"{name} must be an integer, got str"),
        ("array", np.array([100]), TypeError, rf"{name} must be an integer, got ndarray"),
        ("negative", -1, ValueError, rf"{name} must be at least {minimum}, got -1"),
    ]


def _bad_indices(name: str):
    indices = rf"{name} must be a non-empty list of integer indices, got "
    return [
        ("float", [0.0], TypeError, indices + "a float64 array"),
        ("bool", [True], TypeError, indices + "a boolean array"),
        ("str", ["0"], TypeError, indices + "an array of str"),
        ("complex", [0j], TypeError, indices + "a complex array"),
        ("None", [None], TypeError, indices + "an object array"),
        ("empty", [], ValueError, indices + r"shape \(0,\)"),
        ("masked", np.ma.masked_array([0], mask=[True]), ValueError, rf"{name} is a masked array"),
    ]


def _cases():
    for label, function, good, kinds in FUNCTIONS:
        for argument, kind in kinds.items():
            value = _good_value(label, good, argument)
            if kind == "real":
                bad = _bad_reals(argument, value)
            elif kind.startswith("size"):
                bad = _bad_sizes(argument, value, 2 if kind == "size2" else 1)
            elif kind == "count":
                bad = _bad_counts(argument)
            else:
                bad = _bad_indices(argument)
            for what, bad_value, exception, message in bad:
                if (argument, what) == ("at", "None"):
                    continue  # at=None is the default (mean_1 + sd_1), not a bad value
                yield pytest.param(function, {**good, argument: bad_value}, exception, message,
                                   id=f"{label}-{argument}-{what}")


@pytest.mark.parametrize("function, arguments, exception, message", list(_cases()))
def test_bad_input_is_refused_naming_the_argument(function, arguments, exception, message):
    with pytest.raises(exception, match=f"^{message}") as info:
        function(**arguments)
    assert "\n" not in str(info.value)
    if exception is ValueError:  # a wrong value, not a wrong kind
        assert not isinstance(info.value, TypeError)
    else:  # the wrong kind: a TypeError, and still a ValueError for code that catches every bad input so
        assert isinstance(info.value, ValueError)


def test_every_public_function_is_covered():
    """Each function named in numeric.__all__ (and the public ones of fit, plots, simulate) has a row."""
    covered = {label.split()[0] for label, *_ in FUNCTIONS}
    assert set(numeric.__all__) <= covered
    assert {"exact_moments", "unbiasing_factor", "fit_bivariate", "density_figure", "conditional_figure",
            "fit_figure", "bias_figure", "simulate_univariate", "simulate_mle_covariance", "simulate_conditional",
            "simulate_linear_gaussian", "run_claims", "monte_carlo_throughput"} <= covered


# ---- the cases named in the issue, and the odd ones ----------------------------------------------------------
@pytest.mark.parametrize("call, exception, message", [
    (lambda: numeric.expected_mle_var(1.0, 1e20), ValueError, r"^n must be a whole number of at most 2\*\*53"),
    (lambda: numeric.expected_mle_var(1.0, 10 ** 400), ValueError, "^n has an entry too large for a float64$"),
    (lambda: numeric.expected_mle_var(1.0, np.uint64(2 ** 64 - 1)), ValueError, r"^n must be a whole number"),
    (lambda: numeric.expected_mle_var(1.0, np.inf), ValueError, "^n contains NaN or inf"),
    (lambda: numeric.mle(np.array([1, 2], dtype=complex)), TypeError, "^x must be real, got a complex array$"),
    (lambda: numeric.mle(np.ma.masked_invalid([1.0, np.nan, 3.0])), ValueError, "^x is a masked array"),
    (lambda: numeric.mle("1.5"), TypeError, "^x must be numeric, got str$"),
    (lambda: numeric.mle(["1", "2"]), TypeError, "^x must be numeric, got an array of str$"),
    (lambda: numeric.mle([b"1", b"2"]), TypeError, "^x must be numeric, got an array of bytes$"),
    (lambda: numeric.mle(None), TypeError, "^x must be numeric, got None$"),
    (lambda: numeric.mle(np.array(["1.5", 2.0], dtype=object)), TypeError,
     "^x must be numeric, got str in an object array$"),
    (lambda: numeric.mle([{}, 1.0]), TypeError, "^x must be numeric, got dict in an object array$"),
    (lambda: numeric.mle(np.array(["2020-01-01"], dtype="datetime64[D]")), TypeError,
     r"^x must be numeric, got a datetime64\[D\] array$"),
    (lambda: numeric.mle([[1.0, 2.0], [3.0]]), ValueError,
     "^x must be a rectangular array of numbers, got a ragged nested sequence$"),
    (lambda: numeric.expected_mle_var(1.0, True), TypeError, "^n must be numeric, got bool$"),
    (lambda: numeric.expected_mle_var(1.0, np.True_), TypeError, "^n must be numeric, got bool"),
    (lambda: numeric.expected_mle_var([1.0, 2.0, 3.0], [2, 3]), ValueError,
     r"^shape mismatch: .*sigma2 \(3,\), n \(2,\)$"),
    (lambda: numeric.loglik(np.zeros((3, 4)), np.zeros(2), 1.0), ValueError,
     r"^shape mismatch: .*x \(3, 4\), mu \(2,\), sigma2 \(\)$"),
    (lambda: univariate.exact_moments(1.0, [5, 6]), ValueError, r"^n must be a single number, got an array"),
    (lambda: plots.conditional_figure(at=[0.0, 1.0]), ValueError, r"^at must be a single number"),
    (lambda: plots.fit_figure(None, DATA), TypeError, "^fit must be a BivariateFit"),
    (lambda: fitting.fit_bivariate(DATA, names="ab"), TypeError, "^names must be a sequence of 2 strings"),
    (lambda: fitting.fit_bivariate(DATA, units=("cm",)), ValueError, r"^units needs one entry per column \(2\)"),
    (lambda: fitting.fit_bivariate([[1.0, 2.0, 3.0]]), ValueError, r"^data must have shape \(N, 2\)"),
    (lambda: simulate.run_claims("mle-univariate", 100), TypeError, "^names must be a sequence of derivation names"),
    (lambda: simulate.simulate_univariate(100, chunk=0), ValueError, "^chunk must be at least 1, got 0$"),
    (lambda: simulate.simulate_univariate(1), ValueError, "^samples must be at least 2, got 1$"),
])
def test_named_cases(call, exception, message):
    with pytest.raises(exception, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_a_masked_array_with_nothing_masked_is_its_data():
    data = np.array([1.0, 2.0, 4.0])
    for value in (np.ma.masked_array(data), np.ma.masked_array(data, mask=[False] * 3)):
        np.testing.assert_array_equal(numeric.mle(value), numeric.mle(data))


def test_object_arrays_of_real_numbers_are_their_floats():
    """Python ints, Fractions and NumPy scalars in an object array are numbers; they convert like floats."""
    values = np.array([1, Fraction(1, 2), np.float32(2.5), 10 ** 20], dtype=object)
    np.testing.assert_array_equal(validate.finite_array(values, "x"), [1.0, 0.5, 2.5, 1e20])


def test_input_type_error_is_both_type_error_and_value_error():
    assert issubclass(validate.InputTypeError, TypeError) and issubclass(validate.InputTypeError, ValueError)


# ---- valid input: the same answers as before ------------------------------------------------------------------
REAL_DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.int8])


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=REAL_DTYPES, shape=st.tuples(st.integers(1, 3), st.integers(1, 6)))
def test_finite_array_converts_real_arrays_as_before(data, dtype, shape):
    """Before the checks, conversion was np.asarray(value, dtype=float): valid input still converts so."""
    info = np.finfo(dtype) if np.issubdtype(dtype, np.floating) else np.iinfo(dtype)
    elements = (st.floats(-1e6, 1e6, width=32) if np.issubdtype(dtype, np.floating)
                else st.integers(int(info.min), int(info.max)))
    value = data.draw(arrays(dtype, shape, elements=elements))
    for form in (value, value.tolist()):
        converted = validate.finite_array(form, "x")
        assert converted.dtype == np.float64
        np.testing.assert_array_equal(converted, np.asarray(form, dtype=float))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 2 ** 53), form=st.sampled_from([int, np.int64, float, np.float64, np.uint64]))
def test_sample_sizes_up_to_2_53_are_accepted_exactly(n, form):
    size = validate.sample_size(form(n), "n")
    assert size.dtype == np.int64 and int(size) == n
    assert float(numeric.expected_mle_var(2.0, form(n))) == pytest.approx((n - 1) / n * 2.0, rel=1e-15)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.int64, st.tuples(st.integers(1, 3), st.integers(2, 8)), elements=st.integers(-1000, 1000)))
def test_integer_samples_give_the_answers_of_their_floats(x):
    for got, want in zip(numeric.mle(x), numeric.mle(x.astype(float))):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(numeric.mle(x)[1], x.var(axis=-1), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(numeric.unbiased_var(x.tolist()), numeric.unbiased_var(x.astype(float)))


@settings(max_examples=40, deadline=None)
@given(k=st.integers(0, 10 ** 6), form=st.sampled_from([int, np.int64, np.int32, np.uint16]))
def test_counts_accept_python_and_numpy_integers(k, form):
    if form is np.uint16:
        k %= 2 ** 16
    assert validate.count(form(k), "samples") == k
    assert type(validate.count(form(k), "samples")) is int


@settings(max_examples=30, deadline=None)
@given(idx=st.permutations([0, 1, 2]).map(lambda p: p[:2]), form=st.sampled_from([list, tuple, np.array]))
def test_integer_indices_are_accepted_in_any_container(idx, form):
    mean, cov = np.array([0.0, 1.0, 2.0]), np.diag([1.0, 2.0, 3.0])
    got_mean, got_cov = numeric.marginal(mean, cov, form(idx))
    np.testing.assert_allclose(got_mean, mean[list(idx)])
    np.testing.assert_allclose(got_cov, cov[np.ix_(idx, idx)])
