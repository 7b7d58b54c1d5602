"""plan_heads_up and plan_help_post: the day before go-live, and just before the first check-in."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from bot.features.heads_up.plan import HEADS_UP, plan_heads_up
from bot.features.help_post.plan import HELP_POST, plan_help_post
from tests.unit.factories import BERLIN, launch, next_weekday

TZ = ZoneInfo(BERLIN)


def test_heads_up_for_a_monday_go_live_goes_out_on_friday_at_checkin_time() -> None:
    monday = next_weekday(launch().go_live_date, 0)
    (item,) = plan_heads_up(None, launch(go_live_date=monday, checkin_time="09:45"))  # type: ignore[arg-type]
    assert item.kind == HEADS_UP.name
    local = item.due_at.astimezone(TZ)
    assert (local.date(), local.time()) == (monday - timedelta(days=3), time(9, 45))


def test_heads_up_key_changes_with_the_go_live_date_so_a_move_replans_it() -> None:
    monday = next_weekday(launch().go_live_date, 0)
    (first,) = plan_heads_up(None, launch(go_live_date=monday))  # type: ignore[arg-type]
    (moved,) = plan_heads_up(None, launch(go_live_date=monday + timedelta(days=7)))  # type: ignore[arg-type]
    assert first.key != moved.key


def test_help_post_goes_out_five_minutes_before_the_first_checkin() -> None:
    saturday = next_weekday(launch().go_live_date, 5)
    (item,) = plan_help_post(None, launch(go_live_date=saturday, checkin_time="10:00"))  # type: ignore[arg-type]
    assert item.kind == HELP_POST.name
    local = item.due_at.astimezone(TZ)
    assert (local.date(), local.time()) == (saturday + timedelta(days=2), time(9, 55))
