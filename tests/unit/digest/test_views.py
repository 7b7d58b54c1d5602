"""The CSM's standup digest: the most urgent launches in full, the rest one line each, inside Slack's limits."""

from __future__ import annotations

import re

from bot.features.digest.model import MAX_BLOCKS, TOTAL_BUDGET
from bot.features.digest.views import digest_blocks
from tests.unit.blockkit import HOSTILE, all_text, assert_inert, assert_message_ok, long_hostile, mrkdwn
from tests.unit.digest.builders import TODAY, digest, issues


def shown_launches(blocks: list[dict]) -> int:
    """Launches accounted for: in full, on a compact line, or in the '…and N more' count."""
    text = mrkdwn(blocks)
    full = len(re.findall(r"\(<#C0CH\d{4}>\) — \*", text))
    compact = len(re.findall(r"^:\w+: \*.*\* — (stuck|at risk|on track) · ", text, flags=re.M))
    more = re.search(r"…and (\d+) more: `golive launch list`", text)
    return full + compact + (int(more.group(1)) if more else 0)


def test_digest_puts_stuck_launches_first_and_counts_each_health() -> None:
    items = [digest(1, "on track"), digest(2, "stuck", reasons=["3 of 4 people blocked on day 1"]),
             digest(3, "at risk", reasons=["1 open sev1"])]
    text, blocks = digest_blocks(items, TODAY, "Chart: answers per day")
    assert_message_ok(blocks)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"].startswith("Standup digest — ")
    body = mrkdwn(blocks)
    assert "3 launches: 1 stuck · 1 at risk · 1 on track" in body and "Chart: answers per day" in body
    assert body.index("Customer 2") < body.index("Customer 3") < body.index("Customer 1")
    assert "*Talking points*\n1. Ask what works well" in body
    assert [b["type"] for b in blocks].count("divider") == 3
    assert text.startswith("Standup digest for ") and text.endswith("3 launches: 1 stuck · 1 at risk · 1 on track")


def test_digest_preface_comes_before_the_launches() -> None:
    _, blocks = digest_blocks([digest(1)], TODAY, "note", preface="Chart could not be uploaded")
    assert_message_ok(blocks)
    assert blocks[1]["text"]["text"] == "Chart could not be uploaded"


def test_digest_of_no_launches_is_still_a_valid_message() -> None:
    _, blocks = digest_blocks([], TODAY, "no chart")
    assert_message_ok(blocks)
    assert "0 launches" in mrkdwn(blocks)


def test_digest_launch_shows_the_days_answers_and_open_issues() -> None:
    item = digest(1, counts={"good": 3, "friction": 2, "blocked": 1}, blocked_people=["U0BLOCKED"],
                  missing=["U0SILENT"], issues=issues(8))
    _, blocks = digest_blocks([item], TODAY, "note")
    body = mrkdwn(blocks)
    assert "3 good · 2 friction · 1 blocked — blocked: <@U0BLOCKED>" in body
    assert "*No answer yet:* <@U0SILENT>" in body
    assert "#1 sev2 · 2 h 5 min old · SLA breached · Exports time out" in body
    assert "…and 2 more" in body


def test_digest_of_30_hostile_launches_with_many_issues_fits_and_accounts_for_every_launch() -> None:
    items = [digest(n, ("stuck", "at risk", "on track")[n % 3], customer=f"{n:02d} {HOSTILE}"[:200],
                    issues=issues(25, long_hostile()), missing=[f"U0M{m:04d}" for m in range(60)],
                    blocked_people=[f"U0B{m:04d}" for m in range(40)], escalations=[f"#{m} step 2" for m in range(30)],
                    missed_work=[HOSTILE] * 8, talking_points=["Chase support " * 30] * 3)
             for n in range(1, 31)]
    _, blocks = digest_blocks(items, TODAY, ":bar_chart: The launch-week chart is in the message above.",
                              preface=":warning: This is <@U0CSM>'s digest.")
    assert_message_ok(blocks)
    assert_inert(blocks)
    assert len(blocks) <= MAX_BLOCKS
    assert len(all_text(blocks)) <= TOTAL_BUDGET + 3000
    assert "*Open issues:*" in mrkdwn(blocks)  # the most urgent launches in full
    assert shown_launches(blocks) == 30


def test_digest_with_a_long_preface_and_chart_note_still_lists_every_launch() -> None:
    # The preface and the chart note are golive's own words: long, but not hostile.
    items = [digest(n, issues=issues(10)) for n in range(1, 31)]
    _, blocks = digest_blocks(items, TODAY, "Chart note " * 500, preface="Preface " * 700)
    assert_message_ok(blocks)
    assert len(all_text(blocks)) <= TOTAL_BUDGET + 3000
    assert shown_launches(blocks) == 30


def test_digest_with_5000_character_customer_names_is_valid() -> None:
    items = [digest(n, customer=long_hostile(), issues=issues(3)) for n in range(1, 31)]
    _, blocks = digest_blocks(items, TODAY, "note")
    assert_message_ok(blocks)
    assert_inert(blocks)
    assert "30 launches: 30 on track" in mrkdwn(blocks)


def test_digest_of_200_launches_ends_with_a_pointer_to_the_rest() -> None:
    items = [digest(n, customer=f"Customer {n} " + "x" * 50) for n in range(1, 201)]
    _, blocks = digest_blocks(items, TODAY, "note")
    assert_message_ok(blocks)
    assert "more: `golive launch list`" in mrkdwn(blocks)
    assert shown_launches(blocks) == 200
