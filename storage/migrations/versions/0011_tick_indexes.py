"""indexes for what a tick reads: the newest change shown on a Home (max over check-in answers, issues, issue
events, readiness items, launches and finished planned work; each was a whole-table read)

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-20
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ('ix_planned_work_finished_at', 'planned_work', ['finished_at']),
    ('ix_check_in_answer_recorded_at', 'check_in_answer', ['recorded_at']),
    ('ix_issue_created_at', 'issue', ['created_at']),
    ('ix_issue_event_at', 'issue_event', ['at']),
    ('ix_readiness_item_changed_at', 'readiness_item', ['changed_at']),
    ('ix_launch_updated_at', 'launch', ['updated_at']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
