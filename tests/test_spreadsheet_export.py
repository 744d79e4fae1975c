"""Tests of checker.inputs.spreadsheet.export: YAML ⇄ XLSX/CSV round trips (examples and generated records)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from checker.inputs import schema
from checker.errors import RecordError, UsageError
from checker.inputs.records import InvalidUnit, UnitRecord, validate_unit
from checker.inputs.loaders import load_units
from checker.resources import resource_dir
from checker.inputs.schema import ListOf, Record, Scalar
from checker.inputs.spreadsheet.cells import SEPARATORS
from checker.inputs.spreadsheet.export import csv_files, export_records, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "records"
EXAMPLES_XLSX = ROOT / "examples" / "records.xlsx"


def read_back(units: list[UnitRecord], tmp: Path, form: str) -> list[UnitRecord | InvalidUnit]:
    """Export `units` as a workbook or CSV set under `tmp` and read them again."""
    if form == "xlsx":
        path = tmp / "out.xlsx"
        path.write_bytes(workbook_bytes(units))
    else:
        path = tmp / "out"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
        for name, data in csv_files(units):
            (path / name).write_bytes(data)
    return list(load_units([str(path)]))


def example_units() -> list[UnitRecord]:
    units = list(load_units([str(EXAMPLES)]))
    assert units and all(isinstance(u, UnitRecord) for u in units)
    return units


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_examples_round_trip(form, tmp_path):
    units = example_units()
    back = read_back(units, tmp_path, form)
    assert [u.unit_id for u in back] == [u.unit_id for u in units]
    for original, again in zip(units, back):
        assert isinstance(again, UnitRecord), [str(p) for p in again.problems]
        assert again.data == original.data


def test_examples_workbook_is_in_sync_with_the_yaml_examples():
    """examples/records.xlsx holds the same units as examples/records/ (regenerate it with pbcheck export)."""
    units = {u.unit_id: u.data for u in example_units()}
    in_workbook = list(load_units([str(EXAMPLES_XLSX)]))
    problems = [str(p) for u in in_workbook if isinstance(u, InvalidUnit) for p in u.problems]
    assert problems == []
    assert {u.unit_id: u.data for u in in_workbook} == units, (
        "examples/records.xlsx is out of date: pbcheck export examples/records --to examples/records.xlsx --force")


def test_examples_workbook_is_shipped_outside_the_demo_records():
    shipped = resource_dir("examples")
    assert (shipped / "records.xlsx").is_file()
    assert not list((shipped / "records").glob("*.xlsx"))


def test_exported_workbook_looks_like_the_template(tmp_path):
    from openpyxl import load_workbook
    path = tmp_path / "out.xlsx"
    path.write_bytes(workbook_bytes(example_units()[:1]))
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["说明", "units", "leaders"]
    ws = wb["meetings"]
    assert ws["A1"].value == "unit_id" and ws["A2"].value == "单位编号（必填）" and ws["A3"].value == "GD-01"
    assert ws["D3"].is_date and ws["D3"].number_format == "yyyy-mm-dd"
    assert wb["leaders"]["E3"].value == "是"              # in_business_team: true
    assert wb["units"]["O3"].value == 0.3                  # assessment.party_weight, a number cell
    assert wb.active.title == "units"


# -- values a spreadsheet cannot hold are refused, not changed ------------------------------------

def _unit(**extra) -> UnitRecord:
    data = {"unit_id": "E-1", "name": "导出测试", "period": {"start": "2025-01-01", "end": "2025-12-31"}, **extra}
    out, problems = validate_unit(data, "mem.yaml")
    assert problems == []
    return UnitRecord("E-1", out, "mem.yaml", None)


@pytest.mark.parametrize("extra, words", [
    ({"meetings": [{"id": "M", "type": "党课", "date": "2025-01-02", "evidence": ["签到表、照片.pdf"]}]},
     "meetings 表第 1 条会议的 evidence：某一项中含有分隔符"),
    ({"parent": "上级\x07党委"}, "parent：含有电子表格不能保存的控制字符"),
    ({"meetings": [{"id": "M", "type": "党课", "date": "2025-01-02", "minutes": "记" * 40_000}]},
     "meetings 表第 1 条会议的 minutes：文字长 40000 字，超过电子表格单元格上限 32767 字"),
])
def test_values_that_cannot_be_written_are_refused(extra, words):
    with pytest.raises(RecordError) as info:
        workbook_bytes([_unit(**extra)])
    [problem] = info.value.problems
    assert words in problem.message and problem.unit == "E-1" and problem.code == "cannot-export"
    with pytest.raises(RecordError):
        csv_files([_unit(**extra)])


def test_fractions_keep_excels_15_significant_digits(tmp_path):
    unit = _unit(trainings=[{"date": "2025-04-10", "kind": "理论学习", "hours": 3659.6921581182114}],
                 assessment={"party_weight": 0.1 + 0.2})
    for form in ("xlsx", "csv"):
        [again] = read_back([unit], tmp_path, form)
        assert again.data["trainings"][0]["hours"] == 3659.69215811821
        assert again.data["assessment"]["party_weight"] == 0.3


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    unit = _unit(parent="=HYPERLINK(\"x\")", meetings=[{"id": "+1", "type": "党课", "date": "2025-01-02",
                                                         "minutes": "-2", "evidence": ["@a"]}])
    for form in ("xlsx", "csv"):
        [again] = read_back([unit], tmp_path, form)
        assert again.data == unit.data


def test_export_refuses_invalid_records(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("unit_id: X\nname: x\nperiod: {start: 2025-01-01, end: 2025-12-31}\nstaff: many\n", encoding="utf-8")
    with pytest.raises(RecordError) as info:
        export_records([str(bad)], tmp_path / "out.xlsx")
    assert "未导出" in str(info.value) and info.value.problems[0].field == "staff"
    assert not (tmp_path / "out.xlsx").exists()


def test_export_never_overwrites_without_force(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"somebody's work")
    with pytest.raises(UsageError, match="不会覆盖"):
        export_records([str(EXAMPLES / "GD-01.yaml")], target)
    assert target.read_bytes() == b"somebody's work"
    written, count = export_records([str(EXAMPLES / "GD-01.yaml")], target, force=True)
    assert (written, count) == ([target], 1)
    assert [u.unit_id for u in load_units([str(target)])] == ["GD-01"]


def test_export_to_a_csv_directory(tmp_path):
    written, count = export_records([str(EXAMPLES / "GD-01.yaml")], tmp_path / "set")
    assert count == 1 and (tmp_path / "set" / "units.csv") in written and len(written) == 15
    assert (tmp_path / "set" / "units.csv").read_bytes().startswith(b"\xef\xbb\xbfunit_id,name")
    with pytest.raises(UsageError, match="目标应为"):
        export_records([str(EXAMPLES / "GD-01.yaml")], tmp_path / "x.csv")


# -- generated records ----------------------------------------------------------------------------

_TEXT = st.text(st.characters(categories=("L", "N", "P", "S")) | st.sampled_from("党建业务会议 "), min_size=1,
                max_size=12).map(str.strip).filter(bool)
_ITEM_TEXT = _TEXT.filter(lambda s: not any(c in s for c in SEPARATORS))


def _scalar(t: Scalar, in_list: bool) -> st.SearchStrategy:
    if t.enum:
        return st.sampled_from(t.enum)
    if t.kind == "string":
        return _ITEM_TEXT if in_list else _TEXT
    if t.kind == "integer":
        return st.integers(int(t.minimum if t.minimum is not None else -10 ** 6),
                           int(t.maximum if t.maximum is not None else 10 ** 6))
    if t.kind == "number":
        lo, hi = t.minimum if t.minimum is not None else -1e6, t.maximum if t.maximum is not None else 1e6
        # spreadsheets keep 15 significant digits (Excel's precision); the exporter rounds to that
        return st.integers(int(lo), int(hi)) | st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(
            lambda x: float(f"{x:.15g}"))
    if t.kind == "boolean":
        return st.booleans()
    return st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))


def _value(t, depth: int) -> st.SearchStrategy:
    if isinstance(t, Scalar):
        return _scalar(t, False)
    if isinstance(t, Record):
        return _record(t, depth)
    item = t.item
    if isinstance(item, Scalar):
        return st.lists(_scalar(item, True), max_size=3)
    return st.lists(_record(item, depth + 1), max_size=3 if depth == 0 else 2)


def _record(rec: Record, depth: int = 0) -> st.SearchStrategy:
    fields = {}
    for f in rec.fields:
        value = _value(f.type, depth)
        # an absent list and an empty one are the same record, so lists are always generated
        fields[f.name] = value if f.required or isinstance(f.type, ListOf) else st.none() | value
    return st.fixed_dictionaries(fields)


def _repair(unit: dict) -> dict:
    """Make a generated unit satisfy the checks beyond types (unique keys, present ≤ expected, references)."""
    period = unit["period"]
    if period["start"] > period["end"]:
        period["start"], period["end"] = period["end"], period["start"]
    for field in schema.UNIT.fields:
        if isinstance(field.type, ListOf) and isinstance(field.type.item, Record):
            _unique(field.type.item, unit[field.name])
    for meeting in unit["meetings"]:
        if meeting["expected"] is not None and meeting["present"] is not None and meeting["present"] > meeting["expected"]:
            meeting["present"], meeting["expected"] = meeting["expected"], meeting["present"]
        if meeting["recorded_on"] is not None and meeting["recorded_on"] < meeting["date"]:
            meeting["recorded_on"] = meeting["date"]
    ids = [m["id"] for m in unit["meetings"]]
    for decision in unit["major_decisions"]:
        if decision["prestudy_meeting"] is not None:
            decision["prestudy_meeting"] = ids[0] if ids else None
    return unit


def _unique(rec: Record, elements: list) -> None:
    from checker.inputs.records import key_fields
    keys = key_fields(rec)
    for index, element in enumerate(elements):
        if keys and isinstance(element[keys[0]], str):
            element[keys[0]] = f"{element[keys[0]]}{index}"
        elif keys and isinstance(element[keys[0]], dt.date):
            element[keys[0]] = element[keys[0]] + dt.timedelta(days=index)
        for field in rec.fields:
            if isinstance(field.type, ListOf) and isinstance(field.type.item, Record):
                _unique(field.type.item, element[field.name])


UNITS = _record(schema.UNIT).map(_repair)


def _valid(data: dict) -> UnitRecord:
    out, problems = validate_unit(data, "generated.yaml")
    assert problems == [], [str(p) for p in problems]
    return UnitRecord(out["unit_id"], out, "generated.yaml", None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.lists(UNITS, min_size=1, max_size=2))
def test_generated_records_round_trip_through_csv(data, tmp_path):
    assume(len({d["unit_id"] for d in data}) == len(data))
    units = [_valid(d) for d in data]
    back = read_back(units, tmp_path, "csv")
    assert [(u.unit_id, u.data) for u in back] == [(u.unit_id, u.data) for u in units]


# each example writes a formatted workbook (~0.4 s): few examples, and no shrinking (it would take minutes)
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=UNITS)
def test_generated_records_round_trip_through_xlsx(data, tmp_path):
    unit = _valid(data)
    [again] = read_back([unit], tmp_path, "xlsx")
    assert isinstance(again, UnitRecord), [str(p) for p in again.problems]
    assert again.data == unit.data
