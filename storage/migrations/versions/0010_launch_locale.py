"""a launch's locale: the language of everything the customer's people see

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-12
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default='en'))


def downgrade() -> None:
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.drop_column('locale')
