"""Go-live morning: 1,000 launches' pinned help posts at 08:55 and check-ins at 09:00, under Slack's tiers.

1,000 launches (distinct channels, the bot a member of each, zones UTC/Berlin/Tokyo/New York) are created
the way `golive launch import` does it (save_launch + replan in one transaction, zone list cached: see
common.create_launches), each with its day-1 check-in at the same UTC minute T (Monday 09:00 UTC). The
plan puts each launch's `help_post` 5 minutes before its first check-in (08:55 UTC): a help message and a
pin of it (`golive.pin`, composed into `pins.add` once the post has its ts; background priority). Work
planned before 08:55 (heads-ups, digests, readiness reminders) is marked done without running
(common.mark_done_before): only the help posts are due at 08:55 and only the check-ins at 09:00.

The simulator is strict (per-method tiers: pins.add Tier 2 = 20/min, and golive's own gateway budgets
pins.add at 20/min too) with chat.postMessage limited per channel (1/s) and per workspace. Slack's
workspace budget for chat.postMessage (the simulator's `post_message_limits=True`) is 300/min = 5/s, so
1,000 check-ins alone have a 200-s floor; to keep a run under ~3 minutes the workspace rate is SCALED
(`--workspace-rate`, default 50/s = 10x Slack's; `--workspace-rate 5` is Slack's own, ~8 min per run).
pins.add keeps its real tier, so pins trickle at ~20/min while posts go 10x faster than at Slack: the
pins' backlog at 09:00 is, if anything, larger relative to the posts than it would be.

Measured, in one of two modes:

* `--mode drain` (default, what `golive tick` does): at 08:55 `Runtime.tick_and_deliver` (the tick with
  delivery beside it, then `Sender.drain`) until the help posts are out plus `--gap` seconds (pins trickle
  meanwhile); then golive's clock jumps to 09:00 and `Runtime.tick_and_deliver(T)` again, until the
  check-ins are out plus `--tail` s. (The drain is stopped from an instrumented `deliver_due` once that is
  reached; its own `--max-wait` bounds it too.)
* `--mode worker` (what `golive run` does): `Runtime.start_worker()` (APScheduler: tick every
  `--tick-seconds`, delivery every second, directory reconcile every minute) with golive's clock at
  08:55; once the help posts are out plus `--gap` s the clock jumps to 09:00 and the worker goes on.
  `--tick-seconds` defaults to 1 (golive's default is 30: up to 30 s between 09:00 and the tick that
  queues the check-ins, which the workspace-rate scaling would blow up into a ratio of its own).

Result: time from 09:00 (the tick start in drain mode; the clock jump in worker mode, so the wait for the
next tick counts) until the simulator accepted the LAST of the 1,000 check-ins, divided by the floor
1,000 / workspace rate (20 s at 50/s), as checkin_fanout.py computes it. Target <= 1.2. The table also
shows the help posts against the same floor, how many pins were done at 09:00, at the last check-in and
at the end, pins.add calls (accepted / 429 from the simulator) and golive's refusals of its own budget
(the sender's rate_limited rows), each `deliver_due` batch (how long it took and what it did), and per
second accepted check-ins / help posts / pins.

Checks: the ticks did exactly the 1,000 help posts and the 1,000 check-ins; every channel holds exactly
one help post and one check-in carrying its own outbox key (no loss, duplicate or cross-posting), every
check-in row has its message ts and every help/check-in outbox row is `sent`; a message is pinned only
if it is its channel's help post, and pinned help posts == pins.add accepted == pin rows `sent`.

    /work/venv/bin/python bench/golive_morning.py --launches 200                # quick: floor 4 s (~30 s)
    /work/venv/bin/python bench/golive_morning.py                               # 1,000 launches: floor 20 s
    /work/venv/bin/python bench/golive_morning.py --mode worker                 # as `golive run` delivers
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from common import (
    FANOUT_CSMS,
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
    sqlite_url,
    table,
    verdict,
)

T = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday: every launch's day-1 check-in minute
HELP_AT = T - timedelta(minutes=5)  # the plan's help_post: 5 minutes before the first check-in
PREFIX = "C8M"  # launch channel ids
CSMS = FANOUT_CSMS
SLACK_WORKSPACE_RATE = 5.0  # chat.postMessage, 300/min per workspace (the simulator's post_message_limits)


def channel_ids(count: int) -> list[str]:
    return fanout_channels(count, PREFIX)


def launch_raws(count: int) -> list[dict]:
    return fanout_launch_raws(channel_ids(count), T)


class SimHost(FanoutSimHost):
    """The strict simulator (in a child process by default): launch channels, CSMs, and summaries."""

    def __init__(self, count: int, sim_backlog: int = SIM_BACKLOG):
        # strict=True (the default): every method has its tier (pins.add 20/min); chat.postMessage's
        # per-channel and workspace limits on (replaced by explicit ones in `limit`).
        super().__init__(channel_ids(count), sim_backlog, support_members=CSMS, strict=True,
                         post_message_limits=True)

    def limit(self, channel_rate: float, workspace_rate: float | None) -> dict:
        """Explicit chat.postMessage buckets (one second's worth of burst), or Slack's defaults
        (post_message_limits: 1/s per channel with a burst of 3, 300/min per workspace) when
        workspace_rate is None. Returns the simulator's limits as it describes them."""
        if workspace_rate is not None:
            self.sim.set_rate_limit(per_channel_per_sec=channel_rate, workspace_per_sec=workspace_rate)
        return self.sim.limits.describe()


    def summary(self) -> dict:
        """Per launch channel: (outbox key, pinned) of its top-level messages; every chat.postMessage and
        pins.add call since the last reset as (wall time, status, ok, key or channel)."""
        per_channel = {}
        for channel in self.channels:
            per_channel[channel] = [(((m.metadata or {}).get("event_payload") or {}).get("key"), m.pinned)
                                    for m in self.sim.messages(channel) if not m.is_reply]
        posts, pins = [], []
        for c in self.sim.calls_to("chat.postMessage"):
            meta = c.params.get("metadata") if isinstance(c.params.get("metadata"), dict) else {}
            posts.append((c.at, c.status, bool((c.response or {}).get("ok")),
                          (meta.get("event_payload") or {}).get("key"), c.params.get("channel")))
        for c in self.sim.calls_to("pins.add"):
            pins.append((c.at, c.status, bool((c.response or {}).get("ok")), (c.response or {}).get("error"),
                         c.params.get("channel")))
        other = collections.Counter(c.method for c in self.sim.calls
                                    if c.method not in ("chat.postMessage", "pins.add"))
        return {"per_channel": per_channel, "posts": posts, "pins": pins, "other": dict(other)}



def progress(what: str) -> None:
    print(f"[golive_morning {time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


class _Stop(Exception):
    """Raised from drain's sleep hook: what this phase waits for is done."""


class Batches:
    """Instrumentation (not product code): wraps the sender's `deliver_due` to record each batch: wall start,
    seconds, and its DeliveryStats counts."""

    def __init__(self, sender):  # noqa: ANN001
        self.rows: list[tuple[float, float, int, int, int, int, int]] = []
        self.stop_when: Callable[[], bool] | None = None  # drain mode: end the drain once this holds
        original = sender.deliver_due
        lock = threading.Lock()

        def deliver_due(now):  # noqa: ANN001, ANN202
            started = time.time()
            stats = original(now)
            with lock:
                self.rows.append((started, time.time() - started, stats.sent, stats.rate_limited, stats.deferred,
                                  stats.retried, stats.dead))
            # Only the drain after the tick is ended here (the delivery beside the tick ends with the tick).
            if self.stop_when is not None and threading.current_thread() is threading.main_thread() \
                    and self.stop_when():
                raise _Stop
            return stats

        sender.deliver_due = deliver_due


class Ticks:
    """Instrumentation (not product code): wraps `Runtime.tick_once` (before `start_worker` binds it) to record
    each tick: wall start, seconds, the instant it ran for, and the keys it did."""

    def __init__(self, runtime):  # noqa: ANN001
        self.rows: list[tuple[float, float, datetime, list[str], int, int]] = []
        original = runtime.tick_once

        def tick_once(now=None, **options):  # noqa: ANN001, ANN003, ANN202
            started = time.time()
            instant = now or runtime.clock()
            result = original(instant, **options)
            self.rows.append((started, time.time() - started, instant, list(result.done), len(result.skipped),
                              len(result.failed)))
            return result

        runtime.tick_once = tick_once


def sequential_until(runtime, batches: Batches, instant: datetime, clock, done: Callable[[], bool], *,  # noqa: ANN001
                     linger: float, max_wait: float) -> None:
    """`--mode sequential`: what `golive tick` did before planning and delivery overlapped: `Runtime.tick_once`,
    then `Sender.drain` (ended as in `tick_until`)."""
    runtime.tick_once(instant)
    batches.stop_when = _linger(done, linger)
    try:
        runtime.sender.drain(clock, max_wait=max_wait)
    except _Stop:
        pass
    finally:
        batches.stop_when = None


def _linger(done: Callable[[], bool], linger: float) -> Callable[[], bool]:
    marks: dict[str, float] = {}

    def stop() -> bool:
        if "done" not in marks and done():
            marks["done"] = time.monotonic()
        return "done" in marks and time.monotonic() - marks["done"] >= linger

    return stop


def tick_until(runtime, batches: Batches, instant: datetime, clock, done: Callable[[], bool], *,  # noqa: ANN001
               linger: float, max_wait: float) -> None:
    """What `golive tick` does (`Runtime.tick_and_deliver`: the tick at `instant` with delivery beside it, then
    `Sender.drain`), the drain ended once `done()` has held for `linger` seconds (checked after each
    `deliver_due` batch: drain keeps delivering while pins are being put back, so its sleep is no place to
    look), or by drain's own `max_wait`."""
    batches.stop_when = _linger(done, linger)
    try:
        runtime.tick_and_deliver(instant, max_wait=max_wait, clock=clock)
    except _Stop:
        pass
    finally:
        batches.stop_when = None


class SkippedRuns(logging.Handler):
    """Counts APScheduler's "skipped: maximum number of running instances reached" warnings per job id (a
    tick or delivery run that came due while the previous one was still running), instead of printing them."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[str] = collections.Counter()
        scheduler_log = logging.getLogger("apscheduler.scheduler")
        scheduler_log.addHandler(self)
        scheduler_log.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        if "maximum number of running instances" in str(record.msg):
            job = record.args[0] if isinstance(record.args, tuple) and record.args else None
            self.counts[getattr(job, "id", "?")] += 1


def wait_until(done: Callable[[], bool], *, linger: float, deadline: float, poll: float = 0.2) -> bool:
    """Poll `done()` (the worker delivers meanwhile); True once it has held for `linger` seconds."""
    reached = None
    while time.monotonic() < deadline:
        if done():
            reached = reached or time.monotonic()
            if time.monotonic() - reached >= linger:
                return True
        time.sleep(poll)
    return reached is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=1000, help="launches, one channel each (default 1000)")
    parser.add_argument("--channel-rate", type=float, default=1.0,
                        help="chat.postMessage per channel, msg/s (default 1)")
    parser.add_argument("--workspace-rate", type=float, default=50.0,
                        help="chat.postMessage per workspace, msg/s (default 50: Slack's 300/min scaled 10x to keep "
                        "the run short; 5 is Slack's own; 0 keeps the simulator's post_message_limits defaults)")
    parser.add_argument("--mode", choices=("drain", "sequential", "worker"), default="drain",
                        help="drain: golive tick (tick with delivery beside it, then drain); sequential: the "
                             "tick, then the drain (golive tick before issue 13); worker: golive run")
    parser.add_argument("--gap", type=float, default=5.0,
                        help="seconds the help-post phase goes on after the last help post, before 09:00 (default 5)")
    parser.add_argument("--tail", type=float, default=5.0,
                        help="seconds the run goes on after the last check-in (pins trickling; default 5)")
    parser.add_argument("--tick-seconds", type=float, default=1.0, help="worker mode: GOLIVE_TICK_SECONDS (default 1)")
    parser.add_argument("--max-wait", type=float, default=None,
                        help="give up a phase after this many seconds (default 3 x floor + 60)")
    parser.add_argument("--target", type=float, default=1.1, help="time/floor target (default 1.1, issue 13)")
    parser.add_argument("--experiment", choices=("none", "no-pins"), default="none",
                        help="no-pins: at 09:00 set every pin row still pending to `dead` (a control run without "
                        "the pins' backlog; not what golive does)")
    parser.add_argument("--same-process", action="store_true", help="run the simulator in this process")
    parser.add_argument("--sim-backlog", type=int, default=SIM_BACKLOG,
                        help=f"listen backlog of the simulator (default {SIM_BACKLOG}; see common.widen_sim_backlog)")
    args = parser.parse_args()
    clean_environ()

    from sqlalchemy import update
    from sqlmodel import col, func, select

    from bot.core.settings import Settings
    from bot.runtime import Runtime
    from storage.models import CheckIn, OutboxMessage, PlannedWork, WorkStatus

    workspace_rate = args.workspace_rate or SLACK_WORKSPACE_RATE
    n = args.launches
    if args.max_wait is None:
        args.max_wait = 3 * n / workspace_rate + 60
    host = Remote(SimHost, n, args.sim_backlog, same_process=args.same_process)
    rows: list[tuple[str, object]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
            env = golive_env(SimpleNamespace(bot_token=host.info["token"], url=host.info["url"]), sqlite_url(tmp))
            env["GOLIVE_TICK_SECONDS"] = str(args.tick_seconds)
            clock = ShiftedClock(T - timedelta(days=7))
            runtime = Runtime(Settings.from_env(env), clock=clock)
            db = runtime.db

            started = time.perf_counter()
            ids = create_launches(db, launch_raws(n), now=T - timedelta(days=7))
            rows.append(("launches created (save_launch + replan, one transaction, zone list cached)",
                         f"{len(ids)} in {time.perf_counter() - started:.1f} s"))
            marked = mark_done_before(db, HELP_AT)
            rows.append(("set-up: rows due before 08:55 marked done, not run",
                         ", ".join(f"{k}={v}" for k, v in sorted(marked.items())) or "-"))
            with db.session() as s:
                due = dict(s.exec(select(PlannedWork.kind, func.count(PlannedWork.id))
                                  .where(PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at <= T)
                                  .group_by(PlannedWork.kind)).all())
                due_help = s.exec(select(func.count(PlannedWork.id)).where(
                    PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at == HELP_AT)).one()
            rows.append(("due by 09:00 before the first tick", ", ".join(f"{k}={v}" for k, v in sorted(due.items()))))
            if due != {"help_post": n, "checkin": n} or due_help != n:
                raise SystemExit(f"expected {n} help posts at 08:55 and {n} check-ins at 09:00 pending, found {due}")

            limits = host.call("limit", args.channel_rate, args.workspace_rate or None)
            host.call("reset")
            help_keys = col(OutboxMessage.dedupe_key).like("launch:%:help")
            pin_keys = col(OutboxMessage.dedupe_key).like("launch:%:help:pin")
            checkin_keys = col(OutboxMessage.dedupe_key).like("launch:%:checkin:%")

            def sent(keys) -> int:  # noqa: ANN001
                with db.session() as s:
                    return s.exec(select(func.count(OutboxMessage.id))
                                  .where(keys, OutboxMessage.status == "sent")).one()

            skipped = SkippedRuns()
            batches = Batches(runtime.sender)
            ticks = Ticks(runtime)
            marks: dict[str, float] = {}
            pins_sent_at: dict[str, int] = {}

            # Phase 1, 08:55: the help posts (and their pins) go out.
            progress("08:55: help posts")
            clock.restart(HELP_AT)
            marks["help"] = time.time()
            help_done = lambda: sent(help_keys) >= n  # noqa: E731
            if args.mode in ("drain", "sequential"):
                ticks_before = len(ticks.rows)
                until = tick_until if args.mode == "drain" else sequential_until
                until(runtime, batches, HELP_AT, clock, help_done, linger=args.gap, max_wait=args.max_wait)
                if len(ticks.rows) != ticks_before + 1:
                    raise SystemExit("the 08:55 tick did not run")
            else:
                runtime.start_worker()
                wait_until(help_done, linger=args.gap, deadline=time.monotonic() + args.max_wait)
            pins_sent_at["09:00"] = sent(pin_keys)

            # Phase 2, 09:00: the check-ins.
            progress("09:00: check-ins")
            dropped_pins = 0
            if args.experiment == "no-pins":
                with db.session() as s:
                    dropped_pins = s.execute(update(OutboxMessage).where(pin_keys, OutboxMessage.status == "pending")
                                             .values(status="dead", last_error="bench: no-pins experiment")
                                             .execution_options(synchronize_session=False)).rowcount
            marks["checkin"] = time.time()
            clock.restart(T)
            checkins_done = lambda: sent(checkin_keys) >= n  # noqa: E731
            if args.mode in ("drain", "sequential"):
                until(runtime, batches, T, clock, checkins_done, linger=args.tail, max_wait=args.max_wait)
            else:
                wait_until(checkins_done, linger=args.tail, deadline=time.monotonic() + args.max_wait)
            marks["end"] = time.time()
            progress("done")
            pins_sent_at["end"] = sent(pin_keys)
            runtime.close()  # stops the worker (waits for a delivery in flight)
            marks["closed"] = time.time()
            with db.session() as s:
                checkins = s.exec(select(CheckIn)).all()
                by_status = {}
                for name, keys in (("help", help_keys), ("pin", pin_keys), ("checkin", checkin_keys)):
                    by_status[name] = dict(s.exec(select(OutboxMessage.status, func.count(OutboxMessage.id))
                                                  .where(keys).group_by(OutboxMessage.status)).all())
                others = dict(s.exec(select(OutboxMessage.method, func.count(OutboxMessage.id))
                                     .where(~help_keys, ~pin_keys, ~checkin_keys)
                                     .group_by(OutboxMessage.method)).all())
            summary = host.call("summary")
    finally:
        host.close()

    # -- what the ticks did ----------------------------------------------------------------------------
    channels = channel_ids(n)
    help_of = {c: f"launch:{i}:help" for c, i in zip(channels, ids, strict=True)}
    checkin_of = {c: f"launch:{i}:checkin:1" for c, i in zip(channels, ids, strict=True)}
    done_help = {k for r in ticks.rows for k in r[3] if k.endswith(":help_post")}
    done_checkin = {k for r in ticks.rows for k in r[3] if ":checkin:" in k}
    done_other = [k for r in ticks.rows for k in r[3] if not (k.endswith(":help_post") or ":checkin:" in k)]
    skipped_failed = sum(r[4] + r[5] for r in ticks.rows)
    checkin_ticks = [r for r in ticks.rows if any(":checkin:" in k for k in r[3])]

    problems = []
    if len(done_help) != n or len(done_checkin) != n or done_other or skipped_failed:
        problems.append(f"TICKS: {len(done_help)} help posts and {len(done_checkin)} check-ins done of {n} each, "
                        f"{len(done_other)} other item(s), {skipped_failed} skipped/failed")
    per_channel = summary["per_channel"]
    for what, key_of in (("help post", help_of), ("check-in", checkin_of)):
        missing = [c for c in channels if [k for k, _ in per_channel[c]].count(key_of[c]) == 0]
        dup = [c for c in channels if [k for k, _ in per_channel[c]].count(key_of[c]) > 1]
        if missing:
            problems.append(f"LOST: {len(missing)} channel(s) without their {what}, e.g. {missing[:3]}")
        if dup:
            problems.append(f"DUPLICATES: {len(dup)} channel(s) with their {what} more than once")
    stray = [c for c in channels for k, _ in per_channel[c] if k and k not in (help_of[c], checkin_of[c])]
    if stray:
        problems.append(f"CROSS-POSTED/STRAY: {len(stray)} message(s) in a launch channel that are not its own "
                        f"help post or check-in")
    wrong_pins = [c for c in channels for k, pinned in per_channel[c] if pinned and k != help_of[c]]
    pinned_help = sum(1 for c in channels for k, pinned in per_channel[c] if pinned and k == help_of[c])
    if wrong_pins:
        problems.append(f"PINS: {len(wrong_pins)} pinned message(s) that are not their channel's help post")
    no_ts = [c.id for c in checkins if not c.message_ts]
    if len(checkins) != n or no_ts:
        problems.append(f"DB: {len(checkins)} check-in rows, {len(no_ts)} without a message ts")
    for name in ("help", "checkin"):
        if by_status[name] != {"sent": n}:
            problems.append(f"OUTBOX: {name} rows by status {by_status[name]}")

    # -- timings ----------------------------------------------------------------------------------------
    posts = summary["posts"]
    ok_help = sorted(at for at, status, ok, key, _ in posts if ok and key and key.endswith(":help"))
    ok_checkin = sorted(at for at, status, ok, key, _ in posts if ok and key and ":checkin:" in key)
    limited_posts = sorted(at for at, status, *_ in posts if status == 429)
    other_posts = [p for p in posts if not (p[3] and (p[3].endswith(":help") or ":checkin:" in p[3]))]
    pins = summary["pins"]
    ok_pins = sorted(at for at, status, ok, *_ in pins if ok)
    pins_429 = sum(1 for _, status, *_ in pins if status == 429)
    pins_failed = collections.Counter(err for _, status, ok, err, _ in pins if not ok and status != 429)
    # (a retried pin Slack already had answers already_pinned: the sender counts it as done)
    if pinned_help != len(ok_pins) or by_status["pin"].get("sent", 0) != len(ok_pins) + pins_failed.get(
            "already_pinned", 0):
        problems.append(f"PINS: {pinned_help} pinned help posts, {len(ok_pins)} pins.add accepted, pin rows "
                        f"{by_status['pin']}")

    floor = n / workspace_rate
    t_help, t_checkin = marks["help"], marks["checkin"]
    last_help = (ok_help[-1] - t_help) if ok_help else float("nan")
    first_checkin = (ok_checkin[0] - t_checkin) if ok_checkin else float("nan")
    last_checkin_at = ok_checkin[-1] if ok_checkin else None
    last_checkin = (last_checkin_at - t_checkin) if ok_checkin else float("nan")
    ratio = last_checkin / floor if len(ok_checkin) >= n else float("inf")
    pins_in_checkins = sum(1 for at in ok_pins if t_checkin <= at <= (last_checkin_at or t_checkin))
    tick_start = checkin_ticks[0][0] - t_checkin if checkin_ticks else float("nan")

    scaled = f"{workspace_rate:g}/s = {workspace_rate / SLACK_WORKSPACE_RATE:g}x Slack's 300/min" \
        if args.workspace_rate else "Slack's 300/min (post_message_limits defaults, burst 300)"
    print(f"go-live morning: {n} launches, help posts + pins due 08:55, check-ins due 09:00 UTC; mode {args.mode}"
          f"{f' (tick every {args.tick_seconds:g} s)' if args.mode == 'worker' else ''}; simulator strict (pins.add "
          f"{limits['methods'].get('pins.add')}/min), chat.postMessage {args.channel_rate:g}/s per channel and "
          f"{scaled} per workspace: WORKSPACE RATE SCALED to keep the run short (see --workspace-rate); "
          f"simulator in {'this' if args.same_process else 'a child'} process")
    rows += [
        ("08:55 help posts: LAST accepted after the phase start",
         f"{last_help:.2f} s ({last_help / floor:.2f}x floor)"),
        ("pins done by 09:00 (phase 1 ran until help posts + gap)",
         f"{pins_sent_at['09:00']} of {n} (after {t_checkin - t_help:.1f} s)"),
        ("09:00 tick started after the clock reached 09:00", f"{tick_start:.2f} s" + (
            f" (tick {checkin_ticks[0][1]:.2f} s)" if checkin_ticks else "")),
        ("first check-in accepted after 09:00", f"{first_checkin:.2f} s"),
        ("LAST check-in accepted after 09:00", f"{last_checkin:.2f} s"),
        ("  of which from the first to the last check-in", f"{last_checkin - first_checkin:.2f} s "
                                                           f"({(last_checkin - first_checkin) / floor:.2f}x floor)"),
        ("floor (launches / workspace rate)", f"{floor:.2f} s"),
        ("achieved check-in rate", f"{len(ok_checkin) / last_checkin:.1f} msg/s" if ok_checkin else "-"),
        ("pins accepted between 09:00 and the last check-in", pins_in_checkins),
        ("pins done at the end of the run", f"{pins_sent_at['end']} of {n} ({marks['end'] - t_checkin:.1f} s after "
                                            f"09:00; the rest are pending, background)"),
        ("pin rows by status at the end", ", ".join(f"{k}={v}" for k, v in sorted(by_status["pin"].items()))),
        ("pins.add calls: accepted / 429 from Slack / other errors",
         f"{len(ok_pins)} / {pins_429} / {sum(pins_failed.values())} {dict(pins_failed) or ''}".rstrip()),
        ("chat.postMessage calls: accepted / 429", f"{sum(1 for p in posts if p[2])} / {len(limited_posts)}"),
        ("other chat.postMessage calls (not help/check-in)", len(other_posts)),
        ("other Slack calls", ", ".join(f"{k}={v}" for k, v in sorted(summary["other"].items())) or "-"),
        ("other outbox rows (by method)", ", ".join(f"{k}={v}" for k, v in sorted(others.items())) or "-"),
        ("help / check-in rows by status", f"{by_status['help']} / {by_status['checkin']}"),
        ("check-in rows with a message ts", f"{len(checkins) - len(no_ts)} of {len(checkins)}"),
        ("worker stopped (runtime.close) after", f"{marks['closed'] - marks['end']:.2f} s"),
        *([("APScheduler runs skipped (previous run still going)",
            ", ".join(f"{k}={v}" for k, v in sorted(skipped.counts.items())) or "0")] if args.mode == "worker" else []),
        *([("EXPERIMENT no-pins: pending pin rows set dead at 09:00", dropped_pins)]
          if args.experiment == "no-pins" else []),
    ]
    print(table(("measure", "value"), rows))

    # deliver_due batches: phase, count, time, what they did.
    def batch_rows(lo: float, hi: float) -> list:
        chosen = [b for b in batches.rows if lo <= b[0] < hi]
        if not chosen:
            return [0, 0.0, 0.0, 0, 0, 0]
        return [len(chosen), sum(b[1] for b in chosen), max(b[1] for b in chosen), sum(b[2] for b in chosen),
                sum(b[3] for b in chosen), sum(b[4] for b in chosen)]

    last = last_checkin_at or marks["end"]
    print("\ndeliver_due batches (instrumented): rate_limited = rows put back without a call or after a 429 "
          "(pins refused by golive's own pins.add budget count here)")
    print(table(("phase", "batches", "total s", "longest s", "sent", "rate_limited", "deferred"), [
        ("08:55 until 09:00", *batch_rows(t_help, t_checkin)),
        ("09:00 until last check-in", *batch_rows(t_checkin, last)),
        ("after the last check-in", *batch_rows(last, float("inf"))),
    ]))
    long_batches = sorted((b for b in batches.rows if t_checkin <= b[0] < last), key=lambda b: -b[1])[:5]
    if long_batches:
        print("longest batches between 09:00 and the last check-in (start after 09:00 s: seconds, sent/"
              "rate_limited/deferred): " + "; ".join(f"{b[0] - t_checkin:.1f}: {b[1]:.2f} s, {b[2]}/{b[3]}/{b[4]}"
                                                      for b in long_batches))

    def per_second(origin: float, until: float) -> str:
        series = {name: collections.Counter(int(at - origin) for at in times if origin <= at)
                  for name, times in (("c", ok_checkin), ("h", ok_help), ("p", ok_pins), ("r", limited_posts))}
        out = []
        for s in range(0, int(until - origin) + 1):
            parts = [f"{k}{series[k].get(s, 0)}" for k in ("h", "c", "p", "r") if series[k].get(s, 0)]
            out.append(f"{s}:{','.join(parts) or '-'}")
        return "  ".join(out)

    print("\nper second after 08:55 (h help posts, c check-ins, p pins accepted, r posts refused with 429):")
    print(per_second(t_help, t_checkin - 0.001))
    print("per second after 09:00:")
    print(per_second(t_checkin, marks["end"]))
    for problem in problems:
        print(problem)
    print(verdict("golive_morning", ratio, args.target, "time to all check-ins / floor"))
    return 0 if ratio <= args.target and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
