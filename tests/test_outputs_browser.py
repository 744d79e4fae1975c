"""The HTML notice and summary in a real browser (headless Chromium): printed page count, screenshots.

Skipped, with the reason, when Chromium is not installed (scripts/ci-system-deps.sh --chromium installs it).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.outputs.notices import write_html
from checker.outputs.summary import write_summary
from output_fixtures import sample_context

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="没有安装 Chromium（scripts/ci-system-deps.sh --chromium）")
TIMEOUT_S = 120


def browser(tmp_path: Path, *args: str) -> None:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                    "--disable-extensions", f"--user-data-dir={profile}", *args],
                   capture_output=True, timeout=TIMEOUT_S, check=False)


def poppler(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"缺少 {name}（poppler-utils）")
    return path


def test_notice_prints_on_a4_with_annexes_on_their_own_pages_and_no_blank_page(tmp_path):
    ctx = sample_context()
    page = tmp_path / "GD-07.html"
    page.write_text(dict(write_html(ctx))["notices/GD-07.html"], encoding="utf-8")
    pdf = tmp_path / "GD-07.pdf"
    browser(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF-")
    info = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert "(A4)" in info, info                            # the @page size, not the browser default (Letter)
    texts = [subprocess.run([poppler("pdftotext"), "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                            text=True, check=True).stdout for n in range(1, pages + 1)]
    compact = [re.sub(r"\s+", "", t) for t in texts]
    assert 3 <= pages <= 6, pages                          # body (1–2 pages), checklist, waivers
    assert "整改通知书" in compact[0] and "某某集团党委巡察办" in compact[0]
    checklist = next(i for i, t in enumerate(compact) if t.startswith("附件1检查清单") or "附件1检查清单" in t[:20])
    waivers = next(i for i, t in enumerate(compact) if "附件2已批准豁免事项" in t[:40])
    assert 0 < checklist < waivers == pages - 1
    assert "印发" in compact[-1]                             # the last page is not blank
    assert all(t for t in compact)


def test_summary_renders_in_the_browser(tmp_path):
    from PIL import Image
    page = tmp_path / "summary.html"
    page.write_text(dict(write_summary(sample_context()))["summary.html"], encoding="utf-8")
    png = tmp_path / "summary.png"
    browser(tmp_path, "--window-size=1280,1600", f"--screenshot={png}", page.as_uri())
    image = Image.open(png).convert("RGB")
    assert image.size == (1280, 1600)
    header = image.getpixel((5, 5))
    assert header[0] > 120 and header[1] < 60 and header[2] < 60          # the dark red title band is drawn
    colours = image.resize((64, 80)).getcolors(64 * 80)
    assert colours is not None and len(colours) > 20                     # charts and tables, not a blank page
