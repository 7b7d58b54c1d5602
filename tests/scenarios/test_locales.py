"""A launch in each supported locale runs its week in that language: the help post, the check-ins and their
buttons, a click's confirmation, the tally, a nudge and its mute — through the real app (signed requests, the
simulator, the scheduler's tick). And the command line: `--locale`, `locale:` in YAML, GOLIVE_LOCALE."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.i18n import SUPPORTED_LOCALES
from bot.features.launches.service import LaunchInput
from bot.flows.launches import save_launch
from bot.flows.planning import replan
from tests.conftest import CUSTOMER_TEAM
from tests.scenarios.dates import monday_ahead

MON = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # 10:00 in Berlin on go-live Monday (the world's fake clock)

# What each locale's people read, written out here (not taken from the catalogs) so a wrong catalog fails.
SEEN = {
    "en": {"help": "Welcome to go-live, Acme Corp!", "day1": "Go-live day — Day 1 of launch week",
           "day2": "Day 2 of launch week", "good": "All good", "confirm": "recorded *All good* for day 1",
           "tally": "1 all good", "nudge": "Friendly reminder", "mute": "Don't remind me this week",
           "muted": "no more reminders", "report": "Report a problem",
           "retro": "*Retrospective — Acme Corp*", "share": "Share your thoughts",
           "retro_title": "Retrospective",
           "halfway": "Halfway through the retrospective for *Acme Corp*: 1 answer so far"},
    "de": {"help": "Willkommen zum Go-live, Acme Corp!", "day1": "Go-live-Tag — Tag 1 der Launch-Woche",
           "day2": "Tag 2 der Launch-Woche", "good": "Alles gut", "confirm": "*Alles gut* für Tag 1",
           "tally": "1 alles gut", "nudge": "Kurze Erinnerung", "mute": "Diese Woche nicht mehr erinnern",
           "muted": "erinnern wir Sie nicht mehr", "report": "Problem melden",
           "retro": "*Retrospektive — Acme Corp*", "share": "Feedback geben",
           "retro_title": "Retrospektive", "halfway": "Halbzeit der Retrospektive für *Acme Corp*: bisher 1 Antwort"},
    "fr": {"help": "Bienvenue dans le go-live, Acme Corp\u00a0!", "day1": "Jour J — jour 1 de la semaine de lancement",
           "day2": "Jour 2 de la semaine de lancement", "good": "Tout va bien",
           "confirm": "*Tout va bien* est noté pour le jour 1", "tally": "1 tout va bien", "nudge": "Petit rappel",
           "mute": "Ne plus me le rappeler cette semaine", "muted": "plus de rappels pour vous",
           "report": "Signaler un problème",
           "retro": "*Rétrospective — Acme Corp*", "share": "Donner mon avis",
           "retro_title": "Rétrospective",
           "halfway": "La rétrospective de *Acme Corp* est à mi-parcours\u00a0: 1 réponse"},
    "es": {"help": "¡Bienvenidos al go-live, Acme Corp!", "day1": "Día del go-live — día 1 de la semana de lanzamiento",
           "day2": "Día 2 de la semana de lanzamiento", "good": "Todo bien",
           "confirm": "hemos anotado *Todo bien* para el día 1", "tally": "1 todo bien", "nudge": "Un recordatorio",
           "mute": "No me lo recuerdes esta semana", "muted": "no te enviaremos más recordatorios",
           "report": "Reportar un problema",
           "retro": "*Retrospectiva — Acme Corp*", "share": "Dar mi opinión",
           "retro_title": "Retrospectiva",
           "halfway": "Vamos por la mitad de la retrospectiva de *Acme Corp*: 1 respuesta"},
    "pt-BR": {"help": "Boas-vindas ao go-live, Acme Corp!", "day1": "Dia do go-live — dia 1 da semana de lançamento",
              "day2": "Dia 2 da semana de lançamento", "good": "Tudo certo",
              "confirm": "registramos *Tudo certo* para o dia 1", "tally": "1 tudo certo", "nudge": "Só um lembrete",
              "mute": "Não me lembre mais esta semana", "muted": "não vai receber mais lembretes",
              "report": "Relatar um problema",
              "retro": "*Retrospectiva — Acme Corp*", "share": "Dar minha opinião",
              "retro_title": "Retrospectiva",
              "halfway": "Estamos na metade da retrospectiva da *Acme Corp*: 1 resposta"},
    "ja": {"help": "Acme Corp の皆さん、本番稼働へようこそ！", "day1": "本番稼働日 — ローンチ週の1日目です。",
           "day2": "ローンチ週の2日目", "good": "順調", "confirm": "ローンチ週1日目の回答「*順調*」",
           "tally": "順調 1", "nudge": "さん、1日目の調子はいかがですか", "mute": "今週はリマインド不要",
           "muted": "今週はリマインドをお送りしません", "report": "問題を報告",
           "retro": "*振り返り — Acme Corp*", "share": "感想を送る",
           "retro_title": "振り返り", "halfway": "*Acme Corp* の振り返りは折り返し地点です。これまでの回答は1件です。"},
}
ENGLISH = ("of launch week", "All good", "Friendly reminder", "Welcome to go-live", "Report a problem", "Retrospective",
           "Share your thoughts", "Halfway through")
RETRO_PROMPT = datetime(2027, 3, 22, 9, 0, tzinfo=UTC)  # go-live + 14 days, 10:00 in Berlin
RETRO_REMINDER = datetime(2027, 3, 23, 9, 0, tzinfo=UTC)  # halfway through its three business days


def _add_launch(world, locale: str) -> int:  # noqa: ANN001
    raw = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2027-03-08", "tz": "Europe/Berlin",
           "csm": ["U0CSM"], "support_channel": "C0SUP", "locale": locale}
    with world.runtime.db.session() as s:
        launch, _ = save_launch(s, LaunchInput.parse(raw), now=world.clock())
        replan(s, launch, now=world.clock())
        return launch.id


def _texts(message) -> str:  # noqa: ANN001
    return json.dumps({"text": message.get("text"), "blocks": message.blocks}, ensure_ascii=False)


def _checkins(world) -> list:  # noqa: ANN001
    return [m for m in world.sim.messages("C0ACME") if not m.is_reply and m.blocks
            and '"checkin_good"' in json.dumps(m.blocks)]


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
def test_a_launch_runs_its_week_in_its_locale(world, tag):  # noqa: ANN001
    seen = SEEN[tag]
    _add_launch(world, tag)
    world.tick(MON - timedelta(minutes=5))  # the pinned help message, then the first check-in
    world.tick(MON)
    help_posts = [m for m in world.sim.messages("C0ACME") if seen["help"] in _texts(m)]
    assert len(help_posts) == 1, [m.get("text") for m in world.sim.messages("C0ACME")]
    assert seen["report"] in _texts(help_posts[0])

    [day1] = _checkins(world)
    shown = _texts(day1)
    assert seen["day1"] in shown and seen["good"] in shown and seen["report"] in shown

    world.clock.set(MON + timedelta(minutes=5))
    result = world.slack.block_action("checkin_good", user_id="U0CUST1", channel_id="C0ACME", message_ts=day1["ts"],
                                      value=str(day1.blocks[1]["elements"][0]["value"]), user_team_id=CUSTOMER_TEAM)
    assert result.status == 200, result.body_text
    assert seen["confirm"] in world.sim.responses[-1]["text"]
    world.clock.advance(seconds=5)
    world.deliver()
    assert seen["tally"] in _texts(_checkins(world)[0])

    world.tick(MON + timedelta(hours=3))
    world.tick(MON + timedelta(hours=3, minutes=5))
    nudges = [m for m in world.sim.messages("C0ACME") if m.is_reply and "<@U0CUST2>" in (m.get("text") or "")]
    assert len(nudges) == 1 and seen["nudge"] in nudges[0]["text"] and "<@U0CUST1>" not in nudges[0]["text"]
    mute = nudges[0].blocks[1]["elements"][0]
    assert mute["text"]["text"] == seen["mute"]
    result = world.slack.block_action("nudge_mute", user_id="U0CUST2", channel_id="C0ACME",
                                      message_ts=nudges[0]["ts"], value=mute["value"], user_team_id=CUSTOMER_TEAM)
    assert result.status == 200 and seen["muted"] in world.sim.responses[-1]["text"]

    world.tick(MON + timedelta(days=1))
    assert seen["day2"] in _texts(_checkins(world)[1])

    # Two weeks on, the retrospective: its prompt, form and reminder in the launch's language.
    world.tick(RETRO_PROMPT)
    [prompt] = [m for m in world.sim.messages("C0ACME") if not m.is_reply and '"retro_open"' in json.dumps(m.blocks)]
    share = prompt.blocks[1]["elements"][0]
    assert seen["retro"] in _texts(prompt) and share["text"]["text"] == seen["share"]
    assert world.slack.block_action("retro_open", user_id="U0CUST1", channel_id="C0ACME", message_ts=prompt["ts"],
                                    value=share["value"], user_team_id=CUSTOMER_TEAM).status == 200
    form = world.sim.views_for("U0CUST1")
    assert form["title"]["text"] == seen["retro_title"]
    answered = world.slack.view_submission(
        "retro_modal", user_id="U0CUST1", user_team_id=CUSTOMER_TEAM, private_metadata=form["private_metadata"],
        values={"went_well": {"went_well": "Die Check-ins — チェックイン"}, "improve": {"improve": ""},
                "rating": {"rating": {"type": "radio_buttons", "selected_option": {"value": "4"}}}})
    assert answered.status == 200
    world.tick(RETRO_REMINDER)
    reminders = [m for m in world.sim.messages("C0ACME") if seen["halfway"] in _texts(m)]
    assert len(reminders) == 1
    if tag != "en":  # nothing the customer's people saw fell back to English
        everything = "\n".join(_texts(m) for m in world.sim.messages("C0ACME"))
        everything += "\n".join(r.get("text") or "" for r in world.sim.responses)
        assert not [phrase for phrase in ENGLISH if phrase in everything]


@pytest.mark.parametrize("tag", ["de", "ja"])
def test_a_note_and_a_problem_report_keep_the_customers_own_words(world, tag):  # noqa: ANN001
    _add_launch(world, tag)
    world.tick(MON)
    [day1] = _checkins(world)
    words = "ログインできません — שלום עולם — مرحبا"  # CJK and right-to-left text, kept whole
    result = world.slack.block_action("checkin_note", user_id="U0CUST1", channel_id="C0ACME", message_ts=day1["ts"],
                                      value=str(day1.blocks[1]["elements"][0]["value"]), user_team_id=CUSTOMER_TEAM)
    assert result.status == 200
    view = world.sim.views_for("U0CUST1")
    assert view["title"]["text"] == {"de": "Check-in Tag 1", "ja": "1日目のチェックイン"}[tag]
    submitted = world.slack.view_submission(
        "checkin_note_modal", user_id="U0CUST1", user_team_id=CUSTOMER_TEAM, private_metadata=view["private_metadata"],
        values={"answer": {"answer": {"type": "radio_buttons", "selected_option": {"value": "friction"}}},
                "note": {"note": {"type": "plain_text_input", "value": words}}})
    assert submitted.status == 200
    world.deliver()
    notices = [m for m in world.sim.messages("C0ACME") if m.is_reply and "#1" in (m.get("text") or "")]
    assert notices and {"de": "Ticket *#1*", "ja": "チケット *#1*"}[tag] in notices[0]["text"]
    cards = "\n".join(_texts(m) for m in world.sim.messages("C0SUP"))
    assert words in cards


def test_the_command_line_takes_a_locale_and_refuses_an_unsupported_one(golive, tmp_path):  # noqa: ANN001
    go_live = monday_ahead().isoformat()
    base = ["launch", "add", "--customer", "Acme", "--channel", "C0ACME", "--go-live", go_live, "--tz", "Europe/Berlin"]
    refused = golive(*base, "--locale", "zh-CN")
    assert refused.code == 2 and "supported: en, de, fr, es, pt-BR, ja" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert json.loads(golive("export").stdout)["launches"] == []

    added = golive(*base, "--locale", "pt_br")
    assert added.code == 0, added.stderr
    assert "pt-BR (português (Brasil))" in golive("launch", "show", added.stdout.strip()).stdout

    # GOLIVE_LOCALE is the default for a launch that does not name one; YAML may name one.
    (tmp_path / "launches.yaml").write_text(
        f"launches:\n  - {{customer: Beta, channel: C0BETA, go_live: '{go_live}', tz: Asia/Tokyo}}\n"
        f"  - {{customer: Gamma, channel: C0GAMMA, go_live: '{go_live}', tz: Europe/Paris, locale: fr}}\n")
    imported = golive("launch", "import", str(tmp_path / "launches.yaml"), extra_env={"GOLIVE_LOCALE": "ja"})
    assert imported.code == 0, imported.stderr
    locales = {row["channel"]: row["locale"] for row in json.loads(golive("export").stdout)["launches"]}
    assert locales == {"C0ACME": "pt-BR", "C0BETA": "ja", "C0GAMMA": "fr"}

    (tmp_path / "bad.yaml").write_text(
        f"launches:\n  - {{customer: D, channel: C0DELTA, go_live: '{go_live}', tz: UTC, locale: tlh}}\n")
    bad = golive("launch", "import", str(tmp_path / "bad.yaml"))
    assert bad.code == 2 and "unsupported locale 'tlh'" in bad.stderr and "ja" in bad.stderr

    (tmp_path / "code.yaml").write_text(
        f"launches:\n  - {{key: echo, customer: Echo, channel: C0ECHO, go_live: '{go_live}', tz: UTC}}\n")
    applied = golive("launch", "apply", str(tmp_path / "code.yaml"), extra_env={"GOLIVE_LOCALE": "es"})
    assert applied.code == 0, applied.stderr
    rows = {row["channel"]: row["locale"] for row in json.loads(golive("export").stdout)["launches"]}
    assert rows["C0ECHO"] == "es"
    assert golive("launch", "list", extra_env={"GOLIVE_LOCALE": "tlh"}).code == 2


# What a reporter reads while support works on their problem, written out here like SEEN.
LOOP = {
    "en": {"ack": "has been picked up by our support team", "relay": "from support* to <@U0CUST1>",
           "resolved": "issue *#1* is resolved.", "helpful": ":thumbsup: Helpful", "thanks": "Thanks for telling us!",
           "not yours": "Only the person who reported this issue can rate it."},
    "de": {"ack": "ist bei unserem Support-Team in Arbeit", "relay": "vom Support* an <@U0CUST1>",
           "resolved": "Ticket *#1* ist gelöst.", "helpful": ":thumbsup: Hilfreich",
           "thanks": "Danke für Ihre Rückmeldung!", "not yours": "Nur wer dieses Ticket gemeldet hat"},
    "fr": {"ack": "est pris en charge par notre équipe support", "relay": "du support* à <@U0CUST1>",
           "resolved": "le ticket *#1* est résolu.", "helpful": ":thumbsup: Utile",
           "thanks": "Merci de nous l'avoir signalé\u00a0!", "not yours": "Seule la personne qui a signalé ce ticket"},
    "es": {"ack": "nuestro equipo de soporte ya está con la incidencia", "relay": "de soporte* para <@U0CUST1>",
           "resolved": "la incidencia *#1* está resuelta.", "helpful": ":thumbsup: Me ayudó",
           "thanks": "¡Gracias por contárnoslo!", "not yours": "Solo quien reportó esta incidencia"},
    "pt-BR": {"ack": "nosso suporte já está cuidando do chamado", "relay": "do suporte* para <@U0CUST1>",
              "resolved": "o chamado *#1* foi resolvido.", "helpful": ":thumbsup: Ajudou",
              "thanks": "Obrigado por nos avisar!", "not yours": "Só quem relatou este chamado"},
    "ja": {"ack": "サポートチーム（<@U0SUP>）が対応を始めました", "relay": "から <@U0CUST1> さんへ",
           "resolved": "チケット *#1* は解決しました。", "helpful": ":thumbsup: 役に立った",
           "thanks": "お知らせいただきありがとうございます！", "not yours": "このチケットを報告した方だけです"},
}


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
def test_a_reporter_follows_their_problem_in_the_launchs_language(world, tag):  # noqa: ANN001
    seen = LOOP[tag]
    _add_launch(world, tag)
    world.clock.set(MON + timedelta(hours=2))
    words = "Der Export hängt — エクスポートが止まる"
    asked = world.sim.post_as_user("C0ACME", "U0CUST1", f"<@UBOT> {words}")
    world.slack.app_mention(asked["text"], user_id="U0CUST1", channel_id="C0ACME", ts=asked["ts"],
                            user_team=CUSTOMER_TEAM)
    world.deliver()
    [card] = [m for m in world.sim.messages("C0SUP") if not m.is_reply]
    issue_id = next(e["value"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]
                    if e["action_id"] == "issue_ack")
    assert world.slack.block_action("issue_ack", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"],
                                    value=issue_id).status == 200
    reply = world.sim.post_as_user("C0SUP", "U0SUP", ">> Bitte neu laden", thread_ts=card["ts"])
    world.slack.message(reply["text"], user_id="U0SUP", channel_id="C0SUP", ts=reply["ts"], thread_ts=card["ts"])
    world.slack.block_action("issue_resolve", user_id="U0SUP", channel_id="C0SUP", message_ts=card["ts"],
                             value=issue_id)
    view = world.sim.views_for("U0SUP")
    world.slack.view_submission("issue_resolve_modal", user_id="U0SUP", private_metadata=view["private_metadata"],
                                values={"note": {"note": {"type": "plain_text_input", "value": "Cache geleert"}}})
    world.clock.advance(seconds=1)
    world.deliver()

    thread = [m for m in world.sim.messages("C0ACME") if m.is_reply and m["thread_ts"] == asked["ts"]]
    said = "\n".join(_texts(m) for m in thread)
    assert seen["ack"] in said and seen["relay"] in said and "Bitte neu laden" in said
    [resolved] = [m for m in thread if seen["resolved"] in (m.get("text") or "")]
    assert "Cache geleert" in resolved["text"]  # the engineer's note is shown as written
    helpful = resolved.blocks[1]["elements"][0]
    assert helpful["text"]["text"] == seen["helpful"]
    # Someone else's click is refused in the launch's language (the error handler finds it from the channel).
    world.slack.block_action("issue_satisfied", user_id="U0CUST2", channel_id="C0ACME", message_ts=resolved["ts"],
                             value=helpful["value"], user_team_id=CUSTOMER_TEAM)
    assert seen["not yours"] in world.sim.responses[-1]["text"]
    world.slack.block_action("issue_satisfied", user_id="U0CUST1", channel_id="C0ACME", message_ts=resolved["ts"],
                             value=helpful["value"], user_team_id=CUSTOMER_TEAM)
    assert world.sim.responses[-1]["text"] == seen["thanks"]
    if tag != "en":
        assert not [p for p in ("picked up", "from support", "is resolved", "Helpful", "Thanks") if p in said]
    cards = "\n".join(_texts(m) for m in world.sim.messages("C0SUP"))
    assert words in cards
