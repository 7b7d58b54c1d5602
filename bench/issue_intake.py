"""Issue intake: `/golive issue TEXT` over signed HTTP, p99 ack latency against a bare Bolt app, then routing.

A child process runs golive's real web server (`Runtime(settings).web(port=0)`, SQLite temp file, or
PostgreSQL with --postgres) and ack_latency.py's baseline (a bare Bolt app that only acks, behind the same
web layer); the Slack simulator runs in a second child process, as Slack answers from elsewhere. golive
gets `--launches` launches (save_launch + replan; default 50), each routed to one of
`--support-channels` support channels (default 5).

Load: `--clients` threads (default 16), each with its own `SlackRequestSender`, send signed
`/golive issue <text>` slash commands as vendor staff (`--staff` users of the vendor's team, default
50) in launch channels; every text is unique. golive and the baseline get interleaved runs (`--runs`,
default 4, splitting `--requests`, default 2,000 per app) after a warm-up (`--warmup`, real issues
too); the headline is median(golive p99) / median(baseline p99), as in ack_latency.py.

Then the child delivers golive's outbox (`Sender.drain`, no rate limit) and the checks run: every
request answered "Recorded issue #N", one Issue row per request (warm-up included) with its exact
text, numbers 1..k per launch without gaps or repeats, and in Slack exactly one support card per
issue (in the support channel its launch routes to, carrying the card's outbox key), one reporter
notice per issue in the launch channel, and no outbox row left unsent.

    /work/venv/bin/python bench/issue_intake.py --requests 400 --warmup 32 --runs 2   # quick (~20 s)
    /work/venv/bin/python bench/issue_intake.py                                       # 2,000 issues per app
"""

from __future__ import annotations

import argparse
import collections
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta

from common import (
    CSM,
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
    measured,
    populate,
    serve_pair,
    signed_load,
    split_runs,
    table,
    verdict,
    widen_sim_backlog,
)

T = datetime(2027, 3, 9, 11, 0, tzinfo=UTC)  # Tuesday of launch week
GOLIVE, BASELINE = "golive", "baseline"
RECORDED = re.compile(r"Recorded issue \*#(\d+)\*")


def channel_ids(count: int) -> list[str]:
    return [f"C8I{i:06d}" for i in range(count)]


def support_ids(count: int) -> list[str]:
    return [f"C0SUP{i:02d}" for i in range(count)]


def staff_ids(count: int) -> list[str]:
    return [f"U0STAFF{i:03d}" for i in range(count)]


class IntakeSim:
    """The Slack simulator, in a process of its own (Slack answers from elsewhere): staff, support and launch
    channels; afterwards, what reached each channel."""

    def __init__(self, launches: int, supports: int, staff: int, sim_backlog: int = SIM_BACKLOG):
        from bot.devkit.simulator import SlackSimulator

        widen_sim_backlog(sim_backlog)
        self.sim = SlackSimulator(team_id=VENDOR).start()
        populate(self.sim)
        people = staff_ids(staff)
        for user in people:
            self.sim.add_user(user, user.lower(), email=f"{user.lower()}@vendor.test")
        self.supports = support_ids(supports)
        for channel in self.supports:
            self.sim.add_channel(channel, channel.lower(), members=[CSM, *people])
        self.channels = channel_ids(launches)
        for i, channel in enumerate(self.channels):
            self.sim.add_channel(channel, f"launch-{i}", members=[CSM, *people], is_ext_shared=True)

    def info(self) -> dict:
        return {"url": self.sim.url, "bot_token": self.sim.bot_token,
                "response_url_base": self.sim.response_url_base}

    def summary(self) -> dict:
        """Per channel: (outbox key, is a thread reply) of every message."""
        out = {}
        for channel in self.supports + self.channels:
            out[channel] = [(((m.metadata or {}).get("event_payload") or {}).get("key"), m.is_reply)
                            for m in self.sim.messages(channel)]
        return out

    def stop(self) -> None:
        self.sim.stop()


class IntakeHost:
    """golive + the bare baseline, in a child process talking to IntakeSim; delivers on request."""

    def __init__(self, db_url: str, sim_info: dict, launches: int, supports: int, commit: str = "default",
                 synchronous: str = "full"):
        from types import SimpleNamespace

        from bot.core.settings import Settings
        from bot.runtime import Runtime

        sim = SimpleNamespace(**sim_info)
        self.db_url = db_url
        self.clock = ShiftedClock(T)
        self.runtime = Runtime(Settings.from_env(golive_env(sim, self.db_url)), clock=self.clock,
                               db=bench_database(db_url, commit, synchronous))
        support = support_ids(supports)
        raws = [{"customer": f"Customer {i:04d}", "channel": c, "go_live": (T - timedelta(days=1)).date().isoformat(),
                 "tz": "UTC", "csm": [CSM], "support_channel": support[i % len(support)]}
                for i, c in enumerate(channel_ids(launches))]
        create_launches(self.runtime.db, raws, now=T - timedelta(days=7))  # no tick runs: the plan stays unused
        self.golive_server, self.baseline_server = serve_pair(self.runtime, sim)

    def info(self) -> dict:
        return {GOLIVE: self.golive_server.url, BASELINE: self.baseline_server.url, "db_url": self.db_url}

    def cpu(self) -> float:
        return time.process_time()

    def deliver(self, max_wait: float) -> dict:
        self.golive_server.stop()
        self.baseline_server.stop()
        started = time.perf_counter()
        stats = self.runtime.sender.drain(self.clock, max_wait=max_wait)
        return {"seconds": time.perf_counter() - started, "sent": stats.sent, "retried": stats.retried,
                "rate_limited": stats.rate_limited, "dead": stats.dead, "deferred": stats.deferred}

    def stop(self) -> None:
        self.golive_server.stop()
        self.baseline_server.stop()
        self.runtime.close()


def make_commands(launches: int, staff: int, count: int, clients: int, tag: str) -> list[list[tuple]]:
    """`count` commands as per-client lists; a job is (channel, user, text). Round-robin over launches and
    staff, so every launch gets about the same number of issues."""
    channels, people = channel_ids(launches), staff_ids(staff)
    per_client: list[list[tuple]] = [[] for _ in range(clients)]
    for k in range(count):
        text = f"Exports to CSV time out for report {tag}-{k} (over 10k rows, since this morning)"
        per_client[k % clients].append((channels[k % launches], people[(k * 7) % staff], text))
    return per_client


def send_issue(sender, job):  # noqa: ANN001, ANN201
    channel, user, text = job
    return sender.slash_command(f"issue {text}", user_id=user, channel_id=channel)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured commands per app (default 2000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument("--runs", type=int, default=4, help="interleaved runs per app (default 4)")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up commands per app (default 100)")
    parser.add_argument("--launches", type=int, default=50, help="launches (default 50)")
    parser.add_argument("--support-channels", type=int, default=5, help="support channels (default 5)")
    parser.add_argument("--staff", type=int, default=50, help="vendor staff users sending commands (default 50)")
    parser.add_argument("--max-wait", type=float, default=150.0, help="give up delivering after this many seconds")
    parser.add_argument("--target", type=float, default=1.2, help="p99 ratio target (default 1.2, issue 13)")
    parser.add_argument("--rate", type=float, default=None,
                        help="paced load: requests/s from all clients together (default: closed loop, each "
                        "client sends again as soon as it is answered)")
    parser.add_argument("--same-process", action="store_true", help="serve from threads of this process")
    add_database_options(parser)
    parser.add_argument("--sim-backlog", type=int, default=SIM_BACKLOG,
                        help=f"listen backlog of the simulator (default {SIM_BACKLOG}; 5 is its own default)")
    args = parser.parse_args()
    clean_environ()

    from sqlmodel import func, select

    from storage.db import Database
    from storage.models import Issue, Launch, OutboxMessage

    with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp, database_url(args.postgres, tmp) as db_url:
        started = time.perf_counter()
        workspace = Remote(IntakeSim, args.launches, args.support_channels, args.staff, args.sim_backlog,
                           same_process=args.same_process)
        host = Remote(IntakeHost, db_url, workspace.info, args.launches, args.support_channels, args.commit,
                      args.synchronous, same_process=args.same_process)
        info = host.info
        setup_s = time.perf_counter() - started
        try:
            total = args.warmup + args.requests
            base = workspace.info["response_url_base"]
            plans = {}
            for name in (GOLIVE, BASELINE):
                jobs = make_commands(args.launches, args.staff, total, args.clients, name)
                share = [round(args.warmup * len(j) / total) for j in jobs]
                plans[name] = ([j[:n] for j, n in zip(jobs, share, strict=True)],
                               split_runs([j[n:] for j, n in zip(jobs, share, strict=True)], args.runs))
            warm = {name: signed_load(info[name], base, plans[name][0], send_issue) for name in (GOLIVE, BASELINE)}
            runs: dict[str, list] = {GOLIVE: [], BASELINE: []}
            for r in range(args.runs):
                for name in (GOLIVE, BASELINE):
                    runs[name].append(measured(
                        lambda name=name, r=r: signed_load(info[name], base, plans[name][1][r], send_issue,
                                                           rate=args.rate),
                        lambda: host.call("cpu")))
            delivery = host.call("deliver", args.max_wait)
            slack = workspace.call("summary")
        finally:
            host.close()
            workspace.close()

        db = Database(info["db_url"])
        with db.session() as s:
            issues = s.exec(select(Issue)).all()
            launch_of = {launch.id: launch for launch in s.exec(select(Launch)).all()}
            outbox = dict(s.exec(select(OutboxMessage.status, func.count(OutboxMessage.id))
                                 .group_by(OutboxMessage.status)).all())
        db.dispose()

    print(f"/golive issue over signed HTTP: {args.clients} clients, {args.runs} interleaved runs x "
          f"~{args.requests // args.runs} commands per app, warm-up {args.warmup}; {args.launches} launches, "
          f"{args.support_channels} support channels, {args.staff} staff; servers and simulator in "
          f"{'this process' if args.same_process else 'two child processes'} (set-up {setup_s:.1f} s); load "
          f"{f'paced at {args.rate:g} req/s' if args.rate else 'closed loop'}; database "
          f"{'PostgreSQL' if args.postgres else 'SQLite'}, commit {args.commit}, synchronous {args.synchronous}")
    ratio = ack_comparison(runs)

    # -- checks -----------------------------------------------------------------------------------
    results = [r for run in [warm[GOLIVE], *runs[GOLIVE]] for r in run.results]
    sent_texts = collections.Counter(job[2] for job, _, _ in results)
    answered = [(job, RECORDED.search(body)) for job, status, body in results if status == 200]
    numbered = [(job[0], int(m.group(1))) for job, m in answered if m]
    problems = []
    if len(numbered) != len(results):
        bad = [body[:160] for job, status, body in results if status != 200 or not RECORDED.search(body)]
        problems.append(f"HTTP: {len(results) - len(numbered)} command(s) not answered 'Recorded issue', "
                        f"e.g. {bad[:2]}")
    if len(set(numbered)) != len(numbered):
        problems.append(f"NUMBERS: {len(numbered) - len(set(numbered))} (channel, number) answered twice")
    slash = [i for i in issues if i.source == "slash command"]
    stored_texts = collections.Counter(i.text for i in slash)
    if stored_texts != sent_texts:
        missing = sum((sent_texts - stored_texts).values())
        extra = sum((stored_texts - sent_texts).values())
        problems.append(f"RECORDED: {len(slash)} issue(s) for {len(results)} command(s); {missing} missing, "
                        f"{extra} extra or duplicated")
    by_launch = collections.defaultdict(list)
    for issue in slash:
        by_launch[issue.launch_id].append(issue.number)
    gaps = [lid for lid, numbers in by_launch.items() if sorted(numbers) != list(range(1, len(numbers) + 1))]
    if gaps:
        problems.append(f"NUMBERS: {len(gaps)} launch(es) whose issue numbers are not 1..k")
    routed_to = {i.id: i.support_channel for i in slash}
    expected_channel = {i.id: launch_of[i.launch_id].support_channel for i in slash}
    misrouted = [i for i, ch in routed_to.items() if ch != expected_channel[i]]
    cards = collections.Counter()
    card_where: dict[int, set[str]] = collections.defaultdict(set)
    notices = collections.Counter()
    for channel, messages in slack.items():
        for key, is_reply in messages:
            match = re.fullmatch(r"issue:(\d+):card", key or "")
            if match and not is_reply:
                cards[int(match.group(1))] += 1
                card_where[int(match.group(1))].add(channel)
            match = re.fullmatch(r"issue:(\d+):reporter:reported", key or "")
            if match:
                notices[int(match.group(1))] += 1
    no_card = [i for i in routed_to if cards[i] == 0]
    twice = [i for i in routed_to if cards[i] > 1]
    wrong_place = [i for i in routed_to if cards[i] and card_where[i] != {expected_channel[i]}]
    no_notice = [i for i in routed_to if notices[i] != 1]
    if misrouted or no_card or twice or wrong_place:
        problems.append(f"ROUTING: {len(misrouted)} routed to the wrong channel, {len(no_card)} without a card, "
                        f"{len(twice)} with more than one card, {len(wrong_place)} card(s) in the wrong channel")
    if no_notice:
        problems.append(f"REPORTER: {len(no_notice)} issue(s) without exactly one reporter notice")
    not_sent = {k: v for k, v in outbox.items() if k != "sent"}
    if not_sent:
        problems.append(f"OUTBOX: rows not sent: {not_sent}")

    print()
    print(table(("measure", "value"), [
        ("commands sent to golive (warm-up + measured)", len(results)),
        ("answered 'Recorded issue #N'", len(numbered)),
        ("Issue rows (slash command)", len(slash)),
        ("launches with issues / numbers 1..k", f"{len(by_launch)} / {len(by_launch) - len(gaps)}"),
        ("delivery (Sender.drain, no rate limit)", f"{delivery['seconds']:.1f} s: sent {delivery['sent']}, "
                                                   f"retried {delivery['retried']}, dead {delivery['dead']}, "
                                                   f"deferred {delivery['deferred']}"),
        ("outbox rows by status", ", ".join(f"{k}={v}" for k, v in sorted(outbox.items()))),
        ("support cards: issues with exactly one", sum(1 for i in routed_to if cards[i] == 1)),
        ("  without a card / with >1 / wrong channel", f"{len(no_card)} / {len(twice)} / {len(wrong_place)}"),
        ("reporter notices: issues with exactly one", len(routed_to) - len(no_notice)),
    ]))
    for problem in problems:
        print(problem)
    print(verdict("issue_intake", ratio, args.target, "golive/baseline p99"))
    return 0 if ratio <= args.target and not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
