"""Streaming unit records out of files and directories: the one entry point `load_units`.

Each input kind is read by its own streaming reader and every unit goes through the same validation
(`checker.inputs.records`); this module only dispatches on the kind of file and keeps unit ids unique
across all inputs. It imports both the record model and the spreadsheet reader, which do not import
each other's loading.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator, Sequence

from checker.errors import InputError, Location, Problem, UsageError
from checker.inputs import json_stream, yaml_stream
from checker.inputs.precheck import normalised
from checker.inputs.records import InvalidUnit, UnitRecord, describe_value, problem_order, text_or_none, validate_partial
from checker.inputs.source import MAX_FILE_BYTES, Document, Span, key_span_of, load_file, load_yaml, span_of
from checker.inputs.spreadsheet.assemble import read_book
from checker.inputs.spreadsheet.locate import sort_key, translate

RECORD_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")          # accepted when named on the command line
DIRECTORY_WORKBOOK_SUFFIXES = (".xlsx",)        # read from directories (records.md)
CSV_UNITS = "units.csv"                         # a directory holding it is one CSV set


def load_units(paths: Sequence[str | Path]) -> Iterator[UnitRecord | InvalidUnit]:
    """Stream the units of record files and directories, each validated: UnitRecord or InvalidUnit.

    Inputs are YAML/JSON files (one unit, or a top-level `units:` list), JSON Lines files (`.jsonl`,
    one unit per line), XLSX workbooks, CSV sets (a directory holding `units.csv`, or that
    `units.csv` itself) and directories of these. Paths are checked at once (a missing path or an
    unsupported file type raises UsageError before anything is read).

    The streaming contract: units are yielded in input order as the iterator is consumed, one built
    and validated at a time, so memory does not grow with the number of units. Files are read one
    at a time; a `units:` file (JSON or YAML) and a JSON Lines file one unit at a time (a `units:`
    file is first checked to be well-formed throughout, since a syntax error makes the whole file
    unreadable); a workbook or CSV set sheet by sheet through a temporary index on disk, then unit
    by unit. Every problem keeps its exact place (file:line:col, or 文件 › 工作表 › 第N行 › 列X),
    and all problems of a file are reported: a file that cannot be read as units is one
    InvalidUnit with `unit_id` None; a bad line of a JSON Lines file is one, and the other lines
    still stream.
    """
    files = _plan(paths)
    return _stream(files)


@dataclass(frozen=True)
class _Input:
    """One thing to read: a YAML/JSON/JSON Lines file ("text"), a workbook ("xlsx") or a CSV set directory ("csv")."""

    path: Path
    shown: str
    kind: str


def _plan(paths: Sequence[str | Path]) -> list[_Input]:
    """Every record input to read, in order, with its name as shown to users; duplicates once."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    planned: list[_Input] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise UsageError(f"找不到记录文件或目录：{given}")
        if path.is_dir():
            found = _directory_inputs(path)
        else:
            found = [_file_input(path, str(given))]
        for item in found:
            real = item.path.resolve()
            if real not in seen:
                seen.add(real)
                planned.append(item)
    return planned


def _file_input(path: Path, shown: str) -> _Input:
    """A file named on the command line, by its suffix."""
    suffix = path.suffix.lower()
    if suffix in RECORD_SUFFIXES:
        return _Input(path, shown, "text")
    if suffix in WORKBOOK_SUFFIXES:
        return _Input(path, shown, "xlsx")
    if suffix == ".xls":
        raise UsageError(f"不支持旧版 Excel 97-2003 工作簿：{shown}（请在 Excel 中另存为 .xlsx）")
    if suffix == ".csv":
        if path.name.lower() == CSV_UNITS:
            return _Input(path.parent, str(Path(shown).parent), "csv")
        raise UsageError(f"CSV 记录请给出包含 units.csv 的目录（或 units.csv 本身）：{shown}")
    raise UsageError(f"不支持的记录文件类型：{shown}（支持 .yaml、.yml、.json、.jsonl、.xlsx，或含 units.csv 的目录）")


def _directory_inputs(root: Path) -> list[_Input]:
    """Record inputs below `root`, sorted by relative path; hidden files, folders and Excel lock files skipped.

    A folder holding `units.csv` is one CSV set (its CSV files are its sheets); its other record files
    and sub-folders are read as usual.
    """
    found: list[tuple[tuple[str, ...], _Input]] = []

    def unreadable(exc: OSError) -> None:
        raise UsageError(f"无法读取目录：{exc.filename}（{exc.strerror}）")

    for folder, dirs, names in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        here = Path(folder)
        rel = here.relative_to(root)
        if CSV_UNITS in names:
            found.append((rel.parts + (CSV_UNITS,), _Input(here, str(here), "csv")))
        for name in names:
            if name.startswith((".", "~$")):
                continue
            suffix = Path(name).suffix.lower()
            if suffix in RECORD_SUFFIXES:
                found.append((rel.parts + (name,), _Input(here / name, str(here / name), "text")))
            elif suffix in DIRECTORY_WORKBOOK_SUFFIXES:
                found.append((rel.parts + (name,), _Input(here / name, str(here / name), "xlsx")))
    found.sort(key=lambda item: item[0])
    return [item for _, item in found]


def _stream(inputs: list[_Input]) -> Iterator[UnitRecord | InvalidUnit]:
    """Read the inputs one by one and yield their units; unit ids must be unique across all of them."""
    first_seen: dict[str, Location] = {}
    for item in inputs:
        if item.kind != "text":
            yield from _book_units(item, first_seen)
            continue
        suffix = item.path.suffix.lower()
        try:
            if suffix == ".jsonl":
                yield from _jsonl_units(item, first_seen)
            elif suffix == ".json":
                yield from _json_units(item, first_seen)
            else:
                yield from _yaml_units(item, first_seen)
        except OSError as exc:
            yield _unreadable(item.shown, exc)


def _unreadable(shown: str, exc: OSError) -> InvalidUnit:
    problem = Problem(Location(shown, 1, 1), "io-error", f"无法读取文件：{exc.strerror or exc}")
    return InvalidUnit(None, None, None, shown, (problem,), Location(shown, 1, 1))


def _file_problems(shown: str, problems: Sequence[Problem]) -> InvalidUnit:
    """A file (or part of one) that cannot be read as units."""
    return InvalidUnit(None, None, None, shown, tuple(problems), Location(shown, 1, 1))


def _whole_file_units(item: _Input, first_seen: dict[str, Location]) -> Iterator[UnitRecord | InvalidUnit]:
    """The units of a file read whole (one unit per file, or a YAML `units:` list)."""
    try:
        doc = load_file(item.path, item.shown)
    except InputError as exc:
        yield _file_problems(item.shown, exc.problems)
        return
    yield from _document_units(doc, first_seen)


def _json_units(item: _Input, first_seen: dict[str, Location]) -> Iterator[UnitRecord | InvalidUnit]:
    """A JSON file: a `{"units": [...]}` file streamed element by element, anything else read whole."""
    shown = item.shown
    try:
        surveyed = json_stream.survey(item.path)
    except (json_stream.NotStreamable, UnicodeDecodeError) as exc:
        # Read whole, so that the file's problem (or its one unit) reads exactly as it always has;
        # a file too large for that is reported here from the place the survey stopped.
        if isinstance(exc, UnicodeDecodeError) or not exc.text or item.path.stat().st_size <= MAX_FILE_BYTES:
            yield from _whole_file_units(item, first_seen)
        else:
            yield _file_problems(shown, _json_failure(exc, shown))
        return
    problems = [Problem(Location(shown, line, col), "unknown-field",
                        f"含 units: 列表的文件只能有顶层键 units，不应有 “{key}”", None, key, "units", key)
                for key, line, col in surveyed.other_keys]
    if problems:
        yield _file_problems(shown, problems)
    if surveyed.units_null:
        return
    for element in json_stream.units(item.path):
        yield _element_unit(element, shown, first_seen)


def _json_failure(exc: json_stream.NotStreamable, shown: str) -> list[Problem]:
    """The problem at the place a large file's survey stopped, worded by the positioned parser."""
    try:
        json_stream.Element(None, exc.text, exc.offset, exc.line, 1).marked(shown)
    except InputError as error:
        return error.problems
    return [Problem(Location(shown, exc.line, exc.offset + 1), "json-syntax", f"JSON 文件有误：{exc}")]


def _yaml_units(item: _Input, first_seen: dict[str, Location]) -> Iterator[UnitRecord | InvalidUnit]:
    """A YAML file: a `units:` list streamed element by element, anything else read whole."""
    shown = item.shown
    try:
        surveyed = yaml_stream.survey(item.path)
    except (yaml_stream.NotStreamable, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError) or exc.code == "shape" or item.path.stat().st_size <= MAX_FILE_BYTES:
            yield from _whole_file_units(item, first_seen)
        else:
            yield _file_problems(shown, [Problem(Location(shown, exc.line, exc.col), exc.code, str(exc))])
        return
    problems = [Problem(Location(shown, line, col), "unknown-field",
                        f"含 units: 列表的文件只能有顶层键 units，不应有 “{key}”", None, key, "units", key)
                for key, line, col in surveyed.other_keys]
    if problems:
        yield _file_problems(shown, problems)
    for chunk in yaml_stream.units(item.path, surveyed):
        try:
            data = load_yaml(chunk.text, shown, chunk.line)
        except InputError as exc:
            yield _file_problems(shown, exc.problems)
            continue
        span = getattr(data, "span", None) or Span(chunk.line, chunk.col)
        out = normalised(data)
        if out is not None and out["unit_id"] not in first_seen:
            first_seen[out["unit_id"]] = _at(shown, span_of(data, "unit_id"))
            yield UnitRecord(out["unit_id"], out, shown, Location(shown, chunk.line, chunk.col))
        else:
            yield _unit(Document(shown, data, chunk.text), data, span, first_seen)


def _jsonl_units(item: _Input, first_seen: dict[str, Location]) -> Iterator[UnitRecord | InvalidUnit]:
    """A JSON Lines file: one unit per non-blank line; a bad line is reported and the others go on."""
    shown = item.shown
    for line in json_stream.lines(item.path):
        if isinstance(line, tuple):
            number, column, exc = line
            yield _file_problems(shown, [Problem(Location(shown, number, column), "encoding",
                                                 f"第 {number} 行不是有效的 UTF-8 文本：0x{exc.object[exc.start]:02x}")])
        elif line.element is None:
            try:
                json_stream.Element(None, line.text, 0, line.number, 1).marked(shown)
                problems = [Problem(Location(shown, line.number, 1), "json-syntax", f"JSON 行有误：{line.error}")]
            except InputError as exc:
                problems = exc.problems
            yield _file_problems(shown, problems)
        else:
            yield _element_unit(line.element, shown, first_seen)


def _element_unit(element: json_stream.Element, shown: str,
                  first_seen: dict[str, Location]) -> UnitRecord | InvalidUnit:
    """One streamed unit: validated as read (no positions); parsed again with positions only if it has problems."""
    out = normalised(element.data)
    if out is not None:
        unit_id = out["unit_id"]
        if unit_id not in first_seen:
            line, col = element.unit_id_position()
            first_seen[unit_id] = Location(shown, line, col)
            return UnitRecord(unit_id, out, shown, Location(shown, element.line, element.col))
    try:
        data, span = element.marked(shown)
    except InputError as exc:
        return _file_problems(shown, exc.problems)
    return _unit(Document(shown, None, element.text), data, span, first_seen)


def _book_units(item: _Input, first_seen: dict[str, Location]) -> Iterator[UnitRecord | InvalidUnit]:
    """The units of a workbook or CSV set: cells converted per the schema, then the same validation as YAML."""
    shown = item.shown
    try:
        book = read_book(item.path, shown)
    except InputError as exc:
        yield InvalidUnit(None, None, None, shown, tuple(exc.problems), Location(shown))
        return
    if book.problems:
        yield InvalidUnit(None, None, None, shown, tuple(sorted(book.problems, key=sort_key)), Location(shown))
    for sheet_unit in book.units:
        out, found = validate_partial(sheet_unit.data, shown, None, sheet_unit.place_text)
        partial = out if isinstance(out, dict) else {}
        unit_id = text_or_none(partial.get("unit_id")) or sheet_unit.unit_id
        problems = translate(found, sheet_unit) + [replace(p, unit=unit_id) for p in sheet_unit.problems]
        if unit_id is not None:
            duplicate = _duplicate(unit_id, sheet_unit.places.get("unit_id", sheet_unit.location), first_seen)
            if not sheet_unit.duplicated:        # a repeat within the sheet is already reported on both rows
                problems.extend(duplicate)
        problems.sort(key=sort_key)
        if problems:
            yield InvalidUnit(unit_id, text_or_none(partial.get("name")), text_or_none(partial.get("parent")),
                              shown, tuple(problems), sheet_unit.location)
        else:
            yield UnitRecord(unit_id, out, shown, sheet_unit.location)


def _duplicate(unit_id: str, here: Location, first_seen: dict[str, Location]) -> list[Problem]:
    """The duplicate-unit problem if `unit_id` was seen before in this input (and remember it otherwise)."""
    first = first_seen.get(unit_id)
    if first is None:
        first_seen[unit_id] = here
        return []
    where = str(first) if first.sheet is not None else f"{first.file}:{first.line}"
    return [Problem(here, "duplicate-unit", f"unit_id：单位编号 “{unit_id}” 重复，首次出现于 {where}",
                    unit_id, "unit_id", "输入中唯一的单位编号", unit_id)]


def _document_units(doc: Document, first_seen: dict[str, Location]) -> Iterator[UnitRecord | InvalidUnit]:
    """The units of one loaded file: the file itself, or each element of its `units:` list."""
    data = doc.data
    start = Location(doc.path, 1, 1)
    if data is None:
        problem = Problem(start, "empty-file", "文件为空，没有单位记录")
        yield InvalidUnit(None, None, None, doc.path, (problem,), start)
        return
    if not isinstance(data, dict):
        found = describe_value(data)
        expected = "单位记录（映射）或含 units: 列表的映射"
        problem = Problem(start, "type-error", f"文件内容应为{expected}，实际 {found}", None, None, expected, found)
        yield InvalidUnit(None, None, None, doc.path, (problem,), start)
        return
    if "units" not in data or "unit_id" in data:
        yield _unit(doc, data, getattr(data, "span", None), first_seen)
        return
    problems = []
    for key in data:
        if key != "units":
            problems.append(Problem(_at(doc.path, key_span_of(data, key)), "unknown-field",
                                    f"含 units: 列表的文件只能有顶层键 units，不应有 “{key}”", None, str(key),
                                    "units", str(key)))
    if problems:
        yield InvalidUnit(None, None, None, doc.path, tuple(problems), start)
    units = data["units"]
    if units is None:
        return
    if not isinstance(units, list):
        found = describe_value(units)
        problem = Problem(_at(doc.path, span_of(data, "units")), "type-error",
                          f"units：期望 单位记录的列表，实际 {found}", None, "units", "单位记录的列表", found)
        yield InvalidUnit(None, None, None, doc.path, (problem,), start)
        return
    for index, element in enumerate(units):
        yield _unit(doc, element, span_of(units, index), first_seen)


def _unit(doc: Document, data: Any, span: Span | None, first_seen: dict[str, Location]) -> UnitRecord | InvalidUnit:
    """Validate one unit and check that its id was not used before in this input."""
    out, problems = validate_partial(data, doc, span)
    location = _at(doc.path, span)
    partial = out if isinstance(out, dict) else {}
    unit_id = text_or_none(partial.get("unit_id"))
    if unit_id is not None:
        duplicate = _duplicate(unit_id, _at(doc.path, span_of(data, "unit_id") or span), first_seen)
        if duplicate:
            problems.extend(duplicate)
            problems.sort(key=problem_order)
    if problems:
        return InvalidUnit(unit_id, text_or_none(partial.get("name")), text_or_none(partial.get("parent")),
                           doc.path, tuple(problems), location)
    return UnitRecord(unit_id, out, doc.path, location)


def _at(file: str, span: Span | None) -> Location:
    """The location of a span in `file` (its start when the span is unknown)."""
    return Location(file, span.line, span.col) if span else Location(file, 1, 1)
