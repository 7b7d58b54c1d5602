"""Every view the customer's people see, rendered in every locale: each text node went through the translator
(a marking translator finds any literal left outside the catalogs), no locale falls back to English, and every
rendering stays inside Block Kit's limits, with hostile and huge text too."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.core.i18n import SUPPORTED_LOCALES, Translator, translator
from bot.features.adoption import views as adoption_views
from bot.features.checkins import views as checkin_views
from bot.features.checkins.model import Tally
from bot.features.digest import views as digest_views
from bot.features.help_post import views as help_views
from bot.features.home import views as home_views
from bot.features.home.model import HomeCard, NextStep, Stage
from bot.features.issues import views as issue_views
from bot.features.milestones import views as milestone_views
from bot.features.milestones.week import WeekFacts
from bot.features.retro import views as retro_views
from bot.features.themes.summary import ThemeLine
from storage.models import CheckIn, RetroAnswer
from tests.unit.blockkit import HOSTILE, assert_message_ok, assert_view_ok, long_hostile, text_objects
from tests.unit.factories import goal, item, launch

OPEN, CLOSE = "⟦", "⟧"


class Marking(Translator):
    """The real translator, with every text it returns wrapped in ⟦…⟧: what a view shows outside the marks
    did not go through the catalogs."""

    def _message(self, context, msgid, plural, n, params):  # noqa: ANN001, ANN202
        return OPEN + super()._message(context, msgid, plural, n, params) + CLOSE


def _checkin(day: int = 2) -> CheckIn:
    return CheckIn(id=55, launch_id=7, day_number=day, local_date=date.today(), channel="C0ACME",
                   outbox_key="launch:7:checkin:2")


def _facts(answers_only: bool = False) -> WeekFacts:
    if answers_only:
        return WeekFacts(answers=12, people=4)
    return WeekFacts(answers=12, people=4, by_day=[(1, date.today(), {"blocked": 2})], issues=3, resolved=1,
                     median_first_response=timedelta(minutes=75), sla_breaches=[1, 2],
                     themes=[ThemeLine("CSV export", 2, (), True, ())])


NAMES = {"good": ["U0ANA"], "friction": ["U0BEN"], "blocked": ["U0CAI", "U0DAN"]}


def _card(n: int, stage: Stage, tally: Tally | None = None, step: str | None = "checkin", status: str = "live",
          customer: str = "Acme Logistics GmbH") -> HomeCard:
    due = datetime.now(UTC) + timedelta(hours=n)
    return HomeCard(n, customer, f"C0CH{n:04d}", stage, date.today(), status, tally,
                    {"sev1": 1, "sev2": 0, "sev3": 1_234}, NextStep(step, 2, due, "Asia/Tokyo") if step else None,
                    f"https://slack.com/app_redirect?channel=C0CH{n:04d}", n % 3, 5 if n % 2 else 0)


STAGES = [Stage("countdown", 1), Stage("countdown", 12), Stage("week", 2, 5, live=True), Stage("over", 5, 5),
          Stage("retro"), Stage("done")]
CARDS = [_card(n, STAGES[n % len(STAGES)], Tally(good=n, friction=1) if n % 2 else None,
               [None, "checkin", "digest", "retro_prompt", "some_future_kind"][n % 5],
               ["planned", "live", "retro", "done"][n % 4]) for n in range(1, 31)]
CRITERIA = [item(1, done=True, changed_by="U0ANA", owner="U0OWN"), item(2, owner="U0BEN"),
            item(3, done=True, changed_by="U0CAI"), item(4, text="שלום 日本語")]

# name → a function of a translator giving (kind, rendering): kind "message" (blocks), "view" (a modal), "text".
VIEWS: dict[str, Callable[[Translator], tuple[str, Any]]] = {
    "check-in, day 1": lambda t: ("message", checkin_views.checkin_blocks(_checkin(1), 5, Tally(), late=False, t=t)),
    "check-in, late, names": lambda t: ("message", checkin_views.checkin_blocks(
        _checkin(3), 5, Tally(good=1, friction=1, blocked=2, names=NAMES), late=True, t=t)),
    "check-in, closed": lambda t: ("message", checkin_views.checkin_blocks(
        _checkin(5), 5, Tally(good=1_234, friction=0, blocked=7), late=False, closed=True, t=t)),
    "check-in notification": lambda t: ("text", checkin_views.checkin_fallback(2, t)),
    "tally notification": lambda t: ("text", checkin_views.tally_fallback(2, 1, t)),
    "tally notification, many": lambda t: ("text", checkin_views.tally_fallback(2, 1_000_000, t)),
    "note modal": lambda t: ("view", checkin_views.note_modal(_checkin(4), "friction", t)),
    "nudge": lambda t: ("message", checkin_views.nudge_message(_checkin(3), ["U0ANA", "U0BEN"], t)[1]),
    "nudge, crowd": lambda t: ("message", checkin_views.nudge_message(
        _checkin(3), [f"U0P{n:05d}" for n in range(41)], t)[1]),
    "nudge, crowd text": lambda t: ("text", checkin_views.nudge_message(
        _checkin(3), [f"U0P{n:05d}" for n in range(250)], t)[0]),
    "confirmation": lambda t: ("text", checkin_views.confirmation_text("good", 2, None, None, t)),
    "confirmation, changed, issue": lambda t: ("text", checkin_views.confirmation_text("blocked", 2, "good", 9, t)),
    "mute confirmation": lambda t: ("text", checkin_views.mute_confirmation(t)),
    "help post": lambda t: ("message", help_views.help_blocks(launch(support_hours="09:00-18:00"), t)),
    "help post, around the clock": lambda t: ("message", help_views.help_blocks(launch(support_hours=None), t)),
    "help notification": lambda t: ("text", help_views.help_fallback(launch(), t)),
    "launch-day post": lambda t: ("message", milestone_views.customer_live_blocks(
        launch(fallback_doc="https://docs.example.com/fallback"), t)),
    "launch-day post, no document": lambda t: ("message", milestone_views.customer_live_blocks(launch(), t)),
    "launch-day notification": lambda t: ("text", milestone_views.customer_live_fallback(launch(), t)),
    "report modal": lambda t: ("view", issue_views.report_modal({"channel": "C0ACME"}, t=t)),
    "reporter notice": lambda t: ("text", issue_views.reported_text("U0ANA", 42, "Acme", t)),
    "blocked notice": lambda t: ("message", issue_views.blocked_notice("U0ANA", 42, "Acme", 3, t)[1]),
    "blocked details modal": lambda t: ("view", issue_views.blocked_details_modal(42, 3, t)),
    "acknowledged notice": lambda t: ("text", issue_views.acknowledged_text("U0ANA", 42, "U0SUP", t)),
    "resolved, satisfaction question": lambda t: ("message", issue_views.resolved_message(
        "U0ANA", 42, 3, None, t)[1]),
    "resolved with a note, notification": lambda t: ("text", issue_views.resolved_message(
        "U0ANA", 42, 3, "Cache cleared", t)[0]),
    "resolved with a long note": lambda t: ("message", issue_views.resolved_message(
        "U0ANA", 42, 3, long_hostile(4000), t)[1]),
    "satisfaction thanks": lambda t: ("text", issue_views.satisfaction_thanks("up", t)),
    "satisfaction sorry": lambda t: ("text", issue_views.satisfaction_thanks("down", t)),
    "reopened notice": lambda t: ("text", issue_views.reopened_text("U0ANA", 42, t)),
    "details received": lambda t: ("text", issue_views.details_received_text("U0ANA", 42, False, t)),
    "details received, urgent": lambda t: ("text", issue_views.details_received_text("U0ANA", 42, True, t)),
    "linked notice": lambda t: ("text", issue_views.linked_text("U0ANA", 42, 7, t)),
    "relayed reply": lambda t: ("text", issue_views.relayed_to_customer("U0SUP", "U0ANA", 42, "Try again", t)),
    "retro prompt": lambda t: ("message", retro_views.prompt_blocks(launch(), retro_views.prompt_text(
        launch(), retro_views.launch_facts(_facts(), t=t), date.today(), t), t)),
    "retro facts, all": lambda t: ("text", "; ".join(retro_views.launch_facts(_facts(), limit=9, t=t))),
    "retro facts, answers only": lambda t: ("text", "; ".join(retro_views.launch_facts(_facts(True), t=t))),
    "retro prompt, no facts": lambda t: ("text", retro_views.prompt_text(launch(), [], date.today(), t)),
    "retro prompt notification": lambda t: ("text", retro_views.prompt_fallback(t)),
    "retro reminder": lambda t: ("message", retro_views.prompt_blocks(launch(), retro_views.reminder_text(
        launch(), 1, date.today(), t), t)),
    "retro reminder notification": lambda t: ("text", retro_views.reminder_fallback(t)),
    "retro form": lambda t: ("view", retro_views.retro_modal(launch(), None, t)),
    "retro form, answered before": lambda t: ("view", retro_views.retro_modal(launch(), RetroAnswer(
        launch_id=7, user_id="U0ANA", went_well="Fast", improve="", rating=4), t)),
    "adoption nudge": lambda t: ("message", adoption_views.nudge_blocks(
        launch(training_link="https://learn.example.com/start"), "U0ANA", t)[1]),
    "adoption getting started": lambda t: ("message", adoption_views.getting_started_blocks(
        launch(training_link="https://learn.example.com/start"), "U0ANA", t)[1]),
    "adoption opt-out confirmation": lambda t: ("text", adoption_views.opt_out_confirmation("Acme", t)),
    "readiness summary, tomorrow, open": lambda t: ("text", milestone_views.readiness_channel_text(
        launch(), CRITERIA, 1, t)),
    "readiness summary, three days, many open": lambda t: ("text", milestone_views.readiness_channel_text(
        launch(), [item(n, text=long_hostile(300)) for n in range(40)], 3, t)),
    "readiness summary, one criterion": lambda t: ("text", milestone_views.readiness_channel_text(
        launch(), [item(1)], 3, t)),
    "readiness summary, all met, tomorrow": lambda t: ("text", milestone_views.readiness_channel_text(
        launch(), [item(1, done=True)], 1, t)),
    "readiness summary, all met, three days": lambda t: ("text", milestone_views.readiness_channel_text(
        launch(), [item(1, done=True), item(2, done=True)], 3, t)),
    "home, customer, launches": lambda t: ("view", home_views.home_view(CARDS[:3], "member", datetime.now(UTC), t)),
    "home, customer, crowded": lambda t: ("view", home_views.home_view(CARDS * 4, "member", datetime.now(UTC), t)),
    "home, empty": lambda t: ("view", home_views.home_view([], "member", datetime.now(UTC), t)),
    "home, a card of each stage": lambda t: ("message", [b for c in CARDS[:12] for b in home_views.card_blocks(c, t)]),
    "home readiness checklist": lambda t: ("view", home_views.readiness_view(launch(), CRITERIA, t)),
    "home readiness checklist, none": lambda t: ("view", home_views.readiness_view(launch(), [], t)),
    "go-live announcement to leadership": lambda t: ("message", milestone_views.live_announcement_blocks(
        launch(support_hours="09:00-18:00"), CRITERIA, [goal(1), goal(2)], ["U0BOSS"], datetime.now(UTC), t)[1]),
    "go-live announcement, nothing set": lambda t: ("message", milestone_views.live_announcement_blocks(
        launch(fallback_doc=None), [], [], [], datetime.now(UTC), t)[1]),
    "go-live announcement notification": lambda t: ("text", milestone_views.live_announcement_blocks(
        launch(), CRITERIA, [], ["U0BOSS"], datetime.now(UTC), t)[0]),
    "launch-week wrap-up": lambda t: ("message", milestone_views.wrapup_blocks(
        launch(), _facts(), digest_views.chart_shared(None, digest_views.WRAPUP, t), t)[1]),
    "launch-week wrap-up chart's title": lambda t: ("text", milestone_views.wrapup_chart_words("Acme", t)[0]),
    "launch-week wrap-up chart's comment": lambda t: ("text", milestone_views.wrapup_chart_words("Acme", t)[1]),
    "launch-week wrap-up, quiet week": lambda t: ("message", milestone_views.wrapup_blocks(
        launch(), WeekFacts(answers=1, people=1, audience=12, satisfied=3, unsatisfied=1, open_sev1=1,
                            median_resolution=timedelta(days=3)), ":bar_chart:", t)[1]),
    "launch-week wrap-up notification": lambda t: ("text", milestone_views.wrapup_blocks(
        launch(), _facts(), ":bar_chart:", t)[0]),
}


def _texts(kind: str, rendering: Any) -> list[str]:
    if kind == "text":
        return [rendering]
    return [node["text"] for node in text_objects(rendering)]


def outside_the_catalogs(text: str) -> str:
    """What of `text` is not inside a ⟦…⟧ and is more than markup, numbers and punctuation."""
    while True:
        shorter = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", "", text)
        if shorter == text:
            break
        text = shorter
    text = re.sub(r":[a-z0-9_+-]+:", "", text)  # emoji
    text = re.sub(r"<[@#!][^>]*>", "", text)  # mentions
    return "".join(ch for ch in text if ch.isalpha())


def test_the_marker_finds_a_literal_outside_the_catalogs() -> None:
    # The check below can fail: a literal beside a translated text is found, markup and numbers are not.
    assert outside_the_catalogs("⟦Answers so far: ⟦4 all good⟧⟧ · :red_circle: 3 <@U0ANA>") == ""
    assert outside_the_catalogs("⟦Thanks⟧ (It replaces your earlier answer)") == "Itreplacesyourearlieranswer"
    t = Marking("en")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": t.gettext("How is it going?") + " Hello"}}]
    assert [outside_the_catalogs(text) for text in _texts("message", blocks)] == ["Hello"]


def assert_through_the_catalogs(name: str, render: Callable[[Translator], tuple[str, Any]]) -> None:
    """Rendered with the marking translator, every text of the view came out of the catalogs."""
    kind, rendering = render(Marking("de"))
    texts = _texts(kind, rendering)
    assert texts
    leftovers = {text: outside_the_catalogs(text) for text in texts if outside_the_catalogs(text)}
    assert not leftovers, f"{name}: text outside the catalogs: {leftovers}"


def assert_translated_within_limits(name: str, render: Callable[[Translator], tuple[str, Any]], tag: str,
                                    caplog: pytest.LogCaptureFixture) -> None:
    """In locale `tag` the view is within Block Kit's limits, fills every placeholder, and needed no fallback."""
    caplog.set_level(logging.WARNING, logger="golive.i18n")
    kind, rendering = render(translator(tag))
    if kind == "message":
        assert_message_ok(rendering)
    elif kind == "view":
        assert_view_ok(rendering)
    shown = json.dumps(rendering, ensure_ascii=False)
    assert not re.search(r"\{[a-z_]+\}", shown), f"{name}: a placeholder reached Slack"
    assert not [r.getMessage() for r in caplog.records], f"{name} in {tag} fell back or was clipped"


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_text_a_customer_sees_goes_through_the_translator(name: str) -> None:
    assert_through_the_catalogs(name, VIEWS[name])


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_view_in_every_locale_is_translated_and_inside_block_kit_limits(
        tag: str, name: str, caplog: pytest.LogCaptureFixture) -> None:
    assert_translated_within_limits(name, VIEWS[name], tag, caplog)


def test_german_check_in_speaks_german() -> None:
    t = translator("de")
    blocks = checkin_views.checkin_blocks(_checkin(3), 5, Tally(good=1_234), late=False, t=t)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Tag 3 der Launch-Woche" in shown and "Alles gut" in shown and "1.234 alles gut" in shown
    assert "All good" not in shown


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
@pytest.mark.parametrize("customer", [HOSTILE[:200], "שלום عربي 日本語の会社 — Ünïcødé", "&" * 200])
def test_customer_text_is_kept_whole_and_hostile_text_stays_inert(tag: str, customer: str) -> None:
    t = translator(tag)
    for blocks in (help_views.help_blocks(launch(customer=customer), t),
                   milestone_views.customer_live_blocks(launch(customer=customer), t)):
        assert_message_ok(blocks)
    text = issue_views.reported_text("U0ANA", 1, "שלום 日本語", t)
    assert "שלום 日本語" in text


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
def test_a_message_prefilled_into_the_report_form_is_kept_as_written(tag: str) -> None:
    view = issue_views.report_modal({"channel": "C0ACME"}, initial_text=long_hostile(2000) + " שלום", t=translator(tag))
    assert_view_ok(view)
    assert view["blocks"][0]["element"]["initial_value"].endswith(" שלום")
