"""Operations: `golive db upgrade`, `backup`, `purge`, `forget-user`, `export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import database
from bot.core.clock import utcnow
from bot.core.errors import InvalidInput
from bot.flows import export
from bot.flows.operations import backup, forget_user, purge
from bot.wiring import EXPORT_SECTIONS

db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_cli, name="db")
    app.command("export")(export_command)
    app.command("backup")(backup_command)
    app.command("purge")(purge_command)
    app.command("forget-user")(forget_user_command)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    database(migrate=True)
    print("database is up to date", file=sys.stderr)


def export_command(
    launch: Annotated[int | None, typer.Option(help="Only this launch")] = None,
    format: Annotated[str, typer.Option(help="json or csv")] = "json",  # noqa: A002
) -> None:
    """Write launches, check-in responses and issues to stdout."""
    if format not in ("json", "csv"):
        raise InvalidInput(f"--format must be json or csv, not {format!r}")
    db = database()
    with db.session() as s:
        data = export.collect(s, launch, EXPORT_SECTIONS)
    sys.stdout.write(export.to_json(data) + "\n" if format == "json" else export.to_csv(data))


def backup_command(file: Annotated[Path, typer.Argument(help="Where to write the copy")]) -> None:
    """Online backup of the SQLite database (safe while golive runs)."""
    pages = backup(database(), file)
    print(f"backed up {pages} pages to {file}", file=sys.stderr)


def purge_command(
    older_than: Annotated[int, typer.Option("--older-than", help="Delete what is older than DAYS")],
) -> None:
    """Retention: delete finished launches and operational records older than DAYS."""
    db = database()
    with db.session() as s:
        result = purge(s, older_than_days=older_than, now=utcnow())
    for name, count in sorted(result.counts.items()):
        if count:
            print(f"{name}\t{count}")
    print(f"purged {sum(result.counts.values())} row(s) older than {older_than} days", file=sys.stderr)


def forget_user_command(user: Annotated[str, typer.Argument(help="Slack user id (U…)")]) -> None:
    """Remove a person's personal data, keeping anonymised counts."""
    db = database()
    with db.session() as s:
        counts = forget_user(s, user.strip())
    for name, count in counts.items():
        print(f"{name}\t{count}")
