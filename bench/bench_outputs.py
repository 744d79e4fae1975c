"""Benchmark (run by hand): time and size of summary.html and the 整改台账 for many synthetic units.

    /tmp/dev/bin/python bench/bench_outputs.py [UNITS] [--docx N] [--pdf N]

Prints one line per output: seconds, files, bytes. The contract: summary.html for 5,000 units < 5 MB.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from checker.outputs import ledger, notices, summary  # noqa: E402
from output_fixtures import synthetic_context  # noqa: E402

SUMMARY_LIMIT = 5 * 1024 * 1024


def measure(name: str, writer, ctx) -> tuple[float, int, int]:
    """Run one writer; print and return (seconds, files, total bytes)."""
    start = time.perf_counter()
    files = list(writer(ctx))
    seconds = time.perf_counter() - start
    size = sum(len(data.encode("utf-8") if isinstance(data, str) else data) for _, data in files)
    print(f"{name:<14} {seconds:8.2f} s  {len(files):6d} 个文件  {size / 1024 / 1024:8.2f} MB")
    return seconds, len(files), size


def main(argv: list[str]) -> int:
    """Measure summary, ledgers and notices for a synthetic run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("units", type=int, nargs="?", default=5000)
    parser.add_argument("--docx", type=int, default=100, help="time Word notices for this many units (0: skip)")
    parser.add_argument("--pdf", type=int, default=0, help="also time PDF notices for this many units")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    ctx = synthetic_context(args.units)
    findings = sum(len(u.findings) for u in ctx.units)
    print(f"{args.units} 个单位，{findings} 条问题（生成数据 {time.perf_counter() - start:.2f} s）")
    _, _, summary_bytes = measure("summary.html", summary.write_summary, ctx)
    measure("ledger.xlsx+", ledger.write_xlsx, ctx)
    measure("ledger.csv", ledger.write_csv, ctx)
    measure("notices html", notices.write_html, ctx)
    from dataclasses import replace
    if args.docx:
        from checker.outputs import docx
        measure(f"docx ×{args.docx}", docx.write_docx, replace(ctx, units=ctx.units[:args.docx]))
    if args.pdf:
        from checker.outputs import pdf
        measure(f"pdf ×{args.pdf}", pdf.write_pdf, replace(ctx, units=ctx.units[:args.pdf]))
    ok = summary_bytes < SUMMARY_LIMIT
    print(f"summary.html {'<' if ok else '≥'} 5 MB：{'通过' if ok else '未通过'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
