"""Tests of checker.inputs.source: YAML 1.2 scalars, strict JSON, spans, encodings, offsets."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checker.errors import InputError
from checker.inputs.source import (MAX_DEPTH, Document, MarkedDict, MarkedList, Span, decode_utf8, key_span_of, load_file, load_json, load_yaml, offset_position, span_of)


def yaml_error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        load_yaml(text, "t.yaml")
    assert len(info.value.problems) == 1
    return info.value


def json_error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        load_json(text, "t.json")
    assert len(info.value.problems) == 1
    return info.value


def only(error: InputError) -> str:
    """The single problem of an error as `file:line:col: code message`."""
    return str(error.problems[0])


# -- YAML 1.2 core scalars -------------------------------------------------------------------

@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On"])
def test_yaml_11_booleans_stay_strings(word):
    assert load_yaml(f"a: {word}\n", "t.yaml") == {"a": word}


@pytest.mark.parametrize("text, value", [
    ("true", True), ("false", False), ("True", True), ("FALSE", False),
    ("~", None), ("null", None), ("", None), ("Null", None),
    ("12", 12), ("-3", -3), ("+4", 4), ("007", 7),
    ("3.0", 3.0), ("1e3", 1000.0), (".5", 0.5), ("-2.5", -2.5),
    ("1:20", "1:20"), ("1_000", "1_000"), ("0x1F", "0x1F"), ("2025-1-2", "2025-1-2"),
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("'2025-01-02'", "2025-01-02"), ("'12'", "12"), ("!!str 5", "5"),
])
def test_yaml_12_core_scalars(text, value):
    loaded = load_yaml(f"a: {text}\n", "t.yaml")["a"]
    assert loaded == value
    assert type(loaded) is type(value)


def test_plain_iso_date_is_a_date():
    data = load_yaml("d: 2025-03-12\nq: '2025-03-12'\n", "t.yaml")
    assert data["d"] == dt.date(2025, 3, 12)
    assert type(data["d"]) is dt.date
    assert data["q"] == "2025-03-12"


def test_impossible_date_is_an_error_with_position():
    err = yaml_error("a: 1\nday: 2025-02-30\n")
    assert only(err) == "t.yaml:2:6: bad-date 不存在的日期 “2025-02-30”"


# -- refused YAML ----------------------------------------------------------------------------

def test_yaml_duplicate_key():
    err = yaml_error("a: 1\nb: 2\na: 3\n")
    assert only(err) == "t.yaml:3:1: duplicate-key 键 “a” 重复（第 1 行已出现）"


def test_yaml_nested_duplicate_key():
    err = yaml_error("m:\n  - id: 1\n    x: 1\n    id: 2\n")
    assert err.problems[0].code == "duplicate-key"
    assert (err.problems[0].location.line, err.problems[0].location.col) == (4, 5)


def test_yaml_alias_refused():
    err = yaml_error("a: &x 1\nb: *x\n")
    assert only(err) == "t.yaml:2:4: alias 不支持 YAML 锚点/别名（*引用），请直接写出内容"


def test_yaml_merge_key_is_not_merged():
    # YAML 1.2 has no merge keys: `<<` is an ordinary key (which validation then reports as unknown)
    assert load_yaml("a:\n  <<: {b: 1}\n", "t.yaml") == {"a": {"<<": {"b": 1}}}
    assert load_yaml("a: {<<: {b: 1}, c: 2}\n", "t.yaml")["a"]["c"] == 2


@pytest.mark.parametrize("word", [".nan", ".NaN", ".inf", "-.inf", "+.Inf", ".INF"])
def test_yaml_nan_and_infinity_refused(word):
    err = yaml_error(f"x: 1\ny: {word}\n")
    assert err.problems[0].code == "bad-number"
    assert (err.problems[0].location.line, err.problems[0].location.col) == (2, 4)


@pytest.mark.parametrize("text", ["a: !foo 1\n", "a: !!python/object:os.system x\n"])
def test_yaml_unknown_tags_refused(text):
    err = yaml_error(text)
    assert err.problems[0].code == "bad-tag"


def test_yaml_complex_key_refused():
    err = yaml_error("? [a]\n: 1\n")
    assert err.problems[0].code == "bad-key"


def test_yaml_syntax_error_has_position():
    err = yaml_error("a: 1\n  b: 2\n")
    assert err.problems[0].code == "yaml-syntax"
    assert (err.problems[0].location.line, err.problems[0].location.col) == (2, 4)


def test_yaml_nesting_limit():
    ok = "a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n"
    data = load_yaml(ok, "t.yaml")
    depth = 0
    node = data["a"]
    while node:
        node = node[0]
        depth += 1
    assert depth == MAX_DEPTH - 3
    err = yaml_error("a: " + "[" * 100 + "]" * 100 + "\n")
    assert err.problems[0].code == "too-deep"
    assert str(MAX_DEPTH) in err.problems[0].message


def test_yaml_very_deep_block_nesting_does_not_crash():
    text = "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "v\n"
    err = yaml_error(text)
    assert err.problems[0].code == "too-deep"


def test_empty_yaml_is_none():
    assert load_yaml("", "t.yaml") is None
    assert load_yaml("# only a comment\n", "t.yaml") is None


# -- spans -----------------------------------------------------------------------------------

def test_yaml_spans_of_values_keys_and_elements():
    text = "unit_id: GD-07\nmeetings:\n  - id: M-1\n    present: 4\n  - {id: M-2, present: '3'}\n"
    data = load_yaml(text, "t.yaml")
    assert isinstance(data, MarkedDict)
    assert (data.span.line, data.span.col) == (1, 1)
    assert (data.spans["unit_id"].line, data.spans["unit_id"].col) == (1, 10)
    assert (data.key_spans["meetings"].line, data.key_spans["meetings"].col) == (2, 1)
    meetings = data["meetings"]
    assert isinstance(meetings, MarkedList)
    assert [(s.line, s.col) for s in meetings.spans] == [(3, 5), (5, 5)]
    assert (meetings[0].spans["present"].line, meetings[0].spans["present"].col) == (4, 14)
    second = meetings[1].spans["present"]
    assert (second.line, second.col, second.style) == (5, 24, "'")


def test_span_of_and_key_span_of_fall_back_to_the_container():
    data = load_yaml("a:\n  b: 1\n", "t.yaml")
    inner = data["a"]
    assert span_of(inner, "b").line == 2
    assert span_of(inner, "missing") == inner.span
    assert key_span_of(inner, "missing") == inner.span
    assert span_of({"b": 1}, "b") is None
    assert span_of(MarkedList([1]), 5) is None


# -- JSON ------------------------------------------------------------------------------------

def test_json_positions():
    text = '{\n  "unit_id": "GD-07",\n  "meetings": [\n    {"id": "M-1", "present": 4}\n  ]\n}'
    data = load_json(text, "t.json")
    assert data == {"unit_id": "GD-07", "meetings": [{"id": "M-1", "present": 4}]}
    assert (data.span.line, data.span.col) == (1, 1)
    assert (data.spans["unit_id"].line, data.spans["unit_id"].col) == (2, 14)
    assert (data.key_spans["meetings"].line, data.key_spans["meetings"].col) == (3, 3)
    meeting = data["meetings"][0]
    assert (data["meetings"].spans[0].line, data["meetings"].spans[0].col) == (4, 5)
    assert (meeting.spans["present"].line, meeting.spans["present"].col) == (4, 30)


def test_json_types():
    data = load_json('{"a": 1, "b": 1.5, "c": true, "d": null, "e": "2025-01-01", "f": 1e2}', "t.json")
    assert data == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "2025-01-01", "f": 100.0}
    assert type(data["a"]) is int and type(data["f"]) is float


def test_json_duplicate_key():
    err = json_error('{"a": 1,\n "a": 2}')
    assert only(err) == "t.json:2:2: duplicate-key 键 “a” 重复（第 1 行已出现）"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_json_nan_refused(literal):
    err = json_error('{"a": 1,\n "b": ' + literal + "}")
    assert err.problems[0].code == "bad-number"
    assert (err.problems[0].location.line, err.problems[0].location.col) == (2, 7)


@pytest.mark.parametrize("text, line, col", [
    ('{"a": 1,}', 1, 9),
    ('{"a": 1', 1, 8),
    ('{"a" 1}', 1, 6),
    ("{'a': 1}", 1, 2),
    ('{"a": 1}\n{"b": 2}', 2, 1),
    ('[1, 2,\n  oops]', 2, 3),
])
def test_json_syntax_errors_have_positions(text, line, col):
    err = json_error(text)
    assert err.problems[0].code == "json-syntax"
    assert (err.problems[0].location.line, err.problems[0].location.col) == (line, col)


def test_json_nesting_limit():
    err = json_error('{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    assert err.problems[0].code == "too-deep"
    assert load_json("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), "t.json") is not None


def test_empty_json_is_none():
    assert load_json("  \n", "t.json") is None


# -- files and encodings ---------------------------------------------------------------------

def test_load_file_by_suffix(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("a: yes\n", encoding="utf-8")
    (tmp_path / "b.JSON").write_text('{"a": "yes"}', encoding="utf-8")
    (tmp_path / "c.json").write_text("a: yes\n", encoding="utf-8")
    doc = load_file(tmp_path / "a.yaml", "shown/a.yaml")
    assert isinstance(doc, Document)
    assert (doc.path, doc.data, doc.text) == ("shown/a.yaml", {"a": "yes"}, "a: yes\n")
    assert load_file(tmp_path / "b.JSON").data == {"a": "yes"}
    with pytest.raises(InputError) as info:
        load_file(tmp_path / "c.json", "c.json")
    assert info.value.problems[0].location.file == "c.json"
    assert info.value.problems[0].code == "json-syntax"


def test_utf8_bom_accepted(tmp_path: Path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + "name: 第七项目部\n".encode("utf-8"))
    doc = load_file(path)
    assert doc.data == {"name": "第七项目部"}
    assert (doc.data.spans["name"].line, doc.data.spans["name"].col) == (1, 7)
    json_path = tmp_path / "bom.json"
    json_path.write_bytes(b"\xef\xbb\xbf" + '{"name": "党支部"}'.encode("utf-8"))
    assert load_file(json_path).data == {"name": "党支部"}


def test_gbk_rejected_with_message_naming_gbk(tmp_path: Path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("unit_id: GD-07\nname: 第七项目部党支部\n".encode("gbk"))
    with pytest.raises(InputError) as info:
        load_file(path, "gbk.yaml")
    problem = info.value.problems[0]
    assert problem.code == "encoding"
    assert "GBK" in problem.message
    assert "UTF-8" in problem.message
    assert (problem.location.file, problem.location.line, problem.location.col) == ("gbk.yaml", 2, 7)


def test_utf16_rejected():
    with pytest.raises(InputError) as info:
        decode_utf8("a: 1\n".encode("utf-16"), "u.yaml")
    assert info.value.problems[0].code == "encoding"
    assert "UTF-16" in info.value.problems[0].message


def test_binary_rejected():
    with pytest.raises(InputError) as info:
        decode_utf8(b"a: 1\n\x00\x00", "b.yaml")
    assert info.value.problems[0].code == "encoding"


# -- offset_position -------------------------------------------------------------------------

def positions(text: str, key: str, loader=load_yaml) -> tuple[str, list[tuple[int, int]]]:
    data = loader(text, "t")
    value = data[key]
    return value, [offset_position(text, data.spans[key], k) for k in range(len(value) + 1)]


def char_at(text: str, line: int, col: int) -> str:
    return text.split("\n")[line - 1][col - 1]


def assert_non_blank_chars_exact(text: str, key: str, loader=load_yaml) -> None:
    value, where = positions(text, key, loader)
    for k, ch in enumerate(value):
        if not ch.isspace():
            assert char_at(text, *where[k]) == ch, (k, ch, where[k])


def test_offset_plain():
    value, where = positions("x: 1\nexpr: count(a) > 2\n", "expr")
    assert value == "count(a) > 2"
    assert where[0] == (2, 7)
    assert where[6] == (2, 13)          # the "a"
    assert where[len(value)] == (2, 19)  # just after the end


def test_offset_plain_multiline():
    text = "expr: count(a)\n  and b\n\n  or c\n"
    value, where = positions(text, "expr")
    assert value == "count(a) and b\nor c"
    assert where[value.index("b")] == (2, 7)
    assert where[value.index("c", 5)] == (4, 6)
    assert_non_blank_chars_exact(text, "expr")


def test_offset_single_quoted_with_escaped_quote():
    text = "expr: 'it''s x'\n"
    value, where = positions(text, "expr")
    assert value == "it's x"
    assert where[0] == (1, 8)
    assert where[value.index("s")] == (1, 12)
    assert where[value.index("x")] == (1, 14)


def test_offset_double_quoted_with_escapes():
    text = 'expr: "a\\tb\\u00e9c \\"d\\""\n'
    value, where = positions(text, "expr")
    assert value == 'a\tbéc "d"'
    assert where[value.index("b")] == (1, 11)
    assert where[value.index("c")] == (1, 18)
    assert where[value.index("d")] == (1, 22)


def test_offset_double_quoted_escaped_line_break():
    text = 'expr: "ab\\\n    cd"\n'
    value, where = positions(text, "expr")
    assert value == "abcd"
    assert where[2] == (2, 5)


def test_offset_literal_block_with_blank_and_indented_lines():
    text = "expr: |\n  a1\n\n  b2\n    c3\n  d4\n"
    value, where = positions(text, "expr")
    assert value == "a1\n\nb2\n  c3\nd4\n"
    assert where[0] == (2, 3)
    assert where[value.index("b")] == (4, 3)
    assert where[value.index("c")] == (5, 5)
    assert where[value.index("d")] == (6, 3)
    assert_non_blank_chars_exact(text, "expr")


def test_offset_folded_block():
    text = "rule:\n  expr: >-\n    count(meetings)\n    >= 4\n\n    and x\n"
    data = load_yaml(text, "t")["rule"]
    value = data["expr"]
    assert value == "count(meetings) >= 4\nand x"
    span = data.spans["expr"]
    assert offset_position(text, span, 0) == (3, 5)
    assert offset_position(text, span, value.index(">")) == (4, 5)
    assert offset_position(text, span, value.index("x")) == (6, 9)


def test_offset_json_string():
    text = '{"expr": "a\\n\\"b\\u4e2dc"}'
    value, where = positions(text, "expr", load_json)
    assert value == 'a\n"b中c'
    assert where[value.index("b")] == (1, 16)
    assert where[value.index("c")] == (1, 23)


def test_offset_of_span_without_text_falls_back_to_start():
    assert offset_position("", Span(3, 4, None, 0, 0), 5) == (3, 4)
