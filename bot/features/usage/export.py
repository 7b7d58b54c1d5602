"""`golive export` section(s) of this feature: product usage records."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from storage.models import UsageRecord


def export_usage(session: Session, launch_id: int | None) -> list[dict[str, Any]]:
    query = select(UsageRecord).order_by(UsageRecord.launch_id, UsageRecord.email, UsageRecord.last_active_at,
                                         UsageRecord.id)
    if launch_id is not None:
        query = query.where(UsageRecord.launch_id == launch_id)
    return [{"launch_id": r.launch_id, "email": r.email, "user": r.slack_user_id, "last_active_at": r.last_active_at,
             "feature": r.feature, "source": r.source, "imported_at": r.imported_at}
            for r in session.exec(query)]


SECTIONS = (("usage", export_usage),)
