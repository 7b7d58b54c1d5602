"""`golive export` section(s) of this feature: reported problems, and each one's timeline."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import Issue, IssueEvent


def export_rows(session: Session, launch_id: int | None) -> list[dict]:
    query = select(Issue).order_by(Issue.launch_id, Issue.number)
    if launch_id is not None:
        query = query.where(Issue.launch_id == launch_id)
    return [{"id": i.id, "launch_id": i.launch_id, "number": i.number, "text": i.text, "severity": i.severity,
             "status": i.status, "reporter": i.reporter, "created_at": i.created_at,
             "acknowledged_at": i.acknowledged_at, "resolved_at": i.resolved_at,
             "escalation_count": i.escalation_count, "source": i.source, "satisfaction": i.satisfaction,
             "same_problem_as": i.parent_id}
            for i in session.exec(query)]


def timeline_rows(session: Session, launch_id: int | None) -> list[dict]:
    """Every issue's timeline, oldest first: what happened, when, and who did it."""
    query = (select(IssueEvent, Issue.launch_id, Issue.number).join(Issue, Issue.id == IssueEvent.issue_id)
             .order_by(Issue.launch_id, Issue.number, IssueEvent.id))
    if launch_id is not None:
        query = query.where(Issue.launch_id == launch_id)
    return [{"issue_id": event.issue_id, "launch_id": launch, "number": number, "at": event.at,
             "actor": event.actor, "kind": event.kind, "detail": event.detail}
            for event, launch, number in session.exec(query)]


SECTIONS = (("issues", export_rows), ("issue_events", timeline_rows))
