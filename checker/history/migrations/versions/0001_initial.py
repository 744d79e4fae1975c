"""Initial run-history schema: runs, their units and findings; ledger items, imports and status events.

Revision ID: 0001
Revises: (none)
Create Date: 2026-01-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('pbcheck_ledger_imports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbcheck_ledger_imports'))
    )
    op.create_table('pbcheck_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('started', sa.String(length=40), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('pack_id', sa.String(length=200), nullable=False),
    sa.Column('pack_version', sa.String(length=50), nullable=False),
    sa.Column('pack_title', sa.Text(), nullable=False),
    sa.Column('tool_version', sa.String(length=50), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('input_digests', sa.JSON(), nullable=False),
    sa.Column('units_checked', sa.Integer(), nullable=False),
    sa.Column('units_failed_validation', sa.Integer(), nullable=False),
    sa.Column('findings_open', sa.Integer(), nullable=False),
    sa.Column('findings_total', sa.Integer(), nullable=False),
    sa.Column('diff_totals', sa.JSON(), nullable=False),
    sa.Column('out_dir', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbcheck_runs')),
    sa.UniqueConstraint('uid', name=op.f('uq_pbcheck_runs_uid'))
    )
    with op.batch_alter_table('pbcheck_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pbcheck_runs_as_of'), ['as_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_pbcheck_runs_pack_id'), ['pack_id'], unique=False)

    op.create_table('pbcheck_ledger_items',
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.String(length=200), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('item', sa.Text(), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('first_run_id', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('responsible_unit', sa.Text(), nullable=True),
    sa.Column('responsible_person', sa.Text(), nullable=True),
    sa.Column('progress', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('reviewer', sa.Text(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('reported_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['first_run_id'], ['pbcheck_runs.id'], name=op.f('fk_pbcheck_ledger_items_first_run_id_pbcheck_runs')),
    sa.PrimaryKeyConstraint('fingerprint', name=op.f('pk_pbcheck_ledger_items'))
    )
    with op.batch_alter_table('pbcheck_ledger_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pbcheck_ledger_items_unit_id'), ['unit_id'], unique=False)

    op.create_table('pbcheck_run_findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('item', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('ledger_cells', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['pbcheck_runs.id'], name=op.f('fk_pbcheck_run_findings_run_id_pbcheck_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbcheck_run_findings'))
    )
    with op.batch_alter_table('pbcheck_run_findings', schema=None) as batch_op:
        batch_op.create_index('ix_pbcheck_run_findings_run_unit', ['run_id', 'unit_id'], unique=False)
        batch_op.create_index('ix_pbcheck_run_findings_unit_fp', ['unit_id', 'fingerprint'], unique=False)

    op.create_table('pbcheck_run_units',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('parent', sa.Text(), nullable=True),
    sa.Column('org_type', sa.String(length=20), nullable=True),
    sa.Column('period', sa.String(length=30), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_digest', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['pbcheck_runs.id'], name=op.f('fk_pbcheck_run_units_run_id_pbcheck_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'unit_id', name=op.f('pk_pbcheck_run_units'))
    )
    with op.batch_alter_table('pbcheck_run_units', schema=None) as batch_op:
        batch_op.create_index('ix_pbcheck_run_units_unit_run', ['unit_id', 'run_id'], unique=False)

    op.create_table('pbcheck_ledger_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('old_status', sa.String(length=20), nullable=True),
    sa.Column('new_status', sa.String(length=20), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['fingerprint'], ['pbcheck_ledger_items.fingerprint'], name=op.f('fk_pbcheck_ledger_events_fingerprint_pbcheck_ledger_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['pbcheck_ledger_imports.id'], name=op.f('fk_pbcheck_ledger_events_import_id_pbcheck_ledger_imports')),
    sa.ForeignKeyConstraint(['run_id'], ['pbcheck_runs.id'], name=op.f('fk_pbcheck_ledger_events_run_id_pbcheck_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pbcheck_ledger_events'))
    )
    with op.batch_alter_table('pbcheck_ledger_events', schema=None) as batch_op:
        batch_op.create_index('ix_pbcheck_ledger_events_fp', ['fingerprint', 'id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('pbcheck_ledger_events', schema=None) as batch_op:
        batch_op.drop_index('ix_pbcheck_ledger_events_fp')

    op.drop_table('pbcheck_ledger_events')
    with op.batch_alter_table('pbcheck_run_units', schema=None) as batch_op:
        batch_op.drop_index('ix_pbcheck_run_units_unit_run')

    op.drop_table('pbcheck_run_units')
    with op.batch_alter_table('pbcheck_run_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_pbcheck_run_findings_unit_fp')
        batch_op.drop_index('ix_pbcheck_run_findings_run_unit')

    op.drop_table('pbcheck_run_findings')
    with op.batch_alter_table('pbcheck_ledger_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pbcheck_ledger_items_unit_id'))

    op.drop_table('pbcheck_ledger_items')
    with op.batch_alter_table('pbcheck_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pbcheck_runs_pack_id'))
        batch_op.drop_index(batch_op.f('ix_pbcheck_runs_as_of'))

    op.drop_table('pbcheck_runs')
    op.drop_table('pbcheck_ledger_imports')
