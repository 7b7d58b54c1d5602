"""Check-in rules that need no database: which days, the confirmation, who counts as away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.features.checkins.service import checkin_days, confirmation, is_away, launch_week_last_day, post_key
from storage.models import CheckIn
from tests.unit.factories import launch, next_weekday


def test_checkin_days_are_business_days_from_go_live() -> None:
    friday = next_weekday(launch().go_live_date, 4)
    days = checkin_days(launch(go_live_date=friday, checkin_days=3))
    assert days == [friday, friday + timedelta(days=3), friday + timedelta(days=4)]


def test_checkin_days_skip_the_launchs_holidays() -> None:
    monday = launch().go_live_date
    tuesday = monday + timedelta(days=1)
    days = checkin_days(launch(go_live_date=monday, checkin_days=5, holidays=[tuesday.isoformat()]))
    assert tuesday not in days and len(days) == 5
    assert launch_week_last_day(launch(go_live_date=monday, holidays=[tuesday.isoformat()])) == monday + timedelta(7)


def test_a_weekend_go_live_starts_checkins_on_monday() -> None:
    saturday = next_weekday(launch().go_live_date, 5)
    assert checkin_days(launch(go_live_date=saturday))[0] == saturday + timedelta(days=2)


def test_post_key_is_per_launch_and_day() -> None:
    assert post_key(7, 2) == "launch:7:checkin:2"
    assert post_key(7, 2) != post_key(8, 2) != post_key(7, 3)


@dataclass
class FakeRecorded:
    checkin: CheckIn
    answer: str
    issue_number: int | None
    changed_from: str | None


def _checkin() -> CheckIn:
    return CheckIn(id=1, launch_id=7, day_number=2, local_date=launch().go_live_date, channel="C0", outbox_key="k")


def test_confirmation_names_the_answer_and_the_day() -> None:
    text = confirmation(FakeRecorded(_checkin(), "good", None, None))  # type: ignore[arg-type]
    assert "*All good*" in text and "day 2" in text
    assert "replaces" not in text and "issue" not in text


def test_confirmation_of_a_changed_answer_says_what_it_replaces() -> None:
    text = confirmation(FakeRecorded(_checkin(), "blocked", 9, "good"))  # type: ignore[arg-type]
    assert "replaces your earlier answer, all good" in text
    assert "issue *#9*" in text


@pytest.mark.parametrize("profile", [
    {"status_emoji": ":palm_tree:"},
    {"status_emoji": ":AIRPLANE:"},
    {"status_text": "Out of office until Monday"},
    {"status_text": "On leave"},
    {"status_text": "PTO"},
])
def test_people_on_holiday_or_leave_are_away(profile: dict) -> None:
    assert is_away({"profile": profile})


@pytest.mark.parametrize("user", [{}, {"profile": None}, {"profile": {"status_text": "In the go-live war room"}}])
def test_people_without_an_away_status_are_not_away(user: dict) -> None:
    assert not is_away(user)


@pytest.mark.parametrize("status", ["Setting up my new laptop", "Planning the team giveaway"])
def test_an_away_word_inside_another_word_does_not_make_someone_away(status: str) -> None:
    assert not is_away({"profile": {"status_text": status}})
