"""Issue rules that need no database: SLA clocks in support hours, routing, escalation texts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.features.issues.service import (
    SLA_DEFAULT_MINUTES,
    add_support_minutes,
    age_text,
    escalation_channel,
    escalation_text,
    next_escalation,
    route_channel,
    sla_deadline,
    sla_minutes,
    summary_text,
)
from tests.unit.blockkit import HOSTILE, RAW_MARKUP, long_hostile
from tests.unit.factories import BERLIN, dst_changes, issue, launch, next_weekday

TZ = ZoneInfo(BERLIN)
HOURS = "09:00-18:00"


def at(day, hh: int, mm: int = 0) -> datetime:  # noqa: ANN001
    """A Berlin wall-clock time as a UTC instant."""
    return datetime.combine(day, time(hh, mm), tzinfo=TZ).astimezone(UTC)


def local(instant: datetime) -> datetime:
    return instant.astimezone(TZ).replace(tzinfo=None)


MONDAY = next_weekday(datetime.now(UTC).date(), 0, weeks=1)


def test_sla_minutes_default_per_severity() -> None:
    assert [sla_minutes(launch(), s) for s in ("sev1", "sev2", "sev3")] == [15.0, 60.0, 240.0]
    assert SLA_DEFAULT_MINUTES == {"sev1": 15, "sev2": 60, "sev3": 240}


def test_sla_minutes_set_on_the_launch_override_only_that_severity() -> None:
    subject = launch(sla_minutes={"sev1": 5})
    assert sla_minutes(subject, "sev1") == 5.0
    assert sla_minutes(subject, "sev2") == 60.0


def test_without_support_hours_the_clock_runs_around_the_clock() -> None:
    saturday_night = at(MONDAY - timedelta(days=2), 23, 50)
    assert add_support_minutes(saturday_night, 15, None, BERLIN) == saturday_night + timedelta(minutes=15)
    assert sla_deadline(launch(), "sev1", saturday_night) == saturday_night + timedelta(minutes=15)


def test_inside_support_hours_minutes_simply_add_up() -> None:
    assert local(add_support_minutes(at(MONDAY, 10), 60, HOURS, BERLIN)) == datetime.combine(MONDAY, time(11))


def test_before_opening_the_clock_starts_at_opening() -> None:
    assert local(add_support_minutes(at(MONDAY, 7), 30, HOURS, BERLIN)) == datetime.combine(MONDAY, time(9, 30))


def test_friday_evening_continues_on_monday_morning() -> None:
    friday = MONDAY + timedelta(days=4)
    deadline = add_support_minutes(at(friday, 17, 50), 15, HOURS, BERLIN)
    assert local(deadline) == datetime.combine(friday + timedelta(days=3), time(9, 5))


def test_a_weekend_start_waits_for_monday() -> None:
    saturday = MONDAY + timedelta(days=5)
    deadline = add_support_minutes(at(saturday, 12), 60, HOURS, BERLIN)
    assert local(deadline) == datetime.combine(saturday + timedelta(days=2), time(10))


def test_a_long_sla_spans_several_support_days() -> None:
    # 9 h a day: 1,000 minutes from Monday 09:00 is 540 on Monday and 460 on Tuesday.
    deadline = add_support_minutes(at(MONDAY, 9), 1000, HOURS, BERLIN)
    assert local(deadline) == datetime.combine(MONDAY + timedelta(days=1), time(16, 40))


def test_support_hours_follow_the_local_clock_across_dst() -> None:
    spring, _ = dst_changes()
    friday = spring - timedelta(days=2)
    start = at(friday, 17, 50)
    deadline = add_support_minutes(start, 15, HOURS, BERLIN)
    assert local(deadline) == datetime.combine(spring + timedelta(days=1), time(9, 5))
    assert deadline.tzinfo == start.tzinfo


def test_sla_deadline_uses_the_support_time_zone_over_the_launch_zone() -> None:
    subject = launch(timezone="America/New_York", support_hours=HOURS, support_tz=BERLIN)
    deadline = sla_deadline(subject, "sev2", at(MONDAY, 17, 30))
    assert local(deadline) == datetime.combine(MONDAY + timedelta(days=1), time(9, 30))


def test_sla_deadline_falls_back_to_the_launch_zone() -> None:
    subject = launch(timezone=BERLIN, support_hours=HOURS, support_tz=None)
    assert local(sla_deadline(subject, "sev1", at(MONDAY, 8))) == datetime.combine(MONDAY, time(9, 15))


def test_next_escalation_keeps_paging_at_the_last_interval_after_the_last_step() -> None:
    subject = launch(escalation_steps=3)
    due = at(MONDAY, 10)
    current = issue(severity="sev1", next_escalation_at=due)
    assert next_escalation(subject, current, 1) == due + timedelta(minutes=15)
    assert next_escalation(subject, current, 3) == due + timedelta(minutes=15)
    assert next_escalation(subject, current, 7) == due + timedelta(minutes=15)
    # Found an hour late: the next page is one interval from now, not a burst of overdue ones.
    assert next_escalation(subject, current, 4, now=due + timedelta(hours=1)) == due + timedelta(minutes=75)


def test_keyword_routes_win_over_severity_and_support_channels() -> None:
    subject = launch(support_channel="C0SUPPORT", routing={
        "keywords": [{"keyword": "SSO", "channel": "C0IDENTITY"}, {"keyword": "C++", "channel": "C0NATIVE"}],
        "severity_channels": {"sev1": "C0URGENT"}})
    assert route_channel(subject, issue(text="sso login loops", severity="sev1")) == "C0IDENTITY"
    assert route_channel(subject, issue(text="the C++ client crashes")) == "C0NATIVE"
    assert route_channel(subject, issue(text="everything is down", severity="sev1")) == "C0URGENT"
    assert route_channel(subject, issue(text="a question", severity="sev3")) == "C0SUPPORT"


@pytest.mark.parametrize("text", ["lasso tool is slow", "ssoish", "SSO2 migration"])
def test_keywords_match_whole_words_only(text: str) -> None:
    subject = launch(routing={"keywords": [{"keyword": "SSO", "channel": "C0IDENTITY"}]})
    assert route_channel(subject, issue(text=text)) == "C0SUPPORT"


def test_no_route_when_the_launch_has_no_support_channel() -> None:
    assert route_channel(launch(support_channel=None), issue()) is None


def test_escalation_channel_prefers_the_urgent_channel() -> None:
    assert escalation_channel(launch(urgent_channel="C0URGENT"), issue(support_channel="C0X")) == "C0URGENT"
    assert escalation_channel(launch(), issue(support_channel="C0X")) == "C0X"
    assert escalation_channel(launch(), issue()) == "C0SUPPORT"


def test_escalation_text_mentions_oncall_and_is_inert() -> None:
    text = escalation_text(launch(oncall="S0ONCALL", customer=HOSTILE[:200], escalation_steps=3),
                           issue(text=long_hostile()), 2, timedelta(minutes=95))
    assert text.startswith(":rotating_light: <!subteam^S0ONCALL> *Escalation 2/3*")
    assert "waited 95 min" in text
    assert not any(m in text for m in RAW_MARKUP)
    assert len(text) < 3000


def test_summary_text_is_inert_and_short() -> None:
    text = summary_text(launch(customer=HOSTILE[:200]), issue(text=long_hostile()))
    assert not any(m in text for m in RAW_MARKUP)
    assert "reported by <@U0REPORTER>" in text
    assert len(text) < 1500


@pytest.mark.parametrize(("minutes", "expected"), [(0, "0 min"), (59, "59 min"), (61, "1 h 1 min"),
                                                   (47 * 60 + 59, "47 h 59 min"), (3 * 1440 + 5, "3 days")])
def test_age_text(minutes: int, expected: str) -> None:
    assert age_text(timedelta(minutes=minutes)) == expected
