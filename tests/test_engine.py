"""Regression tests for every durable-rules workaround (shared/notes/durable_rules.md) and chaining."""
from __future__ import annotations

import copy
import threading

import pytest

from checker.engine.compile import RULESET, build_ruleset, compile_pack
from checker.engine.durable import Engine, check_fact
from checker.errors import InternalError
from checker.pack.loader import load_pack

RULE = {"all": [{"m": {"$and": [{"g": 0}, {"$gte": {"l0_0": 3}}]}}], "run": "T#0"}


def _ruleset() -> dict:
    rs = build_ruleset([])
    rs[RULESET]["T#0"] = copy.deepcopy(RULE)
    return rs


class FakeSession:
    """A minimal session: given facts, records what fired, optionally raises or chains."""

    def __init__(self, facts, raise_on_fire=False):
        self._facts = facts
        self.fired = []
        self.raise_on_fire = raise_on_fire

    def initial_state(self):
        return {}

    def facts(self):
        return [dict(f) for f in self._facts]

    def final_facts(self):
        return []

    def on_action(self, name, closure):
        self.on_fired(dict(closure.m._d), closure)

    def on_fired(self, fact, closure):
        self.fired.append(fact["fid"])
        if self.raise_on_fire:
            raise ValueError("boom in action")


def ctx(fid: int, value: int) -> dict:
    return {"g": 0, "fid": fid, "l0_0": value}


def test_unmatched_facts_are_caught_by_the_catch_all():
    """Facts matching no rule would raise MessageNotHandledException without the catch-all rule."""
    engine = Engine(_ruleset())
    session = FakeSession([ctx(1, 0), {"g": 99, "fid": 2}, ctx(3, 5)])
    engine.run(session)
    assert session.fired == [3]


def test_unit_where_nothing_fires_is_deleted_without_crash():
    """delete_state on a state where no action ran segfaults; the begin fact prevents it (many units)."""
    engine = Engine(_ruleset())
    for _ in range(50):
        engine.run(FakeSession([ctx(1, 0)]))
    assert engine.live_states == 0


def test_no_background_dispatcher_thread():
    """The Host's timer thread crashes with chaining + delete_state; ours never starts one."""
    before = {t.ident for t in threading.enumerate()}
    engine = Engine(_ruleset())
    engine.run(FakeSession([ctx(1, 9)]))
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert new == []


def test_one_state_per_unit_is_deleted_after_it():
    """Each run uses a fresh state and deletes it, so live states never accumulate (limit 1024)."""
    engine = Engine(_ruleset())
    for _ in range(1100):
        engine.run(FakeSession([ctx(1, 4)]))
    assert engine.live_states == 0
    with pytest.raises(Exception):
        engine._host.get_state(RULESET, "1")


def test_action_exceptions_are_re_raised():
    """durable-rules swallows action exceptions into the state; the engine raises them."""
    engine = Engine(_ruleset())
    with pytest.raises(InternalError, match="boom in action"):
        engine.run(FakeSession([ctx(1, 7)], raise_on_fire=True))
    # the engine is usable afterwards
    session = FakeSession([ctx(1, 7)])
    engine.run(session)
    assert session.fired == [1]


def test_ruleset_is_not_mutated():
    """Host.set_rulesets deletes "run" from the dict it is given: the engine registers a deep copy."""
    ruleset = _ruleset()
    snapshot = copy.deepcopy(ruleset)
    Engine(ruleset)
    assert ruleset == snapshot


@pytest.mark.parametrize("bad", [
    {"g": 0, "id": "M1"},
    {"g": 0, "sid": "1"},
    {"g": 0, "l0_0": None},
    {"g": 0, "l0_0": float("nan")},
    {"g": 0, "l0_0": float("inf")},
    {"g": 0, "l0_0": 2 ** 63},
    {f"p0_{i}": 1 for i in range(300)},
])
def test_facts_are_type_checked_before_assert(bad):
    """Values durable-rules misreads (None, NaN, inf, huge ints) or reserved names never reach it."""
    with pytest.raises(InternalError):
        check_fact(bad)


class ModifySession(FakeSession):
    """When fact 1 fires, its action modifies fact 2 (retract + assert) so that it matches."""

    def on_fired(self, fact, closure):
        self.fired.append(fact["fid"])
        if fact["fid"] == 1:
            closure.retract_fact(dict(ctx(2, 0), sid=fact["sid"]))
            closure.assert_fact(dict(ctx(3, 10), sid=fact["sid"]))


def test_chaining_by_modify_fires_in_the_same_run():
    """An action that retracts and re-asserts a fact (a Rete modify) fires the dependent rule at once."""
    engine = Engine(_ruleset())
    session = ModifySession([ctx(2, 0), ctx(1, 5)])
    engine.run(session)
    assert session.fired == [1, 3]


def test_compiled_facts_never_carry_reserved_field_names(example_units):
    """Records have `id` fields (meetings, decisions); facts name values l0_1/n0_1/p0_1/d0_1, never id/sid."""
    from checker.engine.check import UnitSession
    compiled = compile_pack(load_pack())
    for record in example_units:
        for fact in UnitSession(compiled, record).facts():
            assert "id" not in fact and "sid" not in fact


def test_facts_are_shared_one_per_unit_and_item_and_unique(example_units):
    """One fact for the unit and one per item of each list rules walk — never one per rule — each with its own fid
    (two facts with identical content in one state collide: MessageObservedException)."""
    from checker.engine.check import UnitSession
    compiled = compile_pack(load_pack())
    for record in example_units:
        session = UnitSession(compiled, record)
        facts = session.facts()
        assert len({f["fid"] for f in facts}) == len(facts)
        meetings = len(record.data["meetings"])
        decisions = sum(len(m["decisions"]) for m in record.data["meetings"])
        groups = {g.for_each_text: g.slot_ids for g in compiled.layout.groups}
        per_slot = {slot: sum(1 for f in facts if f["g"] == slot) for slot in range(len(facts))}
        assert per_slot[groups[None][0]] == 1
        assert per_slot[groups["meetings"][0]] == meetings
        assert per_slot[groups["meetings.decisions"][0]] == decisions
        assert len(facts) < 2 * (meetings + decisions) + 40
        assert all(len(f) <= 240 for f in facts)


def test_batch_assert_with_unmatched_facts_is_safe_behind_the_catch_all():
    """assert_facts with facts no rule matches crashed the interpreter; with the catch-all it is safe (batches of 500+)."""
    engine = Engine(_ruleset())
    facts = [ctx(i, 5 if i % 100 == 0 else 0) for i in range(1, 1201)] + [{"g": 7, "fid": 5000}]
    session = FakeSession(facts)
    engine.run(session)
    assert sorted(session.fired) == [i for i in range(1, 1201) if i % 100 == 0]


def test_state_counters_chain_a_composite_once():
    """A composite on the unit state fires when the counter reaches its threshold, once (the x guard)."""
    rs = _ruleset()
    rs[RULESET]["X#0"] = {"all": [{"st": {"$and": [{"$gte": {"c0": 2}}, {"$nex": {"x1": 1}}, {"$s": 1}]}}], "run": "X#0"}
    fired = []

    class Counting(FakeSession):
        def initial_state(self):
            return {"c0": 0}

        def on_action(self, name, closure):
            fired.append(name)
            if name == "X#0":
                closure.s["x1"] = 1
            else:
                closure.s["c0"] = closure.s["c0"] + 1

    Engine(rs).run(Counting([ctx(1, 5), ctx(2, 5), ctx(3, 5)]))
    assert sorted(fired) == ["T#0", "T#0", "T#0", "X#0"]


@pytest.fixture(scope="module")
def example_units():
    from checker.inputs.records import UnitRecord
    from checker.inputs.loaders import load_units
    from checker.resources import resource_dir
    return [u for u in load_units([resource_dir("examples") / "records"]) if isinstance(u, UnitRecord)]
