"""retrospective lessons: the lessons a retro summary proposes, and who added a checklist template item

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-10
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('retro_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lessons', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('checklist_template_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('checklist_template_item', schema=None) as batch_op:
        batch_op.drop_column('added_by')
    with op.batch_alter_table('retro_summary', schema=None) as batch_op:
        batch_op.drop_column('lessons')
