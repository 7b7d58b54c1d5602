"""Adoption: types and constants shared by its service and views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.text import user_text

OPT_OUT_ACTION = "adoption_opt_out"


SECTION = 2900


@dataclass
class AdoptionReport:
    customer: str
    week: int
    quiet_days: int
    invited: int
    active: list[Person]
    never: list[Person]
    quiet: list[tuple[Person, int]]
    features: list[tuple[str, int]]
    themes: list[tuple[str, int]]
    unmatched: list[str]
    members_known: bool
    nudges: str


@dataclass
class Person:
    key: str  # Slack user id, or the email when it matches no Slack user
    user_id: str | None
    email: str | None
    last_active: datetime | None = None
    features: set[str] = field(default_factory=set)

    def label(self) -> str:
        return f"<@{self.user_id}>" if self.user_id else user_text(self.email or "?", 120)
