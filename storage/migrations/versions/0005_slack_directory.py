"""the stored Slack directory (people, channel members, channel sync state); outbox priority and order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
import storage.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slack_person',
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('is_restricted', sa.Boolean(), nullable=False),
    sa.Column('is_ultra_restricted', sa.Boolean(), nullable=False),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status_text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status_emoji', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status_expiration', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('slack_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_person_email'), ['email'], unique=False)
    op.create_table('channel_member',
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seen_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'user_id')
    )
    with op.batch_alter_table('channel_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_member_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('order_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index('ix_outbox_order', ['order_key', 'status'], unique=False)
    op.create_table('channel_sync',
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('synced_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('refreshing_until', storage.types.UTCDateTime(), nullable=True),
    sa.Column('is_ext_shared', sa.Boolean(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('channel')
    )


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_order')
        batch_op.drop_column('order_key')
        batch_op.drop_column('priority')
    op.drop_table('channel_sync')
    with op.batch_alter_table('channel_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_member_user_id'))
    op.drop_table('channel_member')
    with op.batch_alter_table('slack_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_person_email'))
    op.drop_table('slack_person')
