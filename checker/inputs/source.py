"""Reading YAML and JSON files into plain Python data that remembers where every value came from.

Mappings load as `MarkedDict` and sequences as `MarkedList`: ordinary dict/list subclasses whose
`spans` give the 1-based source `Span` of each key's value (and `key_spans` of each key). Scalars
follow YAML 1.2's core schema, not PyYAML's 1.1 defaults: `yes`/`on` stay strings, only ISO
`YYYY-MM-DD` becomes a date, `1:20` is not sexagesimal. Duplicate keys, aliases (anchors bombs),
NaN/infinity in JSON, bad encodings and absurd nesting are errors with file:line:col, never crashes.
"""
from __future__ import annotations

import bisect
import gc
import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from checker.errors import InputError, Location, Problem

MAX_DEPTH = 64
MAX_FILE_BYTES = 200 * 1024 * 1024


class Span(NamedTuple):
    """Where a value sits in its file: 1-based start line/col, plus what is needed to map offsets.

    A NamedTuple, not a dataclass: one is made for every key and value read, and this is the
    cheapest immutable record Python has.
    """

    line: int
    col: int
    style: str | None = None      # YAML scalar style: None plain, "'" '"' quoted, "|" ">" block
    start: int = 0                # 0-based character index of the node in the file text
    end: int = 0


class MarkedDict(dict):
    """A dict that knows the source span of itself, of each value (`spans`) and of each key (`key_spans`)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.span: Span | None = None
        self.spans: dict[Any, Span] = {}
        self.key_spans: dict[Any, Span] = {}


class MarkedList(list):
    """A list that knows the source span of itself and of each element (`spans`)."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.span: Span | None = None
        self.spans: list[Span] = []


@dataclass(frozen=True)
class Document:
    """A loaded file: its data, its name as shown to users, and its text (for mapping offsets)."""

    path: str
    data: Any
    text: str


def _problem(path: str, line: int, col: int, code: str, message: str) -> Problem:
    return Problem(Location(path, line, col), code, message)


def read_text(path: Path, display: str | None = None) -> str:
    """Read a file as UTF-8 (BOM accepted); other encodings are an error that says so."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"无法读取文件 {shown}：{exc.strerror}", [_problem(shown, 1, 1, "io-error", f"无法读取：{exc.strerror}")]) from None
    if size > MAX_FILE_BYTES:
        raise InputError(f"文件过大：{shown}", [_problem(shown, 1, 1, "file-too-large",
                                                      f"文件大小 {size} 字节，超过上限 {MAX_FILE_BYTES} 字节")])
    raw = path.read_bytes()
    return decode_utf8(raw, shown)


def decode_utf8(raw: bytes, shown: str) -> str:
    """Decode bytes as UTF-8 (with or without BOM); anything else is an error naming the byte's place."""
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        raise InputError(f"文件编码错误：{shown}", [_problem(shown, 1, 1, "encoding",
                                                          "文件为 UTF-16 编码，请另存为 UTF-8")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        hint = "（疑似 GBK/GB18030 编码，请另存为 UTF-8）" if _looks_gbk(raw) else ""
        raise InputError(f"文件编码错误：{shown}", [_problem(shown, line, col, "encoding",
                                                          f"不是有效的 UTF-8 文本：第 {exc.start + 1} 字节 0x{raw[exc.start]:02x}{hint}")]) from None
    if "\x00" in text:
        pos = text.index("\x00")
        line = text.count("\n", 0, pos) + 1
        raise InputError(f"文件含空字符：{shown}", [_problem(shown, line, 1, "encoding", "文件含 NUL 字符，不是文本文件")])
    return text


def _looks_gbk(raw: bytes) -> bool:
    try:
        raw.decode("gb18030")
        return True
    except UnicodeDecodeError:
        return False


# --------------------------------------------------------------------------------------------
# YAML

class _MarkedConstructor:
    """Constructors shared by both loaders: marked containers, duplicate keys, strict scalars."""

    line_offset = 0         # lines of the file before the text being loaded (a chunk of a streamed file)

    def _span(self, node) -> Span:
        return _span(node, self.line_offset)

    def construct_yaml_map(self, node):
        data = MarkedDict()
        data.span = self._span(node)
        yield data
        if not isinstance(node, MappingNode):
            raise _YamlProblem(node.start_mark, "yaml-syntax", "此处应为映射")
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _YamlProblem(key_node.start_mark, "alias", "不支持 YAML 合并键 <<")
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise _YamlProblem(key_node.start_mark, "bad-key", "映射的键必须是简单的文字")
            if key in data:
                first = data.key_spans[key]
                raise _YamlProblem(key_node.start_mark, "duplicate-key",
                                   f"键 “{key}” 重复（第 {first.line} 行已出现）")
            data[key] = self.construct_object(value_node, deep=True)
            data.key_spans[key] = self._span(key_node)
            data.spans[key] = self._span(value_node)

    def construct_yaml_seq(self, node):
        data = MarkedList()
        data.span = self._span(node)
        yield data
        for child in node.value:
            data.append(self.construct_object(child, deep=True))
            data.spans.append(self._span(child))

    def construct_yaml_date(self, node):
        value = self.construct_scalar(node)
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise _YamlProblem(node.start_mark, "bad-date", f"不存在的日期 “{value}”") from None

    def construct_yaml_float(self, node):
        value = self.construct_scalar(node).lower().replace("_", "")
        if value in (".nan", ".inf", "+.inf", "-.inf"):
            raise _YamlProblem(node.start_mark, "bad-number", f"不接受 NaN 或无穷大：{value}")
        return float(value)

    def construct_yaml_int(self, node):
        return int(self.construct_scalar(node).replace("_", ""))

    def construct_undefined(self, node):
        raise _YamlProblem(node.start_mark, "bad-tag", f"不支持的 YAML 标签 {node.tag}")


class _YamlProblem(Exception):
    def __init__(self, mark, code: str, message: str):
        super().__init__(message)
        self.mark = mark
        self.code = code


def _span(node, line_offset: int = 0) -> Span:
    style = (getattr(node, "style", None) or None) if isinstance(node, ScalarNode) else None
    return Span(node.start_mark.line + 1 + line_offset, node.start_mark.column + 1, style,
                node.start_mark.index, node.end_mark.index)


class _Loader(_MarkedConstructor, yaml.SafeLoader):
    """Pure-Python loader: refuses aliases and deep nesting while composing."""

    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _YamlProblem(event.start_mark, "alias", "不支持 YAML 锚点/别名（*引用），请直接写出内容")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            event = self.peek_event()
            raise _YamlProblem(event.start_mark, "too-deep", f"嵌套层数超过 {MAX_DEPTH} 层")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_FAST_BASE = getattr(yaml, "CSafeLoader", None)
_LOADERS: list[type] = [_Loader]
if _FAST_BASE is not None:
    class _FastLoader(_MarkedConstructor, _FAST_BASE):  # type: ignore[misc, valid-type]
        """libyaml-based loader (several times faster); aliases and depth are checked on the node graph."""

        yaml_implicit_resolvers: dict = {}

    _LOADERS.append(_FastLoader)


def _check_graph(root) -> None:
    """Refuse aliases (a node reached twice) and nesting deeper than MAX_DEPTH, before constructing."""
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _YamlProblem(node.start_mark, "too-deep", f"嵌套层数超过 {MAX_DEPTH} 层")
        if id(node) in seen:
            raise _YamlProblem(node.start_mark, "alias", "不支持 YAML 锚点/别名（*引用），请直接写出内容")
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)


for _cls in _LOADERS:
    _cls.add_constructor("tag:yaml.org,2002:map", _MarkedConstructor.construct_yaml_map)
    _cls.add_constructor("tag:yaml.org,2002:seq", _MarkedConstructor.construct_yaml_seq)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _MarkedConstructor.construct_yaml_date)
    _cls.add_constructor("tag:yaml.org,2002:float", _MarkedConstructor.construct_yaml_float)
    _cls.add_constructor("tag:yaml.org,2002:int", _MarkedConstructor.construct_yaml_int)
    _cls.add_constructor(None, _MarkedConstructor.construct_undefined)
    _cls.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    _cls.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
    _cls.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+0123456789."))
    _cls.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    _cls.add_implicit_resolver("tag:yaml.org,2002:timestamp", re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), list("0123456789"))


def load_yaml(text: str, path: str, first_line: int = 1) -> Any:
    """Parse YAML text into marked data; every syntax problem becomes an InputError with line:col.

    The libyaml loader is tried first for speed; on any problem the pure-Python loader parses
    again, so that errors (and their positions, e.g. of an alias's use) read the same either way.
    `first_line` is the line of the file where `text` starts (a chunk of a streamed file).
    """
    offset = first_line - 1
    if len(_LOADERS) > 1:
        try:
            return _load_with(_LOADERS[-1], text, offset)
        except (yaml.YAMLError, _YamlProblem, RecursionError, ValueError, OverflowError):
            pass
    try:
        return _load_with(_Loader, text, offset)
    except _YamlProblem as exc:
        raise InputError(f"YAML 文件有误：{path}", [
            _problem(path, exc.mark.line + 1 + offset, exc.mark.column + 1, exc.code, str(exc))]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1 + offset, mark.column + 1) if mark else (first_line, 1)
        what = exc.problem or exc.context or "无法解析"
        if "mapping values are not allowed" in what:
            what += "（值中含有“: ”时，请给整个值加引号，或改用 > 多行写法）"
        raise InputError(f"YAML 语法错误：{path}", [_problem(path, line, col, "yaml-syntax", f"YAML 语法错误：{what}")]) from None
    except (yaml.YAMLError, ConstructorError, RecursionError, ValueError, OverflowError) as exc:
        raise InputError(f"YAML 文件有误：{path}", [_problem(path, first_line, 1, "yaml-syntax", f"YAML 无法解析：{exc}")]) from None


def _load_with(loader_class: type, text: str, line_offset: int = 0) -> Any:
    loader = loader_class(text)
    loader.line_offset = line_offset
    # Building a large tree of fresh objects makes the cyclic GC rescan it again and again; the
    # tree has no cycles, so collection is paused while it is built (a big file loads ~2x faster).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_graph(node)
        return loader.construct_document(node)
    finally:
        if gc_was_enabled:
            gc.enable()
        loader.dispose()


# --------------------------------------------------------------------------------------------
# JSON: a small strict parser that keeps positions (json.loads alone cannot)

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_WS = re.compile(r"[ \t\n\r]*")


class _JsonParser:
    def __init__(self, text: str, path: str, first_line: int = 1):
        self.text = text
        self.path = path
        self.depth = 0
        self.first_line = first_line
        # Offsets where lines start, so each position costs a binary search, not a scan of the file.
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def pos(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, index)
        return line + self.first_line - 1, index - self.line_starts[line - 1] + 1

    def fail(self, index: int, code: str, message: str):
        line, col = self.pos(index)
        raise InputError(f"JSON 文件有误：{self.path}", [_problem(self.path, line, col, code, message)])

    def span(self, start: int, end: int) -> Span:
        line, col = self.pos(start)
        return Span(line, col, None, start, end)

    def skip(self, i: int) -> int:
        return _WS.match(self.text, i).end()

    def parse(self) -> Any:
        i = self.skip(0)
        if i == len(self.text):
            return None
        value, i = self.value(i)
        i = self.skip(i)
        if i != len(self.text):
            self.fail(i, "json-syntax", "JSON 数据之后还有多余内容")
        return value

    def value(self, i: int) -> tuple[Any, int]:
        if i >= len(self.text):
            self.fail(i, "json-syntax", "JSON 意外结束（文件被截断？）")
        ch = self.text[i]
        if ch == "{":
            return self.obj(i)
        if ch == "[":
            return self.arr(i)
        if ch == '"':
            return self.string(i)
        m = _NUMBER.match(self.text, i)
        if m and m.end() > i:
            literal = m.group(0)
            if m.group(1) or m.group(2):
                number = float(literal)
                if number in (float("inf"), float("-inf")):
                    self.fail(i, "bad-number", f"数值超出范围：{literal}")
                return number, m.end()
            if len(literal) > 4300:
                self.fail(i, "bad-number", "整数位数过多")
            return int(literal), m.end()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, i):
                return val, i + len(word)
        for word in ("NaN", "Infinity", "-Infinity"):
            if self.text.startswith(word, i):
                self.fail(i, "bad-number", f"JSON 不接受 {word}")
        self.fail(i, "json-syntax", f"此处不应出现 “{self.text[i]}”")
        raise AssertionError  # unreachable

    def string(self, i: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(self.text, i + 1, True)
        except json.JSONDecodeError as exc:
            self.fail(exc.pos, "json-syntax", f"字符串有误：{exc.msg}")
            raise AssertionError from None

    def enter(self, i: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(i, "too-deep", f"嵌套层数超过 {MAX_DEPTH} 层")

    def obj(self, i: int) -> tuple[MarkedDict, int]:
        self.enter(i)
        out = MarkedDict()
        start = i
        i = self.skip(i + 1)
        if self.text.startswith("}", i):
            out.span = self.span(start, i + 1)
            self.depth -= 1
            return out, i + 1
        while True:
            if not self.text.startswith('"', i):
                self.fail(i, "json-syntax", "此处应为带双引号的键")
            key_start = i
            key, i = self.string(i)
            if key in out:
                first = out.key_spans[key]
                self.fail(key_start, "duplicate-key", f"键 “{key}” 重复（第 {first.line} 行已出现）")
            i = self.skip(i)
            if not self.text.startswith(":", i):
                self.fail(i, "json-syntax", "此处应为冒号 :")
            i = self.skip(i + 1)
            value_start = i
            value, i = self.value(i)
            out[key] = value
            out.key_spans[key] = self.span(key_start, key_start)
            out.spans[key] = self.span(value_start, i)
            i = self.skip(i)
            if self.text.startswith(",", i):
                i = self.skip(i + 1)
                continue
            if self.text.startswith("}", i):
                out.span = self.span(start, i + 1)
                self.depth -= 1
                return out, i + 1
            self.fail(i, "json-syntax", "此处应为逗号 , 或 }")

    def arr(self, i: int) -> tuple[MarkedList, int]:
        self.enter(i)
        out = MarkedList()
        start = i
        i = self.skip(i + 1)
        if self.text.startswith("]", i):
            out.span = self.span(start, i + 1)
            self.depth -= 1
            return out, i + 1
        while True:
            value_start = i
            value, i = self.value(i)
            out.append(value)
            out.spans.append(self.span(value_start, i))
            i = self.skip(i)
            if self.text.startswith(",", i):
                i = self.skip(i + 1)
                continue
            if self.text.startswith("]", i):
                out.span = self.span(start, i + 1)
                self.depth -= 1
                return out, i + 1
            self.fail(i, "json-syntax", "此处应为逗号 , 或 ]")


def load_json(text: str, path: str) -> Any:
    """Parse strict JSON (no NaN, no duplicate keys) into marked data with line:col spans."""
    return _JsonParser(text, path).parse()


def load_json_value(text: str, path: str, offset: int, first_line: int = 1) -> tuple[Any, Span]:
    """Parse the one JSON value at `offset` of `text` (whose first line is `first_line` of the file), marked.

    `text` starts at the beginning of a line, so columns are those of the file.
    """
    parser = _JsonParser(text, path, first_line)
    value, end = parser.value(parser.skip(offset))
    return value, parser.span(offset, end)


def load_file(path: Path, display: str | None = None) -> Document:
    """Load a .yaml/.yml/.json file into a Document; the suffix decides the parser."""
    shown = display or str(path)
    text = read_text(path, shown)
    if path.suffix.lower() == ".json":
        data = load_json(text, shown)
    else:
        data = load_yaml(text, shown)
    return Document(shown, data, text)


def span_of(container: Any, key: Any) -> Span | None:
    """The span of `container[key]` if the container is marked, else the container's own span."""
    if isinstance(container, MarkedDict):
        return container.spans.get(key, container.span)
    if isinstance(container, MarkedList) and isinstance(key, int) and 0 <= key < len(container.spans):
        return container.spans[key]
    return getattr(container, "span", None)


def key_span_of(container: Any, key: Any) -> Span | None:
    """The span of the key `key` in a marked mapping (or the mapping's own span)."""
    if isinstance(container, MarkedDict):
        return container.key_spans.get(key, container.span)
    return getattr(container, "span", None)


def offset_position(text: str, span: Span, offset: int) -> tuple[int, int]:
    """Map a character offset inside a scalar's value to the 1-based line:col of the file.

    Exact for every non-blank character of plain, single- and double-quoted (escapes included) and
    block (`|`, `>`) YAML scalars and of JSON strings; a blank produced by folding a line break maps
    to the nearest blank of the source. An offset at or past the end maps just after the last character.
    """
    end = span.end
    i = span.start
    style = span.style
    if style is None and text.startswith('"', i):
        style = '"'                      # a JSON string literal
    if style in ("|", ">"):
        nl = text.find("\n", i, end)
        if nl < 0:
            return span.line, span.col
        i = nl + 1
    elif style in ("'", '"'):
        i += 1
        end -= 1                         # the closing quote
    value = _scalar_value(text[span.start:span.end])
    if value is None:                    # cannot re-read the scalar: fall back to its start
        return span.line, span.col
    after = i                            # where the source continues after the last matched character
    for k in range(min(offset, len(value))):
        after = _match_char(text, after, end, value[k], style)[1]
    if offset < len(value):
        return _line_col(text, _match_char(text, after, end, value[offset], style)[0])
    return _line_col(text, after)


_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _scalar_value(raw: str) -> str | None:
    """The value of one scalar's source text, read again on its own (all scalars as strings)."""
    try:
        node = yaml.compose(raw, Loader=yaml.BaseLoader)
    except yaml.YAMLError:
        return None
    return node.value if isinstance(node, ScalarNode) else None


def _match_char(text: str, i: int, end: int, char: str, style: str | None) -> tuple[int, int]:
    """Find where the value character `char` comes from, scanning the source from `i`: (start, next)."""
    while i < end:
        ch = text[i]
        if style == '"' and ch == "\\":
            esc = text[i + 1:i + 2]
            if esc in ("\n", "\r"):    # an escaped line break joins the lines without a character
                i += 2
                while i < end and text[i] in " \t\r\n":
                    i += 1
                continue
            return i, i + 2 + _HEX_ESCAPES.get(esc, 0)
        if style == "'" and ch == "'" and text.startswith("''", i):
            return i, i + 2
        if ch == char:
            return i, i + 1
        if ch in " \t\r\n":           # indentation, folded line breaks, stripped trailing blanks
            i += 1
            continue
        return i, i + 1                  # not expected for a well-formed scalar: keep moving
    return end, end


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col
