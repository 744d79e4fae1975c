"""Tests of reading records workbooks and CSV sets (checker.inputs.spreadsheet.books/assemble/locate via load_units)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from bad_inputs.build import (MEETING_HEAD, UNIT_HEAD, fill_template, patch_cells, two_units, write_book,
                              write_csv_set)
from checker.errors import Location
from checker.inputs.records import InvalidUnit, UnitRecord
from checker.inputs.loaders import load_units

CORPUS = Path(__file__).parent / "bad_inputs"
START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so that files show as plain names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def units_of(path: str | Path) -> dict[str | None, UnitRecord | InvalidUnit]:
    return {u.unit_id: u for u in load_units([str(path)])}


def problems_of(path: str | Path) -> list[str]:
    return [str(p) for u in load_units([str(path)]) if isinstance(u, InvalidUnit) for p in u.problems]


def only_problem(sheets: dict, name: str = "r.xlsx", **kw) -> str:
    write_book(Path(name), sheets, **kw)
    found = problems_of(name)
    assert len(found) == 1, found
    return found[0]


# -- what a clerk writes becomes the same records as YAML ----------------------------------------

def test_text_values_are_converted_by_column_type():
    unit = units_of(CORPUS / "xlsx/text_values.xlsx")["GD-T"]
    assert isinstance(unit, UnitRecord)
    data = unit.data
    assert data["period"] == {"start": START, "end": END}
    assert (data["members"], data["staff"]) == (20, 1234567)
    assert data["assessment"]["party_weight"] == 0.2
    assert data["assessment"]["linked_to_pay"] is True
    assert data["assessment"]["methods"] == ["过程提示法", "综合评价法"]
    [meeting] = data["meetings"]
    assert meeting["id"] == "7"
    assert meeting["date"] == dt.date(2025, 3, 12)
    assert (meeting["expected"], meeting["present"]) == (5, 4)
    assert type(meeting["present"]) is int
    assert meeting["topics"] == ["党建", "业务"]
    assert meeting["secretary_present"] is False
    assert meeting["evidence"] == ["签到表.pdf", "照片.jpg"]


def test_template_filled_by_a_clerk():
    unit = units_of(CORPUS / "xlsx/template_filled.xlsx")["GD-F"]
    assert isinstance(unit, UnitRecord), [str(p) for p in unit.problems]
    assert unit.location == Location(str(CORPUS / "xlsx/template_filled.xlsx"), sheet="units", row=3)
    assert unit.data["branch_committee"]["established"] is True
    assert unit.data["assessment"]["leader_grades"] == ["优秀", "称职"]
    assert unit.data["meetings"][0]["decisions"] == [
        {"text": "落实安全生产责任", "owner": "张伟", "due": dt.date(2025, 6, 30), "done": False}]


def test_nested_rows_attach_to_their_parent_in_order():
    fill_template(Path("r.xlsx"), {
        "units": [{"unit_id": "U", "name": "n", "period.start": START, "period.end": END}],
        "plans": [{"unit_id": "U", "title": "党建计划", "kind": "党建"}, {"unit_id": "U", "title": 2025, "kind": "经营"}],
        "plan_items": [{"unit_id": "U", "plan_title": "2025", "text": "b1"},
                       {"unit_id": "U", "plan_title": "党建计划", "text": "a1", "business_goal": "工期"},
                       {"unit_id": "U", "plan_title": "党建计划", "text": "a2"}],
        "zones": [{"unit_id": "U", "id": "Z-1", "name": "责任区"}],
        "zone_kpis": [{"unit_id": "U", "zone_id": "Z-1", "name": "进尺", "target": "300", "actual": 312}],
    })
    data = units_of("r.xlsx")["U"].data
    assert [(p["title"], [i["text"] for i in p["items"]]) for p in data["plans"]] == [
        ("党建计划", ["a1", "a2"]), ("2025", ["b1"])]
    assert data["plans"][0]["items"][0]["business_goal"] == "工期"
    assert data["zones"][0]["kpis"] == [{"name": "进尺", "target": 300, "actual": 312}]


def test_label_row_blank_rows_and_empty_sheets_are_skipped():
    book = two_units()
    book["units"].insert(1, ["单位编号（必填）", "党组织名称", None, "期间开始", None, None])
    book["units"].insert(3, [None] * 6)
    book["units"] += [[None, "  "], [], [None] * 6]
    book["Sheet1"] = []
    book["说明"] = [["随便写点什么"]]
    write_book(Path("r.xlsx"), book)
    units = units_of("r.xlsx")
    assert sorted(units) == ["GD-A", "GD-B"]
    assert units["GD-A"].location.row == 3 and units["GD-B"].location.row == 5


def test_a_data_row_that_looks_partly_like_labels_is_data():
    book = two_units()
    book["units"].insert(1, ["单位编号（必填）", "党组织名称", "党支部", START, END, 3])
    write_book(Path("r.xlsx"), book)
    units = units_of("r.xlsx")
    assert "单位编号（必填）" in units


def test_formula_cached_value_is_used():
    data = units_of(CORPUS / "xlsx/formula_cached.xlsx")["GD-B"].data
    assert data["meetings"][0]["present"] == 4


def test_dates_of_the_1904_date_system():
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "units"
    for row in ([*UNIT_HEAD], ["M", "mac", "党支部", dt.datetime(2025, 1, 1), dt.datetime(2025, 12, 31), 3]):
        ws.append(row)
    wb.save("mac.xlsx")
    assert units_of("mac.xlsx")["M"].period.start == START


def test_csv_row_numbers_count_records_not_lines():
    text = [[*MEETING_HEAD, "minutes"],
            ["GD-A", "A-M1", "支委会", "2025-03-12", "5", "5", "党建", "第一行\n第二行\n第三行"],
            ["GD-A", "A-M2", "支委会", "2025-03-13", "5", "6", "党建", ""]]
    write_csv_set(Path("set"), {"units": [UNIT_HEAD, ["GD-A", "甲", "党支部", "2025-01-01", "2025-12-31", "3"]],
                                "meetings": text})
    assert problems_of("set") == [
        "set/meetings.csv › meetings › 第3行 › 列F(present): inconsistent [GD-A] 实到人数 6 大于应到人数 5"]


# -- problems are placed at sheet › row › column (field) -----------------------------------------

def test_the_message_format_of_the_issue():
    book = two_units([["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, "abc", "党建"]])
    assert only_problem(book, "records.xlsx") == (
        'records.xlsx › meetings › 第4行 › 列F(present): type-error [GD-B] 期望 整数（0–10000000），实际 字符串 "abc"')


def test_problem_fields_keep_the_unit_path():
    write_book(Path("r.xlsx"), two_units([["GD-B", "B-M1", "支委会", None, 5, 4, "党建、其它、财务"]]))
    [unit] = [u for u in load_units(["r.xlsx"]) if isinstance(u, InvalidUnit)]
    assert [(p.code, p.field, str(p.location), p.message) for p in unit.problems] == [
        ("required", "meetings[0].date", "r.xlsx › meetings › 第4行 › 列D(date)", "必填字段（会议日期）不能为空"),
        ("enum", "meetings[0].topics[1]", "r.xlsx › meetings › 第4行 › 列G(topics)",
         '第2项：期望 以下之一：党建、业务、融合、学习、人事、财务，实际 字符串 "其它"'),
    ]
    assert unit.location == Location("r.xlsx", sheet="units", row=3)


def test_spreadsheet_hints_replace_yaml_hints():
    book = two_units(units_b=["GD-B", "乙", "党支部", START, END, "12,650"])
    book["units"][0].append("assessment.linked_to_pay")
    book["units"][1].append(None)
    book["units"][2].append("yes")
    write_book(Path("r.xlsx"), book)
    assert problems_of("r.xlsx") == [
        'r.xlsx › units › 第3行 › 列F(members): type-error [GD-B] 期望 整数（0–10000000），实际 字符串 "12,650"'
        "（“12,650” 中的逗号既可能是千位分隔符也可能是小数点，请去掉逗号）",
        'r.xlsx › units › 第3行 › 列G(assessment.linked_to_pay): type-error [GD-B] 期望 布尔值 true/false，'
        '实际 字符串 "yes"（请填写 是 或 否）',
    ]


def test_missing_required_column_is_reported_per_row_with_a_note():
    book = two_units()
    book["meetings"] = [[c for i, c in enumerate(row) if i != 3] for row in book["meetings"]]
    write_book(Path("r.xlsx"), book)
    found = problems_of("r.xlsx")
    assert found[0] == "r.xlsx › meetings › 第2行: required [GD-A] date：缺少必填字段（会议日期）（meetings 表没有 date 列）"
    assert len(found) == 3


def test_unknown_and_headless_columns():
    book = two_units()
    book["meetings"][0][5] = "presnt"
    book["meetings"][0].append(None)
    book["meetings"][1].append("备注")
    write_book(Path("r.xlsx"), book)
    assert problems_of("r.xlsx") == [
        "r.xlsx › meetings › 第2行 › 列F(presnt): unknown-column [GD-A] 未知的列 “presnt”（表头第1行）；是否为 “present”？"
        "该列的内容没有读取",
        "r.xlsx › meetings › 第2行 › 列H: unknown-column [GD-A] H 列没有表头（第1行），该列的内容没有读取",
        "r.xlsx › meetings › 第4行 › 列F(presnt): unknown-column [GD-B] 未知的列 “presnt”（表头第1行）；是否为 “present”？"
        "该列的内容没有读取",
    ]


def test_an_unknown_column_without_content_is_harmless():
    book = two_units()
    for row in book["meetings"]:
        row.append(None)
    book["meetings"][0][-1] = "备注"
    write_book(Path("r.xlsx"), book)
    assert problems_of("r.xlsx") == []


def test_duplicate_column_makes_the_sheet_unreadable():
    book = two_units()
    book["meetings"][0][6] = "present"
    write_book(Path("r.xlsx"), book)
    found = problems_of("r.xlsx")
    assert found[0] == ("r.xlsx › meetings › 第1行 › 列G: duplicate-column 列 present 出现两次（F 列和 G 列），"
                        "无法确定使用哪一列")
    assert found[1:] == [
        f"r.xlsx › meetings: sheet-unreadable [{u}] 工作表 meetings 无法读取，不能确定本单位在该表中的记录（见该表的问题）"
        for u in ("GD-A", "GD-B")]


def test_nested_row_with_unknown_parent():
    fill_template(Path("r.xlsx"), {
        "units": [{"unit_id": "U", "name": "n", "period.start": START, "period.end": END}],
        "meetings": [{"unit_id": "U", "id": "M-2025-05", "type": "支委会", "date": START}],
        "meeting_decisions": [{"unit_id": "U", "meeting_id": "M-2025-06", "text": "x"},
                              {"unit_id": "U", "text": "y"}]})
    assert problems_of("r.xlsx") == [
        "r.xlsx › meeting_decisions › 第3行 › 列B(meeting_id): reference [U] meeting_id “M-2025-06” 不是本单位 meetings "
        "表中的会议编号；是否为 “M-2025-05”？本行没有读取",
        "r.xlsx › meeting_decisions › 第4行 › 列B(meeting_id): required [U] meeting_id 为空：无法确定本行属于哪个会议，本行没有读取",
    ]


def test_duplicate_item_keys_name_the_other_row():
    write_book(Path("r.xlsx"), two_units([["GD-B", "B-M1", "支委会", START, 5, 4, "党建"],
                                          ["GD-B", "B-M1", "党课", START, 5, 4, "党建"]]))
    assert problems_of("r.xlsx") == [
        "r.xlsx › meetings › 第5行 › 列B(id): duplicate-key [GD-B] 会议的键 “B-M1”（id）与 meetings 表第4行 重复，"
        "单位内必须唯一"]


def test_prestudy_meeting_reference_is_placed_at_its_cell():
    fill_template(Path("r.xlsx"), {
        "units": [{"unit_id": "U", "name": "n", "period.start": START, "period.end": END}],
        "meetings": [{"unit_id": "U", "id": "M-1", "type": "支委会", "date": START}],
        "major_decisions": [{"unit_id": "U", "id": "D-1", "title": "t", "category": "大额资金", "decided_on": START,
                             "prestudy_meeting": "M-2"}]})
    assert problems_of("r.xlsx") == [
        "r.xlsx › major_decisions › 第3行 › 列H(prestudy_meeting): reference [U] 前置研究会议 “M-2” 不是本单位 meetings "
        "中的会议编号；是否为 “M-1”？"]


def test_rows_of_units_that_do_not_exist():
    units = units_of(CORPUS / "xlsx/orphan_rows.xlsx")
    assert isinstance(units["GD-A"], UnitRecord) and isinstance(units["GD-B"], UnitRecord)
    [problem] = units[None].problems
    assert str(problem).endswith("unknown-unit unit_id “GD-Z” 不是 units 表中的单位编号；是否为 “GD-B”？本行（会议）没有读取")


def test_a_misspelt_unit_id_makes_that_unit_invalid():
    units = units_of(CORPUS / "xlsx/misspelt_unit_id.xlsx")
    assert isinstance(units["GD-A"], UnitRecord)
    assert isinstance(units["GD-B"], InvalidUnit)
    assert units["GD-B"].problems[0].location.row == 5


def test_duplicate_unit_ids_in_a_workbook_invalidate_both():
    units = list(load_units([str(CORPUS / "xlsx/duplicate_unit_ids.xlsx")]))
    dup = [u for u in units if u.unit_id == "GD-A"]
    assert len(dup) == 2 and all(isinstance(u, InvalidUnit) for u in dup)
    assert [len(u.problems) for u in dup] == [1, 1]


def test_merged_cells_in_data_rows():
    book = two_units()
    book["units"][2][2] = None
    write_book(Path("r.xlsx"), book, merged={"units": ["B3:C3"]})
    assert problems_of("r.xlsx") == [
        "r.xlsx › units › 第3行 › 列B: merged-cells [GD-B] 合并单元格 B3:C3：合并后只有左上角的单元格有内容，请取消合并，"
        "并在每一行（列）分别填写"]


def test_merged_header_cells():
    book = two_units()
    write_book(Path("r.xlsx"), book, merged={"units": ["G1:H1"]})
    assert problems_of("r.xlsx") == [
        "r.xlsx › units › 第1行 › 列G: merged-cells 表头合并单元格 G1:H1：合并后只有左上角的单元格有内容，请取消合并，"
        "并在每一行（列）分别填写"]


def test_problems_are_sorted_by_sheet_row_and_column():
    book = two_units([["GD-B", "B-M1", "支委会", "x", "y", "z", "党建"]],
                     units_b=["GD-B", "乙", "支部", START, END, "many"])
    write_book(Path("r.xlsx"), book)
    found = [p.split(": ")[0].split(" › ", 1)[1] for p in problems_of("r.xlsx")]
    assert found == ["units › 第3行 › 列C(org_type)", "units › 第3行 › 列F(members)", "meetings › 第4行 › 列D(date)",
                     "meetings › 第4行 › 列E(expected)", "meetings › 第4行 › 列F(present)"]


def test_a_text_over_excels_limit_is_refused_before_it_is_used():
    [unit] = [u for u in load_units([str(CORPUS / "xlsx/cell_over_limit.xlsx")]) if isinstance(u, InvalidUnit)]
    assert [(p.code, p.field) for p in unit.problems] == [("too-long", "name")]
    assert unit.name is None


def test_error_cells_of_link_columns():
    write_book(Path("r.xlsx"), two_units())
    patch_cells(Path("r.xlsx"), 1, {"A4": '<c r="A4"><f>A3</f></c>'})
    found = problems_of("r.xlsx")
    assert found == ["r.xlsx › meetings › 第4行 › 列A(unit_id): formula 公式没有保存计算结果：请在电子表格程序中打开、重新计算并保存，"
                     "或直接填写数值"]


def test_many_rows_are_read(tmp_path: Path):
    from bad_inputs.build import build_many_rows
    build_many_rows(tmp_path / "many.xlsx", 120, 10)
    units = list(load_units([str(tmp_path / "many.xlsx")]))
    assert len(units) == 120 and all(isinstance(u, UnitRecord) for u in units)
    assert len(units[-1].data["meetings"]) == 10


def test_a_title_row_above_the_header():
    book = two_units()
    book["meetings"].insert(0, ["2025年度会议记录表"])
    write_book(Path("r.xlsx"), book)
    found = problems_of("r.xlsx")
    assert found[0] == ("r.xlsx › meetings › 第1行: no-header 第1行应为表头（字段名，如 unit_id），实际为 “2025年度会议记录表”；"
                        "如在表头之上加了标题行，请删除")
    assert len(found) == 3        # and the two units are not checked without their meetings


def test_date_cell_in_a_text_column():
    write_book(Path("r.xlsx"), two_units([["GD-B", dt.datetime(2025, 3, 1), "支委会", START, 5, 4, "党建"]]))
    assert problems_of("r.xlsx") == [
        "r.xlsx › meetings › 第4行 › 列B(id): type-error [GD-B] 期望 字符串，实际 日期时间 2025-03-01T00:00:00"
        "（单元格被电子表格识别成了日期；如是编号或文字，请把该列设为文本格式后重新输入）"]
