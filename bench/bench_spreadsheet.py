"""Benchmark (run by hand): reading and writing records workbooks and CSV sets of many units.

    /tmp/dev/bin/python bench/bench_spreadsheet.py [UNITS] [--meetings N]

Prints seconds and rows per second for: exporting the units to XLSX and to CSV, reading both back
(conversion and validation included), and a workbook whose one cell holds 10 MB of text.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bad_inputs.build import build_large, build_many_rows  # noqa: E402
from checker.inputs.records import InvalidUnit, UnitRecord  # noqa: E402
from checker.inputs.loaders import load_units  # noqa: E402
from checker.inputs.spreadsheet.export import csv_files, workbook_bytes  # noqa: E402


def timed(label: str, rows: int, func):
    """Run `func`, print its time, return its result."""
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    rate = f"{rows / seconds:10.0f} 行/秒" if rows else ""
    print(f"{label:<28} {seconds:8.2f} s {rate}")
    return result


def main(argv: list[str]) -> int:
    """Build a workbook of UNITS units with N meetings each, then time every direction."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("units", type=int, nargs="?", default=2000)
    parser.add_argument("--meetings", type=int, default=24)
    args = parser.parse_args(argv)
    rows = args.units * (args.meetings + 1)
    work = Path(tempfile.mkdtemp(prefix="bench-spreadsheet-"))
    try:
        source = timed("生成测试工作簿（openpyxl）", rows, lambda: build_many_rows(work / "many.xlsx", args.units, args.meetings))
        units = timed("读取 XLSX（含校验）", rows, lambda: list(load_units([str(source)])))
        assert all(isinstance(u, UnitRecord) for u in units) and len(units) == args.units
        data = timed("导出 XLSX（带模板格式）", rows, lambda: workbook_bytes(units))
        (work / "export.xlsx").write_bytes(data)
        back = timed("读取导出的 XLSX", rows, lambda: list(load_units([str(work / "export.xlsx")])))
        assert [u.data for u in back] == [u.data for u in units]
        files = timed("导出 CSV", rows, lambda: csv_files(units))
        (work / "set").mkdir()
        for name, payload in files:
            (work / "set" / name).write_bytes(payload)
        back = timed("读取 CSV", rows, lambda: list(load_units([str(work / "set")])))
        assert [u.data for u in back] == [u.data for u in units]
        large = build_large(work / "large")
        for name in ("big_field.xlsx", "big_field_csv", "big_field.yaml", "big_field.json"):
            found = timed(f"10 MB 单元格：{name}", 0, lambda: list(load_units([str(large[name])])))
            assert any(isinstance(u, InvalidUnit) for u in found)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
