"""Builds the bad-input corpus of tests/bad_inputs/ (and helpers for spreadsheet tests).

Run `python tests/bad_inputs/build.py` from the repository root to regenerate the committed files.
The large cases (a 10 MB text field, many rows) are not committed: `build_large(directory)` writes
them where a test wants them. Every case is described in README.md of this directory; the expected
outcome of each is asserted in tests/test_bad_inputs.py.

Workbooks are written with openpyxl; what openpyxl cannot write (cached formula results, error
values, cells over Excel's length limit as Excel itself would store them) is patched into the
sheet XML afterwards, so the corpus does not depend on a spreadsheet program being installed.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any, Callable

from openpyxl import Workbook, load_workbook

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

UNIT_HEAD = ["unit_id", "name", "org_type", "period.start", "period.end", "members"]
MEETING_HEAD = ["unit_id", "id", "type", "date", "expected", "present", "topics"]
PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


# ---------------------------------------------------------------------------------------------
# Helpers (also used by tests/test_spreadsheet_*.py)


_FIXED_TIME = (2025, 1, 1, 0, 0, 0)
_STAMP = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def _reproducible(path: Path) -> Path:
    """Fixed zip timestamps and document dates, so that rebuilding the corpus gives the same bytes."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts:
            if name == "docProps/core.xml":
                data = _STAMP.sub(r"\g<1>2025-01-01T00:00:00Z\g<2>", data.decode("utf-8")).encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def write_book(path: Path, sheets: dict[str, list[list[Any]]], merged: dict[str, list[str]] | None = None) -> Path:
    """A plain workbook: each sheet's rows from row 1 (header first); None leaves a cell blank."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    cell = ws.cell(r, c, value)
                    if isinstance(value, str):
                        cell.data_type = "s"
        for ref in (merged or {}).get(name, []):
            ws.merge_cells(ref)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return _reproducible(path)


def fill_template(path: Path, sheets: dict[str, list[dict[str, Any]]]) -> Path:
    """The `pbcheck template` workbook with rows (column name → value) from row 3, as a clerk fills it."""
    from checker.inputs.spreadsheet.template import template_bytes

    wb = load_workbook(io.BytesIO(template_bytes()))
    for name, rows in sheets.items():
        ws = wb[name]
        columns = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
        for r, values in enumerate(rows, start=3):
            for key, value in values.items():
                ws.cell(r, columns[key], value)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return _reproducible(path)


def rewrite_sheet(path: Path, sheet_index: int, change: Callable[[str], str]) -> Path:
    """Rewrite the XML of one sheet (openpyxl names sheets sheet1.xml, sheet2.xml… in order)."""
    member = f"xl/worksheets/sheet{sheet_index + 1}.xml"
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    parts[member] = change(parts[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return _reproducible(path)


def patch_cells(path: Path, sheet_index: int, cells: dict[str, str]) -> Path:
    """Replace cells of a sheet by raw XML (what openpyxl cannot write: cached results, error values…)."""
    def change(xml: str) -> str:
        for ref, replacement in cells.items():
            pattern = re.compile(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', re.S)
            xml, count = pattern.subn(lambda _: replacement, xml, count=1)
            assert count == 1, f"cell {ref} not found"
        return xml
    return rewrite_sheet(path, sheet_index, change)


def _entity_bomb(xml: str) -> str:
    """A "billion laughs" DTD in the sheet, expanded in a cell (10⁹ characters if a parser allowed it)."""
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
    head, rest = xml.split("?>", 1) if xml.startswith("<?xml") else ("", xml)
    body = rest.replace("<t>B-M1</t>", "<t>&i;</t>", 1)
    return (head + "?>" if head else "") + f"<!DOCTYPE worksheet [{entities}]>" + body


def write_csv_set(directory: Path, sheets: dict[str, list[list[Any]]], encoding: str = "utf-8-sig",
                  raw: dict[str, bytes] | None = None) -> Path:
    """A CSV set: one file per sheet (header first), CRLF line ends as Excel writes them."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for name, rows in sheets.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        for values in rows:
            writer.writerow(["" if v is None else v for v in values])
        (directory / f"{name}.csv").write_bytes(buffer.getvalue().encode(encoding))
    for name, data in (raw or {}).items():
        (directory / name).write_bytes(data)
    return directory


def two_units(meetings_b: list[list[Any]] | None = None, units_b: list[Any] | None = None) -> dict[str, list[list[Any]]]:
    """Two units: GD-A (valid, two meetings) and GD-B (one meeting unless `meetings_b` replaces it)."""
    start, end = PERIOD
    units = [list(UNIT_HEAD), ["GD-A", "甲项目部党支部", "党支部", start, end, 20],
             units_b or ["GD-B", "乙项目部党支部", "党支部", start, end, 15]]
    meetings = [list(MEETING_HEAD),
                ["GD-A", "A-M1", "支委会", dt.date(2025, 3, 12), 5, 5, "党建、业务"],
                ["GD-A", "A-M2", "党课", dt.date(2025, 4, 8), 20, 18, "党建"]]
    meetings += meetings_b if meetings_b is not None else [["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建"]]
    return {"units": units, "meetings": meetings}


def as_text(sheets: dict[str, list[list[Any]]]) -> dict[str, list[list[Any]]]:
    """The same sheets with every value as CSV text (dates ISO)."""
    def text(v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.date) else v
    return {name: [[text(v) for v in row] for row in rows] for name, rows in sheets.items()}


GOOD_UNIT = """\
# 一个有效的单位，与每个坏输入一起运行：--keep-going 时它必须照常被检查
unit_id: GOOD-1
name: 对照组党支部
org_type: 党支部
period: {start: 2025-01-01, end: 2025-12-31}
members: 12
meetings:
  - {id: G-M1, type: 支委会, date: 2025-02-10, expected: 5, present: 5, topics: [党建, 业务]}
"""

YAML_UNIT = """\
unit_id: Y-1
name: 测试支部
period: {start: 2025-01-01, end: 2025-12-31}
"""


# ---------------------------------------------------------------------------------------------
# The committed corpus


def _yaml_cases(d: Path) -> None:
    (d / "truncated.yaml").write_text(YAML_UNIT + "meetings:\n  - {id: M-1, type: 支委会, date: 2025-0", encoding="utf-8")
    (d / "gbk.yaml").write_bytes((YAML_UNIT + "parent: 华东工程公司党委\n").encode("gbk"))
    (d / "bom.yaml").write_bytes("\ufeff".encode() + YAML_UNIT.encode())
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    (d / "anchors_bomb.yaml").write_text(bomb, encoding="utf-8")
    (d / "deep_nesting.yaml").write_text(YAML_UNIT + "meetings: " + "[" * 200 + "]" * 200 + "\n", encoding="utf-8")
    (d / "nan_inf.yaml").write_text(YAML_UNIT + "member_training_hours_avg: .nan\nassessment: {party_score: .inf}\n",
                                    encoding="utf-8")
    (d / "huge_int.yaml").write_text(YAML_UNIT + "staff: 99999999999999999999999999999999\n", encoding="utf-8")
    (d / "duplicate_units.yaml").write_text(
        "units:\n"
        "  - {unit_id: Y-1, name: 甲, period: {start: 2025-01-01, end: 2025-12-31}}\n"
        "  - {unit_id: Y-1, name: 乙, period: {start: 2025-01-01, end: 2025-12-31}}\n", encoding="utf-8")
    (d / "present_gt_expected.yaml").write_text(
        YAML_UNIT + "meetings:\n  - {id: M-1, type: 支委会, date: 2025-03-12, expected: 5, present: 7}\n", encoding="utf-8")
    (d / "dates_out_of_period.yaml").write_text(
        YAML_UNIT + "meetings:\n  - {id: M-1, type: 支委会, date: 2024-12-30}\n  - {id: M-2, type: 支委会, date: 2026-01-05}\n",
        encoding="utf-8")
    (d / "non_utf8.yaml").write_bytes(YAML_UNIT.encode() + b"parent: \xc3\x28\xa0\n")
    (d / "utf16.yaml").write_bytes(YAML_UNIT.encode("utf-16"))
    (d / "duplicate_keys.yaml").write_text(YAML_UNIT + "members: 3\nmembers: 4\n", encoding="utf-8")


def _json_unit(**extra: Any) -> dict:
    return {"unit_id": "J-1", "name": "测试支部", "period": {"start": "2025-01-01", "end": "2025-12-31"}, **extra}


def _json_cases(d: Path) -> None:
    text = json.dumps(_json_unit(meetings=[{"id": "M-1", "type": "支委会", "date": "2025-03-12"}]), ensure_ascii=False,
                      indent=2)
    (d / "truncated.json").write_text(text[: len(text) // 2], encoding="utf-8")
    (d / "nan.json").write_text('{"unit_id": "J-1", "name": "x", "period": {"start": "2025-01-01", "end": "2025-12-31"},'
                                '\n "members": NaN}\n', encoding="utf-8")
    (d / "infinity.json").write_text('{"unit_id": "J-1", "name": "x", "period": {"start": "2025-01-01", "end": "2025-12-31"},'
                                     '\n "assessment": {"party_score": 1e999}}\n', encoding="utf-8")
    (d / "huge_int.json").write_text('{"unit_id": "J-1", "name": "x", "period": {"start": "2025-01-01", "end": "2025-12-31"},'
                                     '\n "staff": ' + "9" * 5000 + "}\n", encoding="utf-8")
    (d / "deep.json").write_text('{"unit_id": "J-1", "name": "x", "meetings": ' + "[" * 1000 + "]" * 1000 + "}\n",
                                 encoding="utf-8")
    (d / "gbk.json").write_bytes(json.dumps(_json_unit(parent="华东工程公司党委"), ensure_ascii=False).encode("gbk"))
    (d / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(_json_unit(), ensure_ascii=False).encode())
    units = {"units": [_json_unit(), _json_unit(name="重复的单位")]}
    (d / "duplicate_units.json").write_text(json.dumps(units, ensure_ascii=False, indent=1), encoding="utf-8")
    (d / "string_numbers.json").write_text(json.dumps(_json_unit(members="23"), ensure_ascii=False), encoding="utf-8")


def _xlsx_cases(d: Path) -> None:
    start, end = PERIOD
    write_book(d / "dates_out_of_period.xlsx", two_units([["GD-B", "B-M1", "支委会", dt.date(2024, 12, 30), 5, 4, "党建"]]))
    # B-M1 and B-M2 share a merged unit_id cell: row 5 has no unit_id of its own
    write_book(d / "merged_cells.xlsx", two_units([["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建"],
                                                   [None, "B-M2", "支委会", dt.date(2025, 4, 14), 5, 4, "党建"]]),
               merged={"meetings": ["A4:A5"]})
    write_book(d / "formula_cached.xlsx", two_units([["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建"]]))
    patch_cells(d / "formula_cached.xlsx", 1, {"F4": '<c r="F4"><f>2+2</f><v>4</v></c>'})
    write_book(d / "formula_no_cache.xlsx", two_units())
    patch_cells(d / "formula_no_cache.xlsx", 1, {"F4": '<c r="F4"><f>SUM(E4,-1)</f></c>'})
    write_book(d / "xml_bomb.xlsx", two_units())
    rewrite_sheet(d / "xml_bomb.xlsx", 1, _entity_bomb)
    write_book(d / "error_value.xlsx", two_units())
    patch_cells(d / "error_value.xlsx", 1, {"F4": '<c r="F4" t="e"><f>1/0</f><v>#DIV/0!</v></c>'})
    book = two_units()
    write_book(d / "missing_units_sheet.xlsx", {"unit": book["units"], "meetings": book["meetings"]})
    write_book(d / "missing_list_sheet.xlsx", {"units": two_units()["units"]})
    write_book(d / "duplicate_unit_ids.xlsx", two_units(units_b=["GD-A", "乙项目部党支部", "党支部", start, end, 15]))
    write_book(d / "present_gt_expected.xlsx", two_units([["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, 9, "党建"]]))
    # openpyxl cuts texts at Excel's limit, so the over-long cell is patched in as another program could write it
    write_book(d / "cell_over_limit.xlsx", two_units())
    patch_cells(d / "cell_over_limit.xlsx", 0, {"B3": f'<c r="B3" t="inlineStr"><is><t>{"党" * 40_000}</t></is></c>'})
    write_book(d / "orphan_rows.xlsx", two_units([["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建"],
                                                  ["GD-Z", "Z-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建"]]))
    write_book(d / "misspelt_unit_id.xlsx", two_units([["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建"],
                                                       ["gd－b", "B-M2", "支委会", dt.date(2025, 4, 14), 5, 4, "党建"]]))
    book = two_units()
    book["meetings"][0][5] = "presnt"
    write_book(d / "unknown_column.xlsx", book)
    write_book(d / "bad_dates.xlsx", two_units([["GD-B", "B-M1", "支委会", "3/12/2025", 5, 4, "党建"],
                                                ["GD-B", "B-M2", "支委会", "2025-02-30", 5, 4, "党建"],
                                                ["GD-B", "B-M3", "支委会", 45728, 5, 4, "党建"]]))
    write_book(d / "text_values.xlsx", {
        "units": [UNIT_HEAD + ["staff", "assessment.party_weight", "assessment.linked_to_pay", "assessment.methods"],
                  ["GD-T", "文字填写的支部", "党支部", "2025/1/1", "2025年12月31日", "２０", "1,234,567", "20%", "是",
                   "过程提示法；综合评价法"]],
        "meetings": [MEETING_HEAD + ["secretary_present", "evidence"],
                     ["GD-T", 7, "支委会", "2025.3.12", "5", "4.0", "党建、业务", "否", "签到表.pdf; 照片.jpg"]]})
    book = two_units()
    book["meeting"] = book.pop("meetings")
    write_book(d / "unknown_sheet.xlsx", book)
    write_book(d / "huge_int.xlsx", two_units(units_b=["GD-B", "乙项目部党支部", "党支部", start, end, 10 ** 30]))
    book = two_units()
    book["meetings"] = [row[1:] for row in book["meetings"]]
    write_book(d / "missing_unit_id_column.xlsx", book)
    fill_template(d / "template_filled.xlsx", {
        "units": [{"unit_id": "GD-F", "name": "按模板填写的支部", "org_type": "党支部", "period.start": start,
                   "period.end": end, "branch_committee.established": "是", "assessment.leader_grades": "优秀、称职"}],
        "meetings": [{"unit_id": "GD-F", "id": "F-M1", "type": "支委会", "date": dt.date(2025, 5, 6), "expected": 5,
                      "present": 5, "topics": "党建；业务"}],
        "meeting_decisions": [{"unit_id": "GD-F", "meeting_id": "F-M1", "text": "落实安全生产责任", "owner": "张伟",
                               "due": dt.date(2025, 6, 30), "done": "否"}]})
    write_book(d / "_tmp.xlsx", two_units())
    data = (d / "_tmp.xlsx").read_bytes()
    (d / "_tmp.xlsx").unlink()
    (d / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    (d / "not_a_zip.xlsx").write_text("unit_id,name\nGD-A,甲\n", encoding="utf-8")
    (d / "xls_renamed.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


def _csv_cases(d: Path) -> None:
    text = as_text(two_units())
    write_csv_set(d / "bom", text)
    write_csv_set(d / "gbk", text, encoding="gbk")
    write_csv_set(d / "truncated", {"units": text["units"]},
                  raw={"meetings.csv": ("\ufeff" + "\r\n".join(",".join(map(str, r)) for r in text["meetings"][:2])
                                        + '\r\nGD-B,B-M1,支委会,2025-03-14,5,4,"党建').encode()})
    write_csv_set(d / "orphan", as_text(two_units([["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建"],
                                                   ["GD-Z", "Z-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建"]])))
    write_csv_set(d / "formula_text", as_text(two_units([["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, "=SUM(2,2)",
                                                          "党建"]])))
    write_csv_set(d / "nan", as_text(two_units(units_b=["GD-B", "乙项目部党支部", "党支部", "2025-01-01", "2025-12-31", "NaN"])))
    write_csv_set(d / "huge_int", as_text(two_units(units_b=["GD-B", "乙项目部党支部", "党支部", "2025-01-01", "2025-12-31",
                                                             "9" * 400])))
    meetings = "\r\n".join(",".join(map(str, r)) for r in text["meetings"]).encode() + b"\r\nGD-B,B-M2," + "支委会".encode("gbk") + b",2025-03-14,5,4,\r\n"
    write_csv_set(d / "non_utf8", {"units": text["units"]}, raw={"meetings.csv": meetings})
    write_csv_set(d / "missing_unit_id", {"units": text["units"], "meetings": [r[1:] for r in text["meetings"]]})
    excel = {"units": text["units"] + [[None] * 6, [None] * 6],
             "meetings": [MEETING_HEAD + ["secretary_present"],
                          ["GD-A", "A-M1", "支委会", "2025/3/12", "5", "5", "党建;业务", "TRUE"],
                          ["GD-B", "B-M1", "支委会", "2025/3/14", "5", "4", "党建", "FALSE"]] + [[None] * 8] * 3}
    write_csv_set(d / "excel_saved", excel)


def build_all(root: Path = HERE) -> None:
    """Regenerate every committed corpus file."""
    (root / "good.yaml").write_text(GOOD_UNIT, encoding="utf-8")
    for kind, builder in (("yaml", _yaml_cases), ("json", _json_cases), ("xlsx", _xlsx_cases), ("csv", _csv_cases)):
        folder = root / kind
        folder.mkdir(exist_ok=True)
        builder(folder)


# ---------------------------------------------------------------------------------------------
# Large cases, written on demand (not committed)

BIG = 10 * 1024 * 1024


def build_large(d: Path) -> dict[str, Path]:
    """The 10 MB text field in YAML, JSON, CSV and XLSX; returns name → path."""
    d.mkdir(parents=True, exist_ok=True)
    big = "党" * (BIG // 3)
    out: dict[str, Path] = {}
    out["big_field.yaml"] = d / "big_field.yaml"
    out["big_field.yaml"].write_text(YAML_UNIT + "meetings:\n  - id: M-1\n    type: 支委会\n    date: 2025-03-12\n"
                                     f"    minutes: {big}\n", encoding="utf-8")
    out["big_field.json"] = d / "big_field.json"
    out["big_field.json"].write_text(json.dumps(_json_unit(meetings=[{"id": "M-1", "type": "支委会", "date": "2025-03-12",
                                                                      "minutes": big}]), ensure_ascii=False), encoding="utf-8")
    out["big_field_csv"] = write_csv_set(d / "big_field_csv", as_text(two_units(
        [["GD-B", "B-M1", "支委会", dt.date(2025, 3, 14), 5, 4, "党建" + "、党建" * (BIG // 9)]])))
    out["big_field.xlsx"] = write_book(d / "big_field.xlsx", two_units())
    patch_cells(out["big_field.xlsx"], 0, {"B3": f'<c r="B3" t="inlineStr"><is><t>{big}</t></is></c>'})
    return out


def build_many_rows(path: Path, units: int, meetings_per_unit: int) -> Path:
    """A workbook with many units and meetings (speed of reading large workbooks)."""
    start, end = PERIOD
    rows = [UNIT_HEAD] + [[f"U-{i:05d}", f"第{i}党支部", "党支部", start, end, 20] for i in range(units)]
    meetings = [MEETING_HEAD]
    for i in range(units):
        for k in range(meetings_per_unit):
            meetings.append([f"U-{i:05d}", f"M-{k}", "支委会", start + dt.timedelta(days=k * 7), 5, 4, "党建、业务"])
    return write_book(path, {"units": rows, "meetings": meetings})


BUILDERS: dict[str, Callable[[Path], None]] = {"yaml": _yaml_cases, "json": _json_cases, "xlsx": _xlsx_cases,
                                               "csv": _csv_cases}

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))        # run as a script from a checkout: use its checker package
    build_all()
    print(f"corpus written to {HERE}")
