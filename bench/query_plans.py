"""Query plans of a tick and a digest, on SQLite and PostgreSQL: every distinct statement EXPLAINed, scans flagged.

The data is digest_build.py's (one CSM's `--launches` launches with `--answers` answers and `--issues` issues
each, seeded; SQLAlchemy core bulk inserts), plus what makes every part of a tick run: a few planned rows made
due (check-ins and digests), open issues made due for escalation, sev1 issues due for an update reminder and
recent App Home visitors. Then, with a `before_cursor_execute` listener recording each statement and its
parameters:

* **tick**: `schedules.engine.tick(db, now)` at digest_build.py's digest minute (planned work, escalation
  sweep, update reminders, Home refresh);
* **digest**: digest_build.py's send-time build (`gather` + `digest_blocks`; channel customers from the data).

Every distinct SELECT / UPDATE / DELETE is then EXPLAINed with the parameters it ran with: `EXPLAIN QUERY
PLAN` on SQLite (a `SCAN` of a table without an index is flagged), and `EXPLAIN` on PostgreSQL (a `Seq Scan`
is flagged). PostgreSQL's planner prefers a sequential scan on tables this small whatever indexes exist, so
the PostgreSQL plans are taken with `SET enable_seqscan = off`: a `Seq Scan` left then means no index can
serve the query. INSERTs (single rows or executemany; their only read is the unique index of ON CONFLICT)
and transaction statements are listed as counted, not explained.

RESULT: flagged statements (target 0) over both databases. PostgreSQL is skipped (said so) when its binaries
are not installed (`tests/pg_cluster.py`), or with `--no-postgres`.

    .venv/bin/python bench/query_plans.py                 # 10 launches, SQLite and PostgreSQL (~30 s)
    .venv/bin/python bench/query_plans.py --no-postgres   # SQLite only
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import digest_build as data  # noqa: I001 - a sibling bench script (after common, which sets sys.path)
from common import clean_environ, sqlite_url

SKIP = ("INSERT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


def fill(db, launches: int, answers: int, issues: int) -> dict:  # noqa: ANN001
    """digest_build.py's data, plus due work for every part of a tick; returns digest_build's case dict."""
    from sqlalchemy import insert, select, update

    from storage.migrate import upgrade
    from storage.models import HomeVisit, Issue, IssueStatus, PlannedWork, WorkStatus

    upgrade(db)
    customers = data.add_csm(db, data.Ids(), data.CSM_ID, launches, answers, issues, seed=1, tag="B")
    now = data.NOW
    if not db.is_sqlite:  # digest_build inserts explicit ids: move PostgreSQL's sequences past them
        with db.session() as s:
            for table in ("check_in", "issue"):
                s.connection().exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                               f"(SELECT max(id) FROM {table}))")
    with db.session() as s:
        launch_ids = sorted({row[0] for row in s.exec(select(PlannedWork.launch_id))})[:3]
        s.execute(insert(PlannedWork), [
            {"launch_id": launch_id, "kind": kind, "key": f"plans:{kind}:{launch_id}", "status": WorkStatus.PENDING,
             "due_at": now - timedelta(minutes=1), "attempts": 0, "payload": {"day": 5, "date": now.date().isoformat()}}
            for launch_id in launch_ids for kind in ("checkin", "digest")])
        open_ids = [row[0] for row in s.exec(select(Issue.id).where(Issue.status == IssueStatus.OPEN).limit(20))]
        s.execute(update(Issue).where(Issue.id.in_(open_ids[:10]))
                  .values(next_escalation_at=now - timedelta(minutes=2)))
        s.execute(update(Issue).where(Issue.id.in_(open_ids[10:]))
                  .values(severity="sev1", next_update_reminder_at=now - timedelta(minutes=1)))
        s.execute(insert(HomeVisit), [{"user_id": f"U0VISIT{k}", "opened_at": now - timedelta(hours=2)}
                                      for k in range(5)])
    return {"name": "plans", "db": db, "customers": customers, "launches": launches}


class Recorder:
    def __init__(self, engine) -> None:  # noqa: ANN001
        from sqlalchemy import event

        self.active: str | None = None
        self.seen: dict[str, dict] = {}  # statement -> {"parts": {...}, "params": first, "count": n, "many": bool}
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, _conn, _cursor, statement, parameters, _context, many) -> None:  # noqa: ANN001
        if self.active is None:
            return
        entry = self.seen.setdefault(statement, {"parts": set(), "params": parameters, "count": 0, "many": many})
        entry["parts"].add(self.active)
        entry["count"] += 1


def run_parts(case: dict) -> Recorder:
    import bot.features.digest.service
    from bot.wiring import SCHEDULE
    from schedules.engine import tick

    lookup = dict(case["customers"])
    # Channel customers come from the generated data instead of Slack (set-up, not product code).
    bot.features.digest.service._customers = lambda _ctx, channel, *_: lookup.get(channel)  # noqa: SLF001
    recorder = Recorder(case["db"].engine)
    recorder.active = "tick"
    result = tick(case["db"], data.NOW, schedule=SCHEDULE, worker_id="plans")
    recorder.active = "digest"
    data.build_digest(case)
    recorder.active = None
    case["tick"] = result
    return recorder


def explain(db, statement: str, parameters) -> list[str]:  # noqa: ANN001
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.is_sqlite:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return [row[3] for row in cursor.fetchall()]
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        lines = [row[0] for row in cursor.fetchall()]
        raw.rollback()
        return lines
    finally:
        raw.close()


def flagged(db, plan: list[str]) -> list[str]:  # noqa: ANN001
    if db.is_sqlite:
        # "SCAN t" reads every row; "SCAN t USING (COVERING) INDEX" walks an index in order (ORDER BY … LIMIT).
        # A bare "SEARCH t" (no index named: e.g. max(column) without an index on it) reads every row too,
        # and an AUTOMATIC index is one SQLite builds for this statement alone.
        return [line for line in plan if line.startswith(("SCAN ", "SEARCH "))
                and not line.startswith("SCAN CONSTANT ROW")
                and ("INDEX" not in line and "PRIMARY KEY" not in line or "AUTOMATIC" in line)]
    return [line.strip() for line in plan if "Seq Scan" in line]


def short(statement: str, width: int = 110) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def report(label: str, case: dict, recorder: Recorder) -> int:
    db = case["db"]
    result = case["tick"]
    print(f"\n== {label}: tick did {len(result.done)} planned item(s), swept {result.swept}; "
          f"{sum(e['count'] for e in recorder.seen.values())} statements "
          f"({len(recorder.seen)} distinct)")
    bad = 0
    counted = []
    for statement, entry in recorder.seen.items():
        verb = statement.lstrip().split(None, 1)[0].upper()
        parts = "+".join(sorted(entry["parts"]))
        if verb in SKIP or entry["many"]:
            counted.append(f"{entry['count']:>4} × [{parts}] {short(statement, 90)}")
            continue
        plan = explain(db, statement, entry["params"])
        scans = flagged(db, plan)
        bad += bool(scans)
        print(f"\n{'FLAG ' if scans else ''}{entry['count']} × [{parts}] {short(statement)}")
        for line in plan:
            print(f"    {line}")
    print("\nnot explained (writes, transactions):")
    for line in counted:
        print("  " + line)
    print(f"\n{label}: {bad} statement(s) with a scan")
    return bad


def run(label: str, db, args) -> int:  # noqa: ANN001
    started = time.perf_counter()
    case = fill(db, args.launches, args.answers, args.issues)
    print(f"[query_plans] {label}: data in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    recorder = run_parts(case)
    try:
        return report(label, case, recorder)
    finally:
        db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=10)
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--issues", type=int, default=40)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    clean_environ()
    from storage.db import Database

    flags = 0
    with tempfile.TemporaryDirectory(prefix="golive-plans-") as tmp:
        flags += run("SQLite", Database(sqlite_url(Path(tmp), "plans.db")), args)
        pg = "skipped (--no-postgres)" if args.no_postgres else None
        if pg is None:
            try:
                from tests.pg_cluster import PostgresCluster, find_pg_bin

                find_pg_bin()
            except Exception as err:  # noqa: BLE001 - no PostgreSQL here: say so and go on
                pg = f"skipped ({err})"
        if pg is None:
            with PostgresCluster() as cluster:
                flags += run("PostgreSQL", Database(cluster.new_database("plans")), args)
        else:
            print(f"\nPostgreSQL: {pg}")
    verdict = "PASS" if flags == 0 else "FAIL"
    print(f"RESULT query_plans: statements with a table scan {flags} (target <= 0) {verdict}")
    return 0 if flags == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
