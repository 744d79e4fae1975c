"""Tests for checker.outputs.docx, the Word template reports/notice.docx and scripts/build_notice_docx.py."""
from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import docx
import pytest

from checker.errors import TemplateError
from checker.outputs.context import OutputContext
from checker.outputs.docx import render_notice_docx, write_docx
from checker.outputs.notices import build_notice_contexts
from checker.outputs.template_export import export_templates
from checker.resources import builtin_templates_dir
from output_fixtures import INJECT, RULES, XSS, finding, run_info, sample_context, unit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def files():
    return dict(write_docx(sample_context()))


def text_of(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def t_headers(table) -> list[str]:
    return [c.text for c in table.rows[0].cells]


def xml_of(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")


def test_one_document_per_unit_with_open_findings(files):
    assert sorted(files) == ["notices/GD-07.docx", "notices/GD-08.docx"]


def test_every_open_finding_appears_with_its_parts(files):
    ctx = sample_context()
    for u in ctx.units:
        for f in u.findings:
            if f.status != "open":
                continue
            text = text_of(files[f"notices/{u.unit}.docx"])
            assert f.fingerprint in text and f.title in text and f.remedy in text
            assert f.message in text
    text = text_of(files["notices/GD-07.docx"])
    assert text.count("【问题描述】") == 5
    assert "【整改时限】2026年2月4日前" in text


def test_header_basis_signature_and_annexes(files):
    document = docx.Document(io.BytesIO(files["notices/GD-07.docx"]))
    styled = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    assert styled[:5] == [("版头-发文机关", "某某集团党委巡察办"), ("版头-发文字号", "党建审〔2026〕1号"),
                          ("公文标题", "关于GD-07一车间党支部党建与生产经营融合检查发现问题的整改通知书"),
                          ("主送机关", "GD-07一车间党支部："), ("上级党组织", "（上级党组织：某某公司党委）")]
    basis = styled[5][1]
    assert basis.startswith("根据《党建与生产经营融合检查》（版本 1.2.0），某某集团党委巡察办对你单位2025年1月1日至2025年12月31日")
    assert "发现需整改问题5个（高风险2个、中风险2个、低风险1个），另有1个问题经批准豁免（见附件2）。" in basis
    names = [name for name, _ in styled]
    assert names.index("一级标题") < names.index("二级标题") < names.index("问题标题")
    assert ("发文机关署名", "某某集团党委巡察办") in styled and ("成文日期", "2026年1月5日") in styled
    assert [t for n, t in styled if n == "附件标识"] == ["附件1", "附件2"]
    assert ("版记", "抄送：某某公司党委。") in styled
    assert document.core_properties.title == "关于GD-07一车间党支部党建与生产经营融合检查发现问题的整改通知书"
    assert [p.text for p in document.sections[0].footer.paragraphs] == ["— 1 —"]


def test_tables_evidence_checklist_and_waivers(files):
    document = docx.Document(io.BytesIO(files["notices/GD-07.docx"]))
    tables = document.tables
    checklist = next(t for t in tables if t.rows[0].cells[1].text == "规则编号")
    assert [r.cells[1].text for r in checklist.rows[1:]] == sorted(RULES, key=lambda r: (r[:2], int(r[2:])))
    assert [r.cells[4].text for r in checklist.rows[1:]][-1] == "数据缺失"
    waived = next(t for t in tables if len(t.columns) == 7)
    assert t_headers(waived) == ["序号", "规则", "问题", "对象", "豁免理由", "批准人", "有效期至"]
    assert [c.text for c in waived.rows[1].cells] == ["1", "SY01", "同规划缺位", "—", "该项目部已撤销，党员已转出",
                                                     "王主任", "2026年6月30日"]
    evidence = [t for t in tables if t.rows[0].cells[1].text == "类型"]
    assert sum(len(t.rows) - 1 for t in evidence) == 6         # FM05 1, FM03 1, RS01 1, X01 2, BO02 1
    other = docx.Document(io.BytesIO(files["notices/GD-08.docx"]))
    assert not any(len(t.columns) == 7 for t in other.tables)
    assert "附件2" not in text_of(files["notices/GD-08.docx"])


def test_no_template_markers_are_left(files):
    for data in files.values():
        xml = xml_of(data)
        assert "{%" not in xml and "%}" not in xml
        assert "{{ " not in xml.replace(INJECT, "")


def test_record_markup_is_literal(files):
    text = text_of(files["notices/GD-07.docx"])
    assert f"决议“{XSS}”无责任人，纪要写着 {INJECT}" in text
    xml = xml_of(files["notices/GD-07.docx"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml and "<script>" not in xml


def test_control_characters_cannot_add_paragraphs_or_page_breaks():
    f = finding("RS01", "A", message="第一段\a第二段\f第三段\x00")
    ctx = OutputContext(run_info(), RULES, (unit("A", (f,)),))
    [(_, data)] = write_docx(ctx)
    document = docx.Document(io.BytesIO(data))
    line = next(p.text for p in document.paragraphs if p.text.startswith("【问题描述】"))
    assert line == "【问题描述】第一段\ufffd第二段\ufffd第三段\ufffd"
    assert xml_of(data).count('w:type="page"') == 0


def test_the_word_template_uses_styles_not_direct_formatting():
    template = builtin_templates_dir() / "notice.docx"
    xml = zipfile.ZipFile(template).read("word/document.xml").decode("utf-8")
    body = xml[xml.index("<w:body>"):]
    for direct in ("<w:rFonts", "<w:sz ", "<w:color ", "<w:b/>", "<w:jc ", "<w:spacing ", "<w:ind "):
        assert direct not in body, direct
    styles = {s.name for s in docx.Document(str(template)).styles}
    assert {"正文", "公文标题", "一级标题", "二级标题", "问题标题", "版头-发文机关", "附件标识", "版记", "标注"} <= styles
    section = docx.Document(str(template)).sections[0]
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def _own_styles(styles_xml: bytes) -> dict[str, bytes]:
    """The styles the build script defines (by name), as XML: python-docx's defaults may change between versions."""
    from lxml import etree
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    root = etree.fromstring(styles_xml)
    out = {}
    for style in root.findall("w:style", ns):
        name = style.find("w:name", ns).get(f"{{{ns['w']}}}val")
        if not name.isascii() or name in ("Normal", "Footer"):
            out[name] = etree.tostring(style)
    return out


def test_the_word_template_is_what_the_build_script_makes():
    spec = importlib.util.spec_from_file_location("build_notice_docx", ROOT / "scripts" / "build_notice_docx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = zipfile.ZipFile(io.BytesIO(module.build()))
    shipped = zipfile.ZipFile(builtin_templates_dir() / "notice.docx")
    for name in ("word/document.xml", "word/footer1.xml"):
        assert built.read(name) == shipped.read(name), f"{name}: run scripts/build_notice_docx.py"
    own = _own_styles(shipped.read("word/styles.xml"))
    assert len(own) >= 20
    assert _own_styles(built.read("word/styles.xml")) == own, "styles: run scripts/build_notice_docx.py"


def test_a_word_edited_template_is_used_with_templates(tmp_path):
    export_templates(tmp_path)
    path = tmp_path / "notice.docx"
    document = docx.Document(str(path))          # what a Word user does: change wording and a style
    basis = next(p for p in document.paragraphs if p.text.startswith("根据《"))
    basis.insert_paragraph_before("（本通知书由某某巡察组修改模板后生成）", style="正文")
    document.styles["正文"].font.size = docx.shared.Pt(15)
    document.save(str(path))
    ctx = OutputContext(run_info(), RULES, sample_context().units, templates=tmp_path)
    data = dict(write_docx(ctx))["notices/GD-07.docx"]
    out = docx.Document(io.BytesIO(data))
    assert "（本通知书由某某巡察组修改模板后生成）" in [p.text for p in out.paragraphs]
    assert out.styles["正文"].font.size == docx.shared.Pt(15)


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    export_templates(tmp_path)
    path = tmp_path / "notice.docx"
    document = docx.Document(str(path))
    paragraph = next(p for p in document.paragraphs if p.text == old)
    for run in paragraph.runs[1:]:
        run.text = ""
    paragraph.runs[0].text = new
    document.save(str(path))
    return path


def test_broken_word_template_syntax_names_file_and_place(tmp_path):
    path = _edited(tmp_path, "{%p for item in group.items %}", "{%p for item in group.items")
    ctx = build_notice_contexts(run_info(), sample_context().units, RULES)[0]
    with pytest.raises(TemplateError) as info:
        render_notice_docx(ctx, path)
    [problem] = info.value.problems
    assert problem.location.file == str(path) and problem.location.line
    assert problem.code == "template-docx" and "段" in problem.message and "语法" in problem.message


def test_unknown_variable_in_word_template_names_it(tmp_path):
    path = _edited(tmp_path, "{{ group.heading }}", "{{ group.no_such_name }}")
    ctx = build_notice_contexts(run_info(), sample_context().units, RULES)[0]
    with pytest.raises(TemplateError) as info:
        render_notice_docx(ctx, path)
    message = info.value.problems[0].message
    assert "no_such_name" in message and "{{ group.no_such_name }}" in message


def test_a_file_that_is_not_a_word_document(tmp_path):
    path = tmp_path / "notice.docx"
    path.write_text("这不是 Word 文档", encoding="utf-8")
    ctx = build_notice_contexts(run_info(), sample_context().units, RULES)[0]
    with pytest.raises(TemplateError) as info:
        render_notice_docx(ctx, path)
    assert "不是有效的 Word 文档" in info.value.problems[0].message


def test_word_template_cannot_escape_the_sandbox(tmp_path):
    path = _edited(tmp_path, "{{ group.heading }}", "{{ group.__class__.__mro__ }}")
    ctx = build_notice_contexts(run_info(), sample_context().units, RULES)[0]
    with pytest.raises(TemplateError):
        render_notice_docx(ctx, path)


def test_checklist_marks_fired_rules(files):
    document = docx.Document(io.BytesIO(files["notices/GD-08.docx"]))
    checklist = next(t for t in document.tables if t.rows[0].cells[1].text == "规则编号")
    states = {r.cells[1].text: r.cells[4].text for r in checklist.rows[1:]}
    assert states["RS01"] == "发现问题" and states["BO02"] == "未发现问题"
