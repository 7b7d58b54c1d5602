"""Outbox delivery throughput under Slack's rate limits, against the workspace limit's floor.

N posts to N distinct channels are queued with `bot.outbox.queue.post_message` in one transaction; the
simulator allows 1 chat.postMessage per second per channel and 50 per second per workspace (token
buckets holding one second's worth). The floor is N / workspace rate (1,000 posts: 20 s); the
result is the time to deliver everything divided by that floor.

Modes:
* `drain` (default): `Sender.drain(clock, max_wait=...)`, what `golive tick` does;
* `worker`: `Sender.deliver_due` on a 1-second interval, what `golive run`'s worker does
  (APScheduler, coalesce=True, max_instances=1: a late run is not repeated).

Afterwards every channel must hold exactly one message carrying its own outbox key (no duplicates),
and every outbox row must be `sent` (no losses).

By default the simulator runs in a child process, like Slack would be remote, so its HTTP threads
do not compete with the sender for one GIL; `--same-process` keeps it in this process.

    /work/venv/bin/python bench/outbox_throughput.py --count 200   # quick: floor 4 s
    /work/venv/bin/python bench/outbox_throughput.py               # 1,000 posts: floor 20 s
"""

from __future__ import annotations

import argparse
import collections
import math
import multiprocessing
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from common import CSM, VENDOR, clean_environ, golive_env, populate, table, verdict


def channel_ids(count: int) -> list[str]:
    return [f"C9B{i:06d}" for i in range(count)]


class SimHost:
    """The simulator with the benchmark's channels and limits; summarises what it received."""

    def __init__(self, count: int, channel_rate: float, workspace_rate: float):
        from bot.devkit.simulator import SlackSimulator

        self.channels = channel_ids(count)
        self.sim = SlackSimulator(team_id=VENDOR).start()
        populate(self.sim)
        for i, channel in enumerate(self.channels):
            self.sim.add_channel(channel, f"bench-{i}", members=[CSM])
        self.sim.set_rate_limit(per_channel_per_sec=channel_rate, workspace_per_sec=workspace_rate)

    def info(self) -> dict:
        return {"url": self.sim.url, "token": self.sim.bot_token}

    def summary(self) -> dict:
        per_channel = {}
        for channel in self.channels:
            per_channel[channel] = [((m.metadata or {}).get("event_payload") or {}).get("key")
                                    for m in self.sim.messages(channel)]
        calls = self.sim.calls_to("chat.postMessage")
        statuses = collections.Counter(c.status for c in calls)
        ok_at = sorted(c.at for c in calls if c.status == 200 and (c.response or {}).get("ok"))
        limited_at = sorted(c.at for c in calls if c.status == 429)
        return {"per_channel": per_channel, "statuses": dict(statuses), "ok_at": ok_at, "limited_at": limited_at}

    def stop(self) -> None:
        self.sim.stop()


def _sim_child(conn, count: int, channel_rate: float, workspace_rate: float) -> None:  # noqa: ANN001
    host = SimHost(count, channel_rate, workspace_rate)
    conn.send(host.info())
    while True:
        try:
            command = conn.recv()
        except EOFError:
            break
        if command == "summary":
            conn.send(host.summary())
        else:
            break
    host.stop()


def queue_posts(db, channels: list[str]) -> float:  # noqa: ANN001
    """All posts in one transaction; returns the seconds it took."""
    from bot.core.clock import utcnow
    from bot.outbox.queue import post_message

    started = time.perf_counter()
    now = utcnow()
    with db.session() as s:
        for i, channel in enumerate(channels):
            post_message(s, key=f"bench:{i}", channel=channel, text=f"go-live update {i}", now=now)
    return time.perf_counter() - started


def run_worker_mode(sender, clock, deadline: float, total: int, runs: list[float]) -> object:  # noqa: ANN001
    """deliver_due every DELIVERY_SECONDS, like Runtime.start_worker's APScheduler job; the
    duration of each run is appended to `runs`."""
    from bot.outbox.sender import DeliveryStats
    from bot.runtime import DELIVERY_SECONDS

    stats = DeliveryStats()
    start = time.monotonic()
    while stats.sent + stats.dead < total and time.monotonic() < deadline:
        began = time.monotonic()
        stats.add(sender.deliver_due(clock))
        runs.append(time.monotonic() - began)
        # The next interval boundary that has not passed yet (missed ones are coalesced).
        elapsed = time.monotonic() - start
        next_run = start + math.floor(elapsed / DELIVERY_SECONDS + 1) * DELIVERY_SECONDS
        time.sleep(max(0.0, next_run - time.monotonic()))
    return stats


def gated_sender_class(wait: bool, pace: float | None = None):  # noqa: ANN201
    """EXPERIMENT (not product code): the suggested change to bot/outbox/sender.py, as a subclass.

    A 429 on a channel that has had no accepted post within the last second cannot be the
    per-channel limit, so it is taken as the workspace limit and closes a gate shared by all
    sender threads until Retry-After has passed. While the gate is closed a thread either
    `wait`s for it (sleeps, at most MAX_GATE_WAIT seconds, then sends) or bounces the row back to
    pending without an HTTP call and without spending an attempt. With `pace` (posts per second)
    the threads also space their calls out evenly from one shared schedule, so the limit is
    rarely hit at all.
    """
    import threading

    from bot.outbox.sender import Sender, _Outcome

    max_gate_wait = 10.0

    class GatedSender(Sender):
        def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003
            super().__init__(*args, **kwargs)
            self._gate_until = 0.0
            self._gate_lock = threading.Lock()
            self._last_ok: dict[str, float] = {}
            self._next_slot = 0.0

        def _pace(self) -> None:
            if not pace:
                return
            with self._gate_lock:
                now = time.monotonic()
                slot = max(now, self._next_slot)
                self._next_slot = slot + 1.0 / pace
            time.sleep(max(0.0, slot - now))

        def _attempt(self, row, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            closed_for = self._gate_until - time.monotonic()
            if closed_for > 0:
                if not wait or closed_for > max_gate_wait:
                    return _Outcome("rate_limited", error="workspace rate limited", retry_after=closed_for)
                time.sleep(closed_for)
            self._pace()
            outcome = super()._attempt(row, *args, **kwargs)
            channel = str(row.payload.get("channel", ""))
            now = time.monotonic()
            if outcome.kind == "sent":
                self._last_ok[channel] = now
            elif outcome.kind == "rate_limited" and now - self._last_ok.get(channel, -1e9) >= 1.0:
                with self._gate_lock:
                    self._gate_until = max(self._gate_until, now + outcome.retry_after)
            return outcome

    return GatedSender


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="posts, one per channel (default 1000)")
    parser.add_argument("--channel-rate", type=float, default=1.0, help="per-channel limit, msg/s (default 1)")
    parser.add_argument("--workspace-rate", type=float, default=50.0, help="workspace limit, msg/s (default 50)")
    parser.add_argument("--mode", choices=("drain", "worker"), default="drain")
    parser.add_argument("--max-wait", type=float, default=120.0, help="give up after this many seconds")
    parser.add_argument("--concurrency", type=int, default=None, help="override Sender(concurrency=...)")
    parser.add_argument("--batch-size", type=int, default=None, help="override Sender(batch_size=...)")
    parser.add_argument("--experiment", choices=("none", "gate-wait", "gate-bounce", "pace"), default="none",
                        help="try a workspace-wide 429 gate in the sender, or the gate plus pacing at "
                        "--pace-rate (a subclass; see gated_sender_class)")
    parser.add_argument("--pace-rate", type=float, default=None,
                        help="posts/s for --experiment pace (default: the workspace rate)")
    parser.add_argument("--target", type=float, default=1.2, help="time/floor target (default 1.2)")
    parser.add_argument("--same-process", action="store_true", help="run the simulator in this process")
    args = parser.parse_args()
    clean_environ()

    from sqlmodel import func, select

    from bot.core.clock import utcnow
    from bot.core.settings import Settings
    from bot.outbox.sender import Sender
    from bot.slack.client import make_client
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.models import OutboxMessage

    child = host = None
    if args.same_process:
        host = SimHost(args.count, args.channel_rate, args.workspace_rate)
        info = host.info()
        summary_of = host.summary
    else:
        ctx = multiprocessing.get_context("spawn")
        conn, child_conn = ctx.Pipe()
        child = ctx.Process(target=_sim_child, args=(child_conn, args.count, args.channel_rate,
                                                      args.workspace_rate), daemon=True)
        child.start()
        if not conn.poll(60):
            raise SystemExit("simulator did not start within 60 s")
        info = conn.recv()

        def summary_of() -> dict:
            conn.send("summary")
            return conn.recv()

    channels = channel_ids(args.count)
    try:
        with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'golive.db'}")
            upgrade(db)
            queued_in = queue_posts(db, channels)
            env = golive_env(SimpleNamespace(bot_token=info["token"], url=info["url"]), db.url)
            client = make_client(Settings.from_env(env), for_outbox=True)
            overrides = {k: v for k, v in (("concurrency", args.concurrency), ("batch_size", args.batch_size))
                         if v is not None}
            sender_class = (Sender if args.experiment == "none"
                            else gated_sender_class(wait=args.experiment != "gate-bounce",
                                                    pace=(args.pace_rate or args.workspace_rate)
                                                    if args.experiment == "pace" else None))
            sender = sender_class(db, client, worker_id="bench-worker", **overrides)
            started_wall = time.time()
            started = time.perf_counter()
            cpu_started = time.process_time()
            worker_runs: list[float] = []
            if args.mode == "drain":
                stats = sender.drain(utcnow, max_wait=args.max_wait)
            else:
                stats = run_worker_mode(sender, utcnow, time.monotonic() + args.max_wait, args.count, worker_runs)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            sender.close()
            with db.session() as s:
                by_status = dict(s.exec(select(OutboxMessage.status, func.count(OutboxMessage.id))
                                        .group_by(OutboxMessage.status)).all())
            db.dispose()
        summary = summary_of()
    finally:
        if host is not None:
            host.stop()
        if child is not None:
            conn.send("stop")
            child.join(timeout=10)

    floor = args.count / args.workspace_rate
    ratio = elapsed / floor
    per_channel = summary["per_channel"]
    missing = [c for c, keys in per_channel.items() if not keys]
    duplicated = [c for c, keys in per_channel.items() if len(keys) > 1]
    wrong = [c for i, c in enumerate(channels) if per_channel[c] and per_channel[c][0] != f"bench:{i}"]
    not_sent = {str(k): v for k, v in by_status.items() if str(k) != "sent"}
    ok_at, limited_at = summary["ok_at"], summary["limited_at"]
    span = (ok_at[-1] - ok_at[0]) if len(ok_at) > 1 else 0.0
    first_ok = (ok_at[0] - started_wall) if ok_at else float("nan")
    statuses = summary["statuses"]
    calls = sum(statuses.values())

    print(f"outbox throughput: {args.count} posts to {args.count} channels, limits {args.channel_rate:g}/s per "
          f"channel and {args.workspace_rate:g}/s per workspace, mode {args.mode}, "
          f"{'bot.outbox.sender.Sender' if args.experiment == 'none' else 'EXPERIMENT ' + args.experiment}, "
          f"simulator in {'this' if args.same_process else 'a child'} process")
    rows = [
        ("queued (one transaction)", f"{queued_in:.2f} s"),
        ("delivery time", f"{elapsed:.2f} s"),
        ("floor (count / workspace rate)", f"{floor:.2f} s"),
        ("first accepted post after start", f"{first_ok:.2f} s"),
        ("first-to-last accepted post", f"{span:.2f} s"),
        ("achieved rate", f"{len(ok_at) / elapsed:.1f} msg/s"),
        ("CPU of this process while delivering", f"{cpu:.2f} s ({cpu / elapsed:.0%} of one core)"),
        *([("deliver_due runs (mean / max s)", f"{len(worker_runs)} ({sum(worker_runs) / len(worker_runs):.2f} / "
                                                f"{max(worker_runs):.2f}); {sum(r > 1.0 for r in worker_runs)} "
                                                "overran the 1 s interval")] if worker_runs else []),
        ("chat.postMessage calls", calls),
        ("  accepted (200)", statuses.get(200, 0)),
        ("  rate limited (429)", statuses.get(429, 0)),
        ("  other", calls - statuses.get(200, 0) - statuses.get(429, 0)),
        ("calls per delivered post", f"{calls / max(1, len(ok_at)):.2f}"),
        ("sender stats", f"sent {stats.sent}, rate_limited {stats.rate_limited}, retried {stats.retried}, "
                         f"dead {stats.dead}, deferred {stats.deferred}"),
        ("outbox rows by status", ", ".join(f"{k}={v}" for k, v in sorted(by_status.items())) or "-"),
        ("channels without a message (lost)", len(missing)),
        ("channels with >1 message (dup)", len(duplicated)),
        ("channels with a wrong key", len(wrong)),
    ]
    print(table(("measure", "value"), rows))
    if limited_at:
        # When the 429s came, per second of the run: shows whether the sender hammers or waits.
        buckets = collections.Counter(int(t - started_wall) for t in limited_at)
        oks = collections.Counter(int(t - started_wall) for t in ok_at)
        seconds = range(0, int(max(ok_at[-1] if ok_at else 0, limited_at[-1]) - started_wall) + 1)
        print("per second: accepted / 429  " + "  ".join(f"{s}:{oks.get(s, 0)}/{buckets.get(s, 0)}" for s in seconds))
    problems = []
    if missing or not_sent:
        problems.append(f"LOST: {len(missing)} channel(s) without a message; rows not sent: {not_sent}")
    if duplicated or wrong:
        problems.append(f"DUPLICATES: {len(duplicated)} channel(s) with >1 message, {len(wrong)} with a wrong key")
    for problem in problems:
        print(problem)
    print(verdict("outbox_throughput", ratio, args.target, "delivery time / floor"))
    return 0 if ratio <= args.target and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
