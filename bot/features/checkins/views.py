"""Checkins: pure Block Kit builders: data in, blocks out (no session, no client). Every text the customer's
people read goes through `t`, the launch's Translator (English when not given)."""

from __future__ import annotations

from typing import Any

from bot.core import blocks as modals
from bot.core.i18n import DEFAULT_LOCALE, N_, NP_, Translator, translator
from bot.core.ids import ActionId, CallbackId
from bot.core.text import clip
from bot.features.checkins.model import Tally
from storage.models import (
    Answer,
    CheckIn,
)


def _english(t: Translator | None) -> Translator:
    return t if t is not None else translator(DEFAULT_LOCALE)


def note_modal(checkin: CheckIn, initial: str, t: Translator | None = None) -> dict:
    """The *Add a note* form: the person's answer for the day (their current one preselected) and a note."""
    t = _english(t)
    options = [modals.option(answer_label(a, t), a.value) for a in Answer]
    return {
        "type": "modal", "callback_id": CallbackId.CHECKIN_NOTE_MODAL,
        # TRANSLATORS: title of the note form; {day} is the day of launch week (1, 2, 3…).
        "title": modals.plain(t.pgettext("modal-title", "Day {day} check-in", day=checkin.day_number)),
        "submit": modals.plain(t.pgettext("modal-button", "Send")),
        "close": modals.plain(t.pgettext("modal-button", "Cancel")),
        "private_metadata": modals.pack({"checkin": checkin.id, "channel": checkin.channel}),
        "blocks": [
            {"type": "input", "block_id": "answer", "label": modals.plain(t.gettext("How is it going?")),
             "element": {"type": "radio_buttons", "action_id": "answer", "options": options,
                         "initial_option": options[[a.value for a in Answer].index(initial)]}},
            {"type": "input", "block_id": "note", "label": modals.plain(t.gettext("Tell us more")),
             "element": {"type": "plain_text_input", "action_id": "note", "multiline": True, "max_length": 3000,
                         "placeholder": modals.plain(t.gettext("What worked, what got in the way?"))}},
        ],
    }


# The answers as their buttons and the form's options name them (translate with `answer_label`).
ANSWER_LABELS = {Answer.GOOD: NP_("option", "All good"), Answer.FRICTION: NP_("option", "Some friction"),
                 Answer.BLOCKED: NP_("option", "Blocked")}
# The answers in a sentence: "It replaces your earlier answer, all good."
ANSWER_WORDS = {Answer.GOOD: N_("all good"), Answer.FRICTION: N_("some friction"), Answer.BLOCKED: N_("blocked")}


ANSWER_EMOJI = {Answer.GOOD: ":large_green_circle:", Answer.FRICTION: ":large_yellow_circle:",
                Answer.BLOCKED: ":red_circle:"}


def answer_label(answer: Answer | str, t: Translator | None = None) -> str:
    return _english(t).pgettext("option", ANSWER_LABELS[Answer(answer)])


def answer_word(answer: Answer | str, t: Translator | None = None) -> str:
    return _english(t).gettext(ANSWER_WORDS[Answer(answer)])


def question(day_number: int, total: int, t: Translator | None = None) -> str:
    t = _english(t)
    if day_number == 1:
        return t.gettext("*Go-live day — Day 1 of launch week.* How is it going so far?")
    return t.gettext("*Day {day} of launch week* ({day} of {total}). How is it going today?",
                     day=day_number, total=total)


def _count(tally: Tally, answer: Answer, t: Translator) -> str:
    count = t.format_number(getattr(tally, answer.value))
    if answer == Answer.GOOD:
        # TRANSLATORS: one part of the check-in's tally: "4 all good · 2 some friction · 1 blocked".
        return t.gettext("{count} all good", count=count)
    if answer == Answer.FRICTION:
        return t.gettext("{count} some friction", count=count)
    return t.gettext("{count} blocked", count=count)


def tally_summary(tally: Tally, t: Translator | None = None) -> str:
    """The counts alone, emoji included: ":large_green_circle: 4 all good · …"."""
    t = _english(t)
    return " · ".join(f"{ANSWER_EMOJI[a]} {_count(tally, a, t)}" for a in Answer)


def tally_text(tally: Tally, t: Translator | None = None) -> str:
    t = _english(t)
    lines = [t.gettext("Answers so far: {summary}", summary=tally_summary(tally, t))]
    if tally.names:
        for answer in Answer:
            people = tally.names.get(answer.value) or []
            if people:
                # TRANSLATORS: who gave an answer: "All good: @Ana, @Ben".
                lines.append(t.gettext("{answer}: {people}", answer=answer_label(answer, t),
                                       people=", ".join(f"<@{u}>" for u in people[:30])))
    return clip("\n".join(lines), 2900)


def _button(action_id: str, value: str, text: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value,
                              "text": {"type": "plain_text", "text": text, "emoji": True}}
    if style:
        button["style"] = style
    return button


def report_button_text(t: Translator | None = None) -> str:
    return _english(t).pgettext("button", ":rotating_light: Report a problem")


def checkin_blocks(checkin: CheckIn, total_days: int, tally: Tally, *, late: bool, closed: bool = False,
                   t: Translator | None = None) -> list[dict]:
    t = _english(t)
    value = str(checkin.id)
    text = t.gettext("{question}\nOne click tells your launch team; add a note if you like.",
                     question=question(checkin.day_number, total_days, t))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "checkin_question", "text": {"type": "mrkdwn", "text": text}},
    ]
    if not closed:
        blocks.append({"type": "actions", "block_id": "checkin_answers", "elements": [
            _button(ActionId.CHECKIN_GOOD, value, t.pgettext("button", ":large_green_circle: All good"), "primary"),
            _button(ActionId.CHECKIN_FRICTION, value, t.pgettext("button", ":large_yellow_circle: Some friction")),
            _button(ActionId.CHECKIN_BLOCKED, value, t.pgettext("button", ":red_circle: Blocked"), "danger"),
            _button(ActionId.CHECKIN_NOTE, value, t.pgettext("button", "Add a note")),
            _button(ActionId.ISSUE_REPORT_OPEN, value, report_button_text(t)),
        ]})
    context = [{"type": "mrkdwn", "text": tally_text(tally, t)}]
    if late:
        context.append({"type": "mrkdwn",
                        "text": t.gettext("_Posted late: golive's scheduler was not running on time._")})
    blocks.append({"type": "context", "block_id": "checkin_tally", "elements": context})
    return blocks


def checkin_fallback(day_number: int, t: Translator | None = None) -> str:
    """The notification text of a new check-in."""
    return _english(t).gettext("Day {day} of launch week: how is it going?", day=day_number)


def tally_fallback(day_number: int, total: int, t: Translator | None = None) -> str:
    """The notification text of a check-in whose tally changed."""
    t = _english(t)
    return t.ngettext("Day {day} of launch week: {count} answer", "Day {day} of launch week: {count} answers",
                      total, day=day_number)


def nudge_message(checkin: CheckIn, targets: list[str], t: Translator | None = None) -> tuple[str, list[dict]]:
    t = _english(t)
    mentions = " ".join(f"<@{u}>" for u in targets[:40])
    if len(targets) > 40:
        # TRANSLATORS: {mentions} are @-mentions of the first 40 people; {count} how many more there are.
        who = t.ngettext("{mentions} and {count} more", "{mentions} and {count} more", len(targets) - 40,
                         mentions=mentions)
    else:
        who = mentions
    text = t.gettext("Friendly reminder {people}: how is day {day} going? "
                     "One click on the check-in above is all it takes.", people=who, day=checkin.day_number)
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 2900)}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": ActionId.NUDGE_MUTE, "value": str(checkin.launch_id),
             "text": {"type": "plain_text", "text": t.pgettext("button", "Don't remind me this week")}}]},
    ]
    return text, blocks


def confirmation_text(answer: str, day_number: int, changed_from: str | None, issue_number: int | None,
                      t: Translator | None = None) -> str:
    """The ephemeral answer to a click or a note."""
    t = _english(t)
    lines = [t.gettext("Thanks — recorded *{answer}* for day {day} of launch week.",
                       answer=answer_label(answer, t), day=day_number)]
    if changed_from and changed_from != answer:
        lines[0] = t.gettext("Thanks — recorded *{answer}* for day {day} of launch week. "
                             "(It replaces your earlier answer, {previous}.)",
                             answer=answer_label(answer, t), day=day_number, previous=answer_word(changed_from, t))
    if issue_number is not None:
        lines.append(t.gettext("Support has it: this is issue *#{number}*, and we will follow up in the "
                               "check-in's thread.", number=issue_number))
    return "\n".join(lines)


def mute_confirmation(t: Translator | None = None) -> str:
    return _english(t).gettext("Done — no more reminders for you during this launch week. "
                               "You can still answer any check-in.")
