"""Crash-safe delivery, black-box: a real `golive run --role worker` process is killed with SIGKILL while it
delivers queued posts, and restarted each time. Slack (the simulator) must end up with every post exactly
once, and every outbox row must be 'sent'.

The kill points are seeded and exact, not timed: the worker reaches Slack through a gate (a proxy in front of
the simulator, one call at a time) that stops it at the chosen call and holds every later one until the
test has killed the process. A kill point is one of

* a post *after* Slack stored it and before the worker heard back — the dangerous window: the restarted
  worker finds the row still 'sending' after its lease and must find the post in the channel's history
  instead of posting it again;
* a post *before* Slack has it — the row is 'sending' but nothing was posted: it must go out, once;
* a recovery read (conversations.history) of a restarted worker — a crash while recovering from a crash.

Nothing waits on the wall clock for an outcome: the test waits for the gate to stop the worker, for the
process to exit, and at the end for the outbox to be all 'sent', failing only if delivery stops making
progress. (The worker's own lease, a couple of seconds, is the product's timer.) The full-size run (500
posts, 20+ kills) is bench/crash_kill.py.

The flake this replaces ("posts stuck in 'sending'") was not a lease that never expires: each restarted
worker reads history once per row of the dead worker's batch, rows never tried included, through golive's
own Tier 3 budget (50 reads at once, then 50 a minute). The old test (120 posts, kills at random times, a
50 s deadline) ran past its deadline whenever a late kill left more than ~50 rows to recover: they were
being recovered at about one a second, still 'sending'. That slowness is a product bug, pinned (xfail) by
test_outbox.py::test_a_crashed_batch_is_recovered_without_waiting_on_a_history_read_per_row; POSTS stays
under 50 here so that this test checks the guarantee, exactly once, and not the speed.
"""

from __future__ import annotations

import collections
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text

from bot.outbox.queue import post_message
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import ROOT

POSTS = 48
CHANNELS = 8
SEED = 7
LEASE_SECONDS = 2
# How long delivery may go without any visible progress (a process starting, a lease running out, a
# post going out) before the test calls it stuck. A bound against hanging, not a deadline for the result.
STALL_SECONDS = 90


@dataclass(frozen=True)
class KillPoint:
    method: str  # the Slack method whose call the worker dies on
    nth: int  # which call of that method, counted from the worker's start
    before_slack: bool  # dies before Slack has the call (else after Slack did it, before the worker hears)

    def __str__(self) -> str:
        return f"{self.method} #{self.nth} {'before' if self.before_slack else 'after'} Slack"


def kill_plan(seed: int) -> list[KillPoint]:
    """Eight kill points: three posts after Slack took them, two posts before, three recovery reads; the
    first worker has nothing to recover, so it dies on a post. Small counts, so every point is reached."""
    rng = random.Random(seed)
    kinds = [("chat.postMessage", False)] * 2 + [("chat.postMessage", True)] * 2 \
        + [("conversations.history", False)] * 3
    rng.shuffle(kinds)
    kinds.insert(0, ("chat.postMessage", False))
    return [KillPoint(method, rng.randint(1, 4) if method == "chat.postMessage" else rng.randint(1, 6), before)
            for method, before in kinds]


class Gate:
    """The worker's way to Slack: forwards each call to the simulator, one at a time; at the armed kill point
    it stops, tells the test (`stopped`), and holds that call and every later one until `release`."""

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.lock = threading.Lock()
        self.point: KillPoint | None = None
        self.counts: collections.Counter[str] = collections.Counter()
        self.stopped = threading.Event()
        self.released = threading.Event()
        self.held: dict | None = None  # the call the worker died on
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                gate.handle(self, b"")

            def do_POST(self) -> None:  # noqa: N802
                gate.handle(self, self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def arm(self, point: KillPoint | None) -> None:
        """For the next worker: count its calls from zero and stop it at `point` (None: never)."""
        with self.lock:
            self.released.set()  # whatever the last worker left held goes (its process is gone)
            self.point, self.counts, self.held = point, collections.Counter(), None
            self.stopped, self.released = threading.Event(), threading.Event()

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        method = urlsplit(request.path).path.rsplit("/", 1)[-1]
        with self.lock:
            released = self.released
            if self.stopped.is_set():
                reply = None  # the worker is being killed: nothing more reaches Slack
            else:
                self.counts[method] += 1
                point = self.point
                at_point = point is not None and method == point.method and self.counts[method] == point.nth
                reply = None if at_point and point.before_slack else self.forward(request, body)
                if at_point:
                    self.held = {"method": method, "key": outbox_key_of(body), "slack_has_it": reply is not None}
                    self.stopped.set()
                    reply = None
        if reply is None:
            released.wait()
            request.close_connection = True
            return
        status, headers, data = reply
        request.send_response(status)
        for name, value in headers:
            if name.lower() in ("content-type", "retry-after"):
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def forward(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, list, bytes]:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "authorization")}
            connection.request(request.command, request.path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def outbox_key_of(body: bytes) -> str | None:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return None
    return ((payload.get("metadata") or {}).get("event_payload") or {}).get("key") if isinstance(payload, dict) \
        else None


def outbox_key(message) -> str | None:  # noqa: ANN001 - SimMessage
    return ((message.metadata or {}).get("event_payload") or {}).get("key")


def start_worker(env: dict[str, str], api_url: str, log) -> subprocess.Popen:  # noqa: ANN001
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOLIVE_"))}
    full.update(env)
    full.update({"SLACK_API_URL": api_url, "GOLIVE_TICK_SECONDS": "0.5",
                 "GOLIVE_SEND_LEASE_SECONDS": str(LEASE_SECONDS)})
    return subprocess.Popen([sys.executable, "-m", "bot.cli.main", "run", "--role", "worker"], env=full, cwd=ROOT,
                            stdout=log, stderr=log)


def statuses(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(text("select status, count(*) from outbox_message group by status")).all()
    return {status: count for status, count in rows}


def status_of(db: Database, key: str) -> str:
    with db.session() as s:
        return s.execute(text("select status from outbox_message where dedupe_key = :k"), {"k": key}).scalar_one()


def tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


def wait_until_stopped(gate: Gate, proc: subprocess.Popen, log_path: Path) -> None:
    """Until the gate has stopped the worker at its kill point (the worker must stay alive till then)."""
    waited = 0.0
    while not gate.stopped.wait(0.2):
        assert proc.poll() is None, f"the worker exited on its own:\n{tail(log_path)}"
        waited += 0.2
        assert waited < STALL_SECONDS, f"the worker never reached {gate.point}: {dict(gate.counts)}\n{tail(log_path)}"


def wait_until_all_sent(db: Database, proc: subprocess.Popen, log_path: Path) -> None:
    """Until every row is 'sent', as long as delivery keeps making progress."""
    seen, quiet_since = None, time.monotonic()
    while (now := statuses(db)) != {"sent": POSTS}:
        assert proc.poll() is None, f"the worker exited on its own:\n{tail(log_path)}"
        if now != seen:
            seen, quiet_since = now, time.monotonic()
        assert time.monotonic() - quiet_since < STALL_SECONDS, f"delivery stopped at {now}\n{tail(log_path)}"
        time.sleep(0.1)


def test_sigkilled_worker_delivers_every_post_exactly_once(sim, env, db_url, tmp_path):
    channels = [f"C0CRASH{i:02d}" for i in range(CHANNELS)]
    for channel in channels:
        sim.add_channel(channel, channel.lower(), members=["U0CSM"])
    db = Database(db_url)
    upgrade(db)
    keys = [f"crash:{i}" for i in range(POSTS)]
    with db.session() as s:
        now = datetime.now(UTC)
        for i, key in enumerate(keys):
            post_message(s, key=key, channel=channels[i % CHANNELS], text=f"update {i}", now=now)

    def in_slack() -> collections.Counter[str]:
        return collections.Counter(outbox_key(m) for c in channels for m in sim.messages(c))

    gate = Gate(sim.url)
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    plan = kill_plan(SEED)
    died_on: list[KillPoint] = []
    proc = None
    try:
        for point in plan:
            gate.arm(point)
            proc = start_worker(env, gate.url, log)
            wait_until_stopped(gate, proc, log_path)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            held = gate.held
            died_on.append(point)
            if point.method == "chat.postMessage":
                # The post the worker died on: in Slack exactly when it died after Slack took it, and in
                # neither case recorded as sent.
                assert held["key"] in keys, held
                assert in_slack()[held["key"]] == (0 if point.before_slack else 1), (point, held)
                assert status_of(db, held["key"]) != "sent", (point, held)
        assert statuses(db).get("sent", 0) < POSTS  # work was left for the last worker

        gate.arm(None)  # the last worker runs undisturbed
        proc = start_worker(env, gate.url, log)
        wait_until_all_sent(db, proc, log_path)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        gate.close()
        log.close()

    found = in_slack()
    db.dispose()
    print(f"kills: {', '.join(map(str, died_on))}; history reads {len(sim.calls_to('conversations.history'))}")
    assert died_on == plan
    assert {k: n for k, n in found.items() if n > 1} == {}, "posted more than once"
    assert [k for k in keys if found[k] == 0] == [], "never posted"
    assert set(found) == set(keys)
    assert sim.calls_to("conversations.history")  # the restarted workers did look before posting again
