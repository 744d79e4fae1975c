"""The history on the command line: where `run` and `demo` keep it, and the history commands' messages."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

import checker.pipeline.run
from checker.cli.main import cli

REPO = Path(__file__).resolve().parent.parent
UNIT = REPO / "examples" / "records" / "GD-07.yaml"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding one record, without PBCHECK_DB (the default location applies)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PBCHECK_DB", raising=False)
    shutil.copy(UNIT, tmp_path / "GD-07.yaml")
    return tmp_path


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_run_keeps_history_in_pbcheck_db_of_the_working_directory(workdir: Path) -> None:
    first = run("run", "GD-07.yaml", "--out", "out", "--format", "md", "--as-of", "2026-01-15", "--fail-on", "never")
    assert first.exit_code == 0, first.output
    assert (workdir / "pbcheck.db").is_file()
    assert f"运行历史：{workdir / 'pbcheck.db'}" in first.output and "首次检查" in first.output
    second = run("run", "GD-07.yaml", "--out", "out", "--format", "md", "--as-of", "2026-03-20", "--fail-on", "never")
    doc = json.loads((workdir / "out" / "findings.json").read_text(encoding="utf-8"))
    n = len(doc["findings"])
    assert doc["diff"]["totals"]["persisting"] == n and doc["diff"]["totals"]["new"] == 0
    assert f"与上次检查相比：新增 0，持续 {n}，已解决 0" in second.output
    assert "整改超期" in second.output                  # 高 findings were due 2026-02-14
    listed = json.loads(run("history", "--json").output)
    assert [r["as_of"] for r in listed] == ["2026-03-20", "2026-01-15"]


def test_no_history_reads_and_writes_nothing(workdir: Path) -> None:
    result = run("run", "GD-07.yaml", "--out", "out", "--format", "md", "--no-history", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    assert not (workdir / "pbcheck.db").exists() and "运行历史" not in result.output
    doc = json.loads((workdir / "out" / "findings.json").read_text(encoding="utf-8"))
    assert "diff" not in doc and "rectification" not in doc
    assert {u["checks"]["RC04"] for u in doc["units"]} == {"not_applicable"}


def test_db_option_and_environment(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBCHECK_DB", str(workdir / "env.db"))
    assert run("run", "GD-07.yaml", "--out", "out", "--format", "md", "--fail-on", "never").exit_code == 0
    assert (workdir / "env.db").is_file() and not (workdir / "pbcheck.db").exists()
    assert run("run", "GD-07.yaml", "--out", "out", "--format", "md", "--fail-on", "never",
               "--db", "sqlite:///" + str(workdir / "opt.db")).exit_code == 0
    assert (workdir / "opt.db").is_file()
    assert len(json.loads(run("history", "--json").output)) == 1                        # env.db
    assert len(json.loads(run("history", "--json", "--db", str(workdir / "opt.db")).output)) == 1


def test_demo_keeps_its_own_history_in_the_output_directory(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Example units must never land in the inspection's real history (the demo itself is tested in test_cli)."""
    seen: list[Any] = []

    def fake_execute(options: Any) -> Any:
        seen.append(options)
        return checker.pipeline.run.RunOutcome([], [], [], 0, outputs_written=False)

    monkeypatch.setattr(checker.pipeline.run, "execute", fake_execute)
    monkeypatch.setenv("PBCHECK_DB", str(workdir / "real.db"))
    assert run("demo", "--out", "demo-out").exit_code == 0
    assert run("demo", "--out", "demo-out", "--no-history").exit_code == 0
    assert [o.db for o in seen] == [str(Path("demo-out") / "pbcheck.db"), None]


@pytest.mark.parametrize("command", [["history"], ["diff"], ["status"], ["ledger", "import", "x.xlsx"]])
def test_reading_commands_need_an_existing_database(workdir: Path, command: list[str]) -> None:
    result = run(*command)
    assert result.exit_code == 2
    assert "运行历史数据库不存在" in result.output and "Traceback" not in result.output
    assert not (workdir / "pbcheck.db").exists()


def test_bad_database_and_run_references_are_usage_errors(workdir: Path) -> None:
    result = run("run", "GD-07.yaml", "--out", "out", "--format", "md", "--db", "mysql://u@h/db")
    assert result.exit_code == 2 and "不支持的数据库类型 mysql" in result.output
    assert not (workdir / "out" / "findings.json").exists()
    assert run("run", "GD-07.yaml", "--out", "out", "--format", "md", "--fail-on", "never").exit_code == 0
    for ref, words in (("7", "没有编号为 7 的运行"), ("zz", "至少要写 4 位"), ("ffffffff", "没有 ID 为 ffffffff")):
        result = run("diff", ref)
        assert result.exit_code == 2 and words in result.output


def test_history_diff_and_status_text(workdir: Path) -> None:
    run("run", "GD-07.yaml", "--out", "out", "--format", "md", "--as-of", "2026-01-15", "--fail-on", "never")
    doc = json.loads((workdir / "out" / "findings.json").read_text(encoding="utf-8"))
    table = run("history").output
    assert "运行历史" in table and doc["diff"]["run"] in table and "2026-01-15" in table
    assert run("history", "--unit", "GD-99").output.startswith("运行历史（")           # no run checked it
    assert "还没有运行记录" in run("history", "--unit", "GD-99").output
    assert len(json.loads(run("history", "--unit", "GD-07", "--json").output)) == 1
    text = run("diff").output
    assert "与各单位上一次运行对比" in text and "GD-07 华东工程公司第二工程分公司党委：首次检查" in text
    status = run("status", "--as-of", "2026-02-20").output
    assert "未完成整改的事项（截至 2026-02-20）" in status and "超期" in status
    assert run("status", "--as-of", "2026-01-16", "--overdue").output.startswith("截至 2026-01-16，没有超期的整改事项")
    items = json.loads(run("status", "--as-of", "2026-02-20", "--json").output)
    assert len(items) == len([f for f in doc["findings"] if f["status"] == "open"])
    assert {i["latest_check"] for i in items} == {None}          # not re-checked since issued
    assert all(i["days_left"] == (-6 if i["severity"] == "高" else (24 if i["severity"] == "中" else 54))
               for i in items)


def test_ledger_import_reports_problems_with_their_place(workdir: Path) -> None:
    run("run", "GD-07.yaml", "--out", "out", "--format", "xlsx", "--as-of", "2026-01-15", "--fail-on", "never")
    wb = openpyxl.load_workbook(workdir / "out" / "ledgers" / "GD-07.xlsx")
    ws = wb["整改台账"]
    cols = {c.value: c.column for c in ws[1]}
    ws.cell(2, cols["状态"]).value = "已销号"
    ws.cell(3, cols["状态"]).value = "整改中"
    wb.save(workdir / "back.xlsx")
    result = run("ledger", "import", "back.xlsx", "--as-of", "2026-02-20")
    assert result.exit_code == 2
    letter = get_column_letter(cols["佐证材料"])
    assert f"back.xlsx › 整改台账 › 第2行 › 列{letter}（佐证材料）: ledger-closure-evidence" in result.output
    ws.cell(2, cols["状态"]).value = None
    wb.save(workdir / "back.xlsx")
    result = run("ledger", "import", "back.xlsx", "--as-of", "2026-02-20")
    assert result.exit_code == 0, result.output
    assert "已导入 1 个文件" in result.output and "1 项有更新（整改中 1）" in result.output
