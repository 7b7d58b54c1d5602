"""Home: types and constants shared by its service and views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.features.checkins.model import Tally

READINESS_ACTION = "home_open_readiness"


READINESS_MODAL = "home_readiness_modal"


MAX_VIEW_BLOCKS = 100


SECTION = 2900


@dataclass(frozen=True)
class Stage:
    """Where a launch stands, for its card: `phase` "countdown" (`number` days to go-live), "week" (day
    `number` of `total`), "over" (launch week has ended), "retro" or "done"; `live` once it went live."""

    phase: str
    number: int = 0
    total: int = 0
    live: bool = False


@dataclass(frozen=True)
class NextStep:
    kind: str  # a work kind (checkin, digest…)
    day: int | None  # launch-week day, for check-ins and their reminders
    due_at: datetime
    timezone: str


@dataclass(frozen=True)
class HomeCard:
    """One launch on a Home, as data: the views write it in the Home's language."""

    launch_id: int
    customer: str
    channel: str
    stage: Stage
    go_live: date
    status: str
    tally: Tally | None  # None: no check-in today
    issues: dict[str, int]
    next_step: NextStep | None
    channel_url: str
    criteria_met: int
    criteria_total: int


MAX_CHANNEL_CHECKS = 50
