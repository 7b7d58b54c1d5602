"""The `golive` command line. Errors are one line on stderr and exit code 2."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import click
import typer
import yaml
from dotenv import load_dotenv
from rich.console import Console
from rich.table import Table
from sqlmodel import select

from bot.core.clock import parse_instant, utcnow
from bot.core.errors import GoliveError, InvalidInput
from bot.core.settings import Settings, SettingsError
from bot.features.issues.model import SEVERITIES
from bot.features.issues.service import sla_minutes, timeline
from bot.features.launches import service as launch_domain
from bot.flows.launches import save_launch
from storage.db import Database
from storage.models import Issue, Launch, MemberRole

cli = typer.Typer(help="golive — a Slack bot for a customer's go-live week.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
launch_cli = typer.Typer(help="Create, import, list and inspect launches.", no_args_is_help=True)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
cli.add_typer(launch_cli, name="launch")
cli.add_typer(db_cli, name="db")

# Piped output (scripts, tests) gets wide tables instead of wrapped cells.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 180)
TICK_DRAIN_SECONDS = 30.0

SETUP_HELP = (
    "SLACK_BOT_TOKEN is not set. Create the Slack app by pasting manifest.yml at "
    "https://api.slack.com/apps (Create New App → From a manifest), install it to your workspace, and put "
    "its Bot User OAuth Token (xoxb-…) in .env. To see golive work without Slack, run `golive demo`."
)


def settings() -> Settings:
    return Settings.from_env(os.environ)


def database(migrate: bool = True) -> Database:
    from storage.migrate import upgrade

    db = Database(settings().database_url)
    if migrate:
        upgrade(db)
    return db


# -- launches ---------------------------------------------------------------------------------------


def _save(raw: dict, *, partial: bool = False) -> tuple[int, bool]:
    from bot.flows.planning import replan

    spec = launch_domain.LaunchInput.parse(raw, partial=partial)
    db = database()
    now = utcnow()
    with db.session() as s:
        launch, created = save_launch(s, spec, now=now, refuse_past=True)
        replan(s, launch, now=now)
        return launch.id, created


@launch_cli.command("add")
def launch_add(
    customer: Annotated[str, typer.Option(help="Customer name")],
    channel: Annotated[str, typer.Option(help="Launch channel id (C…)")],
    go_live: Annotated[str, typer.Option("--go-live", help="Go-live date, YYYY-MM-DD")],
    tz: Annotated[str, typer.Option(help="IANA time zone, e.g. Europe/Berlin")],
    checkin_time: Annotated[str | None, typer.Option(help="HH:MM local (default 10:00)")] = None,
    digest_time: Annotated[str | None, typer.Option(help="HH:MM local (default 08:30)")] = None,
    checkin_days: Annotated[int | None, typer.Option(help="Check-ins in launch week (default 5)")] = None,
    csm: Annotated[list[str] | None, typer.Option(help="CSM user id (repeatable)")] = None,
    support_channel: Annotated[str | None, typer.Option(help="Support channel id")] = None,
    urgent_channel: Annotated[str | None, typer.Option(help="Urgent channel id (sev1)")] = None,
    oncall: Annotated[str | None, typer.Option(help="Oncall user (U…) or user group (S…)")] = None,
    leadership_channel: Annotated[str | None, typer.Option(help="Customer leadership channel id")] = None,
    leader: Annotated[list[str] | None, typer.Option(help="Customer leader user id (repeatable)")] = None,
    goal: Annotated[list[str] | None, typer.Option(help="A goal for the first 30 days (repeatable)")] = None,
    retro_after_days: Annotated[int | None, typer.Option(help="Retrospective after N days (14–28)")] = None,
    holiday: Annotated[list[str] | None, typer.Option(help="Local holiday to skip, YYYY-MM-DD (repeatable)")] = None,
    nudges: Annotated[bool | None, typer.Option("--nudges/--no-nudges", help="Remind non-answerers")] = None,
    nudge_after_hours: Annotated[float | None, typer.Option(help="Hours after the check-in (default 3)")] = None,
    checkin_grace_hours: Annotated[float | None, typer.Option(help="Post a missed check-in up to N h late")] = None,
    show_names: Annotated[bool | None, typer.Option("--show-names", help="Show who answered what")] = None,
    route: Annotated[list[str] | None, typer.Option(help="KEYWORD=CHANNEL routing rule (repeatable)")] = None,
    severity_channel: Annotated[list[str] | None, typer.Option(help="SEV=CHANNEL, e.g. sev3=C0QA")] = None,
    sla: Annotated[list[str] | None, typer.Option(help="SEV=MINUTES to acknowledge, e.g. sev1=10")] = None,
    escalation_steps: Annotated[int | None, typer.Option(help="Re-escalations before giving up (default 3)")] = None,
    support_hours: Annotated[str | None, typer.Option(help="HH:MM-HH:MM on weekdays; SLA counts only then")] = None,
    support_tz: Annotated[str | None, typer.Option(help="Time zone of the support hours")] = None,
    update_reminder_minutes: Annotated[int | None, typer.Option(help="sev1 customer-update reminder")] = None,
    csm_channel: Annotated[str | None, typer.Option(help="Send digests to this channel, not DMs")] = None,
    training_link: Annotated[str | None, typer.Option(help="Training link for adoption nudges")] = None,
    adoption_nudges: Annotated[bool | None, typer.Option("--adoption-nudges", help="DM inactive users")] = None,
    quiet_days: Annotated[int | None, typer.Option(help="Days without activity that count as quiet")] = None,
    fallback_doc: Annotated[str | None, typer.Option(help="Link to the agreed fallback procedure")] = None,
    retro_window_days: Annotated[int | None, typer.Option(help="Business days retro answers are collected")] = None,
    criterion: Annotated[list[str] | None, typer.Option(help="An extra go-live criterion (repeatable)")] = None,
) -> None:
    """Create a launch; prints its id."""
    raw = {
        "customer": customer, "channel": channel, "go_live": go_live, "tz": tz, "checkin_time": checkin_time,
        "digest_time": digest_time, "checkin_days": checkin_days, "csm": csm or None,
        "support_channel": support_channel, "urgent_channel": urgent_channel, "oncall": oncall,
        "leadership_channel": leadership_channel, "leader": leader or None, "goal": goal or None,
        "retro_after_days": retro_after_days, "holiday": holiday or None, "nudges": nudges,
        "nudge_after_hours": nudge_after_hours, "checkin_grace_hours": checkin_grace_hours, "show_names": show_names,
        "route": route or None, "severity_channel": severity_channel or None, "sla": sla or None,
        "escalation_steps": escalation_steps, "support_hours": support_hours, "support_tz": support_tz,
        "update_reminder_minutes": update_reminder_minutes, "csm_channel": csm_channel,
        "training_link": training_link, "adoption_nudges": adoption_nudges, "quiet_days": quiet_days,
        "fallback_doc": fallback_doc, "retro_window_days": retro_window_days, "criterion": criterion or None,
    }
    from sqlmodel import select as _select

    db = database()
    with db.session() as s:
        if s.exec(_select(Launch.id).where(Launch.channel == channel.strip())).first() is not None:
            raise InvalidInput(
                f"a launch for channel {channel} exists already; use `golive launch import` to change it"
            )
    launch_id, _ = _save(raw)
    print(launch_id)


@launch_cli.command("import")
def launch_import(file: Annotated[Path, typer.Argument(help="YAML file with a top-level `launches:` list")]) -> None:
    """Create or update launches from YAML (matched by channel). All or nothing."""
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise InvalidInput(f"cannot read {file}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise InvalidInput(f"{file} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(document, dict) or not isinstance(document.get("launches"), list):
        raise InvalidInput(f"{file} needs a top-level `launches:` list")
    specs = []
    for index, entry in enumerate(document["launches"], start=1):
        if not isinstance(entry, dict):
            raise InvalidInput(f"launch #{index} in {file} is not a mapping")
        raw = {str(k).replace("-", "_"): v for k, v in entry.items()}
        try:
            specs.append(launch_domain.LaunchInput.parse(raw, partial=True))
        except InvalidInput as err:
            raise InvalidInput(f"launch #{index} ({entry.get('channel', '?')}): {err}") from None
    channels = [spec.channel for spec in specs]
    if len(set(channels)) != len(channels):
        raise InvalidInput(f"{file} names the same channel twice")
    from bot.flows.planning import replan

    db = database()
    now = utcnow()
    results = []
    with db.session() as s:  # one transaction: a bad launch leaves nothing half-imported
        for index, spec in enumerate(specs, start=1):
            try:
                launch, created = save_launch(s, spec, now=now, refuse_past=True)
            except InvalidInput as err:
                raise InvalidInput(f"launch #{index} ({spec.channel}): {err}") from None
            replan(s, launch, now=now)
            results.append((launch.id, created, spec.channel))
    for launch_id, created, channel in results:
        print(f"{launch_id}\t{'created' if created else 'updated'}\t{channel}")


@launch_cli.command("list")
def launch_list() -> None:
    """All launches, one row each."""
    db = database()
    table = Table("id", "customer", "channel", "go-live", "time zone", "status", "CSMs")
    with db.session() as s:
        for launch in s.exec(select(Launch).order_by(Launch.go_live_date, Launch.id)):
            csms = ", ".join(launch_domain.members(s, launch.id, MemberRole.CSM))
            table.add_row(str(launch.id), launch.customer, launch.channel, str(launch.go_live_date),
                          launch.timezone, launch.status, csms)
    out.print(table)


@launch_cli.command("show")
def launch_show(launch_id: Annotated[int, typer.Argument(help="Launch id")]) -> None:
    """One launch with its plan: what will be posted when (in the launch's time zone)."""
    from bot.features.status.service import describe_work, local_time
    from schedules.plan import stored_plan

    db = database()
    with db.session() as s:
        launch = launch_domain.get_launch(s, launch_id)
        out.print(f"[bold]{launch.customer}[/bold]  (launch {launch.id}, status {launch.status})", markup=True)
        details = [
            ("channel", launch.channel), ("go-live", str(launch.go_live_date)), ("time zone", launch.timezone),
            ("check-in time", launch.checkin_time), ("digest time", launch.digest_time),
            ("check-ins", str(launch.checkin_days)), ("support channel", launch.support_channel or "—"),
            ("urgent channel", launch.urgent_channel or "—"), ("oncall", launch.oncall or "—"),
            ("leadership channel", launch.leadership_channel or "—"),
            ("CSMs", ", ".join(launch_domain.members(s, launch.id, MemberRole.CSM)) or "—"),
            ("leaders", ", ".join(launch_domain.members(s, launch.id, MemberRole.LEADER)) or "—"),
            ("retro after", f"{launch.retro_after_days} days"),
            ("holidays", ", ".join(launch.holidays) or "—"),
            ("nudges", f"{launch.nudge_after_hours:g} h after each check-in" if launch.nudges_enabled else "off"),
            ("missed check-ins", f"posted up to {launch.checkin_grace_hours:g} h late, then skipped"),
            ("routing", _routing_text(launch)),
            ("time to acknowledge", ", ".join(f"{s} {sla_minutes(launch, s):g} min" for s in SEVERITIES)
             + f"; {launch.escalation_steps} escalation step(s)"),
            ("support hours", f"{launch.support_hours} weekdays ({launch.support_tz or launch.timezone})"
             if launch.support_hours else "around the clock"),
        ]
        for label, value in details:
            out.print(f"  {label:<19} {value}", markup=False)
        goals = launch_domain.goals(s, launch.id)
        if goals:
            out.print("  goals:", markup=False)
            for g in goals:
                out.print(f"    - {g.text} [{g.state}]", markup=False)
        table = Table("when (local)", "when (UTC)", "what", "state", "note", title="Plan")
        for work in stored_plan(s, launch.id):
            table.add_row(local_time(work.due_at, launch.timezone), work.due_at.strftime("%Y-%m-%d %H:%M"),
                          describe_work(work), work.status, work.note or "")
        out.print(table)
        issue_rows = s.exec(select(Issue).where(Issue.launch_id == launch.id).order_by(Issue.number)).all()
        if issue_rows:
            out.print("Issues", markup=False)
            for issue in issue_rows:
                out.print(f"  #{issue.number} {issue.severity} {issue.status} — {issue.text[:100]}", markup=False)
                for event in timeline(s, issue.id):
                    local = event.at.astimezone(ZoneInfo(launch.timezone)).strftime("%a %d %b %H:%M")
                    who = f" by {event.actor}" if event.actor else ""
                    detail = f": {event.detail[:100]}" if event.detail else ""
                    out.print(f"      {local}  {event.kind}{who}{detail}", markup=False)
        from bot.features.digest.service import delivery_problems

        problems = delivery_problems(s, launch.id)
        if problems:
            out.print("Delivery problems", markup=False)
            for line in problems:
                out.print(f"  {line}", markup=False)


def _routing_text(launch: Launch) -> str:
    routing = launch.routing or {}
    parts = [f"{r['keyword']} → {r['channel']}" for r in routing.get("keywords") or []]
    parts += [f"{sev} → {ch}" for sev, ch in (routing.get("severity_channels") or {}).items()]
    parts.append(f"otherwise → {launch.support_channel or 'no support channel'}")
    return "; ".join(parts)


# -- running ----------------------------------------------------------------------------------------


@cli.command("tick")
def tick_command(
    at: Annotated[str | None, typer.Option(help="ISO-8601 instant with offset or Z (default: now)")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for deliveries to be retried")] = TICK_DRAIN_SECONDS,
) -> None:
    """Do the scheduled work due at that instant once, then deliver the outbox, and exit."""
    from bot.runtime import Runtime

    instant = parse_instant(at) if at else utcnow()
    config = settings()
    runtime = Runtime(config)
    try:
        result = runtime.tick_once(instant)
        started = time.monotonic()
        real_start = utcnow()

        def clock():  # noqa: ANN202
            # Deliveries run on the tick's clock, advancing in real time, and never behind the wall clock.
            return max(instant + timedelta(seconds=time.monotonic() - started), utcnow(), real_start)

        stats = runtime.sender.drain(clock, max_wait=wait)
    finally:
        runtime.close()
    print(f"tick {instant.isoformat().replace('+00:00', 'Z')}: {len(result.done)} done, "
          f"{len(result.skipped)} skipped, {len(result.failed)} failed; "
          f"delivered {stats.sent}, retrying {stats.retried + stats.rate_limited + stats.deferred}, "
          f"dead {stats.dead}", file=sys.stderr)


@cli.command("run")
def run_command(
    http: Annotated[bool, typer.Option("--http", help="Serve Slack over HTTP (the default)")] = False,
    socket_mode: Annotated[bool, typer.Option("--socket", help="Use Socket Mode (needs SLACK_APP_TOKEN)")] = False,
    role: Annotated[str, typer.Option(help="all, web or worker")] = "all",
) -> None:
    """Run the bot: web (Slack requests), worker (scheduler and delivery), or all."""
    from bot.core.logs import configure
    from bot.runtime import Runtime

    config = settings()
    if role not in ("all", "web", "worker"):
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
    configure(config.log_level, config.log_format, config.secrets())
    runtime = Runtime(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if role in ("all", "worker"):
        runtime.start_worker()
    server = None
    try:
        if role in ("all", "web"):
            if use_socket:
                from slack_bolt.adapter.socket_mode import SocketModeHandler

                handler = SocketModeHandler(runtime.bolt(), config.slack_app_token.get_secret_value())
                handler.connect()
                print("golive: connected over Socket Mode", file=sys.stderr)
            else:
                server = runtime.web().start_in_thread()
                print(f"golive: listening on {server.url}/slack/events (role {role})", file=sys.stderr)
        else:
            print("golive: worker running", file=sys.stderr)
        while not stop.is_set():
            stop.wait(0.5)
    finally:
        if server is not None:
            server.stop()
        runtime.close()


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    database(migrate=True)
    print("database is up to date", file=sys.stderr)


@cli.command("export")
def export_command(
    launch: Annotated[int | None, typer.Option(help="Only this launch")] = None,
    format: Annotated[str, typer.Option(help="json or csv")] = "json",  # noqa: A002
) -> None:
    """Write launches, check-in responses and issues to stdout."""
    from bot.flows import export
    from bot.wiring import EXPORT_SECTIONS

    if format not in ("json", "csv"):
        raise InvalidInput(f"--format must be json or csv, not {format!r}")
    db = database()
    with db.session() as s:
        data = export.collect(s, launch, EXPORT_SECTIONS)
    sys.stdout.write(export.to_json(data) + "\n" if format == "json" else export.to_csv(data))


@cli.command("demo")
def demo_command(
    out_dir: Annotated[Path, typer.Option(help="Where the demo keeps its database and pictures")] = Path("demo-out"),
) -> None:
    """Rehearse a go-live week against a simulated Slack workspace, and show what each person saw."""
    from bot.devkit.demo import run_demo

    run_demo(out_dir)


@cli.command("backup")
def backup_command(file: Annotated[Path, typer.Argument(help="Where to write the copy")]) -> None:
    """Online backup of the SQLite database (safe while golive runs)."""
    from bot.flows.operations import backup

    pages = backup(database(), file)
    print(f"backed up {pages} pages to {file}", file=sys.stderr)


@cli.command("purge")
def purge_command(
    older_than: Annotated[int, typer.Option("--older-than", help="Delete what is older than DAYS")],
) -> None:
    """Retention: delete finished launches and operational records older than DAYS."""
    from bot.flows.operations import purge

    db = database()
    with db.session() as s:
        result = purge(s, older_than_days=older_than, now=utcnow())
    for name, count in sorted(result.counts.items()):
        if count:
            print(f"{name}\t{count}")
    print(f"purged {sum(result.counts.values())} row(s) older than {older_than} days", file=sys.stderr)


@cli.command("forget-user")
def forget_user_command(user: Annotated[str, typer.Argument(help="Slack user id (U…)")]) -> None:
    """Remove a person's personal data, keeping anonymised counts."""
    from bot.flows.operations import forget_user

    db = database()
    with db.session() as s:
        counts = forget_user(s, user.strip())
    for name, count in counts.items():
        print(f"{name}\t{count}")


def _register_features() -> None:
    from bot.cli import milestones as cli_milestones

    cli_milestones.register(cli, launch_cli)

    from bot.cli import adoption as cli_adoption

    cli_adoption.register(cli)


_register_features()


def main() -> None:
    load_dotenv(Path.cwd() / ".env")
    try:
        code = cli(standalone_mode=False)
    except click.exceptions.Abort:
        print("golive: aborted", file=sys.stderr)
        sys.exit(130)
    except click.UsageError as err:
        print(f"golive: {err.format_message()}", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as err:
        print(f"golive: {err.format_message()}", file=sys.stderr)
        sys.exit(2)
    except (GoliveError, SettingsError) as err:
        print(f"golive: {err}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
