"""The per-unit check, in this process (`--jobs 1`) or in a pool of worker processes.

Each worker builds one compiled pack and one durable-rules Engine (Host) in its initializer and
keeps them for its life: the pack is sent once per worker, never per unit, and no engine is shared
between threads or processes. Units go to the workers in chunks and the results come back in input
order, so every output is byte-identical whatever the number of workers.

Ctrl-C: the workers ignore SIGINT (the parent alone decides); the parent's KeyboardInterrupt
terminates the pool before it propagates, and nothing has been written by then.
"""
from __future__ import annotations

import collections
import itertools
import datetime as dt
import multiprocessing
import os
import signal
from typing import Iterable, Iterator, Sequence

from checker.engine.check import check_unit
from checker.engine.compile import CompiledPack, compile_pack
from checker.engine.durable import Engine
from checker.findings import UnitResult
from checker.inputs.records import InvalidUnit, UnitRecord
from checker.pack.loader import load_pack, parse_param_assignment

CHUNK_SIZE = 16              # units per task: large enough to amortise the pickling, small enough to balance
SMALL_RUN = 32              # runs of at most this many units are checked in process whatever --jobs says
IN_FLIGHT_PER_WORKER = 4     # chunks queued per worker: keeps every worker busy while bounding memory


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def compile_for_run(pack_ref: str | None, params: Sequence[str]) -> CompiledPack:
    """Load and compile the pack with the `--param` overrides applied."""
    pack = load_pack(pack_ref)
    overrides = dict(parse_param_assignment(p, pack.parameters) for p in params)
    return compile_pack(pack, overrides)


# The worker's own pack and engine (one per process, built by `_init_worker`).
_WORKER: dict[str, object] = {}
# A compiled pack the parent hands to forked workers by inheritance (no pickling: it holds compiled templates).
_INHERITED: dict[str, CompiledPack] = {}


def _init_worker(pack_ref: str | None, params: Sequence[str]) -> None:
    """Worker initializer: ignore Ctrl-C, then build this worker's compiled pack and engine once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    compiled = _INHERITED.get("pack") or compile_for_run(pack_ref, params)
    _WORKER["compiled"] = compiled
    _WORKER["engine"] = Engine(compiled.ruleset)


def _check_chunk(records: list[UnitRecord], as_of: dt.date) -> list[UnitResult]:
    """Worker task: check a chunk of units with this worker's engine, in order."""
    compiled, engine = _WORKER["compiled"], _WORKER["engine"]
    return [check_unit(compiled, engine, r, as_of) for r in records]  # type: ignore[arg-type]


def check_in_process(compiled: CompiledPack, units: Iterable[UnitRecord | InvalidUnit], as_of: dt.date,
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


def check_in_pool(compiled: CompiledPack, units: Iterable[UnitRecord | InvalidUnit], as_of: dt.date,
                  stop_checking_on_invalid: bool, jobs: int, pack_ref: str | None = None,
                  params: Sequence[str] = ()) -> Iterator[UnitResult | InvalidUnit]:
    """`check_in_process` with `jobs` worker processes: same items, same order."""
    context, inherit = _context()
    if inherit:
        _INHERITED["pack"] = compiled
    try:
        pool = context.Pool(jobs, initializer=_init_worker, initargs=(pack_ref, tuple(params)))
    finally:
        _INHERITED.clear()
    try:
        yield from _ordered(pool, units, as_of, stop_checking_on_invalid, jobs)
        pool.close()
        pool.join()
    finally:
        pool.terminate()     # Ctrl-C, an error, or a consumer that stopped early: no worker outlives the run
        pool.join()


def _ordered(pool, units: Iterable[UnitRecord | InvalidUnit], as_of: dt.date, stop_checking_on_invalid: bool,
             jobs: int) -> Iterator[UnitResult | InvalidUnit]:
    """Submit chunks of valid units, keep a bounded number in flight, yield results and invalid units in input order."""
    # Each queue entry is ("invalid", unit) or ("chunk", async result); invalid units wait their turn.
    queue: collections.deque = collections.deque()
    chunk: list[UnitRecord] = []
    pending_chunks = 0
    checking = True
    limit = max(2, jobs * IN_FLIGHT_PER_WORKER)

    def flush() -> None:
        nonlocal chunk, pending_chunks
        if chunk:
            queue.append(("chunk", pool.apply_async(_check_chunk, (chunk, as_of))))
            pending_chunks += 1
            chunk = []

    def drain(keep: int) -> Iterator[UnitResult | InvalidUnit]:
        nonlocal pending_chunks
        while queue and pending_chunks > keep:
            kind, value = queue.popleft()
            if kind == "invalid":
                yield value
            else:
                pending_chunks -= 1
                yield from value.get()
        while queue and queue[0][0] == "invalid":
            yield queue.popleft()[1]

    for unit in units:
        if isinstance(unit, InvalidUnit):
            flush()
            queue.append(("invalid", unit))
            if stop_checking_on_invalid:
                checking = False
        elif checking:
            chunk.append(unit)
            if len(chunk) >= CHUNK_SIZE:
                flush()
        if pending_chunks >= limit:
            yield from drain(limit - 1)
    flush()
    yield from drain(0)


def _context():
    """Fork where the platform has it (workers inherit the compiled pack), else spawn (they compile it)."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork"), True
    return multiprocessing.get_context("spawn"), False


def check_stream(compiled: CompiledPack, units: Iterable[UnitRecord | InvalidUnit], as_of: dt.date,
                 stop_checking_on_invalid: bool, jobs: int = 1, pack_ref: str | None = None,
                 params: Sequence[str] = ()) -> Iterator[UnitResult | InvalidUnit]:
    """The run's checked units and invalid ones in input order, with `jobs` workers (1: in this process)."""
    if jobs <= 1:
        return check_in_process(compiled, units, as_of, stop_checking_on_invalid)
    stream = iter(units)
    head = list(itertools.islice(stream, SMALL_RUN + 1))
    if len(head) <= SMALL_RUN:      # starting workers would cost more than it saves
        return check_in_process(compiled, head, as_of, stop_checking_on_invalid)
    return check_in_pool(compiled, itertools.chain(head, stream), as_of, stop_checking_on_invalid, jobs, pack_ref,
                         params)
