"""Build reports/notice.docx, the Word template of the 整改通知书 (docxtpl tags, layout after GB/T 9704).

Run from the repository root:  /tmp/dev/bin/python scripts/build_notice_docx.py [OUT.docx]

Everything visible is done with named styles (公文标题, 正文, 一级标题 …), never with direct formatting,
so that staff can restyle the notice in Word (修改样式) without touching code or the template tags.
The output is deterministic (fixed timestamps), so a rebuilt template differs only when this script does.
"""
from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

OUT = Path(__file__).resolve().parent.parent / "reports" / "notice.docx"
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)

# Font names as Chinese government offices have them (Word substitutes a similar font when one is missing).
XBS = "方正小标宋简体"
FANGSONG = "仿宋_GB2312"
HEI = "黑体"
KAI = "楷体_GB2312"
SONG = "宋体"
RED = RGBColor(0xD4, 0x00, 0x00)
BLACK = RGBColor(0, 0, 0)
LINE = Pt(28)                     # GB/T 9704: 22 lines of 3号 text on a page


# ---------------------------------------------------------------------------- styles

def _fonts(style, name: str, size: float, *, bold: bool = False, color: RGBColor = BLACK) -> None:
    font = style.font
    font.name = name
    font.size = Pt(size)
    font.bold = bold
    font.italic = False
    font.color.rgb = color
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)


def _first_line_chars(style, chars: int = 2) -> None:
    """Indent the first line by `chars` characters (w:firstLineChars, which Word shows as 首行缩进 2 字符)."""
    ppr = style.element.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    ind.set(qn("w:firstLineChars"), str(chars * 100))
    ind.set(qn("w:firstLine"), str(chars * 320))


def _right_chars(style, chars: int) -> None:
    ppr = style.element.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    ind.set(qn("w:rightChars"), str(chars * 100))
    ind.set(qn("w:right"), str(chars * 320))


def _border(style, side: str, color: str, size_eighths: int) -> None:
    ppr = style.element.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size_eighths))
    edge.set(qn("w:space"), "1")
    edge.set(qn("w:color"), color)
    borders.append(edge)


def _paragraph_style(doc, name: str, *, font: str = FANGSONG, size: float = 16, bold: bool = False,
                     color: RGBColor = BLACK, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False,
                     line=LINE, before: float = 0, after: float = 0, keep_next: bool = False,
                     page_break_before: bool = False, base: str = "Normal"):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base] if base and base != name else None
    style.quick_style = True
    _fonts(style, font, size, bold=bold, color=color)
    pf = style.paragraph_format
    pf.alignment = align
    if line is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = line
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    pf.keep_with_next = keep_next
    pf.page_break_before = page_break_before
    pf.widow_control = True
    if indent:
        _first_line_chars(style)
    return style


def build_styles(doc) -> None:
    """The notice's named styles (Chinese names: what Word users see in the style gallery)."""
    _paragraph_style(doc, "Normal", line=LINE, base="")
    doc.styles["Normal"].paragraph_format.first_line_indent = None
    _paragraph_style(doc, "版头-发文机关", font=XBS, size=26, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER,
                     line=None, after=6)
    _paragraph_style(doc, "版头-发文字号", align=WD_ALIGN_PARAGRAPH.CENTER)
    sep = _paragraph_style(doc, "版头-分隔线", size=8, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(8), after=24)
    _border(sep, "bottom", "D40000", 16)
    _paragraph_style(doc, "公文标题", font=XBS, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36), after=28)
    _paragraph_style(doc, "主送机关", align=WD_ALIGN_PARAGRAPH.LEFT)
    _paragraph_style(doc, "上级党组织", size=14, align=WD_ALIGN_PARAGRAPH.LEFT)
    _paragraph_style(doc, "正文", indent=True)
    _paragraph_style(doc, "一级标题", font=HEI, indent=True, keep_next=True)
    _paragraph_style(doc, "二级标题", font=KAI, indent=True, keep_next=True)
    _paragraph_style(doc, "问题标题", bold=True, indent=True, keep_next=True)
    _paragraph_style(doc, "问题信息", size=12, color=RGBColor(0x44, 0x44, 0x44), indent=True, line=Pt(20),
                     keep_next=True)
    _paragraph_style(doc, "图表", align=WD_ALIGN_PARAGRAPH.CENTER, line=None, keep_next=True)   # exact spacing would clip pictures
    _paragraph_style(doc, "表格文字", size=10.5, align=WD_ALIGN_PARAGRAPH.LEFT, line=None)
    _paragraph_style(doc, "表头文字", font=HEI, size=10.5, align=WD_ALIGN_PARAGRAPH.CENTER, line=None)
    annex_list = _paragraph_style(doc, "附件说明", align=WD_ALIGN_PARAGRAPH.LEFT, before=14)
    annex_list.paragraph_format.left_indent = Pt(32)
    sign = _paragraph_style(doc, "发文机关署名", align=WD_ALIGN_PARAGRAPH.RIGHT, before=28, keep_next=True)
    _right_chars(sign, 2)
    date = _paragraph_style(doc, "成文日期", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _right_chars(date, 4)
    _paragraph_style(doc, "附件标识", font=HEI, align=WD_ALIGN_PARAGRAPH.LEFT, page_break_before=True)
    _paragraph_style(doc, "附件标题", font=XBS, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36),
                     before=12, after=16)
    _paragraph_style(doc, "附件说明文字", size=12, align=WD_ALIGN_PARAGRAPH.LEFT, line=Pt(20), after=6)
    record = _paragraph_style(doc, "版记", size=14, align=WD_ALIGN_PARAGRAPH.LEFT, before=0)
    _border(record, "top", "000000", 6)
    _border(record, "bottom", "000000", 6)
    _border(record, "between", "000000", 4)
    _paragraph_style(doc, "页码", font=SONG, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, line=None, base="Footer")
    mark = doc.styles.add_style("标注", WD_STYLE_TYPE.CHARACTER)
    mark.quick_style = True
    _fonts(mark, HEI, 16)
    mark.font.size = None            # inherits the paragraph's size


# ---------------------------------------------------------------------------- page

def page_setup(doc) -> None:
    """A4 with the GB/T 9704 margins and a centred page number "— 1 —" in the footer."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["页码"]
    footer.add_run("— ")
    run = footer.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text.strip() == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)
    footer.add_run(" —")


# ---------------------------------------------------------------------------- content

def para(doc, text: str, style: str) -> None:
    doc.add_paragraph(text, style=style)


def marked(doc, mark: str, text: str, style: str = "正文") -> None:
    p = doc.add_paragraph(style=style)
    p.add_run(mark, style="标注")
    p.add_run(text)


def _header_row(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    tr_pr.append(flag)


def loop_table(doc, headers: list[str], widths_cm: list[float], loop: str, cells: list[str]) -> None:
    """A table whose body rows repeat with docxtpl: header, `{%tr for … %}`, the row, `{%tr endfor %}`."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    _header_row(table.rows[0])
    for i, (header, width) in enumerate(zip(headers, widths_cm)):
        for row in table.rows:
            row.cells[i].width = Cm(width)
        table.rows[0].cells[i].paragraphs[0].text = header
        table.rows[0].cells[i].paragraphs[0].style = doc.styles["表头文字"]
    rows = ((1, "{%tr " + loop + " %}"), (3, "{%tr endfor %}"))
    for index, tag in rows:
        table.rows[index].cells[0].paragraphs[0].text = tag
        for cell in table.rows[index].cells:
            cell.paragraphs[0].style = doc.styles["表格文字"]
    for i, text in enumerate(cells):
        p = table.rows[2].cells[i].paragraphs[0]
        p.text = text
        p.style = doc.styles["表格文字"]


def build_body(doc) -> None:
    """The notice with docxtpl tags; the variables are those of checker.outputs.notices.notice_context."""
    para(doc, "{{ issuer }}", "版头-发文机关")
    para(doc, "{%p if doc_no %}", "版头-发文字号")
    para(doc, "{{ doc_no }}", "版头-发文字号")
    para(doc, "{%p endif %}", "版头-发文字号")
    para(doc, "", "版头-分隔线")
    para(doc, "{{ title }}", "公文标题")
    para(doc, "{{ addressee }}：", "主送机关")
    para(doc, "{%p if parent %}", "上级党组织")
    para(doc, "（上级党组织：{{ parent }}）", "上级党组织")
    para(doc, "{%p endif %}", "上级党组织")
    para(doc, "根据《{{ pack.title }}》（版本 {{ pack.version }}），{{ issuer }}对你单位{{ period|period }}期间"
              "党建与生产经营融合情况进行了检查，检查基准日为{{ as_of|date }}。本次共对照{{ rules_total }}项检查规则，"
              "发现需整改问题{{ total }}个{{ counts_text }}{{ waived_text }}。现将有关情况通知如下：", "正文")
    para(doc, "{%p if index %}", "一级标题")
    para(doc, "{{ index_title }}", "一级标题")
    para(doc, "按本次检查清单计算，你单位党建与生产经营融合度指数为{{ index.shown }}（{{ index.grade }}）"
              "{% if index.change %}，较上次检查{{ index.change.text }}{% endif %}；评价依据覆盖{{ index.coverage_text }}"
              "的适用规则{% if index.thin %}，记录的数据较少，指数仅供参考{% endif %}。各维度得分如下：", "正文")
    para(doc, "{{ index_chart }}", "图表")
    loop_table(doc, ["维度", "得分", "发现问题的规则", "未发现问题", "不计入"], [2.6, 1.8, 7.0, 2.2, 2.0],
               "for row in index.rows",
               ["{{ row.name }}", "{{ row.shown }}", "{{ row.fired_text }}", "{{ row.passed }}", "{{ row.left_out }}"])
    para(doc, "维度得分 = 100 ×（1 − 发现问题规则的权重之和 ÷ 发现问题和未发现问题规则的权重之和），权重高风险3、中风险2、"
              "低风险1，已豁免的问题同样计入；不适用、数据缺失的规则不计入，没有可计分规则的维度为“不适用”。"
              "融合度指数为各维度得分的平均值。", "附件说明文字")
    para(doc, "{%p endif %}", "正文")
    para(doc, "一、存在的主要问题", "一级标题")
    para(doc, "{%p for group in groups %}", "二级标题")
    para(doc, "{{ group.heading }}", "二级标题")
    para(doc, "{%p for item in group.items %}", "问题标题")
    para(doc, "{{ item.number }}. {{ item.finding.title }}", "问题标题")
    para(doc, "规则 {{ item.finding.rule }}　风险等级 {{ item.finding.severity }}"
              "{% if item.finding.item %}　对象 {{ item.finding.item }}{% endif %}"
              "　问题编号 {{ item.finding.fingerprint }}", "问题信息")
    marked(doc, "【问题描述】", "{{ item.finding.message }}")
    marked(doc, "【依据】", "{{ item.refs_text or dash }}")
    marked(doc, "【整改要求】", "{{ item.finding.remedy or dash }}")
    marked(doc, "【整改时限】", "{{ item.finding.deadline|date }}前")
    marked(doc, "【证据】", "{% if not item.evidence %}无{% endif %}")
    para(doc, "{%p if item.evidence %}", "正文")
    loop_table(doc, ["序号", "类型", "标识", "详情"], [1.2, 2.2, 3.4, 8.8], "for row in item.evidence",
               ["{{ loop.index }}", "{{ row.kind }}", "{{ row.key }}", "{{ row.details_text }}"])
    para(doc, "{%p endif %}", "正文")
    para(doc, "{%p endfor %}", "正文")
    para(doc, "{%p endfor %}", "正文")
    para(doc, "二、整改要求", "一级标题")
    para(doc, "1. 请你单位党组织书记履行第一责任人职责，对照上述问题逐项制定整改措施，明确责任人、整改措施和完成时限，"
              "在各问题所列整改时限内整改到位{% if earliest_deadline %}（最早一项须于{{ earliest_deadline|date }}前完成）"
              "{% endif %}。", "正文")
    para(doc, "2. 请于{{ latest_deadline|date }}前向{{ issuer }}报送书面整改报告，逐项说明整改措施、完成情况及佐证材料；"
              "逾期未完成的，须说明原因并提出后续措施。", "正文")
    para(doc, "3. 请将整改情况逐项登记在整改台账中（台账“问题编号”与本通知书所列问题编号一致），实行销号管理，"
              "整改完成一项、销号一项。", "正文")
    para(doc, "4. 对本通知书所列问题有异议的，请在收到本通知书之日起10个工作日内向{{ issuer }}书面说明情况并提供相关材料。",
         "正文")
    para(doc, "附件：1. 检查清单", "附件说明")
    para(doc, "{%p if waived %}", "附件说明")
    para(doc, "　　　2. 已批准豁免事项", "附件说明")
    para(doc, "{%p endif %}", "附件说明")
    para(doc, "{{ issuer }}", "发文机关署名")
    para(doc, "{{ as_of|date }}", "成文日期")

    para(doc, "附件1", "附件标识")
    para(doc, "检查清单", "附件标题")
    para(doc, "下表列出本次检查的全部规则及你单位的检查结果：发现问题、未发现问题、不适用（规则的适用条件不满足）、"
              "数据缺失（记录中缺少判断所需的数据）。", "附件说明文字")
    loop_table(doc, ["序号", "规则编号", "规则名称", "风险等级", "检查结果", "备注"], [1.2, 2.0, 6.2, 1.8, 2.4, 2.0],
               "for row in checklist",
               ["{{ row.number }}", "{{ row.rule }}", "{{ row.title }}", "{{ row.severity }}", "{{ row.label }}",
                "{{ row.note }}"])

    para(doc, "{%p if waived %}", "附件说明文字")
    para(doc, "附件2", "附件标识")
    para(doc, "已批准豁免事项", "附件标题")
    para(doc, "下列问题经批准豁免，不列入本通知书的整改事项；豁免到期后仍存在的，将在下次检查中重新列为问题。",
         "附件说明文字")
    loop_table(doc, ["序号", "规则", "问题", "对象", "豁免理由", "批准人", "有效期至"],
               [1.0, 1.6, 3.2, 2.2, 4.0, 1.8, 1.8], "for row in waived",
               ["{{ row.number }}", "{{ row.finding.rule }}", "{{ row.finding.title }}",
                "{{ row.finding.item or dash }}", "{{ row.reason }}", "{{ row.approver }}",
                "{% if row.expires %}{{ row.expires|date }}{% else %}未设期限{% endif %}"])
    para(doc, "{%p endif %}", "附件说明文字")

    para(doc, "", "正文")
    para(doc, "{%p if parent %}", "版记")
    para(doc, "抄送：{{ parent }}。", "版记")
    para(doc, "{%p endif %}", "版记")
    para(doc, "{{ issuer }}　　{{ as_of|date }}印发", "版记")


def _deterministic(data: bytes) -> bytes:
    """The same .docx with fixed zip timestamps, so rebuilding an unchanged template gives identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: (i.filename != "[Content_Types].xml", i.filename)):
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def build() -> bytes:
    """The template as .docx bytes."""
    doc = Document()
    build_styles(doc)
    page_setup(doc)
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):     # the default document's empty first paragraph
        body.remove(p)
    build_body(doc)
    props = doc.core_properties
    props.title = "{{ title }}"
    props.author = "{{ issuer }}"
    props.subject = "整改通知书"
    # no template markers in the properties: docxtpl renders them as templates too
    props.comments = "pbcheck 整改通知书模板（docxtpl）。可在 Word 中修改样式与文字；花括号标记请整体保留。"
    props.keywords = "pbcheck"
    props.created = props.modified = FIXED_TIME
    props.last_modified_by = "pbcheck"
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return _deterministic(buffer.getvalue())


def main(argv: list[str]) -> int:
    """Write the template to argv[1] or reports/notice.docx."""
    target = Path(argv[1]) if len(argv) > 1 else OUT
    target.write_bytes(build())
    print(f"已生成 Word 模板：{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
