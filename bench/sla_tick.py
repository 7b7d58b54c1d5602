"""SLA escalation in one tick: N open issues across 500 launches, a share of them past their deadline.

A base database gets `--launches` launches (default 500, ORM rows: no planned work, none would be due):
each with a CSM, one of five support channels, every other one an urgent channel, every fifth one
support hours (08:00-20:00 Europe/Berlin), the default SLAs (sev1 15 min, sev2 60, sev3 240) and
escalation ladder (3 steps).
For every size N (`--sizes`, default 1,000, 2,000, 5,000 and 10,000) and every case, a copy of it gets N
open issues bulk-inserted (severity 20% sev1, 50% sev2, 30% sev3, spread evenly over the launches),
with `next_escalation_at` set like golive sets it (created_at + SLA):

* case `10pct`: 10% of them (`--due-fraction`) are due, 1-10 min past the deadline; the rest fall due
  within their SLA (`--repeats` rounds over all sizes, default 2; the fastest run per size is kept);
* case `all`: every one is due.

(Overdue by less than the shortest SLA, so an escalation's next step is in the future: a second tick at
the same instant must escalate nothing.) One warm-up tick at an earlier instant escalates one extra
issue so that the engine's SQL is compiled before timing. Then `schedules.engine.tick(db, now)` is
timed; it runs the planned-work loop (nothing due) and every sweeper. While a tick escalates something,
ticks at the same instant are repeated (golive's sweep takes at most `due_escalations`' limit per tick),
and the time until every due issue is escalated is reported as well as the first tick's.

Checks: each due issue has escalation_count 1 (escalated exactly once), no other issue was touched, one
"escalated" event and one urgent/support post plus one CSM DM queued per due issue, the tick after
that escalates nothing, and (reported separately) whether ONE tick escalated every due issue.

Result: per case, time(largest N) / time(smallest N) — close to linear means about 10 for 10k/1k —
and whether the largest N is under `--target-seconds` (1 s). With `--profile` (default on) the first
tick of the `all` case at `--profile-size` runs again under cProfile and the breakdown is printed.

    /work/venv/bin/python bench/sla_tick.py --sizes 200,500 --launches 100 --profile-size 200   # quick
    /work/venv/bin/python bench/sla_tick.py                                                     # 1k..10k
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import random
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


def build_base(path: Path, launches: int) -> tuple[float, list[int]]:
    """Launch rows (and their CSM) written directly with the ORM: only what escalation reads. (Planned
    work is left out: none of it would be due, and save_launch + replan costs ~0.1 s per launch,
    mostly bot/core/clock.py's parse_zone listing every zone on disk on each call.)"""
    from datetime import date

    from storage.db import Database
    from storage.migrate import upgrade
    from storage.models import Launch, LaunchMember, MemberRole

    db = Database(sqlite_url(path.parent, path.name))
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
    db.dispose()  # the last connection to close checkpoints the WAL into the file
    return seconds, ids


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


def run_case(base: Path, work: Path, launch_ids: list[int], size: int, due: int, seed: int,
             profile: bool = False) -> dict:
    from sqlmodel import col, func, select

    from bot.wiring import SCHEDULE
    from schedules.engine import tick
    from storage.db import Database
    from storage.models import Issue, IssueEvent, OutboxMessage

    path = work / f"case-{size}-{due}.db"
    shutil.copyfile(base, path)
    if Path(f"{base}-wal").exists():
        shutil.copyfile(f"{base}-wal", f"{path}-wal")
    db = Database(sqlite_url(work, path.name))
    rows = issue_rows(launch_ids, size, due, seed)
    started = time.perf_counter()
    insert_issues(db, rows)
    insert_s = time.perf_counter() - started
    warm = tick(db, WARMUP_AT, schedule=SCHEDULE, worker_id="bench")
    out: dict = {"size": size, "due": due, "insert_s": insert_s,
                 "warmup_escalated": warm.swept.get("issue_escalation", 0)}
    profiler = cProfile.Profile() if profile else None
    ticks: list[tuple[float, int]] = []
    limit = math.ceil(due / 1000) + 3
    while len(ticks) < limit:
        if profiler is not None and not ticks:
            profiler.enable()
        started = time.perf_counter()
        result = tick(db, NOW, schedule=SCHEDULE, worker_id="bench")
        seconds = time.perf_counter() - started
        if profiler is not None and len(ticks) == 0:
            profiler.disable()
        escalated = result.swept.get("issue_escalation", 0)
        ticks.append((seconds, escalated))
        if escalated == 0:
            break
        if profile:
            break
    out["ticks"] = ticks
    out["profile"] = profiler
    if profile:
        db.dispose()
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
    path.unlink()
    out.update(counts=counts, escalated_due=escalated_due, events=events - out["warmup_escalated"],
               posts=posts - out["warmup_escalated"], dms=dms - out["warmup_escalated"],
               cards=cards - out["warmup_escalated"])
    return out


def set_based_escalations(db, now: datetime, chunk: int = 500) -> int:  # noqa: ANN001
    """EXPERIMENT (not product code): the escalation sweep done set-based, a chunk of due issues per
    transaction, with the same effects as `bot.features.issues.service.escalate_one` (step +1 and the next deadline, the
    urgent/support post, a DM per CSM, an "escalated" event, a card update). Per chunk: one SELECT of
    the due issues, one of their launches, one of their CSMs, one executemany UPDATE (the claim, still
    conditional on status and step), one executemany INSERT of outbox rows and one of events (RETURNING
    their ids for the card-update keys). Under SQLite the chunk's transaction holds the write lock
    from its first statement (BEGIN IMMEDIATE), so the claim cannot race; on PostgreSQL the SELECT would
    take FOR UPDATE SKIP LOCKED. Loops until nothing is due (no per-tick cap)."""
    from collections import defaultdict

    from sqlalchemy import bindparam, insert, update
    from sqlalchemy.dialects import sqlite as sqlite_dialect
    from sqlmodel import select

    from bot.core import metrics
    from bot.features.issues import service as issues
    from storage.models import Issue, IssueEvent, IssueStatus, Launch, LaunchMember, MemberRole, OutboxMessage

    issue_t, outbox_t, event_t = Issue.__table__, OutboxMessage.__table__, IssueEvent.__table__
    claim = (update(issue_t)
             .where(issue_t.c.id == bindparam("b_id"), issue_t.c.status == IssueStatus.OPEN,
                    issue_t.c.escalation_count == bindparam("b_count"))
             .values(escalation_count=bindparam("b_step"), next_escalation_at=bindparam("b_next")))
    add_outbox = sqlite_dialect.insert(outbox_t).on_conflict_do_nothing(index_elements=["dedupe_key"])
    total = 0
    while True:
        with db.session() as s:
            due = s.exec(select(Issue).where(Issue.status == IssueStatus.OPEN, Issue.next_escalation_at <= now)
                         .order_by(Issue.next_escalation_at).limit(chunk)).all()
            if not due:
                return total
            launch_ids = {i.launch_id for i in due}
            launch_of = {x.id: x for x in s.exec(select(Launch).where(Launch.id.in_(launch_ids))).all()}
            csms: dict[int, list[str]] = defaultdict(list)
            for launch_id, user in s.exec(select(LaunchMember.launch_id, LaunchMember.user_id).where(
                    LaunchMember.launch_id.in_(launch_ids), LaunchMember.role == MemberRole.CSM)
                    .order_by(LaunchMember.id)).all():
                csms[launch_id].append(user)
            claims, posts, events = [], [], []

            def post(key: str, channel: str, text: str, launch_id: int) -> dict:
                return {"dedupe_key": key, "launch_id": launch_id, "method": "chat.postMessage",
                        "payload": {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False},
                        "status": "pending", "attempts": 0, "rate_limited": 0, "next_attempt_at": now,
                        "write_back": None, "created_at": now}

            for issue in due:
                launch = launch_of[issue.launch_id]
                step = issue.escalation_count + 1
                following = (issues.sla_deadline(launch, issue.severity, issue.next_escalation_at)
                             if step < launch.escalation_steps else None)
                claims.append({"b_id": issue.id, "b_count": issue.escalation_count, "b_step": step,
                               "b_next": following})
                text = issues.escalation_text(launch, issue, step, now - issue.created_at)
                channel = launch.urgent_channel or issue.support_channel or launch.support_channel
                if channel:
                    posts.append(post(f"issue:{issue.id}:escalation:{step}", channel, text, launch.id))
                for csm in csms[launch.id]:
                    posts.append(post(f"issue:{issue.id}:escalation:{step}:{csm}", csm, text, launch.id))
                events.append({"issue_id": issue.id, "at": now, "actor": None, "kind": "escalated",
                               "detail": f"step {step}"})
            claimed = s.execute(claim, claims).rowcount
            if claimed != len(claims):
                raise RuntimeError(f"claimed {claimed} of {len(claims)}: another ticker raced this chunk")
            event_ids = s.execute(insert(event_t).returning(event_t.c.id, event_t.c.issue_id,
                                                            sort_by_parameter_order=True), events).all()
            by_id = {i.id: i for i in due}
            for event_id, issue_id in event_ids:
                issue = by_id[issue_id]
                if issue.support_channel:
                    posts.append({**post(f"{issues.card_key(issue)}:update:{event_id}", issue.support_channel, "",
                                         issue.launch_id),
                                  "method": "golive.issue_card",
                                  "payload": {"channel": issue.support_channel, "issue_id": issue.id,
                                              "ts_from": issues.card_key(issue)}})
            if posts:
                s.execute(add_outbox, posts)
            for issue in due:
                metrics.SLA_BREACHES.labels(severity=issue.severity).inc()
            total += len(due)


def use_experiment(name: str) -> None:
    """Route the escalation sweeper through an experiment (the other sweepers are unchanged)."""
    if name == "none":
        return
    import schedules.engine as engine

    original = engine._sweep

    def sweep(db, sweeper, now):  # noqa: ANN001, ANN202
        if sweeper.name == "issue_escalation":
            return set_based_escalations(db, now)
        return original(db, sweeper, now)

    engine._sweep = sweep


def time_to_all(out: dict) -> float:
    """Seconds of the ticks that escalated something (the first tick's when none did)."""
    busy = [seconds for seconds, n in out["ticks"] if n]
    return sum(busy) or out["ticks"][0][0]


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
        ("bot/features/issues/service.py", "due_escalations"), ("bot/features/issues/service.py", "escalate_one"),
        ("storage/db.py", "session"), ("orm/session.py", "commit"), ("bot/features/issues/service.py", "sla_deadline"),
        ("orm/session.py", "get"), ("orm/session.py", "refresh"), ("bot/features/launches/service.py", "members"),
        ("bot/features/issues/service.py", "escalation_text"), ("bot/outbox/queue.py", "post_message"),
        ("bot/outbox/queue.py", "enqueue"), ("bot/features/issues/service.py", "add_event"),
        ("bot/features/issues/service.py", "queue_card_update"), ("orm/session.py", "flush"),
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
    print("\n".join(line.replace("/work/venv/lib/python3.11/site-packages/", "") for line in lines[start:]
                    if line.strip()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,2000,5000,10000", help="open issues per run (default 1k,2k,5k,10k)")
    parser.add_argument("--launches", type=int, default=500, help="launches the issues are spread over (default 500)")
    parser.add_argument("--due-fraction", type=float, default=0.10, help="due share in case 10pct (default 0.10)")
    parser.add_argument("--cases", default="10pct,all", help="which cases to run (default 10pct,all)")
    parser.add_argument("--target-seconds", type=float, default=1.0, help="time target for the largest N (1 s)")
    parser.add_argument("--growth-target", type=float, default=None,
                        help="target for time(largest)/time(smallest) (default 1.2 x the size ratio: 12 for 10k/1k)")
    parser.add_argument("--profile-size", type=int, default=500,
                        help="N of the profiled all-due tick (default 500; 0 turns profiling off)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs per size of the due-fraction case, the fastest is kept (default 2; `all` runs once)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--experiment", choices=("none", "set-based"), default="none",
                        help="run the escalation sweep set-based (see set_based_escalations; not product code)")
    args = parser.parse_args()
    clean_environ()
    sizes = sorted(int(x) for x in args.sizes.split(","))
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    growth_target = args.growth_target or 1.2 * sizes[-1] / sizes[0]


    use_experiment(args.experiment)

    results: dict[str, list[dict]] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
        work = Path(tmp)
        base = work / "base.db"
        created_s, launch_ids = build_base(base, args.launches)
        print(f"base: {args.launches} launches (and their CSMs) inserted in {created_s:.1f} s")
        for case in cases:
            runs: dict[int, list[dict]] = {size: [] for size in sizes}
            # Rounds over all sizes (1k, 2k, ..., then again), so a noisy moment does not hit one size only.
            for r in range(args.repeats if case != "all" else 1):
                for size in sizes:
                    due = size if case == "all" else round(size * args.due_fraction)
                    out = run_case(base, work, launch_ids, size, due, args.seed + r)
                    problems += check(out)
                    runs[size].append(out)
            results[case] = []
            for size in sizes:
                outs = sorted(runs[size], key=time_to_all)
                chosen = outs[0]  # the fastest run: on a shared machine noise only ever adds time
                chosen["repeats"] = [time_to_all(o) for o in runs[size]]
                results[case].append(chosen)
        profiled = None
        if args.profile_size:
            profiled = run_case(base, work, launch_ids, args.profile_size, args.profile_size, args.seed, profile=True)

    print(f"SLA escalation tick: {args.launches} launches, sizes {', '.join(map(str, sizes))}; SQLite; "
          f"now = {NOW:%Y-%m-%d %H:%M} UTC; "
          + ("bot.features.issues.service.escalate_one per issue" if args.experiment == "none"
             else f"EXPERIMENT {args.experiment}"))
    rows = []
    for case in cases:
        for out in results[case]:
            ticks = out["ticks"]
            busy = [(s, n) for s, n in ticks if n]
            total = sum(s for s, _ in busy) or ticks[0][0]
            per = total / max(1, out["due"]) * 1000
            rows.append((case, out["size"], out["due"], f"{ticks[0][0]:.3f}", ticks[0][1], len(busy),
                         f"{total:.3f}", f"{per:.2f}", f"{ticks[-1][0]:.3f}", ticks[-1][1],
                         "/".join(f"{x:.2f}" for x in out["repeats"])))
    print(table(("case", "N", "due", "tick 1 s", "escalated by tick 1", "ticks with work", "time to all s",
                 "ms per escalation", "next tick s", "next tick escalated", "runs (s)"), rows))

    verdicts = []
    failed = bool(problems)
    for case in cases:
        first, last = results[case][0], results[case][-1]
        all_time = time_to_all
        growth = all_time(last) / all_time(first)
        one_tick = all(out["ticks"][0][1] == out["due"] for out in results[case])
        fast = all_time(last) < args.target_seconds
        ok = growth <= growth_target and fast
        failed |= not ok
        print(f"{case}: time to escalate all due, N={last['size']} / N={first['size']}: {growth:.2f} "
              f"(linear = {last['size'] / first['size']:.1f}); N={last['size']}: {all_time(last):.3f} s "
              f"(target < {args.target_seconds:g} s); one tick escalated every due issue at every N: "
              f"{'yes' if one_tick else 'NO (due_escalations returns at most 1,000 ids per tick)'}")
        verdicts.append(f"{case} growth ratio {growth:.2f} (target <= {growth_target:.2f}), N={last['size']} "
                        f"{all_time(last):.2f} s (target < {args.target_seconds:g} s) {'PASS' if ok else 'FAIL'}")
    if profiled is not None and profiled["profile"] is not None:
        print()
        print_profile(profiled["profile"], profiled["ticks"][0][1])
    for problem in problems:
        print("CHECK FAILED:", problem)
    if not problems:
        print("checks: every due issue escalated exactly once, no other issue touched, one event, one post, one "
              "CSM DM and one card update per escalation, and the next tick at the same instant escalated nothing")
    print("RESULT sla_tick: " + "; ".join(verdicts) + (" (correctness check failed)" if problems else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
