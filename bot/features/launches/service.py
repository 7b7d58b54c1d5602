"""Launches: validation of what people type, creation and update, and who is who on a launch."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from bot.core.clock import parse_date, parse_zone
from bot.core.errors import InvalidInput, NotFound
from bot.features.launches.model import LaunchInput
from storage.models import Goal, Launch, LaunchMember, MemberRole


def store_launch(session: Session, spec: LaunchInput, *, now: datetime,
                refuse_past: bool = False) -> tuple[Launch, bool]:
    """Create the launch for `spec.channel`, or update it; returns (launch, created). With `refuse_past`
    (people creating launches), a new launch's go-live date may not be before today in its time zone."""
    launch = session.exec(select(Launch).where(Launch.channel == spec.channel)).first()
    created = launch is None
    if created and not {"customer", "go_live", "tz"} <= spec.given:
        raise InvalidInput(f"launch for {spec.channel} does not exist yet: customer, go_live and tz are needed")
    if created and refuse_past and spec.go_live < now.astimezone(parse_zone(spec.tz)).date():
        raise InvalidInput(f"go-live date {spec.go_live} is in the past in {spec.tz}; use today or later")
    if launch is None:
        launch = Launch(
            customer=spec.customer, channel=spec.channel, go_live_date=spec.go_live, timezone=spec.tz,
            created_at=now, updated_at=now,
        )
    scalar = {
        "customer": "customer", "go_live": "go_live_date", "tz": "timezone", "checkin_time": "checkin_time",
        "digest_time": "digest_time", "checkin_days": "checkin_days", "support_channel": "support_channel",
        "urgent_channel": "urgent_channel", "oncall": "oncall", "oncall2": "oncall2",
        "leadership_channel": "leadership_channel",
        "retro_after_days": "retro_after_days", "holiday": "holidays", "nudges": "nudges_enabled",
        "nudge_after_hours": "nudge_after_hours", "checkin_grace_hours": "checkin_grace_hours",
        "show_names": "show_names", "escalation_steps": "escalation_steps", "support_hours": "support_hours",
        "support_tz": "support_tz", "update_reminder_minutes": "update_reminder_minutes",
        "csm_channel": "csm_channel", "training_link": "training_link", "adoption_nudges": "adoption_nudges",
        "quiet_days": "quiet_days", "fallback_doc": "fallback_doc", "retro_window_days": "retro_window_days",
    }
    for name, column in scalar.items():
        if created or name in spec.given:
            value = getattr(spec, name)
            setattr(launch, column, list(value) if isinstance(value, tuple) else value)
    if created or {"route", "severity_channel"} & spec.given:
        routing = dict(launch.routing or {})
        if created or "route" in spec.given:
            routing["keywords"] = [{"keyword": k, "channel": c} for k, c in spec.route]
        if created or "severity_channel" in spec.given:
            routing["severity_channels"] = dict(spec.severity_channel)
        launch.routing = routing
    if created or "sla" in spec.given:
        launch.sla_minutes = dict(spec.sla)
    launch.updated_at = now
    session.add(launch)
    session.flush()
    for name, role in (("csm", MemberRole.CSM), ("leader", MemberRole.LEADER)):
        if created or name in spec.given:
            _replace_members(session, launch.id, role, getattr(spec, name))
    if created or "goal" in spec.given:
        for old in session.exec(select(Goal).where(Goal.launch_id == launch.id)).all():
            session.delete(old)
        for position, text in enumerate(spec.goal):
            session.add(Goal(launch_id=launch.id, position=position, text=text))
    session.flush()
    return launch, created


def _replace_members(session: Session, launch_id: int, role: str, users: tuple[str, ...]) -> None:
    existing = session.exec(
        select(LaunchMember).where(LaunchMember.launch_id == launch_id, LaunchMember.role == role)
    ).all()
    for member in existing:
        if member.user_id not in users:
            session.delete(member)
    have = {m.user_id for m in existing}
    for user in dict.fromkeys(users):
        if user not in have:
            session.add(LaunchMember(launch_id=launch_id, user_id=user, role=role))


def get_launch(session: Session, launch_id: int) -> Launch:
    launch = session.get(Launch, launch_id)
    if launch is None:
        raise NotFound(f"no launch with id {launch_id}")
    return launch


def launch_for_channel(session: Session, channel_id: str | None) -> Launch | None:
    if not channel_id:
        return None
    return session.exec(select(Launch).where(Launch.channel == channel_id)).first()


def members(session: Session, launch_id: int, role: str) -> list[str]:
    rows = session.exec(
        select(LaunchMember.user_id)
        .where(LaunchMember.launch_id == launch_id, LaunchMember.role == role)
        .order_by(LaunchMember.id)
    ).all()
    return list(rows)


def goals(session: Session, launch_id: int) -> list[Goal]:
    return list(session.exec(select(Goal).where(Goal.launch_id == launch_id).order_by(Goal.position)).all())


def holidays_of(launch: Launch) -> frozenset[date]:
    return frozenset(parse_date(d) for d in (launch.holidays or []))
