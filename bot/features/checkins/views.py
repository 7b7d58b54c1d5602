"""Checkins: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from typing import Any

from bot.core import blocks as modals
from bot.core.ids import ActionId, CallbackId
from bot.core.text import clip
from bot.features.checkins.model import Tally
from storage.models import (
    Answer,
    CheckIn,
)


def note_modal(checkin: CheckIn, initial: str) -> dict:
    """The *Add a note* form: the person's answer for the day (their current one preselected) and a note."""
    options = [modals.option(ANSWER_LABELS[a], a.value) for a in Answer]
    return {
        "type": "modal", "callback_id": CallbackId.CHECKIN_NOTE_MODAL,
        "title": modals.plain(f"Day {checkin.day_number} check-in"), "submit": modals.plain("Send"),
        "close": modals.plain("Cancel"),
        "private_metadata": modals.pack({"checkin": checkin.id, "channel": checkin.channel}),
        "blocks": [
            {"type": "input", "block_id": "answer", "label": modals.plain("How is it going?"),
             "element": {"type": "radio_buttons", "action_id": "answer", "options": options,
                         "initial_option": options[[a.value for a in Answer].index(initial)]}},
            {"type": "input", "block_id": "note", "label": modals.plain("Tell us more"),
             "element": {"type": "plain_text_input", "action_id": "note", "multiline": True, "max_length": 3000,
                         "placeholder": modals.plain("What worked, what got in the way?")}},
        ],
    }


ANSWER_LABELS = {Answer.GOOD: "All good", Answer.FRICTION: "Some friction", Answer.BLOCKED: "Blocked"}


ANSWER_EMOJI = {Answer.GOOD: ":large_green_circle:", Answer.FRICTION: ":large_yellow_circle:",
                Answer.BLOCKED: ":red_circle:"}


def question(day_number: int, total: int) -> str:
    if day_number == 1:
        return "*Go-live day — Day 1 of launch week.* How is it going so far?"
    return f"*Day {day_number} of launch week* ({day_number} of {total}). How is it going today?"


def tally_text(tally: Tally) -> str:
    parts = [f"{ANSWER_EMOJI[a]} {getattr(tally, a.value)} {ANSWER_LABELS[a].lower()}" for a in Answer]
    text = "Answers so far: " + " · ".join(parts)
    if tally.names:
        for answer in Answer:
            people = tally.names.get(answer.value) or []
            if people:
                text += f"\n{ANSWER_LABELS[answer]}: " + ", ".join(f"<@{u}>" for u in people[:30])
    return clip(text, 2900)


def checkin_blocks(checkin: CheckIn, total_days: int, tally: Tally, *, late: bool, closed: bool = False) -> list[dict]:
    value = str(checkin.id)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "checkin_question", "text": {"type": "mrkdwn", "text": question(
            checkin.day_number, total_days) + "\nOne click tells your launch team; add a note if you like."}},
    ]
    if not closed:
        blocks.append({"type": "actions", "block_id": "checkin_answers", "elements": [
            {"type": "button", "action_id": ActionId.CHECKIN_GOOD, "value": value, "style": "primary",
             "text": {"type": "plain_text", "text": ":large_green_circle: All good", "emoji": True}},
            {"type": "button", "action_id": ActionId.CHECKIN_FRICTION, "value": value,
             "text": {"type": "plain_text", "text": ":large_yellow_circle: Some friction", "emoji": True}},
            {"type": "button", "action_id": ActionId.CHECKIN_BLOCKED, "value": value, "style": "danger",
             "text": {"type": "plain_text", "text": ":red_circle: Blocked", "emoji": True}},
            {"type": "button", "action_id": ActionId.CHECKIN_NOTE, "value": value,
             "text": {"type": "plain_text", "text": "Add a note", "emoji": True}},
            {"type": "button", "action_id": ActionId.ISSUE_REPORT_OPEN, "value": value,
             "text": {"type": "plain_text", "text": ":rotating_light: Report a problem", "emoji": True}},
        ]})
    context = [{"type": "mrkdwn", "text": tally_text(tally)}]
    if late:
        context.append({"type": "mrkdwn", "text": "_Posted late: golive's scheduler was not running on time._"})
    blocks.append({"type": "context", "block_id": "checkin_tally", "elements": context})
    return blocks


def nudge_message(checkin: CheckIn, targets: list[str]) -> tuple[str, list[dict]]:
    mentions = " ".join(f"<@{u}>" for u in targets[:40])
    more = f" and {len(targets) - 40} more" if len(targets) > 40 else ""
    text = (f"Friendly reminder {mentions}{more}: how is day {checkin.day_number} going? "
            "One click on the check-in above is all it takes.")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 2900)}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": ActionId.NUDGE_MUTE, "value": str(checkin.launch_id),
             "text": {"type": "plain_text", "text": "Don't remind me this week"}}]},
    ]
    return text, blocks
