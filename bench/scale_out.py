"""Scale-out on PostgreSQL: 2 web + N worker processes on one database, 3 workers against 1.

A throwaway PostgreSQL cluster (tests/pg_cluster.py: initdb/pg_ctl) holds one template database,
prepared once with the real domain: `--launches` launches (go-live two weeks ahead, each with its own
launch channel, support channel and CSM; `save_launch` + `replan`) and `--sla-issues` issues opened
90 minutes ago (`bot.features.issues.service.open_issue` with a past `now`), whose 1 h time to acknowledge has passed.
Each run gets a fresh copy (CREATE DATABASE … TEMPLATE) and a fresh simulator (in a child process,
so it does not share a GIL with the load generator): per-channel limit 1 chat.postMessage/s, no
workspace cap, `--latency` seconds per chat.postMessage/chat.update, and 429s, 500s, 503s and dropped
connections injected at random (`--fault-rate` in all, seeded).

One run:
1. `golive run --role web --http` twice; `--issues` signed `/golive issue …` slash commands are sent
   to the two web processes alternately by `--clients` threads (intake: errors and p99 reported);
2. every launch's day-1 check-in is made due now (its planned_work due_at set to the current instant:
   deterministic, and it still runs through the real check-in kind);
3. `--workers` `golive run --role worker` processes start: they tick (check-ins, the SLA sweep) and
   deliver. Delivery time = from the first Slack call the workers make to the moment nothing is left
   in the outbox and every expected post is in Slack (measured on the simulator's clock).

Checked after each run: every check-in, issue card, escalation post and escalation DM is in Slack
exactly once, no outbox key twice, every outbox row 'sent' (zero losses, zero duplicates).

RESULT: delivery time with 3 workers / with 1 worker (same load, same run): the speed-up's inverse.
Target <= 0.80 ("measurably faster").

    /work/venv/bin/python bench/scale_out.py --launches 200 --issues 200 --sla-issues 40   # quick (~1 min)
    /work/venv/bin/python bench/scale_out.py          # 1,000 check-ins, 1,000 issues, 200 SLA escalations
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import (
    SECRET,
    VENDOR,
    Remote,
    child_environ,
    clean_environ,
    free_port,
    outbox_key,
    percentile,
    start_golive,
    stop_processes,
    table,
    wait_healthy,
    widen_sim_backlog,
)

STAFF = "U0CSM"
SUPPORT = "U0SUP"
FAULTS = (("429", 0.4), ("500", 0.2), ("503", 0.2), ("drop", 0.2))  # shares of --fault-rate


def launch_channel(i: int) -> str:
    return f"C0L{i:05d}"


def support_channel(i: int) -> str:
    return f"C0S{i:05d}"


def csm(i: int) -> str:
    return f"U0C{i:05d}"


class SimHost:
    """The simulator with the benchmark's workspace, limits and faults (lives in a child process)."""

    def __init__(self, launches: int, latency: float, fault_rate: float, seed: int):
        from bot.devkit.simulator import SlackSimulator

        widen_sim_backlog()
        self.sim = SlackSimulator(team_id=VENDOR).start()
        self.sim._server.handle_error = lambda *a: None  # a client that hung up: no traceback noise
        self.sim.add_user(STAFF, "carla.csm")
        self.sim.add_user(SUPPORT, "sam.support")
        self.sim.add_user("U0ADMIN", "ada.admin")
        for i in range(launches):
            self.sim.add_user(csm(i), f"csm{i}")
            self.sim.add_channel(launch_channel(i), f"launch-{i}", members=[csm(i), STAFF])
            self.sim.add_channel(support_channel(i), f"support-{i}", members=[SUPPORT])
        self.sim.set_rate_limit(per_channel_per_sec=1.0, workspace_per_sec=None)
        for method in ("chat.postMessage", "chat.update"):
            self.sim.set_latency(latency, method)
            for n, (kind, share) in enumerate(FAULTS):
                self.sim.inject_rate(method, kind, fault_rate * share, seed=seed + n, retry_after=1)

    def info(self) -> dict:
        return {"url": self.sim.url, "token": self.sim.bot_token, "response_url_base": self.sim.response_url_base}

    def keys(self) -> dict[str, int]:
        return dict(collections.Counter(outbox_key(m) for m in self.sim.all_messages() if outbox_key(m)))

    def call_summary(self) -> dict:
        """First worker call, last successful post/update (simulator clock), and status counts."""
        with self.sim._lock:
            calls = [c for c in self.sim.calls if c.method in ("chat.postMessage", "chat.update")]
        ok = [c.at for c in calls if c.status == 200 and (c.response or {}).get("ok")]
        statuses = collections.Counter(str(c.status) for c in calls)
        return {"first": min((c.at for c in calls), default=None), "last_ok": max(ok, default=None),
                "statuses": dict(statuses), "now": time.time()}

    def stop(self) -> None:
        self.sim.stop()


def prepare_template(url: str, launches: int, sla_issues: int) -> None:
    from bot.features.issues.service import open_issue
    from bot.features.launches.service import LaunchInput
    from bot.flows.launches import save_launch
    from bot.flows.planning import replan
    from storage.db import Database
    from storage.migrate import upgrade

    db = Database(url)
    upgrade(db)
    now = datetime.now(UTC)
    go_live = (date.today() + timedelta(days=14)).isoformat()
    with db.session() as s:
        ids = []
        for i in range(launches):
            launch, _ = save_launch(s, LaunchInput.parse({
                "customer": f"Customer {i}", "channel": launch_channel(i), "go_live": go_live, "tz": "UTC",
                "csm": [csm(i)], "support_channel": support_channel(i)}), now=now)
            replan(s, launch, now=now)
            ids.append(launch)
        past = now - timedelta(minutes=90)
        for i in range(sla_issues):
            launch = ids[i % launches]
            open_issue(s, launch=launch, text=f"SLA problem {i}", reporter=STAFF, reporter_team=VENDOR,
                       source="bench", source_key=f"bench-sla:{i}", now=past, source_channel=launch.channel)
    db.dispose()


def send_issues(urls: list[str], response_url_base: str, count: int, launches: int, clients: int) -> dict:
    from bot.devkit.slack_requests import SlackRequestSender

    senders = [SlackRequestSender(url, SECRET, team_id=VENDOR, response_url_base=response_url_base, timeout=30)
               for url in urls]
    lock = threading.Lock()
    jobs = iter(range(count))
    latencies: list[float] = []
    errors: list[str] = []

    def client() -> None:
        while True:
            with lock:
                i = next(jobs, None)
            if i is None:
                return
            started = time.perf_counter()
            try:
                answer = senders[i % len(senders)].slash_command(
                    f"issue Exports time out, case {i}", user_id=STAFF, channel_id=launch_channel(i % launches))
                ok = answer.status == 200 and "Recorded issue" in answer.body_text
                problem = None if ok else f"{answer.status}: {answer.body_text[:120]}"
            except OSError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            with lock:
                latencies.append(time.perf_counter() - started)
                if problem:
                    errors.append(problem)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"wall": wall, "p99": percentile(latencies, 99), "errors": errors}


def run(cluster, template: str, workers: int, args, workdir: Path) -> dict:  # noqa: ANN001
    from sqlalchemy import text

    from storage.db import Database

    name = f"scale_{workers}w_{int(time.time() * 1000) % 10**8}"
    from psycopg import sql

    with cluster.connect_admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    url = cluster.url_for(name)
    db = Database(url)
    host = Remote(SimHost, args.launches, args.latency, args.fault_rate, args.seed)
    sim = host.info
    env = child_environ({
        "SLACK_BOT_TOKEN": sim["token"], "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": sim["url"],
        "GOLIVE_DATABASE_URL": url, "GOLIVE_ADMINS": "U0ADMIN", "GOLIVE_TEAM_ID": VENDOR,
        "GOLIVE_TICK_SECONDS": "1",
    })
    procs = []
    log = (workdir / f"{name}.log").open("w")
    try:
        ports = [free_port(), free_port()]
        webs = [start_golive("web", {**env, "GOLIVE_PORT": str(p)}, log, http=True) for p in ports]
        procs += webs
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for u, proc in zip(urls, webs, strict=True):
            wait_healthy(u, proc)
        intake = send_issues(urls, sim["response_url_base"], args.issues, args.launches, args.clients)

        with db.session() as s:
            issue_ids = s.execute(text("select id from issue")).scalars().all()
            launch_ids = s.execute(text("select id from launch")).scalars().all()
            sla = s.execute(text("select i.id, m.user_id from issue i join launch_member m "
                                 "on m.launch_id = i.launch_id and m.role = 'csm' where i.source = 'bench'")).all()
            s.execute(text("update planned_work set due_at = :now where kind = 'checkin' and key like '%:checkin:1'"),
                      {"now": datetime.now(UTC)})
        expected = {f"launch:{lid}:checkin:1" for lid in launch_ids} | {f"issue:{iid}:card" for iid in issue_ids}
        expected |= {f"issue:{iid}:escalation:1" for iid, _ in sla}
        expected |= {f"issue:{iid}:escalation:1:{user}" for iid, user in sla}

        started = time.monotonic()
        procs += [start_golive("worker", env, log) for _ in range(workers)]
        deadline = started + args.timeout
        while True:
            with db.session() as s:
                left = s.execute(text("select count(*) from outbox_message where status <> 'sent'")).scalar()
                due = s.execute(text("select count(*) from planned_work where status = 'pending' and due_at <= :now"),
                                {"now": datetime.now(UTC)}).scalar()
            if left == 0 and due == 0:
                keys = host.call("keys")
                if expected <= set(keys):
                    break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a golive process died; see {log.name}")
            if time.monotonic() > deadline:
                raise SystemExit(f"not delivered within {args.timeout:.0f} s ({left} rows left); see {log.name}")
            time.sleep(0.5)
        calls = host.call("call_summary")
        keys = host.call("keys")
        with db.session() as s:
            statuses = dict(s.execute(text("select status, count(*) from outbox_message group by status")).all())
            rows = sum(statuses.values())
            done_by = s.execute(text("select count(distinct claimed_by) from planned_work "
                                     "where kind = 'checkin' and status = 'done'")).scalar()
    finally:
        stop_processes(procs)
        log.close()
        host.close()
        db.dispose()
    return {
        "workers": workers, "intake_wall": intake["wall"], "intake_p99": intake["p99"],
        "intake_errors": len(intake["errors"]), "first_errors": intake["errors"][:3],
        "delivery": calls["last_ok"] - calls["first"], "total": time.monotonic() - started,
        "rows": rows, "statuses": statuses, "calls": calls["statuses"], "checkin_workers": done_by,
        "expected": len(expected), "duplicates": sum(n - 1 for n in keys.values() if n > 1),
        "losses": len(expected - set(keys)), "not_sent": rows - statuses.get("sent", 0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=1000, help="launches, each with a check-in due (1000)")
    parser.add_argument("--issues", type=int, default=1000, help="/golive issue slash commands (1000)")
    parser.add_argument("--sla-issues", type=int, default=200, help="issues past their SLA, escalated (200)")
    parser.add_argument("--latency", type=float, default=0.08, help="simulator latency per post/update, s")
    parser.add_argument("--fault-rate", type=float, default=0.08, help="share of posts/updates that fail")
    parser.add_argument("--clients", type=int, default=8, help="threads sending slash commands")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=float, default=240.0, help="give up a run after this many seconds")
    parser.add_argument("--target", type=float, default=0.80, help="3-worker time / 1-worker time target")
    args = parser.parse_args()
    clean_environ()

    from tests.pg_cluster import PostgresCluster

    results = []
    with tempfile.TemporaryDirectory(prefix="golive-scale-") as tmp, PostgresCluster() as cluster:
        template = "scale_template"
        started = time.monotonic()
        prepare_template(cluster.new_database(template), args.launches, args.sla_issues)
        print(f"template: {args.launches} launches, {args.sla_issues} SLA issues in "
              f"{time.monotonic() - started:.1f} s", flush=True)
        for workers in (1, 3):
            result = run(cluster, template, workers, args, Path(tmp))
            results.append(result)
            print(f"{workers} worker(s): delivered in {result['delivery']:.1f} s", flush=True)
    print()
    print(table(("workers", "intake s", "intake p99 ms", "intake errors", "outbox rows", "expected posts",
                 "delivery s", "429", "5xx", "dropped", "check-ins by N workers", "duplicates", "losses",
                 "rows not sent"),
                [(r["workers"], r["intake_wall"], r["intake_p99"] * 1000, r["intake_errors"], r["rows"],
                  r["expected"], r["delivery"], r["calls"].get("429", 0),
                  r["calls"].get("500", 0) + r["calls"].get("503", 0), r["calls"].get("0", 0),
                  r["checkin_workers"], r["duplicates"], r["losses"], r["not_sent"]) for r in results]))
    for r in results:
        if r["first_errors"]:
            print(f"intake errors ({r['workers']} worker run): {r['first_errors']}")
    one, three = results
    ratio = three["delivery"] / one["delivery"]
    print(f"\nspeed-up with 3 workers: {one['delivery'] / three['delivery']:.2f}x")
    correct = all(r["duplicates"] == 0 and r["losses"] == 0 and r["not_sent"] == 0 and r["intake_errors"] == 0
                  for r in results)
    ok = correct and ratio <= args.target
    print(f"RESULT scale_out: delivery time 3 workers / 1 worker ratio {ratio:.2f} (target <= {args.target:.2f}) "
          f"{'PASS' if ok else 'FAIL'}{'' if correct else ' (duplicates, losses or intake errors)'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
