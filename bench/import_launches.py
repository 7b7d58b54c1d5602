"""`golive launch import` of 1,000 launches: the real command, timed from outside.

A YAML file of `--launches` (1,000) launches is written (distinct channels; zones UTC, Europe/Berlin, Asia/Tokyo,
America/New_York; go-live on a Monday two to five weeks ahead; two CSMs, a support channel, two goals each),
a temporary SQLite file is migrated (`golive db upgrade`, not timed), and `golive launch import FILE` runs as
a subprocess: wall time from start to exit, so the interpreter's start and golive's imports count. The same
is done with a one-launch file (the command's fixed cost). `--repeats` (3) runs of each, on fresh files, the
fastest kept.

Checks: the command exits 0 and prints one `ID<TAB>created<TAB>CHANNEL` line per launch; the database holds the
launches with their plans (the same planned rows per launch as a one-launch import); importing the same file
again (timed too, shown) says `updated` for every launch and leaves the planned rows as they were.

RESULT: wall time of the 1,000-launch import (target < `--target-seconds`, 2 s); shown too: the CPU time of
the command (user + sys: what the machine's other load disturbs least), the per-launch cost above the
one-launch command, and the import alone timed in this process (`launch_import` on a fresh database after
golive is imported and one launch was imported: what grows with the file, without the interpreter's start
and golive's imports).

Python caches compiled bytecode as an installed golive does (in a temporary PYTHONPYCACHEPREFIX, so the source
tree stays clean) even where PYTHONDONTWRITEBYTECODE is set, as on the shared build machine; the untimed
`golive db upgrade` before each import and the interleaved runs warm it. `--no-bytecode-cache` measures with
every golive module compiled from source on each run instead (about 0.3 s more, measured).

`--postgres` runs the same against a throwaway PostgreSQL cluster (tests/pg_cluster.py: initdb/pg_ctl; a fresh
database per run) instead of SQLite files.

    .venv/bin/python bench/import_launches.py --launches 200 --repeats 1    # quick (~15 s)
    .venv/bin/python bench/import_launches.py                               # 1,000 launches (~40 s)
    .venv/bin/python bench/import_launches.py --postgres                    # the same on PostgreSQL
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from common import ROOT, table
from sqlalchemy import create_engine, text

ZONES = ("UTC", "Europe/Berlin", "Asia/Tokyo", "America/New_York")


def write_file(path: Path, count: int) -> None:
    today = date.today()
    monday = today - timedelta(days=today.weekday())
    lines = ["launches:"]
    for i in range(count):
        go_live = monday + timedelta(weeks=2 + i % 4)
        lines += [f"  - customer: Customer {i:04d}", f"    channel: C{i:08d}", f"    go_live: '{go_live}'",
                  f"    tz: {ZONES[i % len(ZONES)]}", "    checkin_time: '10:00'",
                  f"    csm: [U0CSM{i % 7}, U0CSM{(i + 1) % 7}]", f"    support_channel: CSUP{i % 5}",
                  "    goal: [Go live without a sev1, 50 active users]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


BYTECODE: dict[str, str] = {}  # PYTHONPYCACHEPREFIX for the golive processes (main() sets it), or nothing


def golive(args: list[str], url: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """Runs golive; returns (wall seconds, CPU seconds of the process, the finished process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOLIVE_"))}
    env["GOLIVE_DATABASE_URL"] = url
    if BYTECODE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(BYTECODE)
    exe = Path(sys.executable).with_name("golive")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli.main"]
    cpu = child_cpu()
    started = time.perf_counter()
    proc = subprocess.run(command + args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - started, child_cpu() - cpu, proc


def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return (c.execute(text("SELECT count(*) FROM launch")).scalar_one(),
                    c.execute(text("SELECT count(*) FROM planned_work")).scalar_one())
    finally:
        engine.dispose()


# A fresh, empty database for each run: (directory for files, name) -> SQLAlchemy URL.
NewDatabase = Callable[[Path, str], str]


def sqlite_database(tmp: Path, name: str) -> str:
    return f"sqlite:///{tmp / f'{name}.db'}"


@contextlib.contextmanager
def postgres_databases() -> Iterator[NewDatabase]:
    sys.path.insert(0, str(ROOT))
    from tests.pg_cluster import PostgresCluster

    with PostgresCluster() as cluster:
        yield lambda _tmp, name: cluster.new_database(name.replace("-", "_"))


def one_run(tmp: Path, count: int, run: int, new_database: NewDatabase) -> dict:
    file = tmp / f"launches-{count}.yml"
    if not file.exists():
        write_file(file, count)
    url = new_database(tmp, f"import-{count}-{run}")
    _, _, proc = golive(["db", "upgrade"], url)
    if proc.returncode:
        raise SystemExit(f"golive db upgrade failed: {proc.stderr.strip()}")
    seconds, cpu, proc = golive(["launch", "import", str(file)], url)
    problems = []
    lines = proc.stdout.splitlines()
    if proc.returncode or len(lines) != count or not all("\tcreated\t" in line for line in lines):
        problems.append(f"import of {count}: exit {proc.returncode}, {len(lines)} lines; {proc.stderr.strip()[:300]}")
    launches, planned = counts(url)
    again_s, _, again = golive(["launch", "import", str(file)], url)
    again_lines = again.stdout.splitlines()
    if again.returncode or len(again_lines) != count or not all("\tupdated\t" in line for line in again_lines):
        problems.append(f"re-import of {count}: exit {again.returncode}, {len(again_lines)} lines")
    if counts(url) != (launches, planned):
        problems.append(f"re-import changed the rows: {(launches, planned)} -> {counts(url)}")
    if launches != count:
        problems.append(f"{launches} launches stored, expected {count}")
    return {"seconds": seconds, "cpu": cpu, "again": again_s, "launches": launches, "planned": planned,
            "problems": problems}


def in_process(tmp: Path, count: int, new_database: NewDatabase) -> float:
    """The import itself, in this process (golive's imports and a warm-up import of one launch done first):
    `bot.cli.launches.launch_import` on a fresh, migrated database, timed around the call."""
    import io

    from bot.cli.launches import launch_import
    from storage.db import Database
    from storage.migrate import upgrade

    seconds = 0.0
    for size, name in ((1, "warm"), (count, "timed")):
        file = tmp / f"inproc-{size}.yml"
        write_file(file, size)
        url = new_database(tmp, f"inproc-{name}")
        db = Database(url)
        upgrade(db)
        db.dispose()
        os.environ["GOLIVE_DATABASE_URL"] = url
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            launch_import(file)
        seconds = time.perf_counter() - started
    os.environ.pop("GOLIVE_DATABASE_URL", None)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target-seconds", type=float, default=2.0)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster, not SQLite")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="keep the environment's PYTHONDONTWRITEBYTECODE: golive compiled from source each run")
    args = parser.parse_args()
    databases = postgres_databases() if args.postgres else contextlib.nullcontext(sqlite_database)
    with tempfile.TemporaryDirectory(prefix="golive-import-") as tmp, databases as new_database:
        if not args.no_bytecode_cache:
            BYTECODE["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
            golive(["--help"], sqlite_database(Path(tmp), "warm"))  # compiles the command line's modules once
        runs: dict[int, list[dict]] = {1: [], args.launches: []}
        for run in range(args.repeats):  # interleaved, fresh databases
            for count in runs:
                runs[count].append(one_run(Path(tmp), count, run, new_database))
                print(f"[import_launches] {count} launches, run {run + 1}: {runs[count][-1]['seconds']:.2f} s "
                      f"(CPU {runs[count][-1]['cpu']:.2f} s)", file=sys.stderr, flush=True)
        inproc = in_process(Path(tmp), args.launches, new_database)
    best = {count: min(r["seconds"] for r in rs) for count, rs in runs.items()}
    cpu = {count: min(r["cpu"] for r in rs) for count, rs in runs.items()}
    again = {count: min(r["again"] for r in rs) for count, rs in runs.items()}
    one, many = runs[1][0], runs[args.launches][0]
    problems = [p for rs in runs.values() for r in rs for p in r["problems"]]
    if many["planned"] != one["planned"] * args.launches:
        problems.append(f"{many['planned']} planned rows for {args.launches} launches, "
                        f"{one['planned']} for one: not the same plan per launch")
    per_launch_ms = (best[args.launches] - best[1]) / max(1, args.launches - 1) * 1000
    where = "PostgreSQL" if args.postgres else "SQLite"
    cache = "from source each run" if args.no_bytecode_cache else "cached"
    print(f"golive launch import on {where}: wall time of the command (interpreter start included; bytecode "
          f"{cache}), fastest of {args.repeats}")
    print(table(["launches", "import", "CPU (user+sys)", "re-import (all updated)", "planned rows"], [
        [str(count), f"{best[count]:.2f} s", f"{cpu[count]:.2f} s", f"{again[count]:.2f} s",
         str(runs[count][0]["planned"])] for count in runs]))
    print(f"per launch above the one-launch command: {per_launch_ms:.2f} ms "
          f"({1000 / per_launch_ms if per_launch_ms > 0 else float('inf'):,.0f} launches/s)")
    print(f"the import alone, in process (golive imported, one launch imported before): {inproc:.2f} s for "
          f"{args.launches} launches = {inproc / args.launches * 1000:.2f} ms per launch "
          f"({args.launches / inproc:,.0f} launches/s)")
    for problem in problems:
        print("CHECK FAILED: " + problem)
    ok = best[args.launches] < args.target_seconds and not problems
    print(f"RESULT import_launches: {args.launches} launches in {best[args.launches]:.2f} s on {where} "
          f"(target < {args.target_seconds:g} s) {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
