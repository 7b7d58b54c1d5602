"""Time helpers. Only the outer layer (CLI, HTTP handlers, the worker loop) calls `utcnow()`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.errors import InvalidInput


def utcnow() -> datetime:
    return datetime.now(UTC)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())  # walks the tz database: read it once


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone such as Europe/Berlin; abbreviations and offsets are refused."""
    if not name or "/" not in name and name != "UTC":
        raise InvalidInput(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin")
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin") from None
    if name not in _zone_names():
        raise InvalidInput(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin")
    return zone


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidInput(f"bad {what} {text!r}: use YYYY-MM-DD") from None


def parse_hhmm(text: str, what: str = "time") -> time:
    return _parse_hhmm(str(text), what)


@lru_cache(maxsize=256)  # planning a thousand launches reads the same few times thousands of times
def _parse_hhmm(text: str, what: str) -> time:
    value = text.strip()
    parts = value.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise InvalidInput(f"bad {what} {text!r}: use HH:MM (24-hour)")
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        raise InvalidInput(f"bad {what} {text!r}: use HH:MM (24-hour)")
    return time(hour, minute)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant that says its offset (or Z); a bare local time is refused."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"bad instant {text!r}: use ISO-8601 such as 2026-03-02T09:00:00Z") from None
    if value.tzinfo is None:
        raise InvalidInput(f"instant {text!r} has no offset: add Z or +HH:MM")
    return value.astimezone(UTC)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day (DST gaps resolve forward)."""
    local = datetime.combine(day, at, tzinfo=zone)
    # Round-trip through UTC so a time inside a spring-forward gap lands on the real instant after it.
    return local.astimezone(UTC)


def is_business_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def business_days_from(start: date, count: int, holidays: frozenset[date] = frozenset()) -> list[date]:
    """`count` business days starting at `start` (included when it is one)."""
    return list(_business_days_from(start, count, frozenset(holidays)))


@lru_cache(maxsize=1024)  # launches share go-live dates: an import of a thousand plans a few dozen weeks
def _business_days_from(start: date, count: int, holidays: frozenset[date]) -> tuple[date, ...]:
    days: list[date] = []
    day = start
    while len(days) < count:
        if is_business_day(day, holidays):
            days.append(day)
        day += timedelta(days=1)
    return tuple(days)


def previous_business_day(day: date, holidays: frozenset[date] = frozenset()) -> date:
    day -= timedelta(days=1)
    while not is_business_day(day, holidays):
        day -= timedelta(days=1)
    return day


def iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def parse_support_hours(text: str) -> tuple[Any, Any]:
    match = re.fullmatch(r"\s*(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*", text or "")
    if not match:
        raise InvalidInput(f"support hours {text!r} must look like 09:00-18:00")
    start, end = parse_hhmm(match.group(1), "support hours"), parse_hhmm(match.group(2), "support hours")
    if end <= start:
        raise InvalidInput(f"support hours {text!r} must end after they start")
    return start, end
