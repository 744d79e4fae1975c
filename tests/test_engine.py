"""Regression tests for every durable-rules workaround (shared/notes/durable_rules.md) and chaining."""
from __future__ import annotations

import copy
import threading

import pytest

from checker.engine.compile import RULESET, build_ruleset, compile_pack
from checker.engine.durable import Engine, check_fact
from checker.errors import InternalError
from checker.pack.loader import load_pack

RULE = {"all": [{"m": {"$and": [{"kind": "ctx"}, {"rule": "T"}, {"part": 0}, {"$gte": {"l0": 3}}]}}], "run": "finding"}


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

    def facts(self):
        return [dict(f) for f in self._facts]

    def on_fired(self, fact, closure):
        self.fired.append(fact["fid"])
        if self.raise_on_fire:
            raise ValueError("boom in action")


def ctx(fid: int, value: int) -> dict:
    return {"kind": "ctx", "rule": "T", "part": 0, "fid": fid, "l0": value}


def test_unmatched_facts_are_caught_by_the_catch_all():
    """Facts matching no rule would raise MessageNotHandledException without the catch-all rule."""
    engine = Engine(_ruleset())
    session = FakeSession([ctx(1, 0), {"kind": "other", "fid": 2}, ctx(3, 5)])
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
    {"kind": "ctx", "id": "M1"},
    {"kind": "ctx", "sid": "1"},
    {"kind": "ctx", "l0": None},
    {"kind": "ctx", "l0": float("nan")},
    {"kind": "ctx", "l0": float("inf")},
    {"kind": "ctx", "l0": 2 ** 63},
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
            closure.assert_fact(ctx(3, 10))


def test_chaining_by_modify_fires_in_the_same_run():
    """An action that retracts and re-asserts a fact (a Rete modify) fires the dependent rule at once."""
    engine = Engine(_ruleset())
    session = ModifySession([ctx(2, 0), ctx(1, 5)])
    engine.run(session)
    assert session.fired == [1, 3]


def test_compiled_facts_never_carry_reserved_field_names(example_units):
    """Records have `id` fields (meetings, decisions); facts name values l0/r0/k0/p0, never id/sid."""
    from checker.engine.check import UnitSession
    compiled = compile_pack(load_pack())
    for record in example_units:
        for fact in UnitSession(compiled, record).facts():
            assert "id" not in fact and "sid" not in fact


@pytest.fixture(scope="module")
def example_units():
    from checker.inputs.records import UnitRecord
    from checker.inputs.loaders import load_units
    from checker.resources import resource_dir
    return [u for u in load_units([resource_dir("examples") / "records"]) if isinstance(u, UnitRecord)]
