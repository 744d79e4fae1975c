"""Reading the units of a large YAML file (`units:` list) one unit at a time, with exact line:col.

`survey` walks libyaml's event stream over the whole file (C-speed, nothing is built) and notes
where each element of `units` starts and ends; it also refuses, before any unit is used, what
makes the file unreadable for `checker.inputs.source.load_yaml` (syntax errors, aliases, nesting
deeper than MAX_DEPTH, duplicate keys, unknown tags, NaN/infinity, impossible dates), so that such
a file is reported as a whole exactly as before. `units` then reads the file again and hands each
element's own text (its first line's lead blanked, so columns stay those of the file) to
`load_yaml` with its first line number: one unit's text and tree in memory at a time.
"""
from __future__ import annotations

import datetime as dt
import re
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

import yaml

from checker.inputs.source import MAX_DEPTH

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_INTEGER = re.compile(r"[-+]?[0-9]+")
CHUNK_CHARS = 1 << 20


class NotStreamable(Exception):
    """Not a clean `units:` file: read it whole (which words the problem), or report `code` at `line`:`col`."""

    def __init__(self, code: str, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.code = code
        self.line = line
        self.col = col


@dataclass
class Survey:
    """The file's shape: keys besides `units` (key, line, col), and each unit's text span."""

    other_keys: list[tuple[str, int, int]]
    starts: array          # character index where element i starts
    lead: array            # its column (0-based): the characters before it on its line are blanked
    ends: array            # character index where it ends
    lines: array           # its 1-based line


def _open(path: Path) -> TextIO:
    return path.open("r", encoding="utf-8-sig", newline="")


def _fail(code: str, message: str, mark) -> NotStreamable:
    return NotStreamable(code, message, mark.line + 1, mark.column + 1)


class _Walk:
    """Checks over the events of one value: nesting, aliases, tags, duplicate keys, refused scalars."""

    def __init__(self, loader):
        self.loader = loader

    def value(self, depth: int):
        """Consume one complete value (its events); return its last event."""
        event = self.loader.get_event()
        self.check(event, depth)
        if isinstance(event, yaml.ScalarEvent):
            return event
        if isinstance(event, yaml.SequenceStartEvent):
            while not self.loader.check_event(yaml.SequenceEndEvent):
                self.value(depth + 1)
            return self.loader.get_event()
        if isinstance(event, yaml.MappingStartEvent):
            keys: set[str] = set()
            while not self.loader.check_event(yaml.MappingEndEvent):
                key = self.loader.peek_event()
                if not isinstance(key, yaml.ScalarEvent):
                    raise _fail("bad-key", "映射的键必须是简单的文字", key.start_mark)
                self.value(depth + 1)
                if key.value in keys:
                    raise _fail("duplicate-key", f"键 “{key.value}” 重复", key.start_mark)
                keys.add(key.value)
                self.value(depth + 1)
            return self.loader.get_event()
        raise _fail("yaml-syntax", "此处应为值", event.start_mark)

    def check(self, event, depth: int) -> None:
        if isinstance(event, yaml.AliasEvent):
            raise _fail("alias", "不支持 YAML 锚点/别名（*引用），请直接写出内容", event.start_mark)
        if depth > MAX_DEPTH:
            raise _fail("too-deep", f"嵌套层数超过 {MAX_DEPTH} 层", event.start_mark)
        tag = getattr(event, "tag", None)
        if isinstance(event, yaml.ScalarEvent):
            if tag is not None and not event.implicit[0]:
                raise _fail("bad-tag", f"不支持的 YAML 标签 {tag}", event.start_mark)
            if event.style in (None, "") and event.implicit[0]:
                self.plain(event)
        elif tag is not None and not event.implicit:
            raise _fail("bad-tag", f"不支持的 YAML 标签 {tag}", event.start_mark)

    @staticmethod
    def plain(event) -> None:
        """A plain scalar that `load_yaml` would refuse to construct."""
        text = event.value
        if _NOT_FINITE.fullmatch(text):
            raise _fail("bad-number", f"不接受 NaN 或无穷大：{text}", event.start_mark)
        if _DATE.fullmatch(text):
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                raise _fail("bad-date", f"不存在的日期 “{text}”", event.start_mark) from None
        elif len(text) > 4000 and _INTEGER.fullmatch(text):
            raise _fail("bad-number", "整数位数过多", event.start_mark)


def survey(path: Path) -> Survey:
    """First pass over a YAML file: a single document `{units: [...], ...}` that loads cleanly; NotStreamable otherwise.

    UnicodeDecodeError (not UTF-8) and OSError pass through.
    """
    with _open(path) as handle:
        loader = _LOADER(handle)
        try:
            return _survey(loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            what = exc.problem or exc.context or "无法解析"
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise NotStreamable("yaml-syntax", f"YAML 语法错误：{what}", line, col) from None
        except yaml.YAMLError as exc:
            raise NotStreamable("yaml-syntax", f"YAML 无法解析：{exc}") from None
        finally:
            loader.dispose()


def _survey(loader) -> Survey:
    walk = _Walk(loader)
    for expected in (yaml.StreamStartEvent, yaml.DocumentStartEvent, yaml.MappingStartEvent):
        event = loader.get_event()
        if not isinstance(event, expected):
            raise NotStreamable("shape", "not a mapping")
        walk.check(event, 1)
    found = Survey([], array("q"), array("l"), array("q"), array("q"))
    keys: set[str] = set()
    while not loader.check_event(yaml.MappingEndEvent):
        key = loader.get_event()
        if not isinstance(key, yaml.ScalarEvent):
            raise _fail("bad-key", "映射的键必须是简单的文字", key.start_mark)
        walk.check(key, 2)
        if key.value in keys:
            raise _fail("duplicate-key", f"键 “{key.value}” 重复", key.start_mark)
        keys.add(key.value)
        if key.value == "unit_id":
            raise NotStreamable("shape", "one unit")
        if key.value != "units":
            found.other_keys.append((key.value, key.start_mark.line + 1, key.start_mark.column + 1))
            walk.value(2)
            continue
        if not loader.check_event(yaml.SequenceStartEvent):
            raise NotStreamable("shape", "units is not a list")
        walk.check(loader.get_event(), 2)
        while not loader.check_event(yaml.SequenceEndEvent):
            first = loader.peek_event()
            last = walk.value(3)
            mark = first.start_mark
            found.starts.append(mark.index)
            found.lead.append(mark.column)
            found.ends.append(last.end_mark.index)
            found.lines.append(mark.line + 1)
        loader.get_event()
    loader.get_event()
    if "units" not in keys:
        raise NotStreamable("shape", "no units")
    if not isinstance(loader.get_event(), yaml.DocumentEndEvent) or not isinstance(loader.get_event(), yaml.StreamEndEvent):
        raise NotStreamable("shape", "more than one document")
    return found


@dataclass
class Chunk:
    """One element of `units`: its text (from the start of its first line) and that line's number."""

    text: str
    line: int
    col: int


def units(path: Path, surveyed: Survey) -> Iterator[Chunk]:
    """Second pass: the text of each element of `units`, in order."""
    with _open(path) as handle:
        buf = ""
        base = 0                               # file index of buf[0]
        for start, lead, end, line in zip(surveyed.starts, surveyed.lead, surveyed.ends, surveyed.lines):
            line_start = start - lead
            if line_start - base > CHUNK_CHARS:  # drop what is behind (elements come in file order)
                cut = min(line_start - base, len(buf))
                buf, base = buf[cut:], base + cut
                if line_start > base:
                    handle.read(line_start - base)
                    base = line_start
            while base + len(buf) < end:
                chunk = handle.read(max(CHUNK_CHARS, end - base - len(buf)))
                if not chunk:
                    break
                buf += chunk
            yield Chunk(" " * lead + buf[start - base:end - base], line, lead + 1)
