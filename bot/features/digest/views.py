"""Digest: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.text import clip
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


def digest_blocks(digests: list[LaunchDigest], day: date, chart_note: str, *, preface: str | None = None
                  ) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) within Block Kit's limits however many launches there are: the most urgent
    launches in full, the rest one line each."""
    ordered = sorted(digests, key=lambda d: (HEALTH_ORDER[d.health], d.go_live, d.launch_id))
    tally = {h: sum(1 for d in ordered if d.health == h) for h in HEALTH_ORDER}
    summary = f"{len(ordered)} launch(es): " + " · ".join(f"{n} {h}" for h, n in tally.items() if n)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Standup digest — {day:%a %-d %b %Y}"}},
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
        room = min(SECTION, TOTAL_BUDGET - used) - 80
        lines = [f"*{len(rest)} more launch(es)*"]
        size = len(lines[0])
        for shown, d in enumerate(rest):
            line = compact_line(d)
            if size + len(line) + 1 > room:
                lines.append(f"…and {len(rest) - shown} more: `golive launch list`")
                break
            lines.append(line)
            size += len(line) + 1
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), SECTION)}})
    text = f"Standup digest for {day:%a %-d %b}: {summary}"
    return text, blocks[:MAX_BLOCKS]
