"""`golive export` section(s) of this feature: reported problems."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import Issue


def export_rows(session: Session, launch_id: int | None) -> list[dict]:
    query = select(Issue).order_by(Issue.launch_id, Issue.number)
    if launch_id is not None:
        query = query.where(Issue.launch_id == launch_id)
    return [{"id": i.id, "launch_id": i.launch_id, "number": i.number, "text": i.text, "severity": i.severity,
             "status": i.status, "reporter": i.reporter, "created_at": i.created_at,
             "acknowledged_at": i.acknowledged_at, "resolved_at": i.resolved_at,
             "escalation_count": i.escalation_count, "source": i.source, "satisfaction": i.satisfaction}
            for i in session.exec(query)]


SECTIONS = (("issues", export_rows),)
