"""The gateway's rate book: per-method Retry-After pauses and tier budgets shared by every caller."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.gateway import GatewayClient, RateBook


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_429_on_pins_add_pauses_pins_add_and_never_chat_post_message() -> None:
    clock = Clock()
    book = RateBook(clock)
    book.limited("pins.add", 30)
    assert book.wait_for("pins.add") == pytest.approx(30)
    assert book.wait_for("chat.postMessage", "C1") == 0
    assert book.wait_for("chat.update") == 0
    clock.now += 31
    assert book.wait_for("pins.add") == 0


def test_a_post_429_pauses_that_channel_only() -> None:
    book = RateBook(Clock())
    book.limited("chat.postMessage", 5, key="C1")
    assert book.wait_for("chat.postMessage", "C1") == pytest.approx(5)
    assert book.wait_for("chat.postMessage", "C2") == 0


def test_a_tier_budget_lets_a_burst_through_then_paces_at_the_tier_rate() -> None:
    clock = Clock()
    book = RateBook(clock)
    for _ in range(20):  # pins.add is Tier 2: about 20 a minute, a minute's worth may burst
        assert book.wait_for("pins.add") == 0
        book.spend("pins.add")
    assert book.wait_for("pins.add") == pytest.approx(3.0)  # one call every 3 s from here
    assert book.wait_for("users.info") == 0  # another method's budget is untouched
    clock.now += 3
    assert book.wait_for("pins.add") == 0


def test_a_call_over_budget_is_refused_at_once_with_a_429_and_its_wait() -> None:
    book = RateBook(Clock())
    book.limited("conversations.members", 12)
    client = GatewayClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", ratebook=book, max_wait=0.0)
    with pytest.raises(SlackApiError) as refused:
        client.conversations_members(channel="C1")
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "12"
