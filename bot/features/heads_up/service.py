"""The day before launch week: a heads-up to the launch's CSMs."""

from __future__ import annotations

from sqlmodel import Session

from bot.core.clock import business_days_from
from bot.core.i18n import Translator, person_locale, translator
from bot.features.heads_up.views import heads_up_post
from bot.features.launches import service as launches
from bot.features.launches.service import holidays_of
from bot.outbox.queue import post_message
from bot.slack.directory import stored_locales
from schedules.registry import WorkContext
from storage.models import Launch, MemberRole


def heads_up_text(launch: Launch, checkin_count: int, *, late: bool = False, t: Translator | None = None) -> str:
    """The heads-up in `t`'s language (English when not given): launch week starts on the first business day
    from go-live; the holidays inside it are named."""
    holidays = holidays_of(launch)
    days = business_days_from(launch.go_live_date, checkin_count, holidays)
    skipped = sorted(d for d in holidays if launch.go_live_date <= d <= days[-1] and d.weekday() < 5)
    return heads_up_post(launch, checkin_count, days[0], skipped, late=late, t=t)


def send_heads_up(ctx: WorkContext) -> str | None:
    s: Session = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    recipients = launches.members(s, launch.id, MemberRole.CSM) or list(ctx.admins)
    if not recipients:
        return "nobody to tell: the launch has no CSM and GOLIVE_ADMINS is empty"
    locales = stored_locales(s, recipients)  # each CSM's own Slack locale, else GOLIVE_LOCALE
    for user in recipients:
        t = translator(person_locale(locales.get(user), ctx.locale))
        text = heads_up_text(launch, launch.checkin_days, late=ctx.is_late, t=t)
        post_message(s, key=f"{ctx.work.key}:{user}", channel=user, text=text, now=ctx.now, launch_id=launch.id)
    return f"sent to {len(recipients)} person(s)"
