"""Where report templates come from: the user's `--templates DIR` first, then the built-in `reports/`."""
from __future__ import annotations

from pathlib import Path

from jinja2.sandbox import SandboxedEnvironment

from checker.render import report_environment
from checker.resources import builtin_templates_dir

# The built-in templates a user may copy and edit (`pbcheck templates export DIR`).
EXPORTABLE_TEMPLATES = ("notice.html.j2", "notice.md.j2", "notice.docx", "summary.html.j2")


def template_dirs(user_dir: Path | None) -> list[Path]:
    """The template search path: the user's directory (if any), then the built-in one."""
    return ([Path(user_dir)] if user_dir else []) + [builtin_templates_dir()]


def report_env(user_dir: Path | None) -> SandboxedEnvironment:
    """The sandboxed, autoescaping report environment over `template_dirs(user_dir)`."""
    return report_environment(template_dirs(user_dir))


def template_file(name: str, user_dir: Path | None) -> Path:
    """The file a binary template (the Word notice) is read from: the user's copy if present, else the built-in."""
    for directory in template_dirs(user_dir):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return builtin_templates_dir() / name
