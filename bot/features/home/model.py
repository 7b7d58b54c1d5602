"""Home: types and constants shared by its service and views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

READINESS_ACTION = "home_open_readiness"


READINESS_MODAL = "home_readiness_modal"


MAX_VIEW_BLOCKS = 100


SECTION = 2900


@dataclass(frozen=True)
class HomeCard:
    launch_id: int
    customer: str
    channel: str
    stage: str
    go_live: date
    status: str
    today: str
    issues: dict[str, int]
    next_step: str
    channel_url: str
    readiness: str


MAX_CHANNEL_CHECKS = 50
