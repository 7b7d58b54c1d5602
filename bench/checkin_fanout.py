"""Check-in fan-out: 1,000 launches with the same check-in minute, one tick, delivery under Slack's limits.

1,000 launches (distinct channels, the bot a member of each) are created the way `golive launch
import` does it: `LaunchInput.parse` + `save_launch` + `replan`, all in one transaction, so the
check-in rows are the real planned ones. Their zones differ (UTC, Berlin, Tokyo, New York) but each
launch's check-in time is set so that all check-ins fall on the same UTC minute T (Monday 09:00 UTC).

(The zone list is cached while they are created: see common.cached_zone_listing.) Each launch also
plans work before T (a heads-up to its CSM, a pinned help post at T - 5 min, digests, readiness
reminders...) and after it (nudges at T + 3 h, ...). So that only the check-ins are due at T, the
rows planned before T are marked done without running (`--prior mark-done`, the default: they have no
bearing on posting a check-in), or, with `--prior tick`, played the way a running worker would have:
one tick at each earlier due instant, each followed by delivering its outbox with no rate limit
(set-up, not timed; minutes at 1,000 launches). Then the simulator is limited to 1 chat.postMessage/s
per channel and 50/s per workspace, and the measured part starts:

* `--mode drain` (default): `Runtime.tick_and_deliver(T)` (what `golive tick` does: the tick with delivery
  beside it, then `Sender.drain`); `--mode sequential`: `Runtime.tick_once(T)`, then `Sender.drain` (what
  `golive tick` did before planning and delivery overlapped);
* `--mode worker`: the tick in one thread and `Runtime.deliver_once` every second in another, like
  `golive run`'s two APScheduler jobs (coalesce, max_instances=1).

The result is the time from the start of the tick until the last of the 1,000 check-ins is accepted by
the simulator, divided by the floor count / workspace rate (1,000 / 50 = 20 s). Checks: the tick did
exactly the 1,000 check-ins (nothing skipped or failed, nothing else due), every channel holds exactly
one check-in post carrying its own outbox key (no duplicates, no losses, no cross-posting), every
check-in row got its message ts written back and every check-in outbox row is `sent`.

    /work/venv/bin/python bench/checkin_fanout.py --launches 200      # quick: floor 4 s
    /work/venv/bin/python bench/checkin_fanout.py                     # 1,000 launches: floor 20 s
"""

from __future__ import annotations

import argparse
import collections
import math
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from common import (
    SIM_BACKLOG,
    FanoutSimHost,
    Remote,
    ShiftedClock,
    clean_environ,
    create_launches,
    fanout_channels,
    fanout_launch_raws,
    golive_env,
    mark_done_before,
    play_until,
    sqlite_url,
    table,
    verdict,
)

T = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday; the check-in minute of every launch
PREFIX = "C8F"  # launch channel ids


def channel_ids(count: int) -> list[str]:
    return fanout_channels(count, PREFIX)


def launch_raws(count: int) -> list[dict]:
    return fanout_launch_raws(channel_ids(count), T)


class SimHost(FanoutSimHost):
    """The simulator (in a child process by default): the launch channels, the CSMs, and summaries."""

    def __init__(self, count: int, sim_backlog: int = SIM_BACKLOG):
        super().__init__(channel_ids(count), sim_backlog)

    def limit(self, channel_rate: float | None, workspace_rate: float | None) -> None:
        self.sim.set_rate_limit(per_channel_per_sec=channel_rate, workspace_per_sec=workspace_rate)


    def summary(self) -> dict:
        """Per launch channel: the outbox keys of its top-level messages; and every chat.postMessage call
        since the last reset (wall time, status, key)."""
        per_channel = {}
        for channel in self.channels:
            per_channel[channel] = [((m.metadata or {}).get("event_payload") or {}).get("key")
                                    for m in self.sim.messages(channel) if not m.is_reply]
        calls = []
        for c in self.sim.calls_to("chat.postMessage"):
            meta = c.params.get("metadata") if isinstance(c.params.get("metadata"), dict) else {}
            calls.append((c.at, c.status, bool((c.response or {}).get("ok")),
                          (meta.get("event_payload") or {}).get("key"), c.params.get("channel")))
        return {"per_channel": per_channel, "calls": calls}



def deliver_all(runtime, clock, max_wait: float) -> object:  # noqa: ANN001
    return runtime.sender.drain(clock, max_wait=max_wait)


def run_tick_command(runtime, clock, max_wait: float) -> tuple[object, object, float]:  # noqa: ANN001
    """`golive tick`'s `Runtime.tick_and_deliver`; returns (tick result, delivery stats, tick seconds), the
    tick timed through a wrapper of `Runtime.tick_once` (instrumentation, not product code)."""
    original, box = runtime.tick_once, {}

    def timed(now=None, **options):  # noqa: ANN001, ANN003, ANN202
        started = time.perf_counter()
        try:
            return original(now, **options)
        finally:
            box["seconds"] = time.perf_counter() - started

    runtime.tick_once = timed
    try:
        result, stats = runtime.tick_and_deliver(T, max_wait=max_wait, clock=clock)
    finally:
        runtime.tick_once = original
    return result, stats, box["seconds"]


def run_worker_mode(runtime, clock, deadline: float, done) -> tuple[object, list[float], float]:  # noqa: ANN001
    """The tick in a thread and deliver_once on a 1-second interval, like Runtime.start_worker's two
    jobs; returns (tick result, durations of the delivery runs, tick seconds)."""
    from bot.runtime import DELIVERY_SECONDS

    box: dict = {}

    def tick() -> None:
        started = time.perf_counter()
        box["result"] = runtime.tick_once(T)
        box["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=tick, name="bench-tick")
    start = time.monotonic()
    thread.start()
    runs: list[float] = []
    while time.monotonic() < deadline:
        began = time.monotonic()
        runtime.deliver_once()
        runs.append(time.monotonic() - began)
        if not thread.is_alive() and done():
            break
        elapsed = time.monotonic() - start
        next_run = start + math.floor(elapsed / DELIVERY_SECONDS + 1) * DELIVERY_SECONDS
        time.sleep(max(0.0, next_run - time.monotonic()))
    thread.join()
    return box["result"], runs, box["seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=1000, help="launches, one channel each (default 1000)")
    parser.add_argument("--channel-rate", type=float, default=1.0, help="per-channel limit, msg/s (default 1)")
    parser.add_argument("--workspace-rate", type=float, default=50.0, help="workspace limit, msg/s (default 50)")
    parser.add_argument("--mode", choices=("drain", "sequential", "worker"), default="drain")
    parser.add_argument("--prior", choices=("mark-done", "tick"), default="mark-done",
                        help="how the work planned before T is dealt with: marked done without running "
                        "(default) or ticked and delivered for real (slower: ~7 posts per launch)")
    parser.add_argument("--max-wait", type=float, default=120.0, help="give up delivering after this many seconds")
    parser.add_argument("--target", type=float, default=1.1, help="time/floor target (default 1.1, issue 13)")
    parser.add_argument("--same-process", action="store_true", help="run the simulator in this process")
    parser.add_argument("--sim-backlog", type=int, default=SIM_BACKLOG,
                        help=f"listen backlog of the simulator (default {SIM_BACKLOG}; 5 is its own default, see "
                        "common.widen_sim_backlog)")
    args = parser.parse_args()
    clean_environ()

    from sqlmodel import col, func, select

    from bot.core.settings import Settings
    from bot.runtime import Runtime
    from storage.models import CheckIn, OutboxMessage, PlannedWork, WorkStatus

    host = Remote(SimHost, args.launches, args.sim_backlog, same_process=args.same_process)
    rows: list[tuple[str, object]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
            env = golive_env(SimpleNamespace(bot_token=host.info["token"], url=host.info["url"]), sqlite_url(tmp))
            clock = ShiftedClock(T - timedelta(days=7))
            runtime = Runtime(Settings.from_env(env), clock=clock)
            db = runtime.db

            started = time.perf_counter()
            ids = create_launches(db, launch_raws(args.launches), now=T - timedelta(days=7))
            rows.append(("launches created (save_launch + replan, one transaction, zone list cached)",
                         f"{len(ids)} in {time.perf_counter() - started:.1f} s"))
            with db.session() as s:
                posted_before = s.exec(select(func.count(CheckIn.id))).one()
                planned = dict(s.exec(select(PlannedWork.kind, func.count(PlannedWork.id))
                                      .group_by(PlannedWork.kind)).all())
            rows.append(("planned rows by kind", ", ".join(f"{k}={v}" for k, v in sorted(planned.items()))))
            if posted_before:
                raise SystemExit("check-ins exist before the tick")

            # Set-up: only the check-ins may be due at T. Either mark the earlier rows done (default) or
            # play the earlier minutes for real and deliver them, without a rate limit.
            started = time.perf_counter()
            if args.prior == "tick":
                prior = play_until(runtime, clock, T, max_wait=args.max_wait)
                rows.append((f"set-up: {prior['ticks']} earlier tick(s) + delivery, unlimited",
                             f"{prior['done']} done, {prior['skipped'] + prior['failed']} skipped/failed, "
                             f"{prior['sent']} delivered, {prior['dead']} dead, "
                             f"{time.perf_counter() - started:.1f} s"))
            else:
                marked = mark_done_before(db, T)
                rows.append(("set-up: earlier rows marked done, not run",
                             ", ".join(f"{k}={v}" for k, v in sorted(marked.items())) or "-"))
            with db.session() as s:
                due_now = dict(s.exec(select(PlannedWork.kind, func.count(PlannedWork.id))
                                      .where(PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at <= T)
                                      .group_by(PlannedWork.kind)).all())
                leftover = s.exec(select(func.count(OutboxMessage.id))
                                  .where(OutboxMessage.status != "sent")).one()
            rows.append(("due at T before the tick", ", ".join(f"{k}={v}" for k, v in sorted(due_now.items()))))
            if leftover:
                raise SystemExit(f"set-up left {leftover} outbox row(s) undelivered")

            # Measured: one tick at T, then delivery under the limits.
            host.call("limit", args.channel_rate, args.workspace_rate)
            host.call("reset")
            checkin_keys = col(OutboxMessage.dedupe_key).like("launch:%:checkin:%")

            def all_sent() -> bool:
                with db.session() as s:
                    return s.exec(select(func.count(OutboxMessage.id))
                                  .where(checkin_keys, OutboxMessage.status == "sent")).one() >= args.launches

            worker_runs: list[float] = []
            wall_start = time.time()
            t0 = time.perf_counter()
            clock.restart(T)
            if args.mode == "drain":
                result, stats, tick_s = run_tick_command(runtime, clock, args.max_wait)
            elif args.mode == "sequential":
                result = runtime.tick_once(T)
                tick_s = time.perf_counter() - t0
                stats = deliver_all(runtime, clock, args.max_wait)
            else:
                result, worker_runs, tick_s = run_worker_mode(runtime, clock, time.monotonic() + args.max_wait,
                                                              all_sent)
                stats = None
            delivered_s = time.perf_counter() - t0
            with db.session() as s:
                checkins = s.exec(select(CheckIn)).all()
                by_status = dict(s.exec(select(OutboxMessage.status, func.count(OutboxMessage.id))
                                        .where(checkin_keys).group_by(OutboxMessage.status)).all())
            runtime.close()
            summary = host.call("summary")
    finally:
        host.close()

    # -- checks -----------------------------------------------------------------------------------
    channels = channel_ids(args.launches)
    key_of = {channel: f"launch:{launch_id}:checkin:1" for channel, launch_id in zip(channels, ids, strict=True)}
    problems = []
    expected_keys = {key_of[c] for c in channels}
    done_keys = set(result.done)
    if done_keys != expected_keys or result.skipped or result.failed:
        problems.append(f"TICK: {len(done_keys & expected_keys)} of {len(expected_keys)} check-ins done, "
                        f"{len(done_keys - expected_keys)} other item(s) done, {len(result.skipped)} skipped, "
                        f"{len(result.failed)} failed")
    per_channel = summary["per_channel"]
    missing = [c for c in channels if per_channel[c].count(key_of[c]) == 0]
    duplicated = [c for c in channels if per_channel[c].count(key_of[c]) > 1]
    stray = [c for c in channels for k in per_channel[c]
             if k and ":checkin:" in k and k != key_of[c]]
    if missing:
        problems.append(f"LOST: {len(missing)} channel(s) without their check-in, e.g. {missing[:3]}")
    if duplicated:
        problems.append(f"DUPLICATES: {len(duplicated)} channel(s) with their check-in more than once")
    if stray:
        problems.append(f"CROSS-POSTED: {len(stray)} check-in(s) in another launch's channel")
    no_ts = [c.id for c in checkins if not c.message_ts]
    if len(checkins) != args.launches or no_ts:
        problems.append(f"DB: {len(checkins)} check-in rows, {len(no_ts)} without a message ts")
    not_sent = {k: v for k, v in by_status.items() if k != "sent"}
    if not_sent or by_status.get("sent", 0) != args.launches:
        problems.append(f"OUTBOX: check-in rows by status {by_status}")

    calls = [c for c in summary["calls"] if c[3] and ":checkin:" in c[3]]
    ok_at = sorted(at for at, status, ok, _, _ in calls if status == 200 and ok)
    limited_at = sorted(at for at, status, *_ in calls if status == 429)
    other_calls = [c for c in summary["calls"] if not (c[3] and ":checkin:" in c[3])]
    last_in = (ok_at[-1] - wall_start) if ok_at else float("nan")
    first_in = (ok_at[0] - wall_start) if ok_at else float("nan")
    floor = args.launches / args.workspace_rate
    ratio = last_in / floor if ok_at else float("inf")

    print(f"check-in fan-out: {args.launches} launches, all due at {T:%Y-%m-%d %H:%M} UTC; limits "
          f"{args.channel_rate:g}/s per channel, {args.workspace_rate:g}/s per workspace; mode {args.mode}; "
          f"simulator in {'this' if args.same_process else 'a child'} process")
    statuses = collections.Counter(status for _, status, *_ in calls)
    rows += [
        ("tick (Runtime.tick_once at T)", f"{tick_s:.2f} s: {len(result.done)} done, {len(result.skipped)} "
                                          f"skipped, {len(result.failed)} failed"),
        ("first check-in accepted after tick start", f"{first_in:.2f} s"),
        ("LAST check-in accepted after tick start", f"{last_in:.2f} s"),
        ("delivery loop returned after", f"{delivered_s:.2f} s"),
        ("floor (launches / workspace rate)", f"{floor:.2f} s"),
        ("achieved rate (check-ins / last accepted)", f"{len(ok_at) / last_in:.1f} msg/s" if ok_at else "-"),
        ("chat.postMessage calls for check-ins", len(calls)),
        ("  accepted (200)", statuses.get(200, 0)),
        ("  rate limited (429)", statuses.get(429, 0)),
        ("  other", len(calls) - statuses.get(200, 0) - statuses.get(429, 0)),
        ("other chat.postMessage calls during the run", len(other_calls)),
        *([("sender stats", f"sent {stats.sent}, rate_limited {stats.rate_limited}, retried {stats.retried}, "
                            f"dead {stats.dead}, deferred {stats.deferred}")] if stats is not None else []),
        *([("deliver_once runs (mean / max s)", f"{len(worker_runs)} ({sum(worker_runs) / len(worker_runs):.2f} / "
                                                 f"{max(worker_runs):.2f})")] if worker_runs else []),
        ("check-in outbox rows by status", ", ".join(f"{k}={v}" for k, v in sorted(by_status.items()))),
        ("channels without their check-in (lost)", len(missing)),
        ("channels with it more than once (dup)", len(duplicated)),
        ("check-ins in another launch's channel", len(stray)),
    ]
    print(table(("measure", "value"), rows))
    if ok_at:
        oks = collections.Counter(int(t - wall_start) for t in ok_at)
        limited = collections.Counter(int(t - wall_start) for t in limited_at)
        seconds = range(0, int(max(ok_at[-1], limited_at[-1] if limited_at else 0) - wall_start) + 1)
        print("per second: accepted / 429  " + "  ".join(f"{s}:{oks.get(s, 0)}/{limited.get(s, 0)}" for s in seconds))
    for problem in problems:
        print(problem)
    print(verdict("checkin_fanout", ratio, args.target, "time to all check-ins / floor"))
    return 0 if ratio <= args.target and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
