"""bot.core.clock: business days, holidays, local instants across DST, and the parsers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import (
    business_days_from,
    is_business_day,
    iso,
    local_instant,
    parse_date,
    parse_hhmm,
    parse_instant,
    parse_support_hours,
    parse_zone,
    previous_business_day,
)
from bot.core.errors import InvalidInput
from tests.unit.factories import BERLIN, dst_changes, next_weekday

TZ = ZoneInfo(BERLIN)


def test_weekends_are_not_business_days() -> None:
    saturday = next_weekday(date.today(), 5)
    assert not is_business_day(saturday)
    assert not is_business_day(saturday + timedelta(days=1))
    assert is_business_day(saturday + timedelta(days=2))


def test_a_holiday_is_not_a_business_day() -> None:
    tuesday = next_weekday(date.today(), 1)
    assert is_business_day(tuesday)
    assert not is_business_day(tuesday, frozenset({tuesday}))


def test_business_days_from_a_saturday_start_on_monday() -> None:
    saturday = next_weekday(date.today(), 5)
    days = business_days_from(saturday, 5)
    monday = saturday + timedelta(days=2)
    assert days == [monday + timedelta(days=n) for n in range(5)]


def test_business_days_from_include_the_start_and_skip_holidays_and_the_weekend() -> None:
    thursday = next_weekday(date.today(), 3)
    friday = thursday + timedelta(days=1)
    days = business_days_from(thursday, 3, frozenset({friday}))
    assert days == [thursday, thursday + timedelta(days=4), thursday + timedelta(days=5)]


def test_business_days_from_gives_exactly_count_days() -> None:
    assert len(business_days_from(date.today(), 10)) == 10
    assert business_days_from(date.today(), 0) == []


def test_previous_business_day_of_a_monday_is_friday() -> None:
    monday = next_weekday(date.today(), 0)
    assert previous_business_day(monday) == monday - timedelta(days=3)


def test_previous_business_day_skips_a_friday_holiday() -> None:
    monday = next_weekday(date.today(), 0)
    friday = monday - timedelta(days=3)
    assert previous_business_day(monday, frozenset({friday})) == friday - timedelta(days=1)


def test_local_instant_follows_the_offset_on_each_side_of_spring_forward() -> None:
    spring, _ = dst_changes()
    before = local_instant(spring - timedelta(days=1), time(10, 0), TZ)
    after = local_instant(spring + timedelta(days=1), time(10, 0), TZ)
    assert before.tzinfo == UTC and after.tzinfo == UTC
    assert before.astimezone(TZ).time() == time(10, 0) == after.astimezone(TZ).time()
    # Winter is UTC+1 and summer UTC+2: ten o'clock is 09:00 UTC, then 08:00 UTC.
    assert (before.hour, after.hour) == (9, 8)
    assert after - before == timedelta(hours=47)


def test_local_instant_follows_the_offset_on_each_side_of_fall_back() -> None:
    _, autumn = dst_changes()
    before = local_instant(autumn - timedelta(days=1), time(10, 0), TZ)
    after = local_instant(autumn + timedelta(days=1), time(10, 0), TZ)
    assert (before.hour, after.hour) == (8, 9)
    assert after - before == timedelta(hours=49)


def test_local_instant_inside_the_spring_gap_lands_after_it() -> None:
    spring, _ = dst_changes()
    instant = local_instant(spring, time(2, 30), TZ)
    assert instant.astimezone(TZ).replace(tzinfo=None) == datetime.combine(spring, time(3, 30))


def test_local_instant_in_the_repeated_autumn_hour_is_that_wall_clock_time() -> None:
    _, autumn = dst_changes()
    instant = local_instant(autumn, time(2, 30), TZ)
    assert instant.astimezone(TZ).replace(tzinfo=None) == datetime.combine(autumn, time(2, 30))


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
def test_parse_zone_accepts_iana_names(name: str) -> None:
    assert parse_zone(name) == ZoneInfo(name)


@pytest.mark.parametrize("name", ["", "CET", "EST", "+02:00", "Mars/Olympus_Mons", "Europe/../etc/passwd"])
def test_parse_zone_refuses_abbreviations_offsets_and_unknown_names(name: str) -> None:
    with pytest.raises(InvalidInput, match="IANA"):
        parse_zone(name)


@pytest.mark.parametrize(("text", "expected"), [("00:00", time(0, 0)), ("09:05", time(9, 5)),
                                                ("23:59", time(23, 59)), (" 18:00 ", time(18, 0))])
def test_parse_hhmm_accepts_24_hour_times(text: str, expected: time) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize("text", ["9:00", "24:00", "12:60", "12.30", "noon", "", "12:3", "1200"])
def test_parse_hhmm_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_hhmm(text)


def test_parse_date_accepts_iso_dates_and_refuses_others() -> None:
    today = date.today()
    assert parse_date(f" {today.isoformat()} ") == today
    with pytest.raises(InvalidInput, match="go-live date"):
        parse_date(today.strftime("%d/%m/%Y"), "go-live date")


def test_parse_instant_needs_an_offset_and_returns_utc() -> None:
    local = datetime.now(TZ).replace(microsecond=0)
    assert parse_instant(local.isoformat()) == local.astimezone(UTC)
    assert parse_instant(local.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z").tzinfo == UTC
    with pytest.raises(InvalidInput, match="no offset"):
        parse_instant(local.replace(tzinfo=None).isoformat())
    with pytest.raises(InvalidInput, match="ISO-8601"):
        parse_instant("tomorrow morning")


def test_iso_writes_utc_instants_with_z_and_dates_plainly() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    assert iso(now).endswith("Z") and "+00:00" not in iso(now)
    assert iso(now.date()) == now.date().isoformat()
    assert iso(5) == 5


@pytest.mark.parametrize(("text", "expected"), [
    ("09:00-18:00", (time(9, 0), time(18, 0))),
    (" 08:30 - 17:15 ", (time(8, 30), time(17, 15))),
    ("00:00-23:59", (time(0, 0), time(23, 59))),
])
def test_parse_support_hours_accepts_a_daily_window(text: str, expected: tuple[time, time]) -> None:
    assert parse_support_hours(text) == expected


@pytest.mark.parametrize("text", ["9-5", "09:00", "09:00–18:00", "09:00-18:00 CET", "", None, "25:00-26:00"])
def test_parse_support_hours_refuses_malformed_windows(text: str | None) -> None:
    with pytest.raises(InvalidInput):
        parse_support_hours(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["18:00-09:00", "09:00-09:00"])
def test_parse_support_hours_refuses_a_window_that_does_not_end_after_it_starts(text: str) -> None:
    with pytest.raises(InvalidInput, match="end after"):
        parse_support_hours(text)
