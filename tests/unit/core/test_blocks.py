"""bot.core.blocks: modal state in private_metadata and flattening view.state.values."""

from __future__ import annotations

import pytest

from bot.core.blocks import MAX_METADATA, option, pack, plain, unpack, values
from bot.core.errors import InvalidInput


def test_pack_and_unpack_round_trip() -> None:
    state = {"checkin": 12, "channel": "C0ACME", "note": "🚀 <!channel>"}
    assert unpack({"private_metadata": pack(state)}) == state


def test_pack_refuses_state_that_slack_would_refuse() -> None:
    with pytest.raises(ValueError, match="too large"):
        pack({"text": "x" * MAX_METADATA})


def test_unpack_of_no_metadata_is_empty() -> None:
    assert unpack({}) == {}


@pytest.mark.parametrize("metadata", ["not json", "[1, 2]", "42"])
def test_unpack_of_foreign_metadata_says_the_form_expired(metadata: str) -> None:
    with pytest.raises(InvalidInput, match="expired"):
        unpack({"private_metadata": metadata})


def test_values_flattens_text_selects_and_checkboxes() -> None:
    view = {"state": {"values": {
        "note": {"note": {"type": "plain_text_input", "value": "hello"}},
        "answer": {"answer": {"type": "radio_buttons", "selected_option": {"value": "good"}}},
        "empty": {"empty": {"type": "radio_buttons", "selected_option": None}},
        "boxes": {"boxes": {"type": "checkboxes", "selected_options": [{"value": "1"}, {"value": "3"}]}},
        "blank": {"blank": {"type": "plain_text_input", "value": None}},
    }}}
    assert values(view) == {"note": "hello", "answer": "good", "empty": None, "boxes": ["1", "3"], "blank": None}


def test_values_ignores_malformed_state() -> None:
    assert values({"state": {"values": ["x"]}}) == {}
    assert values({"state": {"values": {"a": "x", "b": {"c": 1}}}}) == {}


def test_plain_text_is_clipped_to_slacks_option_and_button_limit() -> None:
    assert plain("x" * 200)["text"] == "x" * 75
    assert plain("Send") == {"type": "plain_text", "text": "Send", "emoji": True}


def test_option_has_plain_text_and_value() -> None:
    assert option("All good", "good") == {"text": plain("All good"), "value": "good"}
