"""Alembic environment of the run-history schema.

pbcheck runs the migrations itself (`checker.history.database.migrate`), handing over a connection
that already holds the writers' lock. Maintainers create a new revision after changing
`checker/history/models.py` with
`PBCHECK_DB=/tmp/dev.db alembic -c checker/history/alembic.ini revision --autogenerate -m "…"`
(after `pbcheck history --db /tmp/dev.db` has created the current schema there).
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from checker.history.database import database_url, default_spec
from checker.history.models import VERSION_TABLE, Base

config = context.config


def _configure(connection) -> None:   # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)


def run_migrations_online() -> None:
    """Run the migrations on the connection pbcheck passed in, or on $PBCHECK_DB for maintainers."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url(default_spec()))
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("pbcheck 的迁移只能在线运行（需要数据库连接）")
run_migrations_online()
