"""Launches: validation of what people type, creation and update, and who is who on a launch."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, select

from bot.core.clock import parse_date, parse_zone
from bot.core.errors import InvalidInput, NotFound
from bot.features.launches.model import LaunchInput, slug
from storage.models import Goal, Launch, LaunchMember, MemberRole

SCALAR_COLUMNS = {  # LaunchInput field → Launch column
    "customer": "customer", "go_live": "go_live_date", "tz": "timezone", "checkin_time": "checkin_time",
    "digest_time": "digest_time", "checkin_days": "checkin_days", "support_channel": "support_channel",
    "urgent_channel": "urgent_channel", "oncall": "oncall", "oncall2": "oncall2",
    "leadership_channel": "leadership_channel", "retro_after_days": "retro_after_days", "holiday": "holidays",
    "nudges": "nudges_enabled",
    "nudge_after_hours": "nudge_after_hours", "checkin_grace_hours": "checkin_grace_hours",
    "show_names": "show_names", "escalation_steps": "escalation_steps", "support_hours": "support_hours",
    "support_tz": "support_tz", "update_reminder_minutes": "update_reminder_minutes",
    "csm_channel": "csm_channel", "training_link": "training_link", "adoption_nudges": "adoption_nudges",
    "quiet_days": "quiet_days", "fallback_doc": "fallback_doc", "retro_window_days": "retro_window_days",
    "locale": "locale",
}
_NOT_GIVEN = object()


def check_new_launch(spec: LaunchInput, *, now: datetime, refuse_past: bool = False) -> None:
    """Refuse a spec that cannot create a launch: a required field missing, or (with `refuse_past`, people
    creating launches) a go-live date before today in the launch's time zone."""
    if not {"customer", "go_live", "tz"} <= spec.given:
        raise InvalidInput(f"launch for {spec.channel} does not exist yet: customer, go_live and tz are needed")
    if refuse_past and spec.go_live < now.astimezone(parse_zone(spec.tz)).date():
        raise InvalidInput(f"go-live date {spec.go_live} is in the past in {spec.tz}; use today or later")


def launch_columns(spec: LaunchInput, *, created: bool, now: datetime, default_locale: str | None = None,
                   routing: dict | None = None) -> dict[str, Any]:
    """The Launch columns a spec sets: all of them for a new launch, the given ones for an update (`routing`
    is the launch's current routing, which an update changes only in part)."""
    values: dict[str, Any] = {}
    if created:
        values.update(customer=spec.customer, channel=spec.channel, go_live_date=spec.go_live, timezone=spec.tz,
                      created_at=now)
    for name, column in SCALAR_COLUMNS.items():
        if created or name in spec.given:
            value = getattr(spec, name)
            values[column] = list(value) if isinstance(value, tuple) else value
    if created or {"route", "severity_channel"} & spec.given:
        new_routing = dict(routing or {})
        if created or "route" in spec.given:
            new_routing["keywords"] = [{"keyword": k, "channel": c} for k, c in spec.route]
        if created or "severity_channel" in spec.given:
            new_routing["severity_channels"] = dict(spec.severity_channel)
        values["routing"] = new_routing
    if created or "sla" in spec.given:
        values["sla_minutes"] = dict(spec.sla)
    if created and "locale" not in spec.given and default_locale:
        values["locale"] = default_locale
    values["updated_at"] = now
    return values


def store_launch(session: Session, spec: LaunchInput, *, now: datetime, refuse_past: bool = False,
                 existing: Launch | None | object = _NOT_GIVEN,
                 default_locale: str | None = None) -> tuple[Launch, bool]:
    """Create the launch for `spec.channel`, or update it; returns (launch, created). With `refuse_past`
    (people creating launches), a new launch's go-live date may not be before today in its time zone.
    `existing` names the launch to update (or None: create one) instead of finding it by channel — launches
    as code find theirs by key, and their channel may change. A new launch whose spec does not name a locale
    speaks `default_locale` (GOLIVE_LOCALE, which the command line passes) when given."""
    if existing is _NOT_GIVEN:
        launch = session.exec(select(Launch).where(Launch.channel == spec.channel)).first()
    else:
        launch = existing  # type: ignore[assignment]
    created = launch is None
    if created:
        check_new_launch(spec, now=now, refuse_past=refuse_past)
        launch = Launch(
            customer=spec.customer, channel=spec.channel, go_live_date=spec.go_live, timezone=spec.tz,
            created_at=now, updated_at=now,
        )
    elif "channel" in spec.given:
        launch.channel = spec.channel  # launches as code: the same launch moves to another channel
    values = launch_columns(spec, created=created, now=now, default_locale=default_locale, routing=launch.routing)
    for column, value in values.items():
        setattr(launch, column, value)
    session.add(launch)
    session.flush()
    for name, role in (("csm", MemberRole.CSM), ("leader", MemberRole.LEADER)):
        if created or name in spec.given:
            _replace_members(session, launch.id, role, getattr(spec, name))
    if created or "goal" in spec.given:
        sync_goals(session, launch.id, spec.goal_items)
    session.flush()
    return launch, created


def model_defaults(model: type[SQLModel]) -> dict[str, Any]:
    """Every column of a new row that has a default, as the model's constructor fills it: for Core inserts
    of many rows (no ORM object per row)."""
    return {name: field.get_default(call_default_factory=True)
            for name, field in model.model_fields.items() if name != "id" and not field.is_required()}


def create_launches(session: Session, specs: list[LaunchInput], *, now: datetime, default_locale: str | None = None,
                    keys: list[str | None] | None = None) -> list[int]:
    """New launches (each checked by `check_new_launch` before), with their people and goals, as
    `store_launch` makes them — set-based: one executemany per table, whatever the number. Returns the ids,
    in the order of `specs`."""
    if not specs:
        return []
    keys = keys or [None] * len(specs)
    defaults = model_defaults(Launch)
    rows = [{**defaults, **launch_columns(spec, created=True, now=now, default_locale=default_locale),
             "key": key} for spec, key in zip(specs, keys, strict=True)]
    session.flush()
    table = Launch.__table__
    ids = list(session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    members = [{"launch_id": launch_id, "user_id": user, "role": role}
               for launch_id, spec in zip(ids, specs, strict=True)
               for name, role in (("csm", MemberRole.CSM), ("leader", MemberRole.LEADER))
               for user in dict.fromkeys(getattr(spec, name))]
    if members:
        session.execute(insert(LaunchMember.__table__), members)
    goal_defaults = model_defaults(Goal)
    goals = [{**goal_defaults, "launch_id": launch_id, "key": key, "text": text, "position": position}
             for launch_id, spec in zip(ids, specs, strict=True)
             for position, (key, text) in enumerate(spec.goal_items)]
    if goals:
        session.execute(insert(Goal.__table__), goals)
    return ids


def goal_key(goal: Goal) -> str:
    """A goal's key: stored since launches carry keys; older goals are known by their text's slug."""
    return goal.key or slug(goal.text)


def sync_goals(session: Session, launch_id: int, items: tuple[tuple[str, str], ...], *,
               dry_run: bool = False) -> list[str]:
    """The launch's goals become `items` ((key, text), in order). A goal that stays — same key, or same text —
    keeps its row and its review (the 30-day review's buttons point at its id); the others go. Returns what
    changed, one short phrase each; with `dry_run` only says so."""
    existing = list(session.exec(select(Goal).where(Goal.launch_id == launch_id).order_by(Goal.position)).all())
    by_key = {goal_key(g): g for g in existing}
    by_text = {g.text.casefold(): g for g in existing}
    kept: list[Goal] = []
    changes: list[str] = []
    for position, (key, text) in enumerate(items):
        goal = by_key.get(key) or by_text.get(text.casefold())
        if goal is None or any(goal is k for k in kept):
            changes.append(f"goal {key!r} added")
            goal = Goal(launch_id=launch_id, key=key, text=text, position=position)
        else:
            kept.append(goal)
            if goal_key(goal) != key:
                changes.append(f"goal {goal_key(goal)!r} is now {key!r}")
            if goal.text != text:
                changes.append(f"goal {key!r} text changed")
            if goal.key == key and goal.text == text and goal.position == position:
                continue
            if dry_run:
                continue
            goal.key, goal.text, goal.position = key, text, position
        if not dry_run:
            session.add(goal)
    gone = [g for g in existing if not any(g is k for k in kept)]
    changes += [f"goal {goal_key(g)!r} removed" + (f" (its review said {g.state})" if g.state != "open" else "")
                for g in gone]
    if not changes and [goal_key(g) for g in kept] != [goal_key(g) for g in existing]:
        changes.append("goals reordered")
    if not dry_run:
        for goal in gone:
            session.delete(goal)
        session.flush()
    return changes


def launch_values(session: Session, launch: Launch) -> dict[str, Any]:
    """The launch as LaunchInput's fields (goals and criteria aside), in a form `spec_values` compares with."""
    values: dict[str, Any] = {"channel": launch.channel}
    for name, column in SCALAR_COLUMNS.items():
        values[name] = getattr(launch, column)
    values["holiday"] = tuple(sorted(launch.holidays or []))
    values["csm"] = tuple(sorted(members(session, launch.id, MemberRole.CSM)))
    values["leader"] = tuple(sorted(members(session, launch.id, MemberRole.LEADER)))
    routing = launch.routing or {}
    values["route"] = tuple((r["keyword"], r["channel"]) for r in routing.get("keywords") or [])
    values["severity_channel"] = tuple(sorted((routing.get("severity_channels") or {}).items()))
    values["sla"] = tuple(sorted((sev, int(minutes)) for sev, minutes in (launch.sla_minutes or {}).items()))
    return values


def spec_values(spec: LaunchInput) -> dict[str, Any]:
    """What `store_launch` would store for a full spec, in `launch_values`' form."""
    values: dict[str, Any] = {"channel": spec.channel}
    for name in SCALAR_COLUMNS:
        values[name] = getattr(spec, name)
    values["holiday"] = tuple(sorted(spec.holiday))
    values["csm"] = tuple(sorted(set(spec.csm)))
    values["leader"] = tuple(sorted(set(spec.leader)))
    values["route"] = tuple(spec.route)
    values["severity_channel"] = tuple(sorted(dict(spec.severity_channel).items()))
    values["sla"] = tuple(sorted(dict(spec.sla).items()))
    return values


def _replace_members(session: Session, launch_id: int, role: str, users: tuple[str, ...]) -> None:
    existing = session.exec(
        select(LaunchMember).where(LaunchMember.launch_id == launch_id, LaunchMember.role == role)
    ).all()
    for member in existing:
        if member.user_id not in users:
            session.delete(member)
    have = {m.user_id for m in existing}
    added = [{"launch_id": launch_id, "user_id": user, "role": role}
             for user in dict.fromkeys(users) if user not in have]
    if added:  # one Core executemany, no ORM object per member
        session.flush()
        session.execute(insert(LaunchMember.__table__), added)


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
