"""The command line as users meet it: real processes, exit codes, messages with file:line:col, no tracebacks."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from checker.resources import resource_dir

BASE = resource_dir("rules") / "party-business-integration" / "tests" / "base.yaml"


def pbcheck(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run `python -m checker …` in `cwd` as a user would (no repository on the path)."""
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def assert_no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


MINIMAL_UNIT = """\
unit_id: T-01
name: 测试党支部
org_type: 党支部
period: {start: 2025-01-01, end: 2025-12-31}
members: 20
meetings:
  - id: M1
    type: 支委会
    date: 2025-03-01
    expected: 5
    present: PRESENT
"""


def test_demo_writes_findings_and_notices_from_any_directory(tmp_path):
    """`pbcheck demo` needs no repository: packs, templates and examples come with the package."""
    proc = pbcheck("demo", "--out", "out", "--as-of", "2026-01-15", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert set(doc) >= {"tool", "pack", "run", "findings", "units", "waivers"}
    assert doc["pack"]["id"] == "party-business-integration"
    assert doc["run"]["units_checked"] == len(doc["units"]) >= 8
    finding = doc["findings"][0]
    assert set(finding) >= {"rule", "unit", "period", "severity", "title", "tags", "refs", "message", "evidence",
                            "remedy", "deadline", "status", "fingerprint"}
    units_with_findings = {f["unit"] for f in doc["findings"] if f["status"] == "open"}
    notices = {p.stem for p in (tmp_path / "out" / "notices").glob("*.html")}
    assert notices == units_with_findings
    clean = [u["unit"] for u in doc["units"] if all(v != "fired" for v in u["checks"].values())]
    assert clean, "the examples keep one unit clean"
    assert "输出目录" in proc.stdout


def test_wrong_type_in_record_exits_2_naming_file_line_and_field(tmp_path):
    """A record with a string where a number belongs is bad input: exit 2, file:line:col and field."""
    write(tmp_path / "unit.yaml", MINIMAL_UNIT.replace("PRESENT", '"3"'))
    proc = pbcheck("run", "unit.yaml", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    assert "unit.yaml:11:14" in proc.stderr
    assert "meetings[0].present" in proc.stderr and "整数" in proc.stderr
    assert not (tmp_path / "out" / "findings.json").exists(), "nothing evaluated is reported as clean"


def test_keep_going_checks_valid_units_and_lists_the_invalid(tmp_path):
    """With --keep-going the valid units are checked, outputs written, the exit code stays 2."""
    write(tmp_path / "in" / "good.yaml", MINIMAL_UNIT.replace("PRESENT", "5"))
    write(tmp_path / "in" / "bad.yaml", MINIMAL_UNIT.replace("T-01", "T-02").replace("PRESENT", "9"))
    proc = pbcheck("run", "in", "--out", "out", "--keep-going", cwd=tmp_path)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    status = {u["unit"]: u["status"] for u in doc["units"]}
    assert status["T-01"] == "checked" and status["T-02"] == "invalid"
    assert doc["run"]["units_failed_validation"] == 1


@pytest.mark.parametrize(("fail_on", "code"), [("高", 1), ("中", 1), ("never", 0)])
def test_fail_on_decides_the_exit_code(tmp_path, fail_on, code):
    """The minimal unit has 高 findings (e.g. RS01): exit 1 unless --fail-on never."""
    write(tmp_path / "unit.yaml", MINIMAL_UNIT.replace("PRESENT", "5"))
    proc = pbcheck("run", "unit.yaml", "--out", "out", "--fail-on", fail_on, "--format", "md", cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    assert (tmp_path / "out" / "findings.json").is_file()


def test_compliant_unit_exits_0(tmp_path):
    """The compliant baseline record has no findings: exit 0 and no notice."""
    (tmp_path / "base.yaml").write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    proc = pbcheck("run", "base.yaml", "--out", "out", "--format", "html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert not list((tmp_path / "out").glob("notices/*"))


def _pack(tmp_path: Path, rules: str) -> Path:
    write(tmp_path / "pack" / "pack.yaml", """\
        id: broken
        title: 测试规则包
        version: 0.1.0
        severities:
          高: {deadline_days: 30}
        """)
    write(tmp_path / "pack" / "rules.yaml", rules)
    return tmp_path / "pack"


RULE = """\
- id: {id}
  title: 测试
  severity: 高
  when: {when}
  message: 测试
  remedy: 整改
"""


def test_validate_reports_bad_yaml_with_position(tmp_path):
    """A YAML syntax error in a rule file is reported at its line and column."""
    _pack(tmp_path, "- id: A1\n  title: [unclosed\n")
    proc = pbcheck("validate", "pack", cwd=tmp_path)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    assert "rules.yaml:3:1: yaml-syntax" in proc.stdout


def test_validate_reports_unknown_field_with_position(tmp_path):
    """An unknown record field inside a condition is reported where it is written, with a suggestion."""
    _pack(tmp_path, RULE.format(id="A1", when="members > 3 and staf < 10"))
    proc = pbcheck("validate", "pack", cwd=tmp_path)
    assert proc.returncode == 2
    assert "rules.yaml:4:25: unknown-field" in proc.stdout and "staff" in proc.stdout


def test_validate_reports_duplicate_ids(tmp_path):
    """A rule id defined twice is an error at the second definition, naming the first."""
    _pack(tmp_path, RULE.format(id="A1", when="members > 3") + RULE.format(id="A1", when="members > 4"))
    proc = pbcheck("validate", "pack", cwd=tmp_path)
    assert proc.returncode == 2
    assert "rules.yaml:7:7: duplicate-id" in proc.stdout and "rules.yaml:1:3" in proc.stdout


def test_validate_default_pack_is_clean(tmp_path):
    proc = pbcheck("validate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "未发现问题" in proc.stdout


def test_schema_is_json_schema(tmp_path):
    proc = pbcheck("schema", cwd=tmp_path)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert "$defs" in schema and "unit" in schema["$defs"]


def test_unknown_pack_and_missing_input_are_usage_errors(tmp_path):
    proc = pbcheck("run", "nowhere.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "nowhere.yaml" in proc.stderr
    assert_no_traceback(proc)
    proc = pbcheck("rules", "--pack", "no-such-pack", cwd=tmp_path)
    assert proc.returncode == 2 and "no-such-pack" in proc.stderr


def test_bad_param_is_reported(tmp_path):
    write(tmp_path / "unit.yaml", MINIMAL_UNIT.replace("PRESENT", "5"))
    proc = pbcheck("run", "unit.yaml", "--param", "min_attendance=lots", cwd=tmp_path)
    assert proc.returncode == 2 and "min_attendance" in proc.stderr
    assert_no_traceback(proc)


def test_side_files_are_read_before_any_unit_is_checked(tmp_path, monkeypatch):
    """A broken --waivers file is reported before the (possibly long) check of the units starts."""
    from checker.pipeline import run as run_module
    from checker.errors import InputError
    write(tmp_path / "unit.yaml", MINIMAL_UNIT.replace("PRESENT", "5"))
    write(tmp_path / "waivers.yaml", "waivers:\n  - {rule: FM06, unit: T-01}\n")

    def no_check(*args, **kwargs):
        raise AssertionError("units were checked before the waiver file was read")
    monkeypatch.setattr(run_module, "check_stream", no_check)
    options = run_module.RunOptions(inputs=[str(tmp_path / "unit.yaml")], out_dir=tmp_path / "out",
                                    waivers=tmp_path / "waivers.yaml", db=None)
    with pytest.raises(InputError) as err:
        run_module.execute(options)
    assert any("waivers.yaml:2" in str(p) and "reason" in str(p) for p in err.value.problems)
