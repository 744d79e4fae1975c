"""`pbcheck template`: the empty records workbook (or CSV set) to fill in."""
from __future__ import annotations

import io
from pathlib import Path

from checker.inputs.spreadsheet.export import csv_files
from checker.inputs.spreadsheet.targets import target_files, write_files
from checker.inputs.spreadsheet.writer import new_workbook


def template_bytes() -> bytes:
    """The empty records workbook: guide, headers, labels, help comments, drop-downs."""
    wb, _ = new_workbook()
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_csv_files() -> list[tuple[str, bytes]]:
    """The empty CSV set: every sheet's header and label rows."""
    return csv_files([])


def write_template(target: Path, force: bool = False) -> list[Path]:
    """Write the template to `target` (`.xlsx` workbook, else a directory of CSV files); the paths written."""
    return write_files(target_files(target, template_bytes, template_csv_files), force)
