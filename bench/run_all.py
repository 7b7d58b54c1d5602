"""Every benchmark, one after another, in one table; the latest run recorded in bench/RESULTS.md.

Each script runs as a subprocess at its default size, except the few whose default takes many minutes on a
2-core machine, which run at the quick size their section of bench/README.md documents (marked `quick` in
the table; `--full` runs them at their default size too). `--quick` runs every script at its quick size.
Each script's own `RESULT` line(s) give the ratio, the target and PASS/FAIL; the baseline column says what
the script measures its ratio against (in the same run). The output of each script is kept in
`--logs` (default: a temporary directory, named at the end). bench/RESULTS.md is rewritten after every
script, so an interrupted run still records what finished; it holds the date, the machine (cores, memory,
Python, SQLite and PostgreSQL versions) and the exact command of each row.

    .venv/bin/python bench/run_all.py                    # defaults (quick where the default is many minutes)
    .venv/bin/python bench/run_all.py --quick            # every script at its quick size
    .venv/bin/python bench/run_all.py --only sla_tick,import_launches
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass(frozen=True)
class Bench:
    script: str
    measure: str
    baseline: str
    quick: tuple[str, ...]  # the quick size documented in README.md
    long: bool = False  # the default size takes many minutes: run quick unless --full
    extra: tuple[str, ...] = ()  # always passed (a variant of the script: PostgreSQL, another mode)
    label: str = ""  # the row's name when the script appears more than once

    @property
    def name(self) -> str:
        return self.label or self.script

    def command(self, quick: bool) -> list[str]:
        return [f"bench/{self.script}.py", *self.extra, *(self.quick if quick else ())]


BENCHES = (
    Bench("checkin_fanout", "1,000 check-ins at one minute, golive tick (tick with delivery beside it)",
          "floor: launches / workspace rate (20 s)", ("--launches", "200")),
    Bench("checkin_fanout", "1,000 check-ins at one minute, golive run's worker (tick and delivery jobs)",
          "floor: launches / workspace rate (20 s)", ("--launches", "200"), extra=("--mode", "worker"),
          label="checkin_fanout (worker)"),
    Bench("golive_morning", "go-live morning, 1,000 launches, golive tick: help posts + pins, then check-ins",
          "floor: launches / workspace rate (20 s)", ("--launches", "200")),
    Bench("sla_tick", "SLA tick, 1k..10k open issues (10% due; all due)", "the same tick at 1k",
          ("--sizes", "200,500", "--launches", "100", "--profile-size", "200")),
    Bench("import_launches", "golive launch import of 1,000 launches (wall time of the command)",
          "a one-launch import (fixed cost, shown)", ("--launches", "200", "--repeats", "1")),
    Bench("query_plans", "every statement of a tick and a digest: index or scan (SQLite, PostgreSQL)",
          "none (count of scans)", ()),
    Bench("digest_build", "digest build, one CSM with 50 launches", "the same CSM with 10x less data; crowded file",
          ("--launches", "10", "--repeats", "3")),
    Bench("ack_latency", "p99 ack of /golive help, 8 clients", "bare Bolt app, same web layer",
          ("--requests", "400", "--warmup", "50")),
    Bench("answer_clicks", "p99 ack of 5,000 check-in clicks, 16 clients", "bare Bolt app, same web layer",
          ("--requests", "800", "--warmup", "64", "--runs", "2")),
    Bench("answer_clicks", "p99 ack of 5,000 check-in clicks, 16 clients, golive on PostgreSQL",
          "bare Bolt app, same web layer", ("--requests", "800", "--warmup", "64", "--runs", "2"),
          extra=("--postgres",), label="answer_clicks (PostgreSQL)"),
    Bench("issue_intake", "p99 ack of 2,000 /golive issue, 16 clients", "bare Bolt app, same web layer",
          ("--requests", "400", "--warmup", "32", "--runs", "2")),
    Bench("issue_intake", "p99 ack of 2,000 /golive issue, 16 clients, golive on PostgreSQL",
          "bare Bolt app, same web layer", ("--requests", "400", "--warmup", "32", "--runs", "2"),
          extra=("--postgres",), label="issue_intake (PostgreSQL)"),
    Bench("outbox_throughput", "1,000 queued posts under 1/s per channel, 50/s per workspace",
          "floor: count / workspace rate (20 s)", ("--count", "200")),
    Bench("idle_memory", "VmRSS of idle golive run --role all with 1,000 launches", "the same with 0 launches",
          ("--launches", "100", "--idle", "5")),
    Bench("themes", "group_themes on 100 / 1,000 / 10,000 texts", "word counts, same run", ()),
    Bench("usage_import", "golive usage import of 10k and 100k rows: peak memory", "the 10k-row file",
          ("--sizes", "2000,20000", "--users", "300")),
    Bench("crash_kill", "500 posts while the worker is SIGKILLed 20 times: duplicates + losses",
          "a worker never killed (time)", ("--posts", "120", "--channels", "12", "--kills", "8")),
    Bench("busy_morning", "p99 ack, mixed traffic, 2,000-member channel, directory cold then warm",
          "bare Bolt app, same web layer",
          ("--cold-requests", "300", "--requests", "600", "--warmup", "50", "--runs", "2"), long=True),
    Bench("scale_out", "2 web + 3 workers on PostgreSQL: delivery time 3 workers / 1 worker",
          "the same load with 1 worker", ("--launches", "200", "--issues", "200", "--sla-issues", "40"), long=True),
    Bench("soak", "2 min of mixed traffic at 50 req/s: VmRSS end / start", "VmRSS when the load starts",
          ("--seconds", "20"), long=True),
)

RESULT = re.compile(r"^RESULT (?P<name>[\w-]+): (?P<text>.*)$")


def machine() -> dict[str, str]:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    postgres = "not installed"
    try:
        sys.path.insert(0, str(ROOT))
        from tests.pg_cluster import find_pg_bin

        out = subprocess.run([str(find_pg_bin() / "postgres"), "--version"], capture_output=True, text=True,
                             timeout=30)
        postgres = out.stdout.strip() or out.stderr.strip()
    except Exception as err:  # noqa: BLE001 - reported as is
        postgres = f"not found ({err})"
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return {"cores": str(os.cpu_count()), "memory": memory, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgresql": postgres, "os": platform.platform(),
            "load": ", ".join(f"{x:.2f}" if isinstance(x, float) else x for x in load)}


def verdicts(text: str) -> tuple[str, str, str]:
    """(values, targets, PASS/FAIL) from a RESULT line's text, as well as the free-form lines allow: each
    "… <value> (target <t>)" part gives one value and one target."""
    status = "PASS" if re.search(r"\bPASS\b", text) and not re.search(r"\bFAIL\b", text) else \
        "FAIL" if re.search(r"\bFAIL\b", text) else "?"
    values, targets = [], []
    for part in re.finditer(r"(?P<before>[^()]*?)\(target (?P<target>[^)]*)\)", text):
        before = part.group("before").strip()
        number = re.findall(r"(?:ratio )?([\d.,]+(?: ?(?:s|ms|MiB|MB))?|inf|nan)\s*$", before)
        # "1000 launches in 2.97 s on SQLite (target …)": the last measured value, words after it aside.
        number = number or re.findall(r"([\d.,]+ ?(?:s|ms|MiB|MB))\b", before)
        values.append(number[-1] if number else "?")
        targets.append(part.group("target"))
    return "; ".join(values), "; ".join(targets), status


def run_one(bench: Bench, args: argparse.Namespace, logs: Path) -> dict:
    quick = args.quick or (bench.long and not args.full)
    command = [sys.executable, *bench.command(quick)]
    log = logs / f"{bench.name}.log"
    started = time.monotonic()
    try:
        with log.open("w") as out:
            proc = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=args.timeout,
                                  env={k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOLIVE_"))})
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = None
    seconds = time.monotonic() - started
    results = [m.group("text") for m in map(RESULT.match, log.read_text(errors="replace").splitlines()) if m]
    return {"bench": bench, "quick": quick, "command": " ".join(["python", *bench.command(quick)]),
            "code": code, "seconds": seconds, "results": results, "log": log}


def rows_of(done: list[dict]) -> list[list[str]]:
    rows = []
    for item in done:
        bench = item["bench"]
        if item["code"] is None:
            rows.append([bench.name, bench.measure, bench.baseline, "", "", "TIMEOUT", item["command"]])
            continue
        if not item["results"]:
            rows.append([bench.name, bench.measure, bench.baseline, "", "",
                         f"ERROR (exit {item['code']}, no RESULT line)", item["command"]])
            continue
        for text in item["results"]:
            value, target, status = verdicts(text)
            rows.append([bench.name + (" (quick)" if item["quick"] else ""), bench.measure, bench.baseline,
                         value, target, status, item["command"]])
    return rows


def write_results(path: Path, info: dict[str, str], started: datetime, done: list[dict], pending: list[str]) -> None:
    lines = ["# Benchmark results", "",
             f"Latest `bench/run_all.py` run: {started:%Y-%m-%d %H:%M} UTC"
             + (" (in progress or interrupted: " + ", ".join(pending) + " not run)" if pending else "") + ".", "",
             f"Machine: {info['cores']} cores, {info['memory']} memory, Python {info['python']}, "
             f"SQLite {info['sqlite']}, PostgreSQL: {info['postgresql']}; {info['os']}; "
             f"load average at the start {info['load']} (the machine is shared: ratios are measured against a "
             "baseline in the same run; absolute times move with the load).", "",
             "| benchmark | measure | baseline | ratio / value | target | result |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows_of(done):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row[:6]) + " |")
    lines += ["", "Each script's RESULT line and the command that produced it:", ""]
    for item in done:
        lines.append(f"* `{item['command']}` ({item['seconds']:.0f} s, exit {item['code']}):")
        for text in item["results"] or ["(no RESULT line)"]:
            lines.append(f"  `RESULT {item['bench'].script}: {text}`")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def render_from_logs(args: argparse.Namespace) -> int:
    """RESULTS.md again from a finished run's logs (its numbers unchanged), e.g. after the table's parsing
    improved."""
    import ast

    out = (args.from_logs / "run_all.out").read_text().splitlines()
    info = ast.literal_eval(out[0].removeprefix("machine: "))
    started = datetime.strptime(args.started, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    timing = iter(re.findall(r"^    (\d+) s, exit (\S+):", "\n".join(out), flags=re.M))
    done = []
    for bench in BENCHES:
        log = args.from_logs / f"{bench.name}.log"
        if not log.exists():
            continue
        seconds, code = next(timing)
        quick = args.quick or (bench.long and not args.full)
        results = [m.group("text") for m in map(RESULT.match, log.read_text(errors="replace").splitlines()) if m]
        done.append({"bench": bench, "quick": quick, "code": None if code == "None" else int(code),
                     "seconds": float(seconds), "results": results, "log": log,
                     "command": " ".join(["python", *bench.command(quick)])})
    write_results(args.results, info, started, done, [])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every script at its quick size")
    parser.add_argument("--full", action="store_true", help="every script at its default size, the long ones too")
    parser.add_argument("--only", default="", help="comma-separated script names")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per script (default 900)")
    parser.add_argument("--logs", type=Path, default=None, help="directory for each script's output")
    parser.add_argument("--started", default=None, help="with --from-logs: the run's start, YYYY-MM-DD HH:MM (UTC)")
    parser.add_argument("--results", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--from-logs", type=Path, default=None,
                        help="no run: rewrite RESULTS.md from an earlier run's --logs directory and its output file "
                             "(run_all.out in it: the machine line, each script's seconds and exit code)")
    args = parser.parse_args()
    if args.from_logs is not None:
        return render_from_logs(args)
    wanted = set(args.only.split(",")) if args.only else set()
    chosen = [b for b in BENCHES if not wanted or b.script in wanted or b.name in wanted]
    logs = args.logs or Path(tempfile.mkdtemp(prefix="golive-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    info = machine()
    started = datetime.now(UTC)
    print(f"machine: {info}", flush=True)
    done: list[dict] = []
    for index, bench in enumerate(chosen):
        print(f"[run_all {time.strftime('%H:%M:%S')}] {bench.name} …", flush=True)
        done.append(run_one(bench, args, logs))
        last = done[-1]
        print(f"    {last['seconds']:.0f} s, exit {last['code']}: " + " | ".join(last["results"]), flush=True)
        write_results(args.results, info, started, done, [b.name for b in chosen[index + 1:]])
    headers = ["benchmark", "measure", "baseline", "ratio/value", "target", "result"]
    rows = [row[:6] for row in rows_of(done)]
    widths = [min(48, max(len(h), *(len(r[i]) for r in rows))) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(cell[:w].ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(f"logs: {logs}; results: {args.results}")
    failed = [row for row in rows if row[5] != "PASS"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
