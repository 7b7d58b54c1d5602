"""Soak: `golive run --role all --http` under minutes of mixed signed traffic with Slack faults.

Set-up: a temporary SQLite database with `--launches` launches (`save_launch` + `replan`, go-live two
weeks ahead, each with its own launch and support channel; customers from another organisation in
every launch channel) whose day-1 check-ins are made due now (planned_work due_at set to the current
instant), and the simulator in a child process (its own GIL), which answers chat.postMessage and
chat.update with `--fault-rate` random 429s, 500s, 503s and dropped connections and holds a few
customer messages per launch channel (targets for 🚨) and the messages that mention the bot (an
app_mention event names a message that is already in Slack). `golive run --role all --http` starts; once
every check-in is posted, a warm-up of `--warmup-each` (3) requests of each kind in launch 0 runs and the
outbox drains (the first support card whose launch has another open issue loads the same-problem model,
about 33 MB of word vectors plus scipy/tokenizers, once per process: a lazy load, not growth), then the
start VmRSS is read and the load starts.

Load: `--rate` signed requests per second (open loop: request i is due at start + i/rate, sent by a
pool of `--clients` threads) for `--seconds`, a seeded mix of
  /golive help 20 %, /golive status 15 %, /golive issue 10 % (vendor staff),
  check-in button clicks 30 % (good/friction/blocked, customers and staff),
  🚨 reactions on customer messages 12 %, mentions of the bot describing a problem 13 %.

Reported: requests, errors (non-2xx or no answer), p50/p99/max ack latency (client-side round trip;
Slack's limit is 3 s), the outbox lag over time (GET /healthz `outbox_oldest_age_seconds` and depth,
sampled every `--sample` s, and after the load how long the outbox took to drain), and memory: VmRSS of
the golive process (the simulator runs in its own process, the load generator in this one: neither is
counted) before any request, when the load starts (after the warm-up) and when it ends (after draining),
as ratios.

RESULT: VmRSS end / start ratio (target <= `--target`, default 1.50; `--warmup-each 0` measures the start
before any request, as before issue 13); FAIL also when there was any error, p99 >= 3 s, or the outbox did
not drain within `--drain` s after the load.

    /work/venv/bin/python bench/soak.py --seconds 20        # quick
    /work/venv/bin/python bench/soak.py                     # 2 minutes at 50 requests/s
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import (
    CUSTOMER_TEAM,
    SECRET,
    VENDOR,
    Remote,
    child_environ,
    clean_environ,
    create_launches,
    free_port,
    percentile,
    sqlite_url,
    start_golive,
    stop_processes,
    table,
    vm_rss_kb,
    wait_healthy,
    widen_sim_backlog,
)

STAFF = "U0CSM"
CUSTOMERS = ["U0CUST1", "U0CUST2", "U0CUST3"]
MIX = (("help", 20), ("status", 15), ("issue", 10), ("click", 30), ("reaction", 12), ("mention", 13))
FAULTS = (("429", 0.4), ("500", 0.2), ("503", 0.2), ("drop", 0.2))


def launch_channel(i: int) -> str:
    return f"C0SK{i:04d}"


class SoakSim:
    """The simulator for the soak (in a child process): workspace, faults, customer messages."""

    def __init__(self, launches: int, fault_rate: float, latency: float, seed: int):
        from bot.devkit.simulator import SlackSimulator

        widen_sim_backlog()
        self.sim = SlackSimulator(team_id=VENDOR).start()
        self.sim._server.handle_error = lambda *a: None  # a client that hung up: no traceback noise
        self.sim.add_team(CUSTOMER_TEAM, "Acme Corp")
        for user in (STAFF, "U0SUP", "U0ADMIN"):
            self.sim.add_user(user, user.lower())
        for user in CUSTOMERS:
            self.sim.add_user(user, user.lower(), team_id=CUSTOMER_TEAM)
        for i in range(launches):
            self.sim.add_channel(launch_channel(i), f"launch-{i}", members=[STAFF, *CUSTOMERS], is_ext_shared=True)
            self.sim.add_channel(f"C0SKS{i:04d}", f"support-{i}", members=["U0SUP"])
        for method in ("chat.postMessage", "chat.update"):
            if latency:
                self.sim.set_latency(latency, method)
            for n, (kind, share) in enumerate(FAULTS):
                self.sim.inject_rate(method, kind, fault_rate * share, seed=seed + n, retry_after=1)

    def info(self) -> dict:
        return {"url": self.sim.url, "token": self.sim.bot_token, "response_url_base": self.sim.response_url_base}

    def customer_messages(self, launches: int, per_channel: int) -> list[tuple[str, str, str]]:
        out = []
        for i in range(launches):
            for n in range(per_channel):
                user = CUSTOMERS[n % len(CUSTOMERS)]
                msg = self.sim.post_as_user(launch_channel(i), user, f"Report {n} fails to load in launch {i}")
                out.append((launch_channel(i), msg.ts, user))
        return out

    def mention_messages(self, launches: int, count: int) -> list[tuple[str, str, str, str]]:
        """Messages that mention the bot, already in Slack (as when Slack sends the app_mention event)."""
        out = []
        for n in range(count):
            channel, user = launch_channel(n % launches), CUSTOMERS[n % len(CUSTOMERS)]
            text = f"<@{self.sim.bot_user_id}> soak problem {n}: the dashboard shows no data"
            out.append((channel, self.sim.post_as_user(channel, user, text).ts, user, text))
        return out

    def counts(self) -> dict:
        with self.sim._lock:
            calls = collections.Counter(f"{c.method} {c.status}" for c in self.sim.calls)
            responses = len(self.sim.responses)
        return {"calls": dict(calls), "responses": responses}

    def stop(self) -> None:
        self.sim.stop()


def memory_split(pid: int) -> dict[str, int]:
    """RssAnon, RssFile, RssShmem (kB) and Threads of a process, from /proc/PID/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("RssAnon", "RssFile", "RssShmem", "Threads"):
            out[name] = int(rest.split()[0])
    return out


def healthz(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def main() -> int:  # noqa: C901, PLR0915 - one straight script
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the load (default 120)")
    parser.add_argument("--rate", type=float, default=50.0, help="signed requests per second (default 50)")
    parser.add_argument("--launches", type=int, default=50)
    parser.add_argument("--clients", type=int, default=24, help="threads sending requests")
    parser.add_argument("--fault-rate", type=float, default=0.05, help="share of posts/updates that fail")
    parser.add_argument("--latency", type=float, default=0.02, help="simulator latency per post/update, s")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between lag/memory samples")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds allowed to drain the outbox after")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--target", type=float, default=1.50, help="VmRSS end/start target (default 1.50)")
    parser.add_argument("--warmup-each", type=int, default=3,
                        help="requests of each kind before the start is measured (default 3; 0: start = before "
                             "any request)")
    args = parser.parse_args()
    clean_environ()

    from sqlalchemy import text

    from bot.devkit.slack_requests import SlackRequestSender
    from storage.db import Database
    from storage.migrate import upgrade

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="golive-soak-") as tmp:
        db_url = sqlite_url(tmp)
        db = Database(db_url)
        upgrade(db)
        go_live = (date.today() + timedelta(days=14)).isoformat()
        create_launches(db, [{"customer": f"Customer {i}", "channel": launch_channel(i), "go_live": go_live,
                              "tz": "UTC", "csm": [STAFF], "support_channel": f"C0SKS{i:04d}"}
                             for i in range(args.launches)], datetime.now(UTC))
        with db.session() as s:
            s.execute(text("update planned_work set due_at = :now where kind = 'checkin' and key like '%:checkin:1'"),
                      {"now": datetime.now(UTC)})
        host = Remote(SoakSim, args.launches, args.fault_rate, args.latency, args.seed)
        sim = host.info
        targets = host.call("customer_messages", args.launches, 10)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = child_environ({
            "SLACK_BOT_TOKEN": sim["token"], "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": sim["url"],
            "GOLIVE_DATABASE_URL": db_url, "GOLIVE_ADMINS": "U0ADMIN", "GOLIVE_TEAM_ID": VENDOR,
            "GOLIVE_PORT": str(port), "GOLIVE_TICK_SECONDS": "5",
        })
        log = (Path(tmp) / "golive.log").open("w")
        proc = start_golive("all", env, log, http=True)
        samples: list[tuple[float, int, float, int]] = []
        try:
            wait_healthy(url, proc)
            deadline = time.monotonic() + 60
            while True:
                with db.session() as s:
                    checkins = s.execute(text("select id, channel, message_ts from check_in "
                                              "where message_ts is not null")).all()
                if len(checkins) == args.launches:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"only {len(checkins)} of {args.launches} check-ins were posted in 60 s")
                time.sleep(0.5)
            rss_cold = vm_rss_kb(proc.pid)

            total = int(args.seconds * args.rate)
            kinds = [k for k, w in MIX for _ in range(w)]
            # Warm-up: every kind of request `--warmup-each` times, all in launch 0 (a second issue there meets
            # an open one, so the support card's same-problem check loads its model), then the outbox drains.
            warm = len(MIX) * args.warmup_each
            jobs = [kind for kind, _ in MIX for _ in range(args.warmup_each)]
            jobs += [rng.choice(kinds) for _ in range(total)]
            mentions = iter(host.call("mention_messages", args.launches, jobs.count("mention")))
            mention_of = {i: next(mentions) for i, kind in enumerate(jobs) if kind == "mention"}
            picks = [0.0] * warm + [rng.random() for _ in range(total)]
            latencies: list[float] = []
            errors: list[str] = []
            by_kind: dict[str, list[float]] = collections.defaultdict(list)
            lock = threading.Lock()
            local = threading.local()

            def send(i: int) -> None:
                sender = getattr(local, "sender", None)
                if sender is None:
                    sender = local.sender = SlackRequestSender(url, SECRET, team_id=VENDOR, timeout=30,
                                                               response_url_base=sim["response_url_base"])
                kind, pick = jobs[i], picks[i]
                launch = int(pick * args.launches)
                channel = launch_channel(launch)
                customer = CUSTOMERS[i % len(CUSTOMERS)]
                started = time.perf_counter()
                try:
                    if kind in ("help", "status"):
                        result = sender.slash_command(kind, user_id=STAFF, channel_id=channel)
                    elif kind == "issue":
                        result = sender.slash_command(f"issue Soak problem {i}: exports time out",
                                                      user_id=STAFF, channel_id=channel)
                    elif kind == "click":
                        checkin_id, checkin_channel, ts = checkins[launch % len(checkins)]
                        action = ("checkin_good", "checkin_friction", "checkin_blocked")[i % 3]
                        result = sender.block_action(action, user_id=customer, channel_id=checkin_channel,
                                                     message_ts=ts, value=str(checkin_id),
                                                     user_team_id=CUSTOMER_TEAM)
                    elif kind == "reaction":
                        target_channel, ts, author = targets[int(pick * len(targets))]
                        result = sender.reaction_added("rotating_light", user_id=customer,
                                                       channel_id=target_channel, item_ts=ts, item_user=author,
                                                       user_team=CUSTOMER_TEAM)
                    else:
                        mention_channel, ts, author, said = mention_of[i]
                        result = sender.app_mention(said, user_id=author, channel_id=mention_channel, ts=ts,
                                                    user_team=CUSTOMER_TEAM)
                    problem = None if result.ok else f"{kind} HTTP {result.status}: {result.body_text[:120]}"
                except OSError as exc:
                    problem = f"{kind}: {type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - started
                with lock:
                    if i >= warm:
                        latencies.append(elapsed)
                        by_kind[kind].append(elapsed)
                    if problem:
                        errors.append(problem if i >= warm else f"warm-up {problem}")

            def drain(limit: float) -> float | None:
                """Seconds until GET /healthz shows an empty outbox; None if it did not within `limit`."""
                began = time.monotonic()
                while time.monotonic() - began < limit:
                    if healthz(url)["outbox_depth"] == 0:
                        return time.monotonic() - began
                    time.sleep(0.5)
                return None

            warm_drained: float | None = 0.0
            if warm:
                with ThreadPoolExecutor(max_workers=args.clients) as pool:
                    warm_start = time.monotonic()
                    for i in range(warm):
                        wait = warm_start + i / args.rate - time.monotonic()
                        if wait > 0:
                            time.sleep(wait)
                        pool.submit(send, i)
                warm_drained = drain(args.drain)
            rss_start = vm_rss_kb(proc.pid)
            split_start = memory_split(proc.pid)

            stop_sampling = threading.Event()
            load_start = time.monotonic()

            def sampler() -> None:
                while not stop_sampling.wait(args.sample):
                    try:
                        health = healthz(url)
                        samples.append((time.monotonic() - load_start, health["outbox_depth"],
                                        health["outbox_oldest_age_seconds"], vm_rss_kb(proc.pid)))
                    except (OSError, KeyError, ValueError):
                        samples.append((time.monotonic() - load_start, -1, -1.0, vm_rss_kb(proc.pid)))

            sampling = threading.Thread(target=sampler, daemon=True)
            sampling.start()
            late = 0
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                for i in range(warm, warm + total):
                    due = load_start + (i - warm) / args.rate
                    wait = due - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    elif wait < -0.5:
                        late += 1
                    pool.submit(send, i)
            load_seconds = time.monotonic() - load_start
            drained = drain(args.drain)
            stop_sampling.set()
            sampling.join(timeout=10)
            final = healthz(url)
            rss_end = vm_rss_kb(proc.pid)
            split_end = memory_split(proc.pid)
            counts = host.call("counts")
            with db.session() as s:
                issues = s.execute(text("select count(*) from issue")).scalar()
                answers = s.execute(text("select count(*) from check_in_answer")).scalar()
                statuses = dict(s.execute(text("select status, count(*) from outbox_message group by status")).all())
                stuck = s.execute(text(
                    "select method, status, substr(coalesce(last_error, ''), 1, 60) as error, count(*), "
                    "min(dedupe_key) from outbox_message where status <> 'sent' group by 1, 2, 3 "
                    "order by 4 desc limit 8")).all()
        finally:
            codes = stop_processes([proc])
            log.close()
            host.close()
            db.dispose()

    print(f"load: {len(latencies)} requests in {load_seconds:.1f} s ({len(latencies) / load_seconds:.1f}/s), "
          f"{late} sent over 0.5 s late; exit code {codes[0]}")
    print(table(("kind", "n", "p50 ms", "p99 ms", "max ms"),
                [(k, len(v), percentile(v, 50) * 1000, percentile(v, 99) * 1000, max(v) * 1000)
                 for k, v in sorted(by_kind.items())]))
    print()
    print(table(("t s", "outbox depth", "oldest age s", "VmRSS MB"),
                [(round(t), depth, age, rss / 1024) for t, depth, age, rss in samples]))
    print()
    slack = counts["calls"]
    faults = {k: v for k, v in slack.items() if not k.endswith(" 200")}
    print(f"Slack calls with faults: {faults}")
    print(f"issues {issues}, check-in answers {answers}, outbox {statuses}, dead letters {final['dead_letters']}")
    print(table(("VmRSS split, MB", "RssAnon", "RssFile", "RssShmem", "threads"),
                [(when, *(split.get(k, 0) / 1024 for k in ("RssAnon", "RssFile", "RssShmem")), split.get("Threads", 0))
                 for when, split in (("start", split_start), ("end", split_end))]))
    p99 = percentile(latencies, 99)
    max_age = max((age for _, _, age, _ in samples), default=0.0)
    ratio = rss_end / rss_start
    print(f"VmRSS before any request {rss_cold / 1024:.1f} MB; after the warm-up ({warm} requests, outbox "
          + (f"drained in {warm_drained:.1f} s" if warm_drained is not None else f"NOT drained in {args.drain:.0f} s")
          + f") {rss_start / 1024:.1f} MB = start; end {rss_end / 1024:.1f} MB: end / start {ratio:.2f}x, "
          f"end / before any request {rss_end / rss_cold:.2f}x (context: lazy one-time loads such as the "
          "same-problem model count there)")
    print(f"errors {len(errors)}; ack latency p50 {percentile(latencies, 50) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms; outbox lag max {max_age:.1f} s during the load, drained "
          + (f"{drained:.1f} s after it" if drained is not None else f"NOT within {args.drain:.0f} s")
          + f"; VmRSS {rss_start / 1024:.1f} MB -> {rss_end / 1024:.1f} MB ({ratio:.2f}x)")
    if stuck:
        print(table(("undelivered: method", "status", "last error", "rows", "e.g. key"), stuck))
    for problem in errors[:5]:
        print(f"  error: {problem}")
    ok = not errors and p99 < 3.0 and drained is not None and ratio <= args.target
    print(f"RESULT soak: VmRSS end/start ratio {ratio:.2f} (target <= {args.target:.2f}) {'PASS' if ok else 'FAIL'}"
          f" ({len(errors)} errors, p99 {p99 * 1000:.0f} ms, max outbox lag {max_age:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
