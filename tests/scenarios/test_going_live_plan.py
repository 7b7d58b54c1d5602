"""Going live keeps the plan: declaring a launch live from the command line or from Slack, early or on the
day, leaves launch week (check-ins, digests, the retrospective, the 30-day review) planned."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import PlannedWork, WorkStatus
from tests.conftest import run_golive


def next_business_day(after: date, days: int) -> date:
    day = after + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def pending_kinds(db_url: str) -> dict[str, int]:
    db = Database(db_url)
    try:
        with db.session() as s:
            rows = s.exec(select(PlannedWork.kind).where(PlannedWork.status == WorkStatus.PENDING)).all()
    finally:
        db.dispose()
    counts: dict[str, int] = {}
    for kind in rows:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


@pytest.mark.parametrize("days_ahead", [1, 9])
def test_declaring_live_from_the_command_line_keeps_launch_week_planned(env, db_url, days_ahead):
    go_live = next_business_day(date.today(), days_ahead)
    added = run_golive(["launch", "add", "--customer", "Acme Corp", "--channel", "C0ACME", "--go-live",
                        go_live.isoformat(), "--tz", "Europe/Berlin", "--csm", "U0CSM"], env)
    assert added.code == 0, added.stderr
    launch_id = added.stdout.strip()
    before = pending_kinds(db_url)
    assert before.get("checkin") == 5 and before.get("retro_prompt") == 1
    live = run_golive(["launch", "live", launch_id, "--force", "--reason", "customer asked to start early"], env)
    assert live.code == 0, live.stderr
    after = pending_kinds(db_url)
    for kind in ("checkin", "digest", "retro_prompt", "retro_summary", "goal_review", "adoption_report"):
        assert after.get(kind) == before.get(kind), (kind, before, after)
    shown = run_golive(["launch", "show", launch_id], env)
    assert shown.code == 0 and "checkin" in shown.stdout.lower().replace("-", "")
