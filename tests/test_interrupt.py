"""Nothing half-written: Ctrl-C and user-template errors leave the previous outputs intact and no temp files.

Covers checker.interrupts (holding SIGINT at safe points), checker.atomic.write_all_atomic (the
run's outputs as one set) and real runs: a `python -m checker run` process interrupted while it writes.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import checker.atomic as atomic
from checker.errors import TemplateError
from checker.interrupts import HeldInterrupt
from checker.atomic import write_all_atomic
from checker.resources import resource_dir
from checker.pipeline.run import RunOptions, execute

EXAMPLE = resource_dir("examples") / "records" / "GD-07.yaml"


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own Ctrl-C handler, even where the test runner was started with SIGINT ignored (background jobs)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _default_sigint() -> None:
    """In the child before exec: SIGINT back to its default, so the run gets Python's handler like at a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below `root` (hidden ones included) with its bytes."""
    out = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


def temp_files(root: Path) -> list[str]:
    return [str(Path(folder, n)) for folder, _d, names in os.walk(root) for n in names if n.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------
# HeldInterrupt


def test_held_interrupt_defers_sigint_and_redelivers_it_on_exit():
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with HeldInterrupt() as held:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)                     # the handler has run: it only set the flag
            assert held.received
            reached = True
    assert reached
    assert signal.getsignal(signal.SIGINT) is before


def test_held_interrupt_check_raises_at_the_safe_point_and_nothing_is_redelivered_later():
    with pytest.raises(KeyboardInterrupt):
        with HeldInterrupt() as held:
            held.check()                         # nothing pressed yet: no-op
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
            held.check()
    with HeldInterrupt() as held:
        pass
    assert not held.received


def test_held_interrupt_without_a_signal_changes_nothing():
    before = signal.getsignal(signal.SIGINT)
    with HeldInterrupt() as held:
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before and not held.received


# ---------------------------------------------------------------------------------------------
# write_all_atomic


def previous_outputs(root: Path) -> dict[str, bytes]:
    write_all_atomic(root, [("findings.json", "{}\n"), ("notices/GD-01.md", "旧通知书"), ("notices/GD-02.md", b"old")])
    return snapshot(root)


def test_writes_every_file_and_returns_the_paths(tmp_path):
    written = write_all_atomic(tmp_path / "out", [("findings.json", "{}"), ("notices/甲.md", "通知"),
                                                  ("junit.xml", b"<x/>"), ("findings.json", "{\"n\": 2}")])
    assert written == [tmp_path / "out" / "findings.json", tmp_path / "out" / "notices" / "甲.md",
                       tmp_path / "out" / "junit.xml"]
    assert snapshot(tmp_path / "out") == {"findings.json": b"{\"n\": 2}", "notices/甲.md": "通知".encode(),
                                          "junit.xml": b"<x/>"}


def test_an_error_while_writing_leaves_the_previous_set_and_removes_temps_and_new_dirs(tmp_path, monkeypatch):
    root = tmp_path / "out"
    before = previous_outputs(root)
    real_stage = atomic._stage
    calls = []

    def failing_stage(path, payload):
        calls.append(path)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real_stage(path, payload)

    monkeypatch.setattr(atomic, "_stage", failing_stage)
    files = [("findings.json", "{\"new\": 1}"), ("notices/GD-01.md", "新"), ("ledgers/GD-01.xlsx", b"PK"),
             ("ledgers/sub/GD-02.xlsx", b"PK2")]
    with pytest.raises(OSError):
        write_all_atomic(root, files)
    assert snapshot(root) == before and temp_files(root) == []
    assert not (root / "ledgers").exists()                       # the directories it created are gone


def test_ctrl_c_while_staging_leaves_the_previous_set(tmp_path, monkeypatch):
    root = tmp_path / "out"
    before = previous_outputs(root)
    real_stage = atomic._stage

    def interrupted_stage(path, payload):
        if path.name == "GD-01.md":
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
        return real_stage(path, payload)

    monkeypatch.setattr(atomic, "_stage", interrupted_stage)
    with pytest.raises(KeyboardInterrupt):
        write_all_atomic(root, [("findings.json", "new"), ("notices/GD-01.md", "new"), ("notices/GD-02.md", "new")])
    assert snapshot(root) == before and temp_files(root) == []


def test_ctrl_c_during_the_renames_completes_the_set_then_interrupts(tmp_path, monkeypatch):
    root = tmp_path / "out"
    previous_outputs(root)
    real_replace = os.replace
    calls = []

    def replace_then_interrupt(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_all_atomic(root, [("findings.json", "new"), ("notices/GD-01.md", "new"), ("notices/GD-02.md", "new")])
    assert len(calls) == 3
    assert snapshot(root) == {"findings.json": b"new", "notices/GD-01.md": b"new", "notices/GD-02.md": b"new"}
    assert temp_files(root) == []


# ---------------------------------------------------------------------------------------------
# Real runs


def make_records(directory: Path, count: int) -> Path:
    """`count` copies of the GD-07 example (each gets a notice), with distinct unit ids."""
    directory.mkdir(parents=True, exist_ok=True)
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "unit_id: GD-07\n" in text
    for i in range(count):
        (directory / f"U-{i:03d}.yaml").write_text(text.replace("unit_id: GD-07\n", f"unit_id: U-{i:03d}\n"),
                                                   encoding="utf-8")
    return directory


def test_a_user_template_error_mid_run_leaves_the_previous_outputs(tmp_path):
    records = make_records(tmp_path / "records", 3)
    out = tmp_path / "out"
    execute(RunOptions(inputs=[str(records)], out_dir=out, formats=["md", "html"], as_of=dt.date(2026, 1, 5)))
    before = snapshot(out)
    assert "notices/U-000.md" in before and "notices/U-002.html" in before
    templates = tmp_path / "templates"
    templates.mkdir()
    # md renders first (built-in template), then the user's html template fails while rendering
    (templates / "notice.html.j2").write_text("<h1>{{ title }}</h1>{{ unit.no_such_field.deeper }}", encoding="utf-8")
    with pytest.raises(TemplateError):
        execute(RunOptions(inputs=[str(records)], out_dir=out, formats=["md", "html"], as_of=dt.date(2026, 2, 1),
                           templates=templates))
    assert snapshot(out) == before and temp_files(out) == []


def _interrupt_while_writing(records: Path, out: Path) -> subprocess.CompletedProcess | None:
    """Start a real run and send SIGINT as soon as its staging directory appears; None if it finished first."""
    command = [sys.executable, "-m", "checker", "run", str(records), "--out", str(out), "--format", "html",
               "--format", "md", "--as-of", "2026-02-01", "--no-history"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            if any(out.parent.glob(f".{out.name}.pbcheck-stage-*")):
                proc.send_signal(signal.SIGINT)
                stdout, stderr = proc.communicate(timeout=120)
                return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
            time.sleep(0.001)
        proc.communicate(timeout=240)
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigint_while_a_real_run_writes_leaves_the_previous_outputs_byte_identical(tmp_path):
    out = tmp_path / "out"
    for count in (24, 120):                 # more notices (a longer write) if the first run outran the poll
        records = make_records(tmp_path / f"records-{count}", count)
        execute(RunOptions(inputs=[str(records)], out_dir=out, formats=["html", "md"], as_of=dt.date(2026, 1, 5)))
        before = snapshot(out)
        assert len([k for k in before if k.startswith("notices/")]) == 2 * count
        proc = _interrupt_while_writing(records, out)
        if proc is not None:
            break
    else:
        pytest.fail("the run finished before its outputs were being written could be observed")
    assert proc.returncode == 130, proc.stderr
    assert "已中断" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(out) == before
    assert temp_files(out) == [] and not list(out.parent.glob(".out.pbcheck-stage-*"))


def test_sigint_while_a_real_run_checks_units_exits_130_without_touching_outputs(tmp_path):
    records = make_records(tmp_path / "records", 600)
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.json").write_text("{\"previous\": true}\n", encoding="utf-8")
    before = snapshot(out)
    command = [sys.executable, "-m", "checker", "run", str(records), "--out", str(out), "--format", "md",
               "--no-history"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    try:
        time.sleep(5.0)                     # interpreter start and pack compilation take ~3 s; checking ~10 s
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "内部错误" not in stderr and "Traceback" not in stderr
    assert snapshot(out) == before and temp_files(out) == []
