"""The App Home (launch cards) and the read-only readiness modal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.text import ELLIPSIS
from bot.features.checkins.model import Tally
from bot.features.home.model import READINESS_ACTION, READINESS_MODAL, HomeCard, NextStep, Stage
from bot.features.home.views import card_blocks, home_view, readiness_view
from tests.unit.blockkit import (
    HOSTILE,
    assert_inert,
    assert_message_ok,
    assert_view_ok,
    button,
    elements,
    long_hostile,
    mrkdwn,
)
from tests.unit.factories import item, launch

NOW = datetime.now(UTC)
TUESDAY_0930 = datetime.combine(date.today() + timedelta(days=(1 - date.today().weekday()) % 7 or 7),
                                datetime.min.time(), UTC).replace(hour=9, minute=30)


def card(n: int = 1, **changes) -> HomeCard:  # noqa: ANN003
    values = dict(launch_id=n, customer=f"Customer {n}", channel=f"C0CH{n:04d}", stage=Stage("week", 2, 5, live=True),
                  go_live=date.today(), status="live", tally=Tally(good=3, blocked=1),
                  issues={"sev1": 1, "sev2": 0, "sev3": 2},
                  next_step=NextStep("digest", None, TUESDAY_0930, "UTC"),
                  channel_url=f"https://slack.com/app_redirect?channel=C0CH{n:04d}", criteria_met=4, criteria_total=5)
    values.update(changes)
    return HomeCard(**values)


def test_card_shows_the_launch_and_offers_channel_and_checklist() -> None:
    blocks = card_blocks(card(3))
    assert_message_ok(blocks)
    text = mrkdwn(blocks)
    assert "*Customer 3* · <#C0CH0003>" in text and "live · launch week, day 2 of 5" in text
    assert "3 all good" in text and "1 blocked" in text and "4 of 5 go-live criteria met" in text
    assert "sev1 1" in text and "sev3 2" in text
    assert f"*Next:* standup digest to the CSMs on Tue {TUESDAY_0930.day} {TUESDAY_0930:%b} 09:30" in text
    assert button(blocks, "home_open_channel")["url"] == "https://slack.com/app_redirect?channel=C0CH0003"
    assert button(blocks, READINESS_ACTION)["value"] == "3"


def test_home_without_launches_explains_why_it_is_empty() -> None:
    view = home_view([], "csm", NOW)
    assert_view_ok(view)
    assert view["type"] == "home"
    assert "No launches to show" in mrkdwn(view)
    assert "Showing your launches as CSM: 0 launches." in mrkdwn(view)


def test_home_with_one_launch_shows_its_card() -> None:
    view = home_view([card(1)], "csm", NOW)
    assert_view_ok(view)
    assert "No launches to show" not in mrkdwn(view)
    assert "home_launch_1" in [b.get("block_id") for b in view["blocks"]]


def test_home_with_25_launches_stays_under_100_blocks_and_lists_every_launch() -> None:
    cards = [card(n) for n in range(1, 26)]
    view = home_view(cards, "csm", NOW)
    assert_view_ok(view)
    assert len(view["blocks"]) <= 100
    text = mrkdwn(view)
    assert all(f"Customer {n}" in text for n in range(1, 26))
    assert "25 launches" in text
    assert "*1 more:*" in text


def test_home_with_hundreds_of_hostile_launches_is_valid_and_inert() -> None:
    cards = [card(n, customer=f"{n} {HOSTILE}") for n in range(1, 301)]
    view = home_view(cards, "csm", NOW)
    assert_view_ok(view)
    assert_inert(view)
    assert "*276 more:*" in mrkdwn(view)


def test_home_card_with_a_huge_customer_name_is_clipped_not_refused() -> None:
    view = home_view([card(1, customer=long_hostile())], "csm", NOW)
    assert_view_ok(view)
    assert_inert(view)
    assert "*Start of the text. Tom &amp; Jerry" in mrkdwn(view)


def test_readiness_modal_lists_every_criterion_with_its_state() -> None:
    items = [item(1, done=True, changed_by="U0ANA", owner="U0OWNER"), item(2, owner="U0BEN")]
    view = readiness_view(launch(), items)
    assert_view_ok(view)
    assert view["callback_id"] == READINESS_MODAL
    assert len(view["title"]["text"]) <= 24
    assert elements(view) == []
    text = mrkdwn(view)
    assert "1 of 2 go-live criteria met" in text
    assert ":white_check_mark: Criterion number 1 — owner <@U0OWNER> (ticked by <@U0ANA>)" in text
    assert ":white_large_square: Criterion number 2 — owner <@U0BEN>" in text


def test_readiness_modal_without_criteria_says_so() -> None:
    view = readiness_view(launch(), [])
    assert_view_ok(view)
    assert "has no go-live criteria yet" in mrkdwn(view)


def test_readiness_modal_with_45_long_hostile_criteria_is_valid_and_inert() -> None:
    items = [item(n, text=f"{n}: {long_hostile(500)}", done=n % 3 == 0, changed_by="U0ANA") for n in range(45)]
    view = readiness_view(launch(customer=HOSTILE[:200]), items)
    assert_view_ok(view)
    assert_inert(view)
    text = mrkdwn(view)
    assert all(f"{n}: Start of the text." in text for n in range(45))
    assert ELLIPSIS in text


def test_readiness_modal_with_a_5000_character_customer_name_is_clipped() -> None:
    assert_view_ok(readiness_view(launch(customer=long_hostile()), [item(1)]))
