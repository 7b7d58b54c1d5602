"""What every command group shares: settings, the database, the console, and how a run ends.

Every outcome is an exit code and at most one line on stderr, never a traceback:

- 0: done (also `golive` or a group alone, which print their help);
- 2: bad usage (unknown command or option, missing or bad argument: Click's message and hint, the usage and
  where help is), bad input or configuration (`GoliveError`, `SettingsError`): nothing was written;
- 1: an unexpected error: its type and a reference; the traceback, with secrets redacted, goes to a file
  named `golive-error-<reference>.txt` in the temporary directory, for a bug report;
- 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

import gc
import os
import secrets
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

# Typer 0.29 carries its own copy of Click; its parser raises these (the `click` package's are other classes).
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from bot.core.errors import GoliveError
from bot.core.logs import RedactingFilter
from bot.core.settings import Settings, SettingsError
from storage.db import Database
from storage.migrate import upgrade

if TYPE_CHECKING:
    from rich.console import Console

PROG = "golive"
CLI_ACTOR = "cli"  # who did it, in audit trails, when a command line did it
SECRET_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "GOLIVE_API_TOKEN",
                    "GOLIVE_DATABASE_URL")  # a database URL may carry a password


class _Console:
    """The console tables are printed on, made on first use: most commands print plain lines, and importing
    rich's console is a noticeable share of their start-up. Piped output (scripts, tests) gets wide tables
    instead of wrapped cells."""

    def __init__(self) -> None:
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console  # noqa: PLC0415 - start-up time of the commands without tables

            self._console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 180)
        return getattr(self._console, name)


out: Any = _Console()


def settings() -> Settings:
    """The configuration from the process environment (main() has read `.env` into it)."""
    return Settings()


def database(migrate: bool = True) -> Database:
    config = settings()
    db = Database(config.database_url, synchronous=config.sqlite_synchronous)
    if migrate:
        upgrade(db)
    return db


@contextmanager
def bulk_work() -> Iterator[None]:
    """Work that makes many objects at once (a thousand launches imported): the cyclic garbage collector waits
    until it is done. It would otherwise walk the growing heap again and again — about half the CPU time of a
    1,000-launch import, measured; reference counting still frees everything that is not a cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Run the command line (args default to sys.argv) and return its exit code; see the module docstring."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=list(args) if args is not None else None, prog_name=PROG, standalone_mode=False)
    except NoArgsIsHelpError as err:  # `golive`, `golive launch`: their help, as --help shows it
        print(err.format_message().rstrip("\n"))
        return 0
    except UsageError as err:
        return fail(usage_line(err))
    except ClickException as err:
        return fail(err.format_message())
    except (GoliveError, SettingsError) as err:
        return fail(str(err))
    except (typer.Abort, KeyboardInterrupt):
        print(f"{PROG}: aborted", file=sys.stderr)
        return 130
    except Exception as err:  # the last resort: one line and a report file instead of a traceback
        return unexpected(err)
    return result if isinstance(result, int) else 0


def fail(message: str, code: int = 2) -> int:
    print(f"{PROG}: {one_line(message)}", file=sys.stderr)
    return code


def one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def usage_line(err: UsageError) -> str:
    """Click's message and hint ("No such command 'ad'. Did you mean 'add'?"), the usage, and where help is."""
    message = one_line(err.format_message())
    ctx = err.ctx
    if ctx is None:  # Click's parser did not say which command; the top level's help lists them all
        return f"{message} (see '{PROG} --help')"
    usage = " ".join([ctx.command_path, *ctx.command.collect_usage_pieces(ctx)])
    return f"{message} (usage: {usage}; see '{ctx.command_path} --help')"


def unexpected(err: BaseException) -> int:
    reference = secrets.token_hex(4)
    report = Path(tempfile.gettempdir()) / f"{PROG}-error-{reference}.txt"
    redact = RedactingFilter([os.environ.get(name, "") for name in SECRET_VARIABLES]).redact
    try:
        fd = os.open(report, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(redact("".join(traceback.format_exception(err))))
        where = f"; details in {report}"
    except OSError:
        where = ""
    return fail(f"unexpected error {type(err).__name__} (reference {reference}{where}); please report it", code=1)
