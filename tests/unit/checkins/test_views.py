"""The daily check-in post, its tally, the nudge and the *Add a note* modal."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.blocks import unpack
from bot.core.ids import ActionId, CallbackId
from bot.features.checkins.model import Tally
from bot.features.checkins.views import checkin_blocks, note_modal, nudge_message, question, tally_text
from storage.models import Answer, CheckIn
from tests.unit.blockkit import action_ids, all_text, assert_inert, assert_message_ok, assert_view_ok, button, mrkdwn


def make_checkin(day: int = 2) -> CheckIn:
    return CheckIn(id=55, launch_id=7, day_number=day, local_date=date.today(), channel="C0ACME",
                   outbox_key="launch:7:checkin:2")


ANSWERS = [ActionId.CHECKIN_GOOD, ActionId.CHECKIN_FRICTION, ActionId.CHECKIN_BLOCKED]


def test_open_checkin_has_the_three_answers_a_note_and_report_a_problem() -> None:
    blocks = checkin_blocks(make_checkin(), 5, Tally(), late=False)
    assert_message_ok(blocks)
    assert action_ids(blocks) == [*ANSWERS, ActionId.CHECKIN_NOTE, ActionId.ISSUE_REPORT_OPEN]
    assert all(button(blocks, a)["value"] == "55" for a in action_ids(blocks))
    assert "Report a problem" in button(blocks, ActionId.ISSUE_REPORT_OPEN)["text"]["text"]
    assert button(blocks, ActionId.CHECKIN_GOOD)["style"] == "primary"
    assert button(blocks, ActionId.CHECKIN_BLOCKED)["style"] == "danger"


def test_closed_checkin_keeps_question_and_tally_but_offers_no_buttons() -> None:
    blocks = checkin_blocks(make_checkin(), 5, Tally(good=3, friction=1, blocked=2), late=False, closed=True)
    assert_message_ok(blocks)
    assert action_ids(blocks) == []
    assert [b["block_id"] for b in blocks] == ["checkin_question", "checkin_tally"]
    assert "3 all good" in mrkdwn(blocks) and "2 blocked" in mrkdwn(blocks)


def test_late_checkin_says_it_was_posted_late() -> None:
    on_time = mrkdwn(checkin_blocks(make_checkin(), 5, Tally(), late=False))
    late = mrkdwn(checkin_blocks(make_checkin(), 5, Tally(), late=True))
    assert "Posted late" not in on_time
    assert "Posted late" in late


def test_first_day_is_announced_as_go_live_day() -> None:
    assert "Go-live day" in question(1, 5)
    assert "Go-live day" not in question(2, 5)


def test_question_names_the_day_and_the_length_of_launch_week() -> None:
    assert "Day 3 of launch week" in question(3, 5) and "(3 of 5)" in question(3, 5)


def test_tally_shows_counts_and_no_names_when_none_are_given() -> None:
    text = tally_text(Tally(good=4, friction=2, blocked=1))
    assert "4 all good" in text and "2 some friction" in text and "1 blocked" in text
    assert "<@" not in text


def test_tally_names_people_per_answer_when_names_are_given() -> None:
    text = tally_text(Tally(good=1, blocked=2, names={"good": ["U0ANA"], "blocked": ["U0BEN", "U0CAI"]}))
    lines = text.splitlines()
    assert "All good: <@U0ANA>" in lines
    assert "Blocked: <@U0BEN>, <@U0CAI>" in lines
    assert not any(line.startswith("Some friction:") for line in lines)


def test_tally_with_hundreds_of_names_stays_inside_a_context_element() -> None:
    names = {a.value: [f"U0{a.value.upper()}{n:04d}" for n in range(400)] for a in Answer}
    text = tally_text(Tally(good=400, friction=400, blocked=400, names=names))
    assert len(text) <= 2900
    assert text.count("<@") <= 90  # 30 shown per answer
    blocks = checkin_blocks(make_checkin(), 5, Tally(good=400, friction=400, blocked=400, names=names), late=True)
    assert_message_ok(blocks)


@pytest.mark.parametrize("day", [1, 5, 10])
def test_checkin_is_valid_on_every_day_of_launch_week(day: int) -> None:
    assert_message_ok(checkin_blocks(make_checkin(day), 10, Tally(good=1), late=False))


def test_nudge_mentions_the_people_who_have_not_answered_and_offers_a_mute() -> None:
    text, blocks = nudge_message(make_checkin(3), ["U0ANA", "U0BEN"])
    assert_message_ok(blocks)
    assert "<@U0ANA> <@U0BEN>" in text and "day 3" in text
    mute = button(blocks, ActionId.NUDGE_MUTE)
    assert mute["value"] == "7"
    assert len(mute["text"]["text"]) <= 75


def test_nudge_to_a_crowd_mentions_forty_and_counts_the_rest() -> None:
    targets = [f"U0P{n:05d}" for n in range(250)]
    text, blocks = nudge_message(make_checkin(), targets)
    assert_message_ok(blocks)
    assert text.count("<@") == 40
    assert "and 210 more" in text
    assert "and 210 more" in mrkdwn(blocks)


@pytest.mark.parametrize("answer", list(Answer))
def test_note_modal_preselects_the_persons_current_answer(answer: Answer) -> None:
    view = note_modal(make_checkin(4), answer.value)
    assert_view_ok(view)
    radios = view["blocks"][0]["element"]
    assert radios["initial_option"]["value"] == answer.value
    assert [o["value"] for o in radios["options"]] == ["good", "friction", "blocked"]


def test_note_modal_carries_the_checkin_and_limits_the_note() -> None:
    view = note_modal(make_checkin(4), "friction")
    assert view["callback_id"] == CallbackId.CHECKIN_NOTE_MODAL
    assert unpack(view) == {"checkin": 55, "channel": "C0ACME"}
    assert view["title"]["text"] == "Day 4 check-in"
    note = view["blocks"][1]["element"]
    assert note["action_id"] == "note" and note["max_length"] == 3000


def test_checkin_text_has_no_user_markup() -> None:
    # The check-in carries no person's text; only deliberate mentions in the tally.
    blocks = checkin_blocks(make_checkin(), 5, Tally(names={"good": ["U0ANA"]}, good=1), late=False)
    assert_inert(blocks)
    assert "<!channel>" not in all_text(blocks)
