"""Reading returned 整改台账 by header names and importing them: every change validated, all or nothing."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import openpyxl
import pytest
from openpyxl.styles import Protection
from sqlalchemy import delete, text

from checker.errors import LedgerError, UsageError
from checker.history import store
from checker.history.database import open_database
from checker.history.ledger_import import import_ledgers
from checker.history.ledger_sheet import LedgerReadError, header_name, parse_date, read_ledger
from checker.history.models import LedgerEvent, LedgerItem
from checker.pipeline.run import RunOptions, execute

REPO = Path(__file__).resolve().parent.parent
GD07 = REPO / "examples" / "records" / "GD-07.yaml"
AS_OF = dt.date(2026, 1, 15)
IMPORT_DAY = dt.date(2026, 2, 20)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of GD-07 with its ledger written and stored in a history database (copied by each test)."""
    root = tmp_path_factory.mktemp("issued")
    execute(RunOptions(inputs=[str(GD07)], out_dir=root / "out", formats=["xlsx"], as_of=AS_OF,
                       db=str(root / "h.db"), fail_on="never"))
    execute(RunOptions(inputs=[str(GD07)], out_dir=root / "out-md", formats=["md"], as_of=AS_OF,
                       db=str(root / "h-md.db"), fail_on="never"))
    return root


@pytest.fixture
def case(issued: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A private copy of the issued run: its database and ledgers."""
    for name in ("h.db", "h-md.db"):
        shutil.copy(issued / name, tmp_path / name)
    shutil.copytree(issued / "out", tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    db = open_database(str(tmp_path / "h.db"), create=False)
    try:
        yield {"dir": tmp_path, "db": db, "findings": doc["findings"],
               "ledger": tmp_path / "out" / "ledgers" / "GD-07.xlsx", "combined": tmp_path / "out" / "ledger.xlsx"}
    finally:
        db.dispose()


def fp_of(findings: list[dict], rule: str, item: str | None = None) -> str:
    """The fingerprint of the finding of `rule` (on `item`)."""
    return next(f["fingerprint"] for f in findings if f["rule"] == rule and (item is None or f["item"] == item))


def fill(path: Path, rows: dict[str, dict[str, Any]], out: Path | None = None) -> Path:
    """Write values into a ledger by 问题编号 and column name (as a unit would in Excel)."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        header = next((r for r in ws.iter_rows(max_row=30) if any(c.value == "问题编号" for c in r)), None)
        if header is None:
            continue
        cols = {c.value: c.column for c in header if c.value}
        for r in range(header[0].row + 1, ws.max_row + 1):
            values = rows.get(ws.cell(r, cols["问题编号"]).value)
            for column, value in (values or {}).items():
                ws.cell(r, cols[column]).value = value
    target = out or path
    wb.save(target)
    return target


def item_row(db: Any, fingerprint: str) -> Any:
    with db.transaction() as conn:
        return store.ledger_rows(conn, [fingerprint])[fingerprint]


# ---------------------------------------------------------------------------------------------
# Reading by header names

def make_workbook(path: Path, header_row: int, headers: list[str], rows: list[list[Any]], protect: bool = False,
                  unlocked: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.cell(1, 1).value = "某公司整改台账"
    for i, h in enumerate(headers, start=1):
        ws.cell(header_row, i).value = h
    for r, values in enumerate(rows, start=header_row + 1):
        for i, v in enumerate(values, start=1):
            cell = ws.cell(r, i)
            cell.value = v
            if headers[i - 1] in unlocked:
                cell.protection = Protection(locked=False)
    ws.protection.sheet = protect
    wb.save(path)
    return path


def test_header_row_found_anywhere_near_the_top_and_columns_by_name(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "l.xlsx", 3, ["状态（必填）", "问题编号", "* 佐证材料", "问题描述", "自加列"],
                         [["整改中", "abc", "a.pdf", "描述", "x"], [None, None, None, None, None],
                          ["已销号", "def", None, "描述2", None]])
    [sheet] = read_ledger(path)
    assert sheet.header_row == 3 and sheet.sheet == "台账"
    assert sheet.columns == {"状态": 1, "问题编号": 2, "佐证材料": 3, "问题描述": 4, "自加列": 5}
    assert [r.row for r in sheet.rows] == [4, 6]            # the empty row is skipped
    assert sheet.rows[0].text("佐证材料") == "a.pdf"
    assert sheet.locked == {"问题编号", "问题描述"}           # unprotected: the default checker columns
    assert str(sheet.location(6, "状态")) == f"{path} › 台账 › 第6行 › 列A（状态）"


def test_a_protected_sheet_says_itself_which_columns_are_locked(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "l.xlsx", 1, ["问题编号", "问题描述", "整改时限", "备注", "状态"],
                         [["abc", "d", "2026-01-01", None, None]], protect=True, unlocked=("整改时限", "备注"))
    [sheet] = read_ledger(path)
    assert sheet.locked == {"问题编号", "问题描述"}           # 状态 is the unit's whatever the lock says


def test_workbooks_without_a_ledger_or_with_duplicate_headers_are_refused(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "none.xlsx", 1, ["编号", "状态"], [["a", "整改中"]])
    with pytest.raises(LedgerReadError) as info:
        read_ledger(path)
    assert info.value.problems[0].code == "ledger-no-header"
    path = make_workbook(tmp_path / "dup.xlsx", 1, ["问题编号", "状态", "状态"], [["a", "整改中", "已销号"]])
    with pytest.raises(LedgerReadError) as info:
        read_ledger(path)
    assert info.value.problems[0].code == "ledger-header" and "列C" in str(info.value.problems[0].location)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LedgerReadError) as info:
        read_ledger(broken)
    assert info.value.problems[0].code == "ledger-unreadable"


def test_header_names_and_dates() -> None:
    assert header_name(" 佐证\n材料* ") == "佐证材料"
    assert header_name("状态(下拉选择)") == "状态"
    assert header_name("（备注）") == "（备注）"
    assert parse_date("2026-03-01") == dt.date(2026, 3, 1)
    assert parse_date("2026/3/1") == parse_date("2026.3.1") == parse_date("2026年3月1日") == dt.date(2026, 3, 1)
    assert parse_date(dt.datetime(2026, 3, 1, 0, 0)) == dt.date(2026, 3, 1)
    assert parse_date(46082) == dt.date(2026, 3, 1)                 # an Excel serial number
    assert parse_date(None) is None and parse_date("  ") is None
    for bad in ("下周", "2026-13-01", "2026-02-30", True):
        with pytest.raises(ValueError):
            parse_date(bad)


# ---------------------------------------------------------------------------------------------
# Importing

def test_valid_changes_are_stored_with_their_status_history(case: dict[str, Any]) -> None:
    f = case["findings"]
    dc01, fm08 = fp_of(f, "DC01"), fp_of(f, "FM08")
    fill(case["ledger"], {
        dc01: {"状态": "已销号", "佐证材料": "党委会纪要DW-10.pdf", "销号日期": dt.date(2026, 2, 10),
               "完成情况": "已补充前置研究程序", "责任人": "王建华"},
        fm08: {"状态": "整改中", "完成情况": "已清收0.8亿元"},
    })
    report = import_ledgers(case["db"], [str(case["ledger"])], IMPORT_DAY)
    assert (report.changed, report.by_status) == (2, {"已销号": 1, "整改中": 1})
    assert report.rows == len([x for x in f if x["unit"] == "GD-07" and x["status"] == "open"])
    assert report.unchanged == report.rows - 2 and report.notices == []
    row = item_row(case["db"], dc01)
    assert (row.status, row.evidence, row.closed_on, row.responsible_person, row.reported_on) == \
        ("已销号", "党委会纪要DW-10.pdf", dt.date(2026, 2, 10), "王建华", IMPORT_DAY)
    with case["db"].transaction() as conn:
        events = store.item_events(conn, dc01)
    assert [e["kind"] for e in events] == ["issued", "import"]
    assert (events[1]["old_status"], events[1]["new_status"]) == ("未启动", "已销号")
    assert events[1]["changes"]["销号日期"] == [None, "2026-02-10"]
    assert "GD-07.xlsx › 整改台账 › 第" in events[1]["source"]


def test_an_untouched_ledger_changes_nothing(case: dict[str, Any]) -> None:
    """The pre-filled 整改措施/责任单位/状态 are the checker's, not the unit's report."""
    report = import_ledgers(case["db"], [str(case["combined"]), str(case["ledger"])], IMPORT_DAY)
    assert report.changed == 0 and report.unchanged == report.rows // 2


def test_empty_cells_never_erase_an_earlier_report(case: dict[str, Any]) -> None:
    fm08 = fp_of(case["findings"], "FM08")
    first = fill(case["ledger"], {fm08: {"状态": "整改中", "完成情况": "已清收0.8亿元"}},
                 case["dir"] / "first.xlsx")
    import_ledgers(case["db"], [str(first)], IMPORT_DAY)
    second = fill(case["ledger"], {fm08: {"状态": "申请销号", "完成情况": None}}, case["dir"] / "second.xlsx")
    report = import_ledgers(case["db"], [str(second)], IMPORT_DAY)
    assert report.changed == 1
    row = item_row(case["db"], fm08)
    assert (row.status, row.progress) == ("申请销号", "已清收0.8亿元")


def test_same_row_in_combined_and_unit_ledger_must_agree(case: dict[str, Any]) -> None:
    fm08 = fp_of(case["findings"], "FM08")
    fill(case["ledger"], {fm08: {"状态": "整改中"}})
    fill(case["combined"], {fm08: {"状态": "整改中"}})
    assert import_ledgers(case["db"], [str(case["combined"]), str(case["ledger"])], IMPORT_DAY).changed == 1
    fill(case["combined"], {fm08: {"状态": "申请销号"}})
    with pytest.raises(LedgerError) as info:
        import_ledgers(case["db"], [str(case["combined"]), str(case["ledger"])], IMPORT_DAY)
    [problem] = info.value.problems
    assert problem.code == "ledger-duplicate" and "ledger.xlsx › 整改台账" in problem.message


def test_every_problem_is_reported_with_sheet_row_and_column_and_nothing_is_stored(case: dict[str, Any]) -> None:
    f = case["findings"]
    rows = {x: fp_of(f, rule, item) for x, rule, item in
            [("dc01", "DC01", None), ("dc02", "DC02", None), ("dc03", "DC03", None), ("fm08", "FM08", None),
             ("fm04", "FM04", None), ("x01", "X01", None)]}
    fill(case["ledger"], {
        rows["dc01"]: {"状态": "已销号", "佐证材料": "无"},                              # no evidence, no date
        rows["dc02"]: {"状态": "已销号", "佐证材料": "a.pdf", "销号日期": dt.date(2026, 3, 1)},   # after import day
        rows["dc03"]: {"状态": "整改中", "销号日期": "2026-02-01"},                      # date without closure
        rows["fm08"]: {"状态": "整改好了", "问题描述": "改过的描述"},                    # bad status, locked edit
        rows["fm04"]: {"状态": "已销号", "佐证材料": "a.pdf", "销号日期": "上周"},        # not a date
        rows["x01"]: {"问题编号": "0000000000000000", "状态": "整改中"},                  # unknown key
    })
    wb = openpyxl.load_workbook(case["ledger"])
    ws = wb["整改台账"]
    cols = {c.value: c.column for c in ws[1]}
    extra = ws.max_row + 1
    ws.cell(extra, cols["完成情况"]).value = "新增一行"                                # a row without 问题编号
    wb.save(case["ledger"])
    with pytest.raises(LedgerError) as info:
        import_ledgers(case["db"], [str(case["ledger"])], IMPORT_DAY)
    found = {(p.code, p.location.column.split("（")[1].rstrip("）")) for p in info.value.problems}
    assert found == {
        ("ledger-closure-evidence", "佐证材料"), ("ledger-closure-date", "销号日期"),
        ("ledger-locked", "问题描述"), ("ledger-status", "状态"), ("ledger-date", "销号日期"),
        ("ledger-unknown-key", "问题编号"), ("ledger-no-key", "问题编号"),
    }
    messages = "\n".join(str(p) for p in info.value.problems)
    assert "晚于导入日期 2026-02-20" in messages and "状态为“整改中”却填写了销号日期" in messages
    assert f"第{extra}行" in messages and "GD-07.xlsx › 整改台账" in messages
    assert all(p.location.sheet == "整改台账" and p.location.row for p in info.value.problems)
    assert item_row(case["db"], rows["dc03"]).status == "未启动"          # its valid-looking change was not stored
    with case["db"].transaction() as conn:
        assert conn.execute(text("SELECT count(*) FROM pbcheck_ledger_imports")).scalar() == 0


def test_closure_date_before_the_problem_was_issued_is_refused(case: dict[str, Any]) -> None:
    dc01 = fp_of(case["findings"], "DC01")
    fill(case["ledger"], {dc01: {"状态": "已销号", "佐证材料": "a.pdf", "销号日期": "2025年12月31日"}})
    with pytest.raises(LedgerError) as info:
        import_ledgers(case["db"], [str(case["ledger"])], IMPORT_DAY)
    assert "早于问题下发日期 2026-01-15" in str(info.value.problems[0])


def test_waived_rows_need_no_filling_but_refuse_reports(case: dict[str, Any]) -> None:
    fm08 = fp_of(case["findings"], "FM08")
    with case["db"].transaction(write=True) as conn:     # as if FM08 had been waived: no ledger item
        conn.execute(delete(LedgerEvent).where(LedgerEvent.fingerprint == fm08))
        conn.execute(delete(LedgerItem).where(LedgerItem.fingerprint == fm08))
    assert import_ledgers(case["db"], [str(case["ledger"])], IMPORT_DAY).changed == 0
    fill(case["ledger"], {fm08: {"状态": "整改中"}})
    with pytest.raises(LedgerError) as info:
        import_ledgers(case["db"], [str(case["ledger"])], IMPORT_DAY)
    assert info.value.problems[0].code == "ledger-waived"


def test_without_a_stored_ledger_the_finding_itself_is_the_reference(case: dict[str, Any]) -> None:
    """A run that wrote no ledger.xlsx: unit, rule, description and deadline are checked against the finding."""
    db = open_database(str(case["dir"] / "h-md.db"), create=False)
    try:
        fm08 = next(x for x in case["findings"] if x["rule"] == "FM08")      # same records and date: same findings
        dc01 = next(x for x in case["findings"] if x["rule"] == "DC01")
        headers = ["问题编号", "单位", "规则", "问题描述", "整改时限", "状态", "完成情况"]
        good = [fm08["fingerprint"], "GD-07 华东工程公司第二工程分公司党委", "FM08 决议落实不到位", fm08["message"],
                fm08["deadline"], "整改中", "推进中"]
        bad = [dc01["fingerprint"], "GD-08", "DC02", "改过", "2026-12-31", "整改中", None]
        path = make_workbook(case["dir"] / "own.xlsx", 1, headers, [good, bad])
        with pytest.raises(LedgerError) as info:
            import_ledgers(db, [str(path)], IMPORT_DAY)
        assert {p.location.column.split("（")[1].rstrip("）") for p in info.value.problems} == \
            {"单位", "规则", "问题描述", "整改时限"}
        assert all(p.location.row == 3 for p in info.value.problems)
        path = make_workbook(case["dir"] / "own.xlsx", 1, headers, [good])
        report = import_ledgers(db, [str(path)], IMPORT_DAY)
        assert report.changed == 1
    finally:
        db.dispose()


def test_a_changed_deadline_in_an_editable_column_is_kept_as_issued_with_a_notice(case: dict[str, Any]) -> None:
    db = open_database(str(case["dir"] / "h-md.db"), create=False)
    try:
        fm08 = next(x for x in case["findings"] if x["rule"] == "FM08")
        path = make_workbook(case["dir"] / "own.xlsx", 1, ["问题编号", "整改时限", "状态"],
                             [[fm08["fingerprint"], "2026-12-31", "整改中"]], protect=True,
                             unlocked=("整改时限", "状态"))
        report = import_ledgers(db, [str(path)], IMPORT_DAY)
        assert report.changed == 1
        [notice] = report.notices
        assert notice.code == "ledger-deadline-kept" and fm08["deadline"] in notice.message
        assert item_row(db, fm08["fingerprint"]).deadline.isoformat() == fm08["deadline"]
    finally:
        db.dispose()


def test_files_that_are_not_ledgers_are_usage_errors(case: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match="找不到台账文件"):
        import_ledgers(case["db"], [str(case["dir"] / "nope.xlsx")], IMPORT_DAY)
    (case["dir"] / "l.csv").write_text("问题编号\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"\.xlsx"):
        import_ledgers(case["db"], [str(case["dir"] / "l.csv")], IMPORT_DAY)
