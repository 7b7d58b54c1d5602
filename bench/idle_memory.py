"""Idle memory of `golive run --role all --http` with N launches stored, against the same with none.

For each database, launches are created with the real `golive launch import` (a generated YAML
file: go-live dates 30–90 days ahead, so no scheduled work falls due during the measurement),
then `golive run --role all --http` starts as a subprocess against the Slack simulator. Once
GET /healthz answers, the process idles for `--idle` seconds and its VmRSS is read from
/proc/PID/status (sampled every second; the last sample is the result). The baseline is the
same command with an empty (migrated) database. The baseline and the loaded process run side by
side, so both see the same machine.

RESULT (issue 13's target): loaded VmRSS / baseline VmRSS <= `--target` (1.10) AND the loaded process's
VmRSS < `--max-mb` (120 MB, decimal megabytes: 10^6 bytes; VmRSS is read in KiB, the table shows MiB).

    /work/venv/bin/python bench/idle_memory.py --launches 100 --idle 5   # quick
    /work/venv/bin/python bench/idle_memory.py                           # 1,000 launches, 20 s idle
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import yaml
from common import (
    CSM,
    child_environ,
    clean_environ,
    free_port,
    golive_command,
    golive_env,
    median,
    populate,
    table,
)

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")


def launch_channels(count: int) -> list[str]:
    return [f"C7L{i:06d}" for i in range(count)]


def write_launches(path: Path, count: int) -> None:
    today = date.today()
    launches = [
        {
            "customer": f"Customer {i:04d} GmbH",
            "channel": channel,
            "go_live": (today + timedelta(days=30 + i % 60)).isoformat(),
            "tz": ZONES[i % len(ZONES)],
            "csm": [CSM],
            "goal": [f"Customer {i:04d} sends its first invoice", "All agents onboarded"],
        }
        for i, channel in enumerate(launch_channels(count))
    ]
    path.write_text(yaml.safe_dump({"launches": launches}, sort_keys=False), encoding="utf-8")


def golive(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    proc = subprocess.run(golive_command() + args, env=child_environ(env), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"golive {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return proc.stdout


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon, RssFile in KiB (missing fields are left out)."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                values[name] = int(rest.split()[0])
    return values


class Measured:
    """One database prepared with `launches` launches, then one `golive run` measured on it."""

    def __init__(self, name: str, launches: int, sim, root: Path):  # noqa: ANN001
        self.name = name
        self.launches = launches
        self.dir = root / name
        self.dir.mkdir()
        self.port = free_port()
        self.env = golive_env(sim, f"sqlite:///{self.dir / 'golive.db'}", port=self.port)
        self.env["LOG_LEVEL"] = "WARNING"
        self.result: dict = {}
        self.error: str | None = None

    def prepare(self) -> None:
        golive(["db", "upgrade"], self.env, self.dir)
        if self.launches:
            file = self.dir / "launches.yml"
            write_launches(file, self.launches)
            started = time.perf_counter()
            out = golive(["launch", "import", str(file)], self.env, self.dir)
            self.result["import_s"] = time.perf_counter() - started
            created = sum(1 for line in out.splitlines() if "\tcreated\t" in line)
            if created != self.launches:
                raise SystemExit(f"{self.name}: import created {created} launches, expected {self.launches}")

    def measure(self, idle: float, start_timeout: float = 90) -> None:
        try:
            self._measure(idle, start_timeout)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            self.error = f"{type(exc).__name__}: {exc}"

    def _measure(self, idle: float, start_timeout: float) -> None:
        log = open(self.dir / "run.log", "wb")  # noqa: SIM115 - closed below
        started = time.perf_counter()
        proc = subprocess.Popen(golive_command() + ["run", "--role", "all", "--http"], env=child_environ(self.env),
                                cwd=self.dir, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{self.port}/healthz"
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"golive run exited with {proc.returncode}; see {self.dir / 'run.log'}")
                if time.perf_counter() - started > start_timeout:
                    raise RuntimeError(f"/healthz did not answer within {start_timeout:.0f} s")
                try:
                    with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own local server
                        if resp.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                time.sleep(0.1)
            self.result["ready_s"] = time.perf_counter() - started
            self.result["at_ready"] = proc_status(proc.pid)
            samples = []
            deadline = time.perf_counter() + idle
            while time.perf_counter() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.perf_counter())))
                if proc.poll() is not None:
                    raise RuntimeError(f"golive run exited with {proc.returncode} while idle")
                samples.append(proc_status(proc.pid)["VmRSS"])
            self.result["final"] = proc_status(proc.pid)
            self.result["idle_min"] = min(samples)
            self.result["idle_max"] = max(samples)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        self.result["exit"] = proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=1000, help="launches in the loaded database (default 1000)")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds to idle after /healthz answers")
    parser.add_argument("--runs", type=int, default=1, help="repeat baseline+loaded pairs; median (default 1)")
    parser.add_argument("--target", type=float, default=1.10,
                        help="VmRSS ratio loaded / empty target (default 1.10, issue 13)")
    parser.add_argument("--max-mb", type=float, default=120.0,
                        help="the loaded process's VmRSS must stay under this many MB (10^6 bytes; default 120, "
                             "issue 13)")
    args = parser.parse_args()
    clean_environ()

    from bot.devkit.simulator import SlackSimulator

    results: list[tuple[Measured, Measured]] = []
    with SlackSimulator() as sim, tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
        populate(sim)
        for channel in launch_channels(args.launches):
            sim.add_channel(channel, channel.lower(), members=[CSM])
        for run in range(args.runs):
            pair = (Measured(f"baseline-{run}", 0, sim, Path(tmp)),
                    Measured(f"loaded-{run}", args.launches, sim, Path(tmp)))
            for m in pair:
                m.prepare()
            threads = [threading.Thread(target=m.measure, args=(args.idle,)) for m in pair]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for m in pair:
                if m.error:
                    log = (m.dir / "run.log").read_text(errors="replace")[-1500:]
                    raise SystemExit(f"{m.name}: {m.error}\n--- run.log ---\n{log}")
            results.append(pair)
        posts = len(sim.calls_to("chat.postMessage"))

    mib = 1 / 1024
    rows = []
    for base, loaded in results:
        for m in (base, loaded):
            r = m.result
            rows.append((m.name, m.launches, f"{r['ready_s']:.1f}", r["at_ready"]["VmRSS"] * mib,
                         r["idle_min"] * mib, r["idle_max"] * mib, r["final"]["VmRSS"] * mib,
                         r["final"].get("RssAnon", 0) * mib, r["final"]["VmHWM"] * mib, r["final"]["Threads"]))
    print(f"golive run --role all --http, idle {args.idle:g} s after /healthz; memory in MiB")
    print(table(("process", "launches", "ready s", "RSS ready", "idle min", "idle max", "VmRSS", "RssAnon",
                 "VmHWM", "threads"), rows))
    imports = [loaded.result["import_s"] for _, loaded in results if "import_s" in loaded.result]
    if imports:
        print(f"golive launch import of {args.launches} launches: {median(imports):.1f} s")
    if posts:
        print(f"note: the bots posted {posts} message(s) to the simulator while idle")
    base_rss = median(b.result["final"]["VmRSS"] for b, _ in results)
    loaded_rss = median(b.result["final"]["VmRSS"] for _, b in results)
    ratio = loaded_rss / base_rss
    print(f"VmRSS: {args.launches} launches {loaded_rss * mib:.1f} MiB ({loaded_rss * 1024 / 1e6:.1f} MB), "
          f"0 launches {base_rss * mib:.1f} MiB ({base_rss * 1024 / 1e6:.1f} MB), "
          f"difference {(loaded_rss - base_rss) * mib:+.1f} MiB")
    loaded_mb = loaded_rss * 1024 / 1e6
    ok = ratio <= args.target and loaded_mb < args.max_mb
    print(f"RESULT idle_memory: VmRSS {args.launches}/0 launches ratio {ratio:.2f} (target <= {args.target:.2f}), "
          f"{args.launches} launches {loaded_mb:.1f} MB (target < {args.max_mb:g} MB) {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
