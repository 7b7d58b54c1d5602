"""Go-live day: a pinned message in the customer channel saying how to get help."""

from __future__ import annotations

from bot.core.i18n import translator
from bot.features.help_post.views import help_blocks, help_fallback
from bot.features.launches import service as launches
from bot.outbox.queue import enqueue, post_message
from schedules.registry import WorkContext


def post_help(ctx: WorkContext) -> str | None:
    launch = launches.get_launch(ctx.session, ctx.work.launch_id)
    key = f"launch:{launch.id}:help"
    t = translator(launch.locale)
    post_message(ctx.session, key=key, channel=launch.channel, now=ctx.now, launch_id=launch.id,
                 blocks=help_blocks(launch, t), text=help_fallback(launch, t))
    enqueue(ctx.session, key=f"{key}:pin", method="golive.pin", now=ctx.now, launch_id=launch.id,
            payload={"channel": launch.channel, "ts_from": key})
    return None


