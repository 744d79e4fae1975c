"""Thousands of units in one run: no 1024-state limit, streaming input, every unit checked."""
from __future__ import annotations

import datetime as dt

import yaml

from checker.pipeline.run import check_stream, compile_for_run
from checker.inputs.loaders import load_units


class _NoAliasDumper(yaml.SafeDumper):
    """Write shared objects (dates) out in full: the loader refuses YAML aliases."""

    def ignore_aliases(self, data):
        return True


def _unit(i: int) -> dict:
    # A lean record (the test is about engine states, not throughput): a few items per list.
    return {
        "unit_id": f"U-{i:05d}", "name": f"第{i}党支部", "org_type": "党支部", "parent": "测试公司党委",
        "period": {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)},
        "members": 20, "party_workers": 1,
        "branch_committee": {"established": True, "elected_on": dt.date(2024, 1, 1), "term_years": 3, "members": 5},
        "leaders": [{"name": "张伟", "party_role": "书记", "business_role": "副经理", "in_business_team": True,
                     "dual_duty_letter": True, "party_work_report": True, "annual_review": True, "training_hours": 60}],
        "meetings": [{"id": "M1", "type": "支委会", "date": dt.date(2025, 3, 1), "expected": 5, "present": 5,
                      "evidence": ["a.pdf"], "decisions": [{"text": "甲", "owner": "李", "due": dt.date(2025, 4, 1), "done": True}]}],
        "assessment": {"party_weight": 0.1 if i % 3 == 0 else 0.3, "linked_to_pay": True},
    }


def test_1500_units_in_one_run(tmp_path):
    """1,500 units stream from one file through one engine; each gets its own state, deleted after it."""
    path = tmp_path / "many.yaml"
    path.write_text(yaml.dump({"units": [_unit(i) for i in range(1500)]}, Dumper=_NoAliasDumper, allow_unicode=True),
                    encoding="utf-8")
    compiled = compile_for_run(None, [])
    results = list(check_stream(compiled, load_units([path]), dt.date(2026, 1, 1), True))
    assert len(results) == 1500
    assert all(getattr(r, "status", None) == "checked" for r in results)
    fired = [r.unit for r in results if any(f.rule == "BO02" for f in r.findings)]
    assert len(fired) == 500 and fired[0] == "U-00000" and fired[-1] == "U-01497"
