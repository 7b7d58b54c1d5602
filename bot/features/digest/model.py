"""Digest: types and constants shared by its service and views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.features.issues.model import SEVERITIES
from bot.features.themes.summary import ThemeLine

HEALTH_ORDER = {"stuck": 0, "at risk": 1, "on track": 2}


MAX_BLOCKS = 50


BLOCK_BUDGET = 46  # leave room for the header, the summary line and a compact tail


TEXT_BUDGET = 9_000  # detailed launches; with the one-line tail the total stays under TOTAL_BUDGET


TOTAL_BUDGET = 12_000  # well under the ~13k of block text where Slack has been seen refusing messages


SECTION = 2900


@dataclass
class LaunchDigest:
    launch_id: int
    customer: str
    channel: str
    stage: str
    go_live: date
    status: str
    live_text: str
    last_day: date | None = None
    last_day_number: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"good": 0, "friction": 0, "blocked": 0})
    blocked_people: list[str] = field(default_factory=list)
    missing: list[str] | None = None
    issues: list[IssueLine] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    missed_work: list[str] = field(default_factory=list)
    readiness_open: int = 0
    readiness_total: int = 0
    health: str = "on track"
    reasons: list[str] = field(default_factory=list)
    talking_points: list[str] = field(default_factory=list)
    blocked_theme: str | None = None
    friction_theme: tuple[str, int] | None = None
    themes: list[ThemeLine] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(self.counts.values())

    def open_by_severity(self) -> dict[str, int]:
        return {s: sum(1 for i in self.issues if i.severity == s) for s in SEVERITIES}


@dataclass
class IssueLine:
    number: int
    severity: str
    status: str
    age: str
    sla: str
    breached: bool
    text: str
    people: int = 1  # reporters of this problem: the issue and the ones linked to it as the same problem
