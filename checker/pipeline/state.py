"""What a run carries from step to step: the user's options and the state the steps fill in.

Steps (checker.pipeline.steps and the modules they name) depend on this module only; the run
(checker.pipeline.run) depends on the steps. That keeps the import graph one-way.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from checker.engine.compile import CompiledPack
from checker.findings import UnitResult
from checker.inputs.records import InvalidUnit


@dataclass
class RunOptions:
    """What the user asked for on the command line."""

    inputs: Sequence[str]
    pack: str | None = None
    out_dir: Path = Path("pbcheck-out")
    formats: Sequence[str] = ()
    params: Sequence[str] = ()
    as_of: dt.date | None = None
    issuer: str | None = None
    doc_no: str | None = None
    fail_on: str = "高"
    keep_going: bool = False
    templates: Path | None = None
    annotate: bool = False         # write annotated copies of spreadsheet inputs with problems (out_dir/annotated/)
    db: str | None = None          # run history database (path or URL); None: no history (the CLI defaults to pbcheck.db)
    waivers: Path | None = None    # --waivers FILE: approved exceptions (checker.pipeline.waivers)
    manual: Path | None = None     # --manual FILE: auditor-entered findings (checker.pipeline.manual)
    jobs: int | None = None        # --jobs N: worker processes; None = os.cpu_count(), 1 = in-process


@dataclass
class RunState:
    """What a run has so far, handed from step to step."""

    options: RunOptions
    compiled: CompiledPack
    as_of: dt.date
    results: list[UnitResult]
    invalid: list[InvalidUnit]
    waivers: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    prepared: dict[str, Any] = field(default_factory=dict)    # what each step's `prepare` read, by step name
