"""Sandboxed Jinja environments: rule messages/remedies and report templates (the only place they are made)."""
from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import pathlib
import re
from types import TracebackType
from typing import Any, Callable, Mapping, Sequence

import jinja2
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from checker.errors import Location, Problem, TemplateError
from checker.findings import SEVERITY_WEIGHT

DASH = "—"                       # shown for a missing value, never the word "None"
FLOAT_DECIMALS = 4
HTML_EXTENSIONS = ["html", "htm", "xml", "html.j2", "xml.j2"]

# Markdown-significant ASCII characters escaped by the `md` filter. Beyond the contract's list,
# `~` (GFM strikethrough) and `&` (entity references such as `&lt;`) would also alter user text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_NEWLINE = re.compile(r"\r\n|\r|\n")


class _RecordEnvironment(ImmutableSandboxedEnvironment):
    """Sandboxed environment where `x.name` on a mapping means its key first.

    Record fields such as a plan's `items` (or a rule's `values.items`) must not resolve to the
    dict methods of the same name.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


# ---------------------------------------------------------------------------- value formatting

def format_float(value: float) -> str:
    """A float without binary noise: at most 4 decimals, no trailing zeros (0.7, 3, 1234.5679)."""
    if math.isnan(value) or math.isinf(value):
        return DASH if math.isnan(value) else ("∞" if value > 0 else "-∞")
    rounded = round(value, FLOAT_DECIMALS)
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return str(int(rounded))
    text = f"{rounded:.{FLOAT_DECIMALS}f}".rstrip("0").rstrip(".")
    return text


def display(value: Any) -> Any:
    """How a value looks in rendered text: None → —, floats rounded, dates ISO; others unchanged."""
    if value is None:
        return DASH
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def display_text(value: Any) -> str:
    """`display` as a string (for Python code that prepares report contexts)."""
    if isinstance(value, (list, tuple)):
        return "、".join(display_text(v) for v in value)
    return str(display(value))


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"date 过滤器需要日期或 ISO 日期字符串（如 2025-03-12），得到 {value!r}")


def filter_date(value: Any) -> str:
    """A date (or ISO date string) in Chinese: 2025年3月12日; None → —."""
    if value is None:
        return DASH
    day = _to_date(value)
    return f"{day.year}年{day.month}月{day.day}日"


def filter_percent(value: Any, digits: int = 1) -> str:
    """A share as a percentage: 0.756 → 75.6%, 0.8 → 80%; None → —."""
    if value is None:
        return DASH
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"percent 过滤器需要数值，得到 {value!r}")
    number = round(float(value) * 100, digits)
    if number == int(number):
        return f"{int(number)}%"
    return f"{number:.{digits}f}".rstrip("0").rstrip(".") + "%"


def filter_period(value: Any) -> str:
    """A period "2025-01-01/2025-12-31" in Chinese: 2025年1月1日至2025年12月31日; None → —."""
    if value is None:
        return DASH
    start, sep, end = str(value).partition("/")
    if not sep:
        return filter_date(start)
    return f"{filter_date(start)}至{filter_date(end)}"


def filter_md(value: Any) -> str:
    """User text made inert in Markdown: significant characters backslash-escaped, newlines → <br>."""
    text = display_text(value)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # after escaping, so the inserted tag is the only HTML left; keeps table rows on one line
    return _NEWLINE.sub("<br>", text)


def filter_severity_weight(value: Any) -> int:
    """The ranking weight of a severity (高 3, 中 2, 低 1; unknown 0)."""
    return SEVERITY_WEIGHT.get(str(value), 0)


_COMMON_FILTERS: dict[str, Callable[..., Any]] = {"percent": filter_percent, "date": filter_date}


# ---------------------------------------------------------------------------- environments

def message_environment() -> SandboxedEnvironment:
    """The sandbox for rule `message`/`remedy` templates: plain text, strict about undefined names."""
    env = _RecordEnvironment(
        undefined=StrictUndefined,
        autoescape=False,           # messages are plain text; report templates escape them
        finalize=display,
        keep_trailing_newline=False,
    )
    env.filters.update(_COMMON_FILTERS)
    return env


def report_environment(template_dirs: Sequence[pathlib.Path]) -> SandboxedEnvironment:
    """The sandbox for report templates; the first directory wins (user `--templates` before built-in)."""
    env = _RecordEnvironment(
        loader=FileSystemLoader([str(d) for d in template_dirs]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(HTML_EXTENSIONS, default_for_string=True, default=False),
        finalize=display,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_COMMON_FILTERS)
    env.filters.update({"md": filter_md, "severity_weight": filter_severity_weight, "period": filter_period})
    return env


# ---------------------------------------------------------------------------- compiling and rendering

@functools.lru_cache(maxsize=1)
def _default_message_environment() -> SandboxedEnvironment:
    # shared only by compile_template(env=None); callers that add filters pass their own environment
    return message_environment()


def compile_template(source: str, *, file: str, line: int, col: int,
                     env: SandboxedEnvironment | None = None) -> jinja2.Template:
    """Compile a message/remedy template found at file:line:col; syntax errors become TemplateError."""
    env = env or _default_message_environment()
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as err:
        lineno = line + max(err.lineno or 1, 1) - 1
        problem = Problem(Location(file, lineno, col), "template-syntax",
                          f"模板语法错误：{_describe_syntax(err)}", found=_source_line(source, err.lineno))
        raise TemplateError("模板无法解析", [problem]) from err


def render(template: jinja2.Template, context: Mapping[str, Any], *, file: str, line: int) -> str:
    """Render a compiled message/remedy template; any failure becomes TemplateError at file:line."""
    try:
        return template.render(dict(context))
    except Exception as err:  # whatever a user template does wrong is the template's error
        offset = _template_line(err.__traceback__, {"<template>"})
        lineno = line + offset - 1 if offset else line
        problem = Problem(Location(file, lineno), "template-render", _describe_render(err))
        raise TemplateError("模板渲染失败", [problem]) from err


def render_report(env: SandboxedEnvironment, name: str, context: Mapping[str, Any]) -> str:
    """Render the report template `name`; missing, unparsable or failing templates become TemplateError."""
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound as err:
        dirs = "、".join(getattr(env.loader, "searchpath", []) or []) or DASH
        missing = err.name or name
        problem = Problem(Location(missing), "template-missing",
                          f"找不到报告模板 {missing}（查找目录：{dirs}）")
        raise TemplateError("报告模板缺失", [problem]) from err
    except jinja2.TemplateSyntaxError as err:
        problem = Problem(Location(err.filename or err.name or name, err.lineno or 1), "template-syntax",
                          f"报告模板语法错误：{_describe_syntax(err)}")
        raise TemplateError("报告模板无法解析", [problem]) from err
    try:
        return template.render(dict(context))
    except jinja2.TemplateSyntaxError as err:   # an {% include %} that does not parse
        problem = Problem(Location(err.filename or err.name or name, err.lineno or 1), "template-syntax",
                          f"报告模板语法错误：{_describe_syntax(err)}")
        raise TemplateError("报告模板无法解析", [problem]) from err
    except jinja2.TemplateNotFound as err:      # an {% include %} / {% extends %} of a missing file
        problem = Problem(Location(template.filename or name), "template-missing",
                          f"报告模板引用的模板 {err.name} 不存在")
        raise TemplateError("报告模板缺失", [problem]) from err
    except Exception as err:
        filenames = {template.filename} if template.filename else set()
        filenames |= _loaded_filenames(env)
        where = _template_frame(err.__traceback__, filenames)
        file, lineno = where if where else (template.filename or name, None)
        problem = Problem(Location(file, lineno), "template-render", _describe_render(err))
        raise TemplateError("报告模板渲染失败", [problem]) from err


# ---------------------------------------------------------------------------- error details

def _describe_syntax(err: jinja2.TemplateSyntaxError) -> str:
    return f"第{err.lineno}行：{err.message}" if err.message else f"第{err.lineno}行有语法错误"


def _describe_render(err: BaseException) -> str:
    if isinstance(err, jinja2.UndefinedError):
        return f"未定义的变量或属性（{err.message}），请检查拼写"
    if isinstance(err, SecurityError):
        return f"模板试图进行沙箱不允许的操作（{err.message}）"
    detail = str(err) or type(err).__name__
    return f"模板计算出错（{type(err).__name__}：{detail}）"


def _source_line(source: str, lineno: int | None) -> str | None:
    lines = source.splitlines()
    if lineno and 1 <= lineno <= len(lines):
        return lines[lineno - 1]
    return None


def _loaded_filenames(env: SandboxedEnvironment) -> set[str]:
    cache = getattr(env, "cache", None) or {}
    return {t.filename for t in cache.values() if getattr(t, "filename", None)}


def _template_frame(tb: TracebackType | None, filenames: set[str]) -> tuple[str, int] | None:
    """The innermost traceback frame that belongs to a template (Jinja rewrites frames to template lines)."""
    found: tuple[str, int] | None = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name in filenames:
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _template_line(tb: TracebackType | None, filenames: set[str]) -> int | None:
    found = _template_frame(tb, filenames)
    return found[1] if found else None
