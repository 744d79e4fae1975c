"""Atomic file writes: readers see the old file or the complete new one, never a partial write."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from checker.interrupts import HeldInterrupt


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (os.umask is racy in threads)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


def _target_mode(path: Path) -> int:
    """The mode the written file gets: the replaced file's, else what open() would have given."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; not possible on every platform, and not worth failing over."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` (str as UTF-8) to `path` via a synced temp file in the same directory and os.replace."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _target_mode(path)
    tmp = tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix="." + path.name + ".", suffix=".tmp")
    try:
        with tmp:
            tmp.write(payload)
            tmp.flush()
            # NamedTemporaryFile creates 0600; outputs should look like any other file the user writes
            with contextlib.suppress(OSError, AttributeError):
                os.fchmod(tmp.fileno(), mode)
            os.fsync(tmp.fileno())
        os.replace(tmp.name, path)
    except BaseException:  # including KeyboardInterrupt: never leave the temp file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp.name)
        raise
    _fsync_dir(path.parent)


# ---------------------------------------------------------------------------------------------
# A run's outputs as one set (issue #7): written beside their targets first, renamed into place only
# when every one of them is complete.


def _missing_dirs(directory: Path, root: Path) -> list[Path]:
    """The directories from `directory` up to (and including) `root` that do not exist yet, deepest first."""
    missing = []
    for d in [directory, *directory.parents]:
        if d.exists():
            break
        missing.append(d)
        if d == root:
            break
    return missing


def _stage(path: Path, payload: bytes) -> str:
    """Write `payload` to a synced hidden temp file beside `path` (mode as write_atomic gives); its name."""
    mode = _target_mode(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            with contextlib.suppress(OSError, AttributeError):
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return name


def write_all_atomic(root: Path, files: Iterable[tuple[str, "str | bytes"]]) -> list[Path]:
    """Write a run's outputs (paths relative to `root`) so that the previous set stays intact unless all are written.

    Every file first goes to a temp file in its target's directory; only when all of them are
    complete are they renamed into place, with Ctrl-C held back during the renames. An error or a
    Ctrl-C before that removes the temp files and the directories this call created, and re-raises.
    A path given twice is written once, with its last content. Returns the written paths in order.
    """
    root = Path(root)
    planned: dict[Path, bytes] = {}
    for relative, data in files:
        planned[root / relative] = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    staged: list[tuple[str, Path]] = []
    created: list[Path] = []
    with HeldInterrupt() as guard:
        try:
            for path, payload in planned.items():
                guard.check()
                missing = _missing_dirs(path.parent, root)
                path.parent.mkdir(parents=True, exist_ok=True)
                created.extend(reversed(missing))
                staged.append((_stage(path, payload), path))
            guard.check()
        except BaseException:
            for name, _ in staged:
                with contextlib.suppress(OSError):
                    os.unlink(name)
            for directory in reversed(created):     # deepest first; only if still empty
                with contextlib.suppress(OSError):
                    directory.rmdir()
            raise
        done = 0
        try:
            for name, path in staged:
                os.replace(name, path)
                done += 1
        except BaseException:
            for name, _ in staged[done:]:
                with contextlib.suppress(OSError):
                    os.unlink(name)
            raise
        for directory in dict.fromkeys(path.parent for path in planned):
            _fsync_dir(directory)
    return list(planned)
