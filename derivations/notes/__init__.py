"""The LaTeX front end of ``gaussproof check``: find equality chains in notes (``extract``), parse each side
with a grammar of the notation of Gaussian derivations (``grammar.lark``, ``parse``), judge each step with
the derivations' checker (``judge``), report (``check``)."""

from .check import check_file, format_json, format_text, run
from .extract import FileError, extract_steps
from .judge import StepResult, judge, judge_pair
from .parse import Unparsed, parse

__all__ = ["check_file", "format_json", "format_text", "run", "FileError", "extract_steps", "StepResult",
           "judge", "judge_pair", "Unparsed", "parse"]
