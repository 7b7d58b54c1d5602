"""Launches: validation of what people type, creation and update, and who is who on a launch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from bot.core.clock import parse_date, parse_hhmm, parse_support_hours, parse_zone
from bot.core.errors import InvalidInput, NotFound
from storage.models import Goal, Launch, LaunchMember, MemberRole

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
ONCALL_ID = re.compile(r"^([UW][A-Z0-9]{2,}|S[A-Z0-9]{2,})$")
RETRO_DAYS = range(14, 29)
MAX_CUSTOMER = 200
MAX_GOAL = 500


@dataclass(frozen=True)
class LaunchInput:
    """A validated launch description, from the CLI or a YAML file."""

    customer: str
    channel: str
    go_live: date
    tz: str
    checkin_time: str = "10:00"
    digest_time: str = "08:30"
    checkin_days: int = 5
    csm: tuple[str, ...] = ()
    support_channel: str | None = None
    urgent_channel: str | None = None
    oncall: str | None = None
    leadership_channel: str | None = None
    leader: tuple[str, ...] = ()
    goal: tuple[str, ...] = ()
    retro_after_days: int = 14
    holiday: tuple[str, ...] = ()
    nudges: bool = True
    nudge_after_hours: float = 3.0
    checkin_grace_hours: float = 3.0
    show_names: bool = False
    route: tuple[tuple[str, str], ...] = ()
    severity_channel: tuple[tuple[str, str], ...] = ()
    sla: tuple[tuple[str, int], ...] = ()
    escalation_steps: int = 3
    support_hours: str | None = None
    support_tz: str | None = None
    update_reminder_minutes: int = 30
    csm_channel: str | None = None
    training_link: str | None = None
    adoption_nudges: bool = False
    quiet_days: int = 5
    fallback_doc: str | None = None
    retro_window_days: int = 3
    criterion: tuple[str, ...] = ()
    given: frozenset[str] = field(default_factory=frozenset)

    FIELDS = (
        "customer", "channel", "go_live", "tz", "checkin_time", "digest_time", "checkin_days", "csm",
        "support_channel", "urgent_channel", "oncall", "leadership_channel", "leader", "goal",
        "retro_after_days", "holiday", "nudges", "nudge_after_hours", "checkin_grace_hours", "show_names",
        "route", "severity_channel", "sla", "escalation_steps", "support_hours", "support_tz",
        "update_reminder_minutes", "csm_channel", "training_link", "adoption_nudges", "quiet_days",
        "fallback_doc", "retro_window_days", "criterion",
    )
    ALIASES = {"holidays": "holiday", "csms": "csm", "leaders": "leader", "goals": "goal", "routes": "route",
               "severity_channels": "severity_channel", "sla_minutes": "sla", "criteria": "criterion"}

    @classmethod
    def parse(cls, raw: dict[str, Any], *, partial: bool = False) -> LaunchInput:
        """Validate a mapping of option names (`_` for `-`); raise InvalidInput naming the field."""
        raw = {cls.ALIASES.get(k, k): v for k, v in raw.items()}
        unknown = set(raw) - set(cls.FIELDS)
        if unknown:
            raise InvalidInput(f"unknown launch field(s): {', '.join(sorted(unknown))}")
        given = frozenset(k for k, v in raw.items() if v is not None)
        required = ("customer", "channel", "go_live", "tz")
        missing = [name for name in required if raw.get(name) in (None, "")]
        if missing and not partial:
            raise InvalidInput(f"missing launch field(s): {', '.join(missing)}")
        values: dict[str, Any] = {}

        customer = raw.get("customer")
        if customer is not None:
            customer = str(customer).strip()
            if not customer or len(customer) > MAX_CUSTOMER:
                raise InvalidInput(f"customer must be 1–{MAX_CUSTOMER} characters")
            values["customer"] = customer
        values["channel"] = _channel(raw.get("channel"), "channel", required=not partial)
        if raw.get("go_live") is not None:
            values["go_live"] = parse_date(str(raw["go_live"]), "go-live date")
        if raw.get("tz") is not None:
            parse_zone(str(raw["tz"]))
            values["tz"] = str(raw["tz"])
        for name in ("checkin_time", "digest_time"):
            if raw.get(name) is not None:
                values[name] = parse_hhmm(str(raw[name]), name.replace("_", "-")).strftime("%H:%M")
        if raw.get("checkin_days") is not None:
            values["checkin_days"] = _int_in(raw["checkin_days"], "checkin-days", range(1, 11))
        if raw.get("retro_after_days") is not None:
            values["retro_after_days"] = _int_in(raw["retro_after_days"], "retro-after-days", RETRO_DAYS)
        for name in ("support_channel", "urgent_channel", "leadership_channel"):
            if raw.get(name) is not None:
                values[name] = _channel(raw[name], name.replace("_", "-"), required=True)
        if raw.get("oncall") is not None:
            oncall = str(raw["oncall"]).strip()
            if not ONCALL_ID.match(oncall):
                raise InvalidInput(f"oncall {oncall!r} must be a user id (U…) or a user-group id (S…)")
            values["oncall"] = oncall
        for name in ("csm", "leader"):
            if raw.get(name) is not None:
                values[name] = tuple(_user(u, name) for u in _as_list(raw[name]))
        if raw.get("goal") is not None:
            goals = tuple(str(g).strip() for g in _as_list(raw["goal"]))
            if any(not g or len(g) > MAX_GOAL for g in goals):
                raise InvalidInput(f"each goal must be 1–{MAX_GOAL} characters")
            values["goal"] = goals
        if raw.get("holiday") is not None:
            days = {parse_date(str(d), "holiday").isoformat() for d in _as_list(raw["holiday"])}
            values["holiday"] = tuple(sorted(days))
        for name in ("nudges", "show_names"):
            if raw.get(name) is not None:
                values[name] = _bool(raw[name], name.replace("_", "-"))
        for name, top in (("nudge_after_hours", 12), ("checkin_grace_hours", 12)):
            if raw.get(name) is not None:
                values[name] = _hours(raw[name], name.replace("_", "-"), top)
        if raw.get("route") is not None:
            values["route"] = tuple(
                (keyword, _channel(channel, f"route channel for {keyword!r}", required=True))
                for keyword, channel in _pairs(raw["route"], "route", "keyword"))
        if raw.get("severity_channel") is not None:
            values["severity_channel"] = tuple(
                (_severity(sev), _channel(channel, f"{sev} channel", required=True))
                for sev, channel in _pairs(raw["severity_channel"], "severity-channel", "severity"))
        if raw.get("sla") is not None:
            values["sla"] = tuple((_severity(sev), _int_in(minutes, f"sla for {sev}", range(1, 10_081)))
                                  for sev, minutes in _pairs(raw["sla"], "sla", "severity"))
        if raw.get("escalation_steps") is not None:
            values["escalation_steps"] = _int_in(raw["escalation_steps"], "escalation-steps", range(1, 11))
        if raw.get("update_reminder_minutes") is not None:
            values["update_reminder_minutes"] = _int_in(raw["update_reminder_minutes"], "update-reminder-minutes",
                                                        range(5, 1441))
        if raw.get("support_hours") is not None:

            parse_support_hours(str(raw["support_hours"]))
            values["support_hours"] = str(raw["support_hours"]).strip()
        if raw.get("support_tz") is not None:
            parse_zone(str(raw["support_tz"]))
            values["support_tz"] = str(raw["support_tz"])
        if raw.get("csm_channel") is not None:
            values["csm_channel"] = _channel(raw["csm_channel"], "csm-channel", required=True)
        for name in ("training_link", "fallback_doc"):
            if raw.get(name) is not None:
                values[name] = _link(raw[name], name.replace("_", "-"))
        if raw.get("adoption_nudges") is not None:
            values["adoption_nudges"] = _bool(raw["adoption_nudges"], "adoption-nudges")
        if raw.get("quiet_days") is not None:
            values["quiet_days"] = _int_in(raw["quiet_days"], "quiet-days", range(1, 31))
        if raw.get("retro_window_days") is not None:
            values["retro_window_days"] = _int_in(raw["retro_window_days"], "retro-window-days", range(1, 11))
        if raw.get("criterion") is not None:
            items = tuple(str(c).strip() for c in _as_list(raw["criterion"]))
            if any(not c or len(c) > MAX_GOAL for c in items):
                raise InvalidInput(f"each criterion must be 1–{MAX_GOAL} characters")
            values["criterion"] = items
        values = {k: v for k, v in values.items() if v is not None}
        if partial:
            values.setdefault("customer", "")
            values.setdefault("channel", "")
            values.setdefault("go_live", date.min)
            values.setdefault("tz", "UTC")
        return cls(**values, given=given)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _link(value: Any, what: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"https?://\S{3,2000}", text):
        raise InvalidInput(f"{what} must be an http(s) link")
    return text


def _pairs(value: Any, what: str, key_name: str) -> list[tuple[str, Any]]:
    """KEY=VALUE strings (CLI), a mapping, or a list of {key_name: …, channel/minutes: …} mappings (YAML)."""
    if isinstance(value, dict):
        return [(str(k).strip(), v) for k, v in value.items()]
    pairs = []
    for item in _as_list(value):
        if isinstance(item, dict):
            other = [k for k in item if k != key_name]
            if key_name not in item or len(other) != 1:
                raise InvalidInput(f"each {what} entry needs `{key_name}` and one value")
            pairs.append((str(item[key_name]).strip(), item[other[0]]))
        elif isinstance(item, str) and "=" in item:
            key, _, val = item.partition("=")
            pairs.append((key.strip(), val.strip()))
        else:
            raise InvalidInput(f"{what} {item!r} must look like KEY=VALUE")
    if any(not key for key, _ in pairs):
        raise InvalidInput(f"{what} entries need a non-empty {key_name}")
    return pairs


def _severity(value: str) -> str:
    if value not in ("sev1", "sev2", "sev3"):
        raise InvalidInput(f"severity {value!r} must be sev1, sev2 or sev3")
    return value


def _bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise InvalidInput(f"{what} must be true or false")


def _hours(value: Any, what: str, top: float) -> float:
    try:
        hours = float(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{what} must be a number of hours") from None
    if not 0 < hours <= top:
        raise InvalidInput(f"{what} must be more than 0 and at most {top:g} hours")
    return hours


def _int_in(value: Any, what: str, allowed: range) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{what} must be a whole number") from None
    if number not in allowed:
        raise InvalidInput(f"{what} must be between {allowed.start} and {allowed.stop - 1}, not {number}")
    return number


def _channel(value: Any, what: str, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise InvalidInput(f"missing {what}")
        return None
    text = str(value).strip()
    if not CHANNEL_ID.match(text):
        raise InvalidInput(f"{what} {text!r} is not a Slack channel id (C… or G…)")
    return text


def _user(value: Any, what: str) -> str:
    text = str(value).strip()
    if not USER_ID.match(text):
        raise InvalidInput(f"{what} {text!r} is not a Slack user id (U… or W…)")
    return text


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
        "urgent_channel": "urgent_channel", "oncall": "oncall", "leadership_channel": "leadership_channel",
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
