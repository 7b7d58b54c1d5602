"""Adoption: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from typing import Any

from bot.core.i18n import DEFAULT_LOCALE, Translator, translator
from bot.core.text import clip, escape, user_text
from bot.features.adoption.model import OPT_OUT_ACTION, SECTION, AdoptionReport, ChannelSignals
from bot.features.adoption.service import _names
from bot.features.themes.summary import ThemeLine
from storage.models import Launch


def report_blocks(report: AdoptionReport) -> tuple[str, list[dict[str, Any]]]:
    share = f" ({round(100 * len(report.active) / report.invited)} %)" if report.invited else ""
    lines = [
        f"*Active:* {len(report.active)} of {report.invited} invited{share} used the product in the last "
        f"{report.quiet_days} days.",
    ]
    if not report.members_known:
        lines.append("_Could not read the launch channel's members: invited counts only people in the usage data._")
    lines.append(f"*Never logged in ({len(report.never)}):* " + (_names([p.label() for p in report.never]) or "nobody"))
    lines.append(f"*Went quiet — no activity for {report.quiet_days}+ days ({len(report.quiet)}):* "
                 + (_names([f"{p.label()} ({days} days)" for p, days in report.quiet]) or "nobody"))
    features = " · ".join(f"{user_text(clip(name, 60), 90)} {n}" for name, n in report.features[:15])
    title = clip(f"Adoption — {report.customer}, week {report.week} after go-live", 150)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), SECTION)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(channel_text(report.channel), SECTION)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(
            f"*Features by number of users:* {features or 'no feature data yet'}", SECTION)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(
            themes_text(report.themes, report.stuck_texts), SECTION)}},
    ]
    context = [report.nudges]
    if report.away:
        context.append(f"Away, so not nudged ({len(report.away)}): " + _names(
            [f"<@{uid}> ({user_text(clip(status, 80), 120)})" for uid, status in report.away]))
    if report.unmatched:
        context.append(f"{len(report.unmatched)} email(s) match no Slack user (kept, counted by email): "
                       + _names([user_text(e, 120) for e in report.unmatched]))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, SECTION)} for t in context]})
    text = (f"Adoption week {report.week} for {report.customer}: {len(report.active)} of {report.invited} active, "
            f"{len(report.never)} never logged in, {len(report.quiet)} went quiet")
    return text, blocks


def channel_text(channel: ChannelSignals | None) -> str:
    """Who of the customer's people took part in the launch channel since go-live (messages, replies,
    reactions, check-in answers, issues), each with what the usage data says of them."""
    if channel is None:
        return "*In the launch channel:* unknown — golive could not read the channel's members."
    total = len(channel.active) + len(channel.silent)
    active = _names([f"<@{uid}> ({state})" for uid, _, state in channel.active])
    silent = _names([f"<@{uid}> ({state})" for uid, state in channel.silent])
    return (f"*In the launch channel since go-live:* {len(channel.active)} of {total} of the customer's people "
            "took part (messages, replies, reactions, check-in answers, issues).\n"
            f"*Active in the channel ({len(channel.active)}):* {active or 'nobody'}\n"
            f"*Silent since go-live ({len(channel.silent)}):* {silent or 'nobody'}")


def themes_text(themes: list[ThemeLine], texts: int) -> str:
    """Where people get stuck, grouped by meaning: each theme's name, count, new this week or ongoing, and a
    quote."""
    if not texts:
        return "*Where people get stuck* (friction notes and issues): nothing reported"
    head = f"*Where people get stuck* (themes in {texts} friction note(s) and issue(s)):"
    if not themes:
        return f"{head} no two say the same thing yet"
    lines = [head]
    for theme in themes:
        when = "new this week" if theme.is_new else "ongoing"
        quote = " ".join(theme.quotes[0].split()) if theme.quotes else ""
        line = f"• *{user_text(theme.name, 90)}* — {theme.count}×, {when}"
        if quote:
            line += f": “{user_text(quote, 240)}”"
        lines.append(line)
    return "\n".join(lines)


def _english(t: Translator | None) -> Translator:
    return t if t is not None else translator(DEFAULT_LOCALE)


def getting_started_blocks(launch: Launch, user: str, t: Translator | None = None) -> tuple[str, list[dict[str, Any]]]:
    """For someone the usage data has never seen: how to get started, not "since you last used"."""
    t = _english(t)
    # TRANSLATORS: a DM to a customer's user; {link} is a Slack link to the training, keep it as it is.
    text = t.gettext("Hi <@{user}> :wave: {customer} has rolled out new tools, and it looks like you have not logged "
                     "in yet. Getting started takes a few minutes: this short training walks you through the first "
                     "steps: {link}. Questions are welcome in the launch channel.",
                     user=user, customer=escape(launch.customer), link=_training_link(launch, t))
    return text, _nudge_message(launch, text, t)


def _training_link(launch: Launch, t: Translator) -> str:
    link = launch.training_link or ""
    if any(c in link for c in "<>| "):
        return escape(link)
    # TRANSLATORS: the text of the link to the training.
    label = t.gettext("training")
    return f"<{link}|{label}>"


def _nudge_message(launch: Launch, text: str, t: Translator) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION)}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": OPT_OUT_ACTION, "value": str(launch.id),
             "text": {"type": "plain_text", "text": t.pgettext("button", "No more reminders")}}]},
    ]


def nudge_blocks(launch: Launch, user: str, t: Translator | None = None) -> tuple[str, list[dict[str, Any]]]:
    t = _english(t)
    text = t.gettext("Hi <@{user}> :wave: It has been a few days since you last used the tools {customer} rolled "
                     "out. If something got in the way, this short training helps: {link}. Questions are welcome "
                     "in the launch channel.", user=user, customer=escape(launch.customer),
                     link=_training_link(launch, t))
    return text, _nudge_message(launch, text, t)


def opt_out_confirmation(customer: str, t: Translator | None = None) -> str:
    return _english(t).gettext("Done — no more reminders about {customer}'s rollout. You can still ask anything in "
                               "the launch channel.", customer=escape(customer))
