"""Where a workbook or CSV set is written (`pbcheck template`, `pbcheck export`).

A target ending in `.xlsx` is a workbook; any other target is a directory that receives one CSV file
per sheet (`units.csv`, `meetings.csv`, …). Existing files are never overwritten without `force`:
the target may be a workbook somebody spent a day filling in.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from checker.errors import UsageError
from checker.atomic import write_atomic


def is_workbook_target(target: Path) -> bool:
    """`.xlsx` targets are workbooks; others are CSV directories (`.xls`, `.csv`… are refused)."""
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        return True
    if suffix in (".xls", ".xlsm", ".csv", ".yaml", ".yml", ".json"):
        raise UsageError(f"目标应为 .xlsx 工作簿或存放 CSV 文件的目录，实际为 {target}")
    return False


def target_files(target: Path, workbook: Callable[[], bytes],
                 csv_set: Callable[[], list[tuple[str, bytes]]]) -> list[tuple[Path, bytes]]:
    """The files a target receives: the workbook itself, or one CSV file per sheet inside the directory."""
    if is_workbook_target(target):
        return [(target, workbook())]
    if target.exists() and not target.is_dir():
        raise UsageError(f"目标不是目录：{target}（工作簿请以 .xlsx 结尾）")
    return [(target / name, data) for name, data in csv_set()]


def write_files(files: list[tuple[Path, bytes]], force: bool) -> list[Path]:
    """Write the files atomically; UsageError (nothing written) if any exists and `force` is not given."""
    existing = [path for path, _ in files if path.exists()]
    if existing and not force:
        shown = "、".join(str(p) for p in existing[:3]) + ("等" if len(existing) > 3 else "")
        raise UsageError(f"文件已存在：{shown}（不会覆盖；如确需覆盖请加 --force）")
    for path, _ in files:
        if path.is_dir():
            raise UsageError(f"目标是一个目录：{path}")
    for path, data in files:
        write_atomic(path, data)
    return [path for path, _ in files]
