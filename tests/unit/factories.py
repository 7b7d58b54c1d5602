"""In-memory table rows and dates for unit tests: no database, dates relative to today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.models import Goal, Issue, Launch, LaunchStatus, ReadinessItem, RetroAnswer

BERLIN = "Europe/Berlin"


def launch(**changes: Any) -> Launch:
    values: dict[str, Any] = dict(
        id=7, customer="Acme Logistics GmbH", channel="C0ACME", go_live_date=next_weekday(date.today(), 0, weeks=2),
        timezone=BERLIN, checkin_time="10:00", digest_time="08:30", checkin_days=5, support_channel="C0SUPPORT",
        leadership_channel="C0LEADERS", status=LaunchStatus.PLANNED, holidays=[], routing={}, sla_minutes={},
        training_link="https://learn.example.com/acme", fallback_doc="https://docs.example.com/acme/fallback",
    )
    values.update(changes)
    return Launch(**values)


def issue(**changes: Any) -> Issue:
    values: dict[str, Any] = dict(
        id=31, launch_id=7, number=4, text="Exports to CSV time out for reports over 10k rows", severity="sev2",
        status="open", reporter="U0REPORTER", source="button", source_key="button:1", escalation_count=0,
        created_at=datetime.now(UTC),
    )
    values.update(changes)
    return Issue(**values)


def item(n: int, **changes: Any) -> ReadinessItem:
    values: dict[str, Any] = dict(id=100 + n, launch_id=7, key=f"criterion_{n}", text=f"Criterion number {n}",
                                  position=n, done=False)
    values.update(changes)
    return ReadinessItem(**values)


def goal(n: int, **changes: Any) -> Goal:
    values: dict[str, Any] = dict(id=200 + n, launch_id=7, position=n, text=f"Goal number {n}", state="open")
    values.update(changes)
    return Goal(**values)


def retro_answer(n: int, **changes: Any) -> RetroAnswer:
    values: dict[str, Any] = dict(id=300 + n, launch_id=7, user_id=f"U0PERSON{n}", went_well=f"Went well {n}",
                                  improve=f"Improve {n}", rating=4)
    values.update(changes)
    return RetroAnswer(**values)


def next_weekday(start: date, weekday: int, *, weeks: int = 0) -> date:
    """The first `weekday` (0 = Monday) strictly after `start`, plus `weeks` weeks."""
    ahead = (weekday - start.weekday() - 1) % 7 + 1
    return start + timedelta(days=ahead, weeks=weeks)


def dst_changes(zone: str = BERLIN) -> tuple[date, date]:
    """The next spring-forward and fall-back days of `zone` after today (the day the offset changes)."""
    tz = ZoneInfo(zone)
    spring = autumn = None
    day = date.today() + timedelta(days=1)
    while spring is None or autumn is None:
        before = datetime.combine(day - timedelta(days=1), datetime.min.time().replace(hour=12), tzinfo=tz)
        after = datetime.combine(day, datetime.min.time().replace(hour=12), tzinfo=tz)
        if after.utcoffset() > before.utcoffset() and spring is None:
            spring = day
        elif after.utcoffset() < before.utcoffset() and autumn is None:
            autumn = day
        day += timedelta(days=1)
        assert day < date.today() + timedelta(days=800), "no DST change found"
    return spring, autumn
