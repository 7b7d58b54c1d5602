"""Daily check-ins in launch week: the post, the answers, the live tally and the nudges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.core.clock import business_days_from, parse_date
from bot.core.errors import InvalidInput, NotFound, parse_id
from bot.core.i18n import N_, translator
from bot.core.ids import ActionId
from bot.features.checkins.model import Tally
from bot.features.checkins.views import checkin_blocks, checkin_fallback, confirmation_text
from bot.features.issues.model import NO_DETAILS
from bot.features.issues.service import open_issue
from bot.features.launches import service as launches
from bot.features.launches.service import holidays_of
from bot.outbox.queue import enqueue, post_message
from schedules.registry import Skip, WorkContext
from storage.models import (
    Answer,
    CheckIn,
    CheckInAnswer,
    CheckInAnswerHistory,
    Launch,
    NudgeMute,
    OutboxMessage,
    OutboxStatus,
)

ACTION_ANSWERS = {ActionId.CHECKIN_GOOD: Answer.GOOD, ActionId.CHECKIN_FRICTION: Answer.FRICTION,
                  ActionId.CHECKIN_BLOCKED: Answer.BLOCKED}
MAX_NOTE_STORED = 100_000
TALLY_BUCKET_SECONDS = 3
AWAY_EMOJI = frozenset({":palm_tree:", ":airplane:", ":face_with_thermometer:", ":no_entry:", ":beach_with_umbrella:",
                        ":sleeping:", ":hospital:", ":baby:", ":desert_island:"})
AWAY_WORDS = ("vacation", "holiday", "out of office", "ooo", "away", "on leave", "sick", "off today", "pto")
# Whole words only: "laptop" is not "pto", and "giveaway" is not "away".
AWAY_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in AWAY_WORDS) + r")\b")


def checkin_days(launch: Launch) -> list[date]:
    """Go-live day (or the first business day from it) and the business days after it."""
    return business_days_from(launch.go_live_date, launch.checkin_days, holidays_of(launch))


def launch_week_last_day(launch: Launch) -> date:
    return checkin_days(launch)[-1]


def post_key(launch_id: int, day_number: int) -> str:
    return f"launch:{launch_id}:checkin:{day_number}"


# -- the post ---------------------------------------------------------------------------------------


def current_tally(session: Session, checkin: CheckIn, show_names: bool) -> Tally:
    rows = session.exec(select(CheckInAnswer.answer, CheckInAnswer.user_id)
                        .where(CheckInAnswer.check_in_id == checkin.id).order_by(CheckInAnswer.recorded_at)).all()
    counts = {a.value: 0 for a in Answer}
    names: dict[str, list[str]] = {a.value: [] for a in Answer}
    for answer, user in rows:
        counts[answer] += 1
        names[answer].append(user)
    return Tally(**counts, names=names if show_names else None)


def post_checkin(ctx: WorkContext) -> str | None:
    """Scheduled: post one day's check-in (late, with a note, or skipped past the launch's grace)."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    grace = timedelta(hours=launch.checkin_grace_hours)
    if ctx.late_by > grace:
        raise Skip(f"skipped: the worker was down; found {int(ctx.late_by.total_seconds() // 60)} min late, "
                   f"past the {launch.checkin_grace_hours:g} h grace period")
    day_number = int(ctx.work.payload["day"])
    local_date = parse_date(ctx.work.payload["date"])
    key = post_key(launch.id, day_number)
    checkin = s.exec(select(CheckIn).where(CheckIn.launch_id == launch.id, CheckIn.day_number == day_number)).first()
    if checkin is not None:
        return "already posted"
    checkin = CheckIn(launch_id=launch.id, day_number=day_number, local_date=local_date, channel=launch.channel,
                      outbox_key=key, late=ctx.is_late, posted_at=ctx.now)
    s.add(checkin)
    s.flush()
    t = translator(launch.locale)
    blocks = checkin_blocks(checkin, launch.checkin_days, Tally(), late=ctx.is_late, t=t)
    post_message(s, key=key, channel=launch.channel, now=ctx.now, launch_id=launch.id, blocks=blocks,
                 text=checkin_fallback(day_number, t),
                 write_back={"model": "CheckIn", "id": checkin.id, "ts_field": "message_ts"})
    return "posted late" if ctx.is_late else None


# -- answers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenCheckIn:
    """What an answer needs to know of its check-in (read with one statement on the request path)."""

    id: int
    launch_id: int
    day_number: int
    local_date: date
    channel: str
    message_ts: str | None
    outbox_key: str
    locale: str


@dataclass(frozen=True)
class Recorded:
    checkin: OpenCheckIn
    answer: str
    issue_number: int | None
    changed_from: str | None
    locale: str = "en"  # the launch's: the confirmation speaks it


NOT_FOUND = N_("That check-in does not exist (any more). Nothing was recorded.")
OTHER_CHANNEL = N_("That check-in belongs to another launch's channel. Nothing was recorded.")
WEEK_OVER = N_("Launch week is over, so this check-in is closed. If something is wrong, use *Report a problem* or "
               "mention the bot. Nothing was recorded.")


def _check_open(local_date: date, channel: str, launch: Launch | Any, asked_channel: str | None, now: datetime) -> None:
    if asked_channel is not None and asked_channel != channel:
        raise InvalidInput(OTHER_CHANNEL)
    local_today = now.astimezone(ZoneInfo(launch.timezone)).date()
    if local_today > launch_week_last_day(launch) or local_today > local_date + timedelta(days=7):
        raise InvalidInput(WEEK_OVER)


def find_open_checkin(
    session: Session, *, checkin_ref: Any, channel: str | None, now: datetime
) -> tuple[CheckIn, Launch]:
    checkin_id = parse_id(checkin_ref)
    checkin = session.get(CheckIn, checkin_id) if checkin_id is not None else None
    if checkin is None:
        raise NotFound(NOT_FOUND)
    launch = session.get(Launch, checkin.launch_id)
    _check_open(checkin.local_date, checkin.channel, launch, channel, now)
    return checkin, launch


# The request path's statements, built once: a click runs five of them (and no ORM loading), so that what
# it holds the write turn for is as short as it can be (storage.commits).
_c, _l, _a = CheckIn.__table__.c, Launch.__table__.c, CheckInAnswer.__table__.c
_READ_CHECKIN = (sa_select(_c.id, _c.launch_id, _c.day_number, _c.local_date, _c.channel, _c.message_ts,
                           _c.outbox_key, _l.locale, _l.timezone, _l.go_live_date, _l.checkin_days, _l.holidays)
                 .join_from(CheckIn.__table__, Launch.__table__, _l.id == _c.launch_id)
                 .where(_c.id == bindparam("id")))
_PREVIOUS_ANSWER = sa_select(_a.answer).where(_a.check_in_id == bindparam("cid"), _a.user_id == bindparam("uid"))
_HISTORY = CheckInAnswerHistory.__table__.insert()


def _upsert_answer(dialect: str):  # noqa: ANN202
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CheckInAnswer.__table__)
    return insert.on_conflict_do_update(
        index_elements=["check_in_id", "user_id"],
        # A click without a note keeps the note written earlier that day.
        set_={"answer": insert.excluded.answer, "recorded_at": insert.excluded.recorded_at,
              "user_team": insert.excluded.user_team, "note": func.coalesce(insert.excluded.note, _a.note)})


_UPSERT_ANSWER = {dialect: _upsert_answer(dialect) for dialect in ("sqlite", "postgresql")}
TALLY_SUPERSEDE_BUCKETS = 20  # how far back (in buckets: one minute) a new refresh looks for waiting ones
# A fixed list of keys (not an expanding IN): compiled once, and each key an index lookup.
_SUPERSEDE = (update(OutboxMessage)
              .where(OutboxMessage.dedupe_key.in_([bindparam(f"k{i}") for i in range(TALLY_SUPERSEDE_BUCKETS)]),
                     OutboxMessage.status == OutboxStatus.PENDING)
              .values(status=OutboxStatus.SENT, sent_at=bindparam("now"), last_error="superseded by a newer tally")
              .execution_options(synchronize_session=False))


def read_open_checkin(session: Session, *, checkin_ref: Any, channel: str | None, now: datetime) -> OpenCheckIn:
    """`find_open_checkin` for the request path: one statement, no ORM objects."""
    checkin_id = parse_id(checkin_ref)
    row = session.execute(_READ_CHECKIN, {"id": checkin_id}).first() if checkin_id is not None else None
    if row is None:
        raise NotFound(NOT_FOUND)
    _check_open(row.local_date, row.channel, row, channel, now)
    return OpenCheckIn(row.id, row.launch_id, row.day_number, row.local_date, row.channel, row.message_ts,
                       row.outbox_key, row.locale)


def record_answer(session: Session, *, checkin_ref: Any, channel: str | None, user: str, user_team: str | None,
                  answer: str, note: str | None, now: datetime) -> Recorded:
    """One current answer per person per day (a later click replaces it); every click kept in history.
    A blocked answer, or friction with a note, opens an issue."""
    if answer not in {a.value for a in Answer}:
        raise InvalidInput(f"Unknown answer {answer!r}.")
    checkin = read_open_checkin(session, checkin_ref=checkin_ref, channel=channel, now=now)
    note = note[:MAX_NOTE_STORED] if note and note.strip() else None  # kept as written, not trimmed
    changed_from = session.execute(_PREVIOUS_ANSWER, {"cid": checkin.id, "uid": user}).scalar()
    session.execute(_UPSERT_ANSWER[session.get_bind().dialect.name],
                    {"check_in_id": checkin.id, "launch_id": checkin.launch_id, "user_id": user,
                     "user_team": user_team, "answer": answer, "note": note, "recorded_at": now})
    session.execute(_HISTORY, {"check_in_id": checkin.id, "user_id": user, "answer": answer, "note": note,
                               "recorded_at": now})
    queue_tally_update(session, checkin, now=now)
    issue_number = None
    if answer == Answer.BLOCKED or (answer == Answer.FRICTION and note):
        text = note or f"Blocked on day {checkin.day_number} of launch week {NO_DETAILS}."
        reported = open_issue(
            session, launch=session.get(Launch, checkin.launch_id), text=text, reporter=user,
            reporter_team=user_team, source="check-in", source_key=f"checkin:{checkin.id}:{user}:{answer}", now=now,
            source_channel=checkin.channel, source_ts=checkin.message_ts, thread_ts=checkin.message_ts,
            thread_key=None if checkin.message_ts else checkin.outbox_key,
            ask_what_blocks=answer == Answer.BLOCKED and not note)
        issue_number = reported.issue.number
    return Recorded(checkin, answer, issue_number, changed_from, checkin.locale)


def confirmation(recorded: Recorded) -> str:
    """The ephemeral answer to a click or a note, in the launch's language."""
    return confirmation_text(recorded.answer, recorded.checkin.day_number, recorded.changed_from,
                             recorded.issue_number, translator(getattr(recorded, "locale", "en")))


def queue_tally_update(session: Session, checkin: OpenCheckIn | CheckIn, *, now: datetime) -> None:
    """Refresh the message's tally at most once per few seconds; the update renders the tally current at
    send time, so the last click in a burst is always shown."""
    bucket = int(now.timestamp()) // TALLY_BUCKET_SECONDS
    send_at = datetime.fromtimestamp((bucket + 1) * TALLY_BUCKET_SECONDS, tz=now.tzinfo)
    if enqueue(session, key=f"tally:{checkin.id}:{bucket}", method="golive.checkin_tally",
               payload={"channel": checkin.channel, "check_in_id": checkin.id, "ts_from": checkin.outbox_key},
               now=now, launch_id=checkin.launch_id, not_before=send_at):
        # The newest refresh shows everything the older ones would: those still waiting (chat.update is
        # Tier 3, ~50 a minute for the whole workspace, so on a busy morning they queue) are not sent.
        older = {f"k{i}": f"tally:{checkin.id}:{bucket - 1 - i}" for i in range(TALLY_SUPERSEDE_BUCKETS)}
        session.execute(_SUPERSEDE, {**older, "now": now})


def record_mute(session: Session, *, launch_id: int, user: str, now: datetime) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(NudgeMute.__table__).values(launch_id=launch_id, user_id=user, muted_at=now)
                    .on_conflict_do_nothing(index_elements=["launch_id", "user_id"]))


# -- nudges -----------------------------------------------------------------------------------------


def queue_nudge(ctx: WorkContext) -> str | None:
    """Scheduled: a few hours after the check-in, one threaded reminder; who to remind is decided at send
    time, so anyone who answered in the meantime is left alone."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    if not launch.nudges_enabled:
        raise Skip("nudges are turned off for this launch")
    day_number = int(ctx.work.payload["day"])
    checkin = s.exec(select(CheckIn).where(CheckIn.launch_id == launch.id, CheckIn.day_number == day_number)).first()
    if checkin is None:
        raise Skip("no check-in was posted that day, so there is nothing to remind about")
    local_today = ctx.now.astimezone(ZoneInfo(launch.timezone)).date()
    if local_today > launch_week_last_day(launch):
        raise Skip("launch week is over")
    enqueue(s, key=f"nudge:{checkin.id}", method="golive.checkin_nudge", now=ctx.now, launch_id=launch.id,
            payload={"channel": checkin.channel, "check_in_id": checkin.id, "thread_ts_from": checkin.outbox_key})
    return None


def is_away(user: dict) -> bool:
    profile = user.get("profile") or {}
    emoji = (profile.get("status_emoji") or "").lower()
    text = (profile.get("status_text") or "").lower()
    return emoji in AWAY_EMOJI or AWAY_PATTERN.search(text) is not None


def nudge_targets(session: Session, checkin: CheckIn, members: list[dict], vendor_team: str | None) -> list[str]:
    """Channel members who have not answered: no bots, no vendor staff, nobody muted or away."""
    answered = set(session.exec(select(CheckInAnswer.user_id).where(CheckInAnswer.check_in_id == checkin.id)).all())
    muted = set(session.exec(select(NudgeMute.user_id).where(NudgeMute.launch_id == checkin.launch_id)).all())
    targets = []
    for user in members:
        uid = user.get("id")
        if not uid or uid in answered or uid in muted:
            continue
        if user.get("is_bot") or user.get("deleted") or uid == "USLACKBOT":
            continue
        if vendor_team is not None and user.get("team_id") == vendor_team:
            continue
        if is_away(user):
            continue
        targets.append(uid)
    return targets


def count_answers_by_day(session: Session, launch_id: int) -> dict[date, dict[str, int]]:
    rows = session.exec(
        select(CheckIn.local_date, CheckInAnswer.answer, func.count(CheckInAnswer.id))
        .join(CheckInAnswer, CheckInAnswer.check_in_id == CheckIn.id)
        .where(CheckIn.launch_id == launch_id)
        .group_by(CheckIn.local_date, CheckInAnswer.answer)
    ).all()
    out: dict[date, dict[str, int]] = {}
    for day, answer, count in rows:
        out.setdefault(day, {a.value: 0 for a in Answer})[answer] = count
    return out


