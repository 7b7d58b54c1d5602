"""App Home refreshes for people who opened it recently, after changes."""

from __future__ import annotations

from bot.features.home.service import due_refreshes, queue_refresh
from schedules.registry import Sweeper

HOME_REFRESH = Sweeper("home_refresh", due_refreshes, queue_refresh)

SWEEPERS = (HOME_REFRESH,)
