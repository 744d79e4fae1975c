"""The steps of a run after the per-unit check, in order: each reads its side input in `prepare` and
changes the run's state in `apply`; a few also act once the outputs are written (`after_write`).

Order matters: auditor-entered findings join their units first; the run history then compares with
earlier runs (and adds RC04); waivers come after every step that adds findings (a waiver decides what
is reported, not what was found); the 融合度指数 reads the final checklist, so it comes last.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from checker.findings import RunInfo
from checker.history.step import compare_with_history, record_in_history
from checker.pipeline.manual import prepare_manual, manual_step
from checker.pipeline.state import RunState
from checker.pipeline.scoring import index_step
from checker.pipeline.waivers import prepare_waivers, waivers_step


def _nothing(state: RunState) -> None:
    return None


@dataclass(frozen=True)
class Step:
    """One step of a run: `prepare` before any unit is checked (so side-file mistakes show at once),
    `apply` once every unit is checked, `after_write` once every output is in place."""

    name: str
    apply: Callable[[RunState], RunState]
    prepare: Callable[[RunState], None] = _nothing
    after_write: Callable[[RunState, RunInfo, Sequence[Path]], None] | None = None


STEPS: tuple[Step, ...] = (
    Step("manual", manual_step, prepare_manual),
    Step("history", compare_with_history, after_write=record_in_history),
    Step("waivers", waivers_step, prepare_waivers),
    Step("index", index_step),
)
