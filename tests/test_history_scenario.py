"""The inspection cycle end to end, on SQLite and on PostgreSQL: check → ledgers filled and imported →
records improved → re-check (resolved / persisting / new, statuses, 超期, 虚假销号) → a fixed problem comes
back (RC04); and two real `pbcheck run` processes on one SQLite file."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

import checker
from checker.cli.main import cli
from checker.history import store
from checker.history.compare import compare_runs
from checker.history.database import open_database
from checker.history.ledger_import import import_ledgers
from checker.history.status import open_items
from checker.pipeline.run import RunOptions, execute
from conftest_pg import postgres_server  # noqa: F401  (session fixture: one server for the module)

REPO = Path(__file__).resolve().parent.parent
# where the `checker` under test lives (a checkout, or site-packages when CI installed the wheel)
CHECKER_ROOT = str(Path(checker.__file__).resolve().parent.parent)
EXAMPLES = REPO / "examples" / "records"
RUN1, IMPORT, RUN2, RUN3 = dt.date(2026, 1, 15), dt.date(2026, 2, 20), dt.date(2026, 3, 20), dt.date(2026, 5, 20)


@pytest.fixture(params=["sqlite", "postgresql"])
def history_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty history database of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "pbcheck.db")
    return request.getfixturevalue("postgres_server").create_database()


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact passage of a record file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def check(records: Path, out: Path, as_of: dt.date, db: str) -> dict[str, Any]:
    execute(RunOptions(inputs=[str(records)], out_dir=out, formats=["xlsx"], as_of=as_of, db=db, fail_on="never"))
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def find(doc: dict[str, Any], unit: str, rule: str, item: str | None = None) -> dict[str, Any]:
    return next(f for f in doc["findings"] if f["unit"] == unit and f["rule"] == rule
                and (item is None or f["item"] == item))


def fill(path: Path, rows: dict[str, dict[str, Any]]) -> None:
    """A unit fills its ledger: values by 问题编号 and column name."""
    wb = openpyxl.load_workbook(path)
    ws = wb["整改台账"]
    cols = {c.value: c.column for c in ws[1]}
    for r in range(2, ws.max_row + 1):
        for column, value in rows.get(ws.cell(r, cols["问题编号"]).value, {}).items():
            ws.cell(r, cols[column]).value = value
    wb.save(path)


def unit_diff(doc: dict[str, Any], unit: str) -> dict[str, Any]:
    return next(u for u in doc["diff"]["units"] if u["unit"] == unit)


def test_inspection_cycle(history_db: str, tmp_path: Path) -> None:
    records = tmp_path / "records"
    shutil.copytree(EXAMPLES, records)
    gd07, gd02 = records / "GD-07.yaml", records / "GD-02.yaml"

    # -- run 1: everything is new; every open finding becomes a ledger item
    doc1 = check(records, tmp_path / "out1", RUN1, history_db)
    assert doc1["diff"]["totals"]["units_first_check"] == 12 and doc1["diff"]["totals"]["resolved"] == 0
    assert all(u["first_check"] for u in doc1["diff"]["units"])
    assert all(u["checks"].get("RC04") == "not_applicable" for u in doc1["units"])
    dc01 = find(doc1, "GD-07", "DC01")
    fm03_a = find(doc1, "GD-07", "FM03", "DW-02#2")
    fm03_b = find(doc1, "GD-07", "FM03", "DW-07#1")
    fm05 = find(doc1, "GD-02", "FM05", "ZW-08")
    assert doc1["rectification"][fm03_b["fingerprint"]]["status"] == "未启动"

    # -- units fill their own ledgers and send them back
    fill(tmp_path / "out1" / "ledgers" / "GD-07.xlsx", {
        dc01["fingerprint"]: {"状态": "已销号", "佐证材料": "党委会纪要（补充前置研究）.pdf", "销号日期": dt.date(2026, 2, 10)},
        fm03_a["fingerprint"]: {"状态": "已销号", "佐证材料": "DW-02决议补正.pdf", "销号日期": dt.date(2026, 2, 12),
                                "完成情况": "已明确责任人和时限"},
        fm03_b["fingerprint"]: {"状态": "整改中", "完成情况": "正在补正决议"},
    })
    fill(tmp_path / "out1" / "ledgers" / "GD-02.xlsx", {
        fm05["fingerprint"]: {"状态": "已销号", "佐证材料": "ZW-08签到表.pdf", "销号日期": "2026年2月15日"},
    })
    db = open_database(history_db, create=False)
    try:
        report = import_ledgers(db, [str(tmp_path / "out1" / "ledgers" / f"{u}.xlsx") for u in ("GD-07", "GD-02")],
                                IMPORT)
        assert (report.changed, report.by_status) == (4, {"已销号": 3, "整改中": 1})
    finally:
        db.dispose()

    # -- records improved (two problems fixed), one new problem, DC01 untouched although 已销号
    edit(gd07, "- {text: 开展分包队伍清理, owner: null, due: null, done: false}",
         "- {text: 开展分包队伍清理, owner: 陈刚, due: 2026-06-30, done: false}")
    edit(gd07, "evidence: [DW-01签到表.pdf]", "evidence: []")
    _add_evidence(gd02, "ZW-08")

    # -- run 2: resolved / persisting / new, statuses, 超期, 虚假销号
    doc2 = check(records, tmp_path / "out2", RUN2, history_db)
    d07 = unit_diff(doc2, "GD-07")
    assert d07["previous"]["as_of"] == "2026-01-15" and d07["previous"]["seq"] == 1
    # Composite findings (X01…) are keyed by the findings they rest on, so a changed basis shows as
    # resolved + new; the rule findings are compared here.
    composite = {f["fingerprint"] for d in (doc1, doc2) for f in d["findings"] if f["composite"]}
    assert [r["fingerprint"] for r in d07["resolved"] if r["fingerprint"] not in composite] == [fm03_a["fingerprint"]]
    new_fm05 = find(doc2, "GD-07", "FM05", "DW-01")
    assert [fp for fp in d07["new"] if fp not in composite] == [new_fm05["fingerprint"]]
    assert {dc01["fingerprint"], fm03_b["fingerprint"]} <= set(d07["persisting"])
    assert [r["fingerprint"] for r in unit_diff(doc2, "GD-02")["resolved"] if r["fingerprint"] not in composite] == \
        [fm05["fingerprint"]]
    assert doc2["diff"]["findings"][new_fm05["fingerprint"]] == "new"
    assert doc2["diff"]["totals"]["units_compared"] == 12
    assert sum(len(u["new"]) for u in doc2["diff"]["units"]) == doc2["diff"]["totals"]["new"]
    rect = doc2["rectification"]
    assert rect[dc01["fingerprint"]]["false_closure"] is True and rect[dc01["fingerprint"]]["label"] == "虚假销号"
    late = rect[fm03_b["fingerprint"]]
    assert (late["status"], late["label"], late["overdue"], late["deadline"]) == ("整改中", "超期", True, "2026-03-16")
    assert late["days_left"] == -4 and late["progress"] == "正在补正决议"
    assert rect[new_fm05["fingerprint"]]["deadline"] == "2026-06-18"          # 低: 90 days from run 2
    # a persisting finding keeps the 整改时限 it was issued with; its ledger row shows it
    assert find(doc2, "GD-07", "FM03", "DW-07#1")["deadline"] == fm03_b["deadline"] == "2026-03-16"
    assert all(u["checks"]["RC04"] == "passed" for u in doc2["units"])
    assert not [f for f in doc2["findings"] if f["rule"] == "RC04"]

    db = open_database(history_db, create=False)
    try:
        with db.transaction() as conn:
            items = {i.fingerprint: i for i in open_items(conn, RUN2)}
            between = compare_runs(conn, store.find_run(conn, "1"), store.find_run(conn, "2"), "GD-07")
        assert items[dc01["fingerprint"]].label == "虚假销号" and items[dc01["fingerprint"]].latest_check == "仍存在"
        assert items[fm03_b["fingerprint"]].overdue and items[fm03_b["fingerprint"]].days_left == -4
        assert fm03_a["fingerprint"] not in items and fm05["fingerprint"] not in items
        [u07] = between.units
        assert [b.fingerprint for b in u07.resolved if b.fingerprint not in composite] == [fm03_a["fingerprint"]]
        assert (u07.new, u07.persisting) == (d07["new"], d07["persisting"])
    finally:
        db.dispose()

    # -- run 3: the fixed decision loses its owner again: the problem comes back (RC04), its item reopens
    edit(gd07, "- {text: 开展分包队伍清理, owner: 陈刚, due: 2026-06-30, done: false}",
         "- {text: 开展分包队伍清理, owner: null, due: null, done: false}")
    doc3 = check(records, tmp_path / "out3", RUN3, history_db)
    [rc04] = [f for f in doc3["findings"] if f["rule"] == "RC04"]
    assert rc04["unit"] == "GD-07" and rc04["severity"] == "高" and rc04["title"] == "整改后复发（运行历史）"
    assert rc04["tags"] == ["整改"] and rc04["deadline"] == "2026-06-19"
    runs = [e for e in rc04["evidence"] if e["kind"] == "run"]
    assert [(e["key"], e["as_of"]) for e in runs] == [(doc1["diff"]["run"], "2026-01-15"), (doc2["diff"]["run"], "2026-03-20")]
    assert {"kind": "finding", "key": fm03_a["fingerprint"]}.items() <= rc04["evidence"][-1].items()
    assert "2026年1月15日" in rc04["message"] and "2026年3月20日" in rc04["message"] and "FM03" in rc04["message"]
    assert rc04["remedy"]
    checks = {u["unit"]: u["checks"]["RC04"] for u in doc3["units"]}
    assert checks["GD-07"] == "fired" and checks["GD-02"] == "passed"
    back = doc3["rectification"][fm03_a["fingerprint"]]
    assert (back["reopened"], back["status"], back["false_closure"]) == (True, "未启动", False)
    assert find(doc3, "GD-07", "FM03", "DW-02#2")["deadline"] == "2026-07-19"
    composite |= {f["fingerprint"] for f in doc3["findings"] if f["composite"]}
    assert set(unit_diff(doc3, "GD-07")["new"]) - composite == {fm03_a["fingerprint"], rc04["fingerprint"]}

    db = open_database(history_db, create=False)
    try:
        with db.transaction() as conn:
            assert [e["kind"] for e in store.item_events(conn, fm03_a["fingerprint"])] == ["issued", "import", "reopened"]
            assert len(store.list_runs(conn)) == 3
    finally:
        db.dispose()

    # -- the same history through the command line
    runner = CliRunner()
    result = runner.invoke(cli, ["history", "--db", history_db, "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [r["seq"] for r in listed] == [3, 2, 1] and listed[1]["diff"] == doc2["diff"]["totals"]
    result = runner.invoke(cli, ["diff", "1", "2", "--db", history_db, "--unit", "GD-07"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("运行 #2 ") and "对比 运行 #1 " in result.output
    assert f"已解决  FM03 决议无责任人或时限 [DW-02#2]（中）  {fm03_a['fingerprint']}" in result.output
    assert f"新增    FM05 佐证材料缺失 [DW-01]（低）  {new_fm05['fingerprint']}" in result.output
    result = runner.invoke(cli, ["status", "--db", history_db, "--unit", "GD-07", "--overdue", "--as-of", "2026-05-20",
                                 "--json"])
    assert result.exit_code == 0, result.output
    overdue = {i["fingerprint"]: i for i in json.loads(result.output)}
    assert overdue[fm03_b["fingerprint"]]["days_left"] == -65 and overdue[dc01["fingerprint"]]["label"] == "虚假销号"
    assert all(i["overdue"] for i in overdue.values())


def _add_evidence(path: Path, meeting: str) -> None:
    """Attach a sign-in sheet to `meeting` (its `evidence:` line, wherever the record puts it)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {meeting}")
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("- id:"):
            indent = lines[start].index("- id:") + 2
            lines.insert(i, " " * indent + f"evidence: [{meeting}签到表.pdf]\n")
            break
        if lines[i].strip().startswith("evidence:"):
            indent = len(lines[i]) - len(lines[i].lstrip())
            lines[i] = " " * indent + f"evidence: [{meeting}签到表.pdf]\n"
            break
    path.write_text("".join(lines), encoding="utf-8")


def test_two_concurrent_runs_on_one_sqlite_file_both_land(tmp_path: Path) -> None:
    """Two real `pbcheck run` processes at once on a new database: both succeed, both runs are stored."""
    db = tmp_path / "shared.db"
    records = tmp_path / "records"
    records.mkdir()
    for unit in ("GD-02", "GD-07"):
        shutil.copy(EXAMPLES / f"{unit}.yaml", records)
    env = {**os.environ, "PYTHONPATH": CHECKER_ROOT}
    env.pop("PBCHECK_DB", None)
    procs = [subprocess.Popen([sys.executable, "-m", "checker", "run", "records", "--out", f"out{n}", "--format", "md",
                               "--as-of", "2026-01-15", "--fail-on", "never", "--db", str(db)],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in (1, 2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert f"运行历史：{db}" in out
    result = CliRunner().invoke(cli, ["history", "--db", str(db), "--json"])
    runs = json.loads(result.output)
    assert len(runs) == 2
    uids = {json.loads((tmp_path / f"out{n}" / "findings.json").read_text(encoding="utf-8"))["diff"]["run"]
            for n in (1, 2)}
    assert {r["run"] for r in runs} == uids
    assert runs[0]["findings_total"] == runs[1]["findings_total"] > 0
    assert runs[0]["units_checked"] == runs[1]["units_checked"] == 2
