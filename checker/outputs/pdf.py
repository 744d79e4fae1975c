"""整改通知书 as PDF: the HTML notice (its print CSS) laid out by WeasyPrint, only where a Chinese font exists."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checker.errors import UsageError
from checker.outputs.fonts import require_cjk_font
from checker.outputs.naming import notice_path
from checker.outputs.notices import NoticeContext, build_notice_contexts, render_notice_html
from checker.outputs.templating import report_env

if TYPE_CHECKING:
    from checker.outputs.context import OutputContext


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """Fetch nothing: notices are self-contained, and a PDF must never touch the network or local files."""
    raise ValueError(f"整改通知书不加载外部资源：{url}")


def _fetcher(weasyprint: Any) -> Any:
    """A WeasyPrint URL fetcher that refuses every URL (a URLFetcher subclass from v66 on, a function before)."""
    base = getattr(getattr(weasyprint, "urls", None), "URLFetcher", None)
    if base is None:
        return _no_fetch

    class NoFetch(base):  # type: ignore[misc, valid-type]
        """Refuses every URL."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            """Refuse `url`."""
            return _no_fetch(url)

    return NoFetch()


def _weasyprint() -> Any:
    try:
        import weasyprint
    except ImportError:
        raise UsageError("输出格式 pdf 需要 WeasyPrint：pip install weasyprint") from None
    except OSError as exc:   # the Python package is there, its system libraries (Pango) are not
        raise UsageError(f"WeasyPrint 无法加载系统库（{exc}）；Debian/Ubuntu 请安装 libpango-1.0-0 和 "
                         "libpangoft2-1.0-0，其他系统见 WeasyPrint 安装说明") from None
    return weasyprint


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of a self-contained HTML document (no external resources are fetched)."""
    weasyprint = _weasyprint()
    return weasyprint.HTML(string=html, url_fetcher=_fetcher(weasyprint)).write_pdf()


def render_notice_pdf(ctx: NoticeContext, env: Any) -> bytes:
    """One unit's 整改通知书 as PDF bytes."""
    return html_to_pdf(render_notice_html(ctx, env))


def write_pdf(ctx: "OutputContext") -> list[tuple[str, bytes]]:
    """Output format `pdf`: notices/<unit>.pdf; a clear error (not boxes) when no Chinese font is installed."""
    notices = build_notice_contexts(ctx.run, ctx.units, ctx.rules, ctx.extras.get("index_previous"))
    if not notices:
        return []
    require_cjk_font()
    env = report_env(ctx.templates)
    return [(notice_path(n.unit.unit, "pdf"), render_notice_pdf(n, env)) for n in notices]
