"""Issue 12's views: the *Blocked* question and form, the 👎 DM with *Reopen*, *Same problem* on the card,
and the timeline `/golive issue N` shows — within Block Kit's limits, hostile text kept inert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.blocks import unpack
from bot.core.ids import ActionId, CallbackId
from bot.features.issues.views import (
    HOW_BAD,
    blocked_details_modal,
    blocked_notice,
    card_blocks,
    timeline_text,
    unsatisfied_blocks,
)
from storage.models import IssueEvent
from tests.unit.blockkit import (
    action_ids,
    assert_inert,
    assert_message_ok,
    assert_view_ok,
    button,
    long_hostile,
    mrkdwn,
)
from tests.unit.factories import issue, launch


def test_blocked_notice_names_the_issue_and_asks_with_a_button() -> None:
    text, blocks = blocked_notice("U0REPORTER", 4, long_hostile(200), 31)
    assert_message_ok(blocks)
    assert_inert(blocks)
    assert "issue *#4*" in text and "<@U0REPORTER>" in text and "What is blocking you?" in text
    assert button(blocks, ActionId.ISSUE_BLOCKED_DETAILS)["value"] == "31"


def test_blocked_form_uses_the_report_forms_words_for_sev1_and_sev2() -> None:
    view = blocked_details_modal(123456789, 31)
    assert_view_ok(view)
    assert view["callback_id"] == CallbackId.BLOCKED_DETAILS_MODAL and unpack(view) == {"issue": 31}
    impact = next(b for b in view["blocks"] if b["block_id"] == "impact")
    options = [(o["text"]["text"], o["value"]) for o in impact["element"]["options"]]
    assert options == [(label, value) for label, value in HOW_BAD if value in ("sev1", "sev2")]
    assert "initial_option" not in impact["element"]  # the person says it; nothing is preselected


def test_unsatisfied_dm_carries_problem_resolution_and_reopen_within_limits() -> None:
    hostile = issue(status="resolved", resolved_by="U0SUP", text=long_hostile(20_000), resolution=long_hostile(9_000))
    text, blocks = unsatisfied_blocks(launch(), hostile)
    assert_message_ok(blocks)
    assert_inert(blocks)
    assert action_ids(blocks) == [ActionId.ISSUE_REOPEN] and button(blocks, ActionId.ISSUE_REOPEN)["value"] == "31"
    plain = unsatisfied_blocks(launch(), issue(status="resolved", resolved_by="U0SUP", resolution=None))[1]
    assert "without a note" in mrkdwn(plain)


def test_card_offers_same_problem_while_open_and_says_whom_a_linked_issue_follows() -> None:
    offered = card_blocks(launch(), issue(looks_like_id=12), None, looks_like=3)
    assert_message_ok(offered)
    assert "Looks like *#3*" in mrkdwn(offered)
    assert button(offered, ActionId.ISSUE_SAME)["value"] == "31:12"
    resolved = card_blocks(launch(), issue(looks_like_id=12, status="resolved", resolved_by="U0SUP"), None,
                           looks_like=3)
    assert ActionId.ISSUE_SAME not in action_ids(resolved)
    linked = card_blocks(launch(), issue(looks_like_id=12, parent_id=12), None, looks_like=3, parent=3)
    assert ActionId.ISSUE_SAME not in action_ids(linked) and "Same problem as *#3*" in mrkdwn(linked)
    parent = card_blocks(launch(), issue(), None, followers=4)
    assert "4 more reports linked" in mrkdwn(parent)


def test_timeline_is_in_the_launch_zone_clipped_and_inert() -> None:
    start = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)  # a Monday; 13:00 in Berlin
    events = [IssueEvent(issue_id=31, at=start + timedelta(minutes=i), actor="U0SUP" if i else None,
                         kind="escalated" if i % 2 else "acknowledged", detail=long_hostile(500))
              for i in range(100)]
    text = timeline_text(launch(), issue(text=long_hostile(5000)), events, "Europe/Berlin")
    assert len(text) <= 3000
    assert text.startswith("*Issue #4*") and "Mon 7 Jan 13:00 acknowledged" in text
    assert_inert([{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
