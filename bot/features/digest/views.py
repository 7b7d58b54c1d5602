"""Digest: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.i18n import DEFAULT_LOCALE, N_, Translator, translator
from bot.core.text import clip, escape, mention
from bot.features.digest.model import (
    BLOCK_BUDGET,
    HEALTH_ORDER,
    MAX_BLOCKS,
    SECTION,
    TEXT_BUDGET,
    TOTAL_BUDGET,
    LaunchDigest,
)
from bot.features.digest.service import compact_line, launch_section, points_section

# TRANSLATORS: how many launches of the digest are in each state.
HEALTH_COUNTS = {"stuck": N_("{count} stuck"), "at risk": N_("{count} at risk"), "on track": N_("{count} on track")}


def digest_preface(owner: str, reason: str, t: Translator | None = None) -> str:
    """Above a digest an admin gets in place of a CSM golive could not reach."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    return t.gettext(":warning: This is {owner}'s digest. golive could not send it to them (`{reason}`), so it comes "
                     "to you as an admin. Please find the launches a new CSM (`golive launch import` with `csm:`).",
                     owner=mention(owner), reason=escape(reason))


def digest_blocks(digests: list[LaunchDigest], day: date, chart_note: str, *, preface: str | None = None,
                  t: Translator | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) within Block Kit's limits however many launches there are: the most urgent
    launches in full, the rest one line each. The frame is in the reader's language (`t`: the CSM's own Slack
    locale, else GOLIVE_LOCALE)."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    ordered = sorted(digests, key=lambda d: (HEALTH_ORDER[d.health], d.go_live, d.launch_id))
    tally = {h: sum(1 for d in ordered if d.health == h) for h in HEALTH_ORDER}
    health = " · ".join(t.gettext(HEALTH_COUNTS[h], count=t.format_number(n)) if h in HEALTH_COUNTS else f"{n} {h}"
                        for h, n in tally.items() if n)
    summary = t.ngettext("{count} launch: {health}", "{count} launches: {health}", len(ordered), health=health)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t.pgettext(
            "header", "Standup digest — {day}", day=t.format_short_day(day))}},
    ]
    if preface:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(preface, SECTION)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(f"{summary}\n{chart_note}",
                                                                                    SECTION)}]})
    used = sum(len(b.get("text", {}).get("text", "")) for b in blocks) + len(summary) + len(chart_note)
    rest: list[LaunchDigest] = []
    for d in ordered:
        first, second = launch_section(d), points_section(d)
        if rest or len(blocks) + 3 > BLOCK_BUDGET or used + len(first) + len(second) > TEXT_BUDGET:
            rest.append(d)
            continue
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": first}},
                   {"type": "section", "text": {"type": "mrkdwn", "text": second}},
                   {"type": "divider"}]
        used += len(first) + len(second)
    if rest:
        room = min(SECTION, TOTAL_BUDGET - used) - 160
        lines = [t.ngettext("*{count} more launch*", "*{count} more launches*", len(rest))]
        size = len(lines[0])
        for shown, d in enumerate(rest):
            line = compact_line(d)
            if size + len(line) + 1 > room:
                more = "…and {count} more: `golive launch list`"
                lines.append(t.ngettext(more, more, len(rest) - shown))
                break
            lines.append(line)
            size += len(line) + 1
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), SECTION)}})
    text = t.gettext("Standup digest for {day}: {summary}", day=t.format_short_day(day, year=False), summary=summary)
    return text, blocks[:MAX_BLOCKS]
