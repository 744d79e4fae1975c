"""Tests of checker.inputs.spreadsheet.cells: converting spreadsheet cells to schema values, or refusing to guess."""
from __future__ import annotations

import datetime as dt

import pytest

from checker.inputs.schema import Scalar
from checker.inputs.spreadsheet.cells import convert, convert_multi, is_blank, split_multi

TEXT = Scalar("string", max_length=500)
INT = Scalar("integer", minimum=0, maximum=10_000_000)
NUMBER = Scalar("number", minimum=0, maximum=10_000)
SHARE = Scalar("number", minimum=0, maximum=1)
BOOL = Scalar("boolean")
DATE = Scalar("date")
TOPIC = Scalar("string", enum=("党建", "业务"))


@pytest.mark.parametrize("raw, value", [
    ("12", 12), (" 12 ", 12), ("+5", 5), ("007", 7), ("１２", 12), ("3.0", 3.0), ("2.5", 2.5), (".5", 0.5),
    ("1e3", 1000.0), ("1,234,567", 1234567), ("1,234.5", 1234.5), ("-3", -3), ("−3", -3),
    (12, 12), (2.5, 2.5), (3.0, 3.0),
    ("99999999999999999999999", 99999999999999999999999),
])
def test_numbers(raw, value):
    converted = convert(INT, raw)
    assert converted.value == value and type(converted.value) is type(value)
    assert converted.note is None


@pytest.mark.parametrize("raw, note", [
    ("12,650", "逗号既可能是千位分隔符也可能是小数点"),
    ("1,5", None),
    ("abc", None),
    ("5人", None),
    ("NaN", None),
    ("inf", None),
    ("1e400", None),
    ("#DIV/0!", "错误值 #DIV/0!"),
    ("20%", "百分数只能用于 0–1 的比例字段"),
])
def test_numbers_that_are_not_converted_stay_as_written(raw, note):
    converted = convert(INT, raw)
    assert converted.value == raw
    if note is None:
        assert converted.note is None
    else:
        assert note in converted.note


def test_bool_and_date_cells_in_number_columns_are_left_for_the_validator():
    assert convert(INT, True).value is True
    assert "逻辑值" in convert(INT, True).note
    day = dt.datetime(2025, 3, 12)
    assert convert(INT, day).value == day and "日期格式" in convert(INT, day).note


@pytest.mark.parametrize("raw, value", [("20%", 0.2), ("7%", 0.07), ("100 %", 1.0), ("0.35", 0.35)])
def test_percent_only_for_shares(raw, value):
    assert convert(SHARE, raw).value == value


@pytest.mark.parametrize("raw, value", [
    ("2025-03-12", dt.date(2025, 3, 12)), ("2025-3-12", dt.date(2025, 3, 12)), ("2025/3/12", dt.date(2025, 3, 12)),
    ("2025/03/12", dt.date(2025, 3, 12)), ("2025.3.12", dt.date(2025, 3, 12)),
    ("2025年3月12日", dt.date(2025, 3, 12)), ("2025 年 03 月 12 日", dt.date(2025, 3, 12)),
    ("２０２５－０３－１２", dt.date(2025, 3, 12)),
    ("2025-03-12 00:00:00", dt.date(2025, 3, 12)), ("2025-03-12T00:00", dt.date(2025, 3, 12)),
    (dt.datetime(2025, 3, 12), dt.date(2025, 3, 12)), (dt.date(2025, 3, 12), dt.date(2025, 3, 12)),
])
def test_dates(raw, value):
    converted = convert(DATE, raw)
    assert converted.value == value and type(converted.value) is dt.date


@pytest.mark.parametrize("raw, note", [
    ("3/12/2025", "无法确定年月日"), ("12/3/2025", "无法确定年月日"), ("25/3/12", "无法确定年月日"),
    ("2025-02-30", "不存在的日期"), ("2025/13/1", "不存在的日期"), ("20250312", "请写作 2025-03-12"),
    ("2025-03", "请写作 2025-03-12"), ("下周一", "请写作 2025-03-12"),
    ("2025-03-12 10:30", "带有时间"), (dt.datetime(2025, 3, 12, 10, 30), "带有时间"),
    (45728, "数字 45728 不是日期"), (45728.0, "数字 45728 不是日期"), (True, "请写作"),
])
def test_ambiguous_or_wrong_dates_are_not_guessed(raw, note):
    converted = convert(DATE, raw)
    assert converted.value == raw
    assert note in converted.note


@pytest.mark.parametrize("raw, value", [
    (True, True), (False, False), ("是", True), ("否", False), ("TRUE", True), ("false", False), (" 是 ", True),
])
def test_booleans(raw, value):
    assert convert(BOOL, raw).value is value


@pytest.mark.parametrize("raw", ["yes", "1", 1, 0, "对", "Y"])
def test_other_booleans_are_not_guessed(raw):
    converted = convert(BOOL, raw)
    assert converted.value == raw and "是 或 否" in converted.note


@pytest.mark.parametrize("raw, value", [
    (" 张伟 ", "张伟"), (7, "7"), (2024.0, "2024"), (1.5, "1.5"), (dt.date(2025, 6, 1), "2025-06-01"),
    ("=SUM(A1)", "=SUM(A1)"),
])
def test_text(raw, value):
    assert convert(TEXT, raw).value == value


def test_date_cell_in_text_column_is_not_guessed():
    day = dt.datetime(2025, 3, 1)          # what Excel makes of a meeting id typed as 3-1
    converted = convert(TEXT, day)
    assert converted.value == day and "识别成了日期" in converted.note


def test_logical_cell_in_text_column_is_left_for_the_validator():
    converted = convert(TEXT, True)
    assert converted.value is True and "逻辑值" in converted.note


@pytest.mark.parametrize("raw, value", [
    ("党建、业务", ["党建", "业务"]), ("党建;业务", ["党建", "业务"]), ("党建；业务", ["党建", "业务"]),
    (" 党建 ;; 业务 ; ", ["党建", "业务"]), ("党建", ["党建"]),
])
def test_multi_value_cells(raw, value):
    assert convert_multi(TOPIC, raw).value == value


def test_multi_value_cell_of_numbers_or_dates():
    assert convert_multi(TEXT, 2024).value == ["2024"]
    assert convert_multi(Scalar("integer"), "1、2；x").value == [1, 2, "x"]


def test_split_multi_refuses_items_with_separators():
    assert split_multi(["党建", "业务"]) == "党建、业务"
    assert split_multi(["a;b"]) is None
    assert split_multi(["签到表、照片.pdf"]) is None


@pytest.mark.parametrize("raw, blank", [(None, True), ("", True), ("  \u3000", True), ("0", False), (0, False)])
def test_blank(raw, blank):
    assert is_blank(raw) is blank
