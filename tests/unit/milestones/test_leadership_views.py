"""The leadership posts and the retrospective's lesson buttons against Block Kit's limits, with hostile and
huge customer text: the go-live announcement, the launch-week wrap-up, the summary with proposed lessons."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.features.milestones.views import live_announcement_blocks, wrapup_blocks
from bot.features.milestones.week import WeekFacts
from bot.features.retro.views import lesson_already_there, summary_blocks
from bot.features.themes.summary import ThemeLine
from storage.models import ChecklistTemplateItem, Goal, RetroAnswer
from tests.unit import factories
from tests.unit.blockkit import action_ids, all_text, assert_message_ok, long_hostile

NOW = datetime(2027, 3, 8, 8, 0, tzinfo=UTC)


def facts(themes: int = 5) -> WeekFacts:
    hostile = long_hostile(300)
    return WeekFacts(
        answers=40, people=9, audience=12,
        by_day=[(n, date(2027, 3, 7 + n), {"good": 5, "friction": 2, "blocked": n}) for n in range(1, 6)],
        issues=14, resolved=11, median_first_response=timedelta(minutes=22), median_resolution=timedelta(hours=5),
        satisfied=6, unsatisfied=1, sla_breaches=list(range(1, 40)),
        themes=[ThemeLine(hostile[:60], 9 - n, (hostile[:160], hostile[:160]), n % 2 == 0, ("issue:1",))
                for n in range(themes)])


def test_the_announcement_says_who_signed_off_and_stays_inside_the_limits() -> None:
    items = [factories.item(n, done=n % 2 == 0, changed_by="U0CSM", changed_at=NOW, text=long_hostile(600))
             for n in range(40)]
    goals = [Goal(id=n, launch_id=7, text=long_hostile(900)) for n in range(30)]
    text, blocks = live_announcement_blocks(factories.launch(customer=long_hostile(300)), items, goals,
                                            ["U0LEAD"] * 30, NOW)
    assert_message_ok(blocks)
    body = all_text(blocks)
    assert "20 of 40 met — signed off by <@U0CSM> (20)" in body and "<!channel>" not in body
    assert "check-in answers" not in body and len(text) <= 3900


def test_the_wrap_up_carries_the_numbers_and_stays_inside_the_limits() -> None:
    text, blocks = wrapup_blocks(factories.launch(customer=long_hostile(300)), facts(), "chart note")
    assert_message_ok(blocks)
    body = all_text(blocks)
    assert "40 answers over 5 days; 9 of 12 people in the channel answered (75%)" in body
    assert "*Most blocked:* 5 on day 5" in body and ":thumbsdown: 1 (86% helpful)" in body
    assert "to first response: 22 min · to resolution: 5 h 0 min" in body and "<!channel>" not in body


def test_a_summary_with_many_long_answers_keeps_its_lesson_buttons_inside_the_limits() -> None:
    rows = [RetroAnswer(id=n, launch_id=7, user_id=f"U{n:04d}", went_well=long_hostile(3000),
                        improve=long_hostile(3000), rating=1 + n % 5, submitted_at=NOW) for n in range(60)]
    lessons = [long_hostile(500) for _ in range(4)]
    added = {1: ChecklistTemplateItem(id=1, key="k", text=lessons[1], added_by="U0CSM", created_at=NOW)}
    blocks = summary_blocks(factories.launch(), rows, facts(), facts().themes, lessons, added)
    assert_message_ok(blocks)
    assert action_ids(blocks).count("lesson_add_template") == 3  # the added one shows who and when instead
    assert "added by <@U0CSM> Mon 8 Mar 2027" in all_text(blocks)
    assert "more answers did not fit here" in all_text(blocks)
    assert "Nothing was added twice" in lesson_already_there(added[1])
