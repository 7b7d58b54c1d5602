"""Adoption: types and constants shared by its service and views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.core.text import user_text
from bot.features.themes.summary import ThemeLine

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
    themes: list[ThemeLine]
    unmatched: list[str]
    members_known: bool
    nudges: str
    stuck_texts: int = 0  # friction notes and issues the themes were read from
    channel: ChannelSignals | None = None  # None when the channel's members are unknown
    away: list[tuple[str, str]] = field(default_factory=list)  # (user id, their status) not nudged


class ProductState(StrEnum):
    """What the usage data says of a person, shown next to their channel activity."""

    ACTIVE = "uses the product"
    QUIET = "quiet in the product"
    NEVER = "never logged in"


@dataclass
class ChannelSignals:
    """Slack-native adoption: the customer's people in the launch channel, by what they did there since
    go-live (messages, thread replies, reactions, check-in answers, issues reported)."""

    active: list[tuple[str, datetime, ProductState]]  # (user id, last activity, product state), latest first
    silent: list[tuple[str, ProductState]]  # nothing since go-live


@dataclass
class Person:
    key: str  # Slack user id, or the email when it matches no Slack user
    user_id: str | None
    email: str | None
    last_active: datetime | None = None
    features: set[str] = field(default_factory=set)

    def label(self) -> str:
        return f"<@{self.user_id}>" if self.user_id else user_text(self.email or "?", 120)
