"""The worker pool of `--jobs`: same items in the same order as in-process, outputs identical whatever N."""
from __future__ import annotations

import datetime as dt
import types
from pathlib import Path

import pytest

from checker.inputs.records import InvalidUnit
from checker.inputs.loaders import load_units
from checker.pipeline import pool
from checker.pipeline import run as run_module
from checker.pipeline.run import RunOptions, compile_for_run, execute
from checker.resources import resource_dir

EXAMPLES = resource_dir("examples") / "records"
AS_OF = dt.date(2026, 1, 5)


def many_units(directory: Path, count: int) -> Path:
    """`count` copies of the example GD-07 under new ids, then every example record (more than SMALL_RUN)."""
    directory.mkdir()
    text = (EXAMPLES / "GD-07.yaml").read_text(encoding="utf-8")
    for i in range(count):
        (directory / f"U-{i:03d}.yaml").write_text(text.replace("unit_id: GD-07\n", f"unit_id: U-{i:03d}\n"),
                                                   encoding="utf-8")
    for path in EXAMPLES.iterdir():
        (directory / f"Z-{path.name}").write_bytes(path.read_bytes())
    return directory


class _FixedDatetime(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.timezone.utc)


def contents(root: Path) -> dict[str, bytes]:
    """Every output file below `root` with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_jobs_2_writes_the_same_outputs_as_jobs_1(tmp_path, monkeypatch):
    monkeypatch.setattr(run_module, "dt", types.SimpleNamespace(date=dt.date, datetime=_FixedDatetime))
    records = many_units(tmp_path / "records", 60)
    outs = {}
    for jobs in (1, 2):
        outs[jobs] = tmp_path / f"out-{jobs}"
        outcome = execute(RunOptions(inputs=[str(records)], out_dir=outs[jobs], as_of=AS_OF, jobs=jobs,
                                     formats=["md", "summary", "xlsx", "csv", "sarif"]))
        assert outcome.run.units_checked == 60 + 12
    one, two = contents(outs[1]), contents(outs[2])
    assert "findings.json" in one and "ledger.xlsx" in one
    assert one == two


def test_the_pool_yields_what_the_in_process_check_yields_in_input_order(tmp_path):
    records = many_units(tmp_path / "records", 40)
    (records / "U-005.yaml").write_text("unit_id: U-005\nname: 坏记录\n", encoding="utf-8")
    compiled = compile_for_run(None, [])
    for stop in (True, False):
        alone = list(pool.check_in_process(compiled, load_units([str(records)]), AS_OF, stop))
        pooled = list(pool.check_in_pool(compiled, load_units([str(records)]), AS_OF, stop, 2))
        assert [_key(i) for i in pooled] == [_key(i) for i in alone]
        assert [i.to_json() for i in pooled if not isinstance(i, InvalidUnit)] == \
               [i.to_json() for i in alone if not isinstance(i, InvalidUnit)]
    assert any(isinstance(i, InvalidUnit) for i in alone)


def _key(item) -> tuple[str, str]:
    return ("invalid", item.source) if isinstance(item, InvalidUnit) else ("checked", item.unit)


def test_a_small_run_is_checked_in_process_whatever_jobs_says(tmp_path, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for a handful of units")
    monkeypatch.setattr(pool, "check_in_pool", no_pool)
    compiled = compile_for_run(None, [])
    items = list(pool.check_stream(compiled, load_units([str(EXAMPLES)]), AS_OF, True, jobs=4))
    assert len(items) == 12


def test_jobs_below_one_is_a_usage_error(tmp_path):
    from checker.errors import UsageError
    with pytest.raises(UsageError, match="--jobs"):
        execute(RunOptions(inputs=[str(EXAMPLES)], out_dir=tmp_path / "out", jobs=0))
