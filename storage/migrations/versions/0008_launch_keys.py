"""launches as code: a stable key per launch and per goal

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_launch_key'), ['key'], unique=True)
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_column('key')
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launch_key'))
        batch_op.drop_column('key')
