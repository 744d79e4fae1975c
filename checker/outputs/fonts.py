"""Is a Chinese font installed? WeasyPrint renders Chinese as boxes without any error when none is, so ask fontconfig."""
from __future__ import annotations

import functools
import shutil
import subprocess
import sys

from checker.errors import UsageError

FC_TIMEOUT_S = 20
INSTALL_HINT = (
    "请先安装中文字体，例如 Debian/Ubuntu：sudo apt-get install fonts-wqy-microhei（或 fonts-noto-cjk），"
    "CentOS/RHEL/麒麟：sudo yum install wqy-microhei-fonts；安装后可用 fc-list :lang=zh 确认。"
    "也可以不生成 PDF，改用 --format html 或 --format docx。"
)


@functools.lru_cache(maxsize=1)
def cjk_font_families() -> tuple[str, ...] | None:
    """Font families fontconfig knows that cover Chinese (`fc-list :lang=zh family`); None when fc-list is absent."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        result = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                                timeout=FC_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    families = {name.strip() for line in result.stdout.splitlines() for name in line.split(",") if name.strip()}
    return tuple(sorted(families))


def cjk_font_available() -> bool:
    """True when a Chinese font is installed (assumed on Windows and macOS, which ship one, if fc-list is absent)."""
    families = cjk_font_families()
    if families is None:
        return sys.platform in ("win32", "darwin")
    return bool(families)


def missing_font_message() -> str:
    """Why a PDF cannot be made here and how to fix it (Chinese, for the command line)."""
    if cjk_font_families() is None and sys.platform not in ("win32", "darwin"):
        return ("生成 PDF 需要中文字体，但无法查询本机字体（找不到 fontconfig 的 fc-list 命令，"
                "Debian/Ubuntu 可安装 fontconfig 软件包）。" + INSTALL_HINT)
    return ("生成 PDF 需要中文字体，但本机没有安装任何中文字体（fc-list :lang=zh 为空）；"
            "没有中文字体时 PDF 中的汉字会显示为方框，因此没有生成 PDF。" + INSTALL_HINT)


def require_cjk_font() -> None:
    """Raise UsageError with install instructions unless a Chinese font is installed."""
    if not cjk_font_available():
        raise UsageError(missing_font_message())
