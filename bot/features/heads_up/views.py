"""Heads-up: the text of the CSMs' heads-up the day before launch week (pure: data in, text out)."""

from __future__ import annotations

from datetime import date

from bot.core.i18n import DEFAULT_LOCALE, Translator, translator
from bot.core.text import escape
from storage.models import Launch


def heads_up_post(launch: Launch, checkin_count: int, first_day: date, holidays: list[date], *, late: bool = False,
                  t: Translator | None = None) -> str:
    """In the CSM's language (`t`). The launch's holidays count: launch week starts on the first business day
    from go-live, check-ins skip holidays, and the SLA clock stands still on them; the text says which days
    those are (`holidays`: the ones inside launch week)."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    channel = f"<#{launch.channel}>"
    support = f"<#{launch.support_channel}>" if launch.support_channel else t.gettext("not set yet")
    text = t.ngettext(
        ":rocket: Launch week for *{customer}* starts on {day}.\n• {count} daily check-in in {channel} at {time} "
        "({zone})\n• Problems reported there go to the support channel: {support}\n• Your standup digest arrives at "
        "{digest} each launch-week morning.",
        ":rocket: Launch week for *{customer}* starts on {day}.\n• {count} daily check-ins in {channel} at {time} "
        "({zone})\n• Problems reported there go to the support channel: {support}\n• Your standup digest arrives at "
        "{digest} each launch-week morning.",
        checkin_count, customer=escape(launch.customer), day=t.format_day(first_day), channel=channel,
        time=launch.checkin_time, zone=launch.timezone, support=support, digest=launch.digest_time)
    if holidays:
        text += "\n" + t.ngettext("• Holiday: {days} — no check-in, and SLA clocks stand still that day.",
                                  "• Holidays: {days} — no check-in, and SLA clocks stand still that day.",
                                  len(holidays), days=t.format_list([t.format_day(d) for d in holidays]))
    if late:
        text += "\n" + t.gettext("_(This heads-up is late: golive's worker was not running at the planned time.)_")
    return text
