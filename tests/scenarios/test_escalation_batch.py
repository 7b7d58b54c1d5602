"""The SLA sweep, set-based: every due issue escalates once in ONE tick, chunk by chunk, with exactly the
effects of `bot.features.issues.service.escalate_one`; ticks racing at the same instant escalate each issue once; an
acknowledged issue is never escalated, even when the acknowledgement lands after the chunk read it."""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlmodel import select

import schedules.engine as engine
from bot.core import metrics
from bot.features.issues import service as issues
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.wiring import SCHEDULE
from schedules.engine import tick
from schedules.registry import Schedule
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Issue, IssueEvent, IssueStatus, Launch, OutboxMessage

NOW = datetime(2027, 3, 9, 14, 0, tzinfo=UTC)  # a Tuesday, 15:00 in Berlin
SLA = {"sev1": 15, "sev2": 60, "sev3": 240}
SEVERITIES = ("sev1", "sev2", "sev2", "sev3")
# Urgent channel or not, support channel or not (then the escalation goes to the CSMs only), 0-2 CSMs,
# support hours, a short ladder (the last step leaves no next deadline).
LAUNCHES = [
    {"channel": "C0BA0", "support_channel": "C0SUPA", "urgent_channel": "C0URG", "oncall": "U0SUP",
     "csm": ["U0CSMA"]},
    {"channel": "C0BA1", "support_channel": "C0SUPB", "csm": ["U0CSMA", "U0CSMB"]},
    {"channel": "C0BA2", "csm": ["U0CSMC"]},
    {"channel": "C0BA3", "support_channel": "C0SUPA", "csm": [], "support_hours": "08:00-20:00",
     "support_tz": "Europe/Berlin"},
    {"channel": "C0BA4", "support_channel": "C0SUPB", "urgent_channel": "C0URG", "csm": ["U0CSMB"],
     "escalation_steps": 1},
]


def build(path: Path | str, due: int, not_due: int = 20) -> Database:
    """`due` issues 1-10 min past their deadline (the next step is still ahead) and `not_due` before it,
    spread over the launches, opened through the real `open_issue`. `path`: a SQLite file or a database URL."""
    db = Database(path if isinstance(path, str) else f"sqlite:///{path}")
    upgrade(db)
    with db.session() as s:
        launches = []
        for n, raw in enumerate(LAUNCHES):
            launch, _ = save_launch(s, LaunchInput.parse({
                "customer": f"Customer {n}", "go_live": "2027-03-08", "tz": "Europe/Berlin", **raw}),
                now=NOW - timedelta(days=30))
            launches.append(launch)
        for k in range(due + not_due):
            launch = launches[k % len(launches)]
            severity = SEVERITIES[k % len(SEVERITIES)]
            late = timedelta(minutes=1 + k % 10)
            opened = NOW - timedelta(minutes=SLA[severity]) - late if k < due else NOW - late
            issues.open_issue(s, launch=launch, text=f"Problem {k}: exports time out", reporter="U0REP",
                              reporter_team=None, source="test", source_key=f"batch:{k}", now=opened,
                              severity=severity)
    return db


def escalation_rows(db: Database) -> dict[str, tuple[str, dict]]:
    """Outbox rows queued by escalations, card updates keyed by the event they follow (not its id)."""
    with db.session() as s:
        events = {e.id: (e.issue_id, e.kind, e.detail) for e in s.exec(select(IssueEvent)).all()}
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.created_at == NOW)).all()
    found = {}
    for row in rows:
        key = row.dedupe_key
        match = re.fullmatch(r"(issue:\d+:card:update:)(\d+)", key)
        if match:
            key = match.group(1) + repr(events[int(match.group(2))])
        assert key not in found
        found[key] = (row.method, row.payload)
    return found


def issue_state(db: Database) -> list[tuple]:
    with db.session() as s:
        return [(i.id, i.status, i.escalation_count, i.next_escalation_at)
                for i in s.exec(select(Issue).order_by(Issue.id)).all()]


def breaches() -> dict[str, float]:
    return {sev: metrics.SLA_BREACHES.labels(severity=sev)._value.get() for sev in SLA}


@pytest.mark.parametrize("chunk", [500, 64])
def test_300_due_issues_escalate_once_each_in_one_tick_exactly_like_escalate_one(tmp_path, monkeypatch, chunk):
    db = build(tmp_path / "set.db", due=300)
    db.dispose()
    shutil.copyfile(tmp_path / "set.db", tmp_path / "each.db")
    monkeypatch.setattr(engine, "SWEEP_CHUNK", chunk)
    db = Database(f"sqlite:///{tmp_path / 'set.db'}")
    before = breaches()

    result = tick(db, NOW, schedule=SCHEDULE, worker_id="t")

    assert result.swept["issue_escalation"] == 300  # one tick, no cap
    after = breaches()
    assert {sev: after[sev] - before[sev] for sev in SLA} == {"sev1": 75, "sev2": 150, "sev3": 75}
    state = issue_state(db)
    assert [count for _, _, count, _ in state] == [1] * 300 + [0] * 20
    assert tick(db, NOW, schedule=SCHEDULE, worker_id="t").swept["issue_escalation"] == 0  # next step still ahead
    rows = escalation_rows(db)

    # The same database swept one issue at a time through escalate_one: identical effects.
    one_at_a_time = Schedule.of(kinds=tuple(SCHEDULE.kinds.values()),
                                sweepers=tuple(replace(s, chunk=None) for s in SCHEDULE.sweepers))
    reference = Database(f"sqlite:///{tmp_path / 'each.db'}")
    assert tick(reference, NOW, schedule=one_at_a_time, worker_id="t").swept["issue_escalation"] == 300
    assert issue_state(reference) == state
    assert escalation_rows(reference) == rows
    with db.session() as s, reference.session() as r:
        mine = sorted((e.issue_id, e.kind, e.detail, e.at) for e in s.exec(select(IssueEvent)).all())
        theirs = sorted((e.issue_id, e.kind, e.detail, e.at) for e in r.exec(select(IssueEvent)).all())
    assert mine == theirs
    reference.dispose()

    # And the posts are the right ones: per issue the urgent (or support) channel, each CSM, the card.
    with db.session() as s:
        launch_of = {launch.id: launch for launch in s.exec(select(Launch)).all()}
        escalated = [i for i in s.exec(select(Issue).order_by(Issue.id)).all() if i.escalation_count]
    expected = set()
    for issue in escalated:
        launch = launch_of[issue.launch_id]
        channel = launch.urgent_channel or launch.support_channel
        posted = {}
        if channel:
            posted[f"issue:{issue.id}:escalation:1"] = channel
        for csm in LAUNCHES[launch.id - 1]["csm"]:
            posted[f"issue:{issue.id}:escalation:1:{csm}"] = csm
        for key, channel in posted.items():
            method, payload = rows[key]
            assert method == "chat.postMessage" and payload["channel"] == channel
            assert f"Escalation 1/{launch.escalation_steps}*: issue #{issue.number} for *{launch.customer}*" \
                in payload["text"]
        if launch.support_channel:
            card = f"issue:{issue.id}:card:update:{(issue.id, 'escalated', 'step 1')!r}"
            posted[card] = launch.support_channel
            assert rows[card] == ("golive.issue_card", {"channel": launch.support_channel, "issue_id": issue.id,
                                                        "ts_from": f"issue:{issue.id}:card"})
        assert issue.next_escalation_at > NOW  # past the last step too: the ladder pages until acknowledged
        expected |= set(posted)
    assert set(rows) == expected
    db.dispose()


@pytest.mark.parametrize("databases", ["one Database", "two Databases (two processes)"])
def test_two_ticks_in_parallel_threads_at_the_same_instant_escalate_each_issue_once(tmp_path, monkeypatch,
                                                                                    databases):
    build(tmp_path / "race.db", due=300).dispose()
    monkeypatch.setattr(engine, "SWEEP_CHUNK", 25)  # many chunks, so the two ticks interleave
    first = Database(f"sqlite:///{tmp_path / 'race.db'}")
    second = first if databases == "one Database" else Database(f"sqlite:///{tmp_path / 'race.db'}")
    barrier = threading.Barrier(2)
    swept: list[int] = []
    errors: list[BaseException] = []

    def run(db: Database, worker: str) -> None:
        try:
            barrier.wait()
            swept.append(tick(db, NOW, schedule=SCHEDULE, worker_id=worker).swept["issue_escalation"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(db, f"w{n}")) for n, db in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and len(swept) == 2
    assert sum(swept) == 300, swept
    assert [count for _, _, count, _ in issue_state(first)] == [1] * 300 + [0] * 20
    with first.session() as s:
        events = s.execute(text("select issue_id, count(*) from issue_event where kind = 'escalated' "
                                "group by issue_id")).all()
        posts = s.execute(text("select count(*) from outbox_message where dedupe_key like 'issue:%:escalation:1'"
                               )).scalar()
    assert len(events) == 300 and {n for _, n in events} == {1}
    channel_posts = sum(1 for k in range(300) if LAUNCHES[k % len(LAUNCHES)].get("urgent_channel")
                        or LAUNCHES[k % len(LAUNCHES)].get("support_channel"))
    assert posts == channel_posts
    for db in {first, second}:
        db.dispose()


def test_an_acknowledged_issue_in_the_chunk_is_not_escalated_even_when_acknowledged_after_the_read(tmp_path):
    db = build(tmp_path / "ack.db", due=10, not_due=0)
    with db.session() as s:
        # Acknowledged through the product before the tick...
        issues.acknowledge(s, issue=s.get(Issue, 1), actor="U0SUP", now=NOW - timedelta(seconds=1))
        # ...and one whose row still carries a past deadline (say, data from an older version).
        s.execute(text("update issue set status = 'acknowledged' where id = 2"))

    # A third is acknowledged after the chunk read its issues, just before the claim.
    acked_late = []

    def ack_before_claim(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        if statement.startswith("UPDATE issue SET escalation_count") and not acked_late:
            cursor.connection.execute("update issue set status = 'acknowledged', next_escalation_at = null "
                                      "where id = 3")
            acked_late.append(3)

    event.listen(db.engine, "before_cursor_execute", ack_before_claim)
    try:
        with db.session() as s:
            done = issues.escalate_due(s, NOW, 0, 500)
    finally:
        event.remove(db.engine, "before_cursor_execute", ack_before_claim)
    assert acked_late == [3]
    assert (done.done, done.last_id) == (7, 10)  # 3 was read (it was open), but not claimed
    state = {i: (status, count) for i, status, count, _ in issue_state(db)}
    assert state[1] == state[2] == state[3] == (IssueStatus.ACKNOWLEDGED, 0)
    assert all(state[i] == (IssueStatus.OPEN, 1) for i in range(4, 11))
    with db.session() as s:
        keys = set(s.exec(select(OutboxMessage.dedupe_key)).all())
        escalated = {e.issue_id for e in s.exec(select(IssueEvent).where(IssueEvent.kind == "escalated")).all()}
    assert escalated == set(range(4, 11))
    assert not any(k.startswith(("issue:1:escalation", "issue:2:escalation", "issue:3:escalation")) for k in keys)
    assert tick(db, NOW, schedule=SCHEDULE, worker_id="t").swept["issue_escalation"] == 0
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, db_url) -> str:  # noqa: ANN001
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_many_due_issues_escalate_exactly_once_across_two_engines_and_a_repeated_tick(url, monkeypatch):
    """600 due issues, two engines (two Database objects: two processes' pools) ticking at the same instant
    in small chunks so that they interleave, then the same instant ticked again by each: every issue
    is escalated once, with one event and exactly one of each post, whoever took it."""
    due = 600
    build(url, due=due, not_due=30).dispose()
    monkeypatch.setattr(engine, "SWEEP_CHUNK", 40)
    first, second = Database(url), Database(url)
    barrier = threading.Barrier(2)
    swept: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(db: Database, worker: str) -> None:
        try:
            barrier.wait()
            swept[worker] = tick(db, NOW, schedule=SCHEDULE, worker_id=worker).swept["issue_escalation"]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=run, args=(db, name)) for name, db in (("w1", first), ("w2", second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert errors == [] and sum(swept.values()) == due, (swept, errors)
        # The same instant again, on both engines: nothing is left to escalate and nothing is queued twice.
        assert tick(first, NOW, schedule=SCHEDULE, worker_id="w1").swept["issue_escalation"] == 0
        assert tick(second, NOW, schedule=SCHEDULE, worker_id="w2").swept["issue_escalation"] == 0

        assert [count for _, _, count, _ in issue_state(first)] == [1] * due + [0] * 30
        with first.session() as s:
            events = s.execute(text("select issue_id, detail from issue_event where kind = 'escalated'")).all()
            keys = [k for k in s.exec(select(OutboxMessage.dedupe_key)).all() if ":escalation:" in k or ":update:" in k]
            launch_of = {i.id: LAUNCHES[i.launch_id - 1] for i in s.exec(select(Issue)).all()}
        assert sorted(events) == [(i, "step 1") for i in range(1, due + 1)]
        assert len(keys) == len(set(keys))
        expected = set()
        for issue_id in range(1, due + 1):
            raw = launch_of[issue_id]
            if raw.get("urgent_channel") or raw.get("support_channel"):
                expected.add(f"issue:{issue_id}:escalation:1")
            expected |= {f"issue:{issue_id}:escalation:1:{csm}" for csm in raw["csm"]}
        assert {k for k in keys if ":escalation:" in k} == expected
        card_updates = [k for k in keys if ":card:update:" in k]
        assert sorted(int(k.split(":")[1]) for k in card_updates) == [
            i for i in range(1, due + 1) if launch_of[i].get("support_channel")]
    finally:
        first.dispose()
        second.dispose()


def test_issues_found_hours_late_get_the_same_next_step_set_based_as_one_at_a_time(tmp_path):
    """After downtime: issues whose deadline passed hours ago (more than their SLA) escalate once, and the
    next step is one SLA from now (never a burst of pages), exactly as escalate_one sets it — support
    hours, holidays and all."""
    db = build(tmp_path / "late.db", due=0, not_due=0)
    with db.session() as s:
        launches = s.exec(select(Launch).order_by(Launch.id)).all()
        for k in range(40):
            launch = launches[k % len(launches)]
            issues.open_issue(s, launch=launch, text=f"Problem {k}", reporter="U0REP", reporter_team=None,
                              source="test", source_key=f"late:{k}", now=NOW - timedelta(hours=5 + k % 3),
                              severity=SEVERITIES[k % len(SEVERITIES)])
    db.dispose()
    shutil.copyfile(tmp_path / "late.db", tmp_path / "late-each.db")
    db, reference = Database(f"sqlite:///{tmp_path / 'late.db'}"), Database(f"sqlite:///{tmp_path / 'late-each.db'}")
    with db.session() as s:
        assert issues.escalate_due(s, NOW, 0, 500).done == 40
    with reference.session() as s:
        assert sum(issues.escalate_one(s, issue_id, NOW) for issue_id in range(1, 41)) == 40
    state = issue_state(db)
    assert state == issue_state(reference)
    assert all(count == 1 and NOW < following for _, _, count, following in state)
    db.dispose()
    reference.dispose()
