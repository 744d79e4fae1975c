"""The exception tree of pbcheck: every user-facing failure is one of these, each with an exit code.

Exit codes (interface.md): 0 clean, 1 findings at/above --fail-on, 2 bad usage / records / pack /
template / parameter, 3 internal error of the checker itself (a bug: please report it).

    PbcheckError (exit 2)
    ├── UsageError            bad command-line usage or option value
    ├── InputError            problems in user-supplied files; carries a list of Problem
    │   ├── RecordError       unit records (YAML/JSON/XLSX/CSV) that do not match records.md
    │   ├── PackError         rule packs that do not match packs.md (also expression errors)
    │   ├── TemplateError     Jinja templates (messages, notices) that do not parse or render
    │   ├── ParameterError    --param values / parameter overrides of the wrong type
    │   └── LedgerError       returned 整改台账 workbooks (`pbcheck ledger import`) with invalid rows
    ├── OutputError           the outputs cannot be written (read-only/full disk, --out below a file)
    └── InternalError (exit 3) the engine or the checker misbehaved (never the user's fault)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


@dataclass(frozen=True)
class Location:
    """A 1-based position in a user file: line/col for text files, sheet/row/column for workbooks."""

    file: str
    line: int | None = None
    col: int | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            parts = [self.file, self.sheet]
            if self.row is not None:
                parts.append(f"第{self.row}行")
            if self.column is not None:
                parts.append(f"列{self.column}")
            return " › ".join(parts)
        if self.line is None:
            return f"{self.file}:1:1" if self.file else "<unknown>:1:1"
        return f"{self.file}:{self.line}:{self.col or 1}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, with where it is and what was expected and found."""

    location: Location | None
    code: str
    message: str
    unit: str | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        text = self.message
        if self.unit:
            text = f"[{self.unit}] {text}"
        if self.location is None:          # e.g. a --param value: there is no file to point at
            return f"{self.code} {text}"
        return f"{self.location}: {self.code} {text}"


class PbcheckError(Exception):
    """Base of all errors pbcheck reports to users instead of a traceback."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, problems: Iterable[Problem] = ()):
        self.problems: list[Problem] = list(problems)
        super().__init__(message)

    def lines(self) -> list[str]:
        """The error as lines for the terminal: the headline, then one line per problem."""
        return [str(self.args[0])] + [str(p) for p in self.problems]


class UsageError(PbcheckError):
    """The command line asks for something impossible (unknown option value, missing file…)."""


class InputError(PbcheckError):
    """A user-supplied file is malformed; `problems` lists every problem found in it."""


class RecordError(InputError):
    """Unit records that do not satisfy records.md."""


class PackError(InputError):
    """A rule pack that does not satisfy packs.md (YAML, structure, expressions, tests)."""


class TemplateError(InputError):
    """A Jinja template (rule message/remedy, notice template) that cannot be parsed or rendered."""


class ParameterError(InputError):
    """A parameter value (`--param`, override) of the wrong type or for an unknown parameter."""


class LedgerError(InputError):
    """A returned 整改台账 workbook whose rows cannot be imported (unknown 问题编号, edited locked cells…)."""


class OutputError(PbcheckError):
    """The outputs cannot be written (read-only or full disk, --out below a file): the user's environment."""


class InternalError(PbcheckError):
    """The checker itself failed (e.g. the rules engine raised); not caused by the input."""

    exit_code = EXIT_INTERNAL


@dataclass
class ProblemList:
    """Collects problems while a file is checked, so that all of them are reported at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        """Record one problem."""
        self.items.append(problem)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)
