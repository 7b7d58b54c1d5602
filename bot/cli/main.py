"""The `golive` command line: one module per command group, assembled here. How a run ends (exit codes,
one-line errors, never a traceback) is in bot/cli/common.py."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import typer
from dotenv import load_dotenv

from bot.cli import adoption, common, demo, launches, milestones, ops, run

GROUPS = (launches, run, ops, milestones, adoption, demo)
EXIT_CODES = ("Exit codes: 0 done; 2 bad usage, input or configuration (one line on stderr, nothing written); "
              "1 unexpected error (one line with a reference; the details go to a file it names); 130 interrupted.")


def build() -> typer.Typer:
    app = typer.Typer(help="golive — a Slack bot for a customer's go-live week.", epilog=EXIT_CODES,
                      no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                      rich_markup_mode=None)
    for group in GROUPS:
        group.register(app)
    return app


cli = build()


def main(args: Sequence[str] | None = None) -> NoReturn:
    env_file = Path.cwd() / ".env"
    try:
        load_dotenv(env_file)
    except (OSError, UnicodeDecodeError) as err:
        sys.exit(common.fail(f"cannot read {env_file}: {getattr(err, 'strerror', None) or 'not UTF-8 text'}"))
    sys.exit(common.run(cli, args))


if __name__ == "__main__":
    main()
