"""Crash-safe delivery at full size: SIGKILL the worker at random moments while it delivers.

`--posts` posts (distinct dedupe keys, spread over `--channels` channels so each channel's history
stays short) are queued with `bot.outbox.queue.post_message` in one transaction in a temporary SQLite
database. Then `golive run --role worker` (GOLIVE_SEND_LEASE_SECONDS=`--lease`, GOLIVE_TICK_SECONDS=0.5)
delivers them against the Slack simulator, which answers chat.postMessage after `--latency` seconds so
that kills often land while posts are in flight (Slack has the post, the database does not know). The
worker is killed with SIGKILL a seeded random delay after it first claims rows, and restarted, `--kills` times; the last
process runs until every row is 'sent'.

Checked afterwards from the simulator's record: every key present exactly once (duplicates and
losses must both be 0) and every outbox row 'sent'. Also reported: how many rows were in flight at the
kills, how many of those Slack had accepted before the kill ("posted, unrecorded": the case the
sender's history check exists for), and the conversations.history reads recovery made.

Baseline (same run): the same posts delivered by one worker that is never killed; the table shows
delivery time with kills / without. The RESULT ratio is (duplicates + losses) / posts, target 0.

    /work/venv/bin/python bench/crash_kill.py --posts 120 --kills 8     # quick (~40 s)
    /work/venv/bin/python bench/crash_kill.py                           # 500 posts, 20 kills (~2 min)
"""

from __future__ import annotations

import argparse
import collections
import random
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT, child_environ, clean_environ, golive_command, golive_env, populate, sqlite_url, table


def outbox_key(message) -> str | None:  # noqa: ANN001 - SimMessage
    return ((message.metadata or {}).get("event_payload") or {}).get("key")


def run(sim, workdir: Path, *, label: str, posts: int, channels: int, kills: int, seed: int,  # noqa: ANN001
        lease: float, latency: float, timeout: float, kill_window: float) -> dict:
    from sqlalchemy import text

    from bot.outbox.queue import post_message
    from storage.db import Database
    from storage.migrate import upgrade

    channel_ids = [f"C9K{label[:1].upper()}{i:04d}" for i in range(channels)]
    for channel in channel_ids:
        sim.add_channel(channel, channel.lower(), members=["U0CSM"])
    db_url = sqlite_url(workdir, f"{label}.db")
    db = Database(db_url)
    upgrade(db)
    keys = [f"{label}:{i}" for i in range(posts)]
    with db.session() as s:
        now = datetime.now(UTC)
        for i, key in enumerate(keys):
            post_message(s, key=key, channel=channel_ids[i % channels], text=f"go-live update {i}", now=now)
    sim.set_latency(latency, "chat.postMessage")
    history_before = len(sim.calls_to("conversations.history"))
    env = child_environ({**golive_env(sim, db_url), "GOLIVE_TICK_SECONDS": "0.5",
                         "GOLIVE_SEND_LEASE_SECONDS": str(lease)})

    def count(status: str | None = None) -> int:
        sql = "select count(*) from outbox_message" + (" where status = :s" if status else "")
        with db.session() as s:
            return s.execute(text(sql), {"s": status}).scalar()

    def sending() -> set[str]:
        with db.session() as s:
            return set(s.execute(text("select dedupe_key from outbox_message where status = 'sending'")).scalars())

    def claimed_by(pid: int) -> bool:
        with db.session() as s:
            return s.execute(text("select 1 from outbox_message where claimed_by like :me limit 1"),
                             {"me": f"%:{pid}:%"}).first() is not None

    def delivered() -> list[str | None]:
        return [outbox_key(m) for c in channel_ids for m in sim.messages(c)]

    rng = random.Random(seed)
    done_kills = in_flight = unrecorded = 0
    proc = None
    log_path = workdir / f"{label}-worker.log"
    started = time.monotonic()
    deadline = started + timeout
    with log_path.open("w") as log:
        try:
            while time.monotonic() < deadline:
                proc = subprocess.Popen([*golive_command(), "run", "--role", "worker"], env=env, cwd=ROOT,
                                        stdout=log, stderr=log)
                if done_kills >= kills:
                    while count("sent") < posts and time.monotonic() < deadline:
                        if proc.poll() is not None:
                            raise SystemExit(f"worker exited with {proc.returncode}; see {log_path}")
                        time.sleep(0.1)
                    break
                # A random moment of its work: once it has claimed rows, within the next `--kill-window` s.
                claim_deadline = time.monotonic() + 30
                while not claimed_by(proc.pid) and proc.poll() is None and time.monotonic() < claim_deadline:
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.05, kill_window))
                if proc.poll() is not None:
                    raise SystemExit(f"worker exited with {proc.returncode}; see {log_path}")
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                done_kills += 1
                time.sleep(latency + 0.1)  # requests already sent reach Slack
                unfinished = sending()
                in_flight += len(unfinished)
                unrecorded += len(unfinished & set(delivered()))
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    elapsed = time.monotonic() - started
    found = collections.Counter(delivered())
    result = {
        "label": label, "posts": posts, "kills": done_kills, "seconds": elapsed,
        "duplicates": sum(n - 1 for k, n in found.items() if n > 1),
        "losses": sum(1 for k in keys if found[k] == 0),
        "strangers": sum(n for k, n in found.items() if k not in set(keys)),
        "not_sent": posts - count("sent"), "in_flight": in_flight, "unrecorded": unrecorded,
        "history_reads": len(sim.calls_to("conversations.history")) - history_before,
    }
    db.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--channels", type=int, default=25, help="posts are spread over this many channels")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs before the last worker may finish")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--lease", type=float, default=2.0, help="GOLIVE_SEND_LEASE_SECONDS (default 2)")
    parser.add_argument("--latency", type=float, default=0.25, help="simulator latency of chat.postMessage, s")
    parser.add_argument("--kill-window", type=float, default=1.2,
                        help="kill within this many seconds after the worker's first claim (default 1.2)")
    parser.add_argument("--timeout", type=float, default=240.0, help="give up after this many seconds per run")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without kills")
    args = parser.parse_args()
    clean_environ()

    from bot.devkit.simulator import SlackSimulator

    rows = []
    with tempfile.TemporaryDirectory(prefix="golive-crash-") as tmp, SlackSimulator() as sim:
        sim._server.handle_error = lambda *a: None  # a killed worker's socket: no traceback noise
        populate(sim)
        workdir = Path(tmp)
        common = {"posts": args.posts, "channels": args.channels, "seed": args.seed, "lease": args.lease,
                  "latency": args.latency, "timeout": args.timeout,
                  "kill_window": args.kill_window}
        baseline = None if args.no_baseline else run(sim, workdir, label="baseline", kills=0, **common)
        killed = run(sim, workdir, label="killed", kills=args.kills, **common)
    for r in (baseline, killed):
        if r is not None:
            rows.append((r["label"], r["posts"], r["kills"], r["seconds"], r["in_flight"], r["unrecorded"],
                         r["history_reads"], r["duplicates"], r["losses"], r["not_sent"]))
    print(table(("run", "posts", "kills", "seconds", "in flight at kill", "posted, unrecorded", "history reads",
                 "duplicates", "losses", "rows not sent"), rows))
    if baseline is not None:
        print(f"\ndelivery time with {killed['kills']} kills / without: "
              f"{killed['seconds'] / baseline['seconds']:.2f}x")
    bad = sum(r["duplicates"] + r["losses"] + r["not_sent"] + r["strangers"] for r in (baseline, killed) if r)
    ok = bad == 0 and killed["kills"] >= args.kills
    ratio = (killed["duplicates"] + killed["losses"]) / max(1, killed["posts"])
    print(f"RESULT crash_kill: (duplicates+losses)/posts after {killed['kills']} kills "
          f"ratio {ratio:.2f} (target <= 0.00) {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
