"""The retrospective prompt, its modal and the CSMs' summary."""

from __future__ import annotations

import pytest

from bot.core.blocks import unpack
from bot.core.ids import ActionId
from bot.core.text import ELLIPSIS
from bot.features.milestones.model import MilestoneCallback
from bot.features.retro.model import SLACK_BUDGET
from bot.features.retro.views import prompt_blocks, retro_modal, summary_blocks
from tests.unit.blockkit import (
    HOSTILE,
    all_text,
    assert_inert,
    assert_message_ok,
    assert_view_ok,
    button,
    long_hostile,
    mrkdwn,
)
from tests.unit.factories import launch, retro_answer


def test_prompt_offers_share_your_thoughts() -> None:
    blocks = prompt_blocks(launch(), "How did go-live go?")
    assert_message_ok(blocks)
    assert mrkdwn(blocks).startswith("How did go-live go?")
    share = button(blocks, ActionId.RETRO_OPEN)
    assert share["value"] == "7" and share["text"]["text"] == "Share your thoughts"


def test_first_retro_modal_is_empty_and_asks_three_things() -> None:
    view = retro_modal(launch(), None)
    assert_view_ok(view)
    assert view["callback_id"] == MilestoneCallback.RETRO
    assert unpack(view) == {"launch": 7}
    assert [b["block_id"] for b in view["blocks"][1:]] == ["went_well", "improve", "rating"]
    assert "You answered before" not in mrkdwn(view)
    assert all("initial_value" not in b["element"] and "initial_option" not in b["element"]
               for b in view["blocks"][1:])
    assert [o["value"] for o in view["blocks"][3]["element"]["options"]] == ["5", "4", "3", "2", "1"]


@pytest.mark.parametrize("rating", [1, 3, 5])
def test_second_retro_modal_prefills_the_earlier_answer(rating: int) -> None:
    view = retro_modal(launch(), retro_answer(1, went_well="Fast support", improve="", rating=rating))
    assert_view_ok(view)
    assert "You answered before" in mrkdwn(view)
    went_well, improve, ratings = (b["element"] for b in view["blocks"][1:])
    assert went_well["initial_value"] == "Fast support"
    assert "initial_value" not in improve
    assert ratings["initial_option"]["value"] == str(rating)


def test_retro_modal_prefill_stays_within_the_input_limit() -> None:
    view = retro_modal(launch(), retro_answer(1, went_well=long_hostile(), improve=long_hostile()))
    assert_view_ok(view)
    assert all(len(b["element"]["initial_value"]) <= 3000 for b in view["blocks"][1:3])


def test_retro_modal_escapes_the_customer_name() -> None:
    view = retro_modal(launch(customer=HOSTILE[:200]), None)
    assert_view_ok(view)
    assert_inert(view)


@pytest.mark.xfail(strict=True, reason="retro/views.py:retro_modal does not clip the intro: a 5,000-character "
                                       "customer name gives a section over Slack's 3,000 (views.open refused)")
def test_retro_modal_fits_with_a_5000_character_customer_name() -> None:
    assert_view_ok(retro_modal(launch(customer=long_hostile()), None))


def test_summary_counts_answers_averages_ratings_and_quotes_each_person() -> None:
    rows = [retro_answer(1, rating=5, went_well="Support was fast", improve="Training came late"),
            retro_answer(2, rating=3, went_well="", improve="More docs")]
    blocks = summary_blocks(launch(), rows)
    assert_message_ok(blocks)
    text = mrkdwn(blocks)
    assert "2 answers, average rating *4.0 / 5* (5★×1, 3★×1)" in text
    assert "• Support was fast — <@U0PERSON1>" in text
    assert "• Training came late — <@U0PERSON1>" in text and "• More docs — <@U0PERSON2>" in text
    assert "did not fit" not in text
    assert "golive retro report --launch 7" in text


def test_summary_without_answers_says_nothing_came_in() -> None:
    blocks = summary_blocks(launch(), [])
    assert_message_ok(blocks)
    text = mrkdwn(blocks)
    assert "0 answers" in text and "average" not in text
    assert text.count("_(nothing)_") == 2


def test_summary_of_many_long_hostile_answers_fits_and_says_what_was_left_out() -> None:
    rows = [retro_answer(n, went_well=long_hostile(), improve=long_hostile(), rating=1 + n % 5) for n in range(80)]
    blocks = summary_blocks(launch(customer=HOSTILE[:200]), rows)
    assert_message_ok(blocks)
    assert_inert(blocks)
    assert len(all_text(blocks)) <= SLACK_BUDGET + 500
    text = mrkdwn(blocks)
    assert "80 answers" in text
    assert "more answers did not fit here" in text
    assert "• Start of the text." in text and ELLIPSIS in text


def test_summary_joins_an_answers_lines_into_one_bullet() -> None:
    text = mrkdwn(summary_blocks(launch(), [retro_answer(1, went_well="line one\n\n  line two")]))
    assert "• line one line two — <@U0PERSON1>" in text


@pytest.mark.xfail(strict=True, reason="retro/views.py:summary_blocks does not clip its heading: a 5,000-character "
                                       "customer name gives a section over Slack's 3,000")
def test_summary_fits_with_a_5000_character_customer_name() -> None:
    assert_message_ok(summary_blocks(launch(customer=long_hostile()), [retro_answer(1)]))
