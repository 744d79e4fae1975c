"""Tests for checker.outputs.pdf and checker.outputs.fonts: PDF notices only with a real Chinese font."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace

import pytest

import checker.outputs.fonts as fonts
from checker.errors import UsageError
from checker.outputs.context import OutputContext
from checker.outputs.pdf import _fetcher, html_to_pdf, write_pdf
from output_fixtures import RULES, XSS, finding, run_info, sample_context, unit

# In CI (.ci/run installs fonts-wqy-microhei and poppler-utils via scripts/ci-system-deps.sh) these must run.
REQUIRED = bool(os.environ.get("CI") or os.environ.get("PBCHECK_REQUIRE_PDF"))
CJK_NAMES = re.compile(r"WenQuanYi|WQY|Noto[\w-]*CJK|Source[\w-]*Han|SimSun|SimHei|FangSong|KaiTi|Song|Hei|Kai|Fang|Ming|"
                       r"Droid\w*Fallback|AR\w*PL|Uming|Ukai", re.I)


def need(condition: bool, reason: str) -> None:
    if condition:
        return
    if REQUIRED:
        pytest.fail(f"{reason}（CI 中必须具备：运行 scripts/ci-system-deps.sh）")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def fresh_font_cache():
    fonts.cjk_font_families.cache_clear()
    yield
    fonts.cjk_font_families.cache_clear()


@pytest.fixture(scope="module")
def pdf_files():
    fonts.cjk_font_families.cache_clear()
    need(fonts.cjk_font_available(), "本机没有中文字体（fc-list :lang=zh 为空）")
    ctx = sample_context()
    small = replace(ctx, units=ctx.units[:1])        # one notice keeps the test fast
    return dict(write_pdf(small))


def tool(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"缺少 {name}（poppler-utils）")
    return path


def test_missing_font_gives_install_instructions_not_boxes(monkeypatch):
    monkeypatch.setattr(fonts.shutil, "which", lambda name: "/usr/bin/fc-list")
    monkeypatch.setattr(fonts.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout="", stderr=""))
    assert fonts.cjk_font_families() == ()
    assert not fonts.cjk_font_available()
    with pytest.raises(UsageError) as info:
        write_pdf(sample_context())
    message = str(info.value)
    assert "fonts-wqy-microhei" in message and "fc-list :lang=zh" in message and "方框" in message


def test_missing_fc_list_is_explained(monkeypatch):
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)
    monkeypatch.setattr(fonts.sys, "platform", "linux")
    assert fonts.cjk_font_families() is None
    assert not fonts.cjk_font_available()
    assert "fontconfig" in fonts.missing_font_message()
    monkeypatch.setattr(fonts.sys, "platform", "win32")
    assert fonts.cjk_font_available()


def test_font_families_are_parsed_from_fc_list(monkeypatch):
    out = "WenQuanYi Micro Hei,文泉驛微米黑,文泉驿微米黑\nNoto Sans CJK SC,Noto Sans CJK SC Regular\n"
    monkeypatch.setattr(fonts.shutil, "which", lambda name: "/usr/bin/fc-list")
    monkeypatch.setattr(fonts.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=out))
    assert "WenQuanYi Micro Hei" in fonts.cjk_font_families() and "Noto Sans CJK SC" in fonts.cjk_font_families()
    assert fonts.cjk_font_available()


def test_no_notices_no_pdf_and_no_font_needed(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font_available", lambda: False)
    assert write_pdf(OutputContext(run_info(), RULES, (unit("A", ()),))) == []


def test_pdf_fetches_nothing():
    weasyprint = pytest.importorskip("weasyprint")
    fetcher = _fetcher(weasyprint)
    with pytest.raises(ValueError):
        (fetcher.fetch if hasattr(fetcher, "fetch") else fetcher)("http://example.invalid/x.png")


def test_pdf_notice_embeds_a_chinese_font(pdf_files, tmp_path):
    assert list(pdf_files) == ["notices/GD-07.pdf"]
    path = tmp_path / "GD-07.pdf"
    path.write_bytes(pdf_files["notices/GD-07.pdf"])
    assert path.read_bytes().startswith(b"%PDF-")
    listing = subprocess.run([tool("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout
    embedded = [line for line in listing.splitlines()[2:] if re.search(r"\byes\s+yes\s+yes\b", line)]
    assert any(CJK_NAMES.search(line) for line in embedded), listing


def test_pdf_notice_text_layout_and_pages(pdf_files, tmp_path):
    path = tmp_path / "GD-07.pdf"
    path.write_bytes(pdf_files["notices/GD-07.pdf"])
    text = subprocess.run([tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    compact = re.sub(r"\s+", "", text)
    assert "关于GD-07一车间党支部党建与生产经营融合检查发现问题的整改通知书" in compact
    assert "党建审〔2026〕1号" in compact and "检查清单" in compact and "已批准豁免事项" in compact
    assert re.sub(r"\s+", "", XSS) in compact                      # record markup printed, not run
    info = subprocess.run([tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3                                               # body, checklist annex, waiver annex
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    last = subprocess.run([tool("pdftotext"), "-f", str(pages), "-l", str(pages), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "印发" in last                                            # no blank trailing page


def test_html_to_pdf_of_a_user_page_with_external_images_stays_offline():
    need(fonts.cjk_font_available(), "本机没有中文字体")
    data = html_to_pdf('<html><body><p>图片</p><img src="http://example.invalid/logo.png"></body></html>')
    assert data.startswith(b"%PDF-")


def test_unit_with_injected_text_prints_it(tmp_path):
    need(fonts.cjk_font_available(), "本机没有中文字体")
    ctx = OutputContext(run_info(), RULES, (unit("A", (finding("RS01", "A", message="{{ 7*7 }}与<b>粗体</b>"),)),))
    [(_, data)] = write_pdf(ctx)
    path = tmp_path / "a.pdf"
    path.write_bytes(data)
    text = subprocess.run([tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "{{ 7*7 }}与<b>粗体</b>" in text


def test_demo_leaves_out_pdf_without_a_font_and_says_how_to_get_one(monkeypatch, tmp_path):
    from click.testing import CliRunner

    import checker.pipeline.run
    from checker.cli.main import cli
    seen = {}

    def fake_execute(options, *args, **kwargs):
        seen["formats"] = list(options.formats)
        return checker.pipeline.run.RunOutcome([], [], [], 0, extras={})

    monkeypatch.setattr(checker.pipeline.run, "execute", fake_execute)
    monkeypatch.setattr(fonts, "cjk_font_available", lambda: False)
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "out"), "--no-history"])
    assert result.exit_code == 0, result.output
    assert "pdf" not in seen["formats"] and {"html", "md", "docx", "summary", "xlsx", "csv"} <= set(seen["formats"])
    assert "未生成 PDF" in result.output and "fonts-wqy-microhei" in result.output
    monkeypatch.setattr(fonts, "cjk_font_available", lambda: True)
    CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "out"), "--no-history"])
    assert "pdf" in seen["formats"]
