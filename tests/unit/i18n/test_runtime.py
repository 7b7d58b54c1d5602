"""Translating at run time: every message of the template in every locale, placeholders filled, and every way a
catalog can be wrong ending in English text and a warning, never an exception or a raw `{placeholder}`."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.core.i18n import LOCALES_DIR, SUPPORTED_LOCALES, Translator, translator
from bot.core.i18n_tools import preview_messages

LOGGER = "golive.i18n"
RAW_FIELD = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
DAY = "launch week, day {day} of {total}"
THANKS = "Thanks for telling us!"


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
def test_every_message_renders_in_every_locale_without_a_fallback(tag: str, caplog: pytest.LogCaptureFixture) -> None:
    t = Translator(tag)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        texts = preview_messages(t)
    assert [record.getMessage() for record in caplog.records] == []
    assert len(texts) >= 200
    for text in texts:
        assert text and not RAW_FIELD.search(text), text
    if tag != "en":
        english = preview_messages(Translator("en"))
        # Only a few read the same as the English: codes ("sev1 {count}"), markup ("{mark} {criterion}"), loan words.
        same = [text for text, source in zip(texts, english, strict=True) if text == source]
        assert len(same) <= len(texts) // 20, same


def test_english_german_and_japanese_samples() -> None:
    en, de, ja = translator("en"), translator("de"), translator("ja")
    live = "We are live, {customer}! Here is how to get help."
    assert en.gettext(live, customer="Ana") == "We are live, Ana! Here is how to get help."
    assert de.gettext(live, customer="Ana") == "Wir sind live, Ana! So bekommen Sie Hilfe."
    assert de.gettext(DAY, day=2, total=5) == "Launch-Woche, Tag 2 von 5"
    assert ja.gettext(DAY, day=2, total=5) == "ローンチ週 2/5日目"
    assert de.pgettext("button", ":red_circle: Blocked") == ":red_circle: Blockiert"
    assert de.pgettext("modal-title", "Report a problem") == "Problem melden"
    assert de.pgettext("modal-title", "Issue #{number}", number=1234) == "Ticket #1234"


def test_ngettext_chooses_the_plural_by_the_catalog(caplog: pytest.LogCaptureFixture) -> None:
    en, fr, ja, de = translator("en"), translator("fr"), translator("ja"), translator("de")
    one, many = "Day {day} of launch week: {count} answer", "Day {day} of launch week: {count} answers"
    assert [en.ngettext(one, many, n, day=1) for n in (0, 1, 2)] == [
        "Day 1 of launch week: 0 answers", "Day 1 of launch week: 1 answer", "Day 1 of launch week: 2 answers"]
    # French: 0 and 1 take the singular; a million takes "de".
    week = "Jour 1 de la semaine de lancement\u00a0: "
    assert [fr.ngettext(one, many, n, day=1) for n in (0, 1, 2, 5)] == [
        week + "0 réponse", week + "1 réponse", week + "2 réponses", week + "5 réponses"]
    assert fr.ngettext(one, many, 1_000_000, day=1) == f"{week}{fr.format_number(1_000_000)} de réponses"
    assert [de.ngettext(one, many, n, day=1) for n in (0, 1, 2)] == [
        "Tag 1 der Launch-Woche: 0 Antworten", "Tag 1 der Launch-Woche: 1 Antwort",
        "Tag 1 der Launch-Woche: 2 Antworten"]
    # Japanese has one form.
    assert [ja.ngettext(one, many, n, day=1) for n in (0, 1, 7)] == [
        "ローンチ週の1日目：回答 0 件", "ローンチ週の1日目：回答 1 件", "ローンチ週の1日目：回答 7 件"]
    # {count} is the number written the locale's way, unless given.
    assert de.ngettext(one, many, 1234, day=1) == "Tag 1 der Launch-Woche: 1.234 Antworten"
    assert en.ngettext(one, many, 1234, day=1, count="many") == "Day 1 of launch week: many answers"
    assert caplog.records == []


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target)
    return target


def _edit(path: Path, change) -> None:  # noqa: ANN001
    with path.open("rb") as handle:
        catalog = read_po(handle)
    change(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def test_a_missing_id_gives_english_and_warns_once(locales: Path, caplog: pytest.LogCaptureFixture) -> None:
    _edit(locales / "de" / "LC_MESSAGES" / "golive.po", lambda catalog: catalog.delete(THANKS))
    t = Translator("de", locales)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert t.gettext(THANKS) == THANKS
        assert t.gettext(THANKS) == THANKS
        assert t.pgettext("option", "All good") == "Alles gut"
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert "de" in warnings[0] and "'Thanks for telling us!'" in warnings[0] and "missing" in warnings[0]


def test_an_id_in_no_catalog_gives_its_english_text_filled_in(caplog: pytest.LogCaptureFixture) -> None:
    t = translator("fr")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert t.gettext("Not yet translated, {name}", name="Zoé") == "Not yet translated, Zoé"
        assert t.ngettext("{count} new thing", "{count} new things", 1) == "1 new thing"
        assert t.ngettext("{count} new thing", "{count} new things", 3) == "3 new things"
    assert any("'Not yet translated, {name}'" in message for message in _warnings(caplog))


def test_translations_whose_placeholders_differ_give_english(locales: Path, caplog: pytest.LogCaptureFixture) -> None:
    def break_it(catalog) -> None:  # noqa: ANN001
        catalog.get("We are live, {customer}! Here is how to get help.").string = "Wir sind live!"
        catalog.get(DAY).string = "Launch-Woche, Tag {tag} von {total}"
        catalog.get("Answers so far: {summary}").string = "Bisherige Antworten: {summary"
        catalog.get("Day {day} of launch week: {count} answer").string = ("Tag {day}: {count} Antwort", "Antworten")
        catalog.get("What happened?").flags.add("fuzzy")

    _edit(locales / "de" / "LC_MESSAGES" / "golive.po", break_it)
    t = Translator("de", locales)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert t.gettext("We are live, {customer}! Here is how to get help.", customer="Ana") == \
            "We are live, Ana! Here is how to get help."
        assert t.gettext(DAY, day=1, total=5) == "launch week, day 1 of 5"
        assert t.gettext("Answers so far: {summary}", summary="3") == "Answers so far: 3"
        assert t.ngettext("Day {day} of launch week: {count} answer", "Day {day} of launch week: {count} answers", 4,
                          day=2) == "Day 2 of launch week: 4 answers"
        assert t.gettext("What happened?") == "What happened?"
        assert t.gettext("How bad is it?") == "Wie sehr behindert es Sie?"
    warnings = "\n".join(_warnings(caplog))
    assert "placeholders [] differ from ['customer']" in warnings
    assert "placeholders ['tag', 'total'] differ" in warnings
    assert "not a valid template" in warnings
    assert "fuzzy" in warnings
    assert len(_warnings(caplog)) == 5


def test_a_call_without_a_placeholder_value_leaves_it_empty_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    t = translator("es")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        text = t.gettext(DAY, day=3)
    assert text == "semana de lanzamiento, día 3 de "
    assert "no value was passed for ['total']" in "\n".join(_warnings(caplog))


def test_a_malformed_catalog_logs_an_error_and_speaks_english(locales: Path, caplog: pytest.LogCaptureFixture) -> None:
    (locales / "ja" / "LC_MESSAGES" / "golive.po").write_text('msgid "Blocked"\nnot a po file\n', encoding="utf-8")
    (locales / "fr" / "LC_MESSAGES" / "golive.po").write_bytes(b"\xff\xfe\x00 not utf-8")
    shutil.rmtree(locales / "es")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        ja, fr, es = Translator("ja", locales), Translator("fr", locales), Translator("es", locales)
        assert ja.pgettext("button", ":red_circle: Blocked") == ":red_circle: Blocked"
        assert ja.ngettext("{count} more report linked", "{count} more reports linked", 2) == "2 more reports linked"
        live = "We are live, {customer}! Here is how to get help."
        assert fr.gettext(live, customer="Zoé") == "We are live, Zoé! Here is how to get help."
        assert es.gettext(THANKS) == THANKS
        # Formats still follow the locale.
        assert ja.format_list(["a", "b"]) == "a、b"
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3
    assert all("speaking English instead" in error for error in errors)
    assert any("catalog for ja" in error for error in errors)


def test_without_an_english_catalog_the_ids_are_the_english(locales: Path, caplog: pytest.LogCaptureFixture) -> None:
    shutil.rmtree(locales / "en")
    _edit(locales / "de" / "LC_MESSAGES" / "golive.po", lambda catalog: catalog.delete(THANKS))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert Translator("de", locales).gettext(THANKS) == THANKS
        assert Translator("en", locales).ngettext("{count} more launch", "{count} more launches", 1) == "1 more launch"


def test_text_past_a_context_limit_is_clipped(caplog: pytest.LogCaptureFixture) -> None:
    t = translator("en")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        button = t.pgettext("button", "Resolve {title}", title="x" * 200)
        title = t.pgettext("modal-title", "Issue {title}", title="y" * 40)
    assert len(button) == 75 and button.endswith("…")
    assert len(title) == 24 and title.endswith("…")
    assert any("clipped" in message for message in _warnings(caplog))


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
@pytest.mark.parametrize(
    "value",
    [
        "مرحبا بالعالم",  # Arabic, right to left
        "שלום עולם",  # Hebrew
        "\u202eevil\u202c \u200fمرحبا\u200f",  # bidi controls
        "山田太郎",
        "김민준",
        "e\u0301\u0301 👩🏽‍💻 🇯🇵",  # combining marks, a ZWJ sequence, a flag
        "{name} {{x}} %s <@U123>",  # looks like a template: stays as written
    ],
)
def test_user_text_in_a_placeholder_comes_out_unchanged(tag: str, value: str) -> None:
    t = translator(tag)
    text = t.gettext("We are live, {customer}! Here is how to get help.", customer=value)
    assert value in text
    assert t.gettext("{mark} {criterion}", mark=value, criterion=value).count(value) == 2
