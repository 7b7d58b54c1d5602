"""Ack latency of `/golive help` over signed HTTP, against a bare Bolt app on the same server stack.

Both apps sit behind golive's own web layer (bot.slack.web.create_web + WebServer: uvicorn, signature
check, Bolt dispatch in Starlette's thread pool), so the only difference is the Bolt app:

* golive:   Runtime(settings).web(port=0) — the real app, SQLite temp file, simulator as Slack API;
* baseline: a bare `App` with the same signing secret and a `/golive` listener that only acks.

By default the servers run in a child process and the load (N client threads, each with its own
SlackRequestSender) comes from this process, so the clients do not compete with the servers for
one GIL; `--same-process` serves from threads of this process instead.

Runs are interleaved (golive, baseline, golive, baseline, ...) after a warm-up; the headline is the
median over runs of each app's p99, as a ratio golive / baseline.

    /work/venv/bin/python bench/ack_latency.py                 # 6,000 requests per app in 6 runs, 8 clients
    /work/venv/bin/python bench/ack_latency.py --requests 400  # quick
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    CSM,
    LAUNCH_CHANNEL,
    SECRET,
    VENDOR,
    clean_environ,
    golive_env,
    median,
    percentile,
    populate,
    table,
    verdict,
)

GOLIVE, BASELINE = "golive", "baseline"


def start_servers(tmp: str) -> tuple[dict[str, str], Callable[[], None]]:
    """Simulator, golive's web server and the bare-Bolt web server; returns their URLs and a stopper."""
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.core.settings import Settings
    from bot.devkit.simulator import SlackSimulator
    from bot.runtime import Runtime
    from bot.slack.web import WebServer, create_web

    clean_environ()
    sim = SlackSimulator(team_id=VENDOR).start()
    populate(sim)
    settings = Settings.from_env(golive_env(sim, f"sqlite:///{Path(tmp) / 'golive.db'}"))
    runtime = Runtime(settings)
    golive_server = runtime.web(host="127.0.0.1", port=0).start_in_thread()

    bare = App(
        client=WebClient(token=sim.bot_token, base_url=sim.url),
        signing_secret=SECRET,
        token_verification_enabled=False,
        process_before_response=True,  # as golive's app: the listener runs before the HTTP answer
    )

    @bare.command("/golive")
    def ack_only(ack):  # noqa: ANN001, ANN202
        ack()

    # Same web layer, same database object (only /healthz would touch it): only the Bolt app differs.
    baseline_server = WebServer(create_web(bare, runtime.db, signing_secret=SECRET), "127.0.0.1", 0).start_in_thread()

    def stop() -> None:
        golive_server.stop()
        baseline_server.stop()
        runtime.close()
        sim.stop()

    urls = {GOLIVE: golive_server.url, BASELINE: baseline_server.url, "response_url_base": sim.response_url_base}
    return urls, stop


def _serve_child(conn, tmp: str) -> None:  # noqa: ANN001 - a multiprocessing Connection
    urls, stop = start_servers(tmp)
    conn.send(urls)
    try:
        conn.recv()  # anything (or EOF) means stop
    except EOFError:
        pass
    stop()


def load(url: str, response_url_base: str, requests: int, clients: int) -> tuple[list[float], float, int]:
    """`requests` slash commands from `clients` threads; returns latencies (s), wall time, errors."""
    from bot.devkit.slack_requests import SlackRequestSender

    per_client = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        sender = SlackRequestSender(url, SECRET, team_id=VENDOR, response_url_base=response_url_base)
        out = latencies[i]
        barrier.wait()
        for _ in range(per_client[i]):
            started = time.perf_counter()
            try:
                result = sender.slash_command("help", user_id=CSM, channel_id=LAUNCH_CHANNEL)
            except OSError:
                errors[i] += 1
                continue
            out.append(time.perf_counter() - started)
            if result.status != 200:
                errors[i] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return [x for chunk in latencies for x in chunk], wall, sum(errors)


def check_answers(urls: dict[str, str]) -> None:
    """One request to each app: golive must answer with its help text, the baseline with an empty ack."""
    from bot.devkit.slack_requests import SlackRequestSender

    for name in (GOLIVE, BASELINE):
        sender = SlackRequestSender(urls[name], SECRET, team_id=VENDOR, response_url_base=urls["response_url_base"])
        result = sender.slash_command("help", user_id=CSM, channel_id=LAUNCH_CHANNEL)
        if result.status != 200:
            raise SystemExit(f"{name} answered HTTP {result.status}: {result.body_text[:200]}")
        if name == GOLIVE and "/golive help" not in result.body_text:
            raise SystemExit(f"golive did not answer with its help text: {result.body_text[:200]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000, help="measured requests per app (default 6000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--runs", type=int, default=6, help="interleaved runs per app (default 6)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per app (default 200)")
    parser.add_argument("--target", type=float, default=1.5, help="p99 ratio target (default 1.5)")
    parser.add_argument("--same-process", action="store_true", help="serve from threads of this process")
    args = parser.parse_args()
    clean_environ()

    with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
        child = None
        if args.same_process:
            urls, stop = start_servers(tmp)
        else:
            ctx = multiprocessing.get_context("spawn")
            parent_conn, child_conn = ctx.Pipe()
            child = ctx.Process(target=_serve_child, args=(child_conn, tmp), daemon=True)
            child.start()
            if not parent_conn.poll(60):
                raise SystemExit("servers did not start within 60 s")
            urls = parent_conn.recv()

            def stop() -> None:
                parent_conn.send("stop")
                child.join(timeout=20)

        try:
            check_answers(urls)
            base = urls["response_url_base"]
            for name in (GOLIVE, BASELINE):
                load(urls[name], base, args.warmup, args.clients)
            per_run = max(args.clients, args.requests // args.runs)
            runs: dict[str, list[dict]] = {GOLIVE: [], BASELINE: []}
            for _ in range(args.runs):
                for name in (GOLIVE, BASELINE):
                    lat, wall, errors = load(urls[name], base, per_run, args.clients)
                    runs[name].append({
                        "lat": lat, "wall": wall, "errors": errors,
                        "p50": percentile(lat, 50), "p95": percentile(lat, 95), "p99": percentile(lat, 99),
                    })
        finally:
            stop()

    ms = 1000.0
    print(f"/golive help over signed HTTP: {args.clients} clients, {args.runs} interleaved runs x {per_run} "
          f"requests per app, warm-up {args.warmup}; servers in {'this' if args.same_process else 'a child'} "
          "process")
    rows = []
    for i in range(args.runs):
        for name in (GOLIVE, BASELINE):
            r = runs[name][i]
            rows.append((i + 1, name, len(r["lat"]), r["errors"], r["p50"] * ms, r["p95"] * ms, r["p99"] * ms,
                         max(r["lat"]) * ms, len(r["lat"]) / r["wall"]))
    print(table(("run", "app", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s"), rows))
    print()
    summary = {}
    rows = []
    for name in (GOLIVE, BASELINE):
        rs = runs[name]
        summary[name] = {k: median(r[k] for r in rs) for k in ("p50", "p95", "p99")}
        pooled = [x for r in rs for x in r["lat"]]
        rows.append((name, sum(len(r["lat"]) for r in rs), sum(r["errors"] for r in rs),
                     summary[name]["p50"] * ms, summary[name]["p95"] * ms, summary[name]["p99"] * ms,
                     percentile(pooled, 99) * ms, median(len(r["lat"]) / r["wall"] for r in rs)))
    print("median over runs:")
    print(table(("app", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "pooled p99 ms", "req/s"), rows))
    ratios = {k: summary[GOLIVE][k] / summary[BASELINE][k] for k in ("p50", "p95", "p99")}
    pair = median(runs[GOLIVE][i]["p99"] / runs[BASELINE][i]["p99"] for i in range(args.runs))
    print(f"golive/baseline: p50 {ratios['p50']:.2f}x, p95 {ratios['p95']:.2f}x, p99 {ratios['p99']:.2f}x "
          f"(median of per-run p99 ratios {pair:.2f}x)")
    errors = sum(r["errors"] for rs in runs.values() for r in rs)
    if errors:
        print(f"WARNING: {errors} request(s) failed")
    print(verdict("ack_latency", ratios["p99"], args.target, "golive/baseline p99"))
    return 0 if ratios["p99"] <= args.target and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
