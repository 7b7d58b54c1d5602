"""The demo's fast clock (bot/devkit/stage.py Worker): equivalent to the worker ticking every minute — each
planned step runs at its own minute, an escalation fires at the first minute its SLA allows — while only the
minutes with due work cost a tick."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from rich.console import Console
from sqlmodel import select

from bot.devkit.stage import Stage, Worker, local
from bot.features.issues.service import SLA_DEFAULT_MINUTES
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import PlannedWork


@pytest.fixture
def fast(world):  # noqa: ANN001, ANN201
    """The world's runtime driven by the demo's Worker, printing into a recording console."""
    go_live = world.clock().date() + timedelta(days=7 - world.clock().weekday())  # the next Monday
    world.clock.set(local(go_live - timedelta(days=7), 9))
    clock = world.clock  # the app's handlers read it too: the Worker moves it like the demo's DemoClock
    stage = Stage(world.sim, Console(record=True, width=200, color_system=None))
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse({
            "customer": "Acme Corp", "channel": "C0ACME", "go_live": go_live.isoformat(), "tz": "Europe/Berlin",
            "checkin_time": "10:00", "digest_time": "08:30", "csm": ["U0CSM"], "support_channel": "C0SUP",
            "urgent_channel": "C0URG", "oncall": "U0SUP"}), now=clock())
        replan(s, launch, now=clock())
    return world, Worker(world.runtime, clock, stage), stage, go_live


def _steps(world) -> list[PlannedWork]:  # noqa: ANN001
    with world.runtime.db.read() as s:
        return list(s.exec(select(PlannedWork).order_by(PlannedWork.due_at)).all())


def test_every_step_of_launch_week_runs_at_its_own_minute(fast):
    world, worker, stage, go_live = fast
    last_day: date = go_live + timedelta(days=4)
    worker.run_until(local(last_day, 18), "end of launch week")
    ran = [w for w in _steps(world) if w.due_at <= local(last_day, 18)]
    assert len(ran) >= 15  # reminders, heads-up, digests, check-ins, nudges
    assert [(w.kind, w.status, w.note) for w in ran if w.status != "done" or w.finished_at != w.due_at
            or "late" in (w.note or "")] == []
    assert worker.ticks <= len({w.due_at for w in ran}) + 2  # only minutes with due work cost a tick
    out = stage.console.export_text()
    assert "check-in" in out and "Day 1 of launch week" in out


def test_an_escalation_says_the_wait_its_sla_implies(fast):
    world, worker, stage, go_live = fast
    filed_at = local(go_live, 11, 7) + timedelta(seconds=25)  # at an odd second, between two ticks
    worker.run_until(filed_at, quiet=True)
    answer = world.slack.slash_command("issue Exports time out for big reports", user_id="U0CSM",
                                       channel_id="C0ACME")
    assert answer.status == 200
    worker.run_until(filed_at + timedelta(hours=2, minutes=30))
    out = stage.console.export_text()
    waits = [(int(step), int(minutes)) for step, minutes in
             re.findall(r"Escalation (\d+)/\d+: issue #1 for Acme Corp \(sev2\) has waited (\d+) min", out)]
    sla = SLA_DEFAULT_MINUTES["sev2"]
    assert [step for step, _ in waits[::2]] == [1, 2]  # each step posted to #urgent and DMed to the CSM
    for step, minutes in waits:
        assert step * sla <= minutes <= step * sla + 1
    # due at 12:07:25 local, it fires at the next minute the worker ticks, and is shown under that minute
    assert f"{go_live:%a %d %b} 12:08 — escalation of an unacknowledged issue" in out


def test_the_story_cannot_go_back_in_time(fast):
    world, worker, stage, go_live = fast
    worker.run_until(local(go_live, 9))
    with pytest.raises(ValueError, match="went back in time"):
        worker.run_until(local(go_live, 8))


def test_nothing_due_means_no_tick(fast):
    world, worker, stage, go_live = fast
    before = worker.ticks
    first = min(w.due_at for w in _steps(world))
    worker.run_until(first - timedelta(minutes=1))
    assert worker.ticks == before
