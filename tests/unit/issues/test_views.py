"""The support card of an issue and the *Report a problem* modal."""

from __future__ import annotations

import pytest

from bot.core.blocks import unpack
from bot.core.ids import ActionId, CallbackId
from bot.core.text import ELLIPSIS
from bot.features.issues.views import card_blocks, report_modal
from tests.unit.blockkit import (
    HOSTILE,
    action_ids,
    assert_inert,
    assert_message_ok,
    assert_view_ok,
    button,
    elements,
    long_hostile,
    mrkdwn,
)
from tests.unit.factories import issue, launch


def test_open_issue_card_offers_acknowledge_resolve_and_severity() -> None:
    blocks = card_blocks(launch(), issue(severity="sev2"), None)
    assert_message_ok(blocks)
    assert action_ids(blocks) == [ActionId.ISSUE_ACK, ActionId.ISSUE_RESOLVE, ActionId.ISSUE_SEVERITY]
    assert button(blocks, ActionId.ISSUE_ACK)["value"] == "31"
    assert button(blocks, ActionId.ISSUE_RESOLVE)["value"] == "31"
    (select,) = elements(blocks, "static_select")
    assert [o["value"] for o in select["options"]] == ["sev1", "sev2", "sev3"]
    assert select["initial_option"]["value"] == "sev2"


@pytest.mark.parametrize("severity", ["sev1", "sev2", "sev3"])
def test_severity_select_starts_at_the_issues_severity(severity: str) -> None:
    blocks = card_blocks(launch(), issue(severity=severity), None)
    (select,) = elements(blocks, "static_select")
    assert select["initial_option"]["value"] == severity
    assert f"{severity} ·" in mrkdwn(blocks)


def test_acknowledged_issue_card_drops_the_acknowledge_button() -> None:
    blocks = card_blocks(launch(), issue(status="acknowledged", acknowledged_by="U0AGENT"), None)
    assert_message_ok(blocks)
    assert action_ids(blocks) == [ActionId.ISSUE_RESOLVE, ActionId.ISSUE_SEVERITY]
    assert "acknowledged by <@U0AGENT>" in mrkdwn(blocks)


def test_resolved_issue_card_has_no_buttons_and_shows_the_resolution() -> None:
    blocks = card_blocks(launch(), issue(status="resolved", resolved_by="U0AGENT", resolution="Raised the timeout"),
                         None)
    assert_message_ok(blocks)
    assert action_ids(blocks) == []
    assert "resolved by <@U0AGENT>" in mrkdwn(blocks)
    assert "Resolution: Raised the timeout" in mrkdwn(blocks)


def test_card_names_the_issue_customer_reporter_and_source() -> None:
    text = mrkdwn(card_blocks(launch(), issue(number=12, escalation_count=2), None))
    assert "*Issue #12*" in text and "*Acme Logistics GmbH*" in text
    assert "Reported by <@U0REPORTER>" in text and "via button" in text
    assert "escalated 2×" in text


def test_card_links_the_source_message_when_there_is_a_permalink() -> None:
    text = mrkdwn(card_blocks(launch(), issue(), "https://acme.slack.com/archives/C0ACME/p1"))
    assert "<https://acme.slack.com/archives/C0ACME/p1|source message>" in text


def test_card_escapes_the_reporters_text_and_resolution() -> None:
    blocks = card_blocks(launch(customer=HOSTILE[:200]), issue(text=HOSTILE, status="resolved", resolved_by="U0A",
                                                               resolution=HOSTILE), None)
    assert_message_ok(blocks)
    assert_inert(blocks)
    assert "&lt;!channel&gt;" in blocks[1]["text"]["text"]


def test_card_clips_a_long_report_recognisably() -> None:
    blocks = card_blocks(launch(), issue(text=long_hostile(), resolution=long_hostile()), None)
    assert_message_ok(blocks)
    body = blocks[1]["text"]["text"]
    assert body.startswith("Start of the text. Tom &amp; Jerry") and body.endswith(ELLIPSIS)
    assert "Resolution: Start of the text." in mrkdwn(blocks)


def test_card_fits_with_the_longest_customer_name_launch_import_accepts() -> None:
    # MAX_CUSTOMER is 200; '&' is the character that grows most when escaped.
    blocks = card_blocks(launch(customer="&" * 200), issue(text=long_hostile()), None)
    assert_message_ok(blocks)


@pytest.mark.xfail(strict=True, reason="issues/views.py:card_blocks does not clip the header: a 5,000-character "
                                       "customer name gives a section over Slack's 3,000 (only the 200-character "
                                       "cap in LaunchInput.parse keeps it away)")
def test_card_fits_with_a_5000_character_customer_name() -> None:
    assert_message_ok(card_blocks(launch(customer=long_hostile()), issue(), None))


def test_report_modal_asks_what_happened_and_how_bad() -> None:
    view = report_modal({"channel": "C0ACME", "thread_ts": "1.2", "source": "button"})
    assert_view_ok(view)
    assert view["callback_id"] == CallbackId.REPORT_ISSUE_MODAL
    assert view["title"]["text"] == "Report a problem"
    assert unpack(view) == {"channel": "C0ACME", "thread_ts": "1.2", "source": "button"}
    radios = view["blocks"][1]["element"]
    assert [o["value"] for o in radios["options"]] == ["sev1", "sev2", "sev3"]
    assert radios["initial_option"]["value"] == "sev2"
    assert "initial_value" not in view["blocks"][0]["element"]


def test_report_modal_prefills_a_shortcut_message_within_the_input_limit() -> None:
    view = report_modal({"channel": "C0ACME", "source": "shortcut"}, initial_text=long_hostile())
    assert_view_ok(view)
    text = view["blocks"][0]["element"]
    assert text["initial_value"] == long_hostile()[:3000]
    assert len(text["initial_value"]) <= text["max_length"] == 3000
