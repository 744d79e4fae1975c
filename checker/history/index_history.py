"""The 融合度指数 across runs: each unit's index of its previous run (for the summary's change column)
and the index per run of one unit (`pbcheck history --unit U`).

extras["index_previous"] = {"GD-07": {"run": "3f9a12bc0d4e", "seq": 4, "as_of": "2026-01-15",
                                      "overall": 71.3, "grade": "中", "coverage": 0.9,
                                      "dimensions": {"plan": 100.0, …}}, …}
(only units whose previous run of the same pack stored an index).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy import Connection, select

from checker.history.diff import RunRef
from checker.history.models import Run, RunUnit

if TYPE_CHECKING:
    from checker.pipeline.state import RunState

PREVIOUS_KEY = "index_previous"


@dataclass(frozen=True)
class IndexEntry:
    """A unit's index as one stored run computed it."""

    ref: RunRef
    pack_id: str
    name: str
    index: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The entry as `pbcheck history --unit U --json` prints it."""
        return {**self.ref.to_json(), "pack": self.pack_id, "name": self.name, "index": self.index}


def previous_indices(conn: Connection, pack_id: str, unit_ids: Sequence[str], timelines: dict[str, list[RunRef]]
                     ) -> dict[str, dict[str, Any]]:
    """For each unit with an earlier run (the last of its timeline) that stored an index: that run and index."""
    from checker.history.store import chunks
    last = {u: runs[-1] for u, runs in timelines.items() if runs}
    out: dict[str, dict[str, Any]] = {}
    for batch in chunks([u for u in unit_ids if u in last]):
        rows = conn.execute(select(RunUnit.unit_id, RunUnit.run_id, RunUnit.integration_index)
                            .where(RunUnit.unit_id.in_(batch), RunUnit.run_id.in_({last[u].id for u in batch})))
        for row in rows:
            ref = last[row.unit_id]
            if row.run_id == ref.id and row.integration_index is not None:
                out[row.unit_id] = {**ref.to_json(), **row.integration_index}
    return out


def unit_index_history(conn: Connection, unit: str) -> list[IndexEntry]:
    """The unit's index in every stored run that checked it, oldest first."""
    rows = conn.execute(select(Run.id, Run.uid, Run.as_of, Run.started, Run.pack_id, RunUnit.name,
                               RunUnit.integration_index)
                        .join(Run, Run.id == RunUnit.run_id)
                        .where(RunUnit.unit_id == unit, RunUnit.status == "checked")
                        .order_by(Run.as_of, Run.id))
    return [IndexEntry(RunRef(r.id, r.uid, r.as_of, r.started), r.pack_id, r.name, r.integration_index or {})
            for r in rows]


def previous_indices_step(state: "RunState") -> None:
    """With history on: extras["index_previous"] from each unit's previous run of the same pack."""
    from checker.history.step import PLAN_KEY
    plan = state.extras.get(PLAN_KEY)
    if plan is None:
        return
    from checker.history import store
    units = [r.unit for r in state.results if r.status == "checked"]
    with plan.db.transaction() as conn:
        timelines = store.unit_timelines(conn, state.compiled.pack.id, units, state.as_of)
        state.extras[PREVIOUS_KEY] = previous_indices(conn, state.compiled.pack.id, units, timelines)
