"""Tests for checker.outputs.ledger / ledger_book / ledger_columns: the 整改台账 (xlsx, per-unit xlsx, csv)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from checker.outputs.context import OutputContext
from checker.outputs.findings_json import ordered_findings
from checker.outputs.ledger import csv_text, ledger_rows, waiver_note, write_csv, write_xlsx
from checker.outputs.ledger_book import LedgerBook, clean_text, row_height, text_units
from checker.outputs.ledger_columns import COLUMNS, HEADERS
from checker.inputs.schema import RECTIFICATION_STATUSES
from output_fixtures import FORMULA, RULES, XSS, finding, run_info, sample_context, unit, waived

ISSUE_COLUMNS = ("问题编号", "序号", "单位", "问题来源", "规则", "问题类别", "问题描述", "依据条款", "整改措施", "责任单位",
                 "责任人", "整改时限", "完成情况", "佐证材料", "状态", "复核人", "销号日期")
EDITABLE = {"整改措施", "责任单位", "责任人", "完成情况", "佐证材料", "状态", "复核人", "销号日期", "备注"}


@pytest.fixture(scope="module")
def ctx():
    return sample_context()


@pytest.fixture(scope="module")
def files(ctx):
    return dict(write_xlsx(ctx))


def sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))["整改台账"]


def records(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_columns_start_with_the_issue_columns_in_order():
    assert HEADERS[:17] == ISSUE_COLUMNS
    assert HEADERS[17:] == ("风险等级", "单位编号", "检查对象", "备注")
    assert {c.header for c in COLUMNS if not c.locked} == EDITABLE


def test_one_row_per_finding_keyed_by_fingerprint_in_findings_json_order(ctx, files):
    ws = sheet(files["ledger.xlsx"])
    assert tuple(c.value for c in ws[1]) == HEADERS
    rows = records(ws)
    expected = ordered_findings(ctx.units)
    assert len(rows) == len(expected) == 9
    assert [r["问题编号"] for r in rows] == [f.fingerprint for f in expected]
    assert [r["序号"] for r in rows] == list(range(1, 10))
    first = rows[0]
    f = expected[0]
    assert (first["单位"], first["规则"], first["问题描述"], first["依据条款"], first["风险等级"], first["单位编号"]) == (
        "GD-07一车间党支部", f"{f.rule} {f.title}", f.message, "；".join(f.refs), f.severity, "GD-07")
    assert first["问题来源"] == "某某集团党委巡察办党建与生产经营融合检查（2026-01-05）"
    assert first["整改措施"] == f.remedy and first["责任单位"] == "GD-07一车间党支部"
    assert first["整改时限"] == dt.datetime.fromisoformat(f.deadline)
    assert first["状态"] == "未启动"
    assert [r["问题类别"] for r in rows if r["规则"].startswith("X01")] == ["综合诊断"]


def test_waived_findings_are_marked_and_left_without_a_status(files):
    rows = [r for r in records(sheet(files["ledger.xlsx"])) if r["备注"]]
    assert [r["规则"] for r in rows] == ["SY01 同规划缺位", "BO02 党建考核权重过低"]
    assert all(r["状态"] is None for r in rows)
    assert rows[0]["备注"] == "已批准豁免（理由：该项目部已撤销，党员已转出；批准人：王主任；有效期至2026-06-30）"
    assert waiver_note(waived("FM05", waiver={"reason": "r", "approver": None})) == "已批准豁免（理由：r；批准人：—；未设期限）"


def test_sheet_layout_protection_and_drop_down(files):
    ws = sheet(files["ledger.xlsx"])
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == "A1:U10"
    assert ws.protection.sheet and not ws.protection.autoFilter and not ws.protection.sort
    [validation] = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"' + ",".join(RECTIFICATION_STATUSES) + '"'
    assert str(validation.sqref) == "O2:O510"
    for column, cell in zip(COLUMNS, ws[2]):
        assert cell.protection.locked == column.locked, column.header
        assert cell.font.name == "宋体"
        assert ws.column_dimensions[cell.column_letter].width == column.width
    assert ws["A1"].font.name == "黑体" and ws["A1"].font.bold
    assert ws["A1"].protection.locked
    assert ws["L2"].number_format == "yyyy-mm-dd"
    assert ws.row_dimensions[1].height == 30
    assert (int(ws.page_setup.paperSize), ws.page_setup.orientation) == (8, "landscape")      # A3
    assert ws.print_title_rows == "$1:$1"                 # the header row repeats on every printed page


def test_help_and_metadata_sheets(files):
    wb = openpyxl.load_workbook(io.BytesIO(files["ledgers/GD-07.xlsx"]))
    assert wb.sheetnames == ["整改台账", "填写说明", "_pbcheck"]
    assert wb["_pbcheck"].sheet_state == "hidden"
    meta = {k: v for k, v in wb["_pbcheck"].iter_rows(values_only=True)}
    assert meta["format"] == "pbcheck-ledger" and meta["unit"] == "GD-07" and meta["as_of"] == "2026-01-05"
    assert meta["columns"] == "|".join(HEADERS)
    assert wb.properties.title == "GD-07一车间党支部整改台账（党建与生产经营融合检查，2026-01-05）"
    assert "状态" in wb["填写说明"]["A5"].value
    main = openpyxl.load_workbook(io.BytesIO(files["ledger.xlsx"]))
    assert {k: v for k, v in main["_pbcheck"].iter_rows(values_only=True)}["unit"] == ""


def test_each_unit_receives_only_its_own_rows(ctx, files):
    assert sorted(files) == ["ledger.xlsx", "ledgers/GD-07.xlsx", "ledgers/GD-08.xlsx", "ledgers/GD-10.xlsx"]
    for u in ctx.units:
        path = f"ledgers/{u.unit}.xlsx"
        if not u.findings:
            assert path not in files
            continue
        rows = records(sheet(files[path]))
        assert {r["单位编号"] for r in rows} == {u.unit}
        assert sorted(r["问题编号"] for r in rows) == sorted(f.fingerprint for f in u.findings)
        assert [r["序号"] for r in rows] == list(range(1, len(rows) + 1))
        assert sheet(files[path]).auto_filter.ref == f"A1:U{len(rows) + 1}"


def test_text_is_never_a_formula_and_control_characters_are_replaced():
    units = (unit("A", (finding("RS01", "A", message=FORMULA), finding("BO02", "A", message="坏\x01字符" + XSS))),)
    ctx = OutputContext(run_info(), RULES, units)
    ws = sheet(dict(write_xlsx(ctx))["ledger.xlsx"])
    cells = {c.value: c for c in ws["G"][1:]}
    assert cells[FORMULA].data_type == "s"
    assert "坏\ufffd字符" + XSS in cells
    assert clean_text("a\x00b") == "a\ufffdb"
    assert len(clean_text("字" * 40000)) == 32767


def test_unit_ids_that_are_not_file_names_get_safe_ledger_paths():
    units = (unit("A/B", (finding("RS01", "A/B"),)),)
    paths = [p for p, _ in write_xlsx(OutputContext(run_info(), RULES, units))]
    assert paths[0] == "ledger.xlsx" and paths[1].startswith("ledgers/A_B-") and paths[1].count("/") == 1


def test_row_heights_fit_wrapped_text():
    values = ledger_rows([finding("RS01", message="很长的问题描述" * 20)], [], RULES, run_info())[0]
    assert text_units("ab字") == 4
    assert row_height(values) > 3 * 14.5
    assert row_height(["x"] * len(COLUMNS)) == 14.5 + 4


def test_the_history_reader_reads_the_ledger_back(tmp_path, files):
    from checker.history.ledger_sheet import read_ledger
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(files["ledger.xlsx"])
    [ledger] = read_ledger(path)
    assert ledger.sheet == "整改台账" and ledger.header_row == 1 and len(ledger.rows) == 9
    assert {"问题编号", "问题描述", "整改时限", "规则"} <= ledger.locked
    assert not ledger.locked & EDITABLE


def test_empty_run_still_gives_a_valid_ledger():
    ws = sheet(dict(write_xlsx(OutputContext(run_info(), RULES, ())))["ledger.xlsx"])
    assert ws.max_row == 1 and tuple(c.value for c in ws[1]) == HEADERS


def test_book_matches_its_skeleton_structure():
    book = LedgerBook(run_info())
    assert len(book.styles) == len(COLUMNS)
    xml = book.sheet_xml([["x"] * len(COLUMNS)], "标题&<>")
    assert "&amp;&amp;&lt;&gt;" in xml and 'sqref="O2:O502"' in xml


# ---------------------------------------------------------------------------- csv

def test_csv_is_utf8_with_bom_and_has_the_same_rows(ctx):
    [(path, text)] = write_csv(ctx)
    assert path == "ledger.csv"
    assert text.startswith("\ufeff问题编号,序号,单位,")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert tuple(rows[0]) == HEADERS
    assert [r[0] for r in rows[1:]] == [f.fingerprint for f in ordered_findings(ctx.units)]
    formula_row = next(r for r in rows if r[0] == ordered_findings(ctx.units)[-2].fingerprint)
    assert formula_row[6] == "'" + FORMULA
    assert rows[1][11] == "2026-02-04"


def test_csv_text():
    assert csv_text(None) == "" and csv_text(dt.date(2026, 1, 2)) == "2026-01-02" and csv_text(3) == "3"
    assert csv_text("-1 扣分") == "'-1 扣分" and csv_text("@x") == "'@x" and csv_text("正常") == "正常"
