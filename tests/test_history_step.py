"""The run's history step on one unit: RC04 that persists, deadlines carried over, packs without RC04."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from checker.errors import UsageError
from checker.history.step import source_digests
from checker.pipeline.run import RunOptions, execute

REPO = Path(__file__).resolve().parent.parent
GD07 = REPO / "examples" / "records" / "GD-07.yaml"
BROKEN = "- {text: 开展分包队伍清理, owner: null, due: null, done: false}"
FIXED = "- {text: 开展分包队伍清理, owner: 陈刚, due: 2026-06-30, done: false}"


def check(record: Path, out: Path, as_of: str, db: Path, pack: str | None = None) -> dict[str, Any]:
    execute(RunOptions(inputs=[str(record)], out_dir=out, formats=["md"], as_of=dt.date.fromisoformat(as_of),
                       db=str(db), fail_on="never", pack=pack))
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def set_decision(record: Path, fixed: bool) -> None:
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace(BROKEN, FIXED) if fixed else text.replace(FIXED, BROKEN), encoding="utf-8")


def rc04s(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["rule"] == "RC04"]


def test_a_recurrence_keeps_its_fingerprint_and_deadline_while_it_persists(tmp_path: Path) -> None:
    record = tmp_path / "GD-07.yaml"
    shutil.copy(GD07, record)
    db = tmp_path / "h.db"
    check(record, tmp_path / "o1", "2026-01-15", db)
    set_decision(record, fixed=True)
    check(record, tmp_path / "o2", "2026-03-20", db)
    set_decision(record, fixed=False)
    third = check(record, tmp_path / "o3", "2026-05-20", db)
    fourth = check(record, tmp_path / "o4", "2026-08-20", db)
    [a], [b] = rc04s(third), rc04s(fourth)
    assert a["fingerprint"] == b["fingerprint"]
    assert a["deadline"] == b["deadline"] == "2026-06-19"             # the first 整改时限 stays
    assert fourth["rectification"][b["fingerprint"]]["overdue"] is True
    assert fourth["diff"]["findings"][b["fingerprint"]] == "persisting"
    assert a["item"] == "FM03:DW-02#2"
    assert "累计复发1次" in a["message"]


def test_a_pack_without_rc04_gets_the_diff_but_no_recurrence(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(textwrap.dedent("""\
        id: no-recurrence
        title: 不判定复发
        version: 0.1.0
        extends: party-business-integration
        overrides:
          RC04: {enabled: false}
        """), encoding="utf-8")
    record = tmp_path / "GD-07.yaml"
    shutil.copy(GD07, record)
    db = tmp_path / "h.db"
    check(record, tmp_path / "o1", "2026-01-15", db, str(pack))
    set_decision(record, fixed=True)
    check(record, tmp_path / "o2", "2026-03-20", db, str(pack))
    set_decision(record, fixed=False)
    third = check(record, tmp_path / "o3", "2026-05-20", db, str(pack))
    assert rc04s(third) == [] and "RC04" not in third["units"][0]["checks"]
    assert third["diff"]["totals"]["units_compared"] == 1
    # another pack's runs are not this pack's history
    other = check(record, tmp_path / "o4", "2026-05-21", db)
    assert other["diff"]["totals"]["units_first_check"] == 1


def test_an_unusable_database_stops_the_run_before_any_output(tmp_path: Path) -> None:
    (tmp_path / "h.db").write_text("不是数据库" * 300, encoding="utf-8")
    with pytest.raises(UsageError) as info:
        check(GD07, tmp_path / "out", "2026-01-15", tmp_path / "h.db")
    assert "--no-history" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_source_digests(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("unit_id: A\n", encoding="utf-8")
    digests = source_digests([str(tmp_path / "a.yaml"), str(tmp_path / "a.yaml"), "<stdin>"])
    assert digests == {str(tmp_path / "a.yaml"): "c0e5fdbddca6b99d3e498f65b4dd5a0aeb80f6ac404ec3b29368d71181be9335"}
