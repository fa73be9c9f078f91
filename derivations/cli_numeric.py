"""The ``gaussproof fit`` and ``gaussproof plot`` subcommands (argument parsing and printing; the work is in
``numeric.fit`` and ``numeric.plots``, imported only when a command runs).

    gaussproof fit FILE [--names A,B] [--units U,V] [--plot PATH]
    gaussproof fit --example [--plot PATH]          # the shipped height/weight data set (cm, kg)
    gaussproof plot bias|density|conditional|fit -o PATH [options]

Input errors (unreadable or malformed file, bad option values, unsupported output extension, unwritable
path) print one line ``gaussproof: error: ...`` and exit with code 2.
"""

from __future__ import annotations

import argparse
import math
import sys

PLOT_KINDS = ("bias", "density", "conditional", "fit")


class InputError(ValueError):
    """Bad input from the command line or a data file: printed as one line, exit code 2."""


def _pair(text: str) -> tuple[str, str]:
    parts = tuple(p.strip() for p in text.split(","))
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"expected two comma-separated names, got {text!r}")
    return parts


def _units(text: str) -> tuple[str, str]:
    parts = tuple(p.strip() for p in text.split(","))
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected two comma-separated units (may be empty), got {text!r}")
    return parts


def _numbers(count: int):
    """An argparse type: exactly ``count`` comma-separated finite numbers (parsed with float, never eval)."""

    def parse(text: str) -> tuple[float, ...]:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != count:
            raise argparse.ArgumentTypeError(f"expected {count} comma-separated numbers, got {text!r}")
        try:
            values = tuple(float(p) for p in parts)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {count} comma-separated numbers, got {text!r}") from None
        if not all(math.isfinite(v) for v in values):
            raise argparse.ArgumentTypeError(f"values must be finite numbers, got {text!r}")
        return values

    return parse


def _number(text: str) -> float:
    return _numbers(1)(text)[0]


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--names", type=_pair, default=None, metavar="A,B",
                        help="column names (default x1,x2; height,weight with --example)")
    parser.add_argument("--units", type=_units, default=None, metavar="U,V",
                        help="column units for labels (default none; cm,kg with --example)")


def add_commands(commands) -> None:
    """Add the ``fit`` and ``plot`` subparsers to ``commands`` (an argparse subparsers object)."""
    fit = commands.add_parser("fit", help="fit a bivariate Gaussian to a two-column data file")
    fit.add_argument("file", nargs="?", metavar="FILE",
                     help="whitespace-separated two-column numeric file (# comments, blank lines skipped)")
    fit.add_argument("--example", action="store_true",
                     help="use the shipped data set numeric/data/height_weight.txt (height cm, weight kg)")
    _add_data_options(fit)
    fit.add_argument("--plot", metavar="PATH", help="also draw the data, fitted density and E[x2|x1] "
                                                   "(.png, .svg or .pdf)")

    plot = commands.add_parser("plot", help="draw a figure: bias, density, conditional or fit")
    plot.add_argument("kind", choices=PLOT_KINDS, metavar="KIND", help=" | ".join(PLOT_KINDS))
    plot.add_argument("-o", "--output", required=True, metavar="PATH", help="output file (.png, .svg or .pdf)")
    plot.add_argument("--mean", type=_numbers(2), default=(0.0, 0.0), metavar="M1,M2",
                      help="density/conditional: mean (default 0,0; negative values as --mean=-1,2)")
    plot.add_argument("--cov", type=_numbers(3), default=(1.0, 0.6, 2.0), metavar="S11,S12,S22",
                      help="density/conditional: covariance entries (default 1,0.6,2)")
    plot.add_argument("--at", type=_number, default=None, metavar="X1",
                      help="conditional: condition on x1 = X1 (default mean_1 + sd_1)")
    plot.add_argument("--samples", type=int, default=20_000,
                      help="bias: simulated data sets per sample size N (default 20000)")
    plot.add_argument("--seed", type=int, default=0, help="bias: random seed (default 0)")
    plot.add_argument("--data", metavar="FILE", help="fit: data file (default: the shipped height/weight data)")
    _add_data_options(plot)


def _fit_from_args(path: str | None, example: bool, names, units):
    from numeric.fit import EXAMPLE_NAMES, EXAMPLE_UNITS, example_path, fit_file

    if example and path:
        raise InputError("give either FILE or --example, not both")
    if not example and not path:
        raise InputError("give a data FILE or --example")
    if example or path is None:
        path = example_path()
        names, units = names or EXAMPLE_NAMES, units or EXAMPLE_UNITS
    try:
        return fit_file(path, names or ("x1", "x2"), units or ("", ""))
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None


def _run_fit(args: argparse.Namespace) -> int:
    from numeric.plots import fit_figure, output_format, save

    if args.plot:
        output_format(args.plot)  # a bad extension or directory fails before the work
    fit, data = _fit_from_args(args.file, args.example, args.names, args.units)
    print(fit)
    if args.plot:
        print(f"plot written to {save(fit_figure(fit, data), args.plot)}")
    return 0


def _run_plot(args: argparse.Namespace) -> int:
    from numeric import plots

    plots.output_format(args.output)
    if args.samples < 2:
        raise InputError(f"--samples must be at least 2, got {args.samples}")
    mean = args.mean
    s11, s12, s22 = args.cov
    cov = ((s11, s12), (s12, s22))
    if args.kind == "bias":
        figure = plots.bias_figure(samples=args.samples, seed=args.seed)
    elif args.kind == "density":
        figure = plots.density_figure(mean, _checked_cov(cov))
    elif args.kind == "conditional":
        figure = plots.conditional_figure(mean, _checked_cov(cov), args.at)
    else:
        fit, data = _fit_from_args(args.data, args.data is None, args.names, args.units)
        figure = plots.fit_figure(fit, data)
    print(f"plot written to {plots.save(figure, args.output)}")
    return 0


def _checked_cov(cov):
    from numeric import validate

    try:
        return validate.covariance(cov, "--cov")
    except ValueError as exc:
        raise InputError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Run ``fit`` or ``plot``; input errors print one line and return 2."""
    try:
        return _run_fit(args) if args.command == "fit" else _run_plot(args)
    except ValueError as exc:  # InputError, and ValueError from numeric naming the bad input
        print(f"gaussproof: error: {exc}", file=sys.stderr)
        return 2
