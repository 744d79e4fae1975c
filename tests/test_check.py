"""The per-unit check: atoms and skeleton, checklist states, evidence, fingerprints, deadlines, chaining."""
from __future__ import annotations

import datetime as dt

import pytest

from checker.engine.check import check_unit
from checker.engine.reference import AtomValue, evaluate_skeleton
from checker.engine.compile import Skel, compile_pack
from checker.engine.durable import Engine
from checker.errors import InternalError, Location
from checker.findings import fingerprint
from checker.pack.loader import load_pack
from checker.inputs.records import UnitRecord, validate_unit
from checker.engine.selftest import PackTester, deep_merge

AS_OF = dt.date(2026, 1, 15)


@pytest.fixture(scope="module")
def tester():
    return PackTester(load_pack())


@pytest.fixture(scope="module")
def compiled():
    return compile_pack(load_pack())


@pytest.fixture(scope="module")
def engine(compiled):
    return Engine(compiled.ruleset)


def record(tester, patch) -> UnitRecord:
    data, problems = validate_unit(deep_merge(tester.base, patch), "test.yaml")
    assert not problems, problems
    return UnitRecord(data["unit_id"], data, "test.yaml", Location("test.yaml", 1, 1))


def run(tester, compiled, engine, patch):
    return check_unit(compiled, engine, record(tester, patch), AS_OF)


def atom(value, dep=False):
    return AtomValue(value, dep)


@pytest.mark.parametrize(("skel", "atoms", "expected"), [
    (Skel("and", (Skel("atom", atom=0), Skel("atom", atom=1))), [atom(True), atom(False, True)], (False, True)),
    (Skel("and", (Skel("atom", atom=0), Skel("atom", atom=1))), [atom(False), atom(False, True)], (False, False)),
    (Skel("or", (Skel("atom", atom=0), Skel("atom", atom=1))), [atom(False), atom(False, True)], (False, True)),
    (Skel("or", (Skel("atom", atom=0), Skel("atom", atom=1))), [atom(True), atom(False, True)], (True, False)),
    (Skel("not", (Skel("atom", atom=0),)), [atom(False, True)], (True, True)),
])
def test_skeleton_tracks_whether_a_missing_value_decided(skel, atoms, expected):
    """A false result counts as missing data only when a null could have changed it."""
    assert evaluate_skeleton(skel, atoms) == expected


def test_clean_base_record_passes_every_rule(tester, compiled, engine):
    """The compliant baseline has no findings and no rule in a missing-data state."""
    result = run(tester, compiled, engine, {})
    assert result.findings == ()
    assert set(result.checks) == {r.id for r in compiled.rules}
    assert all(state in ("passed", "not_applicable") for state in result.checks.values()), result.checks


def test_checklist_states(tester, compiled, engine):
    """fired / not_applicable / missing_data / passed come out per rule."""
    result = run(tester, compiled, engine, {
        "branch_committee": {"established": False},
        "assessment": {"party_score": 95},
        "kpis": [],
        "major_decisions": [{"id": "D1", "title": "分包商选定", "category": "重大项目", "decided_on": dt.date(2025, 5, 20),
                             "secretary_attended": True}],
    })
    assert result.checks["DC01"] == "fired"
    assert result.checks["RS01"] == "not_applicable"
    assert result.checks["PO05"] == "missing_data"
    assert result.checks["DC02"] == "missing_data"     # it needed prestudy_on, which is null
    assert result.checks["SY01"] == "passed"


def test_per_item_evidence_keys_and_fields(tester, compiled, engine):
    """A per-item finding names its item by records.md key, with the item's fields as evidence."""
    result = run(tester, compiled, engine, {"meetings": [
        {"id": "M1", "type": "支委会", "date": dt.date(2025, 3, 1), "expected": 5, "present": 5, "evidence": ["a.pdf"],
         "decisions": [{"text": "甲", "owner": "李强", "due": dt.date(2025, 4, 1), "done": True}, {"text": "乙"}]}]})
    fm03 = [f for f in result.findings if f.rule == "FM03"]
    assert [f.item for f in fm03] == ["M1#2"]
    ev = fm03[0].evidence[0]
    assert ev["kind"] == "meeting_decision" and ev["key"] == "M1#2" and ev["parent"] == "M1"
    assert ev["owner"] is None and ev["text"] == "乙"
    assert fm03[0].fingerprint == fingerprint("FM03", "BASE-01", ["M1#2"])
    assert "乙" in fm03[0].message and "责任人" in fm03[0].message


def test_unit_level_evidence_carries_the_values(tester, compiled, engine):
    """A unit-level finding's evidence holds the indicator values its condition compared."""
    result = run(tester, compiled, engine, {"assessment": {"party_weight": 0.1}})
    bo02 = next(f for f in result.findings if f.rule == "BO02")
    assert bo02.evidence[0]["kind"] == "unit" and bo02.evidence[0]["key"] == "BASE-01"
    assert bo02.evidence[0]["values"]["assessment.party_weight"] == 0.1
    assert "10%" in bo02.message and "20%" in bo02.message


def test_deadline_counts_from_as_of_by_severity(tester, compiled, engine):
    """高 30 days, 中 60 days after --as-of."""
    result = run(tester, compiled, engine, {"assessment": {"party_weight": 0.1},
                                            "major_decisions": [{"id": "D1", "title": "t", "category": "重大项目",
                                                                 "decided_on": dt.date(2025, 5, 20), "secretary_attended": True}]})
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["BO02"].deadline == (AS_OF + dt.timedelta(days=60)).isoformat()
    assert by_rule["DC01"].deadline == (AS_OF + dt.timedelta(days=30)).isoformat()


def test_composite_fires_by_chaining_with_its_evidence(tester, compiled, engine):
    """X01 fires on three distinct 形式化 rules and lists the findings it rests on."""
    result = run(tester, compiled, engine, {"meetings": [
        {"id": "M1", "type": "支部党员大会", "date": dt.date(2025, 3, 1), "recorded_on": dt.date(2025, 5, 1),
         "expected": 10, "present": 5, "evidence": ["a.pdf"], "decisions": [{"text": "开展技术攻关"}]}]})
    x01 = next(f for f in result.findings if f.rule == "X01")
    rules = {e["rule"] for e in x01.evidence}
    assert {"FM03", "FM04", "RS05"} <= rules
    assert all(e["kind"] == "finding" and e["fingerprint"] for e in x01.evidence)
    assert x01.composite and x01.item is None


def test_fingerprints_are_stable_across_runs(tester, compiled, engine):
    """The same record gives the same fingerprints (they key the ledger and the history)."""
    patch = {"assessment": {"party_weight": 0.1}}
    first = [f.fingerprint for f in run(tester, compiled, engine, patch).findings]
    second = [f.fingerprint for f in run(tester, compiled, engine, patch).findings]
    assert first == second and len(set(first)) == len(first)


def test_verify_stops_when_engine_and_reference_disagree(tester, compiled, monkeypatch):
    """With verify, a disagreement of the engine and the Python reference stops the check, naming unit and rule."""
    engine = Engine(compiled.ruleset)
    patch = {"assessment": {"party_weight": 0.1}}
    check_unit(compiled, engine, record(tester, patch), AS_OF, verify=True)       # they agree
    monkeypatch.setattr("checker.engine.check.UnitSession.on_action", lambda self, name, closure: None)
    with pytest.raises(InternalError, match="不一致：单位 BASE-01 规则 BO02"):
        check_unit(compiled, engine, record(tester, patch), AS_OF, verify=True)


def test_the_engine_decides_without_python_evaluating_conditions(tester, compiled, monkeypatch):
    """A default check never calls the reference evaluator: the findings come from the engine alone."""
    import checker.engine.reference as reference
    monkeypatch.setattr(reference, "evaluate_skeleton", lambda *a: (_ for _ in ()).throw(AssertionError("evaluated")))
    monkeypatch.setattr(reference, "evaluate_atom", lambda *a: (_ for _ in ()).throw(AssertionError("evaluated")))
    result = run(tester, compiled, Engine(compiled.ruleset), {"assessment": {"party_weight": 0.1}})
    assert "BO02" in {f.rule for f in result.findings}
    # without the engine's actions nothing fires: the decisions are the engine's
    monkeypatch.setattr("checker.engine.check.UnitSession.on_action", lambda self, name, closure: None)
    silent = run(tester, compiled, Engine(compiled.ruleset), {"assessment": {"party_weight": 0.1}})
    assert silent.findings == ()


def test_half_year_scales_monthly_norms(tester, compiled, engine):
    """A half-year record needs 6 committee meetings, not 12."""
    meetings = [{"id": f"C{m}", "type": "支委会", "date": dt.date(2025, m, 10), "recorded_on": dt.date(2025, m, 10),
                 "expected": 5, "present": 5, "evidence": ["a.pdf"]} for m in range(1, 7)]
    half = run(tester, compiled, engine, {"period": {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 6, 30)},
                                          "meetings": meetings})
    full = run(tester, compiled, engine, {"meetings": meetings})
    assert "RS01" not in {f.rule for f in half.findings}
    assert "RS01" in {f.rule for f in full.findings}
