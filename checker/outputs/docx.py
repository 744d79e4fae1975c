"""整改通知书 as Word documents: reports/notice.docx (or the user's copy under --templates) filled by docxtpl.

The Word template is rendered in the same sandboxed, autoescaping environment as the HTML notice, so
record text such as `<w:p>` or `{{ 7*7 }}` appears literally. Control characters that docxtpl would turn
into paragraph or page breaks (\\a, \\f) or that XML refuses are replaced before they reach the document.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.exceptions import SecurityError

from checker.errors import Location, Problem, TemplateError
from checker.outputs.naming import notice_path
from checker.outputs.notices import NoticeContext, build_notice_contexts, notice_context
from checker.outputs.templating import report_env, template_file
from checker.render import display

if TYPE_CHECKING:
    from checker.outputs.context import OutputContext

DOCX_TEMPLATE = "notice.docx"
# XML 1.0 refuses most C0 controls; docxtpl also turns \a into a new paragraph and \f into a page break.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_TAG = re.compile(r"<[^>]+>")
CONTEXT_CHARS = 60


def _finalize(value: Any) -> Any:
    """`display`, then control characters that would change the document's structure become U+FFFD."""
    shown = display(value)
    if isinstance(shown, str):
        return _CONTROL.sub("\ufffd", shown)
    return shown


def docx_environment(user_dir: Path | None) -> jinja2.Environment:
    """The report sandbox (checker.render) with the control-character guard added, compiling each XML part once.

    docxtpl compiles every part of the document from source on every render; the parts of one template are
    the same for every unit, so compiled templates are kept (per environment, i.e. per run) by source text.
    docxtpl also switches autoescaping on by assigning to the environment — always the same value here.
    """
    env = report_env(user_dir).overlay(finalize=_finalize)
    compile_source = env.from_string
    cache: dict[str, jinja2.Template] = {}

    def from_string(source: str, *args: Any, **kwargs: Any) -> jinja2.Template:
        if args or kwargs:
            return compile_source(source, *args, **kwargs)
        if source not in cache:
            cache[source] = compile_source(source)
        return cache[source]

    env.from_string = from_string  # type: ignore[method-assign]
    return env


def _load_template(path: Path, data: bytes | None = None) -> Any:
    from docxtpl import DocxTemplate
    try:
        data = path.read_bytes() if data is None else data
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise ValueError("not a zip file")
        template = DocxTemplate(io.BytesIO(data))
        template.init_docx()
    except Exception as err:  # python-docx raises several types for a file that is not a .docx
        problem = Problem(Location(str(path)), "template-docx",
                          f"不是有效的 Word 文档（.docx）：{type(err).__name__}（请用 Word 另存为“Word 文档 (*.docx)”）")
        raise TemplateError("Word 模板无法打开", [problem]) from err
    return template


def _paragraph_text(xml_lines: list[str], lineno: int) -> str:
    """The text of the template paragraph at `lineno` (docxtpl puts each <w:p> on its own line) and its neighbours."""
    lo, hi = max(lineno - 2, 0), min(lineno + 1, len(xml_lines))
    text = "".join(_XML_TAG.sub("", line) for line in xml_lines[lo:hi]).strip()
    return text[:CONTEXT_CHARS * 2]


def _template_lineno(tb: TracebackType | None) -> int | None:
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


def _template_error(path: Path, template: Any, err: Exception) -> TemplateError:
    if isinstance(err, jinja2.TemplateSyntaxError):
        lineno = err.lineno
        what = f"模板语法错误：{err.message or '无法解析'}"
        headline = "Word 模板无法解析"
    else:
        lineno = _template_lineno(err.__traceback__)
        if isinstance(err, jinja2.UndefinedError):
            what = f"未定义的变量或属性（{err.message}），请检查拼写"
        elif isinstance(err, SecurityError):
            what = f"模板试图进行沙箱不允许的操作（{err.message}）"
        else:
            what = f"模板计算出错（{type(err).__name__}：{err}）"
        headline = "Word 模板渲染失败"
    near = ""
    if lineno:
        try:
            xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", template.patch_xml(template.get_xml()))
            near = _paragraph_text(xml.splitlines(), lineno)
        except Exception:  # the context is a courtesy; the error itself is what matters
            near = ""
    where = f"第{lineno}段附近" if lineno else "模板中"
    message = f"{where}{what}" + (f"；附近文字：“{near}”" if near else "")
    problem = Problem(Location(str(path), lineno), "template-docx", message)
    return TemplateError(headline, [problem])


def render_notice_docx(ctx: NoticeContext, template_path: Path, user_dir: Path | None = None,
                       env: jinja2.Environment | None = None, data: bytes | None = None) -> bytes:
    """One unit's 整改通知书 as .docx bytes from the Word template at `template_path` (its bytes `data` if read)."""
    template = _load_template(template_path, data)
    context = notice_context(ctx)
    context["index_chart"] = _index_chart(template, context.get("index"))
    try:
        template.render(context, jinja_env=env or docx_environment(user_dir), autoescape=True)
    except Exception as err:   # any failure of a (user) template is the template's error
        raise _template_error(template_path, template, err) from err
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def _index_chart(template: Any, view: Any) -> Any:
    """The radar chart of the notice's 融合度评价 as an inline picture ("" without index or Chinese font)."""
    if view is None:
        return ""
    from docx.shared import Mm
    from docxtpl import InlineImage

    from checker.outputs.charts import RadarSeries
    from checker.outputs.radar_png import radar_png
    series = [RadarSeries("本次检查", tuple(r.score for r in view.rows))]
    if view.previous and view.previous.get("dimensions"):
        series.append(RadarSeries(f"上次检查（{view.previous.get('as_of', '')}）", tuple(r.previous for r in view.rows)))
    png = radar_png([r.name for r in view.rows], series)
    return InlineImage(template, io.BytesIO(png), width=Mm(120)) if png else ""


def write_docx(ctx: "OutputContext") -> list[tuple[str, bytes]]:
    """Output format `docx`: notices/<unit>.docx for every unit with open findings."""
    notices = build_notice_contexts(ctx.run, ctx.units, ctx.rules, ctx.extras.get("index_previous"))
    if not notices:
        return []
    path = template_file(DOCX_TEMPLATE, ctx.templates)
    data = path.read_bytes()
    env = docx_environment(ctx.templates)
    return [(notice_path(n.unit.unit, "docx"), render_notice_docx(n, path, ctx.templates, env, data))
            for n in notices]
