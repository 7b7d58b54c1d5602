"""Digest rules that need no database: stage, SLA state, health, talking points and the text per launch."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.features.checkins.service import checkin_days
from bot.features.digest.model import SECTION
from bot.features.digest.plan import DIGEST, plan_digests
from bot.features.digest.service import (
    assess,
    compact_line,
    is_active,
    launch_section,
    sla_state,
    stage_text,
    talking_points,
)
from storage.models import LaunchStatus
from tests.unit.blockkit import HOSTILE, RAW_MARKUP, long_hostile
from tests.unit.digest.builders import digest, issues
from tests.unit.factories import BERLIN, issue, launch

TZ = ZoneInfo(BERLIN)
NOW = datetime.now(UTC)


def test_stage_before_during_and_after_launch_week() -> None:
    subject = launch(checkin_days=5)
    days = checkin_days(subject)
    assert stage_text(subject, days[0] - timedelta(days=1)) == "go-live in 1 day"
    assert stage_text(subject, days[0] - timedelta(days=10)) == "go-live in 10 days"
    assert stage_text(subject, days[1]) == "launch week, day 2 of 5"
    assert stage_text(subject, days[-1] + timedelta(days=1)) == "launch week is over"


def test_is_active_from_two_weeks_before_go_live_to_the_end_of_launch_week() -> None:
    today = NOW.astimezone(TZ).date()
    assert is_active(launch(go_live_date=today + timedelta(days=14)), NOW)
    assert not is_active(launch(go_live_date=today + timedelta(days=15)), NOW)
    assert not is_active(launch(go_live_date=today - timedelta(days=30)), NOW)
    assert not is_active(launch(go_live_date=today, status=LaunchStatus.DONE), NOW)


def test_sla_state_of_open_acknowledged_and_escalated_issues() -> None:
    assert sla_state(issue(status="acknowledged"), NOW) == ("acknowledged", False)
    assert sla_state(issue(escalation_count=2), NOW) == ("SLA breached, escalated 2×", True)
    assert sla_state(issue(next_escalation_at=NOW - timedelta(minutes=1)), NOW) == ("SLA breached", True)
    assert sla_state(issue(next_escalation_at=NOW + timedelta(minutes=20)), NOW) == ("acknowledge within 20 min",
                                                                                     False)


def test_half_the_people_blocked_makes_a_launch_stuck() -> None:
    d = digest(1, counts={"good": 2, "friction": 0, "blocked": 2}, last_day_number=2, missing=[])
    assess(d, launch(status=LaunchStatus.LIVE), NOW.date())
    assert d.health == "stuck"
    assert d.reasons == ["2 of 4 people blocked on day 2"]


def test_one_blocked_person_or_an_open_sev1_puts_a_launch_at_risk() -> None:
    d = digest(1, counts={"good": 5, "friction": 0, "blocked": 1}, issues=[])
    d.issues = [issues(3)[2]]
    d.issues[0].breached = False
    assess(d, launch(status=LaunchStatus.LIVE), NOW.date())
    assert d.health == "at risk"
    assert "1 open sev1" in d.reasons


def test_a_quiet_healthy_launch_is_on_track() -> None:
    d = digest(1, counts={"good": 5, "friction": 0, "blocked": 0})
    assess(d, launch(status=LaunchStatus.LIVE), NOW.date())
    assert (d.health, d.reasons) == ("on track", ["no blockers, no overdue issues"])


def test_go_live_passed_with_open_criteria_is_stuck() -> None:
    subject = launch(status=LaunchStatus.PLANNED)
    d = digest(1, readiness_open=2, readiness_total=5)
    assess(d, subject, subject.go_live_date + timedelta(days=1))
    assert d.health == "stuck" and "go-live date passed with 2 criteria open" in d.reasons


def test_talking_points_are_three_with_the_blocked_people_first() -> None:
    d = digest(1, counts={"good": 1, "friction": 0, "blocked": 2}, issues=issues(3), missing=["U0A"],
               blocked_theme="SSO")
    points = talking_points(d, launch(status=LaunchStatus.LIVE), NOW.date())
    assert len(points) == 3
    assert points[0] == "2 people blocked on SSO — cover it first"
    assert points[1].startswith("sev1 #3 has been open")


def test_talking_points_fall_back_to_general_advice() -> None:
    points = talking_points(digest(1, last_day=None), launch(status=LaunchStatus.LIVE), NOW.date())
    assert len(points) == 3 and points[0].startswith("No check-in yet")


def test_launch_section_is_inert_and_within_a_section() -> None:
    d = digest(1, customer=long_hostile(), issues=issues(20, long_hostile()), missed_work=[HOSTILE])
    text = launch_section(d)
    assert len(text) <= SECTION
    assert not any(m in text for m in RAW_MARKUP)


@pytest.mark.xfail(strict=True, reason="digest/service.py:launch_section escapes the whole customer name, then "
                                       "clips the section: a 5,000-character name pushes health, reasons and open "
                                       "issues "
                                       "out of the launch's section (compact_line clips the name to 60 first)")
def test_launch_section_keeps_health_and_issues_with_a_huge_customer_name() -> None:
    text = launch_section(digest(1, "stuck", customer=long_hostile(), issues=issues(2)))
    assert "*stuck*" in text and "*Open issues:*" in text


def test_launch_section_says_when_members_are_unknown() -> None:
    assert "*No answer yet:* unknown" in launch_section(digest(1, missing=None))
    assert "nobody — everyone answered" in launch_section(digest(1, missing=[]))


def test_launch_section_mentions_ten_blocked_people_and_counts_the_rest() -> None:
    text = launch_section(digest(1, blocked_people=[f"U0B{n:03d}" for n in range(14)]))
    assert text.count("<@U0B") == 10 and "and 4 more" in text


@pytest.mark.parametrize("customer", ["Acme", long_hostile()])
def test_compact_line_is_short_and_inert(customer: str) -> None:
    line = compact_line(digest(1, customer=customer, issues=issues(4)))
    assert len(line) < 400
    assert not any(m in line for m in RAW_MARKUP)
    assert "4 open issues" in line


def test_one_digest_per_launch_week_day_at_the_digest_time() -> None:
    subject = launch(digest_time="08:30", checkin_days=5)
    items = plan_digests(None, subject)  # type: ignore[arg-type] - the planner reads no rows
    assert [i.kind for i in items] == [DIGEST.name] * 5
    assert [i.due_at.astimezone(TZ).date() for i in items] == checkin_days(subject)
    assert all(i.due_at.astimezone(TZ).time() == time(8, 30) for i in items)
