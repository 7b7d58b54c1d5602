"""The `/golive` slash command. Slack runs it only for the vendor's own people."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from slack_bolt import Ack, App

from bot.core.ids import SLASH_COMMAND
from bot.features.launches import service as launches
from bot.features.status import service as status
from handlers.deps import Deps, Subcommand, person_from

HELP = (
    "*golive* — your customer's go-live week in Slack.\n"
    "• `/golive status` — this channel's launch: go-live date, stage, what happens next\n"
    "• `/golive issue TEXT` — report a problem for this launch\n"
    "• `/golive issue N` — issue N's timeline (vendor staff)\n"
    "• `/golive issues` — open problems for this launch\n"
    "• `/golive ready` — the go-live checklist\n"
    "• `/golive live` — declare the launch live (CSMs and admins)\n"
    "• `/golive retro` — the retrospective\n"
    "• `/golive help` — this help\n"
    "Customers can report a problem with the *Report a problem* button, a :rotating_light: reaction "
    "on any message, or by mentioning the bot."
)

def show_help(deps: Deps, body: dict, rest: str) -> str:
    return HELP


def show_status(deps: Deps, body: dict, rest: str) -> str:
    person = person_from(body)
    if not deps.roles.is_vendor(person):
        return "Only the vendor's team can see launch status here."
    with deps.db.session() as s:
        launch = launches.launch_for_channel(s, body.get("channel_id"))
        if launch is None:
            return ("This channel is not a launch channel. Create a launch for it with "
                    "`golive launch add --channel <this channel's id> …`, then run `/golive status` here.")
        return status.status_text(s, launch)


# The subcommands this module answers itself; the other surfaces bring their own tables.
SUBCOMMANDS: dict[str, Subcommand] = {"help": show_help, "status": show_status}


def golive_command(subcommands: Mapping[str, Subcommand]) -> Callable[..., None]:
    """The `/golive` listener over every surface's subcommands; unknown or empty: the help text."""

    def on_golive(ack: Ack, body: dict, deps: Deps) -> None:
        text = str(body.get("text") or "").strip()
        name, _, rest = text.partition(" ")
        handler = subcommands.get(name.lower(), show_help)
        ack(text=handler(deps, body, rest.strip()), response_type="ephemeral")

    return on_golive


def register(app: App, subcommands: Mapping[str, Subcommand]) -> None:
    app.command(SLASH_COMMAND)(golive_command(subcommands))
