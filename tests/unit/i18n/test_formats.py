"""Dates, times, numbers and lists the way each locale writes them (CLDR via Babel)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import get_day_names, get_month_names

from bot.core.i18n import SUPPORTED_LOCALES, translator


def _day(offset: int) -> date:
    return date.today() + timedelta(days=offset)


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
@pytest.mark.parametrize("offset", range(7))
def test_format_day_has_the_localised_weekday(tag: str, offset: int) -> None:
    t = translator(tag)
    d = _day(offset + 30)
    text = t.format_day(d)
    wide = get_day_names("wide", locale=t.babel_locale)[d.weekday()]
    short = get_day_names("abbreviated", locale=t.babel_locale)[d.weekday()]
    if tag == "ja":
        assert text == f"{d.month}月{d.day}日({short})"
    else:
        assert wide in text
        assert get_month_names("wide", locale=t.babel_locale)[d.month] in text
        assert str(d.day) in text
    assert str(d.year) not in text


def test_format_day_samples() -> None:
    d = _day(40)
    names = {tag: get_day_names("wide", locale=translator(tag).babel_locale)[d.weekday()] for tag in SUPPORTED_LOCALES}
    months = {tag: get_month_names("wide", locale=translator(tag).babel_locale)[d.month] for tag in SUPPORTED_LOCALES}
    # English as golive has always written it (strftime "%A %-d %B"), German with its comma and ordinal dot.
    assert translator("en").format_day(d) == f"{names['en']} {d.day} {months['en']}"
    assert translator("de").format_day(d) == f"{names['de']}, {d.day}. {months['de']}"
    assert translator("fr").format_day(d) == f"{names['fr']} {d.day} {months['fr']}"
    assert translator("es").format_day(d) == f"{names['es']}, {d.day} de {months['es']}"
    assert translator("pt-BR").format_day(d) == f"{names['pt-BR']}, {d.day} de {months['pt-BR']}"


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Sao_Paulo", "Asia/Tokyo"])
def test_format_datetime_shows_the_wall_time_in_the_zone(tag: str, zone: str) -> None:
    t = translator(tag)
    # 23:30 UTC: the next day in Tokyo, the same day in São Paulo; one date in winter and one in summer.
    for offset in (0, 182):
        instant = datetime.combine(_day(offset), time(23, 30), tzinfo=UTC)
        local = instant.astimezone(ZoneInfo(zone))
        text = t.format_datetime(instant, zone)
        # 24-hour in every supported locale; es and ja drop the hour's leading zero (CLDR "H:mm").
        assert re.search(rf"(?<!\d)0?{local.hour}:{local.minute:02d}(?!\d)", text), text
        assert t.format_day(local.date()) in text
        assert t.format_datetime(instant.replace(tzinfo=None), ZoneInfo(zone)) == text  # naive means UTC


def test_format_datetime_known_offsets() -> None:
    t = translator("en")
    instant = datetime.combine(_day(10), time(12, 0), tzinfo=UTC)
    assert t.format_datetime(instant, "Asia/Tokyo").endswith(", 21:00")
    assert t.format_datetime(instant, "America/Sao_Paulo").endswith(", 09:00")
    winter = ZoneInfo("Europe/Berlin").utcoffset(instant.replace(tzinfo=None)) == timedelta(hours=1)
    assert t.format_datetime(instant, "Europe/Berlin").endswith(", 13:00" if winter else ", 14:00")
    assert translator("ja").format_datetime(instant, "Asia/Tokyo", "HH:mm") == "21:00"
    with pytest.raises(Exception):  # noqa: B017 - an unknown zone is the caller's bug
        t.format_datetime(instant, "Mars/Olympus")


def test_format_date_and_time() -> None:
    d = _day(20)
    assert translator("de").format_date(d, "short") == d.strftime("%d.%m.%y")
    assert translator("ja").format_date(d, "short") == f"{d.year}/{d.month:02d}/{d.day:02d}"
    assert translator("en").format_date(d, "yyyy-MM-dd") == d.isoformat()
    assert str(d.year) in translator("fr").format_date(d, "full")
    assert translator("en").format_time(time(14, 5)) == "14:05"
    assert translator("de").format_time(time(9, 5)) == "09:05"


def test_format_list() -> None:
    items = ["Anna", "Ben", "Chloé"]
    assert translator("en").format_list(items) == "Anna, Ben and Chloé"
    assert translator("de").format_list(items) == "Anna, Ben und Chloé"
    assert translator("fr").format_list(items) == "Anna, Ben et Chloé"
    assert translator("ja").format_list(["山田", "佐藤", "鈴木"]) == "山田、佐藤、鈴木"
    assert translator("es").format_list(items) == "Anna, Ben y Chloé"
    assert translator("pt-BR").format_list(iter(items)) == "Anna, Ben e Chloé"
    assert translator("de").format_list(["Anna"]) == "Anna"
    assert translator("de").format_list(items, style="or") == "Anna, Ben oder Chloé"


def test_format_number() -> None:
    assert translator("en").format_number(1234567.5) == "1,234,567.5"
    assert translator("de").format_number(1234567.5) == "1.234.567,5"
    assert translator("pt-BR").format_number(1234.5) == "1.234,5"
    assert translator("ja").format_number(1234) == "1,234"
    assert translator("fr").format_number(1234).replace("\u202f", " ") == "1 234"
