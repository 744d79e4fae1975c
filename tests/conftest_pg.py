"""A throwaway PostgreSQL server for the history tests (imported by the modules that need it).

Started once per test session on a free port, with its data and socket in a temporary directory,
and stopped afterwards. As root (these machines) the server runs as the `postgres` user through
`su`, as environment.md shows; as any other user it runs as that user. Tests that need it skip —
saying why — only when no PostgreSQL server binaries are installed.
"""
from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from typing import Iterator

import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin/initdb"


def _pg_bin() -> str | None:
    found = sorted(glob.glob(PG_BIN_GLOB))
    return os.path.dirname(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command: list[str], as_postgres: bool) -> None:
    if as_postgres:
        command = ["su", "postgres", "-c", shlex.join(command)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


class PostgresServer:
    """A running server: `url(db)` for SQLAlchemy, `create_database()` for a fresh empty database."""

    def __init__(self, port: int):
        self.port = port

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a new empty database and return its URL."""
        import psycopg
        name = "pbcheck_" + uuid.uuid4().hex[:10]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start PostgreSQL for this test session (skips only when no server binaries are installed)."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(f"PostgreSQL 服务器未安装（找不到 {PG_BIN_GLOB}），跳过 PostgreSQL 测试")
    as_postgres = os.geteuid() == 0
    root = tempfile.mkdtemp(prefix="pbcheck-pg-")
    os.chmod(root, 0o755)   # the postgres user must reach its data directory
    data = os.path.join(root, "data")
    os.mkdir(data)
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    log = os.path.join(root, "server.log")
    _run([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
         as_postgres)
    _run([f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-o",
          f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], as_postgres)
    try:
        yield PostgresServer(port)
    finally:
        _run([f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], as_postgres)
        shutil.rmtree(root, ignore_errors=True)
