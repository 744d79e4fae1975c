"""Atomic file writes: readers see the old file or the complete new one, never a partial write."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


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
