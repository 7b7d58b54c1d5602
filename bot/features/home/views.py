"""Home: pure Block Kit builders: data in, blocks out (no session, no client).

A Home is written in one language (`t`): a customer's in their launch's, the vendor's staff in their own
Slack locale or GOLIVE_LOCALE (bot/features/home/service.py `home_locale` decides)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.i18n import DEFAULT_LOCALE, N_, NP_, Translator, translator
from bot.core.text import clip, escape, mention, user_text
from bot.features.checkins.views import tally_summary
from bot.features.home.model import (
    MAX_VIEW_BLOCKS,
    READINESS_ACTION,
    READINESS_MODAL,
    SECTION,
    HomeCard,
    NextStep,
    Stage,
)
from bot.features.issues.model import SEVERITY_EMOJI
from storage.models import (
    Launch,
    ReadinessItem,
)

# Why a Home shows the launches it shows (bot/features/home/service.py `visible_launches`).
WHY = {"admin": N_("every open launch (you are an admin)"), "csm": N_("your launches as CSM"),
       "member": N_("launches of channels you are in")}
STATUS = {"planned": NP_("status", "planned"), "live": NP_("status", "live"), "retro": NP_("status", "retrospective"),
          "done": NP_("status", "done")}
# TRANSLATORS: open issues by severity on a Home card; sev1…sev3 are golive's severity names.
SEVERITY_COUNTS = {"sev1": N_("sev1 {count}"), "sev2": N_("sev2 {count}"), "sev3": N_("sev3 {count}")}
# What a launch's next scheduled step is, on its Home card.
NEXT_KINDS = {
    "heads_up": N_("heads-up to the CSMs"), "checkin": N_("check-in"), "checkin_nudge": N_("reminder to answer"),
    "help_post": N_("pinned how-to-get-help message"), "readiness_reminder": N_("go-live checklist reminder"),
    "goal_review": N_("30-day goal review to the CSMs"), "retro_prompt": N_("retrospective prompt"),
    "retro_reminder": N_("retrospective reminder"), "retro_summary": N_("retrospective summary to the CSMs"),
    "digest": N_("standup digest to the CSMs"), "adoption_report": N_("weekly adoption report to the CSMs"),
}


def _english(t: Translator | None) -> Translator:
    return t if t is not None else translator(DEFAULT_LOCALE)


def stage_label(stage: Stage, t: Translator | None = None) -> str:
    t = _english(t)
    if stage.phase == "retro":
        return t.pgettext("status", "retrospective")
    if stage.phase == "done":
        return t.pgettext("status", "done")
    if stage.phase == "countdown":
        text = t.ngettext("go-live in {count} day", "go-live in {count} days", stage.number)
    elif stage.phase == "over":
        text = t.gettext("launch week is over")
    else:
        text = t.gettext("launch week, day {day} of {total}", day=t.format_number(stage.number),
                         total=t.format_number(stage.total))
    # TRANSLATORS: a live launch's stage on its Home card: "live · launch week, day 2 of 5".
    return t.gettext("live · {stage}", stage=text) if stage.live else text


def next_step_label(step: NextStep | None, t: Translator | None = None) -> str:
    t = _english(t)
    if step is None:
        return t.gettext("nothing scheduled")
    what = NEXT_KINDS.get(step.kind)
    label = t.gettext(what) if what else t.gettext("scheduled work")
    if step.day:
        # TRANSLATORS: a scheduled step of launch week: "check-in (day 2)".
        label = t.gettext("{step} (day {day})", step=label, day=t.format_number(step.day))
    # TRANSLATORS: the next step on a Home card: "check-in (day 2) on Tue 9 Mar 10:00".
    return t.gettext("{step} on {when}", step=label, when=t.format_short_datetime(step.due_at, step.timezone))


def criteria_label(met: int, total: int, t: Translator | None = None) -> str:
    t = _english(t)
    if not total:
        return t.gettext("no go-live criteria")
    return t.ngettext("{met} of {count} go-live criterion met", "{met} of {count} go-live criteria met", total,
                      met=t.format_number(met))


def card_blocks(card: HomeCard, t: Translator | None = None) -> list[dict[str, Any]]:
    t = _english(t)
    issues = " · ".join(f"{SEVERITY_EMOJI[s]} " + t.gettext(SEVERITY_COUNTS.get(s, "sev1 {count}"),
                                                             count=t.format_number(n))
                        for s, n in card.issues.items())
    today = tally_summary(card.tally, t) if card.tally is not None else t.gettext("no check-in today")
    status = STATUS.get(card.status)
    channel = f"<#{card.channel}>"
    # TRANSLATORS: the first lines of a launch's card on the Home tab; {channel} is the channel's link.
    head = t.gettext("*{customer}* · {channel}\n*Stage:* {stage} · *go-live* {day} · status {status} · {criteria}",
                     customer=escape(card.customer), channel=channel, stage=stage_label(card.stage, t),
                     day=t.format_short_day(card.go_live), status=t.pgettext("status", status) if status
                     else escape(card.status), criteria=criteria_label(card.criteria_met, card.criteria_total, t))
    return [
        {"type": "section", "block_id": f"home_launch_{card.launch_id}",
         "text": {"type": "mrkdwn", "text": clip(head, SECTION)}},
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": clip(t.gettext("*Today:* {tally}", tally=today), SECTION)},
            {"type": "mrkdwn", "text": t.gettext("*Open issues:* {issues}", issues=issues)},
            {"type": "mrkdwn", "text": clip(t.gettext("*Next:* {step}", step=next_step_label(card.next_step, t)),
                                            SECTION)},
        ]},
        {"type": "actions", "block_id": f"home_actions_{card.launch_id}", "elements": [
            {"type": "button", "action_id": "home_open_channel", "url": card.channel_url,
             "text": {"type": "plain_text", "text": t.pgettext("button", "Open channel")}},
            {"type": "button", "action_id": READINESS_ACTION, "value": str(card.launch_id),
             "text": {"type": "plain_text", "text": t.pgettext("button", "Readiness checklist")}},
        ]},
        {"type": "divider"},
    ]


def home_view(cards: list[HomeCard], why: str, now: datetime, t: Translator | None = None) -> dict[str, Any]:
    """The Home tab; `why` is a key of WHY (who sees which launches)."""
    t = _english(t)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t.pgettext("header", "Your launches")}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": t.ngettext(
            "Showing {why}: {count} launch. Updated {when} UTC.",
            "Showing {why}: {count} launches. Updated {when} UTC.",
            len(cards), why=t.gettext(WHY.get(why, WHY["member"])), when=t.format_short_datetime(now, "UTC"))}]},
    ]
    if not cards:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": t.gettext(
            "No launches to show. CSMs see their launches here; everyone else sees the launches of the channels "
            "they are in.")}})
    room = (MAX_VIEW_BLOCKS - len(blocks) - 1) // 4
    for card in cards[:room]:
        blocks += card_blocks(card, t)
    rest = cards[room:]
    if rest:
        lines: list[str] = []
        size = 0
        for c in rest:  # as many as fit: the section is clipped only if a translation is very long
            line = f"• {user_text(clip(c.customer, 60), 90)} (<#{c.channel}>) — {stage_label(c.stage, t)}"
            size += len(line) + 1
            if size > SECTION - 300:
                lines.append("• …")
                break
            lines.append(line)
        text = t.ngettext("*{count} more:*\n{launches}", "*{count} more:*\n{launches}", len(rest),
                          launches="\n".join(lines))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION)}})
    return {"type": "home", "blocks": blocks}


def _criterion_line(item: ReadinessItem, t: Translator) -> str:
    mark = ":white_check_mark:" if item.done else ":white_large_square:"
    text = user_text(clip(item.text, 300), 400)
    owner = mention(item.owner) if item.owner else ""
    person = mention(item.changed_by) if item.done and item.changed_by else ""
    if owner and person:
        # TRANSLATORS: one go-live criterion in the read-only checklist; {mark} is its tick box.
        return t.gettext("{mark} {criterion} — owner {owner} (ticked by {person})", mark=mark, criterion=text,
                         owner=owner, person=person)
    if owner:
        return t.gettext("{mark} {criterion} — owner {owner}", mark=mark, criterion=text, owner=owner)
    if person:
        return t.gettext("{mark} {criterion} (ticked by {person})", mark=mark, criterion=text, person=person)
    return t.gettext("{mark} {criterion}", mark=mark, criterion=text)


def readiness_view(launch: Launch, items: list[ReadinessItem], t: Translator | None = None) -> dict[str, Any]:
    """The read-only go-live checklist, in the Home's language."""
    t = _english(t)
    done = sum(1 for i in items if i.done)
    if items:
        head = t.ngettext("*{customer}* — go-live {day}\n{met} of {count} go-live criterion met.",
                          "*{customer}* — go-live {day}\n{met} of {count} go-live criteria met.", len(items),
                          customer=escape(launch.customer), day=t.format_short_day(launch.go_live_date),
                          met=t.format_number(done))
    else:
        head = t.gettext("*{customer}* has no go-live criteria yet.", customer=escape(launch.customer))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": clip(head, SECTION)}}]
    chunk: list[str] = []
    for item in items:
        line = _criterion_line(item, t)
        if sum(len(c) + 1 for c in chunk) + len(line) > SECTION:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    blocks = blocks[:MAX_VIEW_BLOCKS - 1]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": t.gettext(
        "Read-only. CSMs change the checklist with `/golive ready` in the launch channel.")}]})
    return {"type": "modal", "callback_id": READINESS_MODAL,
            "title": {"type": "plain_text", "text": t.pgettext("modal-title", "Readiness")},
            "close": {"type": "plain_text", "text": t.pgettext("modal-button", "Close")}, "blocks": blocks}
