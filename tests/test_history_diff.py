"""Comparing runs: new / persisting / resolved, recurrences (RC04), confirmed closures."""
from __future__ import annotations

import datetime as dt

from checker.history.diff import FindingBrief, RunRef, closure_confirmed, compare_unit, find_recurrences, totals

R1 = RunRef(1, "aaaa00000001", dt.date(2026, 1, 15))
R2 = RunRef(2, "aaaa00000002", dt.date(2026, 3, 15))
R3 = RunRef(3, "aaaa00000003", dt.date(2026, 5, 15))
R4 = RunRef(4, "aaaa00000004", dt.date(2026, 7, 15))


def brief(fp: str, rule: str = "FM03") -> FindingBrief:
    return FindingBrief(fp, rule, "决议无责任人或时限", "中", f"M-{fp}#1", f"消息 {fp}")


def test_first_check_everything_is_new() -> None:
    d = compare_unit("GD-07", "第二分公司党委", ["f1", "f2"], None, {})
    assert (d.new, d.persisting, d.resolved, d.previous) == (["f1", "f2"], [], [], None)
    assert d.to_json()["first_check"] is True


def test_new_persisting_resolved_against_previous_run() -> None:
    previous = {"f1": brief("f1"), "f2": brief("f2"), "f3": brief("f3", "DC01")}
    d = compare_unit("GD-07", "n", ["f2", "f4", "f1"], R1, previous)
    assert d.new == ["f4"]
    assert d.persisting == ["f2", "f1"]            # in the current report order
    assert [b.fingerprint for b in d.resolved] == ["f3"]
    out = d.to_json()
    assert out["previous"] == {"run": "aaaa00000001", "seq": 1, "as_of": "2026-01-15"}
    assert out["resolved"][0] == {"fingerprint": "f3", "rule": "DC01", "title": "决议无责任人或时限", "severity": "中",
                                  "item": "M-f3#1", "message": "消息 f3"}


def test_duplicate_fingerprints_count_once() -> None:
    d = compare_unit("U", "n", ["f1", "f1"], R1, {"f1": brief("f1")})
    assert d.persisting == ["f1"] and d.new == []


def test_recurrence_found_resolved_found_again() -> None:
    found = {1: {"f1", "f2"}, 2: {"f2"}}
    recs = find_recurrences("U", ["f1", "f2", "f9"], [R1, R2], found)
    assert len(recs) == 1
    rec = recs[0]
    assert (rec.fingerprint, rec.first_run, rec.resolved_run, rec.times) == ("f1", R1, R2, 1)


def test_no_recurrence_without_a_gap_or_without_an_earlier_finding() -> None:
    assert find_recurrences("U", ["f1"], [R1, R2], {1: {"f1"}, 2: {"f1"}}) == []     # persisted throughout
    assert find_recurrences("U", ["f1"], [R1, R2], {1: set(), 2: set()}) == []      # new now
    assert find_recurrences("U", ["f1"], [R1, R2], {1: set(), 2: {"f1"}}) == []     # absent only before it appeared
    assert find_recurrences("U", ["f1"], [], {}) == []


def test_recurrence_evidence_is_stable_while_it_persists_and_counts_returns() -> None:
    found = {1: {"f1"}, 2: set(), 3: {"f1"}}
    first = find_recurrences("U", ["f1"], [R1, R2], {1: {"f1"}, 2: set()})[0]
    later = find_recurrences("U", ["f1"], [R1, R2, R3], found)[0]
    assert (later.first_run, later.resolved_run, later.times) == (first.first_run, first.resolved_run, 1)
    again = find_recurrences("U", ["f1"], [R1, R2, R3, R4], {**found, 4: set()})[0]
    assert (again.first_run, again.resolved_run, again.times) == (R1, R4, 2)


def test_closure_confirmed_only_by_a_run_at_or_after_the_closure_date() -> None:
    found = {1: {"f1"}, 2: set(), 3: {"f1"}}
    assert closure_confirmed("f1", dt.date(2026, 3, 1), [R1, R2, R3], found) is True
    assert closure_confirmed("f1", dt.date(2026, 3, 15), [R1, R2, R3], found) is True    # same day counts
    assert closure_confirmed("f1", dt.date(2026, 3, 16), [R1, R2, R3], found) is False
    assert closure_confirmed("f1", dt.date(2026, 1, 1), [R1], {1: {"f1"}}) is False


def test_totals() -> None:
    a = compare_unit("A", "a", ["f1", "f2"], R1, {"f1": brief("f1"), "f5": brief("f5")})
    b = compare_unit("B", "b", ["g1"], None, {})
    assert totals([a, b]) == {"new": 2, "persisting": 1, "resolved": 1, "units_compared": 1, "units_first_check": 1}
