"""Tests for checker.atomic.write_atomic."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import checker.atomic as atomic
from checker.outputs import write_atomic


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_writes_text_as_utf8_and_creates_parent_dirs(tmp_path):
    target = tmp_path / "out" / "notices" / "GD-07.md"
    write_atomic(target, "整改通知书\n")
    assert target.read_bytes() == "整改通知书\n".encode("utf-8")
    assert leftovers(target.parent) == []


def test_writes_bytes_unchanged_and_replaces_existing(tmp_path):
    target = tmp_path / "ledger.xlsx"
    target.write_bytes(b"old")
    write_atomic(target, b"PK\x03\x04\r\n\x00")
    assert target.read_bytes() == b"PK\x03\x04\r\n\x00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.xlsx"]


def test_temp_file_is_in_the_same_directory_with_hidden_name(tmp_path, monkeypatch):
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    target = tmp_path / "findings.json"
    write_atomic(target, "{}")
    (src, dst), = seen
    assert Path(src).parent == tmp_path
    assert Path(src).name.startswith(".findings.json.") and src.endswith(".tmp")
    assert dst == str(target)


def test_new_file_gets_normal_permissions_and_replaced_file_keeps_its_mode(tmp_path):
    fresh = tmp_path / "a.html"
    write_atomic(fresh, "x")
    reference = tmp_path / "ref"
    reference.write_text("x")
    assert stat.S_IMODE(fresh.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode)

    kept = tmp_path / "b.html"
    kept.write_text("old")
    kept.chmod(0o640)
    write_atomic(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert kept.read_text() == "new"


def test_failed_replace_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "findings.json"
    target.write_text("old", encoding="utf-8")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.json"]


def test_keyboard_interrupt_during_write_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "summary.html"
    target.write_text("old", encoding="utf-8")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.html"]


def test_failure_without_existing_file_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.os, "replace", lambda src, dst: (_ for _ in ()).throw(PermissionError("denied")))
    with pytest.raises(PermissionError):
        write_atomic(tmp_path / "new.json", "{}")
    assert list(tmp_path.iterdir()) == []
