"""The one theme summary the other features use: for a launch (or every launch) and a period, the themes of
its friction notes, issue texts and retrospective answers, each with a short name, a count, one or two
clipped quotes, and whether it is new this period or ongoing (seen in the period before as well).

Reads the tables directly (storage only, no other feature), then calls the pure `group_themes`. The digest,
the launch-week wrap-up, the retrospective, `golive lessons` and the adoption report call `launch_themes`
or `themes_of`; views render `ThemeLine`s with `theme_lines_text`."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.core.i18n import DEFAULT_LOCALE, Translator, translator
from bot.core.text import escape
from bot.features.themes.service import Theme, ThemeText, group_themes
from storage.models import CheckInAnswer, Issue, RetroAnswer

SOURCES = ("friction", "issue", "retro")
# A check-in's *Blocked* without a note opens an issue with a placeholder text: it says nothing about a theme.
PLACEHOLDER = re.compile(r"^blocked on day \d+ of launch week \(check-in answer", re.IGNORECASE)
QUOTE_CLIP = 160


@dataclass(frozen=True)
class ThemeLine:
    name: str  # a key phrase from its texts
    count: int  # its texts in the period
    quotes: tuple[str, ...]  # one or two, clipped (plain text: escape before mrkdwn)
    is_new: bool  # nothing like it in the period before
    refs: tuple[str, ...]  # "issue:12", "friction:7", "retro:3" for every text of it (both periods)

    @property
    def status(self) -> str:
        return "new" if self.is_new else "ongoing"


@dataclass(frozen=True)
class ThemeSummary:
    themes: list[ThemeLine]
    texts: int  # texts read in the period
    start: datetime
    end: datetime

    @property
    def top(self) -> ThemeLine | None:
        return self.themes[0] if self.themes else None


def texts_for(session: Session, launch_ids: Iterable[int] | None, *, start: datetime | None, end: datetime | None,
              sources: Sequence[str] = SOURCES) -> list[ThemeText]:
    """The dated texts of the launches (all launches for None) from `start` (the beginning for None) to
    `end` (no end for None). A friction or blocked note that also became an issue (same person, same
    words) counts once."""
    return _texts(session, launch_ids, start=start, end=end, sources=sources, per_launch=False).get(None, [])


def texts_by_launch(session: Session, launch_ids: Iterable[int], *, start: datetime | None, end: datetime | None,
                    sources: Sequence[str] = SOURCES) -> dict[int, list[ThemeText]]:
    """`texts_for` of each launch on its own (the same texts in the same order), read for all of them with
    one statement per source; a launch without texts has an empty list."""
    ids = list(launch_ids)
    found = _texts(session, ids, start=start, end=end, sources=sources, per_launch=True)
    return {launch_id: found.get(launch_id, []) for launch_id in ids}


def _texts(session: Session, launch_ids: Iterable[int] | None, *, start: datetime | None, end: datetime | None,
           sources: Sequence[str], per_launch: bool) -> dict[int | None, list[ThemeText]]:
    """The texts, in one list (key None) or one per launch id (each with its own "counts once" check)."""
    ids = None if launch_ids is None else list(launch_ids)
    run = session.connection().execute  # Core rows: only columns are read, no entities built
    out: dict[int | None, list[ThemeText]] = defaultdict(list)
    seen: dict[int | None, set[tuple[str, str]]] = defaultdict(set)

    def within(query, column, launch_column):  # noqa: ANN001, ANN202
        if ids is not None:
            query = query.where(launch_column.in_(ids))
        if start is not None:
            query = query.where(column >= start)
        return query.where(column < end) if end is not None else query

    if "issue" in sources:
        rows = run(within(select(Issue.launch_id, Issue.id, Issue.text, Issue.reporter, Issue.created_at),
                                   Issue.created_at, Issue.launch_id).order_by(Issue.created_at, Issue.id)).all()
        for launch_id, issue_id, text, reporter, at in rows:
            if not (text or "").strip() or PLACEHOLDER.match(text.strip()):
                continue
            key = launch_id if per_launch else None
            seen[key].add((reporter, " ".join(text.split()).casefold()))
            out[key].append(ThemeText(text, at, f"issue:{issue_id}"))
    if "friction" in sources:
        rows = run(within(select(CheckInAnswer.launch_id, CheckInAnswer.id, CheckInAnswer.note,
                                          CheckInAnswer.user_id, CheckInAnswer.recorded_at),
                                   CheckInAnswer.recorded_at, CheckInAnswer.launch_id)
                            .where(CheckInAnswer.answer.in_(("friction", "blocked")), CheckInAnswer.note.is_not(None))
                            .order_by(CheckInAnswer.recorded_at, CheckInAnswer.id)).all()
        for launch_id, answer_id, note, user, at in rows:
            key = launch_id if per_launch else None
            if not (note or "").strip() or (user, " ".join(note.split()).casefold()) in seen[key]:
                continue
            out[key].append(ThemeText(note, at, f"friction:{answer_id}"))
    if "retro" in sources:
        rows = run(within(select(RetroAnswer.launch_id, RetroAnswer.id, RetroAnswer.improve,
                                          RetroAnswer.submitted_at),
                                   RetroAnswer.submitted_at, RetroAnswer.launch_id)
                            .order_by(RetroAnswer.submitted_at, RetroAnswer.id)).all()
        for launch_id, answer_id, improve, at in rows:
            if (improve or "").strip():
                out[launch_id if per_launch else None].append(ThemeText(improve, at, f"retro:{answer_id}"))
    return out


def themes_of(texts: Sequence[ThemeText], *, start: datetime, end: datetime, limit: int = 5,
              cumulative: bool = False) -> ThemeSummary:
    """Themes of the texts dated in [start, end), the biggest first; texts before `start` (the period
    before) only decide whether a theme is new or ongoing.

    With `cumulative`, the themes of all the texts before `end`, counted whole and biggest first (the
    adoption report's "where people get stuck so far"), each new when none of its texts is before `start`;
    `texts` is then every text read."""
    if cumulative:
        read = [t for t in texts if t.at is None or t.at < end]
        if limit <= 0 or not read:
            return ThemeSummary([], len(read), start, end)
        grouped = group_themes(read, since=start, max_themes=limit)
        return ThemeSummary([_line(t, t.count) for t in grouped], len(read), start, end)
    current = sum(1 for t in texts if t.at is not None and start <= t.at < end)
    if limit <= 0 or current == 0:
        return ThemeSummary([], current, start, end)
    grouped = group_themes(texts, since=start, max_themes=limit, by_recent=True)
    return ThemeSummary([_line(t, t.recent) for t in grouped], current, start, end)


def launch_themes(session: Session, launch_id: int | Iterable[int] | None, *, start: datetime, end: datetime,
                  previous: datetime | None = None, limit: int = 5, sources: Sequence[str] = SOURCES,
                  cumulative: bool = False) -> ThemeSummary:
    """The themes of a launch (several, or all for None) in [start, end), compared with [previous, start)
    (by default a period as long as this one, just before it). With `cumulative`, the themes of everything
    before `end` since the launch began, new when first seen at or after `start` (see `themes_of`)."""
    ids = [launch_id] if isinstance(launch_id, int) else launch_id
    if cumulative:
        texts = texts_for(session, ids, start=None, end=end, sources=sources)
        return themes_of(texts, start=start, end=end, limit=limit, cumulative=True)
    if previous is None:
        previous = start - (end - start if end > start else timedelta(days=7))
    texts = texts_for(session, ids, start=previous, end=end, sources=sources)
    return themes_of(texts, start=start, end=end, limit=limit)


def launch_themes_by_launch(session: Session, launch_ids: Iterable[int], *, start: datetime, end: datetime,
                            previous: datetime | None = None, limit: int = 5,
                            sources: Sequence[str] = SOURCES) -> dict[int, ThemeSummary]:
    """`launch_themes` of each launch on its own, the texts of all of them read together."""
    if previous is None:
        previous = start - (end - start if end > start else timedelta(days=7))
    texts = texts_by_launch(session, launch_ids, start=previous, end=end, sources=sources)
    return {launch_id: themes_of(found, start=start, end=end, limit=limit) for launch_id, found in texts.items()}


def _line(theme: Theme, count: int) -> ThemeLine:
    return ThemeLine(name=theme.name, count=count, quotes=tuple(_clip(q) for q in theme.quotes), is_new=theme.is_new,
                     refs=theme.refs)


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CLIP else flat[:QUOTE_CLIP - 1].rstrip() + "…"


def theme_line_text(line: ThemeLine, *, quotes: int = 1) -> str:
    """`*SSO login* — 4× · new — “can't log in with SSO…”` as mrkdwn in English, customer words escaped."""
    return theme_text(line, translator(DEFAULT_LOCALE), quotes=quotes)


def theme_text(line: ThemeLine, t: Translator, *, quotes: int = 1) -> str:
    """One theme in `t`'s language: `*SSO login* — 4× · new — “can't log in…”`; the name and the quote are the
    customer's words, escaped."""
    values = {"name": escape(line.name), "count": t.format_number(line.count)}
    # TRANSLATORS: a theme of the week: {name} is a key phrase from what customers wrote, {count} how often.
    text = t.gettext("*{name}* — {count}× · new", **values) if line.is_new else \
        t.gettext("*{name}* — {count}× · ongoing", **values)
    shown = [f"“{escape(q)}”" for q in line.quotes[:quotes]]
    return text + (" — " + " / ".join(shown) if shown else "")
