"""Benchmark the check pipeline (run by hand): `python bench/bench_engine.py [N]`.

Replicates the bundled example units N times (default 1,000 units), then times each stage —
YAML loading + validation, Python indicators (facts), the durable-rules engine, findings
(messages, evidence) — and prints units/s, facts/s, the share of each stage and peak memory.
"""
from __future__ import annotations

import copy
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml

from checker.engine.check import UnitSession, _findings, unit_checks
from checker.engine.durable import Engine
from checker.inputs.records import UnitRecord
from checker.inputs.loaders import load_units
from checker.resources import resource_dir
from checker.pipeline.run import compile_for_run


class _NoAlias(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _replicated(n: int) -> Path:
    examples = [u for u in load_units([resource_dir("examples") / "records"]) if isinstance(u, UnitRecord)]
    units = []
    for i in range(n):
        data = copy.deepcopy(examples[i % len(examples)].data)
        data["unit_id"] = f"B-{i:05d}"
        units.append(data)
    path = Path(tempfile.mkdtemp()) / "bench.yaml"
    path.write_text(yaml.dump({"units": units}, Dumper=_NoAlias, allow_unicode=True), encoding="utf-8")
    return path


def main(n: int) -> None:
    path = _replicated(n)
    size_mb = path.stat().st_size / 1e6
    compiled = compile_for_run(None, [])
    engine = Engine(compiled.ruleset)
    as_of = dt.date(2026, 1, 15)
    t_load = t_facts = t_engine = t_findings = 0.0
    facts = findings = units = 0
    clock = time.perf_counter()
    start = clock
    for record in load_units([path]):
        now = time.perf_counter()
        t_load += now - clock
        session = UnitSession(compiled, record)
        t1 = time.perf_counter()
        t_facts += t1 - now
        engine.run(session)
        t2 = time.perf_counter()
        t_engine += t2 - t1
        unit_checks(session)
        found = _findings(session, as_of)
        clock = time.perf_counter()
        t_findings += clock - t2
        facts += session.fact_count()
        findings += len(found)
        units += 1
    total = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"units: {units}  input: {size_mb:.1f} MB  facts: {facts} ({facts / units:.0f}/unit)  findings: {findings}")
    print(f"total: {total:.2f} s  → {units / total:.0f} units/s")
    for name, t in (("load+validate", t_load), ("indicators (Python)", t_facts), ("engine (durable-rules)", t_engine),
                    ("findings+checklist", t_findings)):
        print(f"  {name:<24} {t:7.2f} s  {100 * t / total:5.1f} %")
    print(f"engine: {facts / t_engine:,.0f} facts/s")
    print(f"peak RSS: {peak_mb:.0f} MB  ({peak_mb / units * 1024:.0f} KB/unit incl. interpreter)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
