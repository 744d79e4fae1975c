"""The 融合度指数 of each unit per run (index.md): a JSON column on the run's units.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('pbcheck_run_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('integration_index', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('pbcheck_run_units', schema=None) as batch_op:
        batch_op.drop_column('integration_index')
