"""Check-in answer clicks over signed HTTP: golive's p99 ack latency against a bare Bolt app.

A child process runs golive's real web server (`Runtime(settings).web(port=0)`, SQLite temp file) and the
baseline of ack_latency.py (a bare Bolt app whose listeners only ack, behind the same web layer); the Slack
simulator runs in a second child process, as Slack answers from elsewhere (golive's confirmations to
response_urls are real HTTP calls to it). Before serving, golive gets `--launches` launches (save_launch +
replan) going live on Monday T; the work planned before T is marked done (common.mark_done_before), one tick
at T posts their day-1 check-ins, and the outbox is delivered, so every click targets a real posted
check-in (its message ts and its check-in id as the button value). Each launch channel has its
customer users as members (golive only records answers from channel members).
golive's clock is T plus real elapsed time, so the check-ins are open while the clicks arrive.

Load: `--clients` threads (default 16) each with its own `SlackRequestSender` send signed
`checkin_good` / `checkin_friction` / `checkin_blocked` block actions (`--blocked` share blocked,
default 2%; the rest about 60/40 good/friction) from `--users-per-launch` customer users of each
launch (default 40 x 50 launches = 2,000 distinct users, each clicking about 2.5 times). Every user is
always served by the same client, so one person's clicks arrive in order. golive and the baseline get
interleaved runs (`--runs`, default 5) after a warm-up (`--warmup`, also real clicks); the headline
is median(golive p99) / median(baseline p99), as in ack_latency.py.

Checks afterwards (the database read directly): one history row per click (warm-up included),
current answers == distinct (user, check-in) pairs, each current answer == that person's last click,
one issue per (user, check-in) with a blocked click, and one "recorded" confirmation (response_url)
per click.

    /work/venv/bin/python bench/answer_clicks.py --requests 800 --warmup 64 --runs 2   # quick (~20 s)
    /work/venv/bin/python bench/answer_clicks.py                                       # 5,000 clicks per app
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta

from common import (
    CSM,
    CUSTOMER_TEAM,
    SIM_BACKLOG,
    VENDOR,
    Remote,
    ShiftedClock,
    ack_comparison,
    add_database_options,
    bench_database,
    clean_environ,
    create_launches,
    database_url,
    golive_env,
    mark_done_before,
    measured,
    populate,
    serve_pair,
    signed_load,
    split_runs,
    verdict,
    widen_sim_backlog,
)

T = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC: day 1 of every launch
GOLIVE, BASELINE = "golive", "baseline"
ACTIONS = {"good": "checkin_good", "friction": "checkin_friction", "blocked": "checkin_blocked"}


def channel_ids(count: int) -> list[str]:
    return [f"C8A{i:06d}" for i in range(count)]


def customer(channel: str, u: int) -> str:
    """The u-th customer user of a launch channel (a member of it, from the customer's organisation)."""
    return f"U9{channel[3:]}{u:03d}"


class ClickSim:
    """The Slack simulator, in a process of its own (Slack answers from elsewhere: its work serving golive's
    confirmations is not golive's): the launch channels, their customer users, and the confirmations."""

    def __init__(self, launches: int, users_per_launch: int, sim_backlog: int = SIM_BACKLOG):
        from bot.devkit.simulator import SlackSimulator

        widen_sim_backlog(sim_backlog)
        self.sim = SlackSimulator(team_id=VENDOR).start()
        populate(self.sim)
        self.sim.add_team(CUSTOMER_TEAM, "Customers")
        self.sim.add_channel("C0SUP", "support", members=[CSM])
        for i, channel in enumerate(channel_ids(launches)):
            users = [customer(channel, u) for u in range(users_per_launch)]
            for user in users:
                self.sim.add_user(user, user.lower(), team_id=CUSTOMER_TEAM, email=f"{user.lower()}@customer.test")
            self.sim.add_channel(channel, f"launch-{i}", members=[CSM, *users], is_ext_shared=True)

    def info(self) -> dict:
        return {"url": self.sim.url, "bot_token": self.sim.bot_token,
                "response_url_base": self.sim.response_url_base}

    def confirmations(self) -> dict:
        texts = [str(r.get("text") or "") for r in self.sim.responses]
        return {"responses": len(texts), "recorded": sum("Thanks — recorded" in t for t in texts),
                "sample_other": [t[:200] for t in texts if "Thanks — recorded" not in t][:3]}

    def stop(self) -> None:
        self.sim.stop()


class ClickHost:
    """golive (with posted check-ins) + the bare baseline, in a child process, talking to ClickSim."""

    def __init__(self, db_url: str, sim_info: dict, launches: int, commit: str = "default",
                 synchronous: str = "full"):
        from types import SimpleNamespace

        from bot.core.settings import Settings
        from bot.runtime import Runtime
        from storage.models import CheckIn

        sim = SimpleNamespace(**sim_info)
        channels = channel_ids(launches)
        self.db_url = db_url
        self.clock = ShiftedClock(T - timedelta(days=7))
        self.runtime = Runtime(Settings.from_env(golive_env(sim, self.db_url)), clock=self.clock,
                               db=bench_database(db_url, commit, synchronous))
        raws = [{"customer": f"Customer {i:04d}", "channel": c, "go_live": T.date().isoformat(), "tz": "UTC",
                 "checkin_time": T.strftime("%H:%M"), "csm": [CSM], "support_channel": "C0SUP"}
                for i, c in enumerate(channels)]
        create_launches(self.runtime.db, raws, now=T - timedelta(days=7))
        mark_done_before(self.runtime.db, T)  # heads-ups, help posts, digests...: not needed to answer
        self.tick = self.runtime.tick_once(T)  # the day-1 check-ins
        self.clock.restart(T)
        self.runtime.sender.drain(self.clock, max_wait=60)
        with self.runtime.db.session() as s:
            self.checkins = [(c.channel, c.id, c.message_ts) for c in s.exec(CheckIn.__table__.select()).all()]
        self.golive_server, self.baseline_server = serve_pair(self.runtime, sim)

    def info(self) -> dict:
        return {GOLIVE: self.golive_server.url, BASELINE: self.baseline_server.url, "db_url": self.db_url,
                "checkins": self.checkins, "tick": (len(self.tick.done), len(self.tick.skipped))}

    def cpu(self) -> float:
        return time.process_time()

    def settle(self) -> bool:
        """Until golive has made the confirmations it owes (they follow the acknowledgements)."""
        return self.runtime.after_ack.wait_idle(60)

    def stop(self) -> None:
        self.golive_server.stop()
        self.baseline_server.stop()
        self.runtime.close()


def make_clicks(checkins: list, users_per_launch: int, count: int, clients: int, blocked: float,
                seed: int) -> list[list[tuple]]:
    """`count` clicks as per-client lists; a job is (channel, check-in id, message ts, user, answer).
    A user always goes to the same client (so one person's clicks stay in order)."""
    rng = random.Random(seed)
    per_client: list[list[tuple]] = [[] for _ in range(clients)]
    for _ in range(count):
        launch = rng.randrange(len(checkins))
        channel, checkin_id, ts = checkins[launch]
        u = rng.randrange(users_per_launch)
        user = customer(channel, u)
        r = rng.random()
        answer = "blocked" if r < blocked else ("good" if r < blocked + (1 - blocked) * 0.6 else "friction")
        per_client[(launch * users_per_launch + u) % clients].append((channel, checkin_id, ts, user, answer))
    return per_client


def send_click(sender, job):  # noqa: ANN001, ANN201
    channel, checkin_id, ts, user, answer = job
    return sender.block_action(ACTIONS[answer], user_id=user, channel_id=channel, message_ts=ts,
                               value=str(checkin_id), user_team_id=CUSTOMER_TEAM)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="measured clicks per app (default 5000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per app (default 5)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up clicks per app (default 200)")
    parser.add_argument("--launches", type=int, default=50, help="launches with a posted check-in (default 50)")
    parser.add_argument("--users-per-launch", type=int, default=40, help="customer users per launch (default 40)")
    parser.add_argument("--blocked", type=float, default=0.02, help="share of blocked clicks (default 0.02)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--target", type=float, default=1.2, help="p99 ratio target (default 1.2, issue 13)")
    parser.add_argument("--rate", type=float, default=None,
                        help="paced load: requests/s from all clients together (default: closed loop, each "
                        "client sends again as soon as it is answered)")
    parser.add_argument("--same-process", action="store_true", help="serve from threads of this process")
    add_database_options(parser)
    parser.add_argument("--sim-backlog", type=int, default=SIM_BACKLOG,
                        help=f"listen backlog of the simulator (default {SIM_BACKLOG}; 5 is its own default, see "
                        "common.widen_sim_backlog)")
    args = parser.parse_args()
    clean_environ()

    from sqlmodel import func, select

    from storage.db import Database
    from storage.models import CheckInAnswer, CheckInAnswerHistory, Issue

    with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp, database_url(args.postgres, tmp) as db_url:
        started = time.perf_counter()
        slack = Remote(ClickSim, args.launches, args.users_per_launch, args.sim_backlog,
                       same_process=args.same_process)
        host = Remote(ClickHost, db_url, slack.info, args.launches, args.commit, args.synchronous,
                      same_process=args.same_process)
        info = host.info
        setup_s = time.perf_counter() - started
        try:
            checkins = info["checkins"]
            if len(checkins) != args.launches or not all(ts for *_, ts in checkins):
                raise SystemExit(f"set-up posted {len(checkins)} check-in(s), expected {args.launches} with a ts")
            total = args.warmup + args.requests
            golive_jobs = make_clicks(checkins, args.users_per_launch, total, args.clients, args.blocked, args.seed)
            baseline_jobs = make_clicks(checkins, args.users_per_launch, total, args.clients, args.blocked,
                                        args.seed + 1)
            base = slack.info["response_url_base"]
            runs: dict[str, list] = {GOLIVE: [], BASELINE: []}
            plans = {}
            for name, jobs in ((GOLIVE, golive_jobs), (BASELINE, baseline_jobs)):
                # Warm-up: the first clicks of each client's list; then `runs` pieces of the rest.
                share = [round(args.warmup * len(j) / total) for j in jobs]
                warm = [j[:n] for j, n in zip(jobs, share, strict=True)]
                rest = [j[n:] for j, n in zip(jobs, share, strict=True)]
                plans[name] = (warm, split_runs(rest, args.runs))
            warm_runs = {name: signed_load(info[name], base, plans[name][0], send_click) for name in (GOLIVE, BASELINE)}
            for r in range(args.runs):
                for name in (GOLIVE, BASELINE):
                    runs[name].append(measured(
                        lambda name=name, r=r: signed_load(info[name], base, plans[name][1][r], send_click,
                                                           rate=args.rate),
                        lambda: host.call("cpu")))
            host.call("settle")
            confirmations = slack.call("confirmations")
        finally:
            host.close()
            slack.close()

        db = Database(info["db_url"])
        with db.session() as s:
            history = s.exec(select(func.count(CheckInAnswerHistory.id))).one()
            current = {(a.user_id, a.check_in_id): a.answer for a in s.exec(select(CheckInAnswer)).all()}
            issues = s.exec(select(func.count(Issue.id)).where(Issue.source == "check-in")).one()
        db.dispose()

    golive_results = [r for run in [warm_runs[GOLIVE], *runs[GOLIVE]] for r in run.results]
    clicked = [job for job, status, _ in golive_results]
    ok = [job for job, status, _ in golive_results if status == 200]
    last = {}
    for _, checkin_id, _, user, answer in clicked:  # per user in order: the same client sent them all
        last[(user, checkin_id)] = answer
    blocked_pairs = {(user, checkin_id) for _, checkin_id, _, user, answer in clicked if answer == "blocked"}
    wrong = [pair for pair, answer in last.items() if current.get(pair) != answer]

    print(f"check-in answer clicks over signed HTTP: {args.clients} clients, {args.runs} interleaved runs x "
          f"~{args.requests // args.runs} clicks per app, warm-up {args.warmup}; {args.launches} launches x "
          f"{args.users_per_launch} users; servers and simulator in "
          f"{'this process' if args.same_process else 'two child processes'} "
          f"(set-up {setup_s:.1f} s); load {f'paced at {args.rate:g} req/s' if args.rate else 'closed loop'}; "
          f"database {'PostgreSQL' if args.postgres else 'SQLite'}, commit {args.commit}, "
          f"synchronous {args.synchronous}")
    ratio = ack_comparison(runs)
    counts = {a: sum(1 for job in clicked if job[4] == a) for a in ACTIONS}
    print(f"golive clicks sent {len(clicked)} (good {counts['good']}, friction {counts['friction']}, blocked "
          f"{counts['blocked']}), answered 200: {len(ok)}; distinct (user, check-in) {len(last)}; "
          f"distinct users {len({u for u, _ in last})}")
    problems = []
    if len(ok) != len(clicked):
        problems.append(f"HTTP: {len(clicked) - len(ok)} click(s) not answered 200")
    if history != len(clicked):
        problems.append(f"HISTORY: {history} row(s) for {len(clicked)} click(s)")
    if len(current) != len(last):
        problems.append(f"CURRENT: {len(current)} current answer(s) for {len(last)} distinct (user, check-in)")
    if wrong:
        problems.append(f"CURRENT: {len(wrong)} current answer(s) differ from the person's last click")
    if issues != len(blocked_pairs):
        problems.append(f"ISSUES: {issues} check-in issue(s) for {len(blocked_pairs)} blocked (user, check-in)")
    if confirmations["recorded"] != len(clicked):
        problems.append(f"CONFIRMATIONS: {confirmations['recorded']} 'recorded' of {confirmations['responses']} "
                        f"response_url posts; e.g. {confirmations['sample_other']}")
    print(f"checks: history rows {history} == clicks {len(clicked)}; current answers {len(current)} == distinct "
          f"pairs {len(last)}; last-click mismatches {len(wrong)}; check-in issues {issues} == blocked pairs "
          f"{len(blocked_pairs)}; confirmations {confirmations['recorded']} == clicks")
    for problem in problems:
        print(problem)
    print(verdict("answer_clicks", ratio, args.target, "golive/baseline p99"))
    return 0 if ratio <= args.target and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
