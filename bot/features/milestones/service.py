"""Milestones: the go-live checklist, declaring live with the announcements, and the 30-day goal review."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert
from sqlmodel import Session, select

from bot.core.clock import business_days_from, local_instant, parse_hhmm, parse_zone, previous_business_day
from bot.core.errors import InvalidInput, NotFound
from bot.core.i18n import DEFAULT_LOCALE, person_locale, translator
from bot.core.text import clip, escape, user_text
from bot.features.launches import service as launches
from bot.features.launches.service import holidays_of
from bot.features.milestones.views import (
    adoption_line,  # noqa: F401 - used from here by callers
    checklist_summary,
    goal_outcome,
    goal_review_blocks,
    goal_review_text,
    item_detail,
    leadership_waiting_note,
    live_announcement_blocks,
    readiness_channel_text,
    readiness_reminder_dm,
)
from bot.features.milestones.week import adoption, launch_week
from bot.features.milestones.week import duration_text as duration_text  # used from here by callers and tests
from bot.outbox.queue import enqueue, post_message
from bot.slack.directory import stored_locales
from schedules.registry import Skip, WorkContext
from storage.models import (
    CheckInAnswer,
    ChecklistTemplateItem,
    Goal,
    Issue,
    Launch,
    LaunchStatus,
    MemberRole,
    OutboxMessage,
    OutboxStatus,
    ReadinessItem,
)

DEFAULT_CRITERIA: tuple[tuple[str, str], ...] = (
    ("integrations_tested", "All integrations tested end to end"),
    ("data_migrated", "Key data migrated and validated"),
    ("users_trained", "Primary users trained"),
    ("admin_trained", "Admins trained on configuration changes"),
    ("escalation_paths", "Support escalation paths defined"),
    ("fallback_agreed", "Fallback procedure agreed"),
)
MAX_CRITERION = 500
REMINDER_DAYS_BEFORE = (3, 1)
READINESS_REMINDER_AT = time(14, 0)
GOAL_REVIEW_AFTER_DAYS = 30
# A leadership post with no leadership channel yet waits in the outbox until one is set.
HOLD_UNTIL = datetime(3000, 1, 1, tzinfo=UTC)
WRAPUP_METHOD = "golive.wrapup"  # composed at send time: the chart is uploaded, then the post
LEADERSHIP_METHODS = ("chat.postMessage", WRAPUP_METHOD)


MAX_DB_ID = 2**63 - 1


def db_id(ref: Any, message: str) -> int:
    """An id golive put in a button, block or form; anything else (or too large for the database) is
    NotFound with `message`."""
    try:
        value = int(str(ref).strip())
    except (TypeError, ValueError):
        raise NotFound(message) from None
    if not 0 < value <= MAX_DB_ID:
        raise NotFound(message)
    return value


# -- the checklist ----------------------------------------------------------------------------------


def slug(text: str, limit: int = 60) -> str:
    value = re.sub(r"[^\w]+", "_", text.casefold(), flags=re.UNICODE).strip("_")
    return value[:limit].rstrip("_") or "item"


def checklist(session: Session, launch_id: int) -> list[ReadinessItem]:
    """The launch's go-live criteria, in order."""
    return list(session.exec(select(ReadinessItem).where(ReadinessItem.launch_id == launch_id)
                             .order_by(ReadinessItem.position, ReadinessItem.id)).all())


def open_items(session: Session, launch_id: int) -> list[ReadinessItem]:
    return [item for item in checklist(session, launch_id) if not item.done]


def template_items(session: Session) -> list[ChecklistTemplateItem]:
    return list(session.exec(select(ChecklistTemplateItem).order_by(ChecklistTemplateItem.id)).all())


def ensure_checklist(session: Session, launch: Launch, extra: tuple[str, ...], *, with_defaults: bool) -> int:
    """Add the default and template criteria (when `with_defaults`) and the launch's own ones that are
    missing (matched by text, ignoring case). Returns how many were added."""
    items = checklist(session, launch.id)
    csms = launches.members(session, launch.id, MemberRole.CSM)
    wanted: list[tuple[str, str]] = []
    if with_defaults:
        wanted += list(DEFAULT_CRITERIA)
        wanted += [(t.key, t.text) for t in template_items(session)]
    wanted += [(slug(text), text) for text in extra]
    rows = _missing_criteria(launch.id, items, wanted, csms[0] if csms else None)
    session.flush()
    if rows:  # one Core executemany, no ORM object per criterion
        session.execute(insert(ReadinessItem.__table__), rows)
    return len(rows)


def create_checklists(session: Session, owners: list[tuple[int, str | None]]) -> None:
    """New launches ((id, first CSM or None)) get the default and template criteria, as `ensure_checklist`
    gives one launch: in one executemany for them all."""
    wanted = list(DEFAULT_CRITERIA) + [(t.key, t.text) for t in template_items(session)]
    rows = [row for launch_id, owner in owners for row in _missing_criteria(launch_id, [], wanted, owner)]
    session.flush()
    if rows:
        session.execute(insert(ReadinessItem.__table__), rows)


def _missing_criteria(launch_id: int, items: list[ReadinessItem], wanted: list[tuple[str, str]],
                      owner: str | None) -> list[dict[str, Any]]:
    """Rows for the wanted (key, text) criteria the checklist `items` lacks (by text, ignoring case), each
    with a key of its own."""
    keys = {item.key for item in items}
    texts = {item.text.casefold() for item in items}
    position = max((item.position for item in items), default=-1) + 1
    rows = []
    for key, text in wanted:
        if text.casefold() in texts:
            continue
        unique, n = key, 2
        while unique in keys:
            unique, n = f"{key}_{n}", n + 1
        rows.append({"launch_id": launch_id, "key": unique, "text": text, "position": position, "owner": owner,
                     "done": False, "changed_by": None, "changed_at": None})
        keys.add(unique)
        texts.add(text.casefold())
        position += 1
    return rows


def on_launch_saved(session: Session, launch: Launch, given: frozenset[str], criteria: tuple[str, ...], *,
                    created: bool, now: datetime) -> None:
    """Called by save_launch: a new launch gets its checklist; an update adds missing `criterion` items
    and releases leadership posts that were waiting for a leadership channel."""
    if created or not checklist(session, launch.id):
        ensure_checklist(session, launch, criteria, with_defaults=True)
    elif "criterion" in given:
        ensure_checklist(session, launch, criteria, with_defaults=False)
    if not created and launch.leadership_channel:
        release_leadership_posts(session, launch, now=now)


def set_done(session: Session, *, launch: Launch, keys: list[str], all_items: bool, done: bool, actor: str,
             now: datetime) -> list[ReadinessItem]:
    """Mark criteria done (or not) by key; unknown keys change nothing. Returns the items that changed."""
    items = checklist(session, launch.id)
    by_key = {item.key: item for item in items}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise InvalidInput(f"unknown criterion key(s): {', '.join(unknown)}; this launch has "
                           f"{', '.join(by_key) or 'no criteria'}")
    targets = items if all_items else [by_key[k] for k in dict.fromkeys(keys)]
    return _apply(session, targets, done, actor, now)


def _apply(session: Session, items: list[ReadinessItem], done: bool, actor: str, now: datetime) -> list[ReadinessItem]:
    changed = []
    for item in items:
        if item.done == done:
            continue
        item.done, item.changed_by, item.changed_at = done, actor, now
        session.add(item)
        changed.append(item)
    session.flush()
    return changed


def apply_selection(session: Session, *, launch: Launch, shown: dict[int, bool], selected: set[int], actor: str,
                    now: datetime) -> list[ReadinessItem]:
    """A checkbox click: only what this person changed against what they were shown is applied, so a stale
    list never undoes someone else's tick."""
    changed: list[ReadinessItem] = []
    items = {item.id: item for item in checklist(session, launch.id)}
    for item_id, was_done in shown.items():
        item = items.get(item_id)
        wants = item_id in selected
        if item is None or wants == was_done:
            continue
        changed += _apply(session, [item], wants, actor, now)
    return changed


def parse_block_id(block_id: str) -> tuple[int, dict[int, bool]]:
    match = re.fullmatch(r"readiness:(\d+):((?:\d+[+-],?)+)", block_id or "")
    if not match:
        raise InvalidInput("That checklist is out of date; run `/golive ready` again. Nothing was changed.")
    stale = "That checklist is out of date; run `/golive ready` again. Nothing was changed."
    shown = {db_id(part[:-1], stale): part.endswith("+") for part in match.group(2).split(",") if part}
    return db_id(match.group(1), stale), shown


def checklist_text(launch: Launch, items: list[ReadinessItem], limit: int = 3900) -> str:
    """The read-only checklist as mrkdwn."""
    lines = [checklist_summary(launch, items)]
    for item in items:
        mark = ":white_check_mark:" if item.done else ":white_large_square:"
        detail = item_detail(item, launch.timezone)
        lines.append(f"{mark} {user_text(item.text, 400)} (`{item.key}`)" + (f" — {detail}" if detail else ""))
    return clip("\n".join(lines), limit)


# -- reminders before go-live -----------------------------------------------------------------------


def reminder_days(launch: Launch) -> list[tuple[int, date]]:

    holidays = holidays_of(launch)
    out = []
    for before in REMINDER_DAYS_BEFORE:
        day = launch.go_live_date
        for _ in range(before):
            day = previous_business_day(day, holidays)
        out.append((before, day))
    return out


def reminder_instant(launch: Launch, day: date) -> datetime:
    """Early afternoon in the launch's zone: apart from the morning digest, heads-up and check-ins, with
    the rest of the working day left to close items."""
    return local_instant(day, READINESS_REMINDER_AT, parse_zone(launch.timezone))


def csms_or_admins(session: Session, launch: Launch, admins: tuple[str, ...] = ()) -> list[str]:
    return launches.members(session, launch.id, MemberRole.CSM) or list(admins)


def send_readiness_reminder(ctx: WorkContext) -> str | None:
    """Scheduled: the CSMs get the open criteria by DM; the launch channel a friendly summary."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    if launch.status != LaunchStatus.PLANNED:
        raise Skip("the launch is already live")
    items = checklist(s, launch.id)
    still_open = [i for i in items if not i.done]
    days_before = int(ctx.work.payload.get("days_before", 1))
    recipients = csms_or_admins(s, launch, ctx.admins)
    locales = stored_locales(s, recipients)  # each CSM's own Slack locale, else GOLIVE_LOCALE
    for user in recipients:
        t = translator(person_locale(locales.get(user), ctx.locale))
        post_message(s, key=f"{ctx.work.key}:{user}", channel=user, now=ctx.now, launch_id=launch.id,
                     text=readiness_reminder_dm(launch, items, days_before, t))
    post_message(s, key=f"{ctx.work.key}:channel", channel=launch.channel, now=ctx.now, launch_id=launch.id,
                 text=readiness_channel_text(launch, items, days_before, translator(launch.locale)))
    return f"{len(still_open)} open, sent to {len(recipients)} person(s) and the channel"


# -- declaring live ---------------------------------------------------------------------------------


class CriteriaOpen(InvalidInput):
    """Going live was refused because criteria are open; carries them."""

    def __init__(self, launch: Launch, items: list[ReadinessItem], how_to_force: str):
        self.items = items
        listed = "\n".join(f"• {user_text(i.text, 200)} (`{i.key}`)" for i in items[:30])
        super().__init__(f"{escape(launch.customer)} is not live yet: {len(items)} go-live "
                         f"criteri{'on is' if len(items) == 1 else 'a are'} still open:\n{listed}\n"
                         f"Tick them with `/golive ready`, or {how_to_force}. Nothing was changed.")


@dataclass(frozen=True)
class LiveResult:
    launch: Launch
    declared: bool  # False: it was live already, so nothing happened
    forced: bool
    leadership_waiting: bool


def live_announcement(session: Session, launch: Launch, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """The go-live announcement for the customer's leadership: what is true at go-live (criteria met and who
    signed them off, the fallback, support hours, the 30-day goals). Launch week's numbers come later, in
    the wrap-up."""
    return live_announcement_blocks(launch, checklist(session, launch.id), launches.goals(session, launch.id),
                                    launches.members(session, launch.id, MemberRole.LEADER), now,
                                    translator(launch.locale))


def leadership_key(launch_id: int, what: str) -> str:
    return f"leadership:{launch_id}:{what}"


def queue_leadership_post(session: Session, launch: Launch, *, what: str, text: str, blocks: list[dict], now: datetime,
                          admins: tuple[str, ...] = (), composer: str | None = None,
                          payload: dict[str, Any] | None = None, locale: str = DEFAULT_LOCALE) -> bool:
    """Queue a post to the leadership channel once (a message, or a `composer` row rendered at send time
    from `payload`). Without a channel it waits in the outbox (held until one is set) and the CSMs are
    told how to fix it, each in their own Slack locale, else `locale` (GOLIVE_LOCALE). Returns True when it
    is waiting for a channel."""
    channel = launch.leadership_channel
    hold = None if channel else HOLD_UNTIL
    if composer:
        created = enqueue(session, key=leadership_key(launch.id, what), method=composer, now=now,
                          launch_id=launch.id, payload={**(payload or {}), "channel": channel or ""}, not_before=hold)
    else:
        created = post_message(session, key=leadership_key(launch.id, what), channel=channel or "", text=text,
                               blocks=blocks, now=now, launch_id=launch.id, not_before=hold)
    if not created or channel:
        return False
    recipients = csms_or_admins(session, launch, admins)
    locales = stored_locales(session, recipients)
    for user in recipients:
        note = leadership_waiting_note(launch, what, translator(person_locale(locales.get(user), locale)))
        post_message(session, key=f"{leadership_key(launch.id, what)}:waiting:{user}", channel=user, text=note,
                     now=now, launch_id=launch.id)
    return True


def release_leadership_posts(session: Session, launch: Launch, *, now: datetime) -> int:
    """The leadership channel was set or changed: posts still waiting go to it now."""
    rows = session.exec(select(OutboxMessage).where(
        OutboxMessage.launch_id == launch.id, OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.dedupe_key.like(f"leadership:{launch.id}:%"),
        OutboxMessage.method.in_(LEADERSHIP_METHODS))).all()
    released = 0
    for row in rows:
        if row.payload.get("channel") == launch.leadership_channel and row.next_attempt_at < HOLD_UNTIL:
            continue
        row.payload = {**row.payload, "channel": launch.leadership_channel}
        row.next_attempt_at = now
        session.add(row)
        released += 1
    session.flush()
    return released


def leadership_waiting(session: Session, launch_id: int) -> list[str]:
    """Keys of leadership posts still held for a missing channel."""
    return list(session.exec(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.launch_id == launch_id, OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at >= HOLD_UNTIL)).all())


# -- the 30-day goal review -------------------------------------------------------------------------


def live_base_date(launch: Launch) -> date:
    """What the retrospective and the 30-day review count from: the day the launch went live, or its planned
    go-live date while it has not — and never before the planned date, since launch week stays on its planned
    days when a launch goes live early (bot/flows/going_live.py): neither comes before launch week has run."""
    if launch.live_at is not None:
        return max(launch.live_at.astimezone(ZoneInfo(launch.timezone)).date(), launch.go_live_date)
    return launch.go_live_date


def on_business_day(launch: Launch, day: date) -> date:
    """`day`, or the next business day when it falls on a weekend or one of the launch's holidays."""

    return business_days_from(day, 1, holidays_of(launch))[0]


def goal_review_instant(launch: Launch) -> datetime:
    day = on_business_day(launch, live_base_date(launch) + timedelta(days=GOAL_REVIEW_AFTER_DAYS))
    return local_instant(day, parse_hhmm(launch.checkin_time), parse_zone(launch.timezone))


def goals_confirmed(session: Session, launch_id: int) -> bool:
    return session.exec(select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == leadership_key(launch_id, "goals"))).first() is not None


def send_goal_review(ctx: WorkContext) -> str | None:
    """Scheduled: 30 days after going live, each CSM gets the goals to review."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    goals = launches.goals(s, launch.id)
    if not goals:
        raise Skip("the launch has no goals to review")
    recipients = csms_or_admins(s, launch, ctx.admins)
    confirmed = goals_confirmed(s, launch.id)
    locales = stored_locales(s, recipients)  # each CSM's own Slack locale, else GOLIVE_LOCALE
    for user in recipients:
        t = translator(person_locale(locales.get(user), ctx.locale))
        post_message(s, key=f"{ctx.work.key}:{user}", channel=user, now=ctx.now, launch_id=launch.id,
                     blocks=goal_review_blocks(launch, goals, confirmed=confirmed, t=t),
                     text=goal_review_text(launch, t=t))
    return f"sent to {len(recipients)} person(s)"


def get_goal(session: Session, ref: Any) -> Goal:
    missing = "That goal does not exist (any more). Nothing was changed."
    goal = session.get(Goal, db_id(ref, missing))
    if goal is None:
        raise NotFound(missing)
    return goal


def set_goal_state(session: Session, *, goal: Goal, state: str, actor: str, now: datetime) -> Goal:
    if state not in ("met", "not_met", "in_progress"):
        raise InvalidInput(f"Unknown goal state {state!r}. Nothing was changed.")
    if goals_confirmed(session, goal.launch_id):
        raise InvalidInput("This review was confirmed and posted already. Nothing was changed.")
    goal.state, goal.reviewed_by, goal.reviewed_at = state, actor, now
    session.add(goal)
    session.flush()
    return goal


def confirm_goal_review(session: Session, *, launch: Launch, actor: str, now: datetime,
                        locale: str = DEFAULT_LOCALE) -> bool:
    """Post the outcome to leadership (in the launch's language), once. Returns True when it waits for a
    leadership channel (the CSMs are told, in their language, else `locale`: GOLIVE_LOCALE)."""
    goals = launches.goals(session, launch.id)
    if not goals:
        raise InvalidInput("This launch has no goals to review.")
    unset = [g for g in goals if g.state == "open"]
    if unset:
        raise InvalidInput(f"Set met, not met or in progress for every goal first ({len(unset)} not set). "
                           "Nothing was posted.")
    if goals_confirmed(session, launch.id):
        raise InvalidInput("This review was confirmed and posted already. Nothing was posted again.")
    text, blocks = goal_outcome(launch, goals, launches.members(session, launch.id, MemberRole.LEADER), actor,
                                adoption(session, launch.id, now), translator(launch.locale))
    return queue_leadership_post(session, launch, what="goals", text=text, blocks=blocks, now=now, locale=locale)


# -- export -----------------------------------------------------------------------------------------




# -- the launch-week wrap-up ------------------------------------------------------------------------


def queue_wrapup(ctx: WorkContext) -> str | None:
    """Scheduled on the first business day after launch week: one wrap-up to leadership, composed at send
    time (the numbers as they are then, the chart uploaded first)."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    week = launch_week(launch)
    answered = s.exec(select(func.count(CheckInAnswer.id)).where(CheckInAnswer.launch_id == launch.id)).one()
    reported = s.exec(select(func.count(Issue.id)).where(Issue.launch_id == launch.id)).one()
    if launch.status == LaunchStatus.PLANNED and not answered and not reported:
        raise Skip("the launch never went live and launch week left nothing to report")
    waiting = queue_leadership_post(s, launch, what="wrapup", text="", blocks=[], now=ctx.now, admins=ctx.admins,
                                    composer=WRAPUP_METHOD, locale=ctx.locale,
                                    payload={"launch_id": launch.id, "date": week.days[-1].isoformat()})
    return "waiting for a leadership channel" if waiting else None
