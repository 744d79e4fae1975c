"""The output formats of `--format`: each name maps to a writer function in its own module.

Modules are imported only when their format is asked for, so a format whose optional dependency is
missing fails with a clear message instead of breaking every run.
"""
from __future__ import annotations

import importlib
import importlib.util

from checker.errors import UsageError
from checker.outputs.context import Writer

FORMAT_WRITERS: dict[str, str] = {
    "html": "checker.outputs.notices:write_html",
    "md": "checker.outputs.notices:write_md",
    "docx": "checker.outputs.docx:write_docx",
    "pdf": "checker.outputs.pdf:write_pdf",
    "summary": "checker.outputs.summary:write_summary",
    "xlsx": "checker.outputs.ledger:write_xlsx",
    "csv": "checker.outputs.ledger:write_csv",
    "sarif": "checker.outputs.sarif:write_sarif",
    "junit": "checker.outputs.junit:write_junit",
    "index": "checker.outputs.index_export:write_index",
}
DEFAULT_FORMATS = ("html", "md", "summary", "xlsx")


def available_formats() -> list[str]:
    """Formats whose writer module exists in this installation."""
    out = []
    for name, target in FORMAT_WRITERS.items():
        module = target.split(":")[0]
        if importlib.util.find_spec(module) is not None:
            out.append(name)
    return out


def writer(name: str) -> Writer:
    """The writer of format `name`; UsageError for an unknown or unavailable format."""
    target = FORMAT_WRITERS.get(name)
    if target is None:
        raise UsageError(f"不支持的输出格式：{name}（可用：{'、'.join(FORMAT_WRITERS)}）")
    module_name, func = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise UsageError(f"输出格式 {name} 不可用：缺少模块 {exc.name}") from None
    return getattr(module, func)
