"""Every view the vendor's own people see that speaks GOLIVE_LOCALE or a CSM's Slack locale — escalation pages, the
digest's per-launch sections, talking points and chart notes, the 👎 DM, the 30-day goal review and its outcome,
the leadership-post-waiting note, delivery alerts — rendered in every locale: every text went through the
translator (people's words aside, kept non-alphabetic here so the marker can tell), no locale falls back to English,
and every rendering stays inside Block Kit's limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.core.i18n import SUPPORTED_LOCALES, Translator, translator
from bot.features.digest import views as digest_views
from bot.features.digest.model import IssueLine, LaunchDigest
from bot.features.issues import views as issue_views
from bot.features.milestones import views as milestone_views
from bot.features.milestones.week import Adoption
from bot.outbox.sender import alert_text
from storage.models import LaunchStatus
from tests.unit.factories import goal, issue, launch
from tests.unit.i18n.test_customer_views import assert_through_the_catalogs, assert_translated_within_limits

TODAY = date.today()
WORDS = "404 / 500 — 42"  # what people typed, without letters: the marker then sees only golive's own text


def _digest(n: int, *, first: bool = False) -> LaunchDigest:
    """A digest as `build_digests` makes it: its texts are the views' phrases, said in the reader's language."""
    d = LaunchDigest(launch_id=n, customer=f"Customer {n}", channel=f"C0CH{n:04d}", go_live=TODAY - timedelta(days=1),
                     status="live", stage=digest_views.stage_phrase(day=2, days=5),
                     live_text=digest_views.live_phrase(LaunchStatus.LIVE, datetime.now(UTC), "Asia/Tokyo"),
                     last_day=None if first else TODAY - timedelta(days=1), last_day_number=None if first else 1,
                     counts={"good": 3, "friction": 1, "blocked": 3}, blocked_people=["U0BLOCK1", "U0BLOCK2"],
                     missing=[f"U0MISS{k:02d}" for k in range(12)], readiness_open=2, readiness_total=5,
                     blocked_theme="SSO", friction_theme=("CSV", 3),
                     escalations=[digest_views.escalation_phrase(3, "step 2"), digest_views.escalation_phrase(4, None)])
    d.issues = [IssueLine(k, "sev1" if k == 1 else "sev2", "open", digest_views.age_phrase(timedelta(minutes=m)),
                          sla, breached, WORDS, people=k)
                for k, m, sla, breached in (
                    (1, 30, digest_views.sla_phrase(False, 2, None), True),
                    (2, 150, digest_views.sla_phrase(False, 0, timedelta(minutes=20)), False),
                    (3, 4000, digest_views.sla_phrase(True, 0, None), False),
                    (4, 10, digest_views.sla_phrase(False, 0, None), True))]
    digest_views.assess(d, launch(status=LaunchStatus.PLANNED, go_live_date=TODAY - timedelta(days=1)), TODAY)
    d.talking_points = digest_views.talking_points(d, launch(status=LaunchStatus.PLANNED,
                                                             go_live_date=TODAY - timedelta(days=1)), TODAY)
    return d


def _quiet_digest(n: int) -> LaunchDigest:
    d = LaunchDigest(launch_id=n, customer=f"Customer {n}", channel=f"C0CH{n:04d}", go_live=TODAY + timedelta(days=3),
                     status="planned", stage=digest_views.stage_phrase(left=3),
                     live_text=digest_views.live_phrase(LaunchStatus.PLANNED, None, "UTC"), missing=None)
    digest_views.assess(d, launch(), TODAY)
    d.talking_points = digest_views.talking_points(d, launch(), TODAY)
    return d


RESOLVED = issue(status="resolved", text=WORDS, resolution="4.2.1", resolved_by="U0SUP", reporter="U0REP")
GOALS = [goal(1, text="1 %", state="met"), goal(2, text="2 %", state="not_met"), goal(3, text="3", state="in_progress"),
         goal(4, text="4", state="open")]
LEADERS = ["U0LEAD1", "U0LEAD2"]

VIEWS: dict[str, Callable[[Translator], tuple[str, Any]]] = {
    "escalation page": lambda t: ("text", issue_views.escalation_text(
        launch(escalation_steps=3), issue(text=WORDS, support_channel="C0SUP"), 2, timedelta(minutes=75),
        paged="<@U0ONCALL> ", every=60, t=t)),
    "sev1 update reminder in the support thread": lambda t: ("text", issue_views.update_reminder_text(7, 45, t)),
    "escalation page past the ladder": lambda t: ("text", issue_views.escalation_text(
        launch(escalation_steps=3), issue(text=WORDS), 5, timedelta(hours=5), paged="", every=60, t=t)),
    "digest with launches in full and compact": lambda t: ("message", digest_views.digest_blocks(
        [_digest(n) for n in range(1, 4)] + [_quiet_digest(n) for n in range(4, 40)] + [_digest(40, first=True)],
        TODAY, digest_views.chart_shared(None, None, t), t=t)[1]),
    "digest of a quiet launch": lambda t: ("message", digest_views.digest_blocks(
        [_quiet_digest(1)], TODAY, digest_views.chart_missing("ValueError", drawn=False, today=True, t=t), t=t)[1]),
    "chart caption": lambda t: ("text", " ".join(digest_views.chart_caption(TODAY, t).values())),
    "chart notes": lambda t: ("text", " ".join([
        digest_views.chart_shared(8, None, t), digest_views.chart_shared(None, "<#C0LEAD>", t),
        digest_views.chart_missing("ratelimited", drawn=True, today=True, t=t),
        digest_views.chart_missing("ratelimited", drawn=True, today=False, t=t),
        digest_views.chart_missing("ValueError", drawn=False, today=False, t=t)])),
    "thumbs-down DM": lambda t: ("message", issue_views.unsatisfied_blocks(launch(), RESOLVED, t)[1]),
    "thumbs-down DM without a note": lambda t: ("message", issue_views.unsatisfied_blocks(
        launch(), issue(status="resolved", text=WORDS, resolved_by="U0SUP"), t)[1]),
    "30-day goal review": lambda t: ("message", milestone_views.goal_review_blocks(
        launch(), GOALS, confirmed=False, t=t)),
    "30-day goal review, confirmed, waiting": lambda t: ("message", milestone_views.goal_review_blocks(
        launch(leadership_channel=None), GOALS, confirmed=True, t=t) + [milestone_views.goal_review_waiting(t)]),
    "30-day goal review notifications": lambda t: ("text", milestone_views.goal_review_text(launch(), t=t) + " "
                                                   + milestone_views.goal_review_text(launch(), confirmed=True, t=t)),
    "30-day outcome": lambda t: ("message", milestone_views.goal_outcome(
        launch(), GOALS, LEADERS, "U0CSM", Adoption(active=2, known=3), t)[1]),
    "30-day outcome without usage, notification": lambda t: ("text", milestone_views.goal_outcome(
        launch(), GOALS[:1], LEADERS, "U0CSM", None, t)[0]),
    "leadership post waiting": lambda t: ("text", " ".join(milestone_views.leadership_waiting_note(launch(), what, t)
                                                           for what in ("announcement", "goals", "wrapup"))),
    "delivery alerts": lambda t: ("text", alert_text("fixable", channel="C0GONE", error="not_in_channel",
                                                     attempts=2, row_id=9, t=t) + " " +
                                  alert_text("dead", channel="C0GONE", error="is_archived", attempts=1, row_id=9, t=t)
                                  + " " + alert_text("dead", channel="C0GONE", error="x", attempts=5, row_id=9, t=t)),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_text_the_vendors_people_see_goes_through_the_translator(name: str) -> None:
    assert_through_the_catalogs(name, VIEWS[name])


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_vendor_view_in_every_locale_is_translated_and_inside_block_kit_limits(
        tag: str, name: str, caplog: pytest.LogCaptureFixture) -> None:
    assert_translated_within_limits(name, VIEWS[name], tag, caplog)


def test_a_french_digest_section_says_the_rules_reasons_and_points_in_french() -> None:
    t = translator("fr")
    d = _digest(1)
    assert d.health == "stuck" and "sev1 #1 not acknowledged in time" in d.reasons  # the rules still read English
    section, points = digest_views.launch_section(d, t), digest_views.points_section(d, t)
    assert "— *bloqué*\u00a0: sev1 #1 non pris en charge à temps; " in section and "3 bloqué(s) le jour 1" in section
    assert "semaine de lancement, jour 2 sur 5" in section and "n°3 palier 2" in section
    assert "SLA dépassé, escaladé 2×" in section and "à prendre en charge d’ici 20\u00a0min" not in section
    assert points.startswith("*Points à aborder*\n1. 3 personnes bloquées sur SSO — à traiter en premier")
    assert "blocked" not in section.replace("U0BLOCK", "") and "Talking points" not in points
