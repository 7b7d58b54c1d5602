"""The due-work engine: plans stored as rows, each piece of work done exactly once."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from schedules.plan import stored_plan
from storage.models import PlannedWork, WorkStatus
from tests.conftest import ROOT, run_golive

HEADS_UP_AT = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)  # Fri before a Monday go-live, 10:00 in Berlin


def add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM", "U0CSM2"], "support_channel": "C0SUP", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw, partial=True), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def heads_up_plan(world, launch_id: int) -> list[PlannedWork]:  # noqa: ANN001
    with world.runtime.db.session() as s:
        return [w for w in stored_plan(s, launch_id) if w.kind == "heads_up"]


def heads_up_dms(sim, user: str) -> list[str]:  # noqa: ANN001
    return [m.plain_text() for m in sim.dm_messages(user) if "Launch week for" in m.plain_text()]


def test_heads_up_goes_to_every_csm_once_at_its_local_time(world):
    add_launch(world)
    early = world.tick(HEADS_UP_AT - timedelta(minutes=1))
    assert not [key for key in early.done if ":heads_up:" in key]
    assert heads_up_dms(world.sim, "U0CSM") == []
    result = world.tick(HEADS_UP_AT)
    assert [key for key in result.done if ":heads_up:" in key] == ["launch:1:heads_up:2027-03-08"]
    for csm in ("U0CSM", "U0CSM2"):
        texts = heads_up_dms(world.sim, csm)
        assert len(texts) == 1
        assert "Acme Corp" in texts[0] and "Monday 8 March" in texts[0] and "10:00 (Europe/Berlin)" in texts[0]


def test_ticking_the_same_instant_twice_does_the_work_once(world):
    add_launch(world)
    world.tick(HEADS_UP_AT)
    second = world.tick(HEADS_UP_AT)
    assert second.count == 0
    assert len(heads_up_dms(world.sim, "U0CSM")) == 1


def test_changing_the_go_live_date_moves_pending_work_and_keeps_done_work(world):
    launch_id = add_launch(world)
    add_launch(world, go_live="2027-03-15")  # one week later: the heads-up moves to Fri 12 March
    plan = heads_up_plan(world, launch_id)
    assert [(w.kind, w.due_at, w.status) for w in plan] == [
        ("heads_up", datetime(2027, 3, 12, 9, 0, tzinfo=UTC), WorkStatus.PENDING)]
    world.tick(datetime(2027, 3, 12, 9, 0, tzinfo=UTC))
    add_launch(world, go_live="2027-03-22")  # after the heads-up went out: it stays, a new one is planned
    plan = heads_up_plan(world, launch_id)
    assert [(w.status, w.due_at.date().isoformat()) for w in plan] == [
        (WorkStatus.DONE, "2027-03-12"), (WorkStatus.PENDING, "2027-03-19")]


def test_plan_lands_at_local_time_across_a_dst_change(world):
    # Europe/Berlin moves to summer time on Sun 28 March 2027; a go-live on Mon 29 March has its
    # heads-up on Fri 26 March at 10:00 CET (09:00 UTC), and New York's switch earlier in March
    # puts 10:00 EDT at 14:00 UTC.
    berlin = add_launch(world, go_live="2027-03-29")
    new_york = add_launch(world, channel="C0OTHER", go_live="2027-03-15", tz="America/New_York")
    assert heads_up_plan(world, berlin)[0].due_at == datetime(2027, 3, 26, 9, 0, tzinfo=UTC)
    assert heads_up_plan(world, new_york)[0].due_at == datetime(2027, 3, 12, 15, 0, tzinfo=UTC)


def test_work_found_late_says_so_and_work_past_grace_is_skipped_visibly(world):
    add_launch(world)
    add_launch(world, channel="C0OTHER", customer="Other Co", csm=["U0CSM2"], go_live="2027-03-09")
    # The worker was down: it comes back 2 hours after Acme's heads-up, and 26 hours after it.
    world.tick(HEADS_UP_AT + timedelta(hours=2))
    late = heads_up_dms(world.sim, "U0CSM")
    assert len(late) == 1 and "late" in late[0]
    result = world.tick(datetime(2027, 3, 9, 12, 0, tzinfo=UTC))  # Other Co's was due Mon 8 March 10:00
    assert "launch:2:heads_up:2027-03-09" in result.skipped
    with world.runtime.db.session() as s:
        skipped = s.exec(select(PlannedWork).where(PlannedWork.status == WorkStatus.SKIPPED,
                                                   PlannedWork.kind == "heads_up")).one()
    assert "grace" in skipped.note and "late" in skipped.note
    assert [m for m in world.sim.dm_messages("U0CSM2") if "Other Co" in m.plain_text()] == []
    show = run_golive(["launch", "show", str(skipped.launch_id)], world.env)
    assert "skipped" in show.stdout and "grace" in show.stdout


def test_two_tick_processes_on_one_sqlite_file_do_each_piece_of_work_once(world):
    channels = [f"C0L{i:03d}" for i in range(12)]
    for channel in channels:
        world.sim.add_channel(channel, channel.lower(), members=["U0CSM"])
        add_launch(world, channel=channel, customer=f"Customer {channel}", csm=["U0CSM"])
    env = {**world.env}
    procs = [
        subprocess.Popen([sys.executable, "-m", "bot.cli.main", "tick", "--at", "2027-03-05T09:00:00Z", "--wait", "5"],
                         env={**env, "PATH": "/usr/bin:/bin"}, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    texts = heads_up_dms(world.sim, "U0CSM")
    assert sorted(t.split("*")[1] for t in texts) == sorted(f"Customer {c}" for c in channels)
    with world.runtime.db.session() as s:
        rows = s.exec(select(PlannedWork).where(PlannedWork.kind == "heads_up")).all()
    assert {r.status for r in rows} == {WorkStatus.DONE}
    assert sum(int(re.search(r"(\d+) done", o[1]).group(1)) for o in outputs) == len(channels)
