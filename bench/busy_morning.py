"""Busy go-live morning on a slow Slack: mixed signed traffic, p99 ack latency against a bare Bolt app, with
the stored directory cold (first requests after start) and warm (after `runtime.reconcile_directory()`).

A child process runs the Slack simulator, golive's real web server (`Runtime(settings).web(port=0)`, SQLite
temp file), a delivery loop (`Runtime.deliver_once` every second, as `golive run --role all` delivers; on
while golive is measured, paused while the baseline is) and ack_latency.py's baseline (a bare Bolt app that
only acks `/golive`, any block action and `app_home_opened`, behind the same web layer). The simulator
answers `conversations.members` and `users.info` after `--slack-latency` (1 s) and has every method's tier
(strict). Workspace: `--launches` (10) launches going live on Monday T 09:00 UTC; launch 0's channel is a
Slack Connect channel of `--members` (2,000) people: `--guests` (100) guests of the vendor's workspace
(`is_restricted`), the CSM and `--staff-in-launch` (10) vendor staff, the rest from the customer's team;
the other launches have `--small-members` (40) customers each, the CSM and the same staff. A support channel
holds the CSM and `--staff` (40) vendor staff. Before serving, the plan before T is marked done, one tick at
T posts the day-1 check-ins and `--issues` (200) issues are opened (their support cards posted), so clicks
target real posts.

Load: `--clients` (16) closed-loop threads, each with its own SlackRequestSender, send a `--mix` of
check-in answer clicks (any member of a launch channel, so mostly the big channel; 60/38/2 good / friction /
blocked), `/golive status` and `/golive issue TEXT` (vendor staff, in launch channels) and support `issue_ack`
clicks (support staff, on the cards); one more client opens App Home every second (`app_home_opened` from a
customer of the big channel) for as long as the others send. A person is always served by the same client.

Two phases, each in a fresh child process (fresh database and simulator):

1. cold: right after start (the directory holds nothing: the first requests read channel members from
   Slack, 1 s a page), `--cold-requests` golive requests, then as many for the baseline;
2. warm: `Runtime.reconcile_directory()` until no channel is left unread (timed; see below), then a
   warm-up (`--warmup`) and `--runs` interleaved runs splitting `--requests` per app.

Headline: the warm phase's median(golive p99) / median(baseline p99), as ack_latency.py computes it (target
<= 1.5). Also required: no golive request over `--max-ack` (3 s, Slack's ack deadline) in EITHER phase; the
max of each phase is printed. Per request kind: n, p50, p99, max.

Set-up note (warm phase): `reconcile_directory()` profiles every member of a channel it reads with one
`users.info` each, one after another. With `users.info` at 1 s, one call over the 2,000-member channel
would take ~2,000 s (the Tier 4 budget, 100/min, never stops it: a call takes longer than a token takes to
come back). So while it runs, `users.info` answers after `--reconcile-users-info-latency` (default 0 s); the
table shows the users.info calls reconcile made, so the time it would take at 1 s can be read off. The
measured runs use the full latency.

Checks (golive only): every request answered 200; slash commands answered with a launch status / "Recorded
issue"; one "Thanks — recorded" response_url post per click and one history row per click; every ack click
answered "acknowledged" (or "already acknowledged"), none turned away ("Only support staff" / "Only members");
no "something went wrong".

    /work/venv/bin/python bench/busy_morning.py --cold-requests 300 --requests 800 --warmup 50 --runs 2  # quick
    /work/venv/bin/python bench/busy_morning.py                                                       # full size
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta

from common import (
    CSM,
    SIM_BACKLOG,
    VENDOR,
    LoadRun,
    Remote,
    ShiftedClock,
    ack_comparison,
    clean_environ,
    create_launches,
    golive_env,
    mark_done_before,
    median,
    percentile,
    populate,
    serve_pair,
    signed_load,
    split_runs,
    sqlite_url,
    table,
    verdict,
    widen_sim_backlog,
)

T = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC: day 1 of every launch
GOLIVE, BASELINE = "golive", "baseline"
SUPPORT = "C0SUP"
ANSWERS = {"good": "checkin_good", "friction": "checkin_friction", "blocked": "checkin_blocked"}
KINDS = ("click", "status", "issue", "ack", "home")


def channel_ids(count: int) -> list[str]:
    return [f"C8B{i:06d}" for i in range(count)]


def customer_team(i: int) -> str:
    return f"T0CUST{i:03d}"


def staff_ids(count: int) -> list[str]:
    return [f"U0STAFF{i:03d}" for i in range(count)]


def progress(what: str) -> None:
    print(f"[busy_morning {time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


class MorningHost:
    """Simulator + golive (check-ins posted, issues carded) + the bare baseline + a delivery loop, in the
    child process."""

    def __init__(self, tmp: str, opts: dict):
        from sqlmodel import select

        from bot.core.settings import Settings
        from bot.devkit.simulator import SlackSimulator
        from bot.features.issues.service import open_issue
        from bot.runtime import Runtime
        from storage.models import CheckIn, Issue, Launch

        self.opts = opts
        latency = opts["slack_latency"]
        widen_sim_backlog(opts["sim_backlog"])
        self.sim = SlackSimulator(team_id=VENDOR, strict=True,
                                  latency={"conversations.members": latency, "users.info": latency}).start()
        populate(self.sim)
        staff = staff_ids(opts["staff"])
        for user in staff:
            self.sim.add_user(user, user.lower(), email=f"{user.lower()}@vendor.test")
        self.sim.add_channel(SUPPORT, "support", members=[CSM, *staff])
        in_launch = staff[:opts["staff_in_launch"]]
        self.channels = channel_ids(opts["launches"])
        self.members: dict[str, list[tuple[str, str]]] = {}  # channel -> [(user, team)] of its non-staff people
        for i, channel in enumerate(self.channels):
            team = customer_team(i)
            self.sim.add_team(team, f"Customer {i:03d}")
            people: list[tuple[str, str]] = []
            if i == 0:
                for g in range(opts["guests"]):
                    user = f"U7G{g:05d}"
                    self.sim.add_user(user, user.lower(), team_id=VENDOR, is_restricted=True,
                                      email=f"{user.lower()}@partner.test")
                    people.append((user, VENDOR))
                customers = opts["members"] - opts["guests"] - len(in_launch) - 2  # the CSM and the bot count
            else:
                customers = opts["small_members"]
            for u in range(customers):
                user = f"U9{i:03d}{u:05d}"
                self.sim.add_user(user, user.lower(), team_id=team, email=f"{user.lower()}@customer{i}.test")
                people.append((user, team))
            self.sim.add_channel(channel, f"launch-{i}", members=[CSM, *in_launch, *(u for u, _ in people)],
                                 is_ext_shared=True)
            self.members[channel] = people

        self.db_url = sqlite_url(tmp)
        self.clock = ShiftedClock(T - timedelta(days=7))
        self.runtime = Runtime(Settings.from_env(golive_env(self.sim, self.db_url)), clock=self.clock)
        raws = [{"customer": f"Customer {i:03d}", "channel": c, "go_live": T.date().isoformat(), "tz": "UTC",
                 "checkin_time": T.strftime("%H:%M"), "csm": [CSM], "support_channel": SUPPORT}
                for i, c in enumerate(self.channels)]
        create_launches(self.runtime.db, raws, now=T - timedelta(days=7))
        mark_done_before(self.runtime.db, T)  # heads-ups, help posts, digests...: not what this measures
        self.tick = self.runtime.tick_once(T)  # the day-1 check-ins
        self.clock.restart(T)
        # The check-ins are delivered before the issues are opened, as at 09:00. (Queued the other way round,
        # the issues' 400 URGENT rows would starve the NORMAL check-ins ahead of their notices in the same
        # channels: see the README, busy_morning.py, "claim starvation".)
        delivered = self.runtime.sender.drain(self.clock, max_wait=60)
        with self.runtime.db.session() as s:
            launches = {launch.channel: launch for launch in s.exec(select(Launch)).all()}
            for k in range(opts["issues"]):
                launch = launches[self.channels[k % len(self.channels)]]
                open_issue(s, launch=launch, text=f"Set-up issue {k}: exports time out", reporter=staff[k % len(staff)],
                           reporter_team=VENDOR, source="slash command", source_key=f"bench:setup:{k}",
                           now=self.clock(), source_channel=launch.channel)
        self.drained = self.runtime.sender.drain(self.clock, max_wait=60)
        self.drained.add(delivered)
        with self.runtime.db.session() as s:
            self.checkins = {c.channel: (c.id, c.message_ts) for c in s.exec(select(CheckIn)).all()}
            self.issues = [(i.id, i.support_ts) for i in s.exec(select(Issue).order_by(Issue.id)).all()]
        self.directory_at_start = self.directory_state()
        self.golive_server, self.baseline_server = serve_pair(self.runtime, self.sim, events=("app_home_opened",))
        # The delivery loop: Runtime.start_worker's delivery job (deliver_once every second, never overlapping).
        self._worker_on = threading.Event()
        self._worker_busy = threading.Lock()
        self._stopping = threading.Event()
        self.worker_runs: list[float] = []
        self._worker = threading.Thread(target=self._deliver_loop, name="bench-deliver", daemon=True)
        self._worker.start()

    def info(self) -> dict:
        return {GOLIVE: self.golive_server.url, BASELINE: self.baseline_server.url,
                "response_url_base": self.sim.response_url_base, "db_url": self.db_url,
                "channels": self.channels, "members": self.members, "checkins": self.checkins,
                "issues": self.issues, "staff": staff_ids(self.opts["staff"]),
                "staff_in_launch": self.opts["staff_in_launch"],
                "tick": (len(self.tick.done), len(self.tick.skipped), len(self.tick.failed)),
                "drained": (self.drained.sent, self.drained.dead), "directory": self.directory_at_start}

    def _deliver_loop(self) -> None:
        while not self._stopping.is_set():
            began = time.monotonic()
            if self._worker_on.is_set():
                with self._worker_busy:
                    self.runtime.deliver_once()
                self.worker_runs.append(time.monotonic() - began)
            time.sleep(max(0.0, began + 1.0 - time.monotonic()))

    def worker(self, on: bool) -> None:
        """Turn the delivery loop on or off (off waits for a run in flight to end)."""
        if on:
            self._worker_on.set()
            return
        self._worker_on.clear()
        with self._worker_busy:
            pass

    def directory_state(self) -> dict:
        from sqlmodel import func, select

        from storage.models import ChannelMember, ChannelSync, SlackPerson

        with self.runtime.db.read() as s:
            synced = s.exec(select(func.count()).select_from(ChannelSync)
                            .where(ChannelSync.synced_at.is_not(None))).one()
            members = s.exec(select(func.count()).select_from(ChannelMember)).one()
            people = s.exec(select(func.count()).select_from(SlackPerson)).one()
        return {"channels_read": synced, "members": members, "people": people}

    def reconcile(self, users_info_latency: float, max_calls: int = 50) -> dict:
        """Runtime.reconcile_directory() until no channel is left unread, `users.info` answered after
        `users_info_latency` meanwhile (set-up; restored afterwards)."""
        self.sim.set_latency(users_info_latency, "users.info")
        before = collections.Counter((c.method, c.status) for c in list(self.sim.calls))
        started = time.perf_counter()
        calls, refreshed = 0, 0
        try:
            while calls < max_calls:
                done = self.runtime.reconcile_directory()
                calls += 1
                refreshed += done
                if not self.runtime.directory.stale_channels(
                        [*self.channels, SUPPORT], self.clock()):
                    break
        finally:
            self.sim.set_latency(self.opts["slack_latency"], "users.info")
        seconds = time.perf_counter() - started
        after = collections.Counter((c.method, c.status) for c in list(self.sim.calls))
        made = after - before
        from sqlmodel import func, select

        from storage.models import ChannelMember

        with self.runtime.db.read() as s:
            people = s.exec(select(func.count(func.distinct(ChannelMember.user_id)))).one()
        return {"calls": calls, "refreshed": refreshed, "seconds": seconds, "people": people,
                "members_calls": sum(v for (m, _), v in made.items() if m == "conversations.members"),
                "users_info_ok": made.get(("users.info", 200), 0),
                "users_info_429": made.get(("users.info", 429), 0),
                "directory": self.directory_state()}

    def slack_calls(self) -> dict:
        """Slack calls so far by method and status (the web server's and the worker's)."""
        return {f"{m} {st}": n for (m, st), n in
                sorted(collections.Counter((c.method, c.status) for c in list(self.sim.calls)).items())}

    def responses(self) -> dict:
        self.runtime.after_ack.wait_idle(60)  # confirmations follow the acknowledgements
        texts = [str(r.get("text") or "") for r in self.sim.responses]
        return {"total": len(texts),
                "recorded": sum("Thanks — recorded" in t for t in texts),
                "acknowledged": sum("You acknowledged issue" in t for t in texts),
                "already": sum("already acknowledged" in t for t in texts),
                "refused": sum(("Only support staff" in t) or ("Only members" in t) for t in texts),
                "went_wrong": sum("went wrong" in t for t in texts),
                "other": [t[:160] for t in texts if not any(
                    k in t for k in ("Thanks — recorded", "You acknowledged issue", "already acknowledged"))][:3]}

    def stop(self) -> None:
        self._stopping.set()
        self._worker_on.clear()
        self._worker.join(timeout=30)
        self.golive_server.stop()
        self.baseline_server.stop()
        self.runtime.close()
        self.sim.stop()


# -- load ---------------------------------------------------------------------------------------------


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in ("click", "status", "issue", "ack"):
            raise SystemExit(f"--mix: unknown kind {name!r} (click, status, issue, ack)")
        mix[name.strip()] = float(weight)
    total = sum(mix.values())
    return {k: v / total for k, v in mix.items()}


def make_jobs(info: dict, count: int, clients: int, mix: dict[str, float], seed: int, tag: str) -> list[list[tuple]]:
    """`count` jobs for `clients` closed-loop clients; a job is (kind, user, team, channel, detail). One person
    always goes to the same client."""
    rng = random.Random(seed)
    channels, members, checkins = info["channels"], info["members"], info["checkins"]
    people = [(u, team, c) for c in channels for u, team in members[c]]  # every non-staff member, by channel
    staff, issues, in_launch = info["staff"], info["issues"], info["staff_in_launch"]
    kinds, weights = list(mix), list(mix.values())
    per_client: list[list[tuple]] = [[] for _ in range(clients)]
    for k in range(count):
        kind = rng.choices(kinds, weights)[0]
        if kind == "click":
            user, team, channel = rng.choice(people)
            r = rng.random()
            answer = "blocked" if r < 0.02 else ("good" if r < 0.61 else "friction")
            checkin_id, ts = checkins[channel]
            job = (kind, user, team, channel, (checkin_id, ts, answer))
        elif kind in ("status", "issue"):
            user, channel = rng.choice(staff[:in_launch]), rng.choice(channels)
            detail = f"Checkout page {tag}-{k} shows a blank total for EUR invoices" if kind == "issue" else None
            job = (kind, user, VENDOR, channel, detail)
        else:
            user = rng.choice(staff)
            job = (kind, user, VENDOR, SUPPORT, rng.choice(issues))
        per_client[zlib.crc32(user.encode()) % clients].append(job)
    return per_client


def home_jobs(info: dict, count: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    big = info["channels"][0]
    people = [(u, team) for u, team in info["members"][big] if team != VENDOR]
    return [("home", *rng.choice(people), None, None) for _ in range(count)]


def send(sender, job):  # noqa: ANN001, ANN201
    kind, user, team, channel, detail = job
    if kind == "click":
        checkin_id, ts, answer = detail
        return sender.block_action(ANSWERS[answer], user_id=user, channel_id=channel, message_ts=ts,
                                   value=str(checkin_id), user_team_id=team)
    if kind == "status":
        return sender.slash_command("status", user_id=user, channel_id=channel)
    if kind == "issue":
        return sender.slash_command(f"issue {detail}", user_id=user, channel_id=channel)
    if kind == "ack":
        issue_id, card_ts = detail
        return sender.block_action("issue_ack", user_id=user, channel_id=channel, message_ts=card_ts,
                                   value=str(issue_id), user_team_id=VENDOR)
    return sender.app_home_opened(user)


def load(url: str, base: str, jobs: list[list[tuple]], home: list[tuple], home_rate: float) -> LoadRun:
    per_client = [*jobs, home] if home_rate else list(jobs)
    paced = {len(jobs): home_rate} if home_rate else None
    return signed_load(url, base, per_client, send, paced=paced, until_closed_done=True)


def by_kind(runs: list[LoadRun]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = collections.defaultdict(list)
    for run in runs:
        for job, seconds in run.timed:
            out[job[0]].append(seconds)
    return out


def kind_table(runs: dict[str, list[LoadRun]]) -> str:
    ms = 1000.0
    rows = []
    for name in (GOLIVE, BASELINE):
        kinds = by_kind(runs[name])
        for kind in KINDS:
            xs = kinds.get(kind)
            if xs:
                rows.append((name, kind, len(xs), percentile(xs, 50) * ms, percentile(xs, 99) * ms, max(xs) * ms))
    return table(("app", "kind", "n", "p50 ms", "p99 ms", "max ms"), rows)


def check(info: dict, runs: list[LoadRun], responses: dict) -> tuple[list[str], dict]:
    """Correctness of golive's answers (all its runs of one phase) and its database."""
    from sqlmodel import func, select

    from storage.db import Database
    from storage.models import CheckInAnswerHistory, Issue

    results = [r for run in runs for r in run.results]
    counts = collections.Counter(job[0] for job, _, _ in results)
    problems = []
    not_ok = [(job[0], status, body[:120]) for job, status, body in results if status != 200]
    if not_ok:
        problems.append(f"HTTP: {len(not_ok)} request(s) not answered 200, e.g. {not_ok[:3]}")
    bad_commands = []
    for job, status, body in results:
        if status != 200 or job[0] not in ("status", "issue"):
            continue
        text = str((json.loads(body) if body.startswith("{") else {}).get("text") or body)
        if job[0] == "issue" and "Recorded issue" not in text or job[0] == "status" and (
                "Only the vendor" in text or "not a launch channel" in text or "went wrong" in text):
            bad_commands.append(text[:120])
    if bad_commands:
        problems.append(f"COMMANDS: {len(bad_commands)} unexpected answer(s), e.g. {bad_commands[:2]}")
    if responses["recorded"] != counts["click"]:
        problems.append(f"CLICKS: {responses['recorded']} 'recorded' confirmations for {counts['click']} clicks")
    if responses["acknowledged"] + responses["already"] != counts["ack"]:
        problems.append(f"ACKS: {responses['acknowledged']} acknowledged + {responses['already']} already for "
                        f"{counts['ack']} ack clicks")
    if responses["refused"] or responses["went_wrong"]:
        problems.append(f"REFUSED/ERRORS: {responses['refused']} turned away, {responses['went_wrong']} "
                        f"'went wrong'; e.g. {responses['other']}")
    db = Database(info["db_url"])
    with db.read() as s:
        history = s.exec(select(func.count(CheckInAnswerHistory.id))).one()
        issues = s.exec(select(func.count(Issue.id))).one()
    db.dispose()
    if history != counts["click"]:
        problems.append(f"HISTORY: {history} answer history rows for {counts['click']} clicks")
    blocked = {(job[1], job[4][0]) for job, _, _ in results if job[0] == "click" and job[4][2] == "blocked"}
    if issues != len(info["issues"]) + counts["issue"] + len(blocked):
        problems.append(f"ISSUES: {issues} issues for {len(info['issues'])} set-up + {counts['issue']} commands + "
                        f"{len(blocked)} blocked (person, check-in)")
    return problems, {"requests": dict(counts), "history": history, "issues": issues}


def start_host(tmp: str, opts: dict, same_process: bool) -> tuple[Remote, float]:
    started = time.perf_counter()
    host = Remote(MorningHost, tmp, opts, same_process=same_process)
    return host, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=10, help="launches (default 10)")
    parser.add_argument("--members", type=int, default=2000, help="people in launch 0's channel (default 2000)")
    parser.add_argument("--guests", type=int, default=100,
                        help="of those, guests of the vendor's workspace (default 100)")
    parser.add_argument("--small-members", type=int, default=40, help="customers in each other launch channel")
    parser.add_argument("--staff", type=int, default=40, help="vendor staff in the support channel (default 40)")
    parser.add_argument("--staff-in-launch", type=int, default=10, help="of those, in every launch channel")
    parser.add_argument("--issues", type=int, default=200, help="issues opened (and carded) before serving")
    parser.add_argument("--slack-latency", type=float, default=1.0,
                        help="seconds Slack takes to answer conversations.members and users.info (default 1)")
    parser.add_argument("--reconcile-users-info-latency", type=float, default=0.0,
                        help="users.info latency while the warm phase's reconcile runs (set-up; default 0)")
    parser.add_argument("--mix", default="click=70,status=10,issue=10,ack=10",
                        help="weights of the closed-loop requests (default click=70,status=10,issue=10,ack=10)")
    parser.add_argument("--home-rate", type=float, default=1.0, help="App Home opens per second (default 1)")
    parser.add_argument("--clients", type=int, default=16, help="closed-loop client threads (default 16)")
    parser.add_argument("--cold-requests", type=int, default=600, help="requests per app in the cold phase (600)")
    parser.add_argument("--requests", type=int, default=1600, help="measured requests per app, warm phase (1600)")
    parser.add_argument("--runs", type=int, default=4, help="interleaved runs per app, warm phase (default 4)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per app, warm phase")
    parser.add_argument("--max-ack", type=float, default=3.0, help="no golive request may take longer (s)")
    parser.add_argument("--phases", choices=("both", "cold", "warm"), default="both")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--target", type=float, default=1.5, help="warm p99 ratio target (default 1.5)")
    parser.add_argument("--same-process", action="store_true", help="serve from threads of this process")
    parser.add_argument("--sim-backlog", type=int, default=SIM_BACKLOG,
                        help=f"listen backlog of the simulator (default {SIM_BACKLOG}; see common.widen_sim_backlog)")
    args = parser.parse_args()
    clean_environ()
    mix = parse_mix(args.mix)
    opts = {k: getattr(args, k) for k in ("launches", "members", "guests", "small_members", "staff",
                                          "staff_in_launch", "issues", "slack_latency", "sim_backlog")}
    opts["staff_in_launch"] = min(opts["staff_in_launch"], opts["staff"])
    ms = 1000.0
    problems: list[str] = []
    maxima: dict[str, float] = {}
    ratio = float("inf")

    print(f"busy go-live morning: {args.launches} launches, launch 0 a Slack Connect channel of {args.members} "
          f"({args.guests} vendor-workspace guests), others {args.small_members} customers; Slack answers "
          f"conversations.members and users.info in {args.slack_latency:g} s, strict tiers; {args.clients} "
          f"closed-loop clients, mix {args.mix}, App Home opened {args.home_rate:g}/s; delivery loop on while "
          f"golive is measured; servers in {'this' if args.same_process else 'a child'} process")

    # -- cold ---------------------------------------------------------------------------------------
    if args.phases in ("both", "cold"):
        with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
            progress("cold: set-up")
            host, setup_s = start_host(tmp, opts, args.same_process)
            info = host.info
            try:
                print(f"\n== COLD: first requests after start (set-up {setup_s:.1f} s: tick {info['tick']}, "
                      f"delivered {info['drained']}, directory {info['directory']})")
                if info["directory"]["channels_read"]:
                    problems.append(f"COLD: the directory was not cold at start: {info['directory']}")
                base = info["response_url_base"]
                n_home = int(args.cold_requests / 50 * args.home_rate) + 60
                runs: dict[str, list[LoadRun]] = {}
                for name, seed in ((GOLIVE, args.seed), (BASELINE, args.seed + 1)):
                    jobs = make_jobs(info, args.cold_requests, args.clients, mix, seed, f"cold-{name}")
                    host.call("worker", name == GOLIVE)
                    progress(f"cold: {name}")
                    runs[name] = [load(info[name], base, jobs, home_jobs(info, n_home, seed), args.home_rate)]
                    host.call("worker", False)
                cold_ratio = ack_comparison(runs)
                print(kind_table(runs))
                maxima["cold"] = max(runs[GOLIVE][0].latencies)
                slowest = sorted(runs[GOLIVE][0].timed, key=lambda t: -t[1])[:8]
                print("slowest golive requests (kind channel: ms): " + ", ".join(
                    f"{job[0]} {job[3] or '-'}: {seconds * ms:.0f}" for job, seconds in slowest))
                after = host.call("directory_state")
                calls = host.call("slack_calls")
                responses = host.call("responses")
            finally:
                host.close()
            found, counts = check(info, runs[GOLIVE], responses)
            print(f"cold: golive p99 ratio {cold_ratio:.2f}x; golive max {maxima['cold'] * ms:.0f} ms (limit "
                  f"{args.max_ack * ms:.0f} ms); directory after: {after}; requests {counts['requests']}")
            print("Slack calls (set-up, requests and delivery): " + ", ".join(f"{k}={v}" for k, v in calls.items()))
            problems += [f"cold {p}" for p in found]

    # -- warm ---------------------------------------------------------------------------------------
    if args.phases in ("both", "warm"):
        with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
            progress("warm: set-up")
            host, setup_s = start_host(tmp, opts, args.same_process)
            info = host.info
            try:
                progress("warm: reconcile_directory")
                rec = host.call("reconcile", args.reconcile_users_info_latency)
                print(f"\n== WARM: after Runtime.reconcile_directory() (set-up {setup_s:.1f} s)")
                print(f"reconcile_directory(): {rec['calls']} call(s), {rec['refreshed']} channel(s) read in "
                      f"{rec['seconds']:.1f} s; conversations.members calls {rec['members_calls']}; users.info "
                      f"{rec['users_info_ok']} answered + {rec['users_info_429']} refused by Slack; directory "
                      f"{rec['directory']}")
                print(f"SET-UP: users.info answered after {args.reconcile_users_info_latency:g} s while reconcile "
                      f"ran (golive's own users.info budget, 100/min, stopped it after the burst). At "
                      f"{args.slack_latency:g} s reconcile profiles the {rec['people']} people of the channels it "
                      f"reads one users.info at a time, and the budget refills faster than the calls come back: "
                      f"~{rec['people'] * args.slack_latency:.0f} s for one reconcile_directory() call.")
                base = info["response_url_base"]
                per_run = args.requests / args.runs
                n_home = int((args.warmup + per_run) / 50 * args.home_rate) + 60
                plans = {}
                for name, seed in ((GOLIVE, args.seed + 10), (BASELINE, args.seed + 11)):
                    warm = make_jobs(info, args.warmup, args.clients, mix, seed, f"warmup-{name}")
                    rest = split_runs(make_jobs(info, args.requests, args.clients, mix, seed + 100, f"warm-{name}"),
                                      args.runs)
                    plans[name] = (warm, rest)
                warmups = {}
                for name in (GOLIVE, BASELINE):
                    host.call("worker", name == GOLIVE)
                    progress(f"warm: warm-up {name}")
                    warmups[name] = load(info[name], base, plans[name][0], home_jobs(info, n_home, 1), args.home_rate)
                    host.call("worker", False)
                runs = {GOLIVE: [], BASELINE: []}
                for r in range(args.runs):
                    for name in (GOLIVE, BASELINE):
                        host.call("worker", name == GOLIVE)
                        progress(f"warm: run {r + 1} {name}")
                        runs[name].append(load(info[name], base, plans[name][1][r],
                                               home_jobs(info, n_home, 1000 * r + (name == GOLIVE)), args.home_rate))
                        host.call("worker", False)
                ratio = ack_comparison(runs)
                print(kind_table(runs))
                maxima["warm"] = max(x for run in runs[GOLIVE] for x in run.latencies)
                maxima["warm-up"] = max(warmups[GOLIVE].latencies)
                after = host.call("directory_state")
                calls = host.call("slack_calls")
                responses = host.call("responses")
            finally:
                host.close()
            found, counts = check(info, [warmups[GOLIVE], *runs[GOLIVE]], responses)
            print(f"warm: golive max {maxima['warm'] * ms:.0f} ms in the measured runs, {maxima['warm-up'] * ms:.0f} "
                  f"ms in the warm-up (limit {args.max_ack * ms:.0f} ms); median golive req/s "
                  f"{median(len(r.latencies) / r.wall for r in runs[GOLIVE]):.0f}; directory after: {after}; "
                  f"requests {counts['requests']}")
            print("Slack calls (set-up, reconcile, requests and delivery): "
                  + ", ".join(f"{k}={v}" for k, v in calls.items()))
            problems += [f"warm {p}" for p in found]

    over = {phase: m for phase, m in maxima.items() if m > args.max_ack}
    if over:
        problems.append("ACK DEADLINE: golive max " + ", ".join(f"{p} {m * ms:.0f} ms" for p, m in over.items())
                        + f" over {args.max_ack:g} s")
    print("\nmax golive ack latency: " + ", ".join(f"{p} {m * ms:.0f} ms" for p, m in maxima.items()))
    for problem in problems:
        print(problem)
    if args.phases == "cold":
        ratio = cold_ratio
    print(verdict("busy_morning", ratio, args.target, "golive/baseline p99 (warm directory)"
                  if args.phases != "cold" else "golive/baseline p99 (cold directory)"))
    return 0 if ratio <= args.target and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
