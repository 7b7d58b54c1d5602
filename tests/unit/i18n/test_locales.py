"""Locale tags: which are accepted, how they are spelled back, and the shared translators."""

from __future__ import annotations

import ast
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.core import i18n
from bot.core.i18n import SUPPORTED_LOCALES, default_locale, parse_locale, person_locale, translator


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"), ("EN", "en"), (" de ", "de"), ("fr", "fr"), ("es", "es"), ("ja", "ja"),
        ("pt-BR", "pt-BR"), ("pt_BR", "pt-BR"), ("pt_br", "pt-BR"), ("PT-br", "pt-BR"), ("pt-BR-x-acme", "pt-BR"),
        # A region (or script, or extension) of a supported language falls back to it.
        ("de-DE", "de"), ("de_AT", "de"), ("de-CH", "de"), ("en-US", "en"), ("en_GB", "en"), ("fr-CA", "fr"),
        ("es-419", "es"), ("es-MX", "es"), ("ja-JP", "ja"), ("ja-Jpan-JP", "ja"), ("de-u-co-phonebk", "de"),
    ],
)
def test_parse_locale_accepts_and_normalises(tag: str, expected: str) -> None:
    assert parse_locale(tag) == expected


def test_every_supported_locale_is_its_own_canonical_form() -> None:
    assert [parse_locale(tag) for tag in SUPPORTED_LOCALES] == list(SUPPORTED_LOCALES)


@pytest.mark.parametrize(
    "tag",
    [
        "", "   ", "zh", "zh-Hant-TW", "it", "pt", "pt-PT", "klingon", "x", "e", "123", "de--DE", "de-", "-de",
        "de DE", "de.UTF-8", "de_DE.UTF-8", "en@euro", "ja-JP-toolongsubtag", "C", "../etc", "de\nDE",
        "a" * 500,
    ],
)
def test_parse_locale_refuses_unknown_and_malformed_naming_the_supported_ones(tag: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_locale(tag)
    message = str(raised.value)
    assert "\n" not in message
    assert "en, de, fr, es, pt-BR, ja" in message
    assert len(message) < 160


@pytest.mark.parametrize("tag", [None, 3, b"de"])
def test_parse_locale_refuses_what_is_not_a_string(tag: object) -> None:
    with pytest.raises(ValueError, match="supported: en, de"):
        parse_locale(tag)  # type: ignore[arg-type]


def test_default_locale_reads_golive_locale() -> None:
    assert default_locale({}) == "en"
    assert default_locale({"GOLIVE_LOCALE": "  "}) == "en"
    assert default_locale({"GOLIVE_LOCALE": "pt_br"}) == "pt-BR"
    with pytest.raises(ValueError, match=r"^GOLIVE_LOCALE: unsupported locale 'zh'; supported: "):
        default_locale({"GOLIVE_LOCALE": "zh"})


@pytest.mark.parametrize(("slack", "default", "expected"), [
    ("fr-FR", "de", "fr"), ("ja-JP", "en", "ja"), ("pt-BR", "en", "pt-BR"), ("en-US", "de", "en"),
    ("ko-KR", "de", "de"), ("pt-PT", "es", "es"), (None, "fr", "fr"), ("", "ja", "ja"), ("!!", "en", "en"),
])
def test_a_persons_slack_locale_wins_when_golive_speaks_it(slack: str | None, default: str, expected: str) -> None:
    assert person_locale(slack, default) == expected


def test_short_days_follow_the_locale_and_english_keeps_its_old_form() -> None:
    day = date(2027, 3, 8)
    assert translator("en").format_short_day(day) == "Mon 8 Mar 2027"
    assert translator("en").format_short_day(day, year=False) == "Mon 8 Mar"
    assert translator("de").format_short_day(day) == "Mo., 8. März 2027"
    assert translator("ja").format_short_day(day) == "2027年3月8日(月)"
    assert translator("en").format_full_day(day) == "Monday 8 March 2027"
    assert translator("fr").format_full_day(day) == "lundi 8 mars 2027"
    noon = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)
    assert translator("fr").format_short_datetime(noon, "Europe/Paris") == "lun. 8 mars 13:00"
    assert translator("en").format_short_datetime(noon.replace(tzinfo=None), "Asia/Tokyo") == "Mon 8 Mar 21:00"


def test_translator_is_cached_per_locale_and_shared_between_threads() -> None:
    i18n.clear_translators()
    seen: list[i18n.Translator] = []
    lock = threading.Lock()

    def get() -> None:
        found = translator("pt_BR")
        with lock:
            seen.append(found)

    threads = [threading.Thread(target=get) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(found) for found in seen}) == 1
    assert seen[0].locale == "pt-BR"
    assert translator("pt-BR") is seen[0]
    assert translator("de") is translator("de-DE") is not translator("en")
    with pytest.raises(ValueError):
        translator("zh")


def test_display_names_are_in_their_own_language() -> None:
    names = {tag: translator(tag).display_name for tag in SUPPORTED_LOCALES}
    assert names == {"en": "English", "de": "Deutsch", "fr": "français", "es": "español",
                     "pt-BR": "português (Brasil)", "ja": "日本語"}


def test_the_runtime_module_imports_only_the_standard_library_and_babel() -> None:
    tree = ast.parse(Path(i18n.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots - set(sys.stdlib_module_names) - {"__future__"} == {"babel"}
