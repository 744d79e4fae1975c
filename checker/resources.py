"""Built-in data shipped with pbcheck (rule packs, report templates, examples), found via importlib.resources."""
from __future__ import annotations

import importlib.resources
import pathlib

from checker.errors import InternalError

_PACKAGE = "checker"


def _installed_dir(name: str) -> pathlib.Path | None:
    """`checker/<name>` inside the installed package (hatch force-includes it into the wheel), if present."""
    try:
        candidate = importlib.resources.files(_PACKAGE) / name
    except (ModuleNotFoundError, TypeError, ValueError):
        return None
    if isinstance(candidate, pathlib.Path):
        return candidate if candidate.is_dir() else None
    # A namespace package (no __init__.py) yields a MultiplexedPath; look in each of its directories.
    package = importlib.import_module(_PACKAGE)
    for base in getattr(package, "__path__", []):
        path = pathlib.Path(base) / name
        if path.is_dir():
            return path
    return None


def _source_dir(name: str) -> pathlib.Path | None:
    """The top-level `<name>` of a source checkout that was not installed (pyproject.toml beside it)."""
    root = pathlib.Path(__file__).resolve().parent.parent
    # Without the pyproject.toml check an installed copy would pick up any `site-packages/<name>`.
    if (root / "pyproject.toml").is_file() and (root / name).is_dir():
        return root / name
    return None


def resource_dir(name: str) -> pathlib.Path:
    """The built-in data directory `name` ("rules", "reports", "examples") as a filesystem path."""
    if not name or "/" in name or "\\" in name or name in {".", ".."}:
        raise InternalError(f"内置资源目录名无效：{name!r}")
    found = _installed_dir(name) or _source_dir(name)
    if found is None:
        raise InternalError(f"找不到内置资源目录 {name}：安装包中缺少 checker/{name}，且不是在源码目录中运行")
    return found


def builtin_templates_dir() -> pathlib.Path:
    """The directory of the built-in report templates (notice, summary, …)."""
    return resource_dir("reports")
