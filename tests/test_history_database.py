"""The history database: where it is, its schema (Alembic), and two processes writing one SQLite file."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

import checker
from checker.errors import UsageError
from checker.history import store
from checker.history.database import (SCHEMA_REVISION, current_revision, database_url, default_spec, head_revision, open_database, shown_url)
from checker.history.models import VERSION_TABLE, Base

REPO = Path(__file__).resolve().parent.parent
# where the `checker` under test lives (a checkout, or site-packages when CI installed the wheel)
CHECKER_ROOT = str(Path(checker.__file__).resolve().parent.parent)


def test_paths_are_sqlite_files_and_urls_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = database_url("hist.db")
    assert url.get_backend_name() == "sqlite" and url.database == str(tmp_path / "hist.db")
    assert shown_url(url) == str(tmp_path / "hist.db")
    assert database_url("sqlite:////x/y.db").database == "/x/y.db"
    pg = database_url("postgresql://audit:secret@db.example:5433/pbcheck")
    assert pg.drivername == "postgresql+psycopg" and pg.port == 5433
    assert "secret" not in shown_url(pg) and "***" in shown_url(pg)
    assert database_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize("spec, words", [("", "不能为空"), ("mysql://u@h/db", "不支持的数据库类型 mysql"),
                                         ("::://", "无法识别")])
def test_unusable_database_specs_are_usage_errors(spec: str, words: str) -> None:
    with pytest.raises(UsageError) as info:
        database_url(spec)
    assert words in str(info.value)


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="目录"):
        database_url(str(tmp_path))


def test_default_is_pbcheck_db_unless_the_environment_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PBCHECK_DB", raising=False)
    assert default_spec() == "pbcheck.db"
    monkeypatch.setenv("PBCHECK_DB", "/srv/audit/history.db")
    assert default_spec() == "/srv/audit/history.db"


def test_new_database_gets_the_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    db = open_database(str(path))
    try:
        with db.transaction() as conn:
            assert current_revision(conn) == SCHEMA_REVISION
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 60000
            assert store.count_runs(conn) == 0
    finally:
        db.dispose()
    names = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert names == {t.name for t in Base.metadata.sorted_tables} | {VERSION_TABLE}


def test_shipped_revision_constant_is_the_migrations_head() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """A model change without a migration fails here (Alembic's autogenerate comparison finds no difference)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    db = open_database(str(tmp_path / "h.db"))
    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.dispose()


def test_reading_commands_do_not_create_a_database(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="运行历史数据库不存在"):
        open_database(str(tmp_path / "none.db"), create=False)
    assert not (tmp_path / "none.db").exists()
    with pytest.raises(UsageError, match="所在目录不存在"):
        open_database(str(tmp_path / "missing" / "h.db"))


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    open_database(str(path)).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version_num = '9999'")
    with pytest.raises(UsageError, match="比本程序新"):
        open_database(str(path))


def test_tables_without_a_version_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    open_database(str(path)).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(f"DROP TABLE {VERSION_TABLE}")
    with pytest.raises(UsageError, match="没有结构版本记录"):
        open_database(str(path))


def test_a_file_that_is_not_sqlite_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.write_text("这不是数据库" * 200, encoding="utf-8")
    with pytest.raises(UsageError, match="运行历史数据库.*file is not a database"):
        open_database(str(path))


# ---------------------------------------------------------------------------------------------
# Two processes at once

WRITER = textwrap.dedent("""\
    import datetime as dt, sys, time
    from pathlib import Path
    from checker.history import store
    from checker.history.database import open_database

    db_path, go, name, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    while not go.exists():
        time.sleep(0.005)
    db = open_database(db_path)          # both processes race on creating the schema, too
    for i in range(count):
        as_of = dt.date(2026, 1, 1) + dt.timedelta(days=i)
        with db.transaction() as conn:   # read, as a run does before it writes
            store.unit_timelines(conn, "p", ["U-1", "U-2"], as_of)
        run = {"uid": f"{name}{i:04d}", "started": "2026-01-01T00:00:00+08:00", "as_of": as_of, "pack_id": "p",
               "pack_version": "1", "pack_title": "t", "tool_version": "0", "params": {}, "inputs": [],
               "input_digests": {}, "units_checked": 2, "units_failed_validation": 0, "findings_open": 1,
               "findings_total": 1, "diff_totals": {}, "out_dir": None}
        units = [{"unit_id": u, "name": u, "parent": None, "org_type": None, "period": "", "source": "",
                  "source_digest": None, "status": "checked", "checks": {}} for u in ("U-1", "U-2")]
        finding = {"fingerprint": f"{name}-shared", "rule": "FM03", "severity": "中", "title": "t", "item": None,
                   "status": "open", "deadline": "2026-03-01", "message": "m"}
        with db.transaction(write=True) as conn:
            store.store_run(conn, run, units, [store.StoredFinding("U-1", finding)], set())
    db.dispose()
    print("done", count)
""")


def test_two_processes_writing_one_sqlite_file_both_land(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    go = tmp_path / "go"
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": CHECKER_ROOT}
    count = 25
    procs = [subprocess.Popen([sys.executable, str(script), str(path), str(go), name, str(count)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    time.sleep(0.5)          # both interpreters started and waiting
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err
        assert out.strip() == f"done {count}"
    db = open_database(str(path), create=False)
    try:
        with db.transaction() as conn:
            runs = store.list_runs(conn)
            assert len(runs) == 2 * count
            assert {r.ref.uid[0] for r in runs} == {"a", "b"}
            items = store.ledger_items(conn, ["a-shared", "b-shared"])
            assert set(items) == {"a-shared", "b-shared"}
            assert conn.execute(text("SELECT count(*) FROM pbcheck_run_units")).scalar() == 4 * count
    finally:
        db.dispose()
