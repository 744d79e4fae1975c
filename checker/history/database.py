"""Opening the run-history database: SQLite file or PostgreSQL URL, schema brought up to date by Alembic.

SQLite is set up for several pbcheck processes at once: WAL journal (readers never block the
writer), a 60-second busy timeout, and every writing transaction opened with `BEGIN IMMEDIATE`,
so a transaction that reads and then writes holds the write lock from its start and cannot fail
half-way with "database is locked" (a deferred one could, on a snapshot made stale by the other
process). On PostgreSQL writers serialise on a transaction-scoped
advisory lock. Migrations run under the same lock, so two first runs on an empty database do
not both create the tables.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from checker.errors import UsageError

from checker.history.models import VERSION_TABLE

DEFAULT_DB = "pbcheck.db"
ENV_VAR = "PBCHECK_DB"
BUSY_TIMEOUT_SECONDS = 60
# Arbitrary constant naming pbcheck's advisory lock in a shared PostgreSQL database.
PG_LOCK_KEY = 0x7062636B   # "pbck"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (a test keeps them equal): lets an up-to-date database
# open without importing Alembic.
SCHEMA_REVISION = "0002"
_SUPPORTED = "SQLite 文件路径（或 sqlite:///路径）、postgresql+psycopg://用户@主机:端口/库"


def database_url(spec: str) -> URL:
    """The SQLAlchemy URL of `--db`: a file path (SQLite) or a URL; `postgresql://` uses psycopg 3."""
    spec = spec.strip()
    if not spec:
        raise UsageError(f"--db 不能为空（可用：{_SUPPORTED}）")
    if "://" not in spec:
        path = Path(spec).expanduser()
        if path.is_dir():
            raise UsageError(f"--db 指向的是目录而不是数据库文件：{spec}")
        return URL.create("sqlite", database=str(path.resolve()))
    try:
        url = make_url(spec)
    except ArgumentError:
        raise UsageError(f"无法识别的数据库地址：{spec}（可用：{_SUPPORTED}）") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url
    if backend == "sqlite":
        return url
    raise UsageError(f"不支持的数据库类型 {backend}（可用：{_SUPPORTED}）")


def shown_url(url: URL) -> str:
    """The database as messages show it: the file for SQLite, the URL without password otherwise."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


@dataclass
class Database:
    """An open history database: the engine and how to name it in messages."""

    engine: Engine
    url: URL
    shown: str

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self, write: bool = False) -> Iterator[Connection]:
        """A connection inside one transaction; `write` takes the writers' lock first (PostgreSQL)."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(pbcheck_write=write)
                with conn.begin():
                    if write and self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
                    yield conn
        except DBAPIError as exc:
            raise UsageError(f"运行历史数据库操作失败（{self.shown}）：{_reason(exc)}") from None

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:   # type: ignore[no-untyped-def]
        # pysqlite's own transaction handling would BEGIN DEFERRED; we begin ourselves (below)
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Readers take no lock (WAL); a writer locks at BEGIN so it cannot fail later on a stale snapshot.
        write = conn.get_execution_options().get("pbcheck_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def open_database(spec: str, *, create: bool = True) -> Database:
    """Open (and migrate) the history database `spec`; `create=False` refuses a SQLite file that does not exist."""
    url = database_url(spec)
    shown = shown_url(url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        if not path.exists():
            if not create:
                raise UsageError(f"运行历史数据库不存在：{shown}（先用 pbcheck run 检查一次，或用 --db 指定数据库）")
            if not path.parent.is_dir():
                raise UsageError(f"运行历史数据库所在目录不存在：{path.parent}")
    try:
        engine = _sqlite_engine(url) if url.get_backend_name() == "sqlite" else \
            create_engine(url, pool_pre_ping=True)
    except NoSuchModuleError:
        raise UsageError(f"不支持的数据库驱动：{url.drivername}（可用：{_SUPPORTED}）") from None
    except ModuleNotFoundError as exc:
        raise UsageError(f"使用 {url.get_backend_name()} 需要安装驱动 {exc.name}：pip install 'pbcheck[postgres]'") from None
    db = Database(engine, url, shown)
    try:
        migrate(db)
    except UsageError:
        db.dispose()
        raise
    except SQLAlchemyError as exc:
        db.dispose()
        reason = _reason(exc) if isinstance(exc, DBAPIError) else str(exc)
        raise UsageError(f"无法打开运行历史数据库 {shown}：{reason}") from None
    return db


def head_revision() -> str:
    """The newest schema revision shipped with this pbcheck."""
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def _alembic_config(connection: Connection | None = None):   # type: ignore[no-untyped-def]
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(conn: Connection) -> str | None:
    """The schema revision recorded in the database (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def _recorded_revision(db: Database) -> str | None:
    with db.transaction() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def migrate(db: Database) -> None:
    """Bring the schema to the shipped head revision, under the writers' lock; refuse newer schemas."""
    if _recorded_revision(db) == SCHEMA_REVISION:
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    config = _alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    with db.transaction(write=True) as conn:
        revision = current_revision(conn)
        if revision == head:
            return
        if revision is not None and revision not in {s.revision for s in script.walk_revisions()}:
            raise UsageError(f"运行历史数据库 {db.shown} 的结构版本 {revision} 比本程序新（本程序支持到 {head}），请升级 pbcheck")
        if revision is None and inspect(conn).has_table("pbcheck_runs"):
            raise UsageError(f"{db.shown} 中已有 pbcheck 表但没有结构版本记录，无法确定其结构，请换一个数据库")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def default_spec() -> str:
    """`--db` when not given: $PBCHECK_DB, else pbcheck.db in the working directory."""
    return os.environ.get(ENV_VAR) or DEFAULT_DB
