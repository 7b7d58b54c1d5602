"""Milestone commands beyond the launch group: `retro report`, `lessons`, `template add-item`, `template list`.
(`launch criteria` and `launch live` are launch commands: bot/cli/launches.py.)"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.common import database
from bot.core.clock import utcnow
from bot.core.errors import InvalidInput
from bot.features.launches import service as launches
from bot.features.lessons.service import add_template_item, lessons_text
from bot.features.milestones.service import DEFAULT_CRITERIA, template_items
from bot.features.retro import service as retro

retro_cli = typer.Typer(help="Retrospectives.", no_args_is_help=True)
template_cli = typer.Typer(help="The go-live checklist every new launch starts with.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(retro_cli, name="retro")
    app.add_typer(template_cli, name="template")
    app.command("lessons")(lessons_command)


@retro_cli.command("report")
def retro_report(launch: Annotated[int, typer.Option("--launch", help="Launch id")]) -> None:
    """Print the launch's retrospective as Markdown."""
    db = database()
    with db.session() as s:
        text = retro.report(s, launches.get_launch(s, launch), utcnow())
    sys.stdout.write(text)


def lessons_command(
    min_count: Annotated[int, typer.Option(help="Mentions needed to count as recurring")] = 2,
    limit: Annotated[int, typer.Option(help="Themes to show")] = 15,
) -> None:
    """Recurring themes across retrospectives ("improve" answers) and issues, with examples."""
    if min_count < 1 or limit < 1:
        raise InvalidInput("--min-count and --limit must be at least 1")
    db = database()
    with db.session() as s:
        print(lessons_text(s, now=utcnow(), min_count=min_count, limit=limit))


@template_cli.command("add-item")
def template_add_item(text: Annotated[str, typer.Argument(help="The criterion, as new launches should read it")]
                      ) -> None:
    """Add a go-live criterion that every launch created from now on gets; prints its key."""
    db = database()
    with db.session() as s:
        item = add_template_item(s, text=text, now=utcnow())
        key = item.key
    print(key)


@template_cli.command("list")
def template_list() -> None:
    """The checklist new launches start with: the defaults and the added items."""
    db = database()
    with db.session() as s:
        added = [(t.key, t.text) for t in template_items(s)]
    for key, text in [*DEFAULT_CRITERIA, *added]:
        print(f"{key}\t{text}")
