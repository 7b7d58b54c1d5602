"""Standup digest build time: one CSM with 50 launches, each holding 2,000 check-in answers and 200 issues.

What is timed is the digest's pure build from the database, the send-time code path without Slack:
`bot.features.digest.service.gather` (both of its sessions: `recipient_launches`, `previous_digest_at`,
`build_digests` and `bot.features.digest.chart.launch_series_many`, a few statements for all the launches)
followed by `digest_blocks`. Only `bot.features.digest.service._customers` (the channel members, read from
Slack with conversations.members + users.info before the second session opens) is replaced, in this process,
by a lookup in the generated data; the chart's rendering and upload and the chat.postMessage are not timed.

Three SQLite files are filled with SQLAlchemy core bulk inserts (seeded, so every run builds the same data):

* `full`: the CSM's `--launches` (50) launches × `--answers` (2,000) answers × `--issues` (200) issues;
* `small`: the same launches with 10× less data (200 answers, 20 issues each);
* `crowded`: `small` plus 9 other CSMs with 50 launches of small data each, so the file holds as many
  answers and issues as `full`, but the digest's CSM has small data. time(crowded) / time(small) ≈ 1 means
  the build reads through indexes; a table scan would grow with the file.

Launch week: the digest minute is Fri 12 Mar 2027 08:30 Europe/Berlin; go-live dates are spread over Mon 8 –
Thu 11 Mar (check-ins at 10:00 local), so the launches are on day 5, 4, 3 or 2 of launch week and a launch's
answers are spread over its 4, 3, 2 or 1 past check-in days (70% good, 22% friction, 8% blocked; most
blocked and half the friction answers carry a note). Its channel has 10% more customers than answer a
day. Issues: created from three days before go-live until now, sev1/sev2/sev3 10/50/40%, about 55%
resolved, 15% acknowledged, the rest open (past-SLA open ones escalated 1–3 times); "opened",
"acknowledged", "resolved" and "escalated" events; each launch also has 8 go-live criteria, its planned
check-ins/nudges/digests (a few skipped, failed or late since the last digest), outbox rows for its
check-in posts and issue cards, and the CSM's digest of the day before was sent at 08:31.

Reported: per case the median and fastest of `--repeats` interleaved builds (after one warm-up each), the
SQL statement count per build (`before_cursor_execute`), SQLite VM steps per build (a progress handler
every 100 instructions: work done by SQLite, free of timing noise), the statements' time to the first
row, the statements by total time, those whose VM steps grew from `small` to `crowded`, EXPLAIN QUERY
PLAN of the heaviest statements (SCAN without an index is flagged) and, for `full`, a cProfile
breakdown by function.

The timed builds repeat the digest of one minute on unchanged data, as a second CSM's digest or a retried
send does: the launches' themes are then answered from memory (bot/features/themes/service.py keeps each
grouping's answer by its input). Two more measures of the full case say what the rest costs, `--changed`
(3) times each: a build with nothing remembered (`clear_caches()` first: a fresh process, the model
loaded), and a build after one new blocked answer with a note per launch (the data changed since the last
build, as between two days' digests: every launch is grouped again, each text's reading is remembered),
and the same after the worker's warm-up (`warm_digests`: the digests due in the next minutes are built ahead,
untimed, so the timed build finds the new groupings in memory).

RESULT: time(full) (target < `--target-seconds`, 0.4 s, issue 13) and time(crowded) / time(small)
(target <= `--scan-target`, 1.5); time(full) / time(small) and the two measures above are printed too:
the first follows the rows the digest has to read (yesterday's answers, every open issue, answers per day
for the chart), see the README. `--postgres` runs the cases in a throwaway PostgreSQL cluster
(tests/pg_cluster.py; no VM steps or EXPLAIN there: bench/query_plans.py shows its plans).

    .venv/bin/python bench/digest_build.py --launches 10 --repeats 3     # quick (~30 s)
    .venv/bin/python bench/digest_build.py                               # 50 launches (~1-3 min)
    .venv/bin/python bench/digest_build.py --postgres --no-crowded       # the same on PostgreSQL
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import math
import pstats
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from common import CUSTOMER_TEAM, VENDOR, clean_environ, median, sqlite_url, table

NOW = datetime(2027, 3, 12, 7, 30, tzinfo=UTC)  # Fri 12 Mar 2027, 08:30 Berlin: the digest minute
TZ = "Europe/Berlin"
CSM_ID = "U0CSM"
GO_LIVES = (date(2027, 3, 8), date(2027, 3, 9), date(2027, 3, 10), date(2027, 3, 11))
ANSWER_MIX = (("good", 0.70), ("friction", 0.22), ("blocked", 0.08))
SEVERITY_MIX = (("sev1", 0.10), ("sev2", 0.50), ("sev3", 0.40))
SLA = {"sev1": 15, "sev2": 60, "sev3": 240}
THEMES = ("SSO login loops back to the start page", "CSV export times out for large reports",
          "Invoice approval button is greyed out", "Mobile app crashes on the dashboard",
          "Permissions: agents cannot see the shared inbox", "Slow search in the customer list",
          "Email notifications arrive twice", "Cannot import the old contacts file",
          "Report filters reset after saving", "Calendar sync with Outlook fails")
OTHER_CSMS = 9


class Ids:
    """Explicit primary keys, so children can be bulk-inserted without reading ids back."""

    def __init__(self) -> None:
        self.next = {"check_in": 1, "issue": 1}

    def take(self, table_name: str) -> int:
        value = self.next[table_name]
        self.next[table_name] += 1
        return value


def pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for name, share in mix:
        x -= share
        if x < 0:
            return name
    return mix[-1][0]


def local_instant(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def add_csm(db, ids: Ids, csm: str, launches: int, answers: int, issues: int, seed: int,  # noqa: ANN001
            tag: str) -> dict[str, list[str]]:
    """`launches` launches of `csm` with their data; returns channel -> customer user ids (what Slack
    would say the channel's customers are)."""
    from sqlalchemy import insert

    from bot.features.checkins.service import checkin_days
    from storage.models import (
        CheckIn,
        CheckInAnswer,
        Issue,
        IssueEvent,
        Launch,
        LaunchMember,
        MemberRole,
        OutboxMessage,
        PlannedWork,
        ReadinessItem,
    )

    rng = random.Random(seed)
    created = NOW - timedelta(days=40)
    customers: dict[str, list[str]] = {}
    rows: dict[str, list[dict]] = {name: [] for name in ("check_in", "answer", "issue", "event", "work", "ready",
                                                         "outbox")}
    with db.session() as s:
        objs = []
        for i in range(launches):
            launch = Launch(customer=f"{tag} customer {i:03d} GmbH", channel=f"C{tag}{i:05d}",
                            go_live_date=GO_LIVES[i % len(GO_LIVES)], timezone=TZ, support_channel="C0SUP",
                            urgent_channel="C0URG", holidays=[], routing={}, sla_minutes={},
                            created_at=created, updated_at=created)
            s.add(launch)
            objs.append(launch)
        s.flush()
        for launch in objs:
            s.add(LaunchMember(launch_id=launch.id, user_id=csm, role=MemberRole.CSM))
            s.add(LaunchMember(launch_id=launch.id, user_id=f"U{tag}L{launch.id:05d}", role=MemberRole.LEADER))
        s.flush()
        today = NOW.astimezone(ZoneInfo(TZ)).date()
        for launch in objs:
            days = checkin_days(launch)
            past = [d for d in days if d < today]
            per_day = math.ceil(answers / len(past))
            people = [f"U{tag}{launch.id:05d}{k:05d}" for k in range(math.ceil(per_day * 1.1))]
            customers[launch.channel] = people
            left = answers
            for number, day in enumerate(days, 1):
                posted = local_instant(day, 10)
                work_key = f"bench:{launch.id}:checkin:{number}"
                done = day < today
                rows["work"].append(_work(launch.id, "checkin", work_key, posted, done, number, rng))
                rows["work"].append(_work(launch.id, "checkin_nudge", f"{work_key}:nudge", posted + timedelta(hours=3),
                                          done, number, rng))
                rows["work"].append(_work(launch.id, "digest", f"bench:{launch.id}:digest:{number}",
                                          local_instant(day, 8, 30), day <= today, number, rng, digest=True))
                if not done:
                    continue
                check_in_id = ids.take("check_in")
                rows["check_in"].append({"id": check_in_id, "launch_id": launch.id, "day_number": number,
                                         "local_date": day, "channel": launch.channel,
                                         "outbox_key": f"launch:{launch.id}:checkin:{number}",
                                         "message_ts": f"{posted.timestamp():.6f}", "late": False,
                                         "posted_at": posted})
                rows["outbox"].append(_outbox(f"launch:{launch.id}:checkin:{number}", launch.id, launch.channel,
                                              posted))
                count = min(per_day, left)
                left -= count
                for user in people[:count]:
                    answer = pick(rng, ANSWER_MIX)
                    note = None
                    if answer == "blocked" and rng.random() < 0.8 or answer == "friction" and rng.random() < 0.5:
                        note = rng.choice(THEMES)
                    rows["answer"].append({"check_in_id": check_in_id, "launch_id": launch.id, "user_id": user,
                                           "user_team": CUSTOMER_TEAM, "answer": answer, "note": note,
                                           "recorded_at": posted + timedelta(minutes=rng.uniform(1, 360))})
            for k in range(8):
                rows["ready"].append({"launch_id": launch.id, "key": f"c{k}", "text": f"Criterion {k}",
                                      "position": k, "done": rng.random() < 0.85})
            _issues(rows, ids, launch, issues, people, rng)
        if csm == CSM_ID:
            sent = NOW - timedelta(days=1) + timedelta(minutes=1)
            rows["outbox"].append(_outbox(f"digest:{csm}:{(today - timedelta(days=1)).isoformat()}", objs[0].id,
                                          csm, sent, method="golive.digest"))
        for name, model in (("check_in", CheckIn), ("answer", CheckInAnswer), ("issue", Issue), ("event", IssueEvent),
                            ("work", PlannedWork), ("ready", ReadinessItem), ("outbox", OutboxMessage)):
            for start in range(0, len(rows[name]), 5000):
                s.execute(insert(model.__table__), rows[name][start:start + 5000])
    return customers


def _issues(rows: dict, ids: Ids, launch, count: int, people: list[str], rng: random.Random) -> None:  # noqa: ANN001
    start = local_instant(launch.go_live_date - timedelta(days=3), 9)
    span = (NOW - timedelta(minutes=10) - start).total_seconds()
    made = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    for number, at in enumerate(made, 1):
        issue_id = ids.take("issue")
        severity = pick(rng, SEVERITY_MIX)
        deadline = at + timedelta(minutes=SLA[severity])
        x = rng.random()
        status = "resolved" if x < 0.55 else "acknowledged" if x < 0.70 else "open"
        acked = resolved = None
        escalations = 0
        events = [(at, "opened", None)]
        if status != "open":
            acked = at + (NOW - at) * rng.uniform(0.0, 0.3)
            events.append((acked, "acknowledged", None))
        if status == "resolved":
            resolved = acked + (NOW - acked) * rng.uniform(0.0, 0.9)
            events.append((resolved, "resolved", "fixed"))
        if status == "open" and deadline <= NOW:
            escalations = rng.randint(1, 3)
            for step in range(escalations):
                events.append((deadline + timedelta(minutes=30 * step), "escalated", f"to <#C0URG> (step {step + 1})"))
        text = f"{rng.choice(THEMES)} (report {number})"
        rows["issue"].append({
            "id": issue_id, "launch_id": launch.id, "number": number, "text": text, "severity": severity,
            "status": status, "reporter": rng.choice(people), "reporter_team": CUSTOMER_TEAM, "source": "slash command",
            "source_key": f"bench:{launch.id}:{number}", "source_channel": launch.channel,
            "support_channel": "C0SUP", "created_at": at, "acknowledged_at": acked, "resolved_at": resolved,
            "escalation_count": escalations,
            "next_escalation_at": None if status != "open" else deadline + timedelta(minutes=30 * escalations),
            "next_update_reminder_at": None,
        })
        for when, kind, detail in events:
            rows["event"].append({"issue_id": issue_id, "at": min(when, NOW - timedelta(minutes=1)), "actor": None,
                                  "kind": kind, "detail": detail})
        rows["outbox"].append(_outbox(f"issue:{issue_id}:card", launch.id, "C0SUP", at))


def _work(launch_id: int, kind: str, key: str, due: datetime, done: bool, day: int, rng: random.Random, *,
          digest: bool = False) -> dict:
    status, note, finished = "pending", None, None
    if done:
        finished = due + timedelta(seconds=rng.uniform(1, 30))
        x = rng.random()
        status = "done"
        if not digest and x < 0.04:
            status, note = "skipped", "skipped: found 4 h late, past its 3 h grace period"
        elif not digest and x < 0.07:
            status, note = "failed", "SlackApiError: channel_not_found"
        elif x < 0.10:
            note = "done 14 min late"
    return {"launch_id": launch_id, "kind": kind, "key": key, "due_at": due, "status": status, "attempts": int(done),
            "finished_at": finished, "note": note, "payload": {"day": day}}


def _outbox(key: str, launch_id: int, channel: str, at: datetime, method: str = "chat.postMessage") -> dict:
    return {"dedupe_key": key, "launch_id": launch_id, "method": method, "payload": {"channel": channel},
            "status": "sent", "attempts": 1, "rate_limited": 0, "next_attempt_at": at, "created_at": at,
            "sent_at": at + timedelta(seconds=1), "result_channel": channel, "result_ts": f"{at.timestamp():.6f}"}


def build_case(path: Path, name: str, launches: int, answers: int, issues: int, others: int,
               url: str | None = None) -> dict:
    """One case's database: a SQLite file at `path`, or the database at `url` (PostgreSQL)."""
    from storage.db import Database
    from storage.migrate import upgrade

    db = Database(url or sqlite_url(path.parent, path.name))
    upgrade(db)
    ids = Ids()
    started = time.perf_counter()
    customers = add_csm(db, ids, CSM_ID, launches, answers, issues, seed=1, tag="B")
    for k in range(others):
        add_csm(db, ids, f"U0OTHER{k}", launches, answers, issues, seed=100 + k, tag=f"O{k}")
    with db.session() as s:
        counts = {t: s.connection().exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()  # noqa: S608 - fixed names
                  for t in ("launch", "check_in_answer", "issue", "issue_event", "planned_work", "outbox_message")}
    return {"name": name, "db": db, "customers": customers, "insert_s": time.perf_counter() - started,
            "counts": counts, "times": []}


def build_digest(case: dict) -> tuple[str, list]:
    """The send-time build without Slack: `gather` (its two sessions) and `digest_blocks`."""
    from sqlmodel import Session

    from bot.features.digest.service import gather
    from bot.features.digest.views import digest_blocks

    db = case["db"]
    with Session(db.engine) as anchor:
        ctx = SimpleNamespace(session=anchor, now=NOW, payload={"channel": CSM_ID, "date": "2027-03-12"},
                              context={"vendor_team_id": VENDOR}, read=db.read, db=db)
        digests, series = gather(ctx, CSM_ID)
    if len(digests) != case["launches"] or len(series) != case["launches"]:
        raise SystemExit(f"{case['name']}: the digest covers {len(digests)} launches, expected {case['launches']}")
    return digest_blocks(digests, date(2027, 3, 12), ":bar_chart: (chart not rendered in this benchmark)")


def add_blocked_answers(case: dict, round_no: int) -> None:
    """One more person blocked on yesterday's check-in of every launch, with a note (not timed): the data a
    digest reads changes, as it does between two days' digests, so nothing remembered for it still fits."""
    from sqlalchemy import func, insert, select

    from storage.models import CheckIn, CheckInAnswer

    today = NOW.astimezone(ZoneInfo(TZ)).date()
    with case["db"].session() as s:
        last = s.execute(select(CheckIn.launch_id, func.max(CheckIn.id)).where(CheckIn.local_date < today)
                         .group_by(CheckIn.launch_id)).all()
        s.execute(insert(CheckInAnswer.__table__), [
            {"check_in_id": check_in_id, "launch_id": launch_id, "user_id": f"U0NEW{round_no:03d}",
             "user_team": CUSTOMER_TEAM, "answer": "blocked",
             "note": f"{THEMES[(launch_id + round_no) % len(THEMES)]} (since update {round_no})",
             "recorded_at": NOW - timedelta(minutes=30 + round_no)}
            for launch_id, check_in_id in last])


class SqlCounter:
    """Counts statements, their time to the first row and SQLite VM steps while `active`. Steps are
    counted by a progress handler every STEP instructions and charged to the statement that ran last
    (fetching its rows included)."""

    STEP = 100

    def __init__(self, engine) -> None:  # noqa: ANN001
        from sqlalchemy import event

        self.active = False
        self.stats: dict[str, list] = {}  # statement -> [count, seconds to first row, first parameters, steps]
        self.steps = 0
        self._current: str | None = None
        self._mark = 0
        self._started: float = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine.pool, "checkout", self._checkout)

    def start(self) -> None:
        self.stats.clear()
        self.steps = self._mark = 0
        self._current = None
        self.active = True

    def stop(self) -> None:
        self._charge()
        self.active = False

    def _charge(self) -> None:
        if self._current is not None:
            self.stats[self._current][3] += self.steps - self._mark
        self._mark = self.steps

    def _checkout(self, dbapi_connection, _record, _proxy) -> None:  # noqa: ANN001
        if hasattr(dbapi_connection, "set_progress_handler"):  # SQLite; PostgreSQL has no VM steps to count
            dbapi_connection.set_progress_handler(self._progress if self.active else None, self.STEP)

    def _progress(self) -> int:
        self.steps += self.STEP
        return 0

    def _before(self, _conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        if self.active:
            self._charge()
            self._current = statement
            entry = self.stats.setdefault(statement, [0, 0.0, parameters, 0])
            entry[0] += 1
            self._started = time.perf_counter()

    def _after(self, _conn, _cursor, statement, _parameters, _context, _many) -> None:  # noqa: ANN001
        if self.active:
            self.stats[statement][1] += time.perf_counter() - self._started


def counted_build(case: dict) -> dict:
    counter = case.setdefault("counter", SqlCounter(case["db"].engine))
    counter.start()
    try:
        build_digest(case)
    finally:
        counter.stop()
    stats = {k: list(v) for k, v in counter.stats.items()}
    selects = {k: v for k, v in stats.items() if k.lstrip().upper().startswith("SELECT")}
    return {"statements": sum(v[0] for v in stats.values()), "selects": sum(v[0] for v in selects.values()),
            "sql_s": sum(v[1] for v in stats.values()), "steps": counter.steps, "stats": stats}


def explain(case: dict, statement: str, parameters) -> list[str]:  # noqa: ANN001
    raw = case["db"].engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return [row[3] for row in cursor.fetchall()]
    finally:
        raw.close()


def short(statement: str, width: int = 150) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=50, help="launches of the digest's CSM")
    parser.add_argument("--answers", type=int, default=2000, help="check-in answers per launch (full case)")
    parser.add_argument("--issues", type=int, default=200, help="issues per launch (full case)")
    parser.add_argument("--scale", type=int, default=10, help="full / small data per launch")
    parser.add_argument("--repeats", type=int, default=5, help="timed builds per case (interleaved)")
    parser.add_argument("--explain", type=int, default=6, help="EXPLAIN QUERY PLAN of the N heaviest statements")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run of the full case")
    parser.add_argument("--no-crowded", action="store_true", help="skip the crowded case")
    parser.add_argument("--changed", type=int, default=3,
                        help="builds of the full case after one new blocked answer per launch, and cold builds")
    parser.add_argument("--postgres", action="store_true",
                        help="the cases in a throwaway PostgreSQL cluster (tests/pg_cluster.py), not SQLite files")
    parser.add_argument("--target-seconds", type=float, default=0.4)
    parser.add_argument("--scan-target", type=float, default=1.5)
    args = parser.parse_args()
    clean_environ()

    import bot.features.digest.service
    from bot.features.digest.service import warm_recipient
    from bot.features.themes.service import clear_caches, warm_up

    warm_up()  # the model loads once per process (a worker calls warm_up() at start): not part of a build
    small = (max(1, args.answers // args.scale), max(1, args.issues // args.scale))
    plan = [("small", *small, 0), ("full", args.answers, args.issues, 0)]
    if not args.no_crowded:
        plan.append(("crowded", *small, (args.scale - 1) if args.scale > 1 else OTHER_CSMS))
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="golive-digest-bench-"))
        cluster = None
        if args.postgres:
            from tests.pg_cluster import PostgresCluster

            cluster = stack.enter_context(PostgresCluster())
        cases = {}
        for name, answers, issues, others in plan:
            url = cluster.new_database(f"digest_{name}") if cluster is not None else None
            case = build_case(Path(tmp) / f"{name}.db", name, args.launches, answers, issues, others, url=url)
            case["launches"] = args.launches
            case["shape"] = f"{answers} answers, {issues} issues per launch" + (
                f"; + {others} other CSMs x {args.launches} launches" if others else "")
            cases[name] = case
            print(f"{name}: {case['shape']}: inserted in {case['insert_s']:.1f} s "
                  f"({', '.join(f'{t} {n:,}' for t, n in case['counts'].items())})", flush=True)

        # Channel customers come from the generated data instead of Slack (set-up, not product code).
        lookup: dict[str, list[str]] = {}
        for case in cases.values():
            lookup.update(case["customers"])
        bot.features.digest.service._customers = lambda _ctx, channel, *_: lookup.get(channel)  # noqa: SLF001

        for case in cases.values():  # warm-up: statement caches, imports, SQLite page cache
            text, blocks = build_digest(case)
            case["blocks"] = len(blocks)
            case["text"] = text
        for _ in range(args.repeats):
            for case in cases.values():
                started = time.perf_counter()
                build_digest(case)
                case["times"].append(time.perf_counter() - started)
        for case in cases.values():
            case["sql"] = counted_build(case)
        # What a build costs when nothing is remembered (a fresh process), and when the data changed since the
        # last build (the daily case: yesterday's groupings no longer fit, each text's reading still does).
        full = cases["full"]
        full["cold"], full["changed"], full["warmed"] = [], [], []
        for round_no in range(args.changed):
            clear_caches()
            started = time.perf_counter()
            build_digest(full)
            full["cold"].append(time.perf_counter() - started)
            add_blocked_answers(full, round_no)
            started = time.perf_counter()
            build_digest(full)
            full["changed"].append(time.perf_counter() - started)
            # The same with the worker's warm-up between the new answers and the digest (not timed): it builds
            # the digests due in the next minutes ahead (bot.features.digest.service.warm_digests).
            add_blocked_answers(full, 100 + round_no)
            with full["db"].read() as s:
                warm_recipient(s, CSM_ID, NOW)
            started = time.perf_counter()
            build_digest(full)
            full["warmed"].append(time.perf_counter() - started)

        rows = []
        for case in cases.values():
            sql = case["sql"]
            rows.append((case["name"], case["shape"], f"{median(case['times']):.3f}", f"{min(case['times']):.3f}",
                         sql["statements"], sql["selects"], f"{sql['steps'] / 1e6:.2f}", f"{sql['sql_s']:.3f}",
                         case["blocks"]))
        print()
        print(table(("case", "data", "median s", "fastest s", "statements", "SELECTs", "VM Msteps",
                     "SQL s (counted run)", "blocks"), rows))
        print(f"digest text: {cases['full']['text']}")

        full = cases["full"]
        ranked = sorted(full["sql"]["stats"].items(), key=lambda kv: -kv[1][1])
        print("\nfull: statements by total time in one build (counted run; time to the first row, VM steps "
              "including the fetch)")
        print(table(("count", "total ms", "ms each", "VM ksteps", "statement"),
                    [(c, f"{t * 1000:.1f}", f"{t * 1000 / c:.2f}", f"{st / 1000:.1f}", short(stmt, 100))
                     for stmt, (c, t, _, st) in ranked[:12]]))
        if "crowded" in cases:
            base = cases["small"]["sql"]["stats"]
            grown = [(f"{st / max(1, base[stmt][3]):.2f}x", f"{base[stmt][3] / 1000:.1f}", f"{st / 1000:.1f}",
                      short(stmt, 100))
                     for stmt, (_c, _t, _p, st) in cases["crowded"]["sql"]["stats"].items()
                     if stmt in base and st > 1.5 * base[stmt][3] and st - base[stmt][3] >= 1000]
            print("\nstatements whose SQLite work grew from small to crowded (same CSM data, 10x the file): "
                  + ("none" if not grown else ""))
            if grown:
                print(table(("growth", "small ksteps", "crowded ksteps", "statement"), grown))
        if full["cold"]:
            print(f"\nfull, nothing remembered (themes.clear_caches() first): median {median(full['cold']):.3f} s; "
                  f"after one new blocked answer per launch (the texts changed): median "
                  f"{median(full['changed']):.3f} s, fastest {min(full['changed']):.3f} s; the same warmed ahead by "
                  f"the worker: median {median(full['warmed']):.3f} s, fastest {min(full['warmed']):.3f} s "
                  f"({args.changed} builds each)")
        print(f"\nfull: EXPLAIN QUERY PLAN of the {args.explain} heaviest SELECTs"
              + (" (PostgreSQL: see bench/query_plans.py)" if args.postgres else ""))
        scans = []
        shown = 0
        for stmt, (_count, _t, params, _steps) in ranked:
            if not stmt.lstrip().upper().startswith("SELECT") or args.postgres:
                continue
            if shown >= args.explain:
                break
            shown += 1
            plan_lines = explain(full, stmt, params)
            print(f"- {short(stmt, 160)}")
            for line in plan_lines:
                flag = ""
                if line.startswith("SCAN") and "INDEX" not in line:
                    flag = "   <-- table scan"
                    scans.append(f"{line} in: {short(stmt, 80)}")
                print(f"    {line}{flag}")
        if scans:
            print("table scans in the heaviest statements: " + "; ".join(scans))

        if not args.no_profile:
            profiler = cProfile.Profile()
            profiler.enable()
            build_digest(full)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
                r"bot/|sqlalchemy/engine/base|sqlalchemy/orm/loading|sqlmodel")
            lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
            head = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
            print("\nfull: cProfile of one build (cumulative, golive and the SQL layers)")
            print("\n".join(lines[head:head + 26]))

        for case in cases.values():
            case["db"].dispose()

    t_small, t_full = median(cases["small"]["times"]), median(cases["full"]["times"])
    growth = t_full / t_small
    steps_growth = full["sql"]["steps"] / max(1, cases["small"]["sql"]["steps"])
    steps_text = "" if args.postgres else f"SQLite VM steps {steps_growth:.2f}x, "
    print(f"\ngrowth: time(full)/time(small) = {growth:.2f} for {args.scale}x the data per launch "
          f"({steps_text}statements {full['sql']['statements']} vs {cases['small']['sql']['statements']})")
    verdicts = []
    ok_time = t_full < args.target_seconds
    verdicts.append(f"full build {t_full:.3f} s (target < {args.target_seconds:g} s) {'PASS' if ok_time else 'FAIL'}")
    ok_scan = True
    if "crowded" in cases:
        crowded = median(cases["crowded"]["times"]) / t_small
        steps_crowded = cases["crowded"]["sql"]["steps"] / max(1, cases["small"]["sql"]["steps"])
        ok_scan = crowded <= args.scan_target
        print(f"indexes: time(crowded)/time(small) = {crowded:.2f} with {args.scale}x the rows in the file "
              f"(SQLite VM steps {steps_crowded:.2f}x)")
        verdicts.append(f"crowded/small ratio {crowded:.2f} (target <= {args.scan_target:.2f}) "
                        f"{'PASS' if ok_scan else 'FAIL'}")
    verdicts.append(f"full/small growth {growth:.2f} (context)")
    if full["cold"]:
        verdicts.append(f"full build with nothing remembered {median(full['cold']):.3f} s, after new answers "
                        f"{median(full['changed']):.3f} s, warmed ahead {median(full['warmed']):.3f} s (context)")
    if args.postgres:
        verdicts.append("PostgreSQL")
    print("RESULT digest_build: " + "; ".join(verdicts))
    return 0 if ok_time and ok_scan else 1


if __name__ == "__main__":
    raise SystemExit(main())
