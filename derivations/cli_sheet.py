"""``gaussproof sheet``: the formula sheet from the command line (the logic is in :mod:`derivations.sheet`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import sheet as sheets


def add_command(commands: argparse._SubParsersAction) -> None:
    """Add the ``sheet`` subcommand to the ``gaussproof`` parser."""
    command = commands.add_parser("sheet", help="formula sheet of every verified result (md, tex, html, pdf)")
    command.add_argument("--format", choices=sheets.FORMATS, default=None,
                         help="output format (default: from the -o extension, else md)")
    command.add_argument("-o", "--output", metavar="PATH", default=None,
                         help="write to PATH (atomically) instead of standard output")
    command.add_argument("--only", metavar="NAMES", action="append", default=[],
                         help="only these derivations (comma-separated; may be repeated)")
    command.add_argument("--with-steps", action="store_true", help="also print every step of every derivation")


def _error(message: str) -> int:
    print(f"gaussproof: error: {message}", file=sys.stderr)
    return 2


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    if args.output is None:
        return "md"
    suffix = Path(args.output).suffix.lower()
    if suffix not in sheets.SUFFIXES:
        raise sheets.SheetError(f"cannot tell the format from {args.output!r}; use --format "
                                f"{{{','.join(sheets.FORMATS)}}} or one of the extensions "
                                f"{', '.join(sheets.SUFFIXES)}")
    return sheets.SUFFIXES[suffix]


def run(args: argparse.Namespace) -> int:
    """Build, render and write the sheet. Exit 0; 1 when an entry is not verified or a claim fails (the
    sheet is still written and says which); 2 for bad input (unknown name, unwritable path)."""
    names = [name.strip() for item in args.only for name in item.split(",") if name.strip()]
    try:
        if args.output is not None:
            sheets.check_writable(args.output)  # before the minute of work, and before guessing the format
        fmt = _format(args)
        if fmt == "pdf" and args.output is None:
            raise sheets.SheetError("a PDF sheet needs -o PATH")
        sheet = sheets.build_sheet(names, with_steps=args.with_steps)  # unknown names: UnknownDerivation
        data = sheets.render(sheet, fmt)
        if args.output is None:
            sys.stdout.write(data.decode("utf-8"))
        else:
            sheets.write_atomically(args.output, data)
            print(f"wrote {args.output} ({fmt}, {len(sheet.entries)} results)", file=sys.stderr)
    except sheets.SheetError as exc:
        return _error(str(exc))
    if not sheet.ok:
        print("gaussproof: the sheet marks results that are not verified or claims that failed",
              file=sys.stderr)
        return 1
    return 0
