"""The `/golive` slash command. Slack runs it only for the vendor's own people."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App

from bot.app import Deps, person_from
from bot.core.ids import SLASH_COMMAND
from bot.features.launches import service as launches
from bot.features.status import service as status

HELP = (
    "*golive* — your customer's go-live week in Slack.\n"
    "• `/golive status` — this channel's launch: go-live date, stage, what happens next\n"
    "• `/golive issue TEXT` — report a problem for this launch\n"
    "• `/golive issues` — open problems for this launch\n"
    "• `/golive ready` — the go-live checklist\n"
    "• `/golive live` — declare the launch live (CSMs and admins)\n"
    "• `/golive retro` — the retrospective\n"
    "• `/golive help` — this help\n"
    "Customers can report a problem with the *Report a problem* button, a :rotating_light: reaction "
    "on any message, or by mentioning the bot."
)

Subcommand = Callable[[Deps, dict, str], str]
SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(name: str) -> Callable[[Subcommand], Subcommand]:
    def wrap(fn: Subcommand) -> Subcommand:
        SUBCOMMANDS[name] = fn
        return fn

    return wrap


@subcommand("help")
def show_help(deps: Deps, body: dict, rest: str) -> str:
    return HELP


@subcommand("status")
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


def on_golive(ack: Ack, body: dict, context) -> None:  # noqa: ANN001
    deps: Deps = context["deps"]
    text = str(body.get("text") or "").strip()
    name, _, rest = text.partition(" ")
    handler = SUBCOMMANDS.get(name.lower(), show_help)
    ack(text=handler(deps, body, rest.strip()), response_type="ephemeral")


def register(app: App) -> None:
    app.command(SLASH_COMMAND)(on_golive)
