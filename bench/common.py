"""Helpers shared by the benchmarks: a clean environment, a simulated workspace, percentiles, tables.

The machine the benchmarks run on is small and shared, so every benchmark measures a baseline in
the same run and reports a ratio; absolute numbers are printed for context only.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from anywhere
    sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret-0123456789"
VENDOR = "T0VENDOR"
CSM = "U0CSM"
LAUNCH_CHANNEL = "C0ACME"


def clean_environ() -> None:
    """Bolt and golive fall back to SLACK_* / GOLIVE_* variables: a benchmark must never see real ones."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "GOLIVE_")):
            del os.environ[name]


def child_environ(extra: dict[str, str]) -> dict[str, str]:
    """os.environ without SLACK_* / GOLIVE_*, plus `extra`: for golive subprocesses."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOLIVE_"))}
    env.update(extra)
    return env


def populate(sim) -> None:  # noqa: ANN001 - bot.devkit.simulator.SlackSimulator
    """The few people and channels every benchmark needs."""
    sim.add_user(CSM, "carla.csm", email="carla@vendor.test")
    sim.add_user("U0ADMIN", "ada.admin", email="ada@vendor.test")
    sim.add_channel(LAUNCH_CHANNEL, "acme-golive", members=[CSM])


def golive_env(sim, database_url: str, *, port: int | None = None) -> dict[str, str]:  # noqa: ANN001
    env = {
        "SLACK_BOT_TOKEN": sim.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": sim.url,
        "GOLIVE_DATABASE_URL": database_url,
        "GOLIVE_ADMINS": "U0ADMIN",
        "GOLIVE_TEAM_ID": VENDOR,
    }
    if port is not None:
        env["GOLIVE_PORT"] = str(port)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def golive_command() -> list[str]:
    """The installed `golive` console script next to this interpreter, or `python -m bot.cli.main`."""
    exe = Path(sys.executable).with_name("golive")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli.main"]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain fixed-width table (numbers right-aligned)."""
    text_rows = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) if text_rows else len(h) for i, h in enumerate(headers)]
    numeric = [bool(text_rows) and all(_numeric(r[i]) for r in text_rows) for i in range(len(headers))]
    lines = ["  ".join(h.rjust(w) if n else h.ljust(w) for h, w, n in zip(headers, widths, numeric, strict=True)),
             "  ".join("-" * w for w in widths)]
    for row in text_rows:
        lines.append("  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric, strict=True)))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _numeric(text: str) -> bool:
    try:
        float(text.rstrip("x%"))
    except ValueError:
        return False
    return True


def verdict(name: str, ratio: float, target: float, what: str) -> str:
    """The final line every benchmark prints."""
    status = "PASS" if ratio <= target else "FAIL"
    return f"RESULT {name}: {what} ratio {ratio:.2f} (target <= {target:.2f}) {status}"


# -- shared by checkin_fanout, answer_clicks, issue_intake and sla_tick -----------------------------

CUSTOMER_TEAM = "T0CUSTOMER"


def sqlite_url(directory: str | Path, name: str = "golive.db") -> str:
    return f"sqlite:///{Path(directory) / name}"


class ShiftedClock:
    """Reads `base` when (re)started, then advances in real time: golive's clock for a benchmark that
    plays a fixed instant (a check-in minute) without waiting for it."""

    def __init__(self, base: datetime):
        self.restart(base)

    def restart(self, base: datetime | None = None) -> None:
        if base is not None:
            self.base = base
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self.base + timedelta(seconds=time.monotonic() - self._started)


@contextmanager
def cached_zone_listing() -> Iterator[None]:
    """SET-UP SHORTCUT (not product code): while inside, `bot.core.clock.parse_zone` checks names against a
    zone list read once instead of `zoneinfo.available_timezones()` on every call (~12 ms each: it
    walks the whole tz database on disk; save_launch + replan call it about ten times per launch).
    Same answers, only faster; used around launch creation, never around what a benchmark measures."""
    import functools

    import bot.core.clock

    original = bot.core.clock.available_timezones
    bot.core.clock.available_timezones = functools.cache(original)
    try:
        yield
    finally:
        bot.core.clock.available_timezones = original


def create_launches(db, raws: Sequence[dict], now: datetime, *,  # noqa: ANN001 - storage.db.Database
                    cache_zones: bool = True) -> list[int]:
    """`bot.features.launches.service.save_launch` + `schedules.plan.replan` for each raw launch, all in one transaction
    (what `golive launch import` does); returns the launch ids in order. With `cache_zones` (default)
    inside `cached_zone_listing()`."""
    from bot.features.launches.service import LaunchInput
    from bot.flows.launches import save_launch
    from bot.flows.planning import replan

    ids = []
    with cached_zone_listing() if cache_zones else nullcontext(), db.session() as s:
        for raw in raws:
            launch, _ = save_launch(s, LaunchInput.parse(raw), now=now)
            replan(s, launch, now=now)
            ids.append(launch.id)
    return ids


def mark_done_before(db, instant: datetime) -> dict[str, int]:  # noqa: ANN001 - storage.db.Database
    """Mark every pending planned row due before `instant` done (note "bench: marked done"), without
    running it: the quick way to leave only the work due at `instant` pending. Returns counts by kind."""
    from sqlalchemy import func, update
    from sqlmodel import select

    from storage.models import PlannedWork, WorkStatus

    earlier = (PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at < instant)
    with db.session() as s:
        counts = dict(s.exec(select(PlannedWork.kind, func.count(PlannedWork.id)).where(*earlier)
                             .group_by(PlannedWork.kind)).all())
        s.execute(update(PlannedWork).where(*earlier)
                  .values(status=WorkStatus.DONE, finished_at=instant, note="bench: marked done")
                  .execution_options(synchronize_session=False))
    return counts


class Remote:
    """An object built by `factory(*args)` in a spawned child process (or, with `same_process`, in this
    one), driven by method name: `remote.call("deliver", ...)`. The object needs `info()` (sent back
    once it is built, as `remote.info`) and `stop()`. Keeps a simulator or web servers off the GIL of
    the process that generates load or measures."""

    def __init__(self, factory, *args, same_process: bool = False, start_timeout: float = 300.0):  # noqa: ANN001
        self._obj = None
        self._proc = None
        if same_process:
            self._obj = factory(*args)
            self.info = self._obj.info()
            return
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(target=_remote_main, args=(child_conn, factory, args), daemon=True)
        self._proc.start()
        if not self._conn.poll(start_timeout):
            self._proc.kill()
            raise SystemExit(f"the child process did not start within {start_timeout:.0f} s")
        status, value = self._conn.recv()
        if status != "ok":
            raise SystemExit(f"the child process failed to start:\n{value}")
        self.info = value

    def call(self, name: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if self._proc is None:
            return getattr(self._obj, name)(*args, **kwargs)
        self._conn.send((name, args, kwargs))
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"{name} failed in the child process:\n{value}")
        return value

    def close(self) -> None:
        if self._proc is None:
            if self._obj is not None:
                self._obj.stop()
                self._obj = None
            return
        try:
            self._conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self._proc.join(timeout=30)
        if self._proc.is_alive():
            self._proc.kill()
        self._proc = None


def _remote_main(conn, factory, args) -> None:  # noqa: ANN001
    import traceback

    clean_environ()
    try:
        obj = factory(*args)
        conn.send(("ok", obj.info()))
    except BaseException:  # noqa: BLE001 - reported to the parent
        conn.send(("error", traceback.format_exc()))
        return
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                break
            if message is None:
                break
            name, a, kw = message
            try:
                conn.send(("ok", getattr(obj, name)(*a, **kw)))
            except Exception:  # noqa: BLE001 - reported to the parent
                conn.send(("error", traceback.format_exc()))
    finally:
        obj.stop()


def bare_bolt_app(bot_token: str, api_url: str, events: Sequence[str] = ()):  # noqa: ANN201
    """ack_latency.py's baseline: a bare Bolt app with golive's signing secret and
    `process_before_response=True`, whose listeners only ack (`/golive` and any block action; and the
    Events API event types in `events`, e.g. "app_home_opened", which Bolt would otherwise answer 404)."""
    import re

    from slack_bolt import App
    from slack_sdk import WebClient

    bare = App(
        client=WebClient(token=bot_token, base_url=api_url),
        signing_secret=SECRET,
        token_verification_enabled=False,
        process_before_response=True,
    )

    @bare.command("/golive")
    def ack_only(ack):  # noqa: ANN001, ANN202
        ack()

    @bare.action(re.compile(".*"))
    def ack_action(ack):  # noqa: ANN001, ANN202
        ack()

    for event_type in events:
        @bare.event(event_type)
        def ack_event(ack):  # noqa: ANN001, ANN202
            ack()

    return bare


def serve_pair(runtime, sim, events: Sequence[str] = ()):  # noqa: ANN001, ANN201
    """golive's web server (`runtime.web(port=0)`) and the bare-Bolt baseline behind the same web layer
    (`bot.slack.web.create_web` + `WebServer`, sharing golive's database object: only the Bolt app differs).
    `events`: Events API types the baseline acks too (see bare_bolt_app)."""
    from bot.slack.web import WebServer, create_web

    golive_server = runtime.web(host="127.0.0.1", port=0).start_in_thread()
    baseline = create_web(bare_bolt_app(sim.bot_token, sim.url, events), runtime.db, signing_secret=SECRET)
    baseline_server = WebServer(baseline, "127.0.0.1", 0).start_in_thread()
    return golive_server, baseline_server


@dataclass
class LoadRun:
    """One load run: client-side latencies (s), wall time, failed requests and, per request,
    (job, HTTP status, body) for the correctness checks."""

    latencies: list[float]
    wall: float
    errors: int
    results: list[tuple[Any, int, str]]
    timed: list[tuple[Any, float]] = field(default_factory=list)  # (job, latency) of each answered request
    server_cpu: float | None = None  # CPU seconds the serving process spent during the run (when measured)

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


def signed_load(url: str, response_url_base: str, per_client: Sequence[Sequence[Any]],
                send: Callable[[Any, Any], Any], *, team_id: str = VENDOR, rate: float | None = None,
                paced: dict[int, float] | None = None, until_closed_done: bool = False) -> LoadRun:
    """One thread per job list, each with its own `SlackRequestSender`; `send(sender, job)` makes one
    signed request and returns its SlackHTTPResult. Latency is measured around each call.

    Without `rate` every client sends its next request as soon as the last is answered (closed loop:
    at saturation, latency is mostly queueing, about clients / throughput). With `rate` (requests per
    second, all clients together) each client sends on a fixed schedule, evenly staggered, so requests
    arrive at that rate whatever the answers do (as Slack's do); a request whose slot has passed is sent
    at once, and its latency counts from its slot (no coordinated omission).

    `paced` ({client index: requests/s}) paces only those clients, each on its own schedule, the others
    following `rate` as above; with `until_closed_done` a paced client stops once every other client has
    sent its list (so a paced side load, e.g. one App Home opened per second, lasts as long as the main
    load; its unsent jobs are simply not sent)."""
    from bot.devkit.slack_requests import SlackRequestSender

    clients = len(per_client)
    paced = paced or {}
    interval = clients / rate if rate else 0.0
    main_left = [sum(1 for i in range(clients) if i not in paced)]
    main_lock = threading.Lock()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    timed: list[list[tuple[Any, float]]] = [[] for _ in range(clients)]
    results: list[list[tuple[Any, int, str]]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        sender = SlackRequestSender(url, SECRET, team_id=team_id, response_url_base=response_url_base)
        out, done = latencies[i], results[i]
        step = 1.0 / paced[i] if i in paced else interval
        barrier.wait()
        origin = time.perf_counter() + (0.0 if i in paced else interval * i / clients)
        for n, job in enumerate(per_client[i]):
            if i in paced and until_closed_done and main_left[0] == 0:
                break
            started = time.perf_counter()
            if step:
                slot = origin + n * step
                if slot > started:
                    time.sleep(slot - started)
                started = slot
                if i in paced and until_closed_done and main_left[0] == 0:
                    break
            try:
                result = send(sender, job)
            except OSError as exc:
                errors[i] += 1
                done.append((job, 0, f"{type(exc).__name__}: {exc}"))
                continue
            out.append(time.perf_counter() - started)
            timed[i].append((job, out[-1]))
            done.append((job, result.status, result.body_text))
            if result.status != 200:
                errors[i] += 1
        if i not in paced:
            with main_lock:
                main_left[0] -= 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return LoadRun([x for chunk in latencies for x in chunk], wall, sum(errors),
                   [r for chunk in results for r in chunk], [t for chunk in timed for t in chunk])


def split_runs(per_client: Sequence[Sequence[Any]], runs: int) -> list[list[list[Any]]]:
    """Cut every client's job list into `runs` consecutive pieces: run r gets piece r of each list (so
    each client's jobs keep their order across runs)."""
    out: list[list[list[Any]]] = [[] for _ in range(runs)]
    for jobs in per_client:
        size, extra = divmod(len(jobs), runs)
        start = 0
        for r in range(runs):
            end = start + size + (1 if r < extra else 0)
            out[r].append(list(jobs[start:end]))
            start = end
    return out


def ack_comparison(runs: dict[str, list[LoadRun]], *, golive: str = "golive", baseline: str = "baseline") -> float:
    """Print ack_latency.py's tables (per run, then the median over runs) for interleaved runs of two
    apps; returns the headline ratio median(golive p99) / median(baseline p99)."""
    ms = 1000.0
    count = len(runs[golive])
    rows = []
    for i in range(count):
        for name in (golive, baseline):
            r = runs[name][i]
            rows.append((i + 1, name, len(r.latencies), r.errors, r.p(50) * ms, r.p(95) * ms, r.p(99) * ms,
                         max(r.latencies) * ms, len(r.latencies) / r.wall))
    print(table(("run", "app", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s"), rows))
    print()
    summary = {}
    rows = []
    for name in (golive, baseline):
        rs = runs[name]
        summary[name] = {q: median(r.p(q) for r in rs) for q in (50, 95, 99)}
        pooled = [x for r in rs for x in r.latencies]
        rows.append((name, len(pooled), sum(r.errors for r in rs), summary[name][50] * ms, summary[name][95] * ms,
                     summary[name][99] * ms, percentile(pooled, 99) * ms,
                     median(len(r.latencies) / r.wall for r in rs)))
    print("median over runs:")
    print(table(("app", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "pooled p99 ms", "req/s"), rows))
    ratios = {q: summary[golive][q] / summary[baseline][q] for q in (50, 95, 99)}
    pair = median(runs[golive][i].p(99) / runs[baseline][i].p(99) for i in range(count))
    pooled_ratio = (percentile([x for r in runs[golive] for x in r.latencies], 99)
                    / percentile([x for r in runs[baseline] for x in r.latencies], 99))
    print(f"golive/baseline: p50 {ratios[50]:.2f}x, p95 {ratios[95]:.2f}x, p99 {ratios[99]:.2f}x "
          f"(median of per-run p99 ratios {pair:.2f}x, pooled p99 ratio {pooled_ratio:.2f}x)")
    if all(r.server_cpu is not None for name in (golive, baseline) for r in runs[name]):
        # Less sensitive to a shared machine's load than latency: what each request costs the server.
        cpu = {name: median(r.server_cpu / max(1, len(r.latencies)) for r in runs[name]) * ms
               for name in (golive, baseline)}
        print(f"server CPU per request: golive {cpu[golive]:.2f} ms, baseline {cpu[baseline]:.2f} ms "
              f"(ratio {cpu[golive] / cpu[baseline]:.2f}x)")
    return ratios[99]


def measured(load: Callable[[], LoadRun], cpu: Callable[[], float]) -> LoadRun:
    """`load()` with the serving process's CPU time over it (`cpu`: e.g. a Remote call of time.process_time)."""
    before = cpu()
    run = load()
    run.server_cpu = cpu() - before
    return run


COMMIT_MODES = ("default", "grouped", "each")


def add_database_options(parser) -> None:  # noqa: ANN001 - argparse.ArgumentParser
    """--postgres, --commit and --synchronous: the database golive's server writes to, and how."""
    parser.add_argument("--postgres", action="store_true",
                        help="golive on a throwaway PostgreSQL 15 cluster (tests/pg_cluster.py) instead of SQLite")
    parser.add_argument("--commit", choices=COMMIT_MODES, default="default",
                        help="grouped: concurrent requests share a commit (storage.commits; golive's default on "
                        "SQLite); each: one transaction per request (on SQLite queued on a process lock, as golive "
                        "did before group commit; golive's default on PostgreSQL); default: golive's choice")
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full",
                        help="SQLite's synchronous setting (default full: golive's default)")


@contextmanager
def database_url(postgres: bool, tmp: str) -> Iterator[str]:
    """A SQLite file in `tmp`, or a database on a throwaway PostgreSQL cluster for the `with` block."""
    if not postgres:
        yield sqlite_url(tmp)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.pg_cluster import PostgresCluster  # noqa: PLC0415 - only when asked for

    with PostgresCluster() as cluster:
        yield cluster.new_database("bench")


def bench_database(url: str, commit: str = "default", synchronous: str = "full"):  # noqa: ANN201
    """golive's Database for `url`, committing as `commit` says (see add_database_options)."""
    from storage.db import Database  # noqa: PLC0415

    group = None if commit == "default" else commit == "grouped"
    db = Database(url, group_commit=group, synchronous=synchronous)
    if commit == "each" and db.is_sqlite:
        serialize_sessions(db)
    return db


def serialize_sessions(db) -> None:  # noqa: ANN001 - storage.db.Database
    """EXPERIMENT (not product code): make `db.session()` queue on one in-process lock before it
    opens its transaction. golive's SQLite sessions all start with BEGIN IMMEDIATE, so concurrent
    request threads otherwise wait for the write lock in SQLite's busy handler, which sleeps and
    polls (up to 100 ms per sleep) instead of waking when the lock is free."""
    from contextlib import contextmanager

    lock = threading.RLock()
    opened = db.session

    @contextmanager
    def session():  # noqa: ANN202
        with lock, opened() as s:
            yield s

    db.session = session


def play_until(runtime, clock: ShiftedClock, instant: datetime, max_wait: float = 120.0) -> dict:  # noqa: ANN001
    """Tick every distinct due instant of pending planned work before `instant`, each followed by
    delivering its outbox (no waiting for the real minutes): the state a worker that ran all along
    would have left. Returns counts of done / skipped / failed work and delivered / dead posts."""
    from sqlmodel import select

    from storage.models import PlannedWork, WorkStatus

    with runtime.db.session() as s:
        instants = sorted(set(s.exec(select(PlannedWork.due_at).where(
            PlannedWork.status == WorkStatus.PENDING, PlannedWork.due_at < instant)).all()))
    counts = {"ticks": len(instants), "done": 0, "skipped": 0, "failed": 0, "sent": 0, "dead": 0}
    for at in instants:
        result = runtime.tick_once(at)
        counts["done"] += len(result.done)
        counts["skipped"] += len(result.skipped)
        counts["failed"] += len(result.failed)
        clock.restart(at)
        stats = runtime.sender.drain(clock, max_wait=max_wait)
        counts["sent"] += stats.sent
        counts["dead"] += stats.dead
    return counts


SIM_BACKLOG = 128


def widen_sim_backlog(size: int = SIM_BACKLOG) -> None:
    """Call before `SlackSimulator.start()`, in the process that hosts the simulator. The simulator
    serves with `http.server.ThreadingHTTPServer`, whose listen backlog is socketserver's default of
    5: with more concurrent connections than that (16 request threads calling `respond()`, or the
    Sender's 8 threads) the kernel drops SYNs and each dropped connect waits the 1 s initial SYN
    retransmission timeout, an artefact of the fake Slack, not of golive. `size=5` keeps the default."""
    import http.server

    http.server.ThreadingHTTPServer.request_queue_size = size


# -- shared by crash_kill, scale_out and soak: golive processes ------------------------------------


def start_golive(role: str, env: dict[str, str], log, *, http: bool = False):  # noqa: ANN001, ANN201
    """`golive run --role ROLE [--http]` as a subprocess with `env` (see `child_environ`), output to
    the open file `log` (a pipe that nobody reads would fill up and block the process)."""
    import subprocess

    command = [*golive_command(), "run", "--role", role] + (["--http"] if http else [])
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)


def wait_healthy(url: str, proc, timeout: float = 60.0) -> dict:  # noqa: ANN001
    """Poll GET {url}/healthz until it answers 200 (returns its JSON); SystemExit if the process dies."""
    import json
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"golive exited with {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return json.loads(response.read())
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} was not healthy within {timeout:.0f} s")


def stop_processes(procs, timeout: float = 20.0) -> list[int | None]:  # noqa: ANN001
    """SIGTERM each process still running, wait, SIGKILL what is left; returns the exit codes."""
    import signal
    import subprocess

    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    codes = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            codes.append(None)
    return codes


def vm_rss_kb(pid: int) -> int:
    """VmRSS of a process in kB, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def outbox_key(message) -> str | None:  # noqa: ANN001 - SimMessage or its to_dict()
    """The outbox dedupe key a posted message carries in its metadata (None for other messages)."""
    meta = message.get("metadata") if isinstance(message, dict) else message.metadata
    return ((meta or {}).get("event_payload") or {}).get("key")


# -- many launches whose day-1 check-ins fall on one minute (checkin_fanout.py, golive_morning.py) -----------

FANOUT_ZONES = ("UTC", "Europe/Berlin", "Asia/Tokyo", "America/New_York")
FANOUT_CSMS = [f"U0CSM{i:02d}" for i in range(20)]


def fanout_channels(count: int, prefix: str) -> list[str]:
    return [f"{prefix}{i:06d}" for i in range(count)]


def fanout_launch_raws(channels: Sequence[str], at: datetime) -> list[dict]:
    """One launch per channel, zones in turn, each checking in at its local time of the UTC instant `at`."""
    raws = []
    for i, channel in enumerate(channels):
        zone = FANOUT_ZONES[i % len(FANOUT_ZONES)]
        local = at.astimezone(ZoneInfo(zone))  # the same UTC minute, as each launch's local check-in time
        raws.append({"customer": f"Customer {i:04d} GmbH", "channel": channel, "go_live": local.date().isoformat(),
                     "tz": zone, "checkin_time": local.strftime("%H:%M"),
                     "csm": [FANOUT_CSMS[i % len(FANOUT_CSMS)]], "support_channel": "C0SUP"})
    return raws


class FanoutSimHost:
    """The simulator (run in a child process through `Remote`) holding the launch channels and the CSMs;
    each benchmark adds its own `limit` and `summary`."""

    def __init__(self, channels: Sequence[str], sim_backlog: int = SIM_BACKLOG, *,
                 support_members: Sequence[str] = (CSM,), **sim_options: Any):
        from bot.devkit.simulator import SlackSimulator  # noqa: PLC0415 - only in the process that hosts it

        widen_sim_backlog(sim_backlog)
        self.channels = list(channels)
        self.sim = SlackSimulator(team_id=VENDOR, **sim_options).start()
        populate(self.sim)
        for user in FANOUT_CSMS:
            self.sim.add_user(user, user.lower(), email=f"{user.lower()}@vendor.test")
        self.sim.add_channel("C0SUP", "support", members=list(support_members))
        for i, channel in enumerate(self.channels):
            self.sim.add_channel(channel, f"launch-{i}", members=[FANOUT_CSMS[i % len(FANOUT_CSMS)]],
                                 is_ext_shared=True)

    def info(self) -> dict:
        return {"url": self.sim.url, "token": self.sim.bot_token}

    def reset(self) -> None:
        self.sim.reset_calls()

    def stop(self) -> None:
        self.sim.stop()
