"""`golive usage import FILE.csv --launch ID` on 10,000 and 100,000 rows: rows per second and peak memory.

For each size (`--sizes`, default 10,000 and 100,000) a fresh SQLite file is prepared with the real CLI
(`golive db upgrade`, then `golive launch add` with a go-live date 30 days ahead) and a CSV file is
generated (seeded): `email,last_active_at,feature`, Excel style (UTF-8 BOM, CRLF), rows drawn from the
same `--users` (2,000) people and 12 features with a time in the last 30 days, `--dup-rate` (1%) exact
repeats of an earlier row and `--bad-rate` (0.2%) bad rows (not an email, not a date, a date in the
future, a missing column). A header-only file (0 rows) is the baseline: the fixed cost of the command
(interpreter, imports, migrations check, one transaction) in time and memory.

The real command then runs as a subprocess, `/usr/bin/time -v golive usage import FILE --launch ID
--max-lookups N` (`--cli-lookups`, 20), with `SLACK_BOT_TOKEN` and `SLACK_API_URL` pointing at a
`bot.devkit.simulator.SlackSimulator` in this process that knows `--matched` (85%) of the people's emails.
The command runs in two phases, timed apart from the moment its first stdout line appears
(PYTHONUNBUFFERED=1):

* import: from the moment the CSV file is open: stream it, validate, INSERT … ON CONFLICT DO NOTHING in
  batches of 1,000, one transaction; then it prints "N row(s) imported, …";
* match: users.lookupByEmail for at most N distinct unmatched emails, then it prints the match summary.
  users.lookupByEmail is Tier 3 (about 50 a minute after a burst of 50), so no import matches 2,000 new
  emails at once: what the command does not look up stays "pending" and is matched later by the worker
  (the `golive.usage_match` step an API import queues, the adoption report's composers) or the next import.
  N is kept small so the command does not sit out its 60 s budget waiting for Tier 3.

Then the worker's matching step runs once on the largest size's database, as a worker runs it: a
`golive.usage_match` outbox row is queued (`queue_matching`, as POST /api/usage does) and `golive tick`
delivers it (the composer matches within its own budget: 10 s, 500 lookups).

Peak memory: VmHWM of the golive process polled every 20 ms from /proc (its value when the import line
appears is the import phase's peak) and the whole run's maximum RSS from `/usr/bin/time -v` (polling only
when /usr/bin/time is missing).

Checks (what is true now): the imported / duplicate / bad counts printed equal the generated ones, the
bad line numbers printed are the generated bad lines, the database holds exactly the distinct good rows;
matching: no row carries a wrong Slack user, an email's rows all carry its user once it is matched, the
emails with a user are as many as the command said it matched, every looked-up email Slack does not know
is remembered without a user (and counted "match no Slack user"), matched + no user + pending = the
file's distinct emails; after the worker's step, more emails are matched than before (unless none was
pending), all of them correctly.

Reported: rows/s of the import phase (from the moment the CSV file shows up in /proc/PID/fd, polled every
2 ms, so the interpreter's start-up is not in it), the match phase's time and lookups, the peaks and
peak − baseline, and the matching progress (command, then the worker's step). RESULT: import-phase peak
memory at the largest size / at the smallest (target <= `--target`, 1.10: flat in the file's size); the
rows/s ratio is shown alongside; FAIL also when a check fails.

    /work/venv/bin/python bench/usage_import.py --sizes 2000,20000 --users 300     # quick (~1 min)
    /work/venv/bin/python bench/usage_import.py                                   # 10k and 100k (~2 min)
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import (
    CSM,
    CUSTOMER_TEAM,
    child_environ,
    clean_environ,
    golive_command,
    golive_env,
    populate,
    sqlite_url,
    table,
)

FEATURES = ("inbox", "reports", "export", "sso", "mobile", "calendar", "search", "invoices", "approvals",
            "contacts", "api", "dashboard")
TIME_BIN = "/usr/bin/time"


@dataclass
class Generated:
    rows: int = 0
    distinct: set = field(default_factory=set)  # (email, last_active_at text, feature) of good rows
    duplicates: int = 0
    bad_lines: list[int] = field(default_factory=list)
    emails: set = field(default_factory=set)  # emails of the good rows


def people(count: int) -> list[str]:
    return [f"user{k:05d}@customer-{k % 7}.example" for k in range(count)]


def write_csv(path: Path, rows: int, emails: list[str], *, dup_rate: float, bad_rate: float, seed: int,
              now: datetime) -> Generated:
    """Header + `rows` data rows, BOM and CRLF; every data row is one physical line (line = index + 2)."""
    rng = random.Random(seed)
    gen = Generated(rows=rows)
    recent: list[str] = []
    earliest = now - timedelta(days=30)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        f.write("email,last_active_at,feature\r\n")
        for i in range(rows):
            line = i + 2
            x = rng.random()
            if x < bad_rate:
                gen.bad_lines.append(line)
                kind = rng.randrange(4)
                if kind == 0:
                    text = f"not-an-email-{i},{earliest:%Y-%m-%d},inbox"
                elif kind == 1:
                    text = f"{rng.choice(emails)},yesterday,inbox"
                elif kind == 2:
                    text = f"{rng.choice(emails)},{now + timedelta(days=10):%Y-%m-%dT%H:%M:%SZ},inbox"
                else:
                    text = f"{rng.choice(emails)}"
            elif x < bad_rate + dup_rate and recent:
                text = rng.choice(recent)
                gen.duplicates += 1
            else:
                email = rng.choice(emails)
                active = earliest + timedelta(seconds=rng.randrange(30 * 86400))
                stamp = f"{active:%Y-%m-%dT%H:%M:%SZ}"
                feature = rng.choice(FEATURES)
                key = (email, stamp, feature)
                if key in gen.distinct:
                    gen.duplicates += 1
                gen.distinct.add(key)
                gen.emails.add(email)
                text = f"{email},{stamp},{feature}"
                if len(recent) < 500:
                    recent.append(text)
                else:
                    recent[rng.randrange(500)] = text
            f.write(text + "\r\n")
    return gen


def golive(args: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run(golive_command() + args, env=child_environ(env), cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"golive {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return proc.stdout


def status_kb(pid: int, name: str = "VmHWM") -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def csv_open(pid: int, target: str) -> bool:
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    for fd in fds:
        try:
            if str(fd.readlink()) == target:
                return True
        except OSError:
            continue
    return False


def golive_pid(proc: subprocess.Popen, wrapped: bool, timeout: float = 10.0) -> int | None:
    """The golive process: `proc` itself, or the child of /usr/bin/time."""
    if not wrapped:
        return proc.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except FileNotFoundError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.002)
    return None


def run_import(name: str, csv_path: Path, launch_id: str, env: dict[str, str], work: Path, lookups: int) -> dict:
    """One `golive usage import`, timed by phase, its memory polled."""
    wrapped = Path(TIME_BIN).exists()
    time_out = work / f"time-{name}.txt"
    command = golive_command() + ["usage", "import", str(csv_path), "--launch", launch_id,
                                  "--max-lookups", str(lookups)]
    if wrapped:
        command = [TIME_BIN, "-v", "-o", str(time_out)] + command
    stderr_path = work / f"stderr-{name}.txt"
    lines: list[tuple[float, str, int | None]] = []  # (seconds since start, line, VmHWM at that moment)
    with open(stderr_path, "w", encoding="utf-8") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=child_environ({**env, "PYTHONUNBUFFERED": "1"}), cwd=work,
                                stdout=subprocess.PIPE, stderr=stderr, text=True)
        pid = golive_pid(proc, wrapped)
        hwm = {"max": 0}
        opened: dict[str, float] = {}
        done = threading.Event()
        target = str(csv_path.resolve())

        def poll() -> None:
            """VmHWM every 20 ms; until the CSV is open, its fds every 2 ms (when the import starts)."""
            last_hwm = 0.0
            while not done.is_set():
                now = time.perf_counter()
                if pid and "at" not in opened and csv_open(pid, target):
                    opened["at"] = now - started
                if now - last_hwm >= 0.02:
                    value = status_kb(pid) if pid else None
                    if value:
                        hwm["max"] = max(hwm["max"], value)
                    last_hwm = now
                time.sleep(0.002 if "at" not in opened else 0.02)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        assert proc.stdout is not None
        split: dict[str, int] = {}
        for line in proc.stdout:
            at = time.perf_counter() - started
            value = status_kb(pid) if pid else None
            if "row(s) imported" in line and pid:
                split = {k: status_kb(pid, k) or 0 for k in ("RssAnon", "RssFile", "RssShmem")}
            lines.append((at, line.rstrip("\n"), max(value or 0, hwm["max"])))
        code = proc.wait()
        total = time.perf_counter() - started
        done.set()
        poller.join()
    if code != 0:
        raise SystemExit(f"{name}: golive usage import exited with {code}: "
                         f"{stderr_path.read_text(encoding='utf-8')[-800:]}")
    imported_at = next((i for i, (_, text, _) in enumerate(lines) if "row(s) imported" in text), None)
    if imported_at is None:
        raise SystemExit(f"{name}: no import summary in the output: {lines}")
    peak_total = hwm["max"]
    if wrapped:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_out.read_text(encoding="utf-8"))
        if match:
            peak_total = int(match.group(1))
    out = "\n".join(text for _, text, _ in lines)
    if "at" not in opened:
        raise SystemExit(f"{name}: never saw the CSV file open in /proc/{pid}/fd")
    return {"open_s": opened["at"], "import_s": lines[imported_at][0] - opened["at"],
            "import_hwm": lines[imported_at][2], "split": split, "total_s": total,
            "peak_kb": peak_total, "stdout": out, "stderr": stderr_path.read_text(encoding="utf-8"),
            "peak_source": "/usr/bin/time -v" if wrapped else "VmHWM polled"}


MATCH_LINE = re.compile(r"(\d+) email\(s\) matched to Slack users, (\d+) match no Slack user \(kept\), "
                        r"(\d+) not looked up yet")


@dataclass
class Matching:
    """Where matching stands in one database: emails with a Slack user, emails looked up that Slack does
    not know, and the file's emails not looked up yet."""

    matched: int
    no_user: int
    pending: int
    problems: list[str]


def matching_state(name: str, db_url: str, gen: Generated, known: dict[str, str]) -> tuple[int, Matching]:
    """(usage rows stored, Matching) read from the database, with what is wrong about it."""
    from sqlmodel import func, select

    from storage.db import Database
    from storage.models import EmailMatch, UsageRecord

    db = Database(db_url)
    try:
        with db.session() as s:
            stored = s.exec(select(func.count(UsageRecord.id))).one()
            users = s.exec(select(UsageRecord.email, UsageRecord.slack_user_id, func.count(UsageRecord.id))
                           .group_by(UsageRecord.email, UsageRecord.slack_user_id)).all()
            looked_up = dict(s.exec(select(EmailMatch.email, EmailMatch.user_id)).all())
    finally:
        db.dispose()
    problems = []
    by_email: dict[str, set] = {}
    for email, user, _ in users:
        by_email.setdefault(email, set()).add(user)
    wrong = sorted(e for e, found in by_email.items() if any(u is not None and u != known.get(e) for u in found))
    if wrong:
        problems.append(f"{name}: {len(wrong)} email(s) with the wrong Slack user, e.g. {wrong[:3]}")
    split = sorted(e for e, found in by_email.items() if len(found) > 1)
    if split:
        problems.append(f"{name}: {len(split)} email(s) matched on some rows only, e.g. {split[:3]}")
    lies = sorted(e for e, user in looked_up.items() if user != known.get(e))
    if lies:
        problems.append(f"{name}: {len(lies)} looked-up email(s) remembered with the wrong answer, e.g. {lies[:3]}")
    matched = sum(1 for found in by_email.values() if None not in found)
    no_user = sum(1 for e in gen.emails if e in looked_up and looked_up[e] is None)
    pending = sum(1 for e in gen.emails if e not in looked_up)
    if matched + no_user + pending != len(gen.emails):
        problems.append(f"{name}: matched {matched} + no user {no_user} + pending {pending} != "
                        f"{len(gen.emails)} distinct emails")
    return stored, Matching(matched, no_user, pending, problems)


def check(name: str, result: dict, gen: Generated, db_url: str, known: dict[str, str],
          shown: int = 200) -> tuple[list[str], Matching]:
    problems = []
    summary = re.search(r"(\d+) row\(s\) imported, (\d+) duplicate\(s\) ignored, (\d+) bad row\(s\) skipped "
                        r"\((\d+) read\)", result["stdout"])
    expected = (len(gen.distinct), gen.duplicates, len(gen.bad_lines), gen.rows)
    got = tuple(int(x) for x in summary.groups()) if summary else None
    if got != expected:
        problems.append(f"{name}: summary {got} (imported, duplicates, bad, read), expected {expected}")
    printed = [int(n) for n in re.findall(r": line (\d+): ", result["stderr"])]
    if printed != gen.bad_lines[:shown]:
        problems.append(f"{name}: bad lines printed {printed[:10]}…, generated {gen.bad_lines[:10]}…")
    stored, state = matching_state(name, db_url, gen, known)
    if stored != len(gen.distinct):
        problems.append(f"{name}: {stored} usage rows stored, expected {len(gen.distinct)}")
    problems += state.problems
    said = MATCH_LINE.search(result["stdout"])
    told = tuple(int(x) for x in said.groups()) if said else None
    if told != (state.matched, state.no_user, state.pending):
        problems.append(f"{name}: the command said {told} (matched, no Slack user, pending), the database holds "
                        f"{(state.matched, state.no_user, state.pending)}")
    if result["lookups"] > result["max_lookups"]:
        problems.append(f"{name}: {result['lookups']} users.lookupByEmail calls, more than --max-lookups "
                        f"{result['max_lookups']}")
    return problems, state


def worker_step(name: str, db_url: str, launch_id: str, env: dict[str, str], work: Path) -> float:
    """The worker's matching step, as POST /api/usage queues it: a `golive.usage_match` outbox row, delivered
    by `golive tick` (the sender calls the usage composer). Returns the command's wall time."""
    from bot.features.usage.service import queue_matching
    from storage.db import Database

    db = Database(db_url)
    try:
        with db.session() as s:
            queue_matching(s, int(launch_id), datetime.now(UTC))
    finally:
        db.dispose()
    started = time.perf_counter()
    golive(["tick", "--wait", "5"], env, work)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="CSV data rows, comma separated")
    parser.add_argument("--users", type=int, default=2000, help="distinct people (emails) in every file")
    parser.add_argument("--matched", type=float, default=0.85, help="share of the emails Slack knows")
    parser.add_argument("--dup-rate", type=float, default=0.01)
    parser.add_argument("--bad-rate", type=float, default=0.002)
    parser.add_argument("--target", type=float, default=1.10, help="import peak memory largest / smallest size")
    parser.add_argument("--cli-lookups", type=int, default=20,
                        help="the command's --max-lookups (default 20: within Tier 3's burst, so it never waits)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (its path is printed)")
    args = parser.parse_args()
    clean_environ()
    sizes = [int(x) for x in args.sizes.split(",")]

    from bot.devkit.simulator import SlackSimulator

    emails = people(args.users)
    rng = random.Random(7)
    known = {}
    sim = SlackSimulator().start()
    populate(sim)
    sim.add_team(CUSTOMER_TEAM, "Customer Co")
    for k, email in enumerate(emails):
        if rng.random() < args.matched:
            uid = f"U5C{k:06d}"
            sim.add_user(uid, f"user{k}", team_id=CUSTOMER_TEAM, email=email)
            known[email] = uid
    tmp = Path(tempfile.mkdtemp(prefix="golive-usage-bench-"))
    results = {}
    launch_ids: dict[int, str] = {}
    problems: list[str] = []
    try:
        now = datetime.now(UTC)
        for size in [0, *sizes]:
            name = f"{size:,}" if size else "0 (baseline)"
            work = tmp / f"n{size}"
            work.mkdir()
            db_url = sqlite_url(work)
            env = golive_env(sim, db_url)
            golive(["db", "upgrade"], env, work)
            go_live = (date.today() + timedelta(days=30)).isoformat()
            launch_id = golive(["launch", "add", "--customer", "Acme", "--channel", "C0ACME", "--go-live", go_live,
                                "--tz", "Europe/Berlin", "--csm", CSM], env, work).split()[-1]
            launch_ids[size] = launch_id
            started = time.perf_counter()
            gen = write_csv(work / "usage.csv", size, emails, dup_rate=args.dup_rate, bad_rate=args.bad_rate,
                            seed=size, now=now)
            gen_s = time.perf_counter() - started
            before = len(sim.calls_to("users.lookupByEmail"))
            result = run_import(f"n{size}", work / "usage.csv", launch_id, env, work, args.cli_lookups)
            result["lookups"] = len(sim.calls_to("users.lookupByEmail")) - before
            result["max_lookups"] = args.cli_lookups
            result["gen"] = gen
            result["gen_s"] = gen_s
            result["mb"] = (work / "usage.csv").stat().st_size / 1e6
            results[size] = result
            found, result["matching"] = check(name, result, gen, db_url, known)
            problems += found
            print(f"{name}: {result['mb']:.1f} MB CSV (generated in {gen_s:.1f} s): import phase "
                  f"{result['import_s']:.2f} s, whole command {result['total_s']:.2f} s, "
                  f"{result['lookups']} lookups; peak {result['peak_kb'] / 1024:.1f} MiB", flush=True)
            for text in result["stdout"].splitlines():
                print(f"    {text[:160]}")
        largest = sizes[-1]
        name, work = f"{largest:,}", tmp / f"n{largest}"
        before_step = results[largest]["matching"]
        calls = len(sim.calls_to("users.lookupByEmail"))
        step_s = worker_step(name, sqlite_url(work), launch_ids[largest], golive_env(sim, sqlite_url(work)), work)
        step_lookups = len(sim.calls_to("users.lookupByEmail")) - calls
        _, after_step = matching_state(f"{name} after the worker's step", sqlite_url(work), results[largest]["gen"],
                                       known)
        problems += after_step.problems
        if before_step.pending and after_step.matched + after_step.no_user <= before_step.matched + before_step.no_user:
            problems.append(f"{name}: the worker's matching step looked up nothing ({before_step.pending} pending)")
    finally:
        sim.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    base = results[0]
    rows = []
    for size in [0, *sizes]:
        r = results[size]
        gen = r["gen"]
        rows.append((f"{size:,}", f"{r['mb']:.1f}", len(gen.distinct), gen.duplicates, len(gen.bad_lines),
                     f"{r['open_s']:.2f}", f"{r['import_s']:.3f}", f"{size / r['import_s']:.0f}" if size else "-",
                     f"{r['total_s'] - r['open_s'] - r['import_s']:.2f}", r["lookups"],
                     f"{r['import_hwm'] / 1024:.1f}", f"{(r['import_hwm'] - base['import_hwm']) / 1024:.1f}",
                     f"{r['peak_kb'] / 1024:.1f}",
                     "/".join(f"{r['split'].get(k, 0) / 1024:.1f}" for k in ("RssAnon", "RssFile", "RssShmem"))))
    print()
    print(table(("rows", "MB", "distinct", "dups", "bad", "start s", "import s", "rows/s", "match s", "lookups",
                 "import peak MiB", "over baseline MiB", "whole-run peak MiB",
                 "anon/file/shmem MiB"), rows))
    print("(start = until the CSV file is open (interpreter, imports, settings, BEGIN); import = from then until "
          "the import summary is printed (stream, validate, insert, count, commit); match = the rest; import "
          f"peak = VmHWM when the summary was printed, anon/file/shmem = RssAnon/RssFile/RssShmem then; whole-run "
          f"peak from {base['peak_source']})")
    small, large = results[sizes[0]], results[sizes[-1]]
    mem_ratio = large["import_hwm"] / small["import_hwm"]
    peak_ratio = large["peak_kb"] / small["peak_kb"]
    rate = [size / results[size]["import_s"] for size in (sizes[0], sizes[-1])]
    rate_ratio = rate[1] / rate[0]
    print(f"{sizes[-1]:,} / {sizes[0]:,} rows: import peak memory {mem_ratio:.2f}x, whole-run peak {peak_ratio:.2f}x, "
          f"rows/s {rate_ratio:.2f}x ({rate[0]:.0f} -> {rate[1]:.0f})")
    last = results[sizes[-1]]
    emails = len(last["gen"].emails)
    print()
    print(table((f"matching, {sizes[-1]:,} rows", "emails", "matched", "no Slack user", "pending", "lookups", "s"),
                [("golive usage import", emails, before_step.matched, before_step.no_user, before_step.pending,
                  last["lookups"], f"{last['total_s'] - last['open_s'] - last['import_s']:.1f}"),
                 ("+ worker's step (golive tick)", emails, after_step.matched, after_step.no_user,
                  after_step.pending, step_lookups, f"{step_s:.1f}")]))
    print(f"({sum(1 for e in last['gen'].emails if e in known)} of the {emails} emails are Slack users; "
          "users.lookupByEmail is Tier 3, about 50 a minute: the pending ones wait for later worker steps and imports)")
    for problem in problems:
        print("CHECK FAILED:", problem)
    if not problems:
        print("checks: summaries, bad line numbers and stored rows as generated; every match right, the command's "
              "match counts as stored, the worker's step matched more")
    ok = mem_ratio <= args.target and not problems
    print(f"RESULT usage_import: import peak memory {sizes[-1]:,}/{sizes[0]:,} rows ratio {mem_ratio:.2f} "
          f"(target <= {args.target:.2f}) {'PASS' if ok else 'FAIL'}; rows/s ratio {rate_ratio:.2f} (context)"
          + (" (correctness check failed)" if problems else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
