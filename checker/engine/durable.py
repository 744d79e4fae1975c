"""The durable-rules adapter: one Host per run, one state per unit, every known pitfall fenced off.

Workarounds for what was measured (shared/notes/durable_rules.md), each with a regression test:
- facts that match no rule raise MessageNotHandledException → the ruleset has a catch-all rule;
- the Host's background dispatcher thread crashes with chaining + delete_state → `_run` is a no-op;
- more than 1024 live states raise MemoryError → one state per unit, deleted when the unit is done;
- delete_state on a state in which no action ever ran segfaults (found here) → every unit's first
  fact is `{"kind": "begin"}`, whose rule runs a no-op action and so creates the state;
- an exception inside an action is swallowed into the state → it is captured and re-raised;
- rulesets are mutated by set_rulesets → a deep copy is registered;
- `id`/`sid` are engine fields → facts never carry user fields under those names;
- facts are asserted one at a time (batch assert with unmatched facts crashed the interpreter).
"""
from __future__ import annotations

import copy
import itertools
from typing import Any, Callable, Protocol

from durable.engine import Host

from checker.engine.compile import RULESET
from checker.errors import InternalError
from checker.interrupts import HeldInterrupt

RESERVED_FACT_FIELDS = ("id", "sid")


class Session(Protocol):
    """What the engine drives for one unit: the facts to assert and the reaction to a fired rule."""

    def facts(self) -> list[dict]:
        """The facts to assert, in order."""

    def on_fired(self, fact: dict, closure: Any) -> None:
        """Called from the engine's action when the rule of `fact` fires."""


class _BatchHost(Host):
    """A Host without the background dispatcher (no timers are needed for batch checking)."""

    def __init__(self, actions: dict[str, Callable[[Any], None]]):
        self._pbcheck_actions = actions
        super().__init__()

    def _run(self) -> None:  # the base class reschedules itself on a threading.Timer
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._pbcheck_actions[action_name]


def _noop(closure: Any) -> None:
    return None


class Engine:
    """Runs compiled rulesets over one unit at a time; not thread-safe (one per process)."""

    def __init__(self, ruleset: dict):
        self._host = _BatchHost({"finding": self._finding, "noop": _noop})
        self._host.set_rulesets(copy.deepcopy(ruleset))
        self._session: Session | None = None
        self._error: BaseException | None = None
        self._sids = itertools.count(1)
        self.live_states = 0

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
            for fact in session.facts():
                check_fact(fact)
                fact["sid"] = sid
                self._host.assert_fact(RULESET, fact)
                if self._error is not None:
                    break
            self._raise_if_failed(sid)
        finally:
            self._session = None
            try:
                self._host.delete_state(RULESET, sid)
            finally:
                self.live_states -= 1

    def _raise_if_failed(self, sid: str) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise InternalError(f"规则引擎动作出错：{error!r}") from error
        state = self._host.get_state(RULESET, sid)
        if state and "exception" in state:
            raise InternalError(f"规则引擎动作出错：{state['exception']}")

    def _finding(self, closure: Any) -> None:
        if self._error is not None or self._session is None:
            return
        try:
            fact = dict(closure.m._d)
            self._session.on_fired(fact, closure)
        except BaseException as exc:   # durable-rules would swallow it into the state
            self._error = exc
            raise


def check_fact(fact: dict) -> None:
    """Refuse facts the engine would misread: reserved names, nulls, non-finite or huge numbers."""
    for key, value in fact.items():
        if key in RESERVED_FACT_FIELDS:
            raise InternalError(f"事实字段名 {key} 与规则引擎保留字段冲突")
        if value is None:
            raise InternalError(f"事实字段 {key} 为 null（应先在 Python 中处理）")
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise InternalError(f"事实字段 {key} 不是有限数值")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2 ** 53:
            raise InternalError(f"事实字段 {key} 超出规则引擎的数值范围")
