"""issue loops: a launch's second-level oncall; same-problem links between issues

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-10
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oncall2', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('looks_like_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_issue_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key('fk_issue_looks_like_id_issue', 'issue', ['looks_like_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_issue_parent_id_issue', 'issue', ['parent_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.drop_constraint('fk_issue_parent_id_issue', type_='foreignkey')
        batch_op.drop_constraint('fk_issue_looks_like_id_issue', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_issue_parent_id'))
        batch_op.drop_column('parent_id')
        batch_op.drop_column('looks_like_id')
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.drop_column('oncall2')
