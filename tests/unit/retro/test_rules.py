"""Retro rules that need no database: tallies, ratings and when the retro happens."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import InvalidInput
from bot.features.retro.model import tallies
from bot.features.retro.plan import RETRO_PROMPT, RETRO_REMINDER, RETRO_SUMMARY, plan_retro
from bot.features.retro.service import parse_rating, prompt_date, retro_plan
from tests.unit.factories import BERLIN, launch, next_weekday, retro_answer

TZ = ZoneInfo(BERLIN)


def test_tallies_of_no_answers_have_no_average() -> None:
    t = tallies([])
    assert (t.count, t.average) == (0, None)
    assert t.distribution == {5: 0, 4: 0, 3: 0, 2: 0, 1: 0}


def test_tallies_count_average_and_distribute_ratings() -> None:
    t = tallies([retro_answer(n, rating=r) for n, r in enumerate([5, 5, 4, 1])])
    assert t.count == 4
    assert t.average == pytest.approx(3.75)
    assert t.distribution == {5: 2, 4: 1, 3: 0, 2: 0, 1: 1}


@pytest.mark.parametrize(("value", "expected"), [("1", 1), (" 5 ", 5), (3, 3)])
def test_parse_rating_accepts_one_to_five(value: object, expected: int) -> None:
    assert parse_rating(value) == expected


@pytest.mark.parametrize("value", [None, "", "0", "6", "4.5", "five", -1])
def test_parse_rating_refuses_anything_else(value: object) -> None:
    with pytest.raises(InvalidInput, match="1 to 5"):
        parse_rating(value)


def test_retro_prompt_comes_after_the_retro_delay_on_a_business_day_at_checkin_time() -> None:
    subject = launch(retro_after_days=14, checkin_time="10:00")
    plan = retro_plan(subject)
    prompt = plan.prompt.astimezone(TZ)
    assert prompt.time() == time(10, 0) and prompt.weekday() < 5
    assert timedelta(days=14) <= prompt.date() - subject.go_live_date <= timedelta(days=16)
    assert prompt_date(subject) == prompt.date()


def test_retro_window_is_counted_in_business_days_with_the_reminder_halfway() -> None:
    monday = next_weekday(launch().go_live_date, 0)
    subject = launch(go_live_date=monday, retro_after_days=14, retro_window_days=4, checkin_time="10:00")
    plan = retro_plan(subject)
    prompt_day = plan.prompt.astimezone(TZ).date()
    assert prompt_day == monday + timedelta(days=14)  # a Monday
    assert plan.summary.astimezone(TZ).date() == prompt_day + timedelta(days=4)  # four business days later
    assert plan.reminder.astimezone(TZ).date() == prompt_day + timedelta(days=2)
    assert plan.prompt < plan.reminder < plan.summary


def test_a_one_day_window_reminds_halfway_between_prompt_and_summary() -> None:
    plan = retro_plan(launch(retro_window_days=1))
    assert plan.reminder - plan.prompt == plan.summary - plan.reminder


def test_plan_retro_has_prompt_reminder_and_summary_in_order() -> None:
    items = plan_retro(None, launch())  # type: ignore[arg-type] - the planner reads no rows
    assert [i.kind for i in items] == [RETRO_PROMPT.name, RETRO_REMINDER.name, RETRO_SUMMARY.name]
    assert items[0].due_at < items[1].due_at < items[2].due_at
    assert len({i.key for i in items}) == 3
