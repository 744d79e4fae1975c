"""End-to-end tests of the spreadsheet route on the command line: template → fill → check-records/run; export."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bad_inputs.build import fill_template
from checker.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "records"
START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


pytestmark = pytest.mark.usefixtures("compile_once")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def fingerprints(out: str) -> list[tuple[str, str, str]]:
    data = json.loads(Path(out, "findings.json").read_text(encoding="utf-8"))
    return sorted((f["unit"], f["rule"], f["fingerprint"]) for f in data["findings"])


def test_template_command():
    result = invoke("template")
    assert result.exit_code == 0 and "records.xlsx" in result.output
    again = invoke("template")
    assert again.exit_code == 2 and "--force" in again.output
    assert invoke("template", "--out", "csv-set").exit_code == 0
    assert Path("csv-set/units.csv").is_file() and Path("csv-set/prior_findings.csv").is_file()
    assert invoke("template", "--out", "x.xls").exit_code == 2


def test_filled_template_runs_like_yaml():
    fill_template(Path("records.xlsx"), {
        "units": [{"unit_id": "GD-T", "name": "表格支部", "org_type": "党支部", "period.start": "2025/1/1",
                   "period.end": "2025年12月31日", "members": "8", "party_workers": 1}],
        "leaders": [{"unit_id": "GD-T", "name": "张伟", "party_role": "书记", "business_role": "经理",
                     "in_business_team": "是", "dual_duty_letter": "否"}],
    })
    Path("same.yaml").write_text(
        "unit_id: GD-T\nname: 表格支部\norg_type: 党支部\nperiod: {start: 2025-01-01, end: 2025-12-31}\nmembers: 8\n"
        "party_workers: 1\nleaders:\n  - {name: 张伟, party_role: 书记, business_role: 经理, in_business_team: true, "
        "dual_duty_letter: false}\n", encoding="utf-8")
    checked = invoke("check-records", "records.xlsx")
    assert checked.exit_code == 0 and "1 个单位记录全部有效" in checked.output
    common = ["--format", "md", "--no-history", "--as-of", "2026-01-15", "--fail-on", "never"]
    assert invoke("run", "records.xlsx", "--out", "a", *common).exit_code == 0
    assert invoke("run", "same.yaml", "--out", "b", *common).exit_code == 0
    assert fingerprints("a") == fingerprints("b") != []


def test_export_then_run_gives_the_same_findings_as_the_yaml_examples():
    exported = invoke("export", str(EXAMPLES), "--to", "examples.xlsx")
    assert exported.exit_code == 0 and "已导出 12 个单位" in exported.output
    assert invoke("export", str(EXAMPLES), "--to", "examples-csv").exit_code == 0
    common = ["--format", "md", "--no-history", "--as-of", "2026-01-15", "--fail-on", "never"]
    assert invoke("run", str(EXAMPLES), "--out", "yaml", *common).exit_code == 0
    assert invoke("run", "examples.xlsx", "--out", "xlsx", *common).exit_code == 0
    assert invoke("run", "examples-csv", "--out", "csv", *common).exit_code == 0
    assert fingerprints("yaml") == fingerprints("xlsx") == fingerprints("csv")
    assert len(fingerprints("yaml")) > 50


def test_keep_going_checks_valid_units_and_lists_the_others_as_unchecked():
    fill_template(Path("records.xlsx"), {
        "units": [{"unit_id": "OK-1", "name": "有效", "period.start": START, "period.end": END},
                  {"unit_id": "BAD-1", "name": "无效", "period.start": START, "period.end": END},
                  {"unit_id": "OK-2", "name": "也有效", "period.start": START, "period.end": END}],
        "meetings": [{"unit_id": "BAD-1", "id": "M-1", "type": "支委会", "date": "2025-03-01", "expected": 3,
                      "present": "abc"}],
    })
    stopped = invoke("run", "records.xlsx", "--out", "stop", "--format", "md", "--no-history")
    assert stopped.exit_code == 2
    assert 'records.xlsx › meetings › 第3行 › 列G(present): type-error [BAD-1] 期望 整数（0–10000000），实际 字符串 "abc"' \
        in stopped.output
    assert "Traceback" not in stopped.output and not Path("stop/findings.json").exists()
    going = invoke("run", "records.xlsx", "--out", "go", "--format", "md", "--no-history", "--keep-going")
    assert going.exit_code == 2
    data = json.loads(Path("go/findings.json").read_text(encoding="utf-8"))
    status = {u["unit"]: u["status"] for u in data["units"]}
    assert status == {"OK-1": "checked", "OK-2": "checked", "BAD-1": "invalid"}
    assert data["run"]["units_checked"] == 2 and data["run"]["units_failed_validation"] == 1
    [bad] = [u for u in data["units"] if u["unit"] == "BAD-1"]
    assert bad["problems"] == ['records.xlsx › meetings › 第3行 › 列G(present): type-error [BAD-1] 期望 整数（0–10000000），'
                               '实际 字符串 "abc"']
    assert not any(f["unit"] == "BAD-1" for f in data["findings"])


def test_csv_directory_runs():
    assert invoke("template", "--out", "set").exit_code == 0
    Path("set/units.csv").write_text(
        "\ufeffunit_id,name,period.start,period.end\r\n单位编号（必填）,党组织名称（必填）,检查期间·期间开始（必填）,"
        "检查期间·期间结束（必填）\r\nC-1,CSV支部,2025/1/1,2025/6/30\r\n", encoding="utf-8")
    result = invoke("run", "set", "--out", "o", "--format", "md", "--no-history", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    data = json.loads(Path("o/findings.json").read_text(encoding="utf-8"))
    assert [(u["unit"], u["status"], u["period"]) for u in data["units"]] == [("C-1", "checked", "2025-01-01/2025-06-30")]
