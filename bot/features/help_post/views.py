"""Help post: pure Block Kit builders: data in, blocks out (no session, no client). Texts go through `t`, the
launch's Translator (English when not given)."""

from __future__ import annotations

from bot.core.i18n import DEFAULT_LOCALE, Translator, translator
from bot.core.ids import ActionId
from bot.core.text import escape
from storage.models import Launch


def _english(t: Translator | None) -> Translator:
    return t if t is not None else translator(DEFAULT_LOCALE)


def report_button(value: str, t: Translator | None = None) -> dict:
    text = _english(t).pgettext("button", ":rotating_light: Report a problem")
    return {"type": "actions", "elements": [
        {"type": "button", "action_id": ActionId.ISSUE_REPORT_OPEN, "value": value, "style": "danger",
         "text": {"type": "plain_text", "text": text, "emoji": True}}]}


def help_blocks(launch: Launch, t: Translator | None = None) -> list[dict]:
    t = _english(t)
    # TRANSLATORS: the pinned help message; {customer} is the customer's name, {ways} the list of ways to get help.
    text = t.gettext(":wave: *Welcome to go-live, {customer}!* If anything gets in your way, tell us — any of "
                     "these reaches our support team straight away:\n{ways}",
                     customer=escape(launch.customer), ways=ways_to_get_help(launch, t))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, report_button(f"help:{launch.id}", t)]


def help_fallback(launch: Launch, t: Translator | None = None) -> str:
    """The notification text of the pinned help message."""
    return _english(t).gettext("How to get help during {customer}'s launch week", customer=launch.customer)


def ways_to_get_help(launch: Launch, t: Translator | None = None) -> str:
    """The doors to support, and when support answers: shared by the pinned help message and the
    launch-day post."""
    t = _english(t)
    if launch.support_hours:
        hours = t.gettext("Support answers {hours} on weekdays ({zone}). You will hear back in the thread where "
                          "you reported.", hours=launch.support_hours, zone=launch.support_tz or launch.timezone)
    else:
        hours = t.gettext("Support is watching around the clock this week. You will hear back in the thread where "
                          "you reported.")
    # TRANSLATORS: keep the Slack markup: *bold*, :rotating_light:, `code`; translate the example after @golive.
    doors = t.gettext("• click *Report a problem* below (or on any daily check-in)\n"
                      "• react with :rotating_light: to any message in this channel\n"
                      "• mention the bot with a description, e.g. `@golive exports time out`\n"
                      "• vendor staff can also use `/golive issue TEXT`")
    return f"{doors}\n{hours}"
