"""Going live spans features: the launch changes stage, the announcements are queued, and the plan is
derived again from the day it went live."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from bot.core.text import clip, escape, mention, user_text
from bot.features.launches import service as launches
from bot.features.milestones.model import MAX_REASON
from bot.features.milestones.service import (
    CriteriaOpen,
    LiveResult,
    live_announcement,
    open_items,
    queue_leadership_post,
)
from bot.features.milestones.views import customer_live_blocks
from bot.flows.planning import replan
from bot.outbox.queue import post_message
from storage.models import (
    Launch,
    LaunchStatus,
    MemberRole,
)


def declare_live(session: Session, *, launch: Launch, actor: str, now: datetime, force_reason: str | None = None,
                 how_to_force: str = "go live anyway with a reason") -> LiveResult:
    """planned → live, once (a conditional UPDATE), with the announcement and the customer post queued in
    the same transaction. Refused while criteria are open unless a reason is given."""
    if launch.status != LaunchStatus.PLANNED:
        return LiveResult(launch, declared=False, forced=False, leadership_waiting=False)
    still_open = open_items(session, launch.id)
    reason = (force_reason or "").strip()
    if still_open and not reason:
        raise CriteriaOpen(launch, still_open, how_to_force)
    forced = bool(still_open)
    claimed = session.execute(
        update(Launch).where(Launch.id == launch.id, Launch.status == LaunchStatus.PLANNED)
        .values(status=LaunchStatus.LIVE, live_at=now, live_by=actor, updated_at=now,
                live_forced_reason=reason[:MAX_REASON] if forced else None)
        .execution_options(synchronize_session=False))
    session.refresh(launch)
    if claimed.rowcount != 1:
        return LiveResult(launch, declared=False, forced=False, leadership_waiting=False)
    text, blocks = live_announcement(session, launch, now)
    waiting = queue_leadership_post(session, launch, what="announcement", text=text, blocks=blocks, now=now)
    post_message(session, key=f"launch:{launch.id}:live:customer", channel=launch.channel, now=now,
                 launch_id=launch.id, blocks=customer_live_blocks(launch),
                 text=f"We are live, {launch.customer}! Here is how to get help.")
    if forced:
        note = (f":warning: {mention(actor) if actor.startswith(('U', 'W')) else actor} declared "
                f"*{escape(launch.customer)}* live with {len(still_open)} open criteri"
                f"{'on' if len(still_open) == 1 else 'a'}:\n"
                + "\n".join(f"• {user_text(i.text, 200)}" for i in still_open[:20])
                + f"\nReason given:\n>{user_text(reason, 2000)}\n_Only the launch's CSMs see this; the customer "
                  "does not._")
        recipients = launches.members(session, launch.id, MemberRole.CSM)
        if actor.startswith(("U", "W")) and actor not in recipients:
            recipients.append(actor)
        for user in recipients:
            post_message(session, key=f"launch:{launch.id}:live:forced:{user}", channel=user, now=now,
                         launch_id=launch.id, text=clip(note, 3900))
    replan(session, launch, now=now)  # the goal review and retrospective count from the day it went live
    return LiveResult(launch, declared=True, forced=forced, leadership_waiting=waiting)
