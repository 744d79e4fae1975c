"""Tests for checker.outputs.notices and the built-in notice templates (reports/notice.*.j2)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.errors import InternalError, TemplateError
from checker.findings import FIRED, MISSING_DATA, NOT_APPLICABLE, Finding
from checker.outputs.context import OutputContext
from checker.outputs.notices import (COMPOSITE_GROUP, NoticeContext, build_notice_contexts, checklist_rows, chinese_numeral, doc_number, notice_context, notice_groups, notice_units, render_notice_html, render_notice_md, waived_rows, write_html, write_md)
from checker.render import report_environment
from checker.resources import builtin_templates_dir, resource_dir
from output_fixtures import (INJECT, RULES, XSS, finding, run_info, sample_context, sample_findings, unit,
                             waived)

def make_ctx(findings: tuple[Finding, ...] | None = None, extra: tuple[Finding, ...] = (), **run_kw) -> NoticeContext:
    """GD-07's notice: `findings` open (default: sample_findings), `extra` further (e.g. waived) findings."""
    fs = sample_findings() if findings is None else findings
    u = unit("GD-07", fs + extra, checks={"FM03": FIRED, "FM05": FIRED, "RS01": FIRED, "BO02": FIRED,
                                          "SY01": NOT_APPLICABLE, "X01": FIRED, "X04": MISSING_DATA})
    run_kw = {"issuer": None, "doc_no": None, **run_kw}
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
    assert build_notice_contexts(run_info(doc_no=None), [a], RULES)[0].doc_no is None


def test_groups_composites_first_then_the_papers_diagnoses():
    groups = notice_groups(sample_findings(), RULES)
    assert [(g.heading, g.composite) for g in groups] == [
        ("（一）综合诊断", True), ("（二）形式化", False), ("（三）重业务轻党建", False), ("（四）责任落实", False)]
    assert [[i.finding.rule for i in g.items] for g in groups] == [["X01"], ["FM03", "FM05"], ["BO02"], ["RS01"]]
    assert [i.number for g in groups for i in g.items] == [1, 2, 3, 4, 5]
    assert groups[0].label == COMPOSITE_GROUP


def test_tag_order_puts_the_papers_diagnoses_first_then_the_catalogue():
    from checker.findings import RuleMeta
    from checker.outputs.notices import tag_order
    rules = {r.id: r for r in [RuleMeta("A1", "a", "中", ("考核", "四同"), ()), RuleMeta("B1", "b", "中", ("整改",), ()),
                               RuleMeta("C1", "c", "中", ("形式化", "考核"), ())]}
    assert list(tag_order(rules)) == ["形式化", "四同", "考核", "整改"]
    custom = {r.id: r for r in [RuleMeta("A1", "a", "中", ("安全",), ()), RuleMeta("B1", "b", "中", ("环保", "安全"), ())]}
    assert list(tag_order(custom)) == ["安全", "环保"]


def test_groups_sort_by_severity_then_catalogue_then_item_and_handle_untagged():
    fs = (finding("FM05", item="b"), finding("FM05", item="a"), finding("FM03", item="z"),
          finding("SY01", tags=()))
    groups = notice_groups(fs, RULES)
    assert [g.label for g in groups] == ["形式化", "其他"]
    assert [i.finding.item for i in groups[0].items] == ["z", "a", "b"]


def test_evidence_rows_and_refs_use_chinese_labels():
    f = finding("FM03", item="M1#1", refs=("论文§2.1", "支部工作条例第十二条"),
                evidence=({"kind": "meeting_decision", "key": "M1#1", "parent": "M1", "owner": None, "done": False,
                           "score": 0.8700000001, "topics": ["党建", "业务"], "extra": {"a": 1}},))
    item = notice_groups((f,), RULES)[0].items[0]
    assert item.refs_text == "论文§2.1；支部工作条例第十二条"
    row = item.evidence[0]
    assert (row.kind, row.key) == ("会议决议", "M1#1")
    assert row.details_text == '所属：M1；责任人：—；是否完成：否；相似度：0.87；topics：党建、业务；extra：{"a": 1}'


def test_evidence_of_items_drops_the_repeated_key_and_cuts_long_text():
    f = finding("FM05", item="M-7", evidence=({"kind": "meeting", "key": "M-7", "id": "M-7", "type": "支委会",
                                              "secretary_present": True, "minutes": "很长的记录" * 40},))
    row = notice_groups((f,), RULES)[0].items[0].evidence[0]
    assert row.kind == "会议"
    assert [name for name, _ in row.details] == ["会议类型", "书记是否出席", "会议记录"]
    assert row.details[1] == ("书记是否出席", "是")
    assert row.details[2][1].endswith("…") and len(row.details[2][1]) == 121


def test_evidence_values_read_like_text():
    from checker.outputs.evidence import value_text
    assert [value_text(v) for v in (True, False, None, 56000000, 12000.0, 9999, 0.8700001, ["党建", "业务"])] == [
        "是", "否", "—", "56,000,000", "12,000", "9999", "0.87", "党建、业务"]


def test_unit_level_evidence_labels_record_paths():
    rs01 = sample_findings()[2]
    row = notice_groups((rs01,), RULES)[0].items[0].evidence[0]
    assert row.kind == "单位情况"
    assert row.details == (("committee", "8"), ("考核·党建考核权重", "0.15"))


def test_composite_evidence_points_at_the_numbered_findings():
    groups = notice_groups(sample_findings(), RULES)
    x01 = groups[0].items[0]
    numbers = {i.finding.rule: i.number for g in groups for i in g.items}
    assert [(r.kind, r.key) for r in x01.evidence] == [("相关问题", "FM03:M-2025-03#1"), ("相关问题", "FM05:M-2025-07")]
    assert x01.evidence[0].details == (("问题", "FM03 决议无责任人或时限"), ("见本通知", f"第{numbers['FM03']}项"))
    assert x01.evidence[1].details[-1] == ("见本通知", f"第{numbers['FM05']}项")


def test_checklist_lists_every_rule_in_id_order_with_labels():
    ctx = make_ctx()
    rows = checklist_rows(ctx.unit, RULES, ctx.findings)
    assert [(r.rule, r.label) for r in rows] == [
        ("BO02", "发现问题"), ("FM03", "发现问题"), ("FM05", "发现问题"), ("RS01", "发现问题"),
        ("SY01", "不适用"), ("X01", "发现问题"), ("X04", "数据缺失")]
    assert [r.number for r in rows] == list(range(1, 8))
    assert rows[0].severity == "中" and rows[0].title == "党建考核权重过低"


def test_checklist_marks_rules_whose_findings_are_all_waived():
    fs = (waived("FM05"), finding("RS01"))
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
    assert c["counts_text"] == "（高风险2个、中风险2个、低风险1个）"
    assert (c["waived"], c["annexes"], c["waived_text"]) == ([], ["检查清单"], "")
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
                 ("（一）综合诊断", "形式化问题涉及2项规则", "（二）形式化", "7月支委会无佐证材料", "（四）责任落实")]
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
    assert re.search(r'<div class="signature">\s*<div class="issuer-sign">某某集团党委巡察办</div>\s*'
                     r'<div class="date">2026年1月5日</div>', html)
    assert re.search(r'<footer class="record">\s*<p>抄送：某某公司党委。</p>\s*'
                     r'<p>某某集团党委巡察办<span class="right">2026年1月5日印发</span></p>', html)
    assert "4. 对本通知书所列问题有异议的，请在收到本通知书之日起10个工作日内向某某集团党委巡察办书面说明情况" in html
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
    assert ('<td class="nowrap">会议决议</td><td class="key">M-2025-03#1</td>'
            '<td class="details">所属：M-2025-03；决议内容：决议&lt;script&gt;alert(1)&lt;/script&gt;；'
            '责任人：—；完成时限：—；是否完成：否</td>') in html


def test_html_notice_checklist_annex(env):
    html = render_notice_html(make_ctx(), env)
    annex = html[html.index('<section class="annex" id="annex-checklist">'):]
    assert '<div class="annex-label">附件1</div>' in annex
    rows = re.findall(r'<td class="rule-id">(\w+)</td><td>([^<]+)</td><td class="center">(.)</td>'
                      r'<td class="center">([^<]+)</td>', annex)
    assert rows == [("BO02", "党建考核权重过低", "中", "发现问题"), ("FM03", "决议无责任人或时限", "中", "发现问题"),
                    ("FM05", "佐证材料缺失", "低", "发现问题"), ("RS01", "支委会召开不足", "高", "发现问题"),
                    ("SY01", "同规划缺位", "高", "不适用"), ("X01", "党建工作形式化", "高", "发现问题"),
                    ("X04", "主体责任落实不到位", "高", "数据缺失")]
    assert re.search(r"<p>附件：1\. 检查清单</p>", html)
    assert "已批准豁免事项" not in html


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
                   'font-family: "FZXiaoBiaoSong-B05S", "方正小标宋简体"',
                   'font-family: "FangSong", "仿宋", "FangSong_GB2312"',
                   '"WenQuanYi Micro Hei", serif;',
                   ".notice + .notice { break-before: page; page-break-before: always; }",
                   ".annex { break-before: page; page-break-before: always; }",
                   '@bottom-center { content: "— " counter(page) " —"'):
        assert needle in html, needle
    assert "&#34;" not in html          # the font stacks are CSS, not escaped text
    assert html.count('<article class="notice"') == 1
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
    assert md.index("### （一）综合诊断") < md.index("### （二）形式化") < md.index("### （三）重业务轻党建")
    assert "- 【整改时限】2026年2月4日前" in md
    assert "None" not in md


def test_md_notice_escapes_markdown_and_keeps_data_literal(env):
    md = render_notice_md(make_ctx(), env)
    assert XSS not in md
    assert r"\<script\>alert(1)\</script\>" in md
    assert r"{{ 7\*7 }}" in md
    assert ("| 1 | 会议决议 | M-2025-03\\#1 | 所属：M-2025-03；决议内容：决议\\<script\\>alert(1)\\</script\\>；"
            "责任人：—；完成时限：—；是否完成：否 |") in md


def test_md_notice_checklist_table(env):
    md = render_notice_md(make_ctx(), env)
    annex = md[md.index("## 附件1：检查清单"):]
    rows = re.findall(r"^\| (\d+) \| (\w+) \| ([^|]+) \| (.) \| ([^|]+) \|", annex, flags=re.M)
    assert [(r[1], r[4]) for r in rows] == [("BO02", "发现问题"), ("FM03", "发现问题"), ("FM05", "发现问题"),
                                            ("RS01", "发现问题"), ("SY01", "不适用"), ("X01", "发现问题"),
                                            ("X04", "数据缺失")]


def test_md_table_cells_stay_on_one_line(env):
    fs = (finding("FM03", evidence=({"kind": "meeting", "key": "M1", "note": "第一行\n第二行|管道"},)),)
    md = render_notice_md(make_ctx(fs), env)
    assert "| 1 | 会议 | M1 | note：第一行<br>第二行\\|管道 |" in md


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


# ---------------------------------------------------------------------------- waived findings

def test_waived_rows_carry_reason_approver_and_expiry():
    u = unit("A", (finding("RS01", "A"), waived("FM05", "A", item="M-2"),
                   waived("SY01", "A", waiver={"reason": "已撤销", "approver": "李书记", "expires": None})))
    rows = waived_rows(u)
    assert [(r.number, r.finding.rule, r.reason, r.approver, r.expires) for r in rows] == [
        (1, "SY01", "已撤销", "李书记", None), (2, "FM05", "该项目部已撤销，党员已转出", "王主任", "2026-06-30")]


def test_html_notice_lists_waived_findings_only_in_their_annex(env):
    ctx = make_ctx(extra=(waived("SY01", message="不应出现在正文的豁免问题"),))
    html = render_notice_html(ctx, env)
    c = notice_context(ctx)
    assert c["annexes"] == ["检查清单", "已批准豁免事项"]
    assert "不应出现在正文的豁免问题" not in html
    assert html.count("【问题描述】") == 5
    assert "另有1个问题经批准豁免（见附件2）" in html
    assert re.search(r"<p>附件：1\. 检查清单</p>\s*<p>2\. 已批准豁免事项</p>", html)
    annex = html[html.index('<section class="annex" id="annex-waived">'):]
    assert '<div class="annex-label">附件2</div>' in annex
    assert ('<td class="rule-id">SY01</td><td>同规划缺位</td><td>—</td><td>该项目部已撤销，党员已转出</td>'
            '<td class="nowrap">王主任</td><td class="nowrap">2026年6月30日</td>') in annex


def test_md_notice_lists_waived_findings_in_their_annex(env):
    ctx = make_ctx(extra=(waived("SY01", waiver={"reason": "原因<b>", "approver": "张*三", "expires": None}),))
    md = render_notice_md(ctx, env)
    assert "附件：1. 检查清单　2. 已批准豁免事项" in md
    annex = md[md.index("## 附件2：已批准豁免事项"):]
    assert "| 1 | SY01 | 同规划缺位 | — | 原因\\<b\\> | 张\\*三 | 未设期限 |" in annex


# ---------------------------------------------------------------------------- writers

def test_write_html_and_md_one_notice_per_unit_with_open_findings():
    ctx = sample_context()
    html = dict(write_html(ctx))
    md = dict(write_md(ctx))
    assert sorted(html) == ["notices/GD-07.html", "notices/GD-08.html"]      # GD-10 only waived, GD-09 clean
    assert sorted(md) == ["notices/GD-07.md", "notices/GD-08.md"]
    assert "党建审〔2026〕1号" in html["notices/GD-07.html"] and "党建审〔2026〕2号" in html["notices/GD-08.html"]
    for f in (f for u in ctx.units for f in u.findings if f.status == "open"):
        assert f.fingerprint in html[f"notices/{f.unit}.html"]
        assert f.fingerprint in md[f"notices/{f.unit}.md"]


def test_write_html_keeps_unsafe_unit_ids_inside_the_notices_directory():
    ctx = sample_context()
    odd = unit("../x/GD 1", (finding("RS01", "../x/GD 1"),))
    files = dict(write_html(OutputContext(ctx.run, RULES, (odd,))))
    [path] = files
    assert path.startswith("notices/") and "/" not in path[len("notices/"):] and ".." not in path


def test_user_template_directory_comes_first(tmp_path):
    (tmp_path / "notice.md.j2").write_text("自定义：{{ title }}｜{{ unit.unit }}\n", encoding="utf-8")
    ctx = OutputContext(run_info(), RULES, sample_context().units, templates=tmp_path)
    md = dict(write_md(ctx))["notices/GD-07.md"]
    assert md == "自定义：关于GD-07一车间党支部党建与生产经营融合检查发现问题的整改通知书｜GD-07\n"
    html = dict(write_html(ctx))["notices/GD-07.html"]        # no user copy: the built-in one
    assert html.startswith("<!DOCTYPE html>")


def test_broken_user_template_names_file_and_line(tmp_path):
    (tmp_path / "notice.html.j2").write_text("<p>\n{% for g in groups %}\n{{ g.heading }\n{% endfor %}\n",
                                             encoding="utf-8")
    ctx = OutputContext(run_info(), RULES, sample_context().units, templates=tmp_path)
    with pytest.raises(TemplateError) as info:
        write_html(ctx)
    [problem] = info.value.problems
    assert problem.location.file == str(tmp_path / "notice.html.j2")
    assert problem.location.line == 3
    assert problem.code == "template-syntax"


def test_user_template_cannot_escape_the_sandbox(tmp_path):
    (tmp_path / "notice.md.j2").write_text("{{ run.__class__.__init__.__globals__ }}\n", encoding="utf-8")
    ctx = OutputContext(run_info(), RULES, sample_context().units, templates=tmp_path)
    with pytest.raises(TemplateError) as info:
        write_md(ctx)
    assert "沙箱" in info.value.problems[0].message or "未定义" in info.value.problems[0].message
