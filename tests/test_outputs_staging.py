"""The output set switched in at once: manifest, stale outputs, kills at any moment, the --out lock, write errors."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from checker.errors import OutputError, UsageError
from checker.outputs import staging
from checker.outputs.outlock import OutLock
from checker.outputs.staging import MANIFEST, publish


def tree(root: Path) -> dict[str, str]:
    """Every file below `root` (relative path → text), hidden ones included."""
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST}


def leftovers(parent: Path) -> list[str]:
    """Staging directories and temp files pbcheck left anywhere below `parent`."""
    return [p.name for p in parent.rglob("*") if ".pbcheck-stage-" in p.name or p.name.endswith(".tmp")]


def test_outputs_of_the_previous_run_not_produced_now_are_removed_but_user_files_stay(tmp_path):
    out = tmp_path / "out"
    publish(out, [("findings.json", "1"), ("notices/A.html", "a"), ("notices/B.html", "b")])
    (out / "mine.txt").write_text("user", encoding="utf-8")
    (out / "notices" / "note.txt").write_text("user", encoding="utf-8")
    publish(out, [("findings.json", "2"), ("notices/A.html", "a2")])
    assert tree(out) == {"findings.json": "2", "notices/A.html": "a2", "mine.txt": "user", "notices/note.txt": "user"}
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"] == ["findings.json", "notices/A.html"]


def test_an_emptied_output_folder_goes_with_its_last_file(tmp_path):
    out = tmp_path / "out"
    publish(out, [("findings.json", "1"), ("ledgers/A.xlsx", "a")])
    publish(out, [("findings.json", "2")])
    assert not (out / "ledgers").exists()


def test_files_are_never_removed_without_a_manifest_naming_them(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notices").mkdir()
    (out / "notices" / "old.html").write_text("not ours", encoding="utf-8")
    publish(out, [("findings.json", "1")])
    assert tree(out) == {"findings.json": "1", "notices/old.html": "not ours"}


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from checker.outputs import staging
    when, out = sys.argv[1], Path(sys.argv[2])
    count = [0]
    real_write, real_switch = staging._write_file, staging._switch
    def write(path, payload):
        count[0] += 1
        if when == "writing" and count[0] == 50:
            os.kill(os.getpid(), signal.SIGKILL)
        real_write(path, payload)
    def switch(real, stage):
        real_switch(real, stage)
        if when == "after-switch":
            os.kill(os.getpid(), signal.SIGKILL)
    staging._write_file, staging._switch = write, switch
    staging.publish(out, [(f"notices/U{n}.html", "new") for n in range(200)] + [("findings.json", "new")])
""")


@pytest.mark.parametrize("when", ["writing", "after-switch"])
def test_a_kill_at_any_moment_leaves_one_runs_outputs_and_the_next_run_cleans_up(tmp_path, when):
    out = tmp_path / "out"
    old = [(f"notices/U{n}.html", "old") for n in range(0, 300, 2)] + [("findings.json", "old")]
    publish(out, old)
    proc = subprocess.run([sys.executable, "-c", KILLER, when, str(out)], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    expected = dict(old) if when == "writing" else {f"notices/U{n}.html": "new" for n in range(200)} | {"findings.json": "new"}
    assert tree(out) == expected
    publish(out, [("findings.json", "next")])
    assert tree(out) == {"findings.json": "next"}
    assert leftovers(tmp_path) == []


def test_temp_files_an_earlier_version_left_are_removed(tmp_path):
    out = tmp_path / "out"
    publish(out, [("findings.json", "1")])
    (out / "notices").mkdir()
    (out / "notices" / ".GD-01.html.k2j4h5g6.tmp").write_text("half", encoding="utf-8")
    (out / ".findings.json.ab12cd34.tmp").write_text("half", encoding="utf-8")
    publish(out, [("findings.json", "2")])
    assert leftovers(tmp_path) == []


def test_a_second_run_fails_at_once_with_no_wait(tmp_path):
    with OutLock(tmp_path / "out"):
        with pytest.raises(UsageError, match="另一个 pbcheck"):
            OutLock(tmp_path / "out", wait=False).__enter__()


def test_a_second_run_waits_with_a_message_until_the_first_ends(tmp_path):
    first = OutLock(tmp_path / "out").__enter__()
    messages: list[str] = []

    def waiting(message: str) -> None:
        messages.append(message)
        first.__exit__(None, None, None)      # the first run ends while the second waits

    with OutLock(tmp_path / "out", notify=waiting):
        pass
    assert messages and "等待" in messages[0]


def test_out_below_a_regular_file_is_an_output_error_naming_the_path(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError) as info:
        publish(tmp_path / "file" / "out", [("findings.json", "1")])
    assert "file" in str(info.value) and "不是目录" in str(info.value)


def test_a_full_disk_is_an_output_error_and_the_previous_outputs_stay(tmp_path, monkeypatch):
    out = tmp_path / "out"
    publish(out, [("findings.json", "old")])

    def full(path, payload):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(staging, "_write_file", full)
    with pytest.raises(OutputError, match="磁盘空间已满"):
        publish(out, [("findings.json", "new")])
    assert tree(out) == {"findings.json": "old"}
    assert leftovers(tmp_path) == []


def test_a_read_only_out_is_an_output_error(tmp_path, monkeypatch):
    out = tmp_path / "out"
    publish(out, [("findings.json", "old")])
    monkeypatch.setattr(staging.os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="没有写入权限"):
        publish(out, [("findings.json", "new")])
    assert tree(out) == {"findings.json": "old"}
