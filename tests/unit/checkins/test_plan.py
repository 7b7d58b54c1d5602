"""plan_checkins: one check-in per launch-week business day at the local check-in time, nudges after."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from bot.features.checkins.plan import CHECKIN, NUDGE, plan_checkins
from bot.features.checkins.service import checkin_days
from tests.unit.factories import BERLIN, dst_changes, launch, next_weekday

TZ = ZoneInfo(BERLIN)


def test_one_checkin_and_one_nudge_per_launch_week_day() -> None:
    subject = launch(checkin_days=5, checkin_time="10:00", nudge_after_hours=3.0, nudges_enabled=True)
    items = plan_checkins(None, subject)  # type: ignore[arg-type] - the planner reads no rows
    checkins = [i for i in items if i.kind == CHECKIN.name]
    nudges = [i for i in items if i.kind == NUDGE.name]
    assert len(checkins) == len(nudges) == 5
    assert [i.payload["day"] for i in checkins] == [1, 2, 3, 4, 5]
    assert [i.due_at.astimezone(TZ).date() for i in checkins] == checkin_days(subject)
    assert all(i.due_at.astimezone(TZ).time() == time(10, 0) for i in checkins)
    assert [n.due_at - c.due_at for c, n in zip(checkins, nudges, strict=True)] == [timedelta(hours=3)] * 5
    assert len({i.key for i in items}) == len(items)


def test_no_nudges_when_they_are_off() -> None:
    items = plan_checkins(None, launch(nudges_enabled=False))  # type: ignore[arg-type]
    assert {i.kind for i in items} == {CHECKIN.name}


def test_checkins_keep_the_local_time_across_a_dst_change() -> None:
    spring, _ = dst_changes()
    friday = spring - timedelta(days=2)
    items = plan_checkins(None, launch(go_live_date=friday, checkin_days=2))  # type: ignore[arg-type]
    days = [i.due_at for i in items if i.kind == CHECKIN.name]
    assert [d.astimezone(TZ).time() for d in days] == [time(10, 0), time(10, 0)]
    assert days[1] - days[0] == timedelta(days=3, hours=-1)


def test_go_live_on_saturday_plans_from_monday() -> None:
    saturday = next_weekday(launch().go_live_date, 5)
    items = plan_checkins(None, launch(go_live_date=saturday))  # type: ignore[arg-type]
    first = min(i.due_at for i in items)
    assert first.astimezone(TZ).date() == saturday + timedelta(days=2)
