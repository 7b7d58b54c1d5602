"""Lessons across launches: recurring words and phrases in retrospective "improve" answers and in issue
texts, and the checklist template new launches start from."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.core.errors import InvalidInput
from bot.core.text import clip
from bot.features.milestones.service import DEFAULT_CRITERIA, MAX_CRITERION, slug
from bot.features.themes.service import group_themes
from bot.features.themes.summary import texts_for
from storage.models import ChecklistTemplateItem, Issue, Launch, RetroAnswer

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are around as at be because been before being below
between both but by can cannot could did do does doing done down during each even ever every few for from further
get gets getting got had has have having he her here hers herself him himself his how however i if in into is it
its itself just let like made make makes many may me might more most much must my myself need needed needs no nor
not now of off on once one only or other our ours ourselves out over own per please quite rather really same see
seems she should since so some still such than thank thanks that the their theirs them themselves then there these
they thing things this those though through thus to too under until up upon us use used using very via want was
we well were what when where whether which while who whom why will with within without would yes yet you your
yours yourself yourselves lot lots bit next time week day days today yesterday tomorrow go going went gone
issue issues problem problems golive hi hello hey ok okay able again already always never sometimes maybe
""".split())
NEW_DAYS = 7
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@dataclass
class Theme:
    phrase: str
    count: int
    sources: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    kind: str  # "retro" | "issue"
    customer: str
    text: str


def words(text: str) -> list[str | None]:
    """Lower-cased words in order, stop words replaced by None (so phrases never span them)."""
    out: list[str | None] = []
    for word in WORD.findall(text.casefold()):
        # Two letters are a word in scripts such as Japanese (画面), but noise in Latin ones (of, to).
        short = len(word) < 3 and word.isascii()
        out.append(None if short or word in STOP_WORDS else word)
    return out


def terms(text: str) -> set[str]:
    tokens = words(text)
    found = {t for t in tokens if t}
    found |= {f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False) if a and b and a != b}
    return found


def documents(session: Session) -> list[Document]:
    customers = dict(session.exec(select(Launch.id, Launch.customer)).all())
    docs = [Document("retro", customers.get(a.launch_id, "?"), a.improve)
            for a in session.exec(select(RetroAnswer).order_by(RetroAnswer.id)) if a.improve.strip()]
    docs += [Document("issue", customers.get(i.launch_id, "?"), i.text)
             for i in session.exec(select(Issue).order_by(Issue.id)) if i.text.strip()]
    return docs


def find_themes(docs: list[Document], *, min_count: int = 2, limit: int = 15) -> list[Theme]:
    """Words and two-word phrases that come back in several documents, most frequent first. A word is left
    out when a phrase containing it is listed with the same count (it adds nothing)."""
    counts: Counter = Counter()
    where: dict[str, list[Document]] = {}
    for doc in docs:
        for term in terms(doc.text):
            counts[term] += 1
            where.setdefault(term, []).append(doc)
    frequent = [t for t, n in counts.items() if n >= min_count]
    phrases = sorted((t for t in frequent if " " in t), key=lambda t: (-counts[t], t))
    chosen: list[str] = []
    covered: dict[str, int] = {}
    for phrase in phrases:
        chosen.append(phrase)
        for word in phrase.split():
            covered[word] = max(covered.get(word, 0), counts[phrase])
    chosen += [t for t in frequent if " " not in t and covered.get(t, 0) < counts[t]]
    chosen.sort(key=lambda t: (-counts[t], " " not in t, t))
    themes = []
    for term in chosen[:limit]:
        docs_with = where[term]
        theme = Theme(term, counts[term], Counter(d.kind for d in docs_with))
        theme.examples = [f"{d.kind} · {d.customer}: {clip(' '.join(d.text.split()), 100)}" for d in docs_with[:2]]
        themes.append(theme)
    return themes


def lessons_text(session: Session, *, now: datetime, min_count: int = 2, limit: int = 15) -> str:
    """Recurring themes across every launch's retrospective "improve" answers and issues, grouped by meaning
    (bot.features.themes), each marked new (first seen in the last NEW_DAYS days) or ongoing, with two
    examples; then the lessons already on every future checklist, and who added them."""
    texts = texts_for(session, None, start=None, end=None, sources=("issue", "retro"))
    retros = sum(t.ref.startswith("retro:") for t in texts if t.ref)
    issues = len(texts) - retros
    head = f"Recurring themes across {retros} retrospective answer(s) and {issues} issue(s):"
    grouped = [t for t in group_themes(texts, since=now - timedelta(days=NEW_DAYS), max_themes=limit)
               if t.count >= min_count]
    lines = [head]
    if not grouped:
        lines.append(f"  none yet (nothing comes back in {min_count} or more of them).")
    customers = dict(session.exec(select(Launch.id, Launch.customer)).all())
    issue_launch = dict(session.exec(select(Issue.id, Issue.launch_id)).all())
    retro_launch = dict(session.exec(select(RetroAnswer.id, RetroAnswer.launch_id)).all())
    by_ref = {t.ref: t.text for t in texts}
    for theme in grouped:
        kinds = Counter(ref.partition(":")[0] for ref in theme.refs)
        where = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(kinds.items()))
        lines.append(f"  {theme.count}× \"{theme.name}\"  ({where}) · {'new' if theme.is_new else 'ongoing'}")
        for quote in theme.quotes:
            ref = next((r for r in theme.refs if " ".join(by_ref[r].split()).startswith(quote.rstrip("…")[:40])),
                       theme.refs[0])
            kind, _, ident = ref.partition(":")
            launch_id = (issue_launch if kind == "issue" else retro_launch).get(int(ident))
            lines.append(f"       - {kind} · {customers.get(launch_id, '?')}: {clip(' '.join(quote.split()), 100)}")
    added = session.exec(select(ChecklistTemplateItem).where(ChecklistTemplateItem.source.like("retro:%"))
                         .order_by(ChecklistTemplateItem.id)).all()
    if added:
        lines.append("On every future checklist from retrospectives:")
        lines += [f"  {item.text} (added by {item.added_by or 'the command line'}, {item.created_at:%Y-%m-%d})"
                  for item in added]
    lines.append('Promote one to the go-live checklist of new launches: golive template add-item "TEXT"')
    return "\n".join(lines)


def add_template_item(session: Session, *, text: str, now: datetime, source: str = "cli") -> ChecklistTemplateItem:
    """A new default go-live criterion for launches created from now on."""
    text = (text or "").strip()
    if not text or len(text) > MAX_CRITERION:
        raise InvalidInput(f"the criterion must be 1–{MAX_CRITERION} characters")
    key = slug(text)
    existing = session.exec(select(ChecklistTemplateItem)).all()
    if key in {k for k, _ in DEFAULT_CRITERIA} or any(t.key == key or t.text.casefold() == text.casefold()
                                                         for t in existing) \
            or text.casefold() in {t.casefold() for _, t in DEFAULT_CRITERIA}:
        raise InvalidInput(f"the checklist template already has {text!r}")
    item = ChecklistTemplateItem(key=key, text=text, source=source, created_at=now)
    session.add(item)
    session.flush()
    return item


def add_lesson(session: Session, *, text: str, actor: str, source: str, now: datetime
               ) -> tuple[ChecklistTemplateItem | None, bool]:
    """A lesson from a retrospective becomes a default criterion of every future launch, once: (the item, True)
    when this call added it; (the item already there, False) when it was there — added before, by anyone,
    also at the same moment (the unique key decides); (None, False) when a built-in criterion says the same."""
    text = " ".join((text or "").split())[:MAX_CRITERION]
    if not text:
        raise InvalidInput("That lesson is empty. Nothing was added.")
    key = slug(text)
    if key in {k for k, _ in DEFAULT_CRITERIA} or text.casefold() in {t.casefold() for _, t in DEFAULT_CRITERIA}:
        return None, False
    same = session.exec(select(ChecklistTemplateItem).where(ChecklistTemplateItem.key == key)).first()
    if same is not None:
        return same, False
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    result = session.execute(insert(ChecklistTemplateItem.__table__).values(
        key=key, text=text, source=source, added_by=actor, created_at=now).on_conflict_do_nothing(
        index_elements=["key"]))
    item = session.exec(select(ChecklistTemplateItem).where(ChecklistTemplateItem.key == key)).one()
    return item, bool(result.rowcount)
