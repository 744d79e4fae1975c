"""What every output format receives: the run, the pack's rules, every unit's result, the templates."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from checker.findings import RuleMeta, RunInfo, UnitResult


@dataclass(frozen=True)
class OutputContext:
    """The input of every output writer (writers are pure functions of it)."""

    run: RunInfo
    rules: Mapping[str, RuleMeta]          # the pack's enabled rules in catalogue order
    units: tuple[UnitResult, ...]          # every unit of the run, invalid ones with status "invalid"
    templates: Path | None = None          # --templates DIR (user templates first, then the built-in ones)
    waivers: Mapping[str, Any] = field(default_factory=dict)   # {"applied": […], "expired": […], "unused": […]}
    extras: Mapping[str, Any] = field(default_factory=dict)    # room for later features (history diff, …)


# A writer returns (path relative to --out, content) pairs; it never touches the file system itself.
Writer = Callable[[OutputContext], Iterable[tuple[str, "bytes | str"]]]
