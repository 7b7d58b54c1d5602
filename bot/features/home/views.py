"""Home: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.text import clip, escape, user_text
from bot.features.home.model import MAX_VIEW_BLOCKS, READINESS_ACTION, READINESS_MODAL, SECTION, HomeCard
from bot.features.issues.model import SEVERITY_EMOJI
from storage.models import (
    Launch,
    ReadinessItem,
)


def card_blocks(card: HomeCard) -> list[dict[str, Any]]:
    issues = " · ".join(f"{SEVERITY_EMOJI[s]} {s} {n}" for s, n in card.issues.items())
    return [
        {"type": "section", "block_id": f"home_launch_{card.launch_id}", "text": {"type": "mrkdwn", "text": clip(
            f"*{escape(card.customer)}* · <#{card.channel}>\n*Stage:* {card.stage} · *go-live* "
            f"{card.go_live:%a %-d %b %Y} · status {card.status} · {card.readiness}", SECTION)}},
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": clip(f"*Today:* {card.today}", SECTION)},
            {"type": "mrkdwn", "text": f"*Open issues:* {issues}"},
            {"type": "mrkdwn", "text": clip(f"*Next:* {card.next_step}", SECTION)},
        ]},
        {"type": "actions", "block_id": f"home_actions_{card.launch_id}", "elements": [
            {"type": "button", "action_id": "home_open_channel", "url": card.channel_url,
             "text": {"type": "plain_text", "text": "Open channel"}},
            {"type": "button", "action_id": READINESS_ACTION, "value": str(card.launch_id),
             "text": {"type": "plain_text", "text": "Readiness checklist"}},
        ]},
        {"type": "divider"},
    ]


def home_view(cards: list[HomeCard], why: str, now: datetime) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your launches"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"Showing {why}: {len(cards)} launch(es). Updated {now:%Y-%m-%d %H:%M} UTC.")}]},
    ]
    if not cards:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            "No launches to show. CSMs see their launches here; everyone else sees the launches of the channels "
            "they are in.")}})
    room = (MAX_VIEW_BLOCKS - len(blocks) - 1) // 4
    for card in cards[:room]:
        blocks += card_blocks(card)
    rest = cards[room:]
    if rest:
        lines = [f"*{len(rest)} more:* "] + [f"• {user_text(clip(c.customer, 60), 90)} (<#{c.channel}>) — {c.stage}"
                                              for c in rest]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), SECTION)}})
    return {"type": "home", "blocks": blocks}


def readiness_view(launch: Launch, items: list[ReadinessItem]) -> dict[str, Any]:
    done = sum(1 for i in items if i.done)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": clip(
        f"*{escape(launch.customer)}* — go-live {launch.go_live_date:%a %-d %b %Y}\n"
        f"{done} of {len(items)} go-live criteria met." if items else
        f"*{escape(launch.customer)}* has no go-live criteria yet.", SECTION)}}]
    chunk: list[str] = []
    for item in items:
        mark = ":white_check_mark:" if item.done else ":white_large_square:"
        line = f"{mark} {user_text(clip(item.text, 300), 400)}"
        if item.owner:
            line += f" — owner <@{item.owner}>"
        if item.done and item.changed_by:
            line += f" (ticked by <@{item.changed_by}>)"
        if sum(len(c) + 1 for c in chunk) + len(line) > SECTION:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    blocks = blocks[:MAX_VIEW_BLOCKS - 1]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        "Read-only. CSMs change the checklist with `/golive ready` in the launch channel.")}]})
    return {"type": "modal", "callback_id": READINESS_MODAL, "title": {"type": "plain_text", "text": "Readiness"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": blocks}
