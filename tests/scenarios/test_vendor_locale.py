"""Posts to the vendor's own people speak GOLIVE_LOCALE, and a CSM's own Slack locale (users.info with
include_locale, kept in the stored directory) wins for their DMs — while the launch's customers keep the launch's
language. Through the real app: signed requests, the simulator, the scheduler's tick and the outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.features.launches.service import LaunchInput
from bot.features.milestones.service import set_done
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from storage.models import Launch, SlackPerson
from tests.conftest import CUSTOMER_TEAM

MON_CHECKIN = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # 10:00 in Berlin on go-live Monday (the world's fake clock)
TUE_DIGEST = datetime(2027, 3, 9, 7, 30, tzinfo=UTC)  # 08:30 in Berlin


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "GOLIVE_LOCALE": "de"}


def _add_launch(world, **overrides) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM", "U0CSM2"], "support_channel": "C0SUP", "locale": "es", **overrides}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def _shown(message) -> str:  # noqa: ANN001
    return json.dumps({"text": message.get("text"), "blocks": message.blocks}, ensure_ascii=False)


def _digests(world, user: str) -> list:  # noqa: ANN001
    return [m for m in world.sim.dm_messages(user) if m.blocks and m.blocks[0].get("type") == "header"]


def test_a_french_csm_reads_their_digest_in_french_while_support_cards_speak_golive_locale(world):  # noqa: ANN001
    world.sim.update_user("U0CSM", locale="fr-FR")  # Carla's Slack speaks French
    world.sim.update_user("U0CSM2", locale="ko-KR")  # Omar's speaks a language golive does not: GOLIVE_LOCALE
    _add_launch(world)
    world.tick(MON_CHECKIN)
    world.clock.set(MON_CHECKIN + timedelta(hours=1))
    words = "Le SSO boucle — ログインできない"
    asked = world.sim.post_as_user("C0ACME", "U0CUST1", f"<@UBOT> {words}")
    world.slack.app_mention(asked["text"], user_id="U0CUST1", channel_id="C0ACME", ts=asked["ts"],
                            user_team=CUSTOMER_TEAM)
    world.deliver()

    # The support card, in the support channel: GOLIVE_LOCALE (German), the customer's words as written.
    [card] = [m for m in world.sim.messages("C0SUP") if not m.is_reply]
    shown = _shown(card)
    assert "*Ticket #1* · *Acme Corp*" in shown and "Gemeldet von <@U0CUST1>" in shown and words in shown
    buttons = [e["text"]["text"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]
               if e["type"] == "button"]
    assert buttons == ["Übernehmen", "Lösen"]
    assert "Reported by" not in shown and "Acknowledge" not in shown
    # The customer's own thread stays in the launch's language (Spanish).
    notice = [m for m in world.sim.messages("C0ACME") if m.is_reply and m["thread_ts"] == asked["ts"]]
    assert notice and "incidencia *#1*" in notice[0]["text"]

    world.tick(TUE_DIGEST)
    world.tick(TUE_DIGEST + timedelta(minutes=1))
    carla = _digests(world, "U0CSM")[-1]  # Tuesday's (Monday's went out with the first tick)
    assert carla.blocks[0]["text"]["text"] == "Digest du stand-up — mar. 9 mars 2027"
    assert "1 lancement\u00a0:" in _shown(carla) and "Standup digest" not in _shown(carla)
    # The launch's section and talking points and the chart's note too, in French; the customer's words as typed.
    section = _shown(carla)
    assert "*Acme Corp* (<#C0ACME>) — *" in section and "semaine de lancement, jour 2 sur 5" in section
    assert "mise en production lun. 8 mars" in section and "*Problèmes ouverts\u00a0:*" in section
    assert "n°1 sev2 · depuis " in section and words in section and "*Points à aborder*" in section
    assert "Le graphique de la semaine de lancement" in section
    for english in ("launch week, day", "Talking points", "Open issues", "go-live Mon", "The launch-week chart"):
        assert english not in section
    omar = _digests(world, "U0CSM2")[-1]
    assert omar.blocks[0]["text"]["text"] == "Standup-Digest — Di., 9. März 2027"
    assert "1 Launch:" in _shown(omar)
    assert "Launch-Woche, Tag 2 von 5" in _shown(omar) and "*Gesprächspunkte*" in _shown(omar)
    # What golive learned of each CSM is kept in the stored directory, as Slack said it.
    with world.runtime.db.read() as s:
        locales = dict(s.exec(select(SlackPerson.user_id, SlackPerson.locale)
                              .where(SlackPerson.user_id.in_(["U0CSM", "U0CSM2"]))).all())
    assert locales == {"U0CSM": "fr-FR", "U0CSM2": "ko-KR"}


def test_a_csms_readiness_reminder_follows_their_slack_locale_and_the_channels_summary_the_launchs(world):  # noqa: ANN001
    world.sim.update_user("U0CSM", locale="ja-JP")
    # Slack tells golive of the change (user_change); the stored directory keeps the locale for the worker.
    assert world.slack.user_change(world.sim.user_object("U0CSM")).status == 200
    _add_launch(world, csm=["U0CSM"], locale="pt-BR", criterion=["SSO configured"])
    world.tick(datetime(2027, 3, 5, 13, 0, tzinfo=UTC))  # Friday 14:00 in Berlin: one business day before
    dm = [m["text"] for m in world.sim.dm_messages("U0CSM") if "の本番稼働は明日" in (m.get("text") or "")]
    assert len(dm) == 1 and "• SSO configured (`sso_configured`)" in dm[0] and "Go-live for" not in dm[0]
    public = [m for m in world.sim.messages("C0ACME") if ":rocket:" in (m.get("text") or "")]
    assert len(public) == 1
    assert "O go-live de *Acme Corp* é amanhã (segunda-feira, 8 de março)!" in public[0]["text"]
    assert "• SSO configured" in public[0]["text"]  # the launch team's own words, as written


def test_an_escalation_page_speaks_golive_locale_to_support_and_the_csms_while_the_reporter_keeps_spanish(world):  # noqa: ANN001
    _add_launch(world, csm=["U0CSM"], sla={"sev2": 30})
    world.tick(MON_CHECKIN)
    world.clock.set(MON_CHECKIN + timedelta(minutes=5))
    words = "Exportación falla — 書き出しに失敗"
    asked = world.sim.post_as_user("C0ACME", "U0CUST1", f"<@UBOT> {words}")
    world.slack.app_mention(asked["text"], user_id="U0CUST1", channel_id="C0ACME", ts=asked["ts"],
                            user_team=CUSTOMER_TEAM)
    world.deliver()
    world.tick(MON_CHECKIN + timedelta(minutes=50))  # nobody acknowledged within the 30 minutes of a sev2

    [page] = [m for m in world.sim.messages("C0SUP") if ":rotating_light:" in (m.get("text") or "")]
    assert "*Eskalation 1/" in page["text"] and "Problem #1 von *Acme Corp* (sev2) wartet seit" in page["text"]
    assert "Öffnen Sie es in <#C0SUP>." in page["text"] and words in page["text"]  # the words as typed
    assert "Escalation" not in page["text"] and "without acknowledgement" not in page["text"]
    dm = [m["text"] for m in world.sim.dm_messages("U0CSM") if ":rotating_light:" in (m.get("text") or "")]
    assert dm == [page["text"]]
    # The customer's channel hears nothing of it, and their thread stays Spanish.
    assert not [m for m in world.sim.messages("C0ACME") if "Eskalation" in (m.get("text") or "")]


def test_a_french_csm_hears_of_an_undeliverable_post_and_a_thumbs_down_in_french(world):  # noqa: ANN001
    world.sim.update_user("U0CSM", locale="fr-CA")  # Carla's Slack speaks French (Canada): golive's fr
    assert world.slack.user_change(world.sim.user_object("U0CSM")).status == 200  # kept in the stored directory
    _add_launch(world, csm=["U0CSM"], sla={"sev2": 30}, urgent_channel="C0GONE")  # a channel that does not exist
    world.tick(MON_CHECKIN)
    world.clock.set(MON_CHECKIN + timedelta(minutes=5))
    asked = world.sim.post_as_user("C0ACME", "U0CUST1", "<@UBOT> La exportación falla")
    world.slack.app_mention(asked["text"], user_id="U0CUST1", channel_id="C0ACME", ts=asked["ts"],
                            user_team=CUSTOMER_TEAM)
    world.deliver()
    world.tick(MON_CHECKIN + timedelta(minutes=50))  # the page to C0GONE cannot be delivered…
    world.clock.advance(minutes=10)
    world.deliver()  # …nor on the second try: the CSM hears

    alerts = [m["text"] for m in world.sim.dm_messages("U0CSM") if "<#C0GONE>" in (m.get("text") or "")]
    assert alerts and "golive ne peut pas encore publier dans <#C0GONE>" in alerts[0]
    assert "Invitez le bot" in alerts[0] and "cannot post in" not in alerts[0]

    # Support resolves; the reporter answers 👎 in their Spanish thread; Carla's DM is in French.
    [card] = [m for m in world.sim.messages("C0SUP") if not m.is_reply]
    issue_id = next(e["value"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]
                    if e.get("action_id") == "issue_resolve")
    world.slack.block_action("issue_resolve", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"],
                             value=issue_id)
    view = world.sim.views_for("U0SUP")
    world.slack.view_submission("issue_resolve_modal", user_id="U0SUP", private_metadata=view["private_metadata"],
                                values={"note": {"note": {"type": "plain_text_input", "value": "Fixed in 4.2.1"}}})
    world.clock.advance(seconds=1)
    world.deliver()
    [resolved] = [m for m in world.sim.messages("C0ACME") if m.is_reply and m.blocks
                  and any(b["type"] == "actions" for b in m.blocks)]
    down = next(e for b in resolved.blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "issue_unsatisfied")
    world.slack.block_action("issue_unsatisfied", user_id="U0CUST1", channel_id="C0ACME", message_ts=resolved["ts"],
                             value=down["value"], user_team_id=CUSTOMER_TEAM)
    world.deliver()
    [dm] = [m for m in world.sim.dm_messages("U0CSM") if ":thumbsdown:" in (m.get("text") or "")]
    shown = _shown(dm)
    assert "indique que la correction du problème *n°1* (Acme Corp) n’a pas vraiment aidé" in dm["text"]
    assert "*Problème\u00a0:* La exportación falla" in shown and "Fixed in 4.2.1" in shown  # their words as typed
    assert "Rouvrir n°1" in shown and "Reopen" not in shown and "did not really help" not in shown


def test_a_japanese_csm_reviews_the_goals_in_japanese_and_hears_in_japanese_that_leadership_posts_wait(world):  # noqa: ANN001
    world.sim.update_user("U0CSM", locale="ja-JP")
    assert world.slack.user_change(world.sim.user_object("U0CSM")).status == 200  # kept in the stored directory
    _add_launch(world, csm=["U0CSM"], goal=["40 of 50 users active", "Month-end close in the product"])
    world.clock.set(datetime(2027, 3, 12, 15, 0, tzinfo=UTC))  # Friday of launch week
    with world.runtime.db.session() as s:  # every go-live criterion met
        set_done(s, launch=s.get(Launch, 1), keys=[], all_items=True, done=True, actor="U0CSM", now=world.clock())
    assert "Acme Corp" in world.slack.slash_command("live", user_id="U0CSM", channel_id="C0ACME").json()["text"]
    world.deliver()
    notes = [m["text"] for m in world.sim.dm_messages("U0CSM") if ":warning:" in (m.get("text") or "")]
    assert len(notes) == 1 and "*Acme Corp* の経営陣向け本番開始のお知らせが保留中です" in notes[0]

    world.tick(datetime(2027, 4, 12, 8, 0, tzinfo=UTC))  # 30 days live: the review
    [review] = [m for m in world.sim.dm_messages("U0CSM") if "30 日レビュー" in m.plain_text()]
    assert "Acme Corp の 30 日レビュー" in review["text"] and "40 of 50 users active" in review.plain_text()
    buttons = [e for b in review.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["text"]["text"] for e in buttons] == ["達成", "未達成", "進行中"] * 2 + ["確定して投稿"]

    def click(action_id: str, value: str) -> dict:
        world.slack.block_action(action_id, user_id="U0CSM", channel_id=review["channel"], message_ts=review["ts"],
                                 value=value)
        return world.sim.responses[-1]

    updated = click("goal_met", buttons[0]["value"])
    assert ":white_check_mark: 達成" in json.dumps(updated["blocks"], ensure_ascii=False)
    click("goal_not_met", buttons[3]["value"])
    confirmed = json.dumps(click("goals_confirm", buttons[-1]["value"])["blocks"], ensure_ascii=False)
    assert "結果を 経営陣用チャンネル に投稿しました。" in confirmed
    assert "ローンチに経営陣用チャンネルが設定されるまで保留されます" in confirmed and "It waits" not in confirmed
    world.deliver()
    notes = [m["text"] for m in world.sim.dm_messages("U0CSM") if ":warning:" in (m.get("text") or "")]
    assert len(notes) == 2 and "*Acme Corp* の経営陣向け 30 日目標の結果が保留中です" in notes[1]
