"""One run at a time per `--out`: an advisory lock beside the directory, held for the whole run.

The lock file sits next to `--out` (`.<name>.pbcheck-lock`), not inside it, because the output
directory itself is swapped when a run's outputs are switched in. The OS releases the lock when the
process ends, however it ends, so a killed run never blocks the next one.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Callable

from checker.errors import UsageError

try:
    import fcntl
except ImportError:       # Windows: no advisory locks of this kind; runs are not serialised there
    fcntl = None  # type: ignore[assignment]


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def lock_path(out_dir: Path) -> Path:
    """Where the lock for `out_dir` lives."""
    real = Path(out_dir).resolve()
    return real.parent / f".{real.name}.pbcheck-lock"


class OutLock:
    """Context manager: hold the lock of `out_dir`; wait for another run (saying so) or, with `wait=False`, fail."""

    def __init__(self, out_dir: Path, wait: bool = True, notify: Callable[[str], None] | None = None):
        self.out_dir = Path(out_dir)
        self.wait = wait
        self.notify = notify
        self._fd: int | None = None

    def __enter__(self) -> "OutLock":
        if fcntl is None:
            return self
        path = lock_path(self.out_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            return self      # nowhere to put a lock (read-only parent): writing the outputs will say why
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not self.wait:
                os.close(fd)
                raise UsageError(f"另一个 pbcheck 正在向输出目录 {self.out_dir} 写入；"
                                 f"请等它结束后重试（不加 --no-wait 时会自动等待）") from None
            (self.notify or _to_stderr)(f"另一个 pbcheck 正在向输出目录 {self.out_dir} 写入，等待其结束…")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        self._fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
