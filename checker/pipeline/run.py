"""A run: stream units from the inputs, check each one, then write the requested outputs.

Units are read, validated and checked one at a time (the per-unit check is a pure function of the
compiled pack and the record), so memory holds only the small per-unit results, never the input.
Outputs are pure functions from the results to bytes, written atomically.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from checker import __version__
from checker.engine.check import check_unit
from checker.engine.compile import CompiledPack, compile_pack
from checker.engine.durable import Engine
from checker.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, Problem, UsageError
from checker.findings import SEVERITY_ORDER, RuleMeta, RunInfo, UnitResult
from checker.atomic import write_all_atomic
from checker.outputs.findings_json import build_findings_document, dumps
from checker.outputs.context import OutputContext
from checker.outputs.registry import DEFAULT_FORMATS, available_formats, writer
from checker.pack.loader import load_pack, parse_param_assignment
from checker.inputs.records import InvalidUnit, UnitRecord, load_units

FAIL_ON_CHOICES = ("高", "中", "低", "never")


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


def compile_for_run(pack_ref: str | None, params: Sequence[str]) -> CompiledPack:
    """Load and compile the pack with the `--param` overrides applied."""
    pack = load_pack(pack_ref)
    overrides = dict(parse_param_assignment(p, pack.parameters) for p in params)
    return compile_pack(pack, overrides)


def check_stream(compiled: CompiledPack, units: Iterable[UnitRecord | InvalidUnit], as_of: dt.date,
                 stop_checking_on_invalid: bool) -> Iterator[UnitResult | InvalidUnit]:
    """Check valid units as they stream in; once an invalid one is seen (without --keep-going) only validate."""
    engine = Engine(compiled.ruleset)
    checking = True
    for unit in units:
        if isinstance(unit, InvalidUnit):
            if stop_checking_on_invalid:
                checking = False
            yield unit
        elif checking:
            yield check_unit(compiled, engine, unit, as_of)


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


# Steps that run after every unit was checked and before outputs are rendered, in order
# (manual findings, waivers, run history…). Each takes and returns the RunState.
PostCheckStep = Callable[["RunState"], "RunState"]
POST_CHECK_STEPS: list[PostCheckStep] = []
# Steps that run once every output is written (run history records the run only then).
PostWriteStep = Callable[["RunState", RunInfo, "list[Path]"], None]
POST_WRITE_STEPS: list[PostWriteStep] = []


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


def execute(options: RunOptions, progress: Callable[[int], None] | None = None) -> RunOutcome:
    """Run the check end to end and write the outputs; raises PbcheckError for unusable input."""
    if options.fail_on not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on 应为 {'、'.join(FAIL_ON_CHOICES)} 之一，实际为 {options.fail_on}")
    formats = resolve_formats(options.formats)
    if options.templates is not None and not options.templates.is_dir():
        raise UsageError(f"--templates 指定的目录不存在：{options.templates}")
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    as_of = options.as_of or dt.date.today()
    compiled = compile_for_run(options.pack, options.params)
    _preflight(options, compiled)
    results: list[UnitResult] = []
    invalid: list[InvalidUnit] = []
    for item in check_stream(compiled, load_units(options.inputs), as_of, not options.keep_going):
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
    state = RunState(options, compiled, as_of, results, invalid)
    for step in POST_CHECK_STEPS:
        state = step(state)
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
    for after in POST_WRITE_STEPS:
        after(state, run, written)
    return RunOutcome(state.results, state.invalid, written, code, run, extras=state.extras,
                      annotated=annotated[0], annotation_notes=annotated[1], waivers=state.waivers)


def _preflight(options: RunOptions, compiled: CompiledPack) -> None:
    """Read --manual and --waivers before any unit is checked, so that their mistakes show at once.

    The post-check steps read them again against the run's units (a few kilobytes: cheaper than
    carrying parsed state through RunOptions)."""
    from checker.pipeline.manual import load_manual
    from checker.pipeline.waivers import load_waivers
    manual_ids: set[str] = set()
    if getattr(options, "manual", None) is not None:
        entries = load_manual(Path(options.manual), list(compiled.pack.severities), str(options.manual))
        manual_ids = {f"MAN-{n}" for n in range(1, len(entries) + 1)}
    if getattr(options, "waivers", None) is not None:
        load_waivers(Path(options.waivers), set(compiled.pack.rules) | manual_ids, str(options.waivers))


def _json_param(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def problems_of(invalid: Sequence[InvalidUnit]) -> list[Problem]:
    """Every validation problem of the invalid units, in input order."""
    return [p for unit in invalid for p in unit.problems]


# Run history (checker.history): compare with earlier runs before the outputs, record the run after them.
from checker.history.step import compare_with_history, record_in_history  # noqa: E402  (the step needs nothing above

POST_CHECK_STEPS.append(compare_with_history)
POST_WRITE_STEPS.append(record_in_history)

# Auditor-entered findings join their units before any other step; waivers come last, once every step
# that adds findings has run (a waiver decides what is reported, not what was found).
from checker.pipeline.manual import manual_step  # noqa: E402
from checker.pipeline.waivers import waivers_step  # noqa: E402

POST_CHECK_STEPS.insert(0, manual_step)
POST_CHECK_STEPS.append(waivers_step)

# The 融合度指数 reads the final checklist (after RC04 from the history), so it comes after every other step.
from checker.pipeline.scoring import index_step  # noqa: E402

POST_CHECK_STEPS.append(index_step)
