"""App Home refreshes for people who opened it recently, after changes."""

from __future__ import annotations

from bot.features.home.service import due_refreshes, queue_refresh, queue_refreshes
from schedules.registry import Sweeper

HOME_REFRESH = Sweeper("home_refresh", due_refreshes, queue_refresh, chunk=queue_refreshes)

SWEEPERS = (HOME_REFRESH,)
