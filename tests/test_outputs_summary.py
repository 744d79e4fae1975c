"""Tests for checker.outputs.summary and reports/summary.html.j2 (summary.html)."""
from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from checker.outputs.context import OutputContext
from checker.outputs.summary import NO_PARENT, build_summary, chunks, render_summary, unit_score, write_summary
from output_fixtures import FORMULA, INJECT, RULES, XSS, finding, run_info, sample_context, synthetic_context, unit

MAX_BYTES_5000 = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def data():
    return build_summary(sample_context())


def test_overview_counts(data):
    assert data.overview == {"units": 5, "checked": 4, "invalid": 1, "with_findings": 2, "clean": 2, "notices": 2,
                             "open": 7, "waived": 2, "score": 15}


def test_severity_rows(data):
    assert [(r.severity, r.weight, r.open, r.waived, r.units) for r in data.severity_rows] == [
        ("高", 3, 3, 1, 2), ("中", 2, 2, 1, 1), ("低", 1, 2, 0, 2)]


def test_tag_rows_follow_the_papers_diagnoses_with_composites_first(data):
    assert data.heat_columns == ("综合诊断", "形式化", "重业务轻党建", "责任落实", "四同")
    assert [(r.tag, r.open, r.waived, r.units) for r in data.tag_rows] == [
        ("综合诊断", 1, 0, 1), ("形式化", 3, 0, 2), ("重业务轻党建", 1, 1, 1), ("责任落实", 2, 0, 2), ("四同", 0, 1, 0)]


def test_rule_rows_cover_every_rule_with_checklist_states(data):
    rows = {r.rule: r for r in data.rule_rows}
    assert [r.rule for r in data.rule_rows] == ["BO02", "FM03", "FM05", "RS01", "SY01", "X01", "X04"]
    assert (rows["RS01"].open, rows["RS01"].waived, rows["RS01"].states) == (2, 0, (2, 2, 0, 0))
    assert (rows["SY01"].open, rows["SY01"].waived, rows["SY01"].states) == (0, 1, (1, 2, 1, 0))
    assert rows["X04"].states == (0, 3, 0, 1)
    assert rows["X01"].tags == "综合诊断" and rows["BO02"].tags == "重业务轻党建"


def test_ranking_by_weighted_score_with_links_and_heat(data):
    assert [(u.rank, u.unit, u.by_severity, u.total, u.waived, u.score) for u in data.ranking] == [
        (1, "GD-07", (2, 2, 1), 5, 1, 11), (2, "GD-08", (1, 0, 1), 2, 0, 4)]
    assert data.ranking[0].notice == "notices/GD-07.html"
    assert [n for n, _ in data.ranking[0].heat] == [1, 2, 1, 1, 0]     # 综合诊断 形式化 重业务轻党建 责任落实 四同
    assert data.ranking[0].heat[1] == (2, 5)                  # the largest cell gets the darkest level


def test_ties_share_a_rank():
    units = tuple(unit(u, (finding("RS01", u),)) for u in ("A", "B")) + (unit("C", (finding("FM05", "C"),)),)
    ranking = build_summary(OutputContext(run_info(), RULES, units)).ranking
    assert [(u.rank, u.unit) for u in ranking] == [(1, "A"), (1, "B"), (3, "C")]


def test_clean_invalid_and_parents(data):
    assert [(u.unit, u.waived) for u in data.clean] == [("GD-09", 0), ("GD-10", 1)]
    [bad] = data.invalid
    assert (bad.unit, bad.source, bad.more) == ("GD-11", "GD-11.yaml", 0)
    assert "members 应为整数" in bad.problems[0]
    parents = {p.parent: p for p in data.parents}
    assert [p.parent for p in data.parents] == ["某某公司党委", "另一公司党委", NO_PARENT]
    p = parents["某某公司党委"]
    assert (p.units, p.invalid, p.with_findings, p.by_severity, p.total, p.score, p.average) == (
        3, 1, 1, (2, 2, 1), 5, 11, "5.5")
    assert parents[NO_PARENT].average == "0.0"


def test_unit_score_counts_open_findings_only():
    assert unit_score([finding("RS01"), finding("BO02"), finding("FM05"), finding("SY01", status="waived")]) == 6


def test_links_follow_the_notice_formats_of_the_run():
    ctx = sample_context()
    with_md = build_summary(replace(ctx, extras={"formats": ("md", "summary")}))
    assert with_md.ranking[0].notice == "notices/GD-07.md"
    with_pdf = build_summary(replace(ctx, extras={"formats": ("docx", "pdf")}))
    assert with_pdf.ranking[0].notice == "notices/GD-07.pdf"
    none = build_summary(replace(ctx, extras={"formats": ("summary", "xlsx")}))
    assert none.ranking[0].notice is None


def test_ranking_chart_bars_are_weighted_scores(data):
    from output_fixtures import sample_context as again
    svg = str(build_summary(again()).charts["units"])
    assert "GD-07 GD-07一车间党支部：加权分 11（高 2，中 2，低 1）" in svg
    assert ">11</text>" in svg and ">4</text>" in svg            # bar ends print the scores, not the counts 5 and 2
    assert "高（×3）" in svg and "低（×1）" in svg


def test_chunks_show_the_first_rows_and_collapse_the_rest():
    parts = chunks(list(range(1234)), first=100, size=500)
    assert [(c.start, c.end, c.open, len(c.rows)) for c in parts] == [
        (1, 100, True, 100), (101, 600, False, 500), (601, 1100, False, 500), (1101, 1234, False, 134)]
    assert chunks([]) == []


# ---------------------------------------------------------------------------- rendered page

@pytest.fixture(scope="module")
def html():
    ctx = sample_context()
    [(path, text)] = write_summary(ctx)
    assert path == "summary.html"
    return text


def test_summary_page_shows_the_counts(html):
    assert '<div class="n">7</div><div class="label">需整改问题</div>' in html
    assert '<div class="n">1</div><div class="label">未检查（记录无效）</div>' in html
    assert "<tr><td>高</td><td class=\"num\">3</td><td class=\"num\">3</td><td class=\"num\">1</td>" in html
    assert re.search(r'<td class="id"><a href="notices/GD-07.html">GD-07</a></td><td>GD-07一车间党支部</td>'
                     r'<td>某某公司党委</td><td class="num">2</td><td class="num">2</td><td class="num">1</td>'
                     r'<td class="num">5</td><td class="num">1</td><td class="score">11</td>', html)


def test_summary_page_lists_unchecked_units_with_their_problems(html):
    section = html[html.index('<section id="invalid">'):]
    assert "未检查单位（1个）" in section
    assert "GD-11.yaml:3:7: record-type [GD-11] members 应为整数，实际为 &#34;二十&#34;" in section


def test_summary_page_is_self_contained_and_script_free(html):
    lowered = html.lower()
    for forbidden in ("<script", "http://", "https://", "<link", " src=", "@import", "url("):
        assert forbidden not in lowered.replace('xmlns="http://www.w3.org/2000/svg"', ""), forbidden
    assert html.count("<svg") == 5


def test_summary_escapes_record_text():
    units = (unit("GD-1", (finding("RS01", "GD-1", message=XSS),), name=f"支部{XSS}{INJECT}", parent=FORMULA),)
    page = render_summary(OutputContext(run_info(issuer=f"巡察办{XSS}"), RULES, units))
    assert XSS not in page
    assert "支部&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in page
    assert "巡察办&lt;script&gt;" in page


def test_summary_without_findings_or_units():
    page = render_summary(OutputContext(run_info(), RULES, (unit("A", ()),)))
    assert "没有单位存在需整改问题" in page and "未发现问题" in page
    empty = render_summary(OutputContext(run_info(), RULES, ()))
    assert "<svg" in empty


def test_summary_of_5000_units_is_small_and_quick():
    ctx = synthetic_context(5000)
    start = time.perf_counter()
    [(_, page)] = write_summary(ctx)
    elapsed = time.perf_counter() - start
    size = len(page.encode("utf-8"))
    assert size < MAX_BYTES_5000, size
    assert elapsed < 30, elapsed          # generous for slow CI machines; bench/bench_outputs.py measures it
    data = build_summary(ctx)
    assert page.count('<details class="more">') >= 2 * ((len(data.ranking) - 100 + 499) // 500)
    opened = page[:page.index('<details class="more">')]
    assert opened.count('<td class="score">') <= 100 + 60
