"""`golive run` (the bot: web, worker or both) and `golive tick` (once, for cron and tests)."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated

import typer

from bot.cli.common import settings
from bot.core.clock import parse_instant, utcnow
from bot.core.errors import InvalidInput
from bot.core.logs import configure
from bot.core.settings import Settings

TICK_DRAIN_SECONDS = 30.0
ROLES = ("all", "web", "worker")
SETUP_HELP = (
    "SLACK_BOT_TOKEN is not set. Create the Slack app by pasting manifest.yml at "
    "https://api.slack.com/apps (Create New App → From a manifest), install it to your workspace, and put "
    "its Bot User OAuth Token (xoxb-…) in .env. To see golive work without Slack, run `golive demo`."
)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("tick")(tick_command)


def tick_command(
    at: Annotated[str | None, typer.Option(help="ISO-8601 instant with offset or Z (default: now)")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for deliveries to be retried")] = TICK_DRAIN_SECONDS,
) -> None:
    """Do the scheduled work due at that instant once, delivering the outbox meanwhile, then deliver what
    is left (waiting a bounded time for retries), and exit."""
    instant = parse_instant(at) if at else utcnow()
    runtime = _runtime(settings())
    try:
        # Deliveries run on the tick's clock, advancing in real time, and never behind the wall clock.
        result, stats = runtime.tick_and_deliver(instant, max_wait=wait)
    finally:
        runtime.close()
    print(f"tick {instant.isoformat().replace('+00:00', 'Z')}: {len(result.done)} done, "
          f"{len(result.skipped)} skipped, {len(result.failed)} failed; "
          f"delivered {stats.sent}, retrying {stats.retried + stats.rate_limited + stats.deferred}, "
          f"dead {stats.dead}", file=sys.stderr)


def run_command(
    http: Annotated[bool, typer.Option("--http", help="Serve Slack over HTTP (the default)")] = False,
    socket_mode: Annotated[bool, typer.Option("--socket", help="Use Socket Mode (needs SLACK_APP_TOKEN)")] = False,
    role: Annotated[str, typer.Option(help="all, web or worker")] = "all",
) -> None:
    """Run the bot: web (Slack requests), worker (scheduler and delivery), or all."""
    config = settings()
    use_socket = _check_mode(config, http=http, socket_mode=socket_mode, role=role)
    configure(config.log_level, config.log_format, config.secrets())
    runtime = _runtime(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if role in ("all", "worker"):
        runtime.start_worker()
    server = None
    try:
        if role == "worker":
            print("golive: worker running", file=sys.stderr)
        elif use_socket:
            _socket_mode(runtime, config).connect()
            # Health, metrics and the usage API are served in Socket Mode too (Slack's requests come over
            # the socket, so /slack/events is left out).
            server = runtime.web(slack_events=False).start_in_thread()
            print(f"golive: connected over Socket Mode; health on {server.url}/healthz", file=sys.stderr)
        else:
            server = runtime.web().start_in_thread()
            print(f"golive: listening on {server.url}/slack/events (role {role})", file=sys.stderr)
        while not stop.is_set():
            stop.wait(0.5)
    finally:
        if server is not None:
            server.stop()
        runtime.close()


def _check_mode(config: Settings, *, http: bool, socket_mode: bool, role: str) -> bool:
    """Refuse a combination that cannot run, with what to do about it; True for Socket Mode."""
    if role not in ROLES:
        raise InvalidInput(f"--role must be all, web or worker, not {role!r}")
    if http and socket_mode:
        raise InvalidInput("choose --http or --socket, not both")
    if config.slack_bot_token is None:
        raise InvalidInput(SETUP_HELP)
    use_socket = socket_mode or (not http and config.slack_app_token is not None)
    if use_socket and config.slack_app_token is None:
        raise InvalidInput("--socket needs SLACK_APP_TOKEN (an xapp-… app-level token with connections:write)")
    if role != "worker" and not use_socket and config.slack_signing_secret is None:
        raise InvalidInput("HTTP mode needs SLACK_SIGNING_SECRET (Basic Information → App Credentials)")
    return use_socket


def _runtime(config: Settings):  # noqa: ANN202 - bot.runtime.Runtime, imported here
    # Bolt, uvicorn and the scheduler: `python -X importtime` measures ~0.2 s (and VmRSS ~4 MB) on top of the
    # CLI's own imports; only run and tick need them, so every other command starts without them.
    from bot.runtime import Runtime  # noqa: PLC0415 - start-up time of the other commands, ~0.2 s measured

    return Runtime(config)


def _socket_mode(runtime, config: Settings):  # noqa: ANN001, ANN202 - Runtime, SocketModeHandler
    # Only Socket Mode needs it; at the top of this module it would load Bolt (~0.18 s measured) for every command.
    from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: PLC0415 - start-up time, ~0.18 s measured

    return SocketModeHandler(runtime.bolt(), config.slack_app_token.get_secret_value())
