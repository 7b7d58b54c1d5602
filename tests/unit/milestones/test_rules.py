"""Milestone rules that need no database: block ids, slugs, reminder and review dates, the text checklist."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import InvalidInput, NotFound
from bot.features.milestones.plan import GOAL_REVIEW, READINESS_REMINDER, plan_goal_review, plan_readiness_reminders
from bot.features.milestones.service import (
    checklist_text,
    db_id,
    duration_text,
    goal_review_instant,
    live_base_date,
    on_business_day,
    parse_block_id,
    reminder_days,
    slug,
)
from storage.models import LaunchStatus
from tests.unit.blockkit import HOSTILE, RAW_MARKUP, long_hostile
from tests.unit.factories import BERLIN, item, launch, next_weekday

TZ = ZoneInfo(BERLIN)


@pytest.mark.parametrize("block_id", ["", "readiness:7:", "readiness:x:1+", "other:7:1+", "readiness:7:1*",
                                      "readiness:7:0+", "readiness:0:1+"])
def test_parse_block_id_refuses_what_golive_did_not_write(block_id: str) -> None:
    with pytest.raises((InvalidInput, NotFound), match="out of date"):
        parse_block_id(block_id)


@pytest.mark.parametrize("ref", [None, "", "abc", "0", "-3", str(2**63)])
def test_db_id_refuses_anything_but_a_positive_database_id(ref: object) -> None:
    with pytest.raises(NotFound, match="gone"):
        db_id(ref, "gone")


def test_db_id_accepts_a_positive_id_with_spaces() -> None:
    assert db_id(" 42 ", "gone") == 42


@pytest.mark.parametrize(("text", "expected"), [("SSO works for everyone!", "sso_works_for_everyone"),
                                                ("Über-Prüfung", "über_prüfung"), ("<!channel>", "channel"),
                                                ("!!!", "item")])
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_slug_is_bounded() -> None:
    assert len(slug(long_hostile())) <= 60


@pytest.mark.parametrize(("minutes", "expected"), [(5, "5 min"), (90, "1 h 30 min"), (3 * 1440, "3 days")])
def test_duration_text(minutes: int, expected: str) -> None:
    assert duration_text(timedelta(minutes=minutes)) == expected


def test_checklist_text_is_inert_and_clipped_to_its_limit() -> None:
    items = [item(n, text=long_hostile(500)) for n in range(40)]
    text = checklist_text(launch(customer=HOSTILE[:200]), items)
    assert len(text) <= 3900
    assert not any(m in text for m in RAW_MARKUP)
    assert "(`criterion_0`)" in text


def test_reminders_come_three_and_one_business_days_before_go_live() -> None:
    monday = next_weekday(launch().go_live_date, 0)
    assert reminder_days(launch(go_live_date=monday)) == [(3, monday - timedelta(days=5)),
                                                          (1, monday - timedelta(days=3))]


def test_reminders_skip_holidays() -> None:
    monday = next_weekday(launch().go_live_date, 0)
    friday = monday - timedelta(days=3)
    days = dict(reminder_days(launch(go_live_date=monday, holidays=[friday.isoformat()])))
    assert days[1] == friday - timedelta(days=1)


def test_readiness_reminders_are_planned_at_two_pm_local_while_planned() -> None:
    subject = launch(status=LaunchStatus.PLANNED)
    items = plan_readiness_reminders(None, subject)  # type: ignore[arg-type] - the planner reads no rows
    assert [i.kind for i in items] == [READINESS_REMINDER.name] * 2
    assert [i.payload["days_before"] for i in items] == [3, 1]
    assert all(i.due_at.astimezone(TZ).time() == time(14, 0) for i in items)
    assert len({i.key for i in items}) == 2


@pytest.mark.parametrize("status", [LaunchStatus.LIVE, LaunchStatus.RETRO, LaunchStatus.DONE])
def test_no_readiness_reminders_once_live(status: LaunchStatus) -> None:
    assert plan_readiness_reminders(None, launch(status=status)) == []  # type: ignore[arg-type]


def test_live_base_date_is_the_local_day_it_went_live() -> None:
    planned = launch()
    assert live_base_date(planned) == planned.go_live_date
    # 23:30 UTC is already the next day in Berlin.
    went = datetime.combine(planned.go_live_date + timedelta(days=2), time(23, 30), tzinfo=UTC)
    assert live_base_date(launch(live_at=went)) == planned.go_live_date + timedelta(days=3)
    # Early: launch week stays on its planned days, so the retrospective and the review count from them.
    early = datetime.combine(planned.go_live_date - timedelta(days=4), time(9), tzinfo=UTC)
    assert live_base_date(launch(live_at=early)) == planned.go_live_date


def test_on_business_day_moves_a_weekend_to_monday() -> None:
    saturday = next_weekday(launch().go_live_date, 5)
    assert on_business_day(launch(), saturday) == saturday + timedelta(days=2)
    assert on_business_day(launch(), saturday - timedelta(days=1)) == saturday - timedelta(days=1)


def test_goal_review_is_thirty_days_after_go_live_on_a_business_day_at_checkin_time() -> None:
    subject = launch(checkin_time="09:15")
    instant = goal_review_instant(subject)
    local = instant.astimezone(TZ)
    assert local.time() == time(9, 15)
    assert local.weekday() < 5
    assert timedelta(days=30) <= local.date() - subject.go_live_date <= timedelta(days=32)
    (planned,) = plan_goal_review(None, subject)  # type: ignore[arg-type]
    assert planned.kind == GOAL_REVIEW.name and planned.due_at == instant
