"""Tests for checker.pipeline.manual: auditor-entered findings, their validation and their way into every output."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from checker.errors import RecordError, UsageError
from checker.findings import FIRED, UnitResult, fingerprint
from checker.pipeline.manual import load_manual, merge_manual, parse_manual, read_manual, unit_problems
from checker.resources import resource_dir
from checker.pipeline.run import RunOptions, execute
from checker.inputs.source import load_yaml

SEVERITIES = {"高": 30, "中": 60, "低": 90}
AS_OF = dt.date(2026, 1, 5)
PERIOD = "2025-01-01/2025-12-31"

VALID = """\
findings:
  - unit: GD-07
    title: 党员活动室被挪作仓库
    severity: 中
    message: 现场检查发现党员活动室堆放施工材料，无法正常开展活动。
    remedy: 一个月内清理党员活动室并恢复使用。
    tags: [形式化, 形式化, 阵地建设]
    refs: "《中国共产党支部工作条例（试行）》"
    evidence:
      - 现场照片-0412.jpg
      - {kind: 访谈记录, key: 访谈-03, note: 支部书记口述, date: 2026-01-04}
  - unit: GD-01
    title: 党员示范岗未亮身份
    severity: 低
    message: 示范岗人员未佩戴党员徽章。
    remedy: 规范亮身份。
"""


def parse(text: str):
    return parse_manual(load_yaml(text, "m.yaml"), "m.yaml", list(SEVERITIES))


def result(uid: str) -> UnitResult:
    return UnitResult(uid, f"{uid}党支部", None, "党支部", PERIOD, f"{uid}.yaml", (), {"FM03": FIRED})


def test_valid_entries_get_file_order_ids_and_normalised_fields():
    entries, problems = parse(VALID)
    assert problems == []
    first, second = entries
    assert (first.rule, second.rule) == ("MAN-1", "MAN-2")
    assert first.tags == ("形式化", "阵地建设") and first.refs == ("《中国共产党支部工作条例（试行）》",)
    assert first.evidence == ({"kind": "material", "key": "现场照片-0412.jpg"},
                              {"kind": "访谈记录", "key": "访谈-03", "note": "支部书记口述", "date": "2026-01-04"})
    assert (first.location.line, first.unit_location.line, first.unit_location.col) == (2, 2, 11)
    assert second.tags == () and second.refs == () and second.evidence == ()


def test_fingerprint_depends_on_unit_and_title_not_on_position():
    entries, _ = parse(VALID)
    swapped = VALID.replace("  - unit: GD-01", "  - unit: GD-01").split("  - unit: ")
    reordered = swapped[0] + "  - unit: " + swapped[2].rstrip("\n") + "\n" + "  - unit: " + swapped[1]
    again, problems = parse(reordered)
    assert problems == [] and [e.rule for e in again] == ["MAN-1", "MAN-2"] and again[0].unit == "GD-01"
    assert {e.title: e.fingerprint for e in entries} == {e.title: e.fingerprint for e in again}
    assert entries[0].fingerprint == fingerprint("MAN", "GD-07", ["党员活动室被挪作仓库"])


def test_merge_appends_manual_findings_with_unit_period_and_severity_deadline():
    entries, _ = parse(VALID)
    merged = merge_manual([result("GD-01"), result("GD-07"), result("GD-02")], entries, SEVERITIES, AS_OF)
    assert [len(r.findings) for r in merged] == [1, 1, 0]
    f = merged[1].findings[0]
    assert (f.rule, f.unit, f.period, f.severity, f.source, f.status, f.item, f.composite) == \
        ("MAN-1", "GD-07", PERIOD, "中", "manual", "open", None, False)
    assert f.deadline == "2026-03-06"                        # 中: 60 days from the as-of date
    assert merged[0].findings[0].deadline == "2026-04-05"    # 低: 90 days
    assert f.to_json()["source"] == "manual"
    assert merged[1].checks == {"FM03": FIRED}               # the pack's checklist is untouched


def test_every_problem_is_reported_with_line_and_column():
    text = """\
findings:
  - unit: GD-07
    title: 缺少整改要求
    severity: 严重
    message: 描述
    tag: [形式化]
  - unit: GD-07
    severity: 中
    message: 12
    remedy: 整改
    evidence: [{kind: 照片}, [嵌套]]
  - 只是一句话
"""
    entries, problems = parse(text)
    assert entries == []
    shown = [str(p) for p in problems]
    assert shown == [
        "m.yaml:2:5: required [GD-07] findings[0].remedy：缺少必填字段（整改要求）",
        "m.yaml:4:15: enum [GD-07] findings[0].severity：期望 高、中、低 之一，实际 “严重”",
        "m.yaml:6:5: unknown-field [GD-07] findings[0]：未知字段 “tag”；是否为 “tags”？",
        "m.yaml:7:5: required [GD-07] findings[1].title：缺少必填字段（问题标题）",
        "m.yaml:9:14: type-error [GD-07] findings[1].message：期望 文字（问题描述），实际 整数 12",
        "m.yaml:11:16: required [GD-07] findings[1].evidence[0].key：期望 非空文字，实际 空值 null",
        "m.yaml:11:28: type-error [GD-07] findings[1].evidence[1]：期望 文件名或含 kind、key 的映射，实际 列表",
        "m.yaml:12:5: type-error findings[2]：期望 映射（unit、title、severity、message、remedy…），实际 字符串 \"只是一句话\"",
    ]


def test_duplicate_title_in_one_unit_is_an_error():
    text = VALID + VALID.split("findings:\n")[1].split("  - unit: GD-01")[0]
    entries, problems = parse(text)
    assert len(entries) == 2
    (p,) = problems
    assert (p.code, p.location.line, p.location.col) == ("duplicate", 18, 12) and "（m.yaml:2）" in p.message


def test_unknown_and_unchecked_units_are_errors_at_the_unit():
    entries, _ = parse(VALID.replace("unit: GD-07", "unit: GD-7"))
    problems = unit_problems(entries, ["GD-07", "GD-01"])
    (p,) = problems
    assert (p.code, p.location.line, p.location.col) == ("unknown-unit", 2, 11)
    assert "“GD-7” 不在本次检查的单位记录中；是否为 “GD-07”？" in p.message
    (q,) = unit_problems(entries, ["GD-01"], unchecked_units=["GD-7"])
    assert q.code == "unit-not-checked"
    (r,) = unit_problems(parse(VALID)[0], ["GD-07", "GD-01"], rule_ids={"MAN-2"})
    assert r.code == "id-clash"


def test_file_level_errors(tmp_path):
    with pytest.raises(UsageError):
        read_manual(tmp_path / "none.yaml", SEVERITIES)
    path = tmp_path / "m.yaml"
    path.write_text("finding: []\n", encoding="utf-8")
    with pytest.raises(RecordError) as err:
        load_manual(path, SEVERITIES)
    assert {p.code for p in err.value.problems} == {"unknown-field", "missing-field"}
    path.write_text("findings: [\n", encoding="utf-8")
    with pytest.raises(RecordError) as err:
        load_manual(path, SEVERITIES)
    assert err.value.problems[0].location.file == str(path)
    path.write_text("findings:\n", encoding="utf-8")
    assert load_manual(path, SEVERITIES) == []


def test_run_puts_manual_findings_in_findings_json_notices_and_ledger(tmp_path):
    manual = tmp_path / "manual.yaml"
    manual.write_text(VALID, encoding="utf-8")
    out = tmp_path / "out"
    outcome = execute(RunOptions(inputs=[str(resource_dir("examples") / "records")], out_dir=out,
                                 formats=["md", "csv"], as_of=AS_OF, manual=manual))
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    manual_findings = [f for f in doc["findings"] if f["source"] == "manual"]
    assert [(f["rule"], f["unit"], f["title"]) for f in manual_findings] == \
        [("MAN-2", "GD-01", "党员示范岗未亮身份"), ("MAN-1", "GD-07", "党员活动室被挪作仓库")]
    assert manual_findings[1]["evidence"][0] == {"kind": "material", "key": "现场照片-0412.jpg"}
    # GD-01 had no open finding before: the manual one alone gives it a notice
    notice = (out / "notices" / "GD-01.md").read_text(encoding="utf-8")
    assert "党员示范岗未亮身份" in notice and "示范岗人员未佩戴党员徽章。" in notice and "规范亮身份。" in notice
    assert "党员活动室被挪作仓库" in (out / "notices" / "GD-07.md").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO((out / "ledger.csv").read_text(encoding="utf-8-sig"))))
    ledger = [r for r in rows if any("党员活动室被挪作仓库" in c for c in r)]
    assert len(ledger) == 1 and manual_findings[1]["fingerprint"] in ledger[0]
    assert any("人工" in c for c in ledger[0])
    assert outcome.exit_code == 1


def test_run_with_a_manual_finding_for_an_unknown_unit_fails_before_writing(tmp_path):
    manual = tmp_path / "manual.yaml"
    manual.write_text(VALID.replace("unit: GD-01", "unit: GD-99"), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(RecordError) as err:
        execute(RunOptions(inputs=[str(resource_dir("examples") / "records" / "GD-01.yaml")], out_dir=out,
                           formats=["md"], as_of=AS_OF, manual=manual))
    assert {p.code for p in err.value.problems} == {"unknown-unit"}
    assert len(err.value.problems) == 2                  # GD-07 and GD-99 are both absent from this run
    assert not out.exists()
