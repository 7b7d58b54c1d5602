"""The day before launch week: a heads-up to the launch's CSMs."""

from __future__ import annotations

from sqlmodel import Session

from bot.core.clock import business_days_from
from bot.core.text import escape
from bot.features.launches import service as launches
from bot.features.launches.service import holidays_of
from bot.outbox.queue import post_message
from schedules.registry import WorkContext
from storage.models import Launch, MemberRole


def heads_up_text(launch: Launch, checkin_count: int) -> str:
    """The launch's holidays count: launch week starts on the first business day from go-live, check-ins skip
    holidays, and the SLA clock stands still on them; the text says which days those are."""
    holidays = holidays_of(launch)
    days = business_days_from(launch.go_live_date, checkin_count, holidays)
    day = days[0].strftime("%A %-d %B")
    support = f"<#{launch.support_channel}>" if launch.support_channel else "not set yet"
    text = (
        f":rocket: Launch week for *{escape(launch.customer)}* starts on {day}.\n"
        f"• {checkin_count} daily check-ins in <#{launch.channel}> at {launch.checkin_time} ({launch.timezone})\n"
        f"• Problems reported there go to the support channel: {support}\n"
        f"• Your standup digest arrives at {launch.digest_time} each launch-week morning."
    )
    skipped = sorted(d for d in holidays if launch.go_live_date <= d <= days[-1] and d.weekday() < 5)
    if skipped:
        names = ", ".join(d.strftime("%A %-d %B") for d in skipped)
        text += (f"\n• Holiday{'s' if len(skipped) > 1 else ''}: {names} — no check-in, and SLA clocks stand "
                 "still that day.")
    return text


def send_heads_up(ctx: WorkContext) -> str | None:
    s: Session = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    recipients = launches.members(s, launch.id, MemberRole.CSM) or list(ctx.admins)
    if not recipients:
        return "nobody to tell: the launch has no CSM and GOLIVE_ADMINS is empty"
    text = heads_up_text(launch, launch.checkin_days)
    if ctx.is_late:
        text += "\n_(This heads-up is late: golive's worker was not running at the planned time.)_"
    for user in recipients:
        post_message(s, key=f"{ctx.work.key}:{user}", channel=user, text=text, now=ctx.now, launch_id=launch.id)
    return f"sent to {len(recipients)} person(s)"
