"""Only regular files are read as inputs: a FIFO, a device or a link to one would block or never end."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from checker.errors import Location, Problem

NOT_REGULAR = "not-regular-file"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISDIR(mode):
        return "目录"
    return "特殊文件"


def irregular_problem(path: Path, shown: str) -> Problem | None:
    """The problem when `path` (after following links) is not a regular file; None when it is one or is missing."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None          # missing or unreadable: the reader says so with its own message
    if stat.S_ISREG(mode):
        return None
    return Problem(Location(shown, 1, 1), NOT_REGULAR, f"不是普通文件（{_kind(mode)}），未读取", None, None,
                   "普通文件", _kind(mode))
