"""Tests for checker.outputs.notices and the built-in notice templates (reports/notice.*.j2)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.errors import InternalError
from checker.findings import (FIRED, MISSING_DATA, NOT_APPLICABLE, PASSED, Finding, RuleMeta, RunInfo, UnitResult,
                              fingerprint)
from checker.outputs.notices import (COMPOSITE_GROUP, NoticeContext, build_notice_contexts, checklist_rows,
                                     chinese_numeral, doc_number, notice_context, notice_groups, notice_units,
                                     render_notice_html, render_notice_md)
from checker.render import report_environment
from checker.resources import builtin_templates_dir, resource_dir

PERIOD = "2025-01-01/2025-12-31"
XSS = "<script>alert(1)</script>"
INJECT = "{{ 7*7 }}"

# catalogue order (FM, RS, BO, X), deliberately not rule-id order
RULES: dict[str, RuleMeta] = {r.id: r for r in [
    RuleMeta("FM03", "决议无责任人或时限", "中", ("形式化",), ("论文§2.1",)),
    RuleMeta("FM05", "佐证材料缺失", "低", ("形式化",), ("论文§2.1",)),
    RuleMeta("RS01", "支委会召开不足", "高", ("责任落实",), ("支部工作条例第十条",)),
    RuleMeta("BO02", "党建考核权重过低", "中", ("重业务轻党建",), ("论文§2.3",)),
    RuleMeta("SY01", "同规划缺位", "高", ("四同",), ("论文表2",)),
    RuleMeta("X01", "党建工作形式化", "高", (), ("论文§2.1",), composite=True),
    RuleMeta("X04", "主体责任落实不到位", "高", (), ("论文§2.2",), composite=True),
]}


def finding(rule: str, unit: str = "GD-07", item: str | None = None, **kw) -> Finding:
    meta = RULES[rule]
    evidence = kw.pop("evidence", ({"kind": "meeting", "key": item or f"{rule}-E1"},))
    values = dict(period=PERIOD, severity=meta.severity, title=meta.title, tags=meta.tags, refs=meta.refs,
                  message=f"{rule}的问题描述", remedy=f"{rule}的整改要求", evidence=evidence, deadline="2026-03-02",
                  fingerprint=fingerprint(rule, unit, [str(e["key"]) for e in evidence]), item=item,
                  composite=meta.composite)
    values.update(kw)
    return Finding(rule=rule, unit=unit, **values)


def unit(uid: str, findings: tuple[Finding, ...], **kw) -> UnitResult:
    checks = {r: PASSED for r in RULES} | {f.rule: FIRED for f in findings}
    values = dict(name=f"{uid}一车间党支部", parent="某某公司党委", org_type="党支部", period=PERIOD,
                  source=f"{uid}.yaml", findings=findings, checks=checks)
    values.update(kw)
    return UnitResult(unit=uid, **values)


def run_info(**kw) -> RunInfo:
    values = dict(tool_version="0.1.0", pack_id="party-business-integration", pack_title="党建与生产经营融合检查",
                  pack_version="1.2.0", started="2026-01-05T09:30:00+08:00", as_of="2026-01-05", params={},
                  units_checked=1, units_failed_validation=0)
    values.update(kw)
    return RunInfo(**values)


def sample_findings() -> tuple[Finding, ...]:
    return (
        finding("FM05", item="M-2025-07", message="7月支委会无佐证材料"),
        finding("FM03", item="M-2025-03#1", message=f"决议“{XSS}”无责任人，纪要写着 {INJECT}",
                evidence=({"kind": "meeting_decision", "key": "M-2025-03#1", "owner": None, "due": None,
                           "similarity": 0.8700000001, "topics": ["党建", "业务"]},)),
        finding("RS01", message="全年召开支委会8次，少于规定的12次", deadline="2026-02-04"),
        finding("X01", message="形式化问题涉及3项规则", evidence=(
            {"kind": "finding", "key": "f1", "rule": "FM03"}, {"kind": "finding", "key": "f2", "rule": "FM05"})),
        finding("BO02", message="党建考核权重15%，低于20%", deadline="2026-03-06"),
    )


def make_ctx(findings: tuple[Finding, ...] | None = None, **run_kw) -> NoticeContext:
    fs = sample_findings() if findings is None else findings
    u = unit("GD-07", fs, checks={"FM03": FIRED, "FM05": FIRED, "RS01": FIRED, "BO02": FIRED,
                                  "SY01": NOT_APPLICABLE, "X01": FIRED, "X04": MISSING_DATA})
    return NoticeContext(unit=u, run=run_info(**run_kw), rules=RULES, doc_no="党建审〔2026〕3号", findings=fs)


@pytest.fixture(scope="module")
def env():
    return report_environment([builtin_templates_dir()])


# ---------------------------------------------------------------------------- pure helpers

def test_doc_number():
    assert doc_number("党建审〔2026〕{n}号", 3) == "党建审〔2026〕3号"
    assert doc_number("{n}-{n}", 12) == "12-12"
    assert doc_number("党建审〔2026〕1号", 5) == "党建审〔2026〕1号"
    assert doc_number(None, 1) is None


def test_chinese_numeral():
    assert [chinese_numeral(n) for n in (1, 9, 10, 11, 20, 35, 99, 100)] == \
        ["一", "九", "十", "十一", "二十", "三十五", "九十九", "100"]


def test_notice_units_keeps_units_with_open_findings_in_input_order():
    waived = finding("FM05", unit="B", status="waived")
    a = unit("A", (finding("RS01", unit="A"),))
    b = unit("B", (waived,))
    c = unit("C", ())
    d = unit("D", (waived, finding("FM03", unit="D")))
    assert [u.unit for u in notice_units([d, c, b, a])] == ["D", "A"]


def test_build_notice_contexts_numbers_notices_in_unit_order():
    a = unit("A", (finding("RS01", unit="A"),))
    b = unit("B", ())
    c = unit("C", (finding("FM03", unit="C"), finding("FM05", unit="C", status="waived")))
    ctxs = build_notice_contexts(run_info(doc_no="党建审〔2026〕{n}号"), [a, b, c], RULES)
    assert [(x.unit.unit, x.doc_no) for x in ctxs] == [("A", "党建审〔2026〕1号"), ("C", "党建审〔2026〕2号")]
    assert [f.rule for f in ctxs[1].findings] == ["FM03"]
    assert build_notice_contexts(run_info(), [a], RULES)[0].doc_no is None


def test_groups_composites_first_then_first_tag_in_catalogue_order():
    groups = notice_groups(sample_findings(), RULES)
    assert [(g.heading, g.composite) for g in groups] == [
        ("（一）综合诊断", True), ("（二）形式化", False), ("（三）责任落实", False), ("（四）重业务轻党建", False)]
    assert [[i.finding.rule for i in g.items] for g in groups] == [["X01"], ["FM03", "FM05"], ["RS01"], ["BO02"]]
    assert [i.number for g in groups for i in g.items] == [1, 2, 3, 4, 5]
    assert groups[0].label == COMPOSITE_GROUP


def test_groups_sort_by_severity_then_catalogue_then_item_and_handle_untagged():
    fs = (finding("FM05", item="b"), finding("FM05", item="a"), finding("FM03", item="z"),
          finding("SY01", tags=()))
    groups = notice_groups(fs, RULES)
    assert [g.label for g in groups] == ["形式化", "其他"]
    assert [i.finding.item for i in groups[0].items] == ["z", "a", "b"]


def test_evidence_rows_and_refs():
    f = finding("FM03", item="M1", refs=("论文§2.1", "支部工作条例第十二条"),
                evidence=({"kind": "meeting_decision", "key": "M1", "owner": None, "score": 0.8700000001,
                           "topics": ["党建", "业务"], "extra": {"a": 1}},))
    item = notice_groups((f,), RULES)[0].items[0]
    assert item.refs_text == "论文§2.1；支部工作条例第十二条"
    row = item.evidence[0]
    assert (row.kind, row.key) == ("meeting_decision", "M1")
    assert row.details_text == 'owner：—；score：0.87；topics：党建、业务；extra：{"a": 1}'


def test_checklist_lists_every_rule_in_id_order_with_labels():
    ctx = make_ctx()
    rows = checklist_rows(ctx.unit, RULES, ctx.findings)
    assert [(r.rule, r.label) for r in rows] == [
        ("BO02", "发现问题"), ("FM03", "发现问题"), ("FM05", "发现问题"), ("RS01", "发现问题"),
        ("SY01", "不适用"), ("X01", "发现问题"), ("X04", "数据缺失")]
    assert [r.number for r in rows] == list(range(1, 8))
    assert rows[0].severity == "中" and rows[0].title == "党建考核权重过低"


def test_checklist_marks_rules_whose_findings_are_all_waived():
    fs = (finding("FM05", status="waived"), finding("RS01"))
    u = unit("A", fs, checks={"FM05": FIRED, "RS01": FIRED})
    rows = {r.rule: r for r in checklist_rows(u, RULES)}
    assert (rows["FM05"].label, rows["FM05"].note) == ("发现问题", "已豁免")
    assert (rows["RS01"].label, rows["RS01"].note) == ("发现问题", "")
    assert (rows["BO02"].label, rows["BO02"].note) == ("未检查", "")


def test_notice_context_facts():
    c = notice_context(make_ctx())
    assert c["issuer"] == "党建工作检查组"
    assert c["title"] == "关于GD-07一车间党支部党建与生产经营融合检查发现问题的整改通知书"
    assert c["counts"] == [("高", 2), ("中", 2), ("低", 1)]
    assert (c["earliest_deadline"], c["latest_deadline"]) == ("2026-02-04", "2026-03-06")
    assert c["total"] == 5 and c["rules_total"] == 7


# ---------------------------------------------------------------------------- HTML notice

def test_html_notice_contains_every_finding_with_its_parts(env):
    ctx = make_ctx()
    html = render_notice_html(ctx, env)
    assert html.count("【问题描述】") == len(ctx.findings)
    for f in ctx.findings:
        assert f.fingerprint in html
        assert f"{f.rule}的整改要求" in html
    assert "全年召开支委会8次，少于规定的12次" in html
    assert "【整改时限】</span>2026年2月4日前" in html
    assert "【依据】</span>支部工作条例第十条" in html
    assert "None" not in html


def test_html_notice_lists_composites_first(env):
    html = render_notice_html(make_ctx(), env)
    positions = [html.index(text) for text in
                 ("（一）综合诊断", "形式化问题涉及3项规则", "（二）形式化", "7月支委会无佐证材料", "（四）重业务轻党建")]
    assert positions == sorted(positions)
    assert re.search(r"<h4>1\. 党建工作形式化</h4>", html)


def test_html_notice_header_title_addressee_basis_and_signature(env):
    html = render_notice_html(make_ctx(issuer="某某集团党委巡察办"), env)
    assert '<div class="issuer">某某集团党委巡察办</div>' in html
    assert '<div class="doc-no">党建审〔2026〕3号</div>' in html
    assert '<hr class="red-rule">' in html
    assert '<h1 class="title">关于GD-07一车间党支部党建与生产经营融合检查发现问题的整改通知书</h1>' in html
    assert '<p class="addressee">GD-07一车间党支部：</p>' in html
    assert "某某公司党委" in html
    assert "2025年1月1日至2025年12月31日" in html
    assert "根据《党建与生产经营融合检查》（版本 1.2.0），某某集团党委巡察办对你单位" in html
    assert re.search(r'<div class="signature">\s*<div>某某集团党委巡察办</div>\s*<div>2026年1月5日</div>', html)
    assert "请于2026年3月6日前向某某集团党委巡察办报送书面整改报告" in html
    default = render_notice_html(make_ctx(), env)
    assert '<div class="issuer">党建工作检查组</div>' in default


def test_html_notice_without_doc_no_or_parent(env):
    ctx = make_ctx()
    bare = NoticeContext(unit=unit("GD-09", ctx.findings, parent=None), run=ctx.run, rules=RULES,
                         doc_no=None, findings=ctx.findings)
    html = render_notice_html(bare, env)
    assert 'class="doc-no"' not in html
    assert "上级党组织" not in html


def test_html_notice_evidence_table(env):
    html = render_notice_html(make_ctx(), env)
    assert ('<td>meeting_decision</td><td class="key">M-2025-03#1</td>'
            '<td class="details">owner：—；due：—；similarity：0.87；topics：党建、业务</td>') in html


def test_html_notice_checklist_annex(env):
    html = render_notice_html(make_ctx(), env)
    annex = html[html.index('<section class="annex">'):]
    rows = re.findall(r'<td class="rule-id">(\w+)</td><td>([^<]+)</td><td class="center">(.)</td>'
                      r'<td class="center">([^<]+)</td>', annex)
    assert rows == [("BO02", "党建考核权重过低", "中", "发现问题"), ("FM03", "决议无责任人或时限", "中", "发现问题"),
                    ("FM05", "佐证材料缺失", "低", "发现问题"), ("RS01", "支委会召开不足", "高", "发现问题"),
                    ("SY01", "同规划缺位", "高", "不适用"), ("X01", "党建工作形式化", "高", "发现问题"),
                    ("X04", "主体责任落实不到位", "高", "数据缺失")]
    assert "附件：检查清单" in html


def test_html_notice_escapes_data_and_never_evaluates_it(env):
    html = render_notice_html(make_ctx(), env)
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert INJECT in html
    assert "纪要写着 49" not in html


def test_html_notice_is_self_contained_official_layout(env):
    html = render_notice_html(make_ctx(), env)
    assert html.startswith("<!DOCTYPE html>")
    for needle in ("size: A4;", "margin: 37mm 26mm 35mm 28mm;", "font-size: 22pt", "font-size: 16pt",
                   '"FZXiaoBiaoSong-B05S", "方正小标宋简体", "STZhongsong", "Noto Serif CJK SC", '
                   '"Source Han Serif SC", "SimSun", serif',
                   '"FangSong", "仿宋", "FangSong_GB2312", "STFangsong", "Noto Serif CJK SC", '
                   '"WenQuanYi Micro Hei", serif',
                   "page-break-after: always", "break-after: page"):
        assert needle in html, needle
    lowered = html.lower()
    for forbidden in ("<script", "http://", "https://", "<link", " src=", "@import", "url("):
        assert forbidden not in lowered, forbidden


# ---------------------------------------------------------------------------- Markdown notice

def test_md_notice_contains_every_finding_and_sections(env):
    ctx = make_ctx()
    md = render_notice_md(ctx, env)
    assert md.count("【问题描述】") == len(ctx.findings)
    assert "# 关于GD-07一车间党支部党建与生产经营融合检查发现问题的整改通知书" in md
    assert "GD-07一车间党支部：" in md and "党建审〔2026〕3号" in md
    for f in ctx.findings:
        assert f.fingerprint in md
    assert md.index("### （一）综合诊断") < md.index("### （二）形式化") < md.index("### （三）责任落实")
    assert "- 【整改时限】2026年2月4日前" in md
    assert "None" not in md


def test_md_notice_escapes_markdown_and_keeps_data_literal(env):
    md = render_notice_md(make_ctx(), env)
    assert XSS not in md
    assert r"\<script\>alert(1)\</script\>" in md
    assert r"{{ 7\*7 }}" in md
    assert "| 1 | meeting\\_decision | M-2025-03\\#1 | owner：—；due：—；similarity：0.87；topics：党建、业务 |" in md


def test_md_notice_checklist_table(env):
    md = render_notice_md(make_ctx(), env)
    annex = md[md.index("## 附件：检查清单"):]
    rows = re.findall(r"^\| (\d+) \| (\w+) \| ([^|]+) \| (.) \| ([^|]+) \|", annex, flags=re.M)
    assert [(r[1], r[4]) for r in rows] == [("BO02", "发现问题"), ("FM03", "发现问题"), ("FM05", "发现问题"),
                                            ("RS01", "发现问题"), ("SY01", "不适用"), ("X01", "发现问题"),
                                            ("X04", "数据缺失")]


def test_md_table_cells_stay_on_one_line(env):
    fs = (finding("FM03", evidence=({"kind": "meeting", "key": "M1", "note": "第一行\n第二行|管道"},)),)
    md = render_notice_md(make_ctx(fs), env)
    assert "| 1 | meeting | M1 | note：第一行<br>第二行\\|管道 |" in md


# ---------------------------------------------------------------------------- resources

def test_builtin_templates_are_found():
    reports = builtin_templates_dir()
    assert reports == resource_dir("reports")
    assert (reports / "notice.html.j2").is_file()
    assert (reports / "notice.md.j2").is_file()


@pytest.mark.parametrize("name", ["no-such-dir", "../rules", ""])
def test_resource_dir_rejects_unknown_names(name):
    with pytest.raises(InternalError):
        resource_dir(name)


def test_resource_dir_prefers_installed_package_data(tmp_path, monkeypatch):
    import checker.resources as resources
    (tmp_path / "reports").mkdir()
    monkeypatch.setattr(resources.importlib.resources, "files", lambda package: tmp_path)
    assert resources.resource_dir("reports") == tmp_path / "reports"
    assert isinstance(resources.resource_dir("reports"), Path)
