"""Tests of the records workbook template (checker.inputs.spreadsheet.template/writer/layout)."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from checker.inputs import schema
from checker.inputs.loaders import load_units
from checker.inputs.schema import ListOf, Record, Scalar
from checker.inputs.spreadsheet.layout import SHEETS, UNITS_SHEET
from checker.inputs.spreadsheet.template import template_bytes, template_csv_files, write_template
from checker.errors import UsageError


@pytest.fixture(scope="module")
def wb():
    return load_workbook(io.BytesIO(template_bytes()))


def _schema_scalars(record: Record, prefix: str = ""):
    """(dotted path, Field, Scalar, multi) for every scalar of the schema, walking it independently of `layout`."""
    for f in record.fields:
        t = f.type
        if isinstance(t, Scalar):
            yield prefix + f.name, f, t, False
        elif isinstance(t, ListOf) and isinstance(t.item, Scalar):
            yield prefix + f.name, f, t.item, True
        elif isinstance(t, Record):
            yield from _schema_scalars(t, prefix + f.name + ".")


def _validations(ws) -> dict[str, object]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0].rstrip("0123456789")] = dv
    return out


def test_sheets_follow_records_md(wb):
    assert wb.sheetnames == ["说明", "units", "leaders", "meetings", "meeting_decisions", "plans", "plan_items",
                             "inspections", "major_decisions", "zones", "zone_kpis", "trainings", "sensitive_posts",
                             "documents", "kpis", "prior_findings"]


def test_every_schema_field_has_a_column_with_label_and_help(wb):
    units = wb[UNITS_SHEET]
    headers = [c.value for c in units[1]]
    scalars = [(p, f) for p, f, _, _ in _schema_scalars(schema.UNIT)]
    assert headers == [p for p, _ in scalars]
    for cell, (path, f) in zip(units[1], scalars):
        assert f.help in cell.comment.text and f.label in cell.comment.text
    for path, rec in schema.walk_lists():
        sheet = next(s for s in SHEETS if s.list_path == path)
        ws = wb[sheet.name]
        headers = [c.value for c in ws[1]]
        own = [p for p, _, _, _ in _schema_scalars(rec)]
        assert headers[-len(own):] == own
        assert headers[0] == "unit_id"
        labels = [c.value for c in ws[2]]
        assert all(labels) and labels[0] == "单位编号（必填）"


def test_link_columns_of_nested_sheets(wb):
    assert [wb[name]["B1"].value for name in ("meeting_decisions", "plan_items", "zone_kpis")] == [
        "meeting_id", "plan_title", "zone_id"]
    assert wb["meeting_decisions"]["B2"].value == "所属会议编号（必填）"


def test_drop_downs_for_every_single_value_enumeration(wb):
    checked = 0
    for sheet in SHEETS:
        ws = wb[sheet.name]
        validations = _validations(ws)
        for index, column in enumerate(sheet.columns, start=1):
            letter = ws.cell(1, index).column_letter
            dv = validations[letter]
            t = column.scalar
            if t.enum and not column.multi:
                assert dv.type == "list" and dv.formula1 == '"' + ",".join(t.enum) + '"', column.name
                checked += 1
            elif t.kind == "boolean":
                assert (dv.type, dv.formula1) == ("list", '"是,否"')
            elif t.kind == "date":
                assert dv.type == "date" and dv.errorStyle == "warning"
            elif t.kind == "integer":
                assert (dv.type, dv.formula1, dv.formula2) == ("whole", str(int(t.minimum)), str(int(t.maximum)))
            elif t.kind == "number":
                assert dv.type == "decimal"
            assert dv.showInputMessage and dv.prompt and len(dv.prompt) <= 255
            assert [r.coord for r in dv.sqref.ranges] == [f"{letter}3:{letter}1048576"]
    # org_type, meeting type, plan kind, inspection kind, decision category, training kind, party_role,
    # kpi direction, prior finding status
    assert checked == 9


def test_input_messages_list_values_of_multi_value_cells_and_open_lists(wb):
    meetings = _validations(wb["meetings"])
    assert meetings["J"].type is None and "党建、业务、融合、学习、人事、财务" in meetings["J"].prompt
    assert "用 ; 或 、 分隔" in meetings["J"].prompt
    leaders = _validations(wb["leaders"])
    assert "经理、副经理、总工程师" in leaders["D"].prompt
    units = _validations(wb["units"])
    assert "过程提示法、工作业绩评价法、综合评价法" in units["S"].prompt


def test_frozen_headers_widths_and_text_format(wb):
    assert wb["units"].freeze_panes == "A3"
    assert wb["meetings"].freeze_panes == "B3"
    assert wb["meetings"].column_dimensions["K"].width >= 40           # minutes
    assert wb["meetings"].column_dimensions["B"].number_format == "@"  # ids stay text (3-1 is not a date)
    assert wb["meetings"].column_dimensions["D"].number_format == "yyyy-mm-dd"


def test_guide_explains_every_sheet_and_column(wb):
    text = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "2025年3月12日" in text and "是 或 否" in text and "pbcheck check-records" in text
    for sheet in SHEETS:
        assert sheet.name in text
        for column in sheet.columns:
            assert column.name in text


def test_empty_template_reads_as_no_units(tmp_path):
    written = write_template(tmp_path / "records.xlsx")
    assert written == [tmp_path / "records.xlsx"]
    assert list(load_units([str(tmp_path / "records.xlsx")])) == []


def test_template_never_overwrites_without_force(tmp_path):
    target = tmp_path / "records.xlsx"
    target.write_bytes(b"filled in by hand")
    with pytest.raises(UsageError, match="--force"):
        write_template(target)
    assert target.read_bytes() == b"filled in by hand"
    write_template(target, force=True)
    assert target.read_bytes().startswith(b"PK")


def test_csv_template(tmp_path):
    files = dict(template_csv_files())
    assert list(files) == [f"{s.name}.csv" for s in SHEETS]
    assert files["meetings.csv"].decode("utf-8-sig").splitlines()[:2] == [
        "unit_id,id,type,date,recorded_on,expected,present,secretary_present,lecturer_role,topics,minutes,evidence",
        "单位编号（必填）,会议编号（必填）,会议类型（必填）,会议日期（必填）,记录归档日期,应到人数,实到人数,书记是否出席,"
        "党课主讲人职务,议题类别,会议记录,佐证材料"]
    write_template(tmp_path / "set")
    assert list(load_units([str(tmp_path / "set")])) == []
