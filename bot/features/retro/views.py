"""Retro: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from typing import Any

from bot.core.blocks import option, pack, plain
from bot.core.ids import ActionId
from bot.core.text import escape, user_text
from bot.features.milestones.model import MilestoneCallback
from bot.features.retro.model import RATINGS, SLACK_ANSWER_LIMIT, SLACK_BUDGET, tallies
from storage.models import Launch, RetroAnswer


def prompt_blocks(launch: Launch, text: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"retro:{launch.id}", "elements": [
            {"type": "button", "action_id": ActionId.RETRO_OPEN, "value": str(launch.id), "style": "primary",
             "text": {"type": "plain_text", "text": "Share your thoughts"}}]},
    ]


def retro_modal(launch: Launch, current: RetroAnswer | None) -> dict[str, Any]:
    options = [option(label, str(value)) for value, label in RATINGS.items()]
    went_well = {"type": "plain_text_input", "action_id": "went_well", "multiline": True,
                 "placeholder": plain("What helped, who helped, what surprised you")}
    improve = {"type": "plain_text_input", "action_id": "improve", "multiline": True,
               "placeholder": plain("What got in the way; what we should do differently")}
    rating: dict[str, Any] = {"type": "radio_buttons", "action_id": "rating", "options": options}
    if current is not None:
        if current.went_well:
            went_well["initial_value"] = current.went_well[:3000]
        if current.improve:
            improve["initial_value"] = current.improve[:3000]
        rating["initial_option"] = options[list(RATINGS).index(current.rating)]
    intro = f"How did the go-live of *{escape(launch.customer)}* go? Your answers go to the launch team."
    if current is not None:
        intro += " You answered before: sending again replaces your earlier answer."
    return {
        "type": "modal", "callback_id": MilestoneCallback.RETRO, "title": plain("Retrospective"),
        "submit": plain("Send"), "close": plain("Cancel"), "private_metadata": pack({"launch": launch.id}),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
            {"type": "input", "block_id": "went_well", "optional": True, "label": plain("What went well?"),
             "element": went_well},
            {"type": "input", "block_id": "improve", "optional": True, "label": plain("What should we improve?"),
             "element": improve},
            {"type": "input", "block_id": "rating", "label": plain("Overall, how did it go? (1–5)"),
             "element": rating},
        ],
    }


def summary_blocks(launch: Launch, rows: list[RetroAnswer]) -> list[dict[str, Any]]:
    """The CSMs' DM: inside Slack's limits however many or long the answers are."""
    t = tallies(rows)
    head = f":mag: *Retrospective summary — {escape(launch.customer)}*\n{t.count} answers"
    if t.average is not None:
        head += f", average rating *{t.average:.1f} / 5* (" + ", ".join(
            f"{v}★×{n}" for v, n in t.distribution.items() if n) + ")"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    budget = SLACK_BUDGET - len(head)
    left_out = 0
    for title, field in (("What went well", "went_well"), ("What should improve", "improve")):
        bullets = [f"• {user_text(' '.join(getattr(r, field).split()), SLACK_ANSWER_LIMIT)} — <@{r.user_id}>"
                   for r in rows if getattr(r, field).strip()]
        chunk = f"*{title}*"
        if not bullets:
            chunk += "\n_(nothing)_"
        for bullet in bullets:
            if budget - len(chunk) - len(bullet) < 0 or len(blocks) >= 45:
                left_out += 1
                continue
            if len(chunk) + len(bullet) + 1 > 2900:
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
                budget -= len(chunk)
                chunk = ""
            chunk += ("\n" if chunk else "") + bullet
        if chunk:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
            budget -= len(chunk)
    note = f"Full report: `golive retro report --launch {launch.id}`"
    if left_out:
        note = f"{left_out} more answers did not fit here. " + note
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return blocks
