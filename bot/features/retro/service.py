"""The retrospective: a prompt at go-live + the retro delay, answers through a modal for a window of
business days (one reminder halfway), then a Markdown summary kept and sent to the CSMs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.core.clock import business_days_from, local_instant, parse_hhmm, parse_zone
from bot.core.errors import InvalidInput, NotFound
from bot.core.i18n import DEFAULT_LOCALE, N_, person_locale, translator
from bot.core.text import clip, escape
from bot.features.launches import service as launches
from bot.features.launches.service import holidays_of
from bot.features.lessons import service as lessons_service
from bot.features.milestones.service import MAX_CRITERION, csms_or_admins, db_id, live_base_date, on_business_day, slug
from bot.features.milestones.week import WeekFacts, duration_text, launch_week, week_facts
from bot.features.retro.model import RATINGS, tallies
from bot.features.retro.views import (
    csm_prompt_fallback,
    csm_prompt_text,
    launch_facts,
    prompt_blocks,
    prompt_fallback,
    prompt_text,
    reminder_fallback,
    reminder_text,
    summary_blocks,
    summary_fallback,
)
from bot.features.themes.summary import ThemeLine, launch_themes
from bot.outbox.queue import post_message
from bot.slack.directory import stored_locales
from schedules.registry import Skip, WorkContext
from storage.models import ChecklistTemplateItem, Launch, LaunchStatus, OutboxMessage, RetroAnswer, RetroSummary

MAX_ANSWER_STORED = 100_000
MD_ANSWER_LIMIT = 1000  # per answer in the Markdown report (answers are kept whole in the database)


# -- when -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetroPlan:
    prompt: datetime
    reminder: datetime
    summary: datetime


def retro_plan(launch: Launch) -> RetroPlan:
    """Prompt at go-live (or the day it went live) + retro delay, at check-in time; answers for
    `retro_window_days` business days; a reminder halfway; the summary at check-in time after the window."""

    zone, at = parse_zone(launch.timezone), parse_hhmm(launch.checkin_time)
    holidays = holidays_of(launch)
    start = on_business_day(launch, live_base_date(launch) + timedelta(days=launch.retro_after_days))
    window = max(1, launch.retro_window_days)
    after = business_days_from(start + timedelta(days=1), window, holidays)
    prompt = local_instant(start, at, zone)
    summary = local_instant(after[-1], at, zone)
    if window >= 2:
        reminder = local_instant(after[window // 2 - 1], at, zone)
    else:
        reminder = prompt + (summary - prompt) / 2
    return RetroPlan(prompt, reminder, summary)


def prompt_key(launch_id: int) -> str:
    return f"launch:{launch_id}:retro:prompt"


def is_started(session: Session, launch_id: int) -> bool:
    return session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == prompt_key(launch_id))).first() \
        is not None


def summary_of(session: Session, launch_id: int) -> RetroSummary | None:
    return session.get(RetroSummary, launch_id)


# -- the prompt and the reminder --------------------------------------------------------------------


def post_prompt(ctx: WorkContext) -> str | None:
    """Scheduled: the retrospective opens in the launch channel, and the CSMs hear of it."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    if summary_of(s, launch.id) is not None:
        raise Skip("the retrospective is already summarised")
    plan = retro_plan(launch)
    closing_day = plan.summary.astimezone(parse_zone(launch.timezone)).date()
    t = translator(launch.locale)
    facts = launch_facts(week_facts(s, launch, now=ctx.now, themes=1), t=t)
    text = prompt_text(launch, facts, closing_day, t)
    post_message(s, key=prompt_key(launch.id), channel=launch.channel, text=prompt_fallback(t),
                 blocks=prompt_blocks(launch, text, t), now=ctx.now, launch_id=launch.id)
    csms = csms_or_admins(s, launch, ctx.admins)
    locales = stored_locales(s, csms)  # vendor-facing: each CSM's own Slack locale, else GOLIVE_LOCALE
    for user in csms:
        mine = translator(person_locale(locales.get(user), ctx.locale))
        post_message(s, key=f"{prompt_key(launch.id)}:{user}", channel=user, now=ctx.now, launch_id=launch.id,
                     text=csm_prompt_fallback(mine),
                     blocks=prompt_blocks(launch, csm_prompt_text(launch, closing_day, mine), mine))
    # A launch nobody declared live still has its retrospective; it moves on from planned as well.
    s.execute(update(Launch).where(Launch.id == launch.id,
                                   Launch.status.in_([LaunchStatus.PLANNED, LaunchStatus.LIVE]))
              .values(status=LaunchStatus.RETRO, updated_at=ctx.now).execution_options(synchronize_session=False))
    return None


def post_reminder(ctx: WorkContext) -> str | None:
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    if not is_started(s, launch.id):
        raise Skip("the retrospective was never opened")
    if summary_of(s, launch.id) is not None:
        raise Skip("the retrospective is already summarised")
    count = len(answers(s, launch.id))
    t = translator(launch.locale)
    closes = retro_plan(launch).summary.astimezone(parse_zone(launch.timezone)).date()
    post_message(s, key=f"launch:{launch.id}:retro:reminder", channel=launch.channel, now=ctx.now,
                 launch_id=launch.id, text=reminder_fallback(t),
                 blocks=prompt_blocks(launch, reminder_text(launch, count, closes, t), t))
    return None


# -- answers ----------------------------------------------------------------------------------------


def answers(session: Session, launch_id: int) -> list[RetroAnswer]:
    return list(session.exec(select(RetroAnswer).where(RetroAnswer.launch_id == launch_id)
                             .order_by(RetroAnswer.submitted_at, RetroAnswer.id)).all())


def open_launch(session: Session, launch_ref: Any) -> Launch:
    """The launch whose retrospective is collecting answers now."""
    missing = N_("That retrospective does not exist. Nothing was recorded.")
    launch = session.get(Launch, db_id(launch_ref, missing))
    if launch is None:
        raise NotFound(missing)
    if not is_started(session, launch.id):
        raise InvalidInput(N_("This retrospective has not started yet. Nothing was recorded."))
    if summary_of(session, launch.id) is not None:
        raise InvalidInput(N_("This retrospective is closed and its summary has gone out. Thank you anyway!"))
    return launch


def current_answer(session: Session, launch_id: int, user: str) -> RetroAnswer | None:
    return session.exec(select(RetroAnswer).where(RetroAnswer.launch_id == launch_id,
                                                  RetroAnswer.user_id == user)).first()


def parse_rating(value: Any) -> int:
    try:
        rating = int(str(value).strip())
    except (TypeError, ValueError):
        rating = 0
    if rating not in RATINGS:
        raise InvalidInput(N_("Please choose a rating from 1 to 5."))
    return rating


def record_answer(session: Session, *, launch_ref: Any, user: str, user_team: str | None, went_well: str | None,
                  improve: str | None, rating: Any, now: datetime) -> tuple[RetroAnswer, bool]:
    """One answer per person (a second submission replaces the first); texts kept whole. Returns
    (answer, replaced)."""
    launch = open_launch(session, launch_ref)
    score = parse_rating(rating)
    replaced = current_answer(session, launch.id, user) is not None
    values = {"launch_id": launch.id, "user_id": user, "user_team": user_team,
              "went_well": (went_well or "")[:MAX_ANSWER_STORED], "improve": (improve or "")[:MAX_ANSWER_STORED],
              "rating": score, "submitted_at": now}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(RetroAnswer.__table__).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=["launch_id", "user_id"], set_={
        k: v for k, v in values.items() if k not in ("launch_id", "user_id")}))
    session.flush()
    answer = current_answer(session, launch.id, user)
    session.refresh(answer)
    return answer, replaced


# -- the summary ------------------------------------------------------------------------------------


def _md_clip(text: str) -> str:
    flat = " ".join(text.split())
    return clip(flat, MD_ANSWER_LIMIT)


def summary_markdown(launch: Launch, rows: list[RetroAnswer], now: datetime, *, draft: bool = False,
                     facts: WeekFacts | None = None, themes: list[ThemeLine] | None = None,
                     lessons: list[str] | None = None) -> str:
    t = tallies(rows)
    lines = [f"# Retrospective — {launch.customer}", ""]
    if draft:
        lines += ["_Draft: answers are still being collected._", ""]
    went = launch.live_at.date().isoformat() if launch.live_at else f"{launch.go_live_date.isoformat()} (planned)"
    lines.append(f"- Go-live: {went}")
    lines.append(f"- Answers: {t.count}")
    if t.average is not None:
        lines.append(f"- Average rating: {t.average:.1f} / 5")
        lines.append("- Ratings: " + ", ".join(f"{v}★ × {n}" for v, n in t.distribution.items() if n))
    lines.append(f"- Written: {now.strftime('%Y-%m-%d %H:%M')} UTC")
    for title, field in (("What went well", "went_well"), ("What should improve", "improve")):
        lines += ["", f"## {title}", ""]
        texts = [(r.user_id, getattr(r, field)) for r in rows if getattr(r, field).strip()]
        lines += [f"- {_md_clip(text)} ({user})" for user, text in texts] or ["- (nothing)"]
    if facts is not None:
        first = duration_text(facts.median_first_response) if facts.median_first_response else "—"
        fixed = duration_text(facts.median_resolution) if facts.median_resolution else "—"
        lines += ["", "## Launch week in numbers", "",
                  f"- Check-in answers: {facts.answers} from {facts.people} people",
                  f"- Issues: {facts.issues} reported, {facts.resolved} resolved",
                  f"- Median time to first response: {first}; to resolution: {fixed}",
                  "- SLA breaches: " + (", ".join(f"#{n}" for n in facts.sla_breaches) or "none"),
                  f"- Satisfaction: {facts.satisfied} helpful, {facts.unsatisfied} not helpful"]
    if themes is not None:
        lines += ["", "## Themes", ""]
        lines += [f"- {t.name} — {t.count}× ({t.status})" + (f": “{t.quotes[0]}”" if t.quotes else "")
                  for t in themes] or ["- (nothing came up more than once)"]
    if lessons:
        lines += ["", "## Proposed lessons", ""] + [f"- {lesson}" for lesson in lessons]
    return "\n".join(lines) + "\n"


def propose_lessons(launch: Launch, facts: WeekFacts, themes: list[ThemeLine], limit: int = 4) -> list[str]:
    """Checklist criteria this launch suggests for the next ones, from its themes, SLA breaches, 👎 answers
    and blocked days; each names where it comes from."""
    where = clip(" ".join(launch.customer.split()), 60)
    out = [f"Walk through “{t.name}” with the customer before go-live (it came up {t.count}× at {where})"
           for t in themes[:2]]
    if facts.sla_breaches:
        out.append(f"Support rota and escalation contacts confirmed for launch week ({len(facts.sla_breaches)} SLA "
                   f"breach{'es' if len(facts.sla_breaches) != 1 else ''} at {where})")
    blocked = facts.most_blocked_day()
    if blocked and blocked[2] >= 2:
        out.append(f"Dry run with the customer's own users before go-live ({blocked[2]} people blocked on day "
                   f"{blocked[0]} at {where})")
    if facts.unsatisfied:
        out.append(f"Check the fix with the reporter before resolving an issue ({facts.unsatisfied} answer"
                   f"{'s' if facts.unsatisfied != 1 else ''} “not helpful” at {where})")
    return out[:limit]


def launch_story(session: Session, launch: Launch, now: datetime) -> tuple[WeekFacts, list[ThemeLine]]:
    """The launch's numbers and its themes from the start of launch week to `now`."""
    week = launch_week(launch)
    facts = week_facts(session, launch, now=now)
    themes = launch_themes(session, launch.id, start=week.start, end=max(now, week.end),
                           previous=week.start - timedelta(days=7), limit=5).themes
    return facts, themes


def added_lessons(session: Session, launch_id: int, lessons: list[str]) -> dict[int, ChecklistTemplateItem]:
    """Which of the proposed lessons are on the checklist template already (by their key)."""
    keys = {slug(" ".join(text.split())[:MAX_CRITERION]): i for i, text in enumerate(lessons)}
    found = session.exec(select(ChecklistTemplateItem).where(ChecklistTemplateItem.key.in_(list(keys)))).all()
    return {keys[item.key]: item for item in found}


def summary_message(session: Session, launch: Launch) -> tuple[str, list[dict[str, Any]]]:
    """The kept summary as the CSMs see it (who added which lesson included)."""
    kept = summary_of(session, launch.id)
    if kept is None:
        raise InvalidInput("This retrospective has no summary yet.")
    rows = answers(session, launch.id)
    facts, themes = launch_story(session, launch, kept.created_at)
    lessons = list(kept.lessons or [])
    blocks = summary_blocks(launch, rows, facts, themes, lessons, added_lessons(session, launch.id, lessons))
    return summary_fallback(launch, len(rows)), blocks


def lesson_ref(value: Any) -> tuple[int, int]:
    """`<launch id>:<lesson index>` from a button; anything else is NotFound."""
    missing = "That lesson does not exist (any more). Nothing was added."
    launch_part, _, index_part = str(value or "").partition(":")
    launch_id = db_id(launch_part, missing)
    try:
        index = int(index_part)
    except ValueError:
        raise NotFound(missing) from None
    if not 0 <= index < 20:
        raise NotFound(missing)
    return launch_id, index


def add_lesson(session: Session, *, launch: Launch, index: int, actor: str, now: datetime
               ) -> tuple[ChecklistTemplateItem | None, bool]:
    """A proposed lesson of this launch's summary becomes a criterion of every future launch (once)."""
    kept = summary_of(session, launch.id)
    lessons = list(kept.lessons or []) if kept is not None else []
    if index >= len(lessons):
        raise NotFound("That lesson does not exist (any more). Nothing was added.")
    return lessons_service.add_lesson(session, text=lessons[index], actor=actor, source=f"retro:{launch.id}",
                                      now=now)


def close(ctx: WorkContext) -> str | None:
    """Scheduled: the window is over; the summary is written once, kept, and sent to the CSMs."""
    s = ctx.session
    launch = launches.get_launch(s, ctx.work.launch_id)
    if not is_started(s, launch.id):
        raise Skip("the retrospective was never opened")
    if summary_of(s, launch.id) is not None:
        return "already summarised"
    rows = answers(s, launch.id)
    facts, themes = launch_story(s, launch, ctx.now)
    lessons = propose_lessons(launch, facts, themes)
    s.add(RetroSummary(launch_id=launch.id, markdown=summary_markdown(launch, rows, ctx.now, facts=facts,
                                                                      themes=themes, lessons=lessons),
                       lessons=lessons, created_at=ctx.now))
    s.flush()
    added = added_lessons(s, launch.id, lessons)
    csms = csms_or_admins(s, launch, ctx.admins)
    locales = stored_locales(s, csms)
    for user in csms:
        mine = translator(person_locale(locales.get(user), ctx.locale))
        post_message(s, key=f"launch:{launch.id}:retro:summary:{user}", channel=user, now=ctx.now,
                     launch_id=launch.id, blocks=summary_blocks(launch, rows, facts, themes, lessons, added, mine),
                     text=summary_fallback(launch, len(rows), mine))
    s.execute(update(Launch).where(Launch.id == launch.id,
                                   Launch.status.in_([LaunchStatus.PLANNED, LaunchStatus.LIVE, LaunchStatus.RETRO]))
              .values(status=LaunchStatus.DONE, updated_at=ctx.now).execution_options(synchronize_session=False))
    return f"{len(rows)} answers"


def report(session: Session, launch: Launch, now: datetime) -> str:
    """The Markdown report: the kept summary, or a draft while answers are being collected."""
    kept = summary_of(session, launch.id)
    if kept is not None:
        return kept.markdown
    if not is_started(session, launch.id):
        when = retro_plan(launch).prompt.astimezone(parse_zone(launch.timezone)).strftime("%Y-%m-%d %H:%M")
        return (f"# Retrospective — {launch.customer}\n\nNot started yet: the prompt is planned for {when} "
                f"({launch.timezone}).\n")
    return summary_markdown(launch, answers(session, launch.id), now, draft=True)


def state_text(session: Session, launch: Launch, now: datetime) -> str:
    """What `/golive retro` tells the vendor's people."""
    plan = retro_plan(launch)
    zone = parse_zone(launch.timezone)
    kept = summary_of(session, launch.id)
    rows = answers(session, launch.id)
    t = tallies(rows)
    rating = f", average rating {t.average:.1f} / 5" if t.average is not None else ""
    english = translator(DEFAULT_LOCALE)  # what /golive retro answers is not translated yet
    if kept is not None:
        body = "\n".join(b["text"]["text"] for b in summary_blocks(launch, rows) if b["type"] == "section")
        return clip(f"The retrospective for *{escape(launch.customer)}* is closed.\n{body}\n"
                    f"Full report: `golive retro report --launch {launch.id}`", 3900)
    if is_started(session, launch.id):
        return (f"The retrospective for *{escape(launch.customer)}* is open: {t.count} "
                f"{'answer' if t.count == 1 else 'answers'} so far{rating}. It closes "
                f"{english.format_short_datetime(plan.summary, zone)}, and the summary goes to the CSMs. "
                "Use the button on the prompt in this channel to add your own answer.")
    return (f"The retrospective for *{escape(launch.customer)}* starts "
            f"{english.format_short_datetime(plan.prompt, zone)} ({launch.timezone}), "
            f"{launch.retro_after_days} days after go-live, with a prompt in this channel; answers are collected "
            f"for {launch.retro_window_days} business days.")


def prompt_date(launch: Launch) -> date:
    return retro_plan(launch).prompt.astimezone(parse_zone(launch.timezone)).date()
