"""The durable-rules adapter: one Host per process, one state per unit, every known pitfall fenced off.

Workarounds for what was measured (shared/notes/durable_rules.md), each with a regression test
in tests/test_engine.py:
- facts that match no rule raise MessageNotHandledException, and a batch assert with an unmatched
  fact crashed the interpreter → the ruleset has a catch-all rule matching every fact (`fid`);
  only then are facts asserted in batches;
- the Host's background dispatcher thread crashes with chaining + delete_state → `_run` is a no-op;
- more than 1024 live states raise MemoryError → one state per unit, deleted when the unit is done;
- delete_state on a state in which no action ever ran segfaults (found here) → every unit's first
  fact is `{"kind": "begin"}`, whose action sets the state's counters and so creates the state;
- an exception inside an action is swallowed into the state → it is captured and re-raised;
- rulesets are mutated by set_rulesets → a deep copy is registered;
- `id`/`sid` are engine fields → facts never carry user fields under those names;
- two facts with identical content in one state collide (MessageObservedException) → every fact
  carries a unit-unique `fid`;
- more than ~252 properties per fact fail (error 302) → the layout splits facts (ruleset.MAX_FACT_FIELDS).
"""
from __future__ import annotations

import copy
import itertools
from typing import Any, Callable, Protocol

from durable.engine import Host

from checker.engine.ruleset import MAX_FACT_FIELDS, RULESET
from checker.errors import InternalError
from checker.interrupts import HeldInterrupt

RESERVED_FACT_FIELDS = ("id", "sid")
BATCH = 500                    # facts per assert_facts call


class Session(Protocol):
    """What the engine drives for one unit: its facts, the reaction to fired rules, the final facts."""

    def initial_state(self) -> dict[str, Any]:
        """The unit state's starting fields (counters)."""

    def facts(self) -> list[dict]:
        """The facts to assert."""

    def on_action(self, name: str, closure: Any) -> None:
        """Called from the engine when rule `name` fires."""

    def final_facts(self) -> list[tuple[dict, dict]]:
        """(old, new) facts to replace once every chained action has run."""


class _BatchHost(Host):
    """A Host without the background dispatcher (no timers are needed for batch checking)."""

    def __init__(self, actions: Callable[[str], Callable[[Any], None]]):
        self._pbcheck_actions = actions
        super().__init__()

    def _run(self) -> None:  # the base class reschedules itself on a threading.Timer
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._pbcheck_actions(action_name)


def _noop(closure: Any) -> None:
    return None


class Engine:
    """Runs a compiled ruleset over one unit at a time; not thread-safe (one per process)."""

    def __init__(self, ruleset: dict):
        self._actions: dict[str, Callable[[Any], None]] = {"noop": _noop, "begin": self._begin}
        self._host = _BatchHost(self._action)
        self._host.set_rulesets(copy.deepcopy(ruleset))
        self._session: Session | None = None
        self._error: BaseException | None = None
        self._sids = itertools.count(1)
        self.live_states = 0
        self.facts_asserted = 0

    def _action(self, name: str) -> Callable[[Any], None]:
        if name not in self._actions:
            def act(closure: Any) -> None:
                self._dispatch(name, closure)
            self._actions[name] = act
        return self._actions[name]

    def run(self, session: Session) -> None:
        """Assert the session's facts in a fresh state; chained actions run before this returns."""
        # Ctrl-C waits until the unit is done: raised inside an action, durable-rules would swallow it
        # into the state and it would surface as an engine failure instead of an interrupt.
        with HeldInterrupt():
            self._run(session)

    def _run(self, session: Session) -> None:
        sid = str(next(self._sids))
        self._session = session
        self._error = None
        self.live_states += 1
        try:
            self._host.assert_fact(RULESET, {"kind": "begin", "sid": sid})
            self._raise_if_failed(None)
            facts = session.facts()
            for fact in facts:
                check_fact(fact)
                fact["sid"] = sid
            for start in range(0, len(facts), BATCH):
                self._host.assert_facts(RULESET, facts[start:start + BATCH])
                self.facts_asserted += min(BATCH, len(facts) - start)
                self._raise_if_failed(None)
            for old, new in session.final_facts():
                check_fact(new)
                new["sid"] = sid
                self._host.retract_fact(RULESET, old)
                self._host.assert_fact(RULESET, new)
                self.facts_asserted += 1
                self._raise_if_failed(None)
            self._raise_if_failed(sid)
        finally:
            self._session = None
            try:
                self._host.delete_state(RULESET, sid)
            finally:
                self.live_states -= 1

    def _raise_if_failed(self, sid: str | None) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            if isinstance(error, InternalError):
                raise error
            raise InternalError(f"规则引擎动作出错：{error!r}") from error
        if sid is None:
            return
        state = self._host.get_state(RULESET, sid)
        if state and "exception" in state:
            raise InternalError(f"规则引擎动作出错：{state['exception']}")

    def _begin(self, closure: Any) -> None:
        if self._session is None:
            return
        try:
            for name, value in self._session.initial_state().items():
                closure.s[name] = value
        except BaseException as exc:   # durable-rules would swallow it into the state
            self._error = exc
            raise

    def _dispatch(self, name: str, closure: Any) -> None:
        if self._error is not None or self._session is None:
            return
        try:
            self._session.on_action(name, closure)
        except BaseException as exc:   # durable-rules would swallow it into the state
            self._error = exc
            raise


def check_fact(fact: dict) -> None:
    """Refuse facts the engine would misread: reserved names, nulls, non-finite or huge numbers, too many fields."""
    if len(fact) > MAX_FACT_FIELDS + 8:
        raise InternalError(f"事实有 {len(fact)} 个字段，超过规则引擎的上限")
    for key, value in fact.items():
        if key in RESERVED_FACT_FIELDS:
            raise InternalError(f"事实字段名 {key} 与规则引擎保留字段冲突")
        if value is None:
            raise InternalError(f"事实字段 {key} 为 null（应先在 Python 中处理）")
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise InternalError(f"事实字段 {key} 不是有限数值")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2 ** 53:
            raise InternalError(f"事实字段 {key} 超出规则引擎的数值范围")
