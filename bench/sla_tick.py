"""SLA escalation in one tick: N open issues across 500 launches, a share of them past their deadline,
on SQLite and on PostgreSQL.

A base database gets `--launches` launches (default 500, ORM rows: no planned work, none would be due):
each with a CSM, one of five support channels, every other one an urgent channel, every fifth one
support hours (08:00-20:00 Europe/Berlin), the default SLAs (sev1 15 min, sev2 60, sev3 240) and
escalation ladder (3 steps). SQLite: a file, copied for each run; PostgreSQL (`--databases`, default both):
a throwaway cluster (tests/pg_cluster.py, initdb/pg_ctl) holding the base as a template database, each
run a `CREATE DATABASE … TEMPLATE` copy.
For every size N (`--sizes`, default 1,000, 2,000, 5,000 and 10,000) and every case, a copy of it gets N
open issues bulk-inserted (severity 20% sev1, 50% sev2, 30% sev3, spread evenly over the launches),
with `next_escalation_at` set like golive sets it (created_at + SLA):

* case `10pct`: 10% of them (`--due-fraction`) are due, 1-10 min past the deadline; the rest fall due
  within their SLA (`--repeats` rounds over all sizes, default 2; the fastest run per size is kept);
* case `all`: every one is due.

(Overdue by less than the shortest SLA, so an escalation's next step is in the future: a second tick at
the same instant must escalate nothing.) One warm-up tick at an earlier instant escalates one extra
issue so that the engine's SQL is compiled before timing. Then `schedules.engine.tick(db, now)` is
timed (wall, and this process's CPU: on a shared machine the wall time also holds other people's work;
PostgreSQL's own CPU is in its server processes); it runs the planned-work loop (nothing due) and every
sweeper. While a tick escalates something, ticks at the same instant are repeated, and the time until
every due issue is escalated is reported as well as the first tick's.

Checks: each due issue has escalation_count 1 (escalated exactly once), no other issue was touched, one
"escalated" event and one urgent/support post plus one CSM DM queued per due issue, the tick after
that escalates nothing, and (reported separately) whether ONE tick escalated every due issue.

Result, per database and case: time(largest N) / time(smallest N) against 1.2 x linear (12 for 10k/1k,
the issue's "growth 1k -> 10k <= 1.2 x linear"), and whether the largest N is under `--target-seconds`
(1 s). With `--profile-size` (default 500; 0 turns it off) the first tick of the `all` case at that N runs
again on SQLite under cProfile and the breakdown is printed.

    .venv/bin/python bench/sla_tick.py --sizes 200,500 --launches 100 --profile-size 200   # quick
    .venv/bin/python bench/sla_tick.py                                                     # 1k..10k, both
    .venv/bin/python bench/sla_tick.py --databases sqlite                                  # SQLite only
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import random
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import clean_environ, sqlite_url, table

NOW = datetime(2027, 3, 9, 14, 0, tzinfo=UTC)  # a Tuesday, 15:00 in Berlin (inside support hours)
WARMUP_AT = NOW - timedelta(hours=3) + timedelta(minutes=1)
SLA = {"sev1": 15, "sev2": 60, "sev3": 240}
SEVERITY_MIX = ("sev1",) * 2 + ("sev2",) * 5 + ("sev3",) * 3
CSMS = [f"U0CSM{i:02d}" for i in range(20)]


def build_base(url: str, launches: int) -> tuple[float, list[int]]:
    """Launch rows (and their CSM) written directly with the ORM: only what escalation reads. (Planned
    work is left out: none of it would be due.)"""
    from datetime import date

    from storage.db import Database
    from storage.migrate import upgrade
    from storage.models import Launch, LaunchMember, MemberRole

    db = Database(url)
    upgrade(db)
    started = time.perf_counter()
    with db.session() as s:
        rows = []
        for i in range(launches):
            launch = Launch(customer=f"Customer {i:04d} GmbH", channel=f"C8S{i:06d}", go_live_date=date(2027, 3, 8),
                            timezone="Europe/Berlin", support_channel=f"C0SUP{i % 5}",
                            urgent_channel="C0URG" if i % 2 else None, escalation_steps=3, sla_minutes={},
                            routing={"keywords": [], "severity_channels": {}}, holidays=[],
                            support_hours="08:00-20:00" if i % 5 == 0 else None,
                            support_tz="Europe/Berlin" if i % 5 == 0 else None,
                            created_at=NOW - timedelta(days=30), updated_at=NOW - timedelta(days=30))
            s.add(launch)
            rows.append(launch)
        s.flush()
        for i, launch in enumerate(rows):
            s.add(LaunchMember(launch_id=launch.id, user_id=CSMS[i % len(CSMS)], role=MemberRole.CSM))
        ids = [launch.id for launch in rows]
    seconds = time.perf_counter() - started
    db.dispose()  # SQLite: the last connection to close checkpoints the WAL; PostgreSQL: a template has none
    return seconds, ids


class SqliteStore:
    """The base as a file, copied for each run."""

    name = "SQLite"

    def __init__(self, work: Path):
        self.work = work
        self.base = work / "base.db"
        self.base_url = sqlite_url(work, self.base.name)

    def fresh(self, label: str) -> str:
        path = self.work / f"{label}.db"
        shutil.copyfile(self.base, path)
        if Path(f"{self.base}-wal").exists():
            shutil.copyfile(f"{self.base}-wal", f"{path}-wal")
        return sqlite_url(self.work, path.name)

    def drop(self, label: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.work / label}.db{suffix}").unlink(missing_ok=True)


class PostgresStore:
    """The base as a template database on a throwaway cluster; each run a CREATE DATABASE … TEMPLATE copy."""

    name = "PostgreSQL"

    def __init__(self, cluster):  # noqa: ANN001 - tests.pg_cluster.PostgresCluster
        self.cluster = cluster
        self.base_url = cluster.new_database("sla_base")

    def _admin(self, statement: str, *names: str) -> None:
        from psycopg import sql

        with self.cluster.connect_admin() as conn:
            conn.execute(sql.SQL(statement).format(*map(sql.Identifier, names)))

    def fresh(self, label: str) -> str:
        self._admin("CREATE DATABASE {} TEMPLATE {}", label, "sla_base")
        return self.cluster.url_for(label)

    def drop(self, label: str) -> None:
        self._admin("DROP DATABASE IF EXISTS {}", label)


def issue_rows(launch_ids: list[int], count: int, due: int, seed: int) -> list[dict]:
    """`count` open issues, the first `due` of a shuffled order past their deadline; plus the warm-up
    issue (a sev3 due just before WARMUP_AT on a launch without support hours) at the end."""
    rng = random.Random(seed)
    order = list(range(count))
    rng.shuffle(order)
    due_set = set(order[:due])
    numbers = dict.fromkeys(launch_ids, 0)
    rows = []
    for k in range(count):
        launch_id = launch_ids[k % len(launch_ids)]
        numbers[launch_id] += 1
        severity = SEVERITY_MIX[k % len(SEVERITY_MIX)]
        if k in due_set:
            deadline = NOW - timedelta(minutes=rng.uniform(1, 10))
        else:
            deadline = NOW + timedelta(minutes=rng.uniform(1, SLA[severity]))
        rows.append(_issue(launch_id, numbers[launch_id], severity, deadline, f"bench:{k}", k))
    warm_launch = launch_ids[1]
    numbers[warm_launch] += 1
    rows.append(_issue(warm_launch, numbers[warm_launch], "sev3", WARMUP_AT - timedelta(minutes=1), "bench:warmup",
                       -1))
    return rows


def _issue(launch_id: int, number: int, severity: str, deadline: datetime, key: str, k: int) -> dict:
    return {
        "launch_id": launch_id, "number": number, "severity": severity, "status": "open",
        "text": f"Exports to CSV time out for report {k} (over 10k rows); customers cannot finish month-end close",
        "reporter": f"U9R{k % 3000:05d}", "reporter_team": "T0CUSTOMER", "source": "slash command",
        "source_key": key, "source_channel": None, "support_channel": f"C0SUP{launch_id % 5}",
        "created_at": deadline - timedelta(minutes=SLA[severity]), "escalation_count": 0,
        "next_escalation_at": deadline, "next_update_reminder_at": None,
    }


def insert_issues(db, rows: list[dict]) -> None:  # noqa: ANN001
    from sqlalchemy import insert

    from storage.models import Issue

    with db.session() as s:
        s.execute(insert(Issue.__table__), rows)


def run_case(store, launch_ids: list[int], size: int, due: int, seed: int,  # noqa: ANN001
             profile: bool = False) -> dict:
    from sqlmodel import col, func, select

    from bot.wiring import SCHEDULE
    from schedules.engine import tick
    from storage.db import Database
    from storage.models import Issue, IssueEvent, OutboxMessage

    label = f"case_{size}_{due}_{seed}"
    db = Database(store.fresh(label))
    rows = issue_rows(launch_ids, size, due, seed)
    started = time.perf_counter()
    insert_issues(db, rows)
    insert_s = time.perf_counter() - started
    warm = tick(db, WARMUP_AT, schedule=SCHEDULE, worker_id="bench")
    out: dict = {"size": size, "due": due, "insert_s": insert_s,
                 "warmup_escalated": warm.swept.get("issue_escalation", 0)}
    profiler = cProfile.Profile() if profile else None
    ticks: list[tuple[float, int, float]] = []  # (wall s, escalated, this process's CPU s)
    limit = math.ceil(due / 1000) + 3
    while len(ticks) < limit:
        if profiler is not None and not ticks:
            profiler.enable()
        cpu, started = time.process_time(), time.perf_counter()
        result = tick(db, NOW, schedule=SCHEDULE, worker_id="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler is not None and len(ticks) == 0:
            profiler.disable()
        escalated = result.swept.get("issue_escalation", 0)
        ticks.append((seconds, escalated, cpu))
        if escalated == 0 or profile:
            break
    out["ticks"] = ticks
    out["profile"] = profiler
    if profile:
        db.dispose()
        store.drop(label)
        return out
    with db.session() as s:
        counts = dict(s.exec(select(Issue.escalation_count, func.count(Issue.id))
                             .where(Issue.source_key != "bench:warmup").group_by(Issue.escalation_count)).all())
        escalated_due = s.exec(select(func.count(Issue.id)).where(
            Issue.source_key != "bench:warmup", Issue.escalation_count == 1,
            Issue.created_at <= NOW - timedelta(minutes=15))).one()
        events = s.exec(select(func.count(IssueEvent.id)).where(IssueEvent.kind == "escalated")).one()
        posts = s.exec(select(func.count(OutboxMessage.id))
                       .where(col(OutboxMessage.dedupe_key).like("issue:%:escalation:1"))).one()
        dms = s.exec(select(func.count(OutboxMessage.id))
                     .where(col(OutboxMessage.dedupe_key).like("issue:%:escalation:1:U%"))).one()
        cards = s.exec(select(func.count(OutboxMessage.id))
                       .where(OutboxMessage.method == "golive.issue_card")).one()
    db.dispose()
    store.drop(label)
    out.update(counts=counts, escalated_due=escalated_due, events=events - out["warmup_escalated"],
               posts=posts - out["warmup_escalated"], dms=dms - out["warmup_escalated"],
               cards=cards - out["warmup_escalated"])
    return out


def time_to_all(out: dict) -> float:
    """Seconds of the ticks that escalated something (the first tick's when none did)."""
    busy = [seconds for seconds, n, _ in out["ticks"] if n]
    return sum(busy) or out["ticks"][0][0]


def cpu_to_all(out: dict) -> float:
    """This process's CPU seconds in the same ticks."""
    busy = [cpu for _, n, cpu in out["ticks"] if n]
    return sum(busy) or out["ticks"][0][2]


def check(out: dict) -> list[str]:
    """Correctness of one case, as problems (empty when all is well)."""
    problems = []
    due, size = out["due"], out["size"]
    counts = out["counts"]
    label = f"N={size}, due={due}"
    if counts.get(1, 0) != due or counts.get(0, 0) != size - due or sum(counts.values()) != size:
        problems.append(f"{label}: escalation_count histogram {counts}, expected {{1: {due}, 0: {size - due}}}")
    if out["escalated_due"] != due:
        problems.append(f"{label}: {out['escalated_due']} of the due issues escalated once")
    if out["events"] != due or out["posts"] != due or out["dms"] != due or out["cards"] != due:
        problems.append(f"{label}: {out['events']} events, {out['posts']} escalation posts, {out['dms']} CSM DMs, "
                        f"{out['cards']} card updates for {due} due issues")
    if out["ticks"][-1][1] != 0:
        problems.append(f"{label}: the ticks at the same instant never reached 0 escalations")
    if out["warmup_escalated"] != 1:
        problems.append(f"{label}: the warm-up tick escalated {out['warmup_escalated']} issue(s), expected 1")
    return problems


def print_profile(profiler: cProfile.Profile, escalations: int) -> None:
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    wanted = [
        ("schedules/engine.py", "tick"), ("schedules/engine.py", "_sweep"),
        ("bot/features/issues/service.py", "escalate_due"), ("bot/features/issues/service.py", "_ladders"),
        ("storage/db.py", "session"), ("orm/session.py", "commit"), ("bot/features/issues/service.py", "following"),
        ("bot/features/issues/service.py", "escalation_text"), ("bot/outbox/queue.py", "outbox_row"),
        ("bot/outbox/queue.py", "enqueue_many"), ("orm/session.py", "execute"),
        ("engine/base.py", "_execute_context"), ("{method 'execute' of 'sqlite3.Cursor' objects}", ""),
        ("{method 'commit' of 'sqlite3.Connection' objects}", ""),
    ]
    rows = []
    for suffix, name in wanted:
        for (file, _line, func), (_cc, nc, _tt, ct, _callers) in stats.stats.items():
            match = (func == suffix) if not name else (file.endswith(suffix) and func == name)
            if match:
                rows.append((f"{suffix.split('/')[-1]}:{name}" if name else suffix, nc, ct,
                             ct / total * 100, ct / max(1, escalations) * 1000))
                break
    print(f"profile of one tick with {escalations} escalations (cProfile, {total:.2f} s profiled):")
    print(table(("function", "calls", "cum s", "% of tick", "ms per escalation"), rows))
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(12)
    lines = buf.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    print("top self time:")
    print("\n".join(re.sub(r"\S*/site-packages/", "", line) for line in lines[start:] if line.strip()))


def run_database(store, args, sizes: list[int], cases: list[str]) -> tuple[dict[str, list[dict]], list[str]]:  # noqa: ANN001
    """Every case and size on one database: the chosen run per (case, size), and the problems found."""
    created_s, launch_ids = build_base(store.base_url, args.launches)
    print(f"{store.name} base: {args.launches} launches (and their CSMs) inserted in {created_s:.1f} s", flush=True)
    results: dict[str, list[dict]] = {}
    problems: list[str] = []
    for case in cases:
        runs: dict[int, list[dict]] = {size: [] for size in sizes}
        # Rounds over all sizes (1k, 2k, ..., then again), so a noisy moment does not hit one size only.
        for r in range(args.repeats if case != "all" else 1):
            for size in sizes:
                due = size if case == "all" else round(size * args.due_fraction)
                out = run_case(store, launch_ids, size, due, args.seed + r)
                problems += [f"{store.name} {problem}" for problem in check(out)]
                runs[size].append(out)
        results[case] = []
        for size in sizes:
            outs = sorted(runs[size], key=time_to_all)
            chosen = outs[0]  # the fastest run: on a shared machine noise only ever adds time
            chosen["repeats"] = [time_to_all(o) for o in runs[size]]
            results[case].append(chosen)
    if args.profile_size and isinstance(store, SqliteStore):
        results["profile"] = [run_case(store, launch_ids, args.profile_size, args.profile_size, args.seed,
                                       profile=True)]
    return results, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,2000,5000,10000", help="open issues per run (default 1k,2k,5k,10k)")
    parser.add_argument("--launches", type=int, default=500, help="launches the issues are spread over (default 500)")
    parser.add_argument("--due-fraction", type=float, default=0.10, help="due share in case 10pct (default 0.10)")
    parser.add_argument("--cases", default="10pct,all", help="which cases to run (default 10pct,all)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="sqlite, postgresql or both (default both; PostgreSQL needs initdb/pg_ctl)")
    parser.add_argument("--target-seconds", type=float, default=1.0, help="time target for the largest N (1 s)")
    parser.add_argument("--growth-target", type=float, default=None,
                        help="target for time(largest)/time(smallest) (default 1.2 x the size ratio: 12 for 10k/1k)")
    parser.add_argument("--profile-size", type=int, default=500,
                        help="N of the profiled all-due tick on SQLite (default 500; 0 turns profiling off)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs per size of the due-fraction case, the fastest is kept (default 2; `all` runs once)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    clean_environ()
    sizes = sorted(int(x) for x in args.sizes.split(","))
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    databases = [d.strip().lower() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown or not databases:
        parser.error(f"--databases: sqlite and/or postgresql, not {', '.join(sorted(unknown)) or 'nothing'}")
    growth_target = args.growth_target or 1.2 * sizes[-1] / sizes[0]

    by_database: dict[str, dict[str, list[dict]]] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
        if "sqlite" in databases:
            by_database["SQLite"], found = run_database(SqliteStore(Path(tmp)), args, sizes, cases)
            problems += found
        if "postgresql" in databases:
            from tests.pg_cluster import PostgresCluster

            with PostgresCluster() as cluster:
                by_database["PostgreSQL"], found = run_database(PostgresStore(cluster), args, sizes, cases)
                problems += found

    verdicts = []
    failed = bool(problems)
    for name, results in by_database.items():
        print()
        print(f"SLA escalation tick on {name}: {args.launches} launches, sizes {', '.join(map(str, sizes))}; "
              f"now = {NOW:%Y-%m-%d %H:%M} UTC; bot.features.issues.service.escalate_due, chunk after chunk")
        rows = []
        for case in cases:
            for out in results[case]:
                ticks = out["ticks"]
                busy = [(s, n) for s, n, _ in ticks if n]
                total = time_to_all(out)
                per = total / max(1, out["due"]) * 1000
                rows.append((case, out["size"], out["due"], f"{ticks[0][0]:.3f}", ticks[0][1], len(busy),
                             f"{total:.3f}", f"{cpu_to_all(out):.3f}", f"{per:.3f}", f"{ticks[-1][0]:.3f}",
                             ticks[-1][1], "/".join(f"{x:.2f}" for x in out["repeats"])))
        print(table(("case", "N", "due", "tick 1 s", "escalated by tick 1", "ticks with work", "time to all s",
                     "client CPU s", "ms per escalation", "next tick s", "next tick escalated", "runs (s)"), rows))
        for case in cases:
            first, last = results[case][0], results[case][-1]
            growth = time_to_all(last) / time_to_all(first)
            cpu_growth = cpu_to_all(last) / max(1e-9, cpu_to_all(first))
            one_tick = all(out["ticks"][0][1] == out["due"] for out in results[case])
            fast = time_to_all(last) < args.target_seconds
            ok = growth <= growth_target and fast
            failed |= not ok
            print(f"{name} {case}: time to escalate all due, N={last['size']} / N={first['size']}: {growth:.2f} "
                  f"(linear = {last['size'] / first['size']:.1f}; CPU {cpu_growth:.2f}); N={last['size']}: "
                  f"{time_to_all(last):.3f} s, {cpu_to_all(last):.3f} s CPU here (target < {args.target_seconds:g} s); "
                  f"one tick escalated every due issue at every N: {'yes' if one_tick else 'NO'}")
            verdicts.append(f"{name} {case} growth ratio {growth:.2f} (target <= {growth_target:.2f}), "
                            f"N={last['size']} {time_to_all(last):.2f} s (target < {args.target_seconds:g} s) "
                            f"{'PASS' if ok else 'FAIL'}")
        if results.get("profile") and results["profile"][0]["profile"] is not None:
            print()
            print_profile(results["profile"][0]["profile"], results["profile"][0]["ticks"][0][1])
    print()
    for problem in problems:
        print("CHECK FAILED:", problem)
    if not problems:
        print("checks: every due issue escalated exactly once, no other issue touched, one event, one post, one "
              "CSM DM and one card update per escalation, and the next tick at the same instant escalated nothing")
    print("RESULT sla_tick: " + "; ".join(verdicts) + (" (correctness check failed)" if problems else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
