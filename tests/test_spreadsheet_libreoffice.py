"""A template filled in a real spreadsheet program (LibreOffice Calc) and saved by it runs through pbcheck.

xlsx/libreoffice_saved.xlsx was written by Calc (shared strings, its own styles, computed formula results);
the live test repeats the whole route — `pbcheck template`, typing in Calc, saving, reading — where Calc
and its Python bridge are installed (Debian: libreoffice-calc-nogui, python3-uno), and is skipped elsewhere.
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli.main import cli
from checker.inputs.records import UnitRecord
from checker.inputs.loaders import load_units
from checker.inputs.spreadsheet.template import write_template

CORPUS = Path(__file__).parent / "bad_inputs"
SYSTEM_PYTHON = "/usr/bin/python3"


def _expected_unit(data: dict) -> None:
    assert data["unit_id"] == "GD-L"
    assert data["period"] == {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)}   # a date, and "2025/12/31" as text
    assert (data["staff"], data["members"], data["party_workers"]) == (180, 23, 1)           # members is =20+3
    assert data["branch_committee"] == {"established": True, "elected_on": dt.date(2024, 3, 15), "term_years": 3,
                                        "members": 5}
    assert data["member_training_hours_avg"] == 34.5
    assert data["assessment"]["party_weight"] == 0.2 and data["assessment"]["methods"] == ["过程提示法", "综合评价法"]
    [leader] = data["leaders"]
    assert (leader["in_business_team"], leader["party_work_report"], leader["training_hours"]) == (True, False, 60)
    first, second = data["meetings"]
    assert (first["id"], first["date"], first["present"], first["topics"]) == ("M-01", dt.date(2025, 3, 12), 4,
                                                                               ["党建", "业务"])
    assert first["evidence"] == ["签到表.pdf", "照片.jpg"]
    assert first["decisions"] == [{"text": "成立攻坚小组", "owner": "李强", "due": dt.date(2025, 4, 30), "done": True}]
    assert second["id"] == "007"                       # typed into a text-formatted column
    assert data["kpis"][0]["actual"] == 12600          # =12000*1.05, computed and cached by Calc


def test_workbook_saved_by_libreoffice():
    [unit] = list(load_units([str(CORPUS / "xlsx/libreoffice_saved.xlsx")]))
    assert isinstance(unit, UnitRecord), [str(p) for p in unit.problems]
    _expected_unit(unit.data)


def _calc_available() -> bool:
    if shutil.which("soffice") is None or not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _calc_available(), reason="LibreOffice Calc with python3-uno is not installed")
def test_template_filled_in_libreoffice_runs(tmp_path: Path):
    template = write_template(tmp_path / "records.xlsx")[0]
    filled = tmp_path / "filled.xlsx"
    subprocess.run([SYSTEM_PYTHON, str(CORPUS / "libreoffice_fill.py"), str(template), str(filled)], check=True,
                   timeout=180)
    [unit] = list(load_units([str(filled)]))
    assert isinstance(unit, UnitRecord), [str(p) for p in unit.problems]
    _expected_unit(unit.data)
    result = CliRunner().invoke(cli, ["run", str(filled), "--out", str(tmp_path / "out"), "--format", "md",
                                      "--no-history", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert "已检查 1 个单位" in result.output
