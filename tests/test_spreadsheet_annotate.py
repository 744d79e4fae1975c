"""Tests of checker.inputs.spreadsheet.annotate: the copy of a workbook with its problems marked."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bad_inputs.build import as_text, two_units, write_book, write_csv_set
from checker.cli.main import cli
from checker.inputs.records import InvalidUnit
from checker.inputs.loaders import load_units
from checker.inputs.spreadsheet.annotate import LIST_SHEET, annotation_files

CORPUS = Path(__file__).parent / "bad_inputs"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invalid_of(*paths: str) -> list[InvalidUnit]:
    return [u for u in load_units(list(paths)) if isinstance(u, InvalidUnit)]


def annotated(*paths: str):
    files, notes = annotation_files(invalid_of(*paths))
    assert notes == []
    return {name: load_workbook(io.BytesIO(data)) for name, data in files}


def bad_book() -> Path:
    book = two_units([["GD-B", "B-M1", "支委会", "3/12/2025", 5, 9, "党建"]],
                     units_b=["GD-B", "乙", "支部", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 3])
    return write_book(Path("bad.xlsx"), book)


def test_offending_cells_are_highlighted_with_a_comment():
    original = bad_book().read_bytes()
    [(name, wb)] = annotated("bad.xlsx").items()
    assert name == "bad_问题标注.xlsx"
    assert wb.sheetnames[0] == LIST_SHEET and wb.active.title == LIST_SHEET
    cell = wb["meetings"]["D4"]
    assert cell.comment.text.startswith("2. [GD-B] 期望 日期 YYYY-MM-DD，实际 字符串 \"3/12/2025\"")
    assert cell.fill.fgColor.rgb == "00FFC7CE"
    assert wb["units"]["C3"].comment.text.startswith("1. [GD-B] 期望 以下之一：党支部、党总支、基层党委")
    assert wb["meetings"]["F4"].comment is not None
    assert wb["meetings"]["E4"].comment is None and wb["meetings"]["D3"].comment is None
    assert Path("bad.xlsx").read_bytes() == original            # the original is never touched


def test_problem_list_links_to_the_cells():
    bad_book()
    wb = annotated("bad.xlsx")["bad_问题标注.xlsx"]
    rows = list(wb[LIST_SHEET].iter_rows(min_row=1, values_only=True))
    assert rows[0] == ("序号", "位置", "单位", "问题")
    assert [r[1] for r in rows[1:]] == ["bad.xlsx › units › 第3行 › 列C(org_type)", "bad.xlsx › meetings › 第4行 › 列D(date)",
                                        "bad.xlsx › meetings › 第4行 › 列F(present)"]
    assert wb[LIST_SHEET]["B3"].hyperlink.location == "'meetings'!D4"


def test_row_and_file_problems():
    book = two_units([["GD-Z", "Z-M1", "支委会", dt.date(2025, 3, 1), 5, 4, "党建"]])
    book["meetings"][0] = book["meetings"][0][:6]     # topics column without header: per-row problem of GD-A
    write_book(Path("r.xlsx"), book, merged={"units": ["B3:C3"]})
    wb = annotated("r.xlsx")["r_问题标注.xlsx"]
    listing = [r[3] for r in wb[LIST_SHEET].iter_rows(min_row=2, values_only=True)]
    assert any("unit_id “GD-Z”" in text for text in listing)
    assert "合并单元格 B3:C3" in wb["units"]["B3"].comment.text
    assert "没有表头" in wb["meetings"]["G2"].comment.text


def test_csv_set_is_annotated_as_one_workbook():
    write_csv_set(Path("set"), as_text(two_units([["GD-B", "B-M1", "支委会", "2025-03-14", 5, "abc", "党建"]])))
    wb = annotated("set")["set_问题标注.xlsx"]
    assert wb.sheetnames == [LIST_SHEET, "units", "meetings"]
    assert wb["meetings"]["F4"].value == "abc"
    assert "期望 整数" in wb["meetings"]["F4"].comment.text


def test_yaml_problems_give_no_copy(tmp_path):
    (tmp_path / "u.yaml").write_text("unit_id: X\nname: x\nperiod: {start: 2025-01-01, end: 2025-12-31}\nstaff: many\n",
                                     encoding="utf-8")
    assert annotation_files(invalid_of("u.yaml")) == ([], [])


def test_damaged_workbook_gives_a_note_instead_of_a_copy():
    Path("broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    files, notes = annotation_files(invalid_of("broken.xlsx"))
    assert files == [] and notes and "broken.xlsx" in notes[0]


def test_check_records_annotate():
    bad_book()
    result = CliRunner().invoke(cli, ["check-records", "bad.xlsx", "--annotate"])
    assert result.exit_code == 2
    assert "已另存标出问题的副本：pbcheck-out/annotated/bad_问题标注.xlsx" in result.output
    assert Path("pbcheck-out/annotated/bad_问题标注.xlsx").is_file()


def test_run_annotate_writes_the_copy_even_when_it_stops():
    bad_book()
    result = CliRunner().invoke(cli, ["run", "bad.xlsx", "--annotate", "--out", "out", "--no-history"])
    assert result.exit_code == 2
    assert Path("out/annotated/bad_问题标注.xlsx").is_file()
    assert not Path("out/findings.json").exists()


def test_an_annotated_copy_can_be_fixed_and_read_again(tmp_path: Path):
    bad_book()
    files, _ = annotation_files(invalid_of("bad.xlsx"))
    [(name, data)] = files
    Path(name).write_bytes(data)
    again = invalid_of(name)
    assert [p.code for u in again for p in u.problems] == ["enum", "type-error", "inconsistent"]   # no "unknown sheet"
    wb = load_workbook(name)
    wb["meetings"]["D4"] = dt.date(2025, 3, 12)          # the clerk fixes the date in the copy
    wb.save(name)
    [(_, data)] = annotation_files(invalid_of(name))[0]
    wb = load_workbook(io.BytesIO(data))
    assert wb["meetings"]["D4"].comment is None and wb["meetings"]["D4"].fill.fill_type is None
    assert wb["meetings"]["F4"].comment is not None
    assert wb.sheetnames.count(LIST_SHEET) == 1 and wb[LIST_SHEET].max_row == 3
