"""The bundled example run rendered in every document format, checked against findings.json.

One run (module scope) over examples/records plus an invalid record (--keep-going) and a waiver:
every open finding must appear in its unit's notice in each format, the summary's counts must equal
findings.json, the ledgers must hold exactly the findings, and GD-10's injected markup must be literal.
"""
from __future__ import annotations

import csv
import datetime as dt
import html as htmllib
import io
import json
import re
import shutil
from collections import Counter

import docx
import openpyxl
import pytest

from checker.resources import resource_dir
from checker.pipeline.run import RunOptions, execute

FORMATS = ("html", "md", "docx", "summary", "xlsx", "csv")
INVALID_UNIT = """\
unit_id: GD-99
name: 测试无效记录党支部
parent: 华东工程公司党委
period: {start: 2025-01-01, end: 2025-12-31}
members: 二十
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("example")
    records = base / "records"
    shutil.copytree(resource_dir("examples") / "records", records)
    (records / "GD-99.yaml").write_text(INVALID_UNIT, encoding="utf-8")
    waivers = base / "waivers.yaml"
    waivers.write_text("waivers:\n  - {rule: FM06, unit: GD-02, reason: 制度汇编正在修订, approver: 审计处 李明, "
                       "expires: 2026-06-30}\n", encoding="utf-8")
    out = base / "out"
    outcome = execute(RunOptions(inputs=[str(records)], out_dir=out, formats=FORMATS, as_of=dt.date(2026, 1, 5),
                                 issuer="华东能源集团党委巡察办", doc_no="党建审〔2026〕{n}号", keep_going=True,
                                 waivers=waivers))
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return out, doc, outcome


def open_findings(doc):
    return [f for f in doc["findings"] if f["status"] == "open"]


def test_the_run_has_waived_open_and_invalid(run):
    _, doc, outcome = run
    assert outcome.exit_code == 2                       # an invalid unit, outputs written anyway
    assert [f["rule"] for f in doc["findings"] if f["status"] == "waived"] == ["FM06"]
    assert [u["unit"] for u in doc["units"] if u["status"] == "invalid"] == ["GD-99"]
    assert len(open_findings(doc)) > 20


def test_notices_exist_exactly_for_units_with_open_findings(run):
    out, doc, _ = run
    expected = sorted({f["unit"] for f in open_findings(doc)})
    for ext in ("html", "md", "docx"):
        assert sorted(p.stem for p in (out / "notices").glob(f"*.{ext}")) == expected, ext


def test_every_open_finding_appears_in_its_notice_in_every_format(run):
    out, doc, _ = run
    units = {f["unit"] for f in open_findings(doc)}
    pages = {u: (out / "notices" / f"{u}.html").read_text(encoding="utf-8") for u in units}
    mds = {u: (out / "notices" / f"{u}.md").read_text(encoding="utf-8") for u in units}
    words = {u: "\n".join(p.text for p in docx.Document(str(out / "notices" / f"{u}.docx")).paragraphs)
             for u in units}
    for f in open_findings(doc):
        unit = f["unit"]
        assert f["fingerprint"] in pages[unit] and htmllib.escape(f["message"], quote=True) in pages[unit]
        assert f["fingerprint"] in mds[unit]
        assert f["fingerprint"] in words[unit] and f["message"] in words[unit]
    for unit in units:
        count = sum(1 for f in open_findings(doc) if f["unit"] == unit)
        assert pages[unit].count("【问题描述】") == mds[unit].count("【问题描述】") == words[unit].count("【问题描述】") == count


def test_waived_finding_is_only_in_the_annex(run):
    out, doc, _ = run
    [w] = [f for f in doc["findings"] if f["status"] == "waived"]
    page = (out / "notices" / "GD-02.html").read_text(encoding="utf-8")
    body, annex = page.split('<section class="annex" id="annex-waived">')
    assert w["fingerprint"] not in body and w["message"] not in body
    assert "制度汇编正在修订" in annex and "审计处 李明" in annex and "2026年6月30日" in annex


def test_checklist_annex_lists_every_rule_with_the_units_states(run):
    out, doc, _ = run
    labels = {"fired": "发现问题", "passed": "未发现问题", "not_applicable": "不适用", "missing_data": "数据缺失"}
    unit = next(u for u in doc["units"] if u["unit"] == "GD-06")
    page = (out / "notices" / "GD-06.html").read_text(encoding="utf-8")
    rows = dict(re.findall(r'<td class="rule-id">(\w+)</td><td>[^<]*</td><td class="center">.</td>'
                           r'<td class="center">([^<]+)</td>', page.split('id="annex-checklist"')[1]))
    assert rows == {rule: labels[state] for rule, state in unit["checks"].items()}


def test_summary_counts_equal_findings_json(run):
    out, doc, _ = run
    page = (out / "summary.html").read_text(encoding="utf-8")
    opened = open_findings(doc)
    card = re.search(r'<div class="n">(\d+)</div><div class="label">需整改问题</div>', page)
    assert int(card.group(1)) == len(opened)
    by_sev = Counter(f["severity"] for f in opened)
    for sev in ("高", "中", "低"):
        row = re.search(rf'<tr><td>{sev}</td><td class="num">\d</td><td class="num">(\d+)</td>', page)
        assert int(row.group(1)) == by_sev[sev], sev
    by_rule = Counter(f["rule"] for f in opened)
    table = page.split('<section id="rules">')[1].split("</section>")[0]
    shown = {rule: int(n) for rule, n in re.findall(r'<td class="id">(\w+)</td><td>[^<]*</td><td>[^<]*</td>'
                                                   r'<td>[^<]*</td><td class="num">(\d+)</td>', table)}
    assert {r: n for r, n in shown.items() if n} == dict(by_rule)
    units_with = {f["unit"] for f in opened}
    ranking = page.split('<section id="ranking">')[1].split("</section>")[0]
    assert sorted(re.findall(r'<a href="notices/([^"]+)\.html">', ranking)) == sorted(units_with)
    for unit in units_with:
        assert (out / "notices" / f"{unit}.html").is_file()


def test_summary_shows_invalid_units_as_unchecked(run):
    out, _, _ = run
    page = (out / "summary.html").read_text(encoding="utf-8")
    section = page.split('<section id="invalid">')[1]
    assert "GD-99" in section and "测试无效记录党支部" in section and "未检查" in section and "members" in section


def test_ledgers_hold_exactly_the_findings(run):
    out, doc, _ = run
    ws = openpyxl.load_workbook(out / "ledger.xlsx")["整改台账"]
    keys = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert keys == [f["fingerprint"] for f in doc["findings"]]
    rows = list(csv.reader(io.StringIO((out / "ledger.csv").read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == keys
    for path in (out / "ledgers").glob("*.xlsx"):
        sheet = openpyxl.load_workbook(path)["整改台账"]
        own = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert own == [f["fingerprint"] for f in doc["findings"] if f["unit"] == path.stem]
    assert sorted(p.stem for p in (out / "ledgers").glob("*.xlsx")) == sorted({f["unit"] for f in doc["findings"]})


def test_injected_markup_in_records_is_shown_literally_everywhere(run):
    out, _, _ = run
    raw = "<script>alert(1)</script> 和 {{ 7*7 }}"
    page = (out / "notices" / "GD-10.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 和 {{ 7*7 }}" in page and "<script>" not in page
    md = (out / "notices" / "GD-10.md").read_text(encoding="utf-8")
    assert r"\<script\>alert(1)\</script\> 和 {{ 7\*7 }}" in md
    document = docx.Document(str(out / "notices" / "GD-10.docx"))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert any(raw in c for c in cells)
