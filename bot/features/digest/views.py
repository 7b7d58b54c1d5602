"""Digest: pure Block Kit builders: data in, blocks out (no session, no client)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.core.i18n import DEFAULT_LOCALE, N_, Translator, translator
from bot.core.text import clip, escape, mention, user_text
from bot.features.digest.model import (
    BLOCK_BUDGET,
    HEALTH_ORDER,
    MAX_BLOCKS,
    SECTION,
    TEXT_BUDGET,
    TOTAL_BUDGET,
    LaunchDigest,
)
from bot.features.issues.model import SEVERITY_EMOJI
from bot.features.themes.summary import theme_text
from storage.models import LaunchStatus

HEALTH_EMOJI = {"stuck": ":red_circle:", "at risk": ":large_yellow_circle:", "on track": ":large_green_circle:"}
# TRANSLATORS: a launch's health in the digest.
HEALTH_LABELS = {"stuck": N_("stuck"), "at risk": N_("at risk"), "on track": N_("on track")}


def _english(t: Translator | None) -> Translator:
    return t if t is not None else translator(DEFAULT_LOCALE)


class Phrase(str):
    """A digest text kept as its message, built when the digest is (before its reader is known): it reads as
    the English text, so the rules compare it as a string, and `say(t)` writes it in the reader's language.
    Values may be Phrases, dates (a short day) or (instant, zone) pairs (a short day and time), written in the
    same language; anything else is inserted as it is (escape people's text first)."""

    msgid: str
    plural: str | None
    n: int | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, n: int | None = None, /, **params: Any) -> Phrase:
        self = super().__new__(cls, _render(translator(DEFAULT_LOCALE), msgid, plural, n, params))
        self.msgid, self.plural, self.n, self.params = msgid, plural, n, params
        return self

    @classmethod
    def gettext(cls, msgid: str, /, **params: Any) -> Phrase:
        return cls(msgid, **params)

    @classmethod
    def ngettext(cls, singular: str, plural: str, n: int, /, **params: Any) -> Phrase:
        return cls(singular, plural, n, **params)

    def say(self, t: Translator) -> str:
        return _render(t, self.msgid, self.plural, self.n, self.params)


def _value(t: Translator, value: Any) -> Any:
    if isinstance(value, Phrase):
        return value.say(t)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], datetime):
        return t.format_short_datetime(*value)
    if isinstance(value, date):
        return t.format_short_day(value, year=False)
    return value


def _render(t: Translator, msgid: str, plural: str | None, n: int | None, params: dict[str, Any]) -> str:
    values = {key: _value(t, value) for key, value in params.items()}
    return t.ngettext(msgid, plural, n, **values) if plural is not None and n is not None else \
        t.gettext(msgid, **values)


def say(t: Translator, text: str) -> str:
    """`text` in `t`'s language when it is a Phrase; as it is otherwise (people's words, names)."""
    return text.say(t) if isinstance(text, Phrase) else text


# -- the texts the rules build (service.py decides which; these say it) ----------------------------


def stage_phrase(*, left: int | None = None, over: bool = False, day: int = 0, days: int = 0) -> Phrase:
    """Where a launch is: `left` days before go-live, launch week `over`, or on `day` of its `days`."""
    if left is not None:
        return Phrase.ngettext("go-live in {count} day", "go-live in {count} days", left)
    if over:
        return Phrase.gettext("launch week is over")
    return Phrase.gettext("launch week, day {day} of {days}", day=day, days=days)


def age_phrase(delta: timedelta) -> Phrase:
    """How long something has waited: "5 min", "2 h 3 min", "3 days"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return Phrase.gettext("{minutes} min", minutes=minutes)
    if minutes < 48 * 60:
        return Phrase.gettext("{hours} h {minutes} min", hours=minutes // 60, minutes=minutes % 60)
    return Phrase.ngettext("{count} day", "{count} days", minutes // 1440)


def sla_phrase(acknowledged: bool, escalations: int, left: timedelta | None) -> Phrase:
    if acknowledged:
        return Phrase.gettext("acknowledged")
    if escalations:
        return Phrase.gettext("SLA breached, escalated {count}×", count=escalations)
    if left is None:
        return Phrase.gettext("SLA breached")
    return Phrase.gettext("acknowledge within {age}", age=age_phrase(left))


def live_phrase(status: str, live_at: datetime | None, zone: str) -> Phrase:
    if status == LaunchStatus.PLANNED:
        return Phrase.gettext("not live yet")
    if status == LaunchStatus.LIVE:
        return Phrase.gettext("live since {when}", when=(live_at, zone)) if live_at else Phrase.gettext("live")
    if status == LaunchStatus.RETRO:
        return Phrase.gettext("in its retrospective")
    return Phrase.gettext("done")


def escalation_phrase(number: int, detail: str | None) -> Phrase:
    """An escalation event of the digest ("#3 step 2")."""
    step = (detail or "").removeprefix("step ").strip()
    if step.isdigit():
        return Phrase.gettext("#{number} step {step}", number=number, step=int(step))
    return Phrase.gettext("#{number}", number=number)


def _numbers(issues: list[Any]) -> str:
    return ", ".join(f"#{i.number}" for i in issues)


def assess(digest: LaunchDigest, launch: Any, today: date) -> None:
    """On track / at risk / stuck, with the reasons, from blocked answers, sev1s, SLA breaches and criteria."""
    stuck: list[str] = []
    risk: list[str] = []
    blocked = digest.counts.get("blocked", 0)
    day = digest.last_day_number
    if blocked >= 2 and blocked * 2 >= digest.answered:
        stuck.append(Phrase.gettext("{blocked} of {answered} people blocked on day {day}", blocked=blocked,
                                    answered=digest.answered, day=day))
    elif blocked:
        risk.append(Phrase.gettext("{blocked} blocked on day {day}", blocked=blocked, day=day))
    sev1_breached = [i for i in digest.issues if i.severity == "sev1" and i.breached]
    sev1_other = [i for i in digest.issues if i.severity == "sev1" and not i.breached]
    if sev1_breached:
        stuck.append(Phrase.gettext("sev1 {numbers} not acknowledged in time", numbers=_numbers(sev1_breached)))
    if sev1_other:
        risk.append(Phrase.gettext("{count} open sev1", count=len(sev1_other)))
    breached = [i for i in digest.issues if i.breached and i.severity != "sev1"]
    if breached:
        risk.append(Phrase.gettext("{count} issue(s) past their SLA", count=len(breached)))
    if digest.readiness_open and launch.status == LaunchStatus.PLANNED:
        if today > launch.go_live_date:
            stuck.append(Phrase.gettext("go-live date passed with {count} criteria open", count=digest.readiness_open))
        elif (launch.go_live_date - today).days <= 2:
            risk.append(Phrase.gettext("{count} go-live criteria open", count=digest.readiness_open))
    if digest.missed_work:
        risk.append(Phrase.gettext("{count} scheduled step(s) missed or late", count=len(digest.missed_work)))
    if digest.missing and digest.answered < len(digest.missing):
        risk.append(Phrase.gettext("{count} did not answer", count=len(digest.missing)))
    digest.health = "stuck" if stuck else "at risk" if risk else "on track"
    digest.reasons = stuck + risk if stuck or risk else [Phrase.gettext("no blockers, no overdue issues")]


def talking_points(digest: LaunchDigest, launch: Any, today: date) -> list[str]:
    """Three suggestions, most urgent first, each derived from the data."""
    points: list[str] = []
    blocked = digest.counts.get("blocked", 0)
    if blocked:
        if digest.blocked_theme:
            points.append(Phrase.ngettext("{count} person blocked on {theme} — cover it first",
                                          "{count} people blocked on {theme} — cover it first", blocked,
                                          theme=escape(digest.blocked_theme)))
        else:
            points.append(Phrase.ngettext("{count} person blocked — cover it first",
                                          "{count} people blocked — cover it first", blocked))
    for issue in digest.issues:
        if issue.severity == "sev1":
            points.append(Phrase.gettext("sev1 #{number} has been open {age} ({sla}) — get an ETA from support "
                                         "before the standup", number=issue.number, age=issue.age, sla=issue.sla))
            break
    late = [i for i in digest.issues if i.breached and i.severity != "sev1"]
    if late:
        points.append(Phrase.gettext("{count} issue(s) waited past their SLA ({numbers}) — chase support",
                                     count=len(late), numbers=_numbers(late[:5])))
    if digest.readiness_open and launch.status == LaunchStatus.PLANNED:
        if today >= launch.go_live_date:
            points.append(Phrase.gettext("Go-live was {day} and {count} criteria are still open — decide today: "
                                         "finish them or go live with a reason", day=launch.go_live_date,
                                         count=digest.readiness_open))
        else:
            points.append(Phrase.gettext("{count} go-live criteria still open — agree owners and dates",
                                         count=digest.readiness_open))
    if digest.friction_theme:
        word, count = digest.friction_theme
        points.append(Phrase.gettext("“{word}” comes up {count}× in notes and issues — show the workaround or plan "
                                     "a session", word=escape(word), count=count))
    if digest.missing:
        points.append(Phrase.ngettext("{count} person did not answer day {day} — ask them directly",
                                      "{count} people did not answer day {day} — ask them directly",
                                      len(digest.missing), day=digest.last_day_number))
    if digest.escalations:
        points.append(Phrase.gettext("{count} escalation(s) since the last digest — review the response times "
                                     "with support", count=len(digest.escalations)))
    if digest.missed_work:
        points.append(Phrase.gettext("A scheduled step was missed or late — check `golive launch show` and repost "
                                     "by hand if needed"))
    fallbacks = [
        Phrase.gettext("Nothing is blocked — ask what works well and note a quote for the retrospective"),
        Phrase.gettext("Remind people of the *Report a problem* button and the :rotating_light: reaction"),
        Phrase.gettext("Review progress on the 30-day goals"),
    ]
    if digest.last_day is None:
        fallbacks.insert(0, Phrase.gettext("No check-in yet — tell the customer when the first one comes and "
                                           "what it asks"))
    for extra in fallbacks:
        if len(points) >= 3:
            break
        points.append(extra)
    return points[:3]


# -- the message ------------------------------------------------------------------------------------


def _mentions(t: Translator, users: list[str], limit: int = 10) -> str:
    shown = ", ".join(f"<@{u}>" for u in users[:limit])
    if len(users) <= limit:
        return shown
    return t.gettext("{people} and {count} more", people=shown, count=t.format_number(len(users) - limit))


def _health(t: Translator, health: str) -> str:
    return t.gettext(HEALTH_LABELS[health]) if health in HEALTH_LABELS else health


def launch_section(d: LaunchDigest, t: Translator | None = None) -> str:
    """One launch in full, in the reader's language (`t`; English when not given)."""
    t = _english(t)
    reasons = "; ".join(say(t, r) for r in d.reasons)
    readiness = (t.gettext("readiness: {open} of {total} criteria open", open=d.readiness_open,
                           total=d.readiness_total) if d.readiness_total else t.gettext("readiness: no criteria"))
    channel = f"<#{d.channel}>"
    lines = [t.gettext("{emoji} *{customer}* ({channel}) — *{health}*: {reasons}", emoji=HEALTH_EMOJI[d.health],
                       customer=escape(d.customer), channel=channel, health=_health(t, d.health),
                       reasons=reasons),
             t.gettext("{stage} · go-live {day} · {live} · {readiness}", stage=say(t, d.stage),
                       day=t.format_short_day(d.go_live, year=False), live=say(t, d.live_text), readiness=readiness)]
    if d.last_day is None:
        lines.append(t.gettext("*Yesterday:* no check-in yet"))
    else:
        values = {"day": d.last_day_number, "weekday": t.format_date(d.last_day, "EEE"),
                  "good": d.counts.get("good", 0), "friction": d.counts.get("friction", 0),
                  "blocked": d.counts.get("blocked", 0)}
        if d.blocked_people:
            lines.append(t.gettext("*Day {day} ({weekday}):* {good} good · {friction} friction · {blocked} blocked — "
                                   "blocked: {people}", people=_mentions(t, d.blocked_people), **values))
        else:
            lines.append(t.gettext("*Day {day} ({weekday}):* {good} good · {friction} friction · {blocked} blocked",
                                   **values))
        if d.missing is None:
            lines.append(t.gettext("*No answer yet:* unknown (could not read the channel's members)"))
        elif d.missing:
            lines.append(t.gettext("*No answer yet:* {people}", people=_mentions(t, d.missing)))
        else:
            lines.append(t.gettext("*No answer yet:* nobody — everyone answered"))
    if d.issues:
        by = d.open_by_severity()
        summary = " · ".join(f"{SEVERITY_EMOJI[s]} {s} {n}" for s, n in by.items() if n)
        lines.append(t.gettext("*Open issues:* {summary}", summary=summary))
        for issue in d.issues[:6]:
            values = {"number": issue.number, "severity": issue.severity, "age": say(t, issue.age),
                      "sla": say(t, issue.sla), "text": user_text(clip(issue.text, 70), 110)}
            if issue.people > 1:
                line = t.gettext("#{number} {severity} · {age} old · {sla} · {people} people affected · {text}",
                                 people=issue.people, **values)
            else:
                line = t.gettext("#{number} {severity} · {age} old · {sla} · {text}", **values)
            lines.append(f"    {line}")
        if len(d.issues) > 6:
            lines.append("    " + t.gettext("…and {count} more", count=t.format_number(len(d.issues) - 6)))
    else:
        lines.append(t.gettext("*Open issues:* none"))
    if d.themes:
        lines.append(t.gettext("*Themes this week:* {themes}",
                               themes=" · ".join(theme_text(theme, t, quotes=0) for theme in d.themes)))
    if d.escalations:
        lines.append(t.gettext("*Escalations since the last digest:* {escalations}",
                               escalations=", ".join(say(t, e) for e in d.escalations[:10])))
    if d.missed_work:
        lines.append(t.gettext("*Missed or late:* {work}", work="; ".join(escape(w) for w in d.missed_work[:4])))
    return clip("\n".join(lines), SECTION)


def points_section(d: LaunchDigest, t: Translator | None = None) -> str:
    t = _english(t)
    points = "\n".join(f"{n}. {say(t, p)}" for n, p in enumerate(d.talking_points, 1))
    return clip(t.gettext("*Talking points*") + "\n" + points, SECTION)


def compact_line(d: LaunchDigest, t: Translator | None = None) -> str:
    t = _english(t)
    by = d.open_by_severity()
    return t.gettext("{emoji} *{customer}* — {health} · {stage} · {issues} · {blocked} blocked",
                     emoji=HEALTH_EMOJI[d.health], customer=escape(clip(d.customer, 60)), health=_health(t, d.health),
                     stage=say(t, d.stage), blocked=d.counts.get("blocked", 0),
                     issues=t.ngettext("{count} open issue", "{count} open issues", sum(by.values())))

# TRANSLATORS: how many launches of the digest are in each state.
HEALTH_COUNTS = {"stuck": N_("{count} stuck"), "at risk": N_("{count} at risk"), "on track": N_("{count} on track")}


def digest_preface(owner: str, reason: str, t: Translator | None = None) -> str:
    """Above a digest an admin gets in place of a CSM golive could not reach."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    return t.gettext(":warning: This is {owner}'s digest. golive could not send it to them (`{reason}`), so it comes "
                     "to you as an admin. Please find the launches a new CSM (`golive launch import` with `csm:`).",
                     owner=mention(owner), reason=escape(reason))


def digest_blocks(digests: list[LaunchDigest], day: date, chart_note: str, *, preface: str | None = None,
                  t: Translator | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) within Block Kit's limits however many launches there are: the most urgent
    launches in full, the rest one line each. The frame is in the reader's language (`t`: the CSM's own Slack
    locale, else GOLIVE_LOCALE)."""
    t = t if t is not None else translator(DEFAULT_LOCALE)
    ordered = sorted(digests, key=lambda d: (HEALTH_ORDER[d.health], d.go_live, d.launch_id))
    tally = {h: sum(1 for d in ordered if d.health == h) for h in HEALTH_ORDER}
    health = " · ".join(t.gettext(HEALTH_COUNTS[h], count=t.format_number(n)) if h in HEALTH_COUNTS else f"{n} {h}"
                        for h, n in tally.items() if n)
    summary = t.ngettext("{count} launch: {health}", "{count} launches: {health}", len(ordered), health=health)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t.pgettext(
            "header", "Standup digest — {day}", day=t.format_short_day(day))}},
    ]
    if preface:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(preface, SECTION)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(f"{summary}\n{chart_note}",
                                                                                    SECTION)}]})
    used = sum(len(b.get("text", {}).get("text", "")) for b in blocks) + len(summary) + len(chart_note)
    rest: list[LaunchDigest] = []
    for d in ordered:
        first, second = launch_section(d, t), points_section(d, t)
        if rest or len(blocks) + 3 > BLOCK_BUDGET or used + len(first) + len(second) > TEXT_BUDGET:
            rest.append(d)
            continue
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": first}},
                   {"type": "section", "text": {"type": "mrkdwn", "text": second}},
                   {"type": "divider"}]
        used += len(first) + len(second)
    if rest:
        room = min(SECTION, TOTAL_BUDGET - used) - 160
        lines = [t.ngettext("*{count} more launch*", "*{count} more launches*", len(rest))]
        size = len(lines[0])
        for shown, d in enumerate(rest):
            line = compact_line(d, t)
            if size + len(line) + 1 > room:
                lines.append(t.ngettext("…and {count} more: `golive launch list`",
                                        "…and {count} more: `golive launch list`", len(rest) - shown))
                break
            lines.append(line)
            size += len(line) + 1
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), SECTION)}})
    text = t.gettext("Standup digest for {day}: {summary}", day=t.format_short_day(day, year=False), summary=summary)
    return text, blocks[:MAX_BLOCKS]


# -- the chart beside the digest ----------------------------------------------------------------------


def chart_caption(day: date, t: Translator | None = None) -> dict[str, str]:
    """The digest chart's title, description and the comment it is shared with, in the reader's language."""
    t = _english(t)
    return {"title": t.gettext("Launch week — {day}", day=t.format_short_day(day, year=False)),
            "alt_txt": t.gettext("Check-in answers per launch-week day (good, friction, blocked) and open issues"),
            "initial_comment": t.gettext(":bar_chart: Launch week so far ({day}) — today's standup digest follows.",
                                         day=t.format_short_day(day, year=False))}


def chart_missing(reason: str, *, drawn: bool, today: bool, t: Translator | None = None) -> str:
    """The note in place of a chart that could not be drawn (`drawn` False) or uploaded (`reason`: the error)."""
    t = _english(t)
    if not drawn:
        return (t.gettext(":warning: The chart is missing today: it could not be drawn ({error}).", error=reason)
                if today else t.gettext(":warning: The chart is missing: it could not be drawn ({error}).",
                                        error=reason))
    return (t.gettext(":warning: The chart is missing today: Slack did not take the upload ({error}).", error=reason)
            if today else t.gettext(":warning: The chart is missing: Slack did not take the upload ({error}).",
                                    error=reason))


WRAPUP = "wrap-up"  # chart_shared's `what` for the launch-week wrap-up (a whole sentence of its own)


def chart_shared(panels: int | None, what: str | None, t: Translator | None = None) -> str:
    """The note that the chart is shared in the conversation (Slack shares it a moment after the upload);
    `panels`: how many launches it shows when not all of them; `what`: the post it goes with (None: the digest)."""
    t = _english(t)
    if what == WRAPUP:
        return t.gettext(":bar_chart: The launch-week chart is shared in this conversation with this wrap-up.")
    if what is not None:
        if panels:
            return t.gettext(":bar_chart: The launch-week chart (the {count} most urgent launches) is shared in this "
                             "conversation with {what}.", count=panels, what=what)
        return t.gettext(":bar_chart: The launch-week chart is shared in this conversation with {what}.", what=what)
    if panels:
        return t.gettext(":bar_chart: The launch-week chart (the {count} most urgent launches) is shared in this "
                         "conversation with today's digest.", count=panels)
    return t.gettext(":bar_chart: The launch-week chart is shared in this conversation with today's digest.")
