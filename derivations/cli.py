"""Command line (also ``python -m derivations``)::

    gaussproof list | show NAME | verify [NAME ...] | simulate [NAME ...]
    gaussproof fit FILE | plot KIND -o PATH          (derivations.cli_numeric)
    gaussproof sheet [--format ...] [-o PATH]        (derivations.cli_sheet)
    gaussproof check FILE [FILE ...]                 (derivations.notes)
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import cli_numeric, cli_sheet, registry
from .checker import Method, Report, Status, verify_all
from .limits import Pool
from .printing import expr_text, to_json, to_latex, to_text

_SHOW_FORMATS = {"latex": to_latex, "text": to_text, "json": to_json}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gaussproof",
                                     description="Mechanically verified derivations for Gaussian statistics.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="list the derivations")
    show = commands.add_parser("show", help="print a derivation")
    show.add_argument("name")
    show.add_argument("--format", choices=sorted(_SHOW_FORMATS), default="latex")
    check = commands.add_parser("verify", help="check every step of every (or the named) derivation")
    check.add_argument("names", nargs="*", metavar="NAME")
    check.add_argument("-v", "--verbose", action="store_true", help="print the verdict on every step")
    simulate = commands.add_parser("simulate", help="Monte Carlo cross-check of the claimed expectations")
    simulate.add_argument("names", nargs="*", metavar="NAME",
                          help="only claims of these derivations (default: all)")
    simulate.add_argument("--samples", type=_positive_int, default=200_000,
                          help="simulated data sets per claim (default 200000)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    cli_numeric.add_commands(commands)  # fit, plot
    cli_sheet.add_command(commands)  # sheet
    notes = commands.add_parser("check", help="check the equality chains in Markdown/LaTeX notes step by step")
    notes.add_argument("files", nargs="+", metavar="FILE")
    notes.add_argument("--format", choices=("text", "json", "github", "html"), default="text",
                       help="text (one line per step), json, github (a workflow annotation per invalid step), or "
                            "html (the documents with every step marked)")
    notes.add_argument("--explain", action="store_true",
                       help="print each file's scope first: the definitions and premises its steps are judged in")
    notes.add_argument("--budget", type=_positive_seconds, default=None, metavar="SECONDS",
                       help="CPU seconds for all the steps of one file; the steps after it is used up are not "
                            "checked (default 300)")
    notes.add_argument("--inline", action="store_true",
                       help="check the equalities of inline math ($..$, \\(..\\)) too, not only display math")
    return parser


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    print(f"\rsimulating [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr,
          flush=True)
    if done == total:
        print(file=sys.stderr)


def _simulate(names: Sequence[str], samples: int, seed: int) -> int:
    from numeric.simulate import FALSE_FAILURE_RATE, Z_LIMIT, run_claims

    progress = _progress_bar if sys.stderr.isatty() else None
    results = run_claims(names, samples, seed, progress)  # unknown names: UnknownDerivation (one-line error)
    if not results:
        print(f"gaussproof: error: no simulated claims for {', '.join(names)}", file=sys.stderr)
        return 2
    width = max(len(r.claim) for r in results)
    print(f"{'claim':<{width}}  {'exact':>12}  {'estimate':>12}  {'std error':>10}  {'z':>7}")
    for r in results:
        print(f"{r.claim:<{width}}  {r.exact:>12.6g}  {r.estimate:>12.6g}  {r.standard_error:>10.3g}  "
              f"{r.z:>7.2f}{'' if r.passed else '  FAILED'}")
    failed = sum(not r.passed for r in results)
    print(f"{len(results)} claims, {samples} simulated data sets each (seed {seed}): {failed} with |z| > "
          f"{Z_LIMIT:g} (false-failure rate per correct claim {FALSE_FAILURE_RATE:.1e})")
    return 1 if failed else 0


def _print_list() -> int:
    derivations = registry.all_derivations()
    width = max(len(d.name) for d in derivations)
    for d in derivations:
        print(f"{d.name:<{width}}  {d.n_steps:>3} steps  {d.title}")
    return 0


def _print_failure(report: Report) -> None:
    for result in report.failures:
        chain, verdict = result.chain, result.verdict
        previous = chain.steps[result.index - 1].expr
        print(f"FAILED {report.derivation.name}: chain {chain.slug!r}, step {result.index} "
              f"({result.step.justification}): {verdict.status.value}"
              f"{f' ({verdict.method.value})' if verdict.method else ''}: {verdict.message}", file=sys.stderr)
        print(f"  step {result.index - 1}: {expr_text(previous)}", file=sys.stderr)
        print(f"  step {result.index}: {expr_text(result.step.expr)}", file=sys.stderr)
        if verdict.counterexample:
            pairs = ", ".join(f"{k} = {v}" for k, v in verdict.counterexample.items())
            print(f"  counterexample: {pairs}", file=sys.stderr)


def _verify(names: Sequence[str], verbose: bool) -> int:
    derivations = [registry.get(n) for n in names] if names else registry.all_derivations()
    width = max(12, *(len(d.name) for d in derivations))
    print(f"{'derivation':<{width}}  {'steps':>5}  {'proved':>6}  {'numeric':>7}  {'failed':>6}  "
          f"{'verified':>8}  {'seconds':>7}")
    with Pool() as pool:  # one worker per core, forked once the derivations are built (they are inherited)
        reports = verify_all(derivations, pool)
    for d, report in zip(derivations, reports):  # seconds: the sum of the steps' times (they run interleaved)
        print(f"{d.name:<{width}}  {len(report.results):>5}  {report.count(Status.VALID, Method.SYMBOLIC):>6}  "
              f"{report.count(Status.VALID, Method.NUMERIC):>7}  {len(report.failures):>6}  "
              f"{'yes' if report.ok else 'NO':>8}  {report.seconds:>7.2f}")
        if verbose:
            for r in report.results:
                method = f" ({r.verdict.method.value})" if r.verdict.method else ""
                print(f"    {r.label}: {r.verdict.status.value}{method}, {r.verdict.seconds:.2f} s")
    steps = sum(len(r.results) for r in reports)
    proved = sum(r.count(Status.VALID, Method.SYMBOLIC) for r in reports)
    numeric = sum(r.count(Status.VALID, Method.NUMERIC) for r in reports)
    failed = sum(len(r.failures) for r in reports)
    seconds = sum(r.seconds for r in reports)
    print(f"{len(reports)} derivations, {steps} steps: {proved} proved symbolically, {numeric} checked "
          f"numerically, {failed} failed ({seconds:.2f} s)")
    for report in reports:
        _print_failure(report)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _print_list()
        if args.command == "show":
            print(_SHOW_FORMATS[args.format](registry.get(args.name)))
            return 0
        if args.command in ("fit", "plot"):
            return cli_numeric.run(args)
        if args.command == "sheet":
            return cli_sheet.run(args)
        if args.command == "simulate":
            return _simulate(args.names, args.samples, args.seed)
        if args.command == "check":
            from .notes import run as check_notes
            from .notes.check import DEFAULT_BUDGET

            return check_notes(args.files, args.format,
                               budget=DEFAULT_BUDGET if args.budget is None else args.budget, inline=args.inline,
                               explain=args.explain)
        return _verify(args.names, args.verbose)
    except registry.UnknownDerivation as exc:
        print(f"gaussproof: error: {exc}", file=sys.stderr)
        return 2
