"""Adoption: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from typing import Any

from bot.core.text import clip, escape, user_text
from bot.features.adoption.model import OPT_OUT_ACTION, SECTION, AdoptionReport
from bot.features.adoption.service import _names
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
    themes = " · ".join(f"“{escape(word)}” {n}×" for word, n in report.themes)
    title = clip(f"Adoption — {report.customer}, week {report.week} after go-live", 150)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), SECTION)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(
            f"*Features by number of users:* {features or 'no feature data yet'}\n"
            f"*Where people get stuck* (friction notes and issues): {themes or 'nothing reported'}", SECTION)}},
    ]
    context = [report.nudges]
    if report.unmatched:
        context.append(f"{len(report.unmatched)} email(s) match no Slack user (kept, counted by email): "
                       + _names([user_text(e, 120) for e in report.unmatched]))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, SECTION)} for t in context]})
    text = (f"Adoption week {report.week} for {report.customer}: {len(report.active)} of {report.invited} active, "
            f"{len(report.never)} never logged in, {len(report.quiet)} went quiet")
    return text, blocks


def nudge_blocks(launch: Launch, user: str) -> tuple[str, list[dict[str, Any]]]:
    link = launch.training_link or ""
    shown = escape(link) if any(c in link for c in "<>| ") else f"<{link}|training>"
    text = (f"Hi <@{user}> :wave: It has been a few days since you last used the tools {escape(launch.customer)} "
            f"rolled out. If something got in the way, this short training helps: {shown}. "
            "Questions are welcome in the launch channel.")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION)}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": OPT_OUT_ACTION, "value": str(launch.id),
             "text": {"type": "plain_text", "text": "No more reminders"}}]},
    ]
    return text, blocks
