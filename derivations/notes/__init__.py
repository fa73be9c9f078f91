"""The front end of ``gaussproof check``: read a document as its reader sees it (``sources``: Markdown dialects,
copied pages, LaTeX macros, notebooks), find its chains of relations (``extract``), parse each side with a
grammar of the notation of Gaussian derivations (``grammar.lark``, ``parse``), judge each step with the
derivations' checker (``judge``), report (``check``)."""

from .check import DocumentReport, check_document, check_file, format_json, format_text, run
from .extract import Extraction, FileError, extract, extract_steps
from .judge import StepResult, judge, judge_pair
from .parse import Unparsed, parse
from .sources import Document, read_document

__all__ = ["check_document", "check_file", "DocumentReport", "format_json", "format_text", "run", "FileError",
           "Extraction", "extract", "extract_steps", "Document", "read_document", "StepResult", "judge",
           "judge_pair", "Unparsed", "parse"]
