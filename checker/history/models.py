"""The run-history schema (SQLAlchemy 2 declarative models); Alembic migrations in `migrations/` create it.

Every table is prefixed `pbcheck_` so that the history can live in a PostgreSQL database shared with
other applications. Changing a model needs a new migration (tests compare the two).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TABLE_PREFIX = "pbcheck_"
VERSION_TABLE = "pbcheck_alembic_version"

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    """Declarative base of the history tables (with constraint names that migrations can refer to)."""

    metadata = MetaData(naming_convention=NAMING)


class Run(Base):
    """One `pbcheck run`: what was checked, with which pack and parameters, as of which date."""

    __tablename__ = "pbcheck_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)   # shown as 编号
    uid: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)       # run id in outputs and evidence
    started: Mapped[str] = mapped_column(String(40), nullable=False)                # ISO timestamp with offset
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    pack_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    pack_version: Mapped[str] = mapped_column(String(50), nullable=False)
    pack_title: Mapped[str] = mapped_column(Text, nullable=False, default="")
    tool_version: Mapped[str] = mapped_column(String(50), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    inputs: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    input_digests: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)    # file -> sha256
    units_checked: Mapped[int] = mapped_column(Integer, nullable=False)
    units_failed_validation: Mapped[int] = mapped_column(Integer, nullable=False)
    findings_open: Mapped[int] = mapped_column(Integer, nullable=False)
    findings_total: Mapped[int] = mapped_column(Integer, nullable=False)
    diff_totals: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False)      # new / persisting / resolved
    out_dir: Mapped[str | None] = mapped_column(Text, nullable=True)


class RunUnit(Base):
    """A unit as one run saw it (checked or invalid), with the digest of the file it came from."""

    __tablename__ = "pbcheck_run_units"
    __table_args__ = (Index("ix_pbcheck_run_units_unit_run", "unit_id", "run_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("pbcheck_runs.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, default="")
    parent: Mapped[str | None] = mapped_column(Text, nullable=True)
    org_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    period: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    source: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)                # checked | invalid
    checks: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    # the unit's 融合度指数 as findings.json shows it (None: invalid unit, a pack without index, or before 0002)
    integration_index: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RunFinding(Base):
    """A finding of one run, keyed by its fingerprint (the ledger's 问题编号)."""

    __tablename__ = "pbcheck_run_findings"
    __table_args__ = (Index("ix_pbcheck_run_findings_unit_fp", "unit_id", "fingerprint"),
                      Index("ix_pbcheck_run_findings_run_unit", "run_id", "unit_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pbcheck_runs.id", ondelete="CASCADE"), nullable=False)
    unit_id: Mapped[str] = mapped_column(String(200), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    item: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)                # open | waived
    deadline: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)             # Finding.to_json()
    ledger_cells: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)   # ledger row as issued: {cells, locked}


class LedgerItem(Base):
    """A rectification item (one row of the 整改台账), created when its finding is first reported open."""

    __tablename__ = "pbcheck_ledger_items"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    item: Mapped[str | None] = mapped_column(Text, nullable=True)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)
    first_run_id: Mapped[int] = mapped_column(ForeignKey("pbcheck_runs.id"), nullable=False)
    issued_on: Mapped[dt.date] = mapped_column(Date, nullable=False)               # as-of of the issuing run
    deadline: Mapped[dt.date] = mapped_column(Date, nullable=False)                # 整改时限
    status: Mapped[str] = mapped_column(String(20), nullable=False)                # 未启动 整改中 申请销号 已销号 超期 长期坚持
    measures: Mapped[str | None] = mapped_column(Text, nullable=True)              # 整改措施
    responsible_unit: Mapped[str | None] = mapped_column(Text, nullable=True)      # 责任单位
    responsible_person: Mapped[str | None] = mapped_column(Text, nullable=True)    # 责任人
    progress: Mapped[str | None] = mapped_column(Text, nullable=True)              # 完成情况
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)              # 佐证材料
    reviewer: Mapped[str | None] = mapped_column(Text, nullable=True)              # 复核人
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)         # 销号日期
    reported_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)         # as-of of the last import that changed it
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LedgerImport(Base):
    """One `pbcheck ledger import`: the files read and how many rows changed."""

    __tablename__ = "pbcheck_ledger_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    files: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    changed: Mapped[int] = mapped_column(Integer, nullable=False)


class LedgerEvent(Base):
    """The status history of a ledger item: issued, changed by an import, reopened on recurrence."""

    __tablename__ = "pbcheck_ledger_events"
    __table_args__ = (Index("ix_pbcheck_ledger_events_fp", "fingerprint", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(ForeignKey("pbcheck_ledger_items.fingerprint", ondelete="CASCADE"),
                                             nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)                  # issued | import | reopened
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("pbcheck_runs.id"), nullable=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("pbcheck_ledger_imports.id"), nullable=True)
    old_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    new_status: Mapped[str] = mapped_column(String(20), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)          # 列名 -> [旧值, 新值]
    source: Mapped[str | None] = mapped_column(Text, nullable=True)                # file › sheet › 第n行
