"""Only regular files are read from a records directory: FIFOs, devices and links to them are reported (issue 19.3)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.inputs.loaders import load_units
from checker.inputs.records import InvalidUnit, UnitRecord
from checker.resources import resource_dir

EXAMPLE = resource_dir("examples") / "records" / "GD-07.yaml"


@pytest.fixture
def records(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "GD-07.yaml")
    os.mkfifo(folder / "pipe.yaml")
    os.symlink("/dev/zero", folder / "zero.json")
    return folder


def test_fifos_and_links_to_devices_are_reported_not_read(records):
    items = list(load_units([records]))
    assert [type(i) for i in items] == [UnitRecord, InvalidUnit, InvalidUnit]
    for item in items[1:]:
        [problem] = item.problems
        assert problem.code == "not-regular-file" and "不是普通文件" in problem.message


def test_a_fifo_named_on_the_command_line_is_reported(records):
    [item] = load_units([records / "pipe.yaml"])
    assert isinstance(item, InvalidUnit) and item.problems[0].code == "not-regular-file"


@pytest.mark.parametrize("keep_going", [False, True])
def test_run_on_a_directory_holding_a_fifo_returns_with_exit_2(records, tmp_path, keep_going):
    args = [sys.executable, "-m", "checker", "run", str(records), "--out", str(tmp_path / "out"), "--no-history",
            "--as-of", "2026-01-15", *(["--keep-going"] if keep_going else [])]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "pipe.yaml" in proc.stderr and "不是普通文件" in proc.stderr
    assert (tmp_path / "out" / "findings.json").exists() == keep_going
