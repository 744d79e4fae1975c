"""Tests for checker.pipeline.waivers: the waivers file, matching, expiry, the applied/expired/unused report, a real run."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli.main import cli
from checker.errors import UsageError
from checker.findings import FIRED, Finding, UnitResult, fingerprint
from checker.resources import resource_dir
from checker.pipeline.run import RunOptions, execute, exit_status
from checker.inputs.source import load_yaml
from checker.pipeline.waivers import Waiver, WaiverError, apply_waivers, load_waivers, parse_waivers, summary_lines
from checker.errors import Location

AS_OF = dt.date(2026, 1, 5)
RULES = {"FM03", "FM06", "DC01", "X01", "RS01"}
PERIOD = "2025-01-01/2025-12-31"


def finding(rule: str, unit: str = "GD-07", item: str | None = None, severity: str = "中") -> Finding:
    keys = [item or unit]
    return Finding(rule=rule, unit=unit, period=PERIOD, severity=severity, title=f"{rule}标题", tags=("形式化",),
                   refs=(), message=f"{rule} {item}", remedy="整改", evidence=({"kind": "x", "key": keys[0]},),
                   deadline="2026-03-06", fingerprint=fingerprint(rule, unit, keys), item=item)


def unit(uid: str, *findings: Finding) -> UnitResult:
    return UnitResult(uid, f"{uid}党支部", None, "党支部", PERIOD, f"{uid}.yaml", tuple(findings),
                      {f.rule: FIRED for f in findings})


def waiver(rule: str, unit_id: str = "GD-07", item: str | None = None, expires: dt.date = dt.date(2026, 6, 30),
           line: int = 2) -> Waiver:
    return Waiver(rule, unit_id, item, "理由", "审计处 李明", expires, Location("w.yaml", line, 5))


def parse(text: str, rules=RULES) -> list[Waiver]:
    return parse_waivers(load_yaml(text, "w.yaml"), "w.yaml", rules)


# ---------------------------------------------------------------------------------------------
# The file

VALID = """\
waivers:
  - rule: FM06          # required
    unit: GD-07
    item: null
    reason: 制度文件正在修订，新版发布前暂缓
    approver: 审计处 李明
    expires: 2026-06-30
  - {rule: FM03, unit: "*", item: M-2025-03#1, reason: 会议记录已补正, approver: 巡察办 王芳, expires: 2026-01-05}
"""


def test_valid_file_reads_every_field_and_where_each_waiver_is_written():
    first, second = parse(VALID)
    assert (first.rule, first.unit, first.item, first.reason, first.approver, first.expires) == \
        ("FM06", "GD-07", None, "制度文件正在修订，新版发布前暂缓", "审计处 李明", dt.date(2026, 6, 30))
    assert first.source == "w.yaml:2"
    assert (second.rule, second.unit, second.item, second.expires) == ("FM03", "*", "M-2025-03#1", dt.date(2026, 1, 5))
    assert second.source == "w.yaml:8"
    assert first.to_json() == {"rule": "FM06", "unit": "GD-07", "item": None, "reason": "制度文件正在修订，新版发布前暂缓",
                               "approver": "审计处 李明", "expires": "2026-06-30", "source": "w.yaml:2"}


def test_every_missing_required_field_is_reported_with_its_line_all_at_once():
    text = """\
waivers:
  - rule: FM06
    unit: GD-07
    approver: 审计处 李明
    expires: 2026-06-30
  - rule: FM03
    unit: GD-07
    reason: 暂缓
  - rule: DC01
    unit: GD-07
    reason: "   "
    approver: 李明
    expires: 2026-06-30
"""
    with pytest.raises(WaiverError) as err:
        parse(text)
    shown = [str(p) for p in err.value.problems]
    assert shown == [
        "w.yaml:2:5: missing-key 第1项豁免缺少 reason（豁免理由）",
        "w.yaml:6:5: missing-key 第2项豁免缺少 approver（批准人）",
        "w.yaml:6:5: missing-key 第2项豁免缺少 expires（有效期至，如 2026-06-30）",
        "w.yaml:11:13: missing-key 第3项豁免的 reason（豁免理由）不能为空",
    ]
    assert err.value.exit_code == 2


def test_unknown_rule_is_an_error_at_the_rule_with_a_suggestion():
    text = "waivers:\n  - {rule: FM6, unit: GD-07, reason: r, approver: a, expires: 2026-06-30}\n" \
           "  - {rule: ZZ99, unit: GD-07, reason: r, approver: a, expires: 2026-06-30}\n"
    with pytest.raises(WaiverError) as err:
        parse(text)
    first, second = err.value.problems
    assert (first.location.line, first.location.col, first.code) == (2, 12, "unknown-rule")
    assert "“FM6” 不在规则包中" in first.message and "是否为 FM06" in first.message
    assert second.location.line == 3 and "ZZ99" in second.message and "是否为" not in second.message


def test_unknown_keys_wrong_types_and_bad_dates_are_errors():
    text = """\
waivers:
  - rule: FM06
    unit: GD-07
    reasn: 拼错了
    reason: r
    approver: [李明]
    expires: 2026/6/30
    item: 3.5
"""
    with pytest.raises(WaiverError) as err:
        parse(text)
    by_code = {(p.code, p.location.line) for p in err.value.problems}
    assert by_code == {("unknown-key", 4), ("type-error", 6), ("bad-date", 7), ("type-error", 8)}
    unknown = next(p for p in err.value.problems if p.code == "unknown-key")
    assert "是否应为 reason" in unknown.message


def test_json_waivers_take_iso_date_strings_and_file_level_mistakes_are_errors(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"waivers": [{"rule": "FM06", "unit": "GD-07", "reason": "r", "approver": "a",
                                             "expires": "2026-06-30"}]}), encoding="utf-8")
    (w,) = load_waivers(path, RULES)
    assert w.expires == dt.date(2026, 6, 30) and w.location.line == 1
    with pytest.raises(WaiverError) as err:
        parse("waiver:\n  - {rule: FM06}\n")
    assert {p.code for p in err.value.problems} == {"unknown-key", "missing-key"}
    with pytest.raises(WaiverError):
        parse("waivers: {rule: FM06}\n")
    with pytest.raises(WaiverError):
        parse("- rule: FM06\n")
    assert parse("waivers: []\n") == [] and parse("waivers:\n") == []


def test_missing_file_is_a_usage_error_and_yaml_syntax_errors_have_positions(tmp_path):
    with pytest.raises(UsageError):
        load_waivers(tmp_path / "none.yaml", RULES)
    bad = tmp_path / "bad.yaml"
    bad.write_text("waivers:\n  - rule: FM06\n   unit: x\n", encoding="utf-8")
    with pytest.raises(WaiverError) as err:
        load_waivers(bad, RULES)
    assert err.value.problems[0].location.file == str(bad) and err.value.problems[0].location.line == 3


# ---------------------------------------------------------------------------------------------
# Matching and expiry


def test_matching_rule_exact_unit_exact_or_star_item_exact_or_every_item():
    f_item = finding("FM03", item="M-1#1")
    f_unit = finding("FM06")
    assert waiver("FM03").matches(f_item)                                # item null: every finding of the rule
    assert waiver("FM03", item="M-1#1").matches(f_item)
    assert not waiver("FM03", item="M-1#2").matches(f_item)
    assert not waiver("FM03", item="M-1#1").matches(f_unit)               # an item never matches a unit finding
    assert waiver("FM06", "*").matches(f_unit) and waiver("FM06", "*").matches(finding("FM06", unit="GD-01"))
    assert not waiver("FM06", "GD-01").matches(f_unit)
    assert not waiver("FM0", "*").matches(f_unit) and not waiver("fm06").matches(f_unit)


def test_applied_waiver_marks_findings_waived_keeps_order_and_reports_fingerprints():
    a, b, c = finding("FM03", item="M-1#1"), finding("FM03", item="M-1#2"), finding("FM06")
    results = [unit("GD-07", c, a, b), unit("GD-01", finding("FM03", unit="GD-01", item="M-9#1"))]
    out = apply_waivers(results, [waiver("FM03")], AS_OF)
    gd07 = out.results[0]
    assert [f.rule for f in gd07.findings] == ["FM06", "FM03", "FM03"]          # order kept
    assert [f.status for f in gd07.findings] == ["open", "waived", "waived"]
    assert gd07.findings[1].waiver == waiver("FM03").to_json()
    assert out.results[1].findings[0].status == "open"                          # other unit untouched
    (applied,) = out.report["applied"]
    assert applied["findings"] == [a.fingerprint, b.fingerprint]
    assert out.report["expired"] == [] and out.report["unused"] == []
    assert out.waived_count == 2
    assert results[0].findings[1].status == "open"                              # inputs not mutated


def test_expiry_against_as_of_the_last_day_still_applies():
    f = finding("FM06")
    on_the_day = apply_waivers([unit("GD-07", f)], [waiver("FM06", expires=AS_OF)], AS_OF)
    assert on_the_day.results[0].findings[0].status == "waived"
    day_before = apply_waivers([unit("GD-07", f)], [waiver("FM06", expires=AS_OF - dt.timedelta(days=1))], AS_OF)
    assert day_before.results[0].findings[0].status == "open"
    (expired,) = day_before.report["expired"]
    assert expired["expires"] == "2026-01-04" and expired["findings"] == [f.fingerprint]
    assert day_before.report["applied"] == [] and day_before.report["unused"] == []


def test_unused_waivers_say_why_nothing_matched():
    results = [unit("GD-07", finding("FM03", item="M-1#1"))]
    ws = [waiver("FM06", "GD-99", line=2), waiver("FM06", "GD-08", line=3), waiver("FM06", "GD-07", line=4),
          waiver("FM03", "GD-07", item="M-1#2", line=5), waiver("RS01", "*", line=6),
          waiver("FM06", "GD-99", expires=dt.date(2020, 1, 1), line=7)]
    report = apply_waivers(results, ws, AS_OF, unchecked_units=["GD-08"]).report
    assert [(e["source"], e["note"]) for e in report["unused"]] == [
        ("w.yaml:2", "本次检查不包含单位 GD-99"),
        ("w.yaml:3", "单位 GD-08 的记录未通过校验，本次未检查"),
        ("w.yaml:4", "单位 GD-07本次均未发现 FM06 问题"),
        ("w.yaml:5", "单位 GD-07的 FM03 问题中没有事项 M-1#2"),
        ("w.yaml:6", "任何单位本次均未发现 RS01 问题"),
    ]
    assert [e["source"] for e in report["expired"]] == ["w.yaml:7"]          # expired wins over unused


def test_the_most_specific_waiver_is_recorded_on_the_finding():
    f = finding("FM03", item="M-1#1")
    ws = [waiver("FM03", "*", line=2), waiver("FM03", "GD-07", line=3), waiver("FM03", "GD-07", item="M-1#1", line=4),
          waiver("FM03", "GD-07", item="M-1#1", line=5)]
    out = apply_waivers([unit("GD-07", f)], ws, AS_OF)
    assert out.results[0].findings[0].waiver["source"] == "w.yaml:4"
    assert [e["source"] for e in out.report["applied"]] == ["w.yaml:2", "w.yaml:3", "w.yaml:4", "w.yaml:5"]
    only_star = apply_waivers([unit("GD-07", f)], ws[:2], AS_OF)
    assert only_star.results[0].findings[0].waiver["source"] == "w.yaml:3"


def test_exit_status_counts_only_open_findings():
    high = finding("RS01", severity="高")
    results = [unit("GD-07", high)]
    assert exit_status(results, [], "高") == 1
    waived = apply_waivers(results, [waiver("RS01")], AS_OF).results
    assert exit_status(waived, [], "高") == 0
    assert exit_status(waived, [], "低") == 0


def test_summary_lines_count_and_list_expired_and_unused_with_file_line():
    results = [unit("GD-07", finding("FM06"), finding("FM03", item="M-1#1"))]
    ws = [waiver("FM06", line=2), waiver("FM03", "*", item="M-1#1", expires=dt.date(2025, 12, 31), line=8),
          waiver("DC01", "GD-99", line=14)]
    out = apply_waivers(results, ws, AS_OF)
    assert summary_lines(out.report, out.waived_count) == [
        "豁免：已适用 1 项（豁免问题 1 条），已过期 1 项，未使用 1 项。",
        "  已过期：w.yaml:8 FM03 全部单位 事项 M-1#1，有效期至 2025-12-31，相关问题按未豁免处理",
        "  未使用：w.yaml:14 DC01 GD-99（本次检查不包含单位 GD-99）",
    ]
    assert summary_lines({"applied": [], "expired": [], "unused": []}, 0) == []


# ---------------------------------------------------------------------------------------------
# A real run


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    out = tmp_path_factory.mktemp("baseline")
    outcome = execute(RunOptions(inputs=[str(resource_dir("examples") / "records")], out_dir=out, formats=["md"],
                                 as_of=AS_OF))
    return outcome, json.loads((out / "findings.json").read_text(encoding="utf-8"))


def test_run_with_waivers_reports_applied_expired_unused_and_exits_on_open_findings_only(baseline, tmp_path):
    outcome, doc = baseline
    assert outcome.exit_code == 1
    high = [f for f in doc["findings"] if f["severity"] == "高" and not f["composite"]]
    medium = [f for f in doc["findings"] if f["severity"] == "中" and not f["composite"]]
    composites = [f for f in doc["findings"] if f["composite"] and f["severity"] == "高"]
    assert high and len(medium) >= 2 and composites
    lines = ["waivers:"]
    for f in high + composites:       # every 高 finding, each by rule, unit and item
        item = json.dumps(f["item"], ensure_ascii=False)
        lines.append(f"  - {{rule: {f['rule']}, unit: {f['unit']}, item: {item}, reason: 已批准, approver: 审计处 李明,"
                     f" expires: 2026-06-30}}")
    expired_line = len(lines) + 1
    lines.append(f"  - {{rule: {medium[0]['rule']}, unit: {medium[0]['unit']}, item: {json.dumps(medium[0]['item'])},"
                 f" reason: 已过期, approver: 李明, expires: 2026-01-04}}")
    unused_line = len(lines) + 1
    lines.append("  - {rule: FM06, unit: GD-99, reason: 无此单位, approver: 李明, expires: 2026-06-30}")
    path = tmp_path / "waivers.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = execute(RunOptions(inputs=[str(resource_dir("examples") / "records")], out_dir=out, formats=["md"],
                                as_of=AS_OF, waivers=path))
    assert result.exit_code == 0                                  # 高 findings are all waived
    after = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert [(f["rule"], f["unit"], f["item"]) for f in after["findings"]] == \
        [(f["rule"], f["unit"], f["item"]) for f in doc["findings"]]      # nothing dropped, composites unchanged
    statuses = {f["fingerprint"]: f["status"] for f in after["findings"]}
    assert all(statuses[f["fingerprint"]] == "waived" for f in high + composites)
    assert statuses[medium[0]["fingerprint"]] == "open"
    waived = next(f for f in after["findings"] if f["status"] == "waived")
    assert waived["waiver"]["approver"] == "审计处 李明" and waived["waiver"]["source"].startswith(str(path) + ":")
    report = after["waivers"]
    assert len(report["applied"]) == len(high) + len(composites)
    assert [e["source"] for e in report["expired"]] == [f"{path}:{expired_line}"]
    assert report["expired"][0]["findings"] == [medium[0]["fingerprint"]]
    assert [e["source"] for e in report["unused"]] == [f"{path}:{unused_line}"]
    assert result.waivers == report
    # a unit whose every finding is waived gets no notice; one with an open finding still does
    for u in after["units"]:
        open_ = [f for f in after["findings"] if f["unit"] == u["unit"] and f["status"] == "open"]
        assert (out / "notices" / f"{u['unit']}.md").exists() == bool(open_), u["unit"]


def test_cli_reports_waiver_errors_with_file_line_and_exit_2(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n  - rule: FM06\n    unit: GD-07\n    expires: 2026-06-30\n", encoding="utf-8")
    records = resource_dir("examples") / "records" / "GD-01.yaml"
    result = CliRunner().invoke(cli, ["run", str(records), "--out", str(tmp_path / "out"), "--waivers", str(path),
                                      "--no-history", "--format", "md"])
    assert result.exit_code == 2
    assert f"{path}:2:5: missing-key 第1项豁免缺少 reason（豁免理由）" in result.output
    assert f"{path}:2:5: missing-key 第1项豁免缺少 approver（批准人）" in result.output
    assert not (tmp_path / "out").exists()
