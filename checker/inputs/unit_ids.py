"""Unit ids as one run sees them: NFC-normalised, unique after normalisation, and distinct as file names.

Two ids that differ only in Unicode normalisation (`café` typed as NFC and as NFD) are the same id;
two that differ only in letter case (`GD-01`, `gd-01`) are different ids but would write the same
notice on the case-insensitive file systems of Windows and macOS, so a run refuses them too.
"""
from __future__ import annotations

import unicodedata

from checker.errors import Location, Problem


def normalise_id(unit_id: str) -> str:
    """The id in Unicode NFC, the form every comparison and every output uses."""
    return unicodedata.normalize("NFC", unit_id)


def _where(location: Location) -> str:
    return str(location) if location.sheet is not None else f"{location.file}:{location.line or 1}"


class IdRegistry:
    """The unit ids seen so far in a run, with where each was first seen."""

    def __init__(self) -> None:
        self._exact: dict[str, tuple[str, Location]] = {}
        self._folded: dict[str, tuple[str, Location]] = {}

    def add(self, unit_id: str, here: Location) -> list[Problem]:
        """Remember `unit_id` at `here`; the problems if it repeats an earlier id (after NFC) or collides in case."""
        key = normalise_id(unit_id)
        first = self._exact.get(key)
        if first is not None:
            same = "" if first[0] == unit_id else "（Unicode 规范化后相同）"
            return [Problem(here, "duplicate-unit",
                            f"unit_id：单位编号 “{key}” 重复{same}，首次出现于 {_where(first[1])}",
                            key, "unit_id", "输入中唯一的单位编号", key)]
        folded = key.casefold()
        other = self._folded.get(folded)
        if other is not None:
            return [Problem(here, "colliding-unit-id",
                            f"unit_id：单位编号 “{key}” 与 {_where(other[1])} 的 “{other[0]}” 只有大小写不同，"
                            f"在 Windows/macOS 上输出文件会互相覆盖（本处为 {_where(here)}）；请改用不同的编号",
                            key, "unit_id", "大小写不同之外也不相同的单位编号", key)]
        self._exact[key] = (key, here)
        self._folded[folded] = (key, here)
        return []
