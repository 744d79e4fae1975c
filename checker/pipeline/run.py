"""A run: stream units from the inputs, check each one, then write the requested outputs.

Units are read, validated and checked one at a time (the per-unit check is a pure function of the
compiled pack and the record), so memory holds only the small per-unit results, never the input.
Outputs are pure functions from the results to bytes, written atomically.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from checker import __version__
from checker.engine.compile import CompiledPack
from checker.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, Problem, UsageError
from checker.findings import SEVERITY_ORDER, RuleMeta, RunInfo, UnitResult
from checker.atomic import write_all_atomic
from checker.outputs.findings_json import build_findings_document, dumps
from checker.outputs.context import OutputContext
from checker.outputs.registry import DEFAULT_FORMATS, available_formats, writer
from checker.inputs.records import InvalidUnit
from checker.inputs.loaders import load_units
from checker.pipeline.pool import check_stream, compile_for_run, default_jobs
from checker.pipeline.state import RunOptions, RunState
from checker.pipeline.steps import STEPS

__all__ = ["RunOptions", "RunOutcome", "RunState", "check_stream", "compile_for_run", "execute", "exit_status",
           "problems_of", "resolve_formats", "rule_metas"]

FAIL_ON_CHOICES = ("高", "中", "低", "never")


@dataclass
class RunOutcome:
    """What a run produced: results per unit, problems of invalid units, files written, exit code."""

    results: list[UnitResult]
    invalid: list[InvalidUnit]
    written: list[Path]
    exit_code: int
    run: RunInfo | None = None
    outputs_written: bool = True
    extras: dict = field(default_factory=dict)     # RunState.extras (e.g. the history diff, for the CLI)
    annotated: list[Path] = field(default_factory=list)     # --annotate copies written
    annotation_notes: list[str] = field(default_factory=list)
    waivers: dict = field(default_factory=dict)    # RunState.waivers: applied/expired/unused (checker.pipeline.waivers)


def rule_metas(compiled: CompiledPack) -> dict[str, RuleMeta]:
    """The pack's enabled rules as reports see them (catalogue order)."""
    return {r.id: RuleMeta(r.id, r.spec.title, r.spec.severity, r.spec.tags, r.spec.refs, r.spec.composite,
                           r.spec.remedy.value if r.spec.remedy else "") for r in compiled.rules}


def resolve_formats(requested: Sequence[str]) -> list[str]:
    """The formats to write: the requested ones (checked now, before any work), or the defaults."""
    chosen = list(dict.fromkeys(requested)) if requested else [f for f in DEFAULT_FORMATS if f in available_formats()]
    for name in chosen:
        writer(name)
    return chosen


def invalid_result(unit: InvalidUnit) -> UnitResult:
    """An invalid unit as findings.json lists it (未检查)."""
    return UnitResult(unit.unit_id or f"<{unit.source}>", unit.name or "", unit.parent, None, "", unit.source, (),
                      {}, status="invalid", problems=tuple(str(p) for p in unit.problems))


def exit_status(results: Sequence[UnitResult], invalid: Sequence[InvalidUnit], fail_on: str) -> int:
    """0 clean, 1 open findings at or above `fail_on`, 2 when any unit was invalid."""
    if invalid:
        return EXIT_INPUT
    if fail_on == "never":
        return EXIT_OK
    threshold = SEVERITY_ORDER.index(fail_on)
    for result in results:
        for f in result.findings:
            if f.status == "open" and f.severity in SEVERITY_ORDER and SEVERITY_ORDER.index(f.severity) <= threshold:
                return EXIT_FINDINGS
    return EXIT_OK


def execute(options: RunOptions, progress: Callable[[int], None] | None = None) -> RunOutcome:
    """Run the check end to end and write the outputs; raises PbcheckError for unusable input."""
    if options.fail_on not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on 应为 {'、'.join(FAIL_ON_CHOICES)} 之一，实际为 {options.fail_on}")
    formats = resolve_formats(options.formats)
    if options.templates is not None and not options.templates.is_dir():
        raise UsageError(f"--templates 指定的目录不存在：{options.templates}")
    jobs = options.jobs if options.jobs is not None else default_jobs()
    if jobs < 1:
        raise UsageError(f"--jobs 应为不小于 1 的整数，实际为 {jobs}")
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    as_of = options.as_of or dt.date.today()
    compiled = compile_for_run(options.pack, options.params)
    state = RunState(options, compiled, as_of, [], [])
    for step in STEPS:      # side files (--manual, --waivers) are read before the (possibly long) check
        step.prepare(state)
    results, invalid = state.results, state.invalid
    for item in check_stream(compiled, load_units(options.inputs), as_of, not options.keep_going,
                             jobs, options.pack, options.params):
        if isinstance(item, InvalidUnit):
            invalid.append(item)
        else:
            results.append(item)
        if progress:
            progress(len(results) + len(invalid))
    annotated: tuple[list[Path], list[str]] = ([], [])
    if options.annotate and invalid:
        from checker.inputs.spreadsheet.annotate import write_annotations
        annotated = write_annotations(invalid, options.out_dir / "annotated")
    if invalid and not options.keep_going:
        return RunOutcome(results, invalid, [], EXIT_INPUT, outputs_written=False,
                          annotated=annotated[0], annotation_notes=annotated[1])
    for step in STEPS:
        state = step.apply(state)
    code = exit_status(state.results, state.invalid, options.fail_on)
    pack = compiled.pack
    run = RunInfo(__version__, pack.id, pack.title, pack.version, started, as_of.isoformat(),
                  {k: _json_param(v) for k, v in compiled.params.items()}, len(state.results), len(state.invalid),
                  tuple(str(i) for i in options.inputs), options.issuer, options.doc_no)
    units = tuple(state.results) + tuple(invalid_result(i) for i in state.invalid)
    # "formats" tells writers which sibling outputs exist (the summary links to the notices)
    ctx = OutputContext(run, rule_metas(compiled), units, options.templates, state.waivers,
                        {**state.extras, "formats": tuple(formats)})
    files: list[tuple[str, bytes | str]] = [("findings.json", dumps(build_findings_document(run, units, state.waivers, state.extras)))]
    for fmt in formats:
        files.extend(writer(fmt)(ctx))
    # Render everything first, then write all-or-nothing: a failing template or a Ctrl-C leaves the
    # previous outputs intact and no temp files.
    written = write_all_atomic(options.out_dir, files)
    for step in STEPS:
        if step.after_write is not None:
            step.after_write(state, run, written)
    return RunOutcome(state.results, state.invalid, written, code, run, extras=state.extras,
                      annotated=annotated[0], annotation_notes=annotated[1], waivers=state.waivers)


def _json_param(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def problems_of(invalid: Sequence[InvalidUnit]) -> list[Problem]:
    """Every validation problem of the invalid units, in input order."""
    return [p for unit in invalid for p in unit.problems]
