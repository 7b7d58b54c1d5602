"""`golive usage import` and `golive report`: product usage in from a CSV file, the launch-week chart out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import database, settings
from bot.core.clock import parse_instant, utcnow
from bot.core.errors import InvalidInput
from bot.features.digest.chart import launch_chart
from bot.features.launches import service as launch_domain
from bot.features.usage.service import import_csv, match_emails
from bot.slack.client import make_client

usage_cli = typer.Typer(help="Product usage for adoption monitoring.", no_args_is_help=True)
MAX_ERRORS_SHOWN = 200


@usage_cli.command("import")
def usage_import(
    file: Annotated[Path, typer.Argument(help="CSV with the columns email,last_active_at[,feature]")],
    launch: Annotated[int, typer.Option(help="Launch id")],
    match: Annotated[bool, typer.Option("--match/--no-match", help="Match emails to Slack users now")] = True,
    max_lookups: Annotated[int, typer.Option(help="At most this many users.lookupByEmail calls")] = 2000,
) -> None:
    """Import product usage (streamed; bad rows reported by line number, good rows kept, duplicates ignored)."""
    config = settings()
    db = database()
    now = utcnow()
    with db.session() as s:  # one transaction: a fatal error leaves nothing behind
        target = launch_domain.get_launch(s, launch)
        report = import_csv(s, target, file, now=now)
    for line, reason in report.bad[:MAX_ERRORS_SHOWN]:
        print(f"{file}: line {line}: {reason}", file=sys.stderr)
    if report.bad_count > MAX_ERRORS_SHOWN:
        print(f"{file}: …and {report.bad_count - MAX_ERRORS_SHOWN} more bad row(s)", file=sys.stderr)
    print(f"{report.imported} row(s) imported, {report.duplicates} duplicate(s) ignored, "
          f"{report.bad_count} bad row(s) skipped ({report.rows} read) for launch {launch}")
    if not match:
        return
    client = None
    if config.slack_bot_token is not None:
        client = make_client(config)
    matched = match_emails(db.session, client, launch, now=now, max_lookups=max_lookups)
    print(f"{matched.matched} email(s) matched to Slack users, {len(matched.unmatched)} match no Slack user "
          f"(kept), {matched.pending} not looked up yet")
    if matched.unmatched:
        shown = ", ".join(matched.unmatched[:20]) + (" …" if len(matched.unmatched) > 20 else "")
        print(f"unmatched: {shown}")
    if matched.pending:
        why = "SLACK_BOT_TOKEN is not set" if client is None else "the time or lookup budget ran out"
        print(f"{matched.pending} email(s) wait for matching ({why}); the next import or adoption report retries")


def report_command(
    launch: Annotated[int, typer.Option(help="Launch id")],
    out: Annotated[Path, typer.Option(help="Where to write the PNG")],
    at: Annotated[str | None, typer.Option(help="As of this ISO-8601 instant (default: now)")] = None,
) -> None:
    """Write the launch-week chart the digest carries (PNG)."""
    now = parse_instant(at) if at else utcnow()
    db = database()
    with db.session() as s:
        png = launch_chart(s, launch_domain.get_launch(s, launch), now)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png)
    except OSError as err:
        raise InvalidInput(f"cannot write {out}: {err.strerror or err}") from None
    print(out)


def register(app: typer.Typer) -> None:
    app.add_typer(usage_cli, name="usage")
    app.command("report")(report_command)
