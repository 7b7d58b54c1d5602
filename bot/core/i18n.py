"""Internationalisation: which locales golive speaks, and a `Translator` per locale that turns an English
message id into that locale's text and formats dates, times, numbers and lists the way its people write them.

What lives here (imports only the standard library and Babel):

- `SUPPORTED_LOCALES`, `parse_locale()` (BCP 47 tag → one of them, or `ValueError`), `default_locale()`
  (the `GOLIVE_LOCALE` variable, default `en`: new launches and vendor-facing posts use it), `person_locale()`
  (a person's Slack locale when supported, else a default: what a CSM's DMs and Home are written in).
- `translator(locale)`: a cached, thread-safe `Translator`. Its `gettext`, `ngettext`, `pgettext` and
  `npgettext` take the English text as the id and named `{placeholders}` as keyword arguments.
- `N_` and `NP_`: markers for strings defined at import time, so extraction finds them.
- `CONTEXT_LIMITS`: the Slack length limit that goes with a message context (`button` 75, `modal-title` 24…).

Catalogs are the gettext sources `bot/locales/<dir>/LC_MESSAGES/golive.po` (dir is the Babel form: `pt_BR`).
They are read with Babel and held in memory on first use: there is no build step and no `.mo` file.

Nothing here ever raises into a handler because of a catalog: a missing or fuzzy entry, or a translation whose
`{placeholders}` differ from the English id's, gives the English text; a placeholder the call gives no value for
is left empty; a text past its context's Slack limit is clipped with "…". Each logs one warning per locale, id
and problem. A catalog that cannot be read logs an error and the locale speaks English. Values passed for
placeholders are inserted unchanged: escape people's text for Slack (bot.core.text) before passing it.
"""

from __future__ import annotations

import gettext as _gnu_gettext
import logging
import re
import string
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.dates import format_time as _babel_format_time
from babel.dates import match_skeleton
from babel.lists import format_list as _babel_format_list
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

log = logging.getLogger("golive.i18n")

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "de", "fr", "es", "pt-BR", "ja")
DEFAULT_LOCALE = "en"
LOCALE_ENV = "GOLIVE_LOCALE"
DOMAIN = "golive"
LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"

# A message's context (msgctxt) says where Slack shows it, and so the most characters it may have.
CONTEXT_LIMITS: dict[str, int] = {
    "button": 75,  # a button's text
    "option": 75,  # a select menu's or radio button's option text
    "modal-title": 24,  # a modal's title
    "modal-button": 24,  # a modal's submit or close button
    "header": 150,  # a header block
}

# CLDR data used for dates, times and numbers, where it differs from the tag: golive's English has always
# written "Monday 3 March" and a 24-hour clock, which is CLDR's en_GB, not its en (US).
_FORMAT_LOCALE = {"en": "en-GB"}
# The skeleton behind `format_day`, where the default ("MMMMEEEEd") is not how a locale writes a day:
# Japanese puts the short weekday in brackets after the date, 3月3日(月).
_DAY_SKELETON = {"ja": "MMMEd"}
# Patterns for `format_short_day`, where CLDR's for the skeleton is not how golive writes a short day: English has
# always written "Mon 8 Mar 2027", without CLDR en_GB's comma.
_SHORT_DAY_PATTERNS = {"en": {"yMMMEd": "EEE d MMM y", "MMMEd": "EEE d MMM", "full": "EEEE d MMMM y"}}

_LANGUAGE = re.compile(r"[A-Za-z]{2,3}")
_SUBTAG = re.compile(r"[A-Za-z0-9]{1,8}")
_FORMATTER = string.Formatter()
_QUOTED = re.compile(r"'([^']*)'")

Key = tuple[str | None, str]  # (context, msgid); the singular is the id of a plural entry


def N_(message: str) -> str:
    """Mark `message` for extraction where it is defined; translate it where it is shown."""
    return message


def NP_(context: str, message: str) -> str:
    """Mark `message` with a context for extraction; translate it later with `pgettext(context, message)`."""
    return message


def _refusal(tag: object, why: str) -> str:
    shown = repr(tag)
    if len(shown) > 40:
        shown = shown[:39] + "…"
    return f"{why} locale {shown}; supported: {', '.join(SUPPORTED_LOCALES)}"


def parse_locale(tag: str) -> str:
    """The supported locale a BCP 47 tag asks for, in its canonical spelling (`pt_br`, `PT-br` → `pt-BR`).

    Case and `_` versus `-` do not matter. A tag more specific than a supported one falls back to it by
    dropping subtags from the right (RFC 4647 lookup): `de-DE`, `de-AT` → `de`, `en-US` → `en`,
    `ja-JP` → `ja`, `pt-BR-x-acme` → `pt-BR`. A language whose only catalog is for one region is not
    stretched to cover others: `pt` and `pt-PT` are refused, as are unknown, malformed and empty tags, with
    a `ValueError` whose one-line message names the supported locales.
    """
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError(_refusal(tag, "empty"))
    parts = tag.strip().replace("_", "-").split("-")
    if not _LANGUAGE.fullmatch(parts[0]) or not all(_SUBTAG.fullmatch(part) for part in parts[1:]):
        raise ValueError(_refusal(tag, "malformed"))
    supported = {known.lower(): known for known in SUPPORTED_LOCALES}
    wanted = [part.lower() for part in parts]
    for size in range(len(wanted), 0, -1):
        found = supported.get("-".join(wanted[:size]))
        if found is not None:
            return found
    raise ValueError(_refusal(tag, "unsupported"))


def default_locale(env: Mapping[str, str]) -> str:
    """The locale named by `GOLIVE_LOCALE` in `env` (`en` when unset or blank); `ValueError` naming the
    variable when it is not a supported locale."""
    value = (env.get(LOCALE_ENV) or "").strip()
    if not value:
        return DEFAULT_LOCALE
    try:
        return parse_locale(value)
    except ValueError as exc:
        raise ValueError(f"{LOCALE_ENV}: {exc}") from None


def person_locale(slack_locale: str | None, default: str) -> str:
    """The locale to write to one person in: their Slack locale (`users.info` with `include_locale`, "fr-FR")
    when golive speaks it, else `default` (GOLIVE_LOCALE, for the vendor's staff)."""
    if slack_locale:
        try:
            return parse_locale(slack_locale)
        except ValueError:
            pass
    return parse_locale(default)


def catalog_dir_name(locale: str) -> str:
    """The folder of a locale's catalog under bot/locales (`pt-BR` → `pt_BR`)."""
    return parse_locale(locale).replace("-", "_")


def catalog_path(locale: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / catalog_dir_name(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"


def placeholders(text: str) -> frozenset[str] | None:
    """The names of the `{placeholders}` in `text`, or None when it is not a valid template: a stray brace,
    or a field that is not a plain name (`{0}`, `{}`, `{user.name}`, `{items[0]}`). `{{` and `}}` are
    literal braces."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        return None
    names = set()
    for _literal, name, spec, _conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or (spec and "{" in spec):
            return None
        names.add(name)
    return frozenset(names)


@dataclass
class Catalog:
    """One locale's translations as read from its .po file, checked on loading.

    `messages` holds the usable entries (a string, or a tuple of plural forms); `problems` says why each
    other entry is unusable (fuzzy, untranslated, placeholders differ, wrong number of plural forms)."""

    locale: str
    path: Path
    nplurals: int
    plural: Callable[[int], int]
    messages: dict[Key, str | tuple[str, ...]] = field(default_factory=dict)
    problems: dict[Key, str] = field(default_factory=dict)


def _entry_problem(msgid: str | tuple[str, ...], msgstr: str | tuple[str, ...], nplurals: int) -> str | None:
    if isinstance(msgid, tuple):
        expected = placeholders(msgid[0])
        plural_names = placeholders(msgid[1])
        if expected is None or plural_names is None:
            return "its English id is not a valid template"
        expected = expected | plural_names
        forms = msgstr if isinstance(msgstr, tuple) else (msgstr,)
        if len(forms) != nplurals:
            return f"it has {len(forms)} plural forms where Plural-Forms says {nplurals}"
        texts = forms
    else:
        expected = placeholders(msgid)
        if expected is None:
            return "its English id is not a valid template"
        if isinstance(msgstr, tuple):
            return "it is a plural entry for a singular id"
        texts = (msgstr,)
    for text in texts:
        if not text:
            return "it is not translated"
        found = placeholders(text)
        if found is None:
            return "its translation is not a valid template"
        if found != expected:
            return f"its translation's placeholders {sorted(found)} differ from {sorted(expected)}"
    return None


def load_catalog(locale: str, locales_dir: Path = LOCALES_DIR) -> Catalog:
    """Read and check a locale's catalog. Raises (OSError, ValueError, babel's PoFileError…) when the file
    is missing or malformed; a bad entry only lands in `problems`."""
    tag = parse_locale(locale)
    path = catalog_path(tag, locales_dir)
    with path.open("rb") as handle:
        po = read_po(handle, domain=DOMAIN, abort_invalid=True)
    nplurals = int(po.num_plurals)
    plural = _gnu_gettext.c2py(po.plural_expr)
    catalog = Catalog(locale=tag, path=path, nplurals=nplurals, plural=plural)
    for message in po:
        if not message.id:
            continue  # the header
        msgid = message.id
        key: Key = (message.context, msgid[0] if isinstance(msgid, tuple) else msgid)
        if message.fuzzy:
            catalog.problems[key] = "its translation is marked fuzzy"
            continue
        msgstr = tuple(message.string) if isinstance(message.string, (tuple, list)) else message.string
        problem = _entry_problem(msgid, msgstr, nplurals)
        if problem is None:
            catalog.messages[key] = msgstr
        else:
            catalog.problems[key] = problem
    return catalog


def _load_or_none(locale: str, locales_dir: Path) -> Catalog | None:
    try:
        return load_catalog(locale, locales_dir)
    except Exception as exc:  # a catalog never takes the bot down: the locale speaks English
        log.error("i18n: catalog for %s cannot be used (%s: %s); speaking English instead",
                  locale, type(exc).__name__, exc)
        return None


class _Values(dict):
    """Placeholder values for str.format_map; notes the names that were not given and renders them empty."""

    def __init__(self, params: Mapping[str, object]):
        super().__init__(params)
        self.missing: list[str] = []

    def __missing__(self, key: str) -> str:
        self.missing.append(key)
        return ""


class Translator:
    """One locale's messages and formats. Safe to share between threads; get one through `translator()`."""

    def __init__(self, locale: str, locales_dir: Path | None = None):
        self.locale: str = parse_locale(locale)
        directory = locales_dir if locales_dir is not None else LOCALES_DIR
        self.babel_locale: Locale = Locale.parse(_FORMAT_LOCALE.get(self.locale, self.locale), sep="-")
        self._catalog = _load_or_none(self.locale, directory)
        if self.locale == DEFAULT_LOCALE:
            self._english = self._catalog
        else:
            self._english = _load_or_none(DEFAULT_LOCALE, directory)
        self._warned: set[tuple[str, str | None, str, str]] = set()
        self._lock = threading.Lock()
        self._day_pattern = _day_pattern(self.babel_locale, _DAY_SKELETON.get(self.locale, "MMMMEEEEd"))

    def __repr__(self) -> str:
        return f"Translator({self.locale!r})"

    @property
    def display_name(self) -> str:
        """The locale's name in its own language, for a picker: `Deutsch`, `português (Brasil)`, `日本語`."""
        return Locale.parse(self.locale, sep="-").display_name or self.locale

    # --- messages ----------------------------------------------------------------------------------------

    def knows(self, msgid: str, context: str | None = None) -> bool:
        """Whether `msgid` is a message of the catalogs (the English one has every id the code marks)."""
        english = self._english
        return english is not None and ((context, msgid) in english.messages or (context, msgid) in english.problems)

    def gettext(self, msgid: str, /, **params: object) -> str:
        """`msgid` (the English text) in this locale, its `{placeholders}` filled from `params`."""
        return self._message(None, msgid, None, None, params)

    def pgettext(self, context: str, msgid: str, /, **params: object) -> str:
        """Like `gettext`, for a message with a context (`button`, `modal-title`…, see CONTEXT_LIMITS)."""
        return self._message(context, msgid, None, None, params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The form for `n` by the catalog's Plural-Forms. `{count}` is `n` written the locale's way
        unless `count` is passed. Singular and plural must name the same placeholders."""
        return self._message(None, singular, plural, n, params)

    def npgettext(self, context: str, singular: str, plural: str, n: int, /, **params: object) -> str:
        return self._message(context, singular, plural, n, params)

    def _message(self, context: str | None, msgid: str, plural: str | None, n: int | None,
                 params: Mapping[str, object]) -> str:
        if n is not None and "count" not in params:
            params = {**params, "count": self.format_number(n)}
        template = self._template(context, msgid, plural, n)
        values = _Values(params)
        try:
            text = template.format_map(values)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            self._warn(context, msgid, f"it cannot be filled in ({type(exc).__name__}: {exc})")
            text = _strip_fields(template, params)
        if values.missing:
            self._warn(context, msgid, f"no value was passed for {sorted(set(values.missing))}")
        limit = CONTEXT_LIMITS.get(context or "")
        if limit is not None and len(text) > limit:
            self._warn(context, msgid, f"it is longer than the {limit} characters a {context} may have; clipped")
            text = text[: limit - 1] + "…"
        return text

    def _template(self, context: str | None, msgid: str, plural: str | None, n: int | None) -> str:
        key: Key = (context, msgid)
        found = _pick(self._catalog, key, plural, n)
        if found is not None:
            return found
        if self._catalog is not None:
            reason = self._catalog.problems.get(key, "it is missing from the catalog")
            self._warn(context, msgid, reason + "; using English")
        if self._english is not self._catalog:
            found = _pick(self._english, key, plural, n)
            if found is not None:
                return found
        return msgid if plural is None or n == 1 else plural

    def _warn(self, context: str | None, msgid: str, reason: str) -> None:
        key = (self.locale, context, msgid, reason)
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        where = f"{context}: " if context else ""
        log.warning("i18n: %s: %s%r: %s", self.locale, where, msgid, reason)

    # --- formats -----------------------------------------------------------------------------------------

    def format_date(self, d: date, format: str = "medium") -> str:
        """A date as "full", "long", "medium", "short" or a CLDR pattern ("d MMM y")."""
        return _babel_format_date(d, format=format, locale=self.babel_locale)

    def format_day(self, d: date) -> str:
        """Weekday, day and month the locale's way: "Monday 3 March", "Montag, 3. März", "3月3日(月)"."""
        return _babel_format_date(d, format=self._day_pattern, locale=self.babel_locale)

    def format_short_day(self, d: date, year: bool = True) -> str:
        """A short weekday, day, short month (and year): "Mon 8 Mar 2027", "Mo., 8. März 2027",
        "2027年3月8日(月)"; for lists and cards where `format_day` is too long."""
        skeleton = "yMMMEd" if year else "MMMEd"
        pattern = _SHORT_DAY_PATTERNS.get(self.locale, {}).get(skeleton)
        if pattern is None:
            best = match_skeleton(skeleton, self.babel_locale.datetime_skeletons) or skeleton
            pattern = str(self.babel_locale.datetime_skeletons[best].pattern)
        return _babel_format_date(d, format=pattern, locale=self.babel_locale)

    def format_full_day(self, d: date) -> str:
        """Weekday, day, month and year: "Monday 8 March 2027" (golive's English, without CLDR en_GB's comma),
        "Montag, 8. März 2027", "2027年3月8日月曜日"."""
        pattern = _SHORT_DAY_PATTERNS.get(self.locale, {}).get("full", "full")
        return _babel_format_date(d, format=pattern, locale=self.babel_locale)

    def format_short_datetime(self, dt: datetime, tz: str | tzinfo) -> str:
        """The instant `dt` (naive means UTC) as a short day and time in `tz`: "Mon 8 Mar 13:00"."""
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        local = (dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)).astimezone(zone)
        return f"{self.format_short_day(local.date(), year=False)} {self.format_time(local.time())}"

    def format_time(self, t: time, format: str = "short") -> str:
        """A wall-clock time ("14:30"); for an instant in a zone use `format_datetime`."""
        return _babel_format_time(t, format=format, locale=self.babel_locale)

    def format_datetime(self, dt: datetime, tz: str | tzinfo, format: str = "day") -> str:
        """The instant `dt` (naive means UTC) as the wall time in `tz` (an IANA name or a tzinfo).

        `format` "day" (the default) is `format_day` and the short time ("Monday 3 March, 14:30"); "full",
        "long", "medium", "short" or a CLDR pattern go to Babel."""
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        instant = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
        local = instant.astimezone(zone)
        if format == "day":
            glue = _QUOTED.sub(r"\1", str(self.babel_locale.datetime_formats["medium"]))  # "{1} 'um' {0}"
            return glue.replace("{1}", self.format_day(local)).replace("{0}", self.format_time(local.time()))
        return _babel_format_datetime(local, format=format, tzinfo=zone, locale=self.babel_locale)

    def format_number(self, n: float, format: str | None = None) -> str:
        """A number with the locale's separators: 1,234.5 / 1.234,5 / 1 234,5; `format` a CLDR number pattern
        ("0.0": always one decimal)."""
        return format_decimal(n, format=format, locale=self.babel_locale)

    def format_percent(self, ratio: float) -> str:
        """A ratio as a whole percentage the locale's way: 75%, 75 %, 75 %."""
        return format_percent(ratio, locale=self.babel_locale)

    def format_list(self, items: Iterable[str], style: str = "standard") -> str:
        """"a, b and c" / "a, b und c" / "a、b、c" (Babel's styles: standard, or, unit…)."""
        return _babel_format_list(list(items), style=style, locale=self.babel_locale)


def _pick(catalog: Catalog | None, key: Key, plural: str | None, n: int | None) -> str | None:
    if catalog is None:
        return None
    entry = catalog.messages.get(key)
    if entry is None:
        return None
    if plural is None:
        return entry if isinstance(entry, str) else None
    if not isinstance(entry, tuple):
        return None
    try:
        index = catalog.plural(abs(int(n or 0)))
    except Exception:
        return None
    return entry[index] if 0 <= index < len(entry) else None


def _strip_fields(template: str, params: Mapping[str, object]) -> str:
    """A template that str.format refused, filled field by field so no `{placeholder}` reaches Slack."""
    out: list[str] = []
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError:
        return template.replace("{", "").replace("}", "")
    for literal, name, _spec, _conversion in parsed:
        out.append(literal)
        if name is not None and name in params:
            out.append(str(params[name]))
    return "".join(out)


def _day_pattern(locale: Locale, skeleton: str) -> str:
    """The locale's pattern for `skeleton`, its field widths set to the skeleton's (CLDR's rule, which
    Babel's format_skeleton skips): a wide weekday where the skeleton asks EEEE, a month name where it asks
    MMMM and the pattern has a text month; a numeric month stays numeric."""
    best = match_skeleton(skeleton, locale.datetime_skeletons) or "MMMEd"
    pattern = str(locale.datetime_skeletons[best].pattern)
    widths = {letter: skeleton.count(letter) for letter in "EM"}
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            quoted = not quoted
            out.append(ch)
            i += 1
            continue
        run = 1
        while not quoted and i + run < len(pattern) and pattern[i + run] == ch:
            run += 1
        if not quoted and ch == "E":
            run_out = max(run, widths["E"]) if widths["E"] >= 4 else run
            out.append("E" * run_out)
        elif not quoted and ch in "ML" and run >= 3 and widths["M"] >= 4:
            out.append(ch * 4)
        else:
            out.append(ch * run)
        i += run
    return "".join(out)


_translators: dict[str, Translator] = {}
_translators_lock = threading.Lock()


def translator(locale: str) -> Translator:
    """The shared Translator for `locale` (any tag `parse_locale` accepts; `ValueError` for others),
    reading its catalog on first use."""
    tag = parse_locale(locale)
    found = _translators.get(tag)
    if found is not None:
        return found
    with _translators_lock:
        found = _translators.get(tag)
        if found is None:
            found = _translators[tag] = Translator(tag)
        return found


def clear_translators() -> None:
    """Forget every cached Translator, so the next `translator()` reads the catalogs again (tests, tools)."""
    with _translators_lock:
        _translators.clear()
