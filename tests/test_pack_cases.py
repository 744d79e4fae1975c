"""The default pack's own test cases, run through the real engine (one pytest case per rule case).

The ids are `<RULE>-<case>` (e.g. `FM03-missing-owner`), so a failing case names itself; the
meta-tests guard the catalogue of diagnostics.md and the firing/non-firing coverage of every rule.
"""
from __future__ import annotations

import pytest

from checker.pack.loader import load_pack
from checker.engine.selftest import PackTester, coverage_problems

PACK = load_pack()
TESTER = PackTester(PACK)
CASES = list(TESTER.cases())

# diagnostics.md: the ids of the default pack are fixed (reports, waivers and ledgers refer to them).
CATALOGUE = (
    [f"FM0{i}" for i in range(1, 9)] + [f"RS0{i}" for i in range(1, 10)] + [f"BO0{i}" for i in range(1, 5)]
    + [f"PO0{i}" for i in range(1, 6)] + [f"SY0{i}" for i in range(1, 5)] + [f"DC0{i}" for i in range(1, 4)]
    + [f"CD0{i}" for i in range(1, 6)] + [f"AS0{i}" for i in range(1, 5)] + [f"RC0{i}" for i in range(1, 5)]
    + [f"X0{i}" for i in range(1, 6)]
)


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.id}-{c.name}" for r, c in CASES])
def test_rule_case(rule, case):
    """Each case of each rule gives exactly the findings it declares."""
    result = TESTER.run_case(rule, case)
    assert result.passed, f"{case.location}: " + "；".join(result.failures)


def test_every_rule_has_a_firing_and_a_quiet_case():
    """A rule without a case that fires, or one that does not, is not really tested."""
    assert coverage_problems(PACK) == []


@pytest.mark.parametrize("rule_id", CATALOGUE)
def test_catalogue_rule_is_in_the_default_pack(rule_id):
    """Every id of diagnostics.md exists in the default pack, with the catalogue's severity."""
    assert rule_id in PACK.rules, f"{rule_id} of diagnostics.md is missing from the default pack"


def test_catalogue_severities_and_composites():
    """Spot-check the catalogue's fixed metadata: composites are 高 and carry no tags."""
    for rule in PACK.rules.values():
        if rule.id.startswith("X"):
            assert rule.composite and rule.severity == "高" and rule.tags == ()


def test_case_count_meets_the_bar():
    """The default pack carries at least two cases per rule."""
    for rule in PACK.enabled_rules():
        if not rule.history:
            assert len(rule.tests) >= 2, rule.id
