"""The run's 融合度指数 step: each checked unit gets its index (index.md) once every finding is known.

It runs after the other post-check steps (RC04 from the run history changes the checklist; waivers
do not change what was found), and reads nothing but the unit's checklist and the pack.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Mapping

from checker.findings import UnitResult
from checker.index import IndexSpec, unit_index

if TYPE_CHECKING:
    from checker.engine.compile import CompiledPack
    from checker.pipeline.state import RunState


def rule_severities(compiled: "CompiledPack") -> dict[str, str]:
    """Rule id → severity of every enabled rule (after the pack's overrides)."""
    return {r.id: r.spec.severity for r in compiled.rules}


def with_index(result: UnitResult, spec: IndexSpec | None, severities: Mapping[str, str]) -> UnitResult:
    """The unit's result with its index (checked units of a pack with an index; others unchanged)."""
    if spec is None or result.status != "checked":
        return result
    return dataclasses.replace(result, index=unit_index(result.checks, severities, spec))


def index_step(state: "RunState") -> "RunState":
    """POST_CHECK_STEP: the index of every checked unit, then the previous run's index when history is on."""
    spec = state.compiled.pack.index
    severities = rule_severities(state.compiled)
    state.results = [with_index(r, spec, severities) for r in state.results]
    if spec is not None:
        state.extras["index_grades"] = [g.name for g in spec.grades]     # the summary lists grades in this order
        from checker.history.index_history import previous_indices_step
        previous_indices_step(state)
    return state
