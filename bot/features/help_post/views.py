"""Help post: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from bot.core.ids import ActionId
from bot.core.text import escape
from storage.models import Launch


def report_button(value: str) -> dict:
    return {"type": "actions", "elements": [
        {"type": "button", "action_id": ActionId.ISSUE_REPORT_OPEN, "value": value, "style": "danger",
         "text": {"type": "plain_text", "text": ":rotating_light: Report a problem", "emoji": True}}]}


def help_blocks(launch: Launch) -> list[dict]:
    text = (f":wave: *Welcome to go-live, {escape(launch.customer)}!* If anything gets in your way, tell us — "
            "any of these reaches our support team straight away:\n" + ways_to_get_help(launch))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, report_button(f"help:{launch.id}")]


def ways_to_get_help(launch: Launch) -> str:
    """The doors to support, and when support answers: shared by the pinned help message and the
    launch-day post."""
    hours = (f"Support answers {launch.support_hours} on weekdays ({launch.support_tz or launch.timezone})."
             if launch.support_hours else "Support is watching around the clock this week.")
    return ("• click *Report a problem* below (or on any daily check-in)\n"
            "• react with :rotating_light: to any message in this channel\n"
            "• mention the bot with a description, e.g. `@golive exports time out`\n"
            "• vendor staff can also use `/golive issue TEXT`\n"
            f"{hours} You will hear back in the thread where you reported.")
