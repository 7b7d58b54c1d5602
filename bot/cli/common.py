"""What every command group shares: settings, the database, the console, and how a run ends."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
import typer
from rich.console import Console

from bot.core.errors import GoliveError
from bot.core.settings import Settings, SettingsError
from storage.db import Database
from storage.migrate import upgrade

PROG = "golive"
CLI_ACTOR = "cli"  # who did it, in audit trails, when a command line did it

# Piped output (scripts, tests) gets wide tables instead of wrapped cells.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 180)


def settings() -> Settings:
    """The configuration from the process environment (main() has read `.env` into it)."""
    return Settings()


def database(migrate: bool = True) -> Database:
    db = Database(settings().database_url)
    if migrate:
        upgrade(db)
    return db


def run(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Run the command line (args default to sys.argv) and return its exit code."""
    try:
        code = app(args=list(args) if args is not None else None, prog_name=PROG, standalone_mode=False)
    except click.exceptions.Abort:
        print(f"{PROG}: aborted", file=sys.stderr)
        return 130
    except click.UsageError as err:
        print(f"{PROG}: {err.format_message()}", file=sys.stderr)
        return 2
    except click.ClickException as err:
        print(f"{PROG}: {err.format_message()}", file=sys.stderr)
        return 2
    except (GoliveError, SettingsError) as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0
