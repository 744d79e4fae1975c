"""Reading the units of a large JSON file (`{"units": [...]}`) or a JSON Lines file one element at a time.

The C-accelerated `json` decoder reads each element (no positions: a valid unit needs none); the
file is read in chunks, so memory holds one element and one chunk, never the file. Positions are
computed only when asked for (`Element.marked`), by the positioned parser of `checker.inputs.source`
on the element's own text, so problems keep their exact file:line:col.

`survey` is the first pass over a `units:` file: it checks that the whole file is well-formed JSON
of that shape before any unit is used, because a syntax error anywhere makes the file unreadable
(records.md) and must not arrive after its units were already checked.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, TextIO

from checker.inputs.source import Span, load_json_value

CHUNK_CHARS = 1 << 20
MAX_ELEMENT_CHARS = 64 << 20          # one unit larger than this is not a unit record
_WS = re.compile(r"[ \t\n\r]*")
_UNIT_ID_VALUE = re.compile(r'"unit_id"\s*:\s*')


class NotStreamable(Exception):
    """The file is not a well-formed `{"units": [...]}` document (read it whole, or report why)."""

    def __init__(self, reason: str, line: int = 1, text: str = "", offset: int = 0):
        super().__init__(reason)
        self.line = line
        self.text = text            # the text from the start of the failing line (for a positioned re-parse)
        self.offset = offset


class _DuplicateKey(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _DuplicateKey("duplicate key")
    return data


def _constant(name: str) -> Any:
    raise ValueError(f"JSON does not allow {name}")


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


# Strict like `checker.inputs.source.load_json`: no duplicate keys, no NaN/Infinity, no overflowing floats.
DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_finite)
_DECODE_ERRORS = (ValueError, RecursionError)     # JSONDecodeError is a ValueError


@dataclass
class Element:
    """One JSON value read from the stream: its data (plain dicts and lists) and where it is."""

    data: Any
    text: str            # the source from the start of the value's first line to its end
    offset: int          # where the value starts in `text`
    line: int
    col: int

    def unit_id_position(self) -> tuple[int, int]:
        """line:col of the top-level `unit_id` value (only called for a valid unit, whose only such key it is)."""
        match = _UNIT_ID_VALUE.search(self.text, self.offset)
        if match is None:
            return self.line, self.col
        index = match.end()
        line = self.line + self.text.count("\n", self.offset, index)
        return line, index - (self.text.rfind("\n", 0, index) + 1) + 1

    def marked(self, shown: str) -> tuple[Any, Span]:
        """The value parsed again with positions (marked dicts and lists); InputError for what it refuses."""
        return load_json_value(self.text, shown, self.offset, self.line)


class _Buffer:
    """A window on a text file: read in chunks, dropped behind the cursor, with line numbers kept."""

    def __init__(self, handle: TextIO):
        self.handle = handle
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line_at_start = 1      # buf[0] always begins a line
        self.counted = 0            # buf[:counted] has been counted into counted_line
        self.counted_line = 1

    def more(self, at_least: int = CHUNK_CHARS) -> bool:
        """Append at least `at_least` characters (fewer at the end of the file); False at the end."""
        if self.eof:
            return False
        chunk = self.handle.read(at_least)
        if not chunk:
            self.eof = True
            return False
        if "\x00" in chunk:
            raise NotStreamable("NUL")
        self.buf += chunk
        return True

    def skip_ws(self) -> str:
        """Move past blanks; the next character, "" at the end of the file."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def line_of(self, index: int) -> int:
        """The line of buf[index]; indices asked for never go backwards between compactions."""
        self.counted_line += self.buf.count("\n", self.counted, index)
        self.counted = index
        return self.counted_line

    def value(self) -> Element:
        """Decode the value at the cursor (reading on until it is complete) and move past it."""
        start = self.pos
        while True:
            try:
                data, end = DECODER.raw_decode(self.buf, start)
            except _DECODE_ERRORS as exc:
                if not self.eof and len(self.buf) - start < MAX_ELEMENT_CHARS:
                    self.more(max(CHUNK_CHARS, len(self.buf) - start))
                    continue
                raise self.failure(start, str(exc)) from None
            if end >= len(self.buf) and self.more():
                continue                  # a number cut by the chunk's end would read as a shorter number
            break
        line = self.line_of(start)
        line_start = self.buf.rfind("\n", 0, start) + 1
        self.pos = end
        return Element(data, self.buf[line_start:end], start - line_start, line, start - line_start + 1)

    def failure(self, start: int, reason: str) -> NotStreamable:
        line = self.line_of(start)
        line_start = self.buf.rfind("\n", 0, start) + 1
        return NotStreamable(reason, line, self.buf[line_start:], start - line_start)

    def expect(self, char: str) -> None:
        """The next non-blank character must be `char`; move past it."""
        found = self.skip_ws()
        if found != char:
            raise self.failure(self.pos, f"expected {char!r}")
        self.pos += 1

    def compact(self) -> None:
        """Drop what is behind the cursor, up to the last line start (so buf[0] begins a line)."""
        if self.pos < CHUNK_CHARS:
            return
        cut = self.buf.rfind("\n", 0, self.pos) + 1
        if cut == 0:
            return
        self.line_of(cut)
        self.buf = self.buf[cut:]
        self.pos -= cut
        self.counted -= cut
        self.line_at_start = self.counted_line


@dataclass
class Survey:
    """What the first pass learnt: the top-level keys besides `units` (key, line, col) and whether units is null."""

    other_keys: list[tuple[str, int, int]]
    units_null: bool


def _open(path: Path) -> TextIO:
    return path.open("r", encoding="utf-8-sig", newline="")


def _top_level(reader: _Buffer) -> Iterator[tuple[str, int, int]]:
    """The keys of the top-level object, leaving the cursor at each key's value."""
    reader.expect("{")
    if reader.skip_ws() == "}":
        raise NotStreamable("no units")
    while True:
        if reader.skip_ws() != '"':
            raise reader.failure(reader.pos, "expected a key")
        key_at = reader.pos
        key = reader.value()
        if not isinstance(key.data, str):
            raise reader.failure(key_at, "expected a key")
        reader.expect(":")
        reader.skip_ws()
        yield key.data, key.line, key.col
        following = reader.skip_ws()
        reader.pos += 1
        if following == "}":
            return
        if following != ",":
            raise reader.failure(reader.pos - 1, "expected , or }")


def survey(path: Path) -> Survey:
    """First pass: the file is `{"units": [...], ...}`, well-formed throughout; NotStreamable otherwise.

    UnicodeDecodeError (not UTF-8) and OSError pass through.
    """
    with _open(path) as handle:
        reader = _Buffer(handle)
        others: list[tuple[str, int, int]] = []
        seen: set[str] = set()
        units_null = True
        for key, line, col in _top_level(reader):
            if key in seen or key == "unit_id":
                raise NotStreamable("not a units list")
            seen.add(key)
            if key != "units":
                others.append((key, line, col))
                reader.value()
            elif reader.skip_ws() == "[":
                units_null = False
                for _ in _array(reader):
                    reader.compact()
            else:
                raise NotStreamable("units is not a list")
            reader.compact()
        if reader.skip_ws() != "":
            raise reader.failure(reader.pos, "extra data")
        if "units" not in seen:
            raise NotStreamable("no units")
        return Survey(others, units_null)


def _array(reader: _Buffer) -> Iterator[Element]:
    """The elements of the array at the cursor, one at a time."""
    reader.expect("[")
    if reader.skip_ws() == "]":
        reader.pos += 1
        return
    while True:
        reader.skip_ws()
        yield reader.value()
        following = reader.skip_ws()
        reader.pos += 1
        if following == "]":
            return
        if following != ",":
            raise reader.failure(reader.pos - 1, "expected , or ]")


def units(path: Path) -> Iterator[Element]:
    """Second pass over a surveyed file: the elements of its `units` list, one at a time."""
    with _open(path) as handle:
        reader = _Buffer(handle)
        for key, _line, _col in _top_level(reader):
            if key != "units":
                reader.value()
                continue
            for element in _array(reader):
                yield element
                reader.compact()
            return


@dataclass
class Line:
    """One non-blank line of a JSON Lines file: its number and text, and the value or why it did not decode."""

    number: int
    text: str
    element: Element | None
    error: str | None


def lines(path: Path) -> Iterator[Line | tuple[int, int, UnicodeDecodeError]]:
    """The non-blank lines of a JSON Lines file, decoded one at a time; a line that is not UTF-8 gives
    (line number, byte column, error) and reading goes on."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, exc.start + 1, exc
                continue
            if not text.strip():
                continue
            try:
                data, end = DECODER.raw_decode(text, _WS.match(text).end())
                if text[end:].strip():
                    raise ValueError("extra data")
            except _DECODE_ERRORS as exc:
                yield Line(number, text, None, str(exc))
                continue
            start = _WS.match(text).end()
            yield Line(number, text, Element(data, text, start, number, start + 1), None)
