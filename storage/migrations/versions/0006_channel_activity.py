"""channel activity per launch and person (Slack-native adoption signals)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
import storage.types


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_activity',
    sa.Column('launch_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('first_active_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('last_active_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['launch_id'], ['launch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('launch_id', 'user_id')
    )
    with op.batch_alter_table('channel_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_activity_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_activity_user_id'))
    op.drop_table('channel_activity')
