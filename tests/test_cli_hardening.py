"""Hostile and careless use of `pbcheck run` end to end (issues 19–21): real processes, exit codes, outputs."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.resources import resource_dir

EXAMPLES = resource_dir("examples") / "records"


def pbcheck(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def records_copy(tmp_path: Path) -> Path:
    target = tmp_path / "records"
    shutil.copytree(EXAMPLES, target)
    return target


def test_a_second_run_leaves_no_notice_of_a_unit_no_longer_in_the_input(tmp_path):
    records = records_copy(tmp_path)
    first = pbcheck("run", str(records), "--out", "out", "--as-of", "2026-01-15", "--no-history", "--fail-on", "never",
                    cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    notices = sorted((tmp_path / "out" / "notices").iterdir())
    assert len(notices) >= 2
    gone = notices[0].stem
    (records / f"{gone}.yaml").unlink()
    second = pbcheck("run", str(records), "--out", "out", "--as-of", "2026-01-15", "--no-history", "--fail-on", "never",
                     cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert not (tmp_path / "out" / "notices" / notices[0].name).exists()
    assert (tmp_path / "out" / "notices" / notices[-1].name).exists()


def test_out_below_a_regular_file_is_exit_2_with_the_path(tmp_path):
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    proc = pbcheck("run", str(EXAMPLES), "--out", "plain/out", "--as-of", "2026-01-15", "--no-history", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "plain" in proc.stderr and "不是目录" in proc.stderr


def test_two_concurrent_runs_into_one_out_never_mix(tmp_path):
    runs = [subprocess.Popen([sys.executable, "-m", "checker", "run", str(EXAMPLES), "--out", "out", "--as-of", as_of,
                              "--no-history", "--fail-on", "never"], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for as_of in ("2026-01-15", "2026-02-20")]
    for proc in runs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    out = tmp_path / "out"
    manifest = set(json.loads((out / ".pbcheck-manifest.json").read_text(encoding="utf-8"))["files"])
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {".pbcheck-manifest.json"}
    assert present == manifest
