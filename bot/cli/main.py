"""The `golive` command line: one module per command group, assembled here."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import typer
from dotenv import load_dotenv

from bot.cli import adoption, common, demo, launches, milestones, ops, run

GROUPS = (launches, run, ops, milestones, adoption, demo)


def build() -> typer.Typer:
    app = typer.Typer(help="golive — a Slack bot for a customer's go-live week.",
                      no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                      rich_markup_mode=None)
    for group in GROUPS:
        group.register(app)
    return app


cli = build()


def main(args: Sequence[str] | None = None) -> NoReturn:
    load_dotenv(Path.cwd() / ".env")
    sys.exit(common.run(cli, args))


if __name__ == "__main__":
    main()
