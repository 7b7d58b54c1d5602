"""The `golive` command line: one module per command group, assembled here. How a run ends (exit codes,
one-line errors, never a traceback) is in bot/cli/common.py.

A run imports only the group its command belongs to (`golive launch import` never loads the web server, the
scheduler or the charts); `golive`, `golive --help` and an unknown command load them all."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from dotenv import load_dotenv

from bot.cli import common

# Every group module (bot/cli/<module>.py, with register(app)), in the order `golive --help` lists them,
# and the top-level commands each registers.
GROUPS: dict[str, tuple[str, ...]] = {
    "launches": ("launch",),
    "run": ("run", "tick"),
    "ops": ("db", "export", "backup", "purge", "forget-user"),
    "milestones": ("retro", "template", "lessons"),
    "adoption": ("usage", "report"),
    "demo": ("demo",),
}
EXIT_CODES = ("Exit codes: 0 done; 2 bad usage, input or configuration (one line on stderr, nothing written); "
              "1 unexpected error (one line with a reference; the details go to a file it names); 130 interrupted.")


def build(modules: Sequence[str] = tuple(GROUPS)) -> typer.Typer:
    app = typer.Typer(help="golive — a Slack bot for a customer's go-live week.", epilog=EXIT_CODES,
                      no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                      rich_markup_mode=None)
    for module in modules:
        importlib.import_module(f"bot.cli.{module}").register(app)
    return app


def for_args(args: Sequence[str]) -> typer.Typer:
    """The command line for these arguments: only the group of the command they name, when that group is a
    group of commands (Typer runs an app with a single command as that command); otherwise every group."""
    first = args[0] if args else ""
    module = next((module for module, commands in GROUPS.items() if first in commands), None)
    if module is None:
        return build()
    app = build([module])
    if not app.registered_groups and len(app.registered_commands) < 2:
        return build()
    return app


def __getattr__(name: str) -> Any:
    """`cli`: the whole command line, every group registered (built on first use)."""
    if name == "cli":
        app = build()
        globals()["cli"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(args: Sequence[str] | None = None) -> NoReturn:
    env_file = Path.cwd() / ".env"
    try:
        load_dotenv(env_file)
    except (OSError, UnicodeDecodeError) as err:
        sys.exit(common.fail(f"cannot read {env_file}: {getattr(err, 'strerror', None) or 'not UTF-8 text'}"))
    argv = list(sys.argv[1:] if args is None else args)
    sys.exit(common.run(for_args(argv), argv))


if __name__ == "__main__":
    main()
