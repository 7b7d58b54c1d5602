"""Going live keeps the plan: declaring a launch live early, on the day or late — from the command line
(`golive launch live`) or from Slack (a signed `/golive live`) — leaves launch week on its planned days
(check-ins, digests, adoption reports), posts nothing twice, and runs the retrospective and the 30-day review
from the later of the planned and the actual go-live day; `golive launch show` says so in its plan line."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.core.clock import business_days_from, previous_business_day
from bot.features.launches.service import LaunchInput
from bot.features.milestones.service import set_done
from bot.flows.launches import save_launch
from storage.db import Database
from storage.models import Launch, PlannedWork, WorkStatus
from tests.conftest import run_golive
from tests.scenarios.dates import monday_ahead, slack_day

BERLIN = ZoneInfo("Europe/Berlin")
WEEK_KINDS = ("checkin", "digest", "adoption_report")
AFTER_KINDS = ("retro_prompt", "retro_reminder", "retro_summary", "goal_review")


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


# -- early, on time, late; from the command line and from Slack ---------------------------------------------


def add_launch(world, go_live: date) -> None:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": go_live.isoformat(), "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "leadership_channel": "C0LEAD",
           "goal": ["40 of 50 users active in week 2"], "nudges": False}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw), now=world.clock())
        set_done(s, launch=launch, keys=[], all_items=True, done=True, actor="U0CSM", now=world.clock())


def at_berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


def rows(world) -> list[PlannedWork]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return list(s.exec(select(PlannedWork).order_by(PlannedWork.due_at, PlannedWork.key)).all())


def run_plan(world, until: datetime) -> None:  # noqa: ANN001
    """Tick at every instant something is planned for, up to `until`: the worker never late."""
    done: set[datetime] = set()
    while True:
        due = sorted({r.due_at for r in rows(world) if r.status == WorkStatus.PENDING and r.due_at <= until} - done)
        if not due:
            return
        world.tick(due[0])
        done.add(due[0])


def checkin_posts(world) -> list[str]:  # noqa: ANN001
    return [m["text"] for m in world.sim.messages("C0ACME") if "of launch week" in m["text"]]


def declare(world, how: str) -> None:  # noqa: ANN001
    if how == "cli":
        result = run_golive(["launch", "live", "1"], world.env)
        assert result.code == 0 and "Acme Corp is live." in result.stdout, result.stderr
    else:
        answer = world.slack.slash_command("live", user_id="U0CSM", channel_id="C0ACME").json()["text"]
        assert "Acme Corp* is live!" in answer, answer


def go_live_day(when: str, how: str) -> tuple[date, date]:
    """(planned go-live day, the day it is declared). The command line stamps the wall clock, so its
    declaration is today; Slack's follows the world's clock."""
    if how == "cli":
        today = datetime.now(UTC).astimezone(BERLIN).date()
        if when == "early":
            return monday_ahead(2), today
        if when == "on time":
            return today, today
        return previous_business_day(previous_business_day(today)), today
    planned = monday_ahead(3)
    return planned, {"early": planned - timedelta(days=4), "on time": planned,
                     "late": planned + timedelta(days=2)}[when]


@pytest.mark.parametrize("how", ["cli", "slack"])
@pytest.mark.parametrize("when", ["early", "on time", "late"])
def test_going_live_early_on_time_or_late_keeps_launch_week_and_runs_the_rest_from_the_right_day(world, how, when):
    planned, declared = go_live_day(when, how)
    world.clock.set(at_berlin(planned - timedelta(days=5), 12))
    add_launch(world, planned)
    week = business_days_from(planned, 5)
    before = {r.key: r.due_at for r in rows(world) if r.kind in WEEK_KINDS}
    assert len([k for k in before if ":checkin:" in k]) == 5
    # Work due before the declaration happens (a late launch has its first check-ins already).
    declared_at = at_berlin(declared, 9)  # before that day's check-in
    run_plan(world, declared_at - timedelta(minutes=1))
    posted_before = len(checkin_posts(world))
    assert posted_before == (2 if when == "late" else 0)
    world.clock.set(declared_at)
    declare(world, how)
    after = {r.key: r.due_at for r in rows(world) if r.kind in WEEK_KINDS}
    assert after == before  # launch week is kept: same work, same times
    with world.runtime.db.session() as s:
        went = s.exec(select(Launch)).one().live_at.astimezone(BERLIN).date()
    assert went == declared
    base = max(went, planned)  # the retrospective and the review never come before launch week
    planned_rows = {r.kind: r for r in rows(world) if r.kind in AFTER_KINDS}
    assert set(planned_rows) == set(AFTER_KINDS)
    assert planned_rows["retro_prompt"].due_at == at_berlin(business_days_from(base + timedelta(days=14), 1)[0], 10)
    assert planned_rows["goal_review"].due_at == at_berlin(business_days_from(base + timedelta(days=30), 1)[0], 10)
    assert not [r for r in rows(world) if r.kind == "readiness_reminder" and r.status == WorkStatus.PENDING]
    shown = run_golive(["launch", "show", "1"], world.env)
    plan_line = next(line for line in shown.stdout.splitlines() if line.strip().startswith("plan"))
    assert f"launch week {slack_day(week[0])} – {slack_day(week[-1])} kept as planned" in plan_line
    expected = {"early": "before the planned", "on time": "went live on the planned day", "late": "after the planned"}
    assert expected[when] in plan_line, plan_line
    # The whole plan runs: every check-in once, every digest, the reports, the retrospective and the review.
    run_plan(world, at_berlin(base + timedelta(days=45), 12))
    posts = checkin_posts(world)
    assert sorted(posts) == sorted(f"Day {n} of launch week: how is it going?" for n in range(1, 6)), posts
    final = rows(world)
    for kind, count in (("checkin", 5), ("digest", 5), ("adoption_report", 4), ("retro_prompt", 1),
                        ("retro_summary", 1), ("goal_review", 1)):
        statuses = [r.status for r in final if r.kind == kind]
        assert statuses == [WorkStatus.DONE] * count, (kind, [(r.key, r.status, r.note) for r in final
                                                              if r.kind == kind])
