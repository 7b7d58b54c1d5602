"""Milestone commands: `launch criteria`, `launch live`, `retro report`, `lessons`, `template add-item`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.core.errors import InvalidInput
from bot.flows import going_live

CLI_ACTOR = "cli"


def register(cli: typer.Typer, launch_cli: typer.Typer) -> None:
    from bot.cli.main import database, out
    from bot.core.clock import utcnow

    retro_cli = typer.Typer(help="Retrospectives.", no_args_is_help=True)
    template_cli = typer.Typer(help="The go-live checklist every new launch starts with.", no_args_is_help=True)
    cli.add_typer(retro_cli, name="retro")
    cli.add_typer(template_cli, name="template")

    @launch_cli.command("criteria")
    def launch_criteria(
        launch_id: Annotated[int, typer.Argument(help="Launch id")],
        done: Annotated[list[str] | None, typer.Option("--done", help="Mark this criterion met (repeatable)")] = None,
        undo: Annotated[list[str] | None, typer.Option("--undo", help="Mark this criterion open again")] = None,
        all_items: Annotated[bool, typer.Option("--all", help="Mark every criterion met")] = False,
    ) -> None:
        """Lists the launch's go-live criteria; --done KEY / --all mark them met."""
        from rich.table import Table

        from bot.features.launches import service as launches
        from bot.features.milestones import service as milestones

        db = database()
        now = utcnow()
        with db.session() as s:
            launch = launches.get_launch(s, launch_id)
            changed = []
            if done or all_items:
                changed += milestones.set_done(s, launch=launch, keys=list(done or []), all_items=all_items,
                                               done=True, actor=CLI_ACTOR, now=now)
            if undo:
                changed += milestones.set_done(s, launch=launch, keys=list(undo), all_items=False, done=False,
                                               actor=CLI_ACTOR, now=now)
            items = milestones.checklist(s, launch.id)
            table = Table("key", "done", "criterion", "owner", "changed", title=f"Go-live criteria — {launch.customer}")
            for item in items:
                when = item.changed_at.strftime("%Y-%m-%d %H:%M UTC") if item.changed_at else ""
                table.add_row(item.key, "yes" if item.done else "no", item.text, item.owner or "",
                              f"{item.changed_by} {when}".strip() if item.changed_by else "")
            out.print(table)
            remaining = sum(not i.done for i in items)
            note = f"{len(changed)} changed; " if (done or undo or all_items) else ""
            print(f"{note}{len(items) - remaining} of {len(items)} met", file=sys.stderr)

    @launch_cli.command("live")
    def launch_live(
        launch_id: Annotated[int, typer.Argument(help="Launch id")],
        force: Annotated[bool, typer.Option("--force", help="Go live although criteria are open")] = False,
        reason: Annotated[str | None, typer.Option(help="Why (required with --force; only CSMs see it)")] = None,
    ) -> None:
        """Declare the launch live (same as /golive live); refused while criteria are open unless forced."""
        from bot.features.launches import service as launches

        if force != bool(reason and reason.strip()):
            raise InvalidInput("--force and --reason TEXT go together: give both to go live with open criteria")
        db = database()
        with db.session() as s:
            launch = launches.get_launch(s, launch_id)
            result = going_live.declare_live(s, launch=launch, actor=CLI_ACTOR, now=utcnow(),
                                             force_reason=reason if force else None,
                                             how_to_force="use --force --reason TEXT")
            customer, live_at, leadership = launch.customer, launch.live_at, launch.leadership_channel
        if not result.declared:
            print(f"{customer} is live already (since {live_at:%Y-%m-%d %H:%M} UTC); nothing was changed.")
            return
        print(f"{customer} is live." + (" (forced; the reason went to the CSMs)" if result.forced else ""))
        if result.leadership_waiting:
            print("The announcement waits until a leadership channel is set (leadership_channel in "
                  "`golive launch import`).", file=sys.stderr)
        else:
            print(f"The announcement to {leadership} and the customer-channel post are queued; the worker "
                  "(or `golive tick`) delivers them.", file=sys.stderr)

    @retro_cli.command("report")
    def retro_report(launch: Annotated[int, typer.Option("--launch", help="Launch id")]) -> None:
        """Print the launch's retrospective as Markdown."""
        from bot.features.launches import service as launches
        from bot.features.retro import service as retro

        db = database()
        with db.session() as s:
            text = retro.report(s, launches.get_launch(s, launch), utcnow())
        sys.stdout.write(text)

    @cli.command("lessons")
    def lessons_command(
        min_count: Annotated[int, typer.Option(help="Mentions needed to count as recurring")] = 2,
        limit: Annotated[int, typer.Option(help="Themes to show")] = 15,
    ) -> None:
        """Recurring themes across retrospectives ("improve" answers) and issues, with examples."""
        from bot.features.lessons.service import lessons_text

        if min_count < 1 or limit < 1:
            raise InvalidInput("--min-count and --limit must be at least 1")
        db = database()
        with db.session() as s:
            print(lessons_text(s, min_count=min_count, limit=limit))

    @template_cli.command("add-item")
    def template_add_item(text: Annotated[str, typer.Argument(help="The criterion, as new launches should read it")]
                          ) -> None:
        """Add a go-live criterion that every launch created from now on gets; prints its key."""
        from bot.features.lessons.service import add_template_item

        db = database()
        with db.session() as s:
            item = add_template_item(s, text=text, now=utcnow())
            key = item.key
        print(key)

    @template_cli.command("list")
    def template_list() -> None:
        """The checklist new launches start with: the defaults and the added items."""
        from bot.features.milestones.service import DEFAULT_CRITERIA, template_items

        db = database()
        with db.session() as s:
            added = [(t.key, t.text) for t in template_items(s)]
        for key, text in [*DEFAULT_CRITERIA, *added]:
            print(f"{key}\t{text}")
