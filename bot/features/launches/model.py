"""A launch as people describe it — `golive launch add` options, a `launch import` YAML entry — validated by
one pydantic model. Each field says what it accepts; a refusal reads as one line naming the field, as the
command line shows it (`bad checkin-time '25:00': use HH:MM (24-hour)`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, model_validator

from bot.core.clock import parse_date, parse_hhmm, parse_support_hours, parse_zone
from bot.core.errors import InvalidInput
from bot.core.i18n import DEFAULT_LOCALE, parse_locale

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
ONCALL_ID = re.compile(r"^([UW][A-Z0-9]{2,}|S[A-Z0-9]{2,})$")
SEVERITIES = ("sev1", "sev2", "sev3")
RETRO_DAYS = range(14, 29)
MAX_CUSTOMER = 200
MAX_GOAL = 500
REQUIRED = ("customer", "channel", "go_live", "tz")
ITEM_KEY = re.compile(r"^\w[\w-]{0,63}$")  # a goal's or criterion's key: criteria keys are slugs of their text
LABELS = {"go_live": "go-live date"}  # otherwise the option's name: checkin_time → checkin-time

Check = Callable[[Any, str], Any]  # (value, label) → the clean value, or ValueError with the one-line reason


def _label(info: ValidationInfo) -> str:
    name = info.field_name or ""
    return LABELS.get(name, name.replace("_", "-"))


def checked(check: Check) -> BeforeValidator:
    """A field check that knows the field's name; the domain's own parsers (InvalidInput) count as refusals."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        try:
            return check(value, _label(info))
        except InvalidInput as err:
            raise ValueError(str(err)) from None

    return BeforeValidator(validate)


# -- single values ------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def channel_id(value: Any, what: str) -> str:
    if value is None:
        raise ValueError(f"missing {what}")
    text = str(value).strip()
    if not CHANNEL_ID.match(text):
        raise ValueError(f"{what} {text!r} is not a Slack channel id (C… or G…)")
    return text


def user_id(value: Any, what: str) -> str:
    text = str(value).strip()
    if not USER_ID.match(text):
        raise ValueError(f"{what} {text!r} is not a Slack user id (U… or W…)")
    return text


def oncall_id(value: Any, what: str) -> str:
    text = str(value).strip()
    if not ONCALL_ID.match(text):
        raise ValueError(f"{what} {text!r} must be a user id (U…) or a user-group id (S…)")
    return text


def whole(low: int, high: int) -> Check:
    def check(value: Any, what: str) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"{what} must be a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"{what} must be between {low} and {high}, not {number}")
        return number

    return check


def hours(top: float) -> Check:
    def check(value: Any, what: str) -> float:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(f"{what} must be a number of hours") from None
        if not 0 < number <= top:
            raise ValueError(f"{what} must be more than 0 and at most {top:g} hours")
        return number

    return check


def flag(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"{what} must be true or false")


def text_of(limit: int) -> Check:
    def check(value: Any, what: str) -> str:
        text = str(value).strip()
        if not text or len(text) > limit:
            raise ValueError(f"{what} must be 1–{limit} characters")
        return text

    return check


@lru_cache(maxsize=1024)
def _zone_problem(name: str) -> str | None:
    """Each zone name is looked up once per process, however many launches name it."""
    try:
        parse_zone(name)
    except InvalidInput as err:
        return str(err)
    return None


def zone(value: Any, _what: str) -> str:
    name = str(value)
    problem = _zone_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def locale_tag(value: Any, _what: str) -> str:
    """A BCP 47 tag golive speaks, in its canonical spelling (`pt_br` → `pt-BR`, `de-AT` → `de`)."""
    return parse_locale(str(value))


def day(value: Any, what: str) -> date:
    return parse_date(str(value), what)


def clock_time(value: Any, what: str) -> str:
    return parse_hhmm(str(value), what).strftime("%H:%M")


def weekday_hours(value: Any, _what: str) -> str:
    parse_support_hours(str(value))
    return str(value).strip()


def link(value: Any, what: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"https?://\S{3,2000}", text):
        raise ValueError(f"{what} must be an http(s) link")
    return text


def slug(text: str, limit: int = 60) -> str:
    """The key a goal or criterion gets from its text (the checklist's own criteria keys are made the same way)."""
    value = re.sub(r"[^\w]+", "_", text.casefold(), flags=re.UNICODE).strip("_")
    return value[:limit].rstrip("_") or "item"


def keyed_items(value: Any, what: str, limit: int) -> tuple[list[str], list[str]]:
    """Goals and criteria: each a text, or a `{key, text}` mapping whose key keeps its state across imports
    (a goal's review, a ticked criterion) while the text changes. Returns (texts, keys); a text alone is keyed
    by its slug."""
    texts: list[str] = []
    keys: list[str] = []
    for number, item in enumerate(_as_list(value), start=1):
        if isinstance(item, Mapping):
            other = sorted(str(k) for k in item if k not in ("key", "text"))
            if other or "key" not in item or "text" not in item:
                raise ValueError(f"{what} #{number} must be a text or a mapping with exactly `key` and `text`"
                                 + (f" (unknown: {', '.join(other)})" if other else ""))
            key, text = str(item["key"]).strip(), str(item["text"]).strip()
            if not ITEM_KEY.match(key):
                raise ValueError(f"{what} key {key!r} must be letters, digits, _ or -, at most 64")
        else:
            text = str(item).strip()
            key = slug(text)
        if not text or len(text) > limit:
            raise ValueError(f"each {what} must be 1–{limit} characters")
        if key in keys:
            raise ValueError(f"{what} key {key!r} is listed twice")
        texts.append(text)
        keys.append(key)
    return texts, keys


def severity(value: str) -> str:
    if value not in SEVERITIES:
        raise ValueError(f"severity {value!r} must be sev1, sev2 or sev3")
    return value


# -- lists (an option that may repeat; one value or a list in YAML) -----------------------------------------


def each(check: Check) -> Check:
    return lambda value, what: tuple(check(item, what) for item in _as_list(value))


def each_text(limit: int) -> Check:
    def check(value: Any, what: str) -> tuple[str, ...]:
        items = tuple(str(item).strip() for item in _as_list(value))
        if any(not item or len(item) > limit for item in items):
            raise ValueError(f"each {what} must be 1–{limit} characters")
        return items

    return check


def days(value: Any, what: str) -> tuple[str, ...]:
    return tuple(sorted({parse_date(str(item), what).isoformat() for item in _as_list(value)}))


def pairs(key_name: str) -> Callable[[Any, str], list[tuple[str, Any]]]:
    """KEY=VALUE strings (CLI), a mapping, or a list of {key_name: …, channel/minutes: …} mappings (YAML)."""

    def split(value: Any, what: str) -> list[tuple[str, Any]]:
        if isinstance(value, Mapping):
            found = [(str(k).strip(), v) for k, v in value.items()]
        else:
            found = [_pair(item, what, key_name) for item in _as_list(value)]
        if any(not key for key, _ in found):
            raise ValueError(f"{what} entries need a non-empty {key_name}")
        return found

    return split


def _pair(item: Any, what: str, key_name: str) -> tuple[str, Any]:
    if isinstance(item, Mapping):
        other = [k for k in item if k != key_name]
        if key_name not in item or len(other) != 1:
            raise ValueError(f"each {what} entry needs `{key_name}` and one value")
        return str(item[key_name]).strip(), item[other[0]]
    if isinstance(item, str) and "=" in item:
        key, _, val = item.partition("=")
        return key.strip(), val.strip()
    raise ValueError(f"{what} {item!r} must look like KEY=VALUE")


def routes(value: Any, what: str) -> tuple[tuple[str, str], ...]:
    return tuple((keyword, channel_id(channel, f"route channel for {keyword!r}"))
                 for keyword, channel in pairs("keyword")(value, what))


def severity_channels(value: Any, what: str) -> tuple[tuple[str, str], ...]:
    return tuple((severity(sev), channel_id(channel, f"{sev} channel"))
                 for sev, channel in pairs("severity")(value, what))


def slas(value: Any, what: str) -> tuple[tuple[str, int], ...]:
    return tuple((severity(sev), whole(1, 10_080)(minutes, f"sla for {sev}"))
                 for sev, minutes in pairs("severity")(value, what))


# -- the model ----------------------------------------------------------------------------------------------

Channel = Annotated[str, checked(channel_id)]
OptionalChannel = Annotated[str | None, checked(channel_id)]
Users = Annotated[tuple[str, ...], checked(each(user_id))]


class LaunchInput(BaseModel):
    """A validated launch description. `given` holds the fields that were given (not None): an update with
    `partial=True` changes only those; the four required fields default to placeholders then."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)

    customer: Annotated[str, checked(text_of(MAX_CUSTOMER))] = ""
    channel: Channel = ""
    go_live: Annotated[date, checked(day)] = date.min
    tz: Annotated[str, checked(zone)] = "UTC"
    checkin_time: Annotated[str, checked(clock_time)] = "10:00"
    digest_time: Annotated[str, checked(clock_time)] = "08:30"
    checkin_days: Annotated[int, checked(whole(1, 10))] = 5
    csm: Users = ()
    support_channel: OptionalChannel = None
    urgent_channel: OptionalChannel = None
    oncall: Annotated[str | None, checked(oncall_id)] = None
    oncall2: Annotated[str | None, checked(oncall_id)] = None
    leadership_channel: OptionalChannel = None
    leader: Users = ()
    goal: Annotated[tuple[str, ...], checked(each_text(MAX_GOAL))] = ()
    retro_after_days: Annotated[int, checked(whole(RETRO_DAYS.start, RETRO_DAYS.stop - 1))] = 14
    holiday: Annotated[tuple[str, ...], checked(days)] = ()
    nudges: Annotated[bool, checked(flag)] = True
    nudge_after_hours: Annotated[float, checked(hours(12))] = 3.0
    checkin_grace_hours: Annotated[float, checked(hours(12))] = 3.0
    show_names: Annotated[bool, checked(flag)] = False
    route: Annotated[tuple[tuple[str, str], ...], checked(routes)] = ()
    severity_channel: Annotated[tuple[tuple[str, str], ...], checked(severity_channels)] = ()
    sla: Annotated[tuple[tuple[str, int], ...], checked(slas)] = ()
    escalation_steps: Annotated[int, checked(whole(1, 10))] = 3
    support_hours: Annotated[str | None, checked(weekday_hours)] = None
    support_tz: Annotated[str | None, checked(zone)] = None
    update_reminder_minutes: Annotated[int, checked(whole(5, 1440))] = 30
    csm_channel: OptionalChannel = None
    training_link: Annotated[str | None, checked(link)] = None
    adoption_nudges: Annotated[bool, checked(flag)] = False
    quiet_days: Annotated[int, checked(whole(1, 30))] = 5
    fallback_doc: Annotated[str | None, checked(link)] = None
    retro_window_days: Annotated[int, checked(whole(1, 10))] = 3
    criterion: Annotated[tuple[str, ...], checked(each_text(MAX_GOAL))] = ()
    # The language of everything the customer's people see (GOLIVE_LOCALE when a new launch does not say).
    locale: Annotated[str, checked(locale_tag)] = DEFAULT_LOCALE
    # The keys of `goal` and `criterion`, position by position (a text's slug unless given as {key, text}).
    goal_key: tuple[str, ...] = ()
    criterion_key: tuple[str, ...] = ()
    given: frozenset[str] = frozenset()

    FIELDS: ClassVar[tuple[str, ...]] = (
        "customer", "channel", "go_live", "tz", "checkin_time", "digest_time", "checkin_days", "csm",
        "support_channel", "urgent_channel", "oncall", "oncall2", "leadership_channel", "leader", "goal",
        "retro_after_days", "holiday", "nudges", "nudge_after_hours", "checkin_grace_hours", "show_names",
        "route", "severity_channel", "sla", "escalation_steps", "support_hours", "support_tz",
        "update_reminder_minutes", "csm_channel", "training_link", "adoption_nudges", "quiet_days",
        "fallback_doc", "retro_window_days", "criterion", "locale",
    )
    ALIASES: ClassVar[dict[str, str]] = {
        "holidays": "holiday", "csms": "csm", "leaders": "leader", "goals": "goal", "routes": "route",
        "severity_channels": "severity_channel", "sla_minutes": "sla", "criteria": "criterion"}

    @model_validator(mode="before")
    @classmethod
    def _given_fields(cls, data: Any, info: ValidationInfo) -> dict[str, Any]:
        """Plural spellings to option names; unknown and (unless partial) missing fields refused; a None value
        counts as not given."""
        if not isinstance(data, Mapping):
            raise ValueError("a launch must be a mapping of field names to values")
        raw = {cls.ALIASES.get(str(k), str(k)): v for k, v in data.items()}
        unknown = sorted(set(raw) - set(cls.FIELDS))
        if unknown:
            raise ValueError(f"unknown launch field(s): {', '.join(unknown)}")
        missing = [name for name in REQUIRED if raw.get(name) in (None, "")]
        if missing and not (info.context or {}).get("partial"):
            raise ValueError(f"missing launch field(s): {', '.join(missing)}")
        values = {name: value for name, value in raw.items() if value is not None}
        given = frozenset(values)
        for name, label in (("goal", "goal"), ("criterion", "criterion")):
            if name in values:
                values[name], values[f"{name}_key"] = keyed_items(values[name], label, MAX_GOAL)
        return {**values, "given": given}

    @property
    def goal_items(self) -> tuple[tuple[str, str], ...]:
        """(key, text) of each goal, in order."""
        return tuple(zip(self.goal_key, self.goal, strict=True))

    @property
    def criterion_items(self) -> tuple[tuple[str, str], ...]:
        """(key, text) of each criterion, in order."""
        return tuple(zip(self.criterion_key, self.criterion, strict=True))

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, partial: bool = False) -> LaunchInput:
        """Validate a mapping of option names (`_` for `-`); raise InvalidInput naming the field(s)."""
        try:
            return cls.model_validate(raw, context={"partial": partial})
        except ValidationError as err:
            raise InvalidInput(one_line(err)) from None


def one_line(err: ValidationError) -> str:
    """Pydantic's field errors as the command line shows them: each reason, in field order, on one line."""
    reasons = []
    for error in err.errors(include_url=False, include_input=False):
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, ValueError):
            reasons.append(str(cause))
        else:  # a type pydantic checked itself after ours
            where = ".".join(str(part) for part in error["loc"]).replace("_", "-")
            reasons.append(f"{where}: {error['msg'][:1].lower()}{error['msg'][1:]}")
    return "; ".join(dict.fromkeys(reasons))


# -- launches as code (`golive launch apply`) ---------------------------------------------------------------

LAUNCH_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def launch_key(value: Any) -> str:
    """A launch's stable key (`launch apply`, and `launch import` when an entry gives one)."""
    key = str(value).strip()
    if not LAUNCH_KEY.match(key):
        raise InvalidInput(f"key {key!r} must be lowercase letters, digits and -, starting with a letter or digit, "
                           "at most 64 characters")
    return key


def code_entries(entries: list[Any], default_locale: str = DEFAULT_LOCALE) -> list[tuple[str, LaunchInput]]:
    """The `launches:` list of a launches-as-code file: each entry a full launch (a field left out is its
    default; `locale` defaults to `default_locale`, GOLIVE_LOCALE) with a stable `key`. Keys and channels are
    unique in the file. A refusal is one line naming the
    launch (its key, or its position and channel when the key is what is wrong) and the field."""
    found: list[tuple[str, LaunchInput]] = []
    where: dict[str, int] = {}
    channels: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            raise InvalidInput(f"launch #{number} is not a mapping of field names to values")
        raw = {str(k).replace("-", "_"): v for k, v in entry.items()}
        key = raw.pop("key", None)
        if raw.get("locale") in (None, ""):
            raw["locale"] = default_locale
        name = f"launch #{number} ({raw.get('channel') or raw.get('customer') or 'no channel'})"
        if key is None or str(key).strip() == "":
            raise InvalidInput(f"{name}: missing key (each launch needs a stable `key`, e.g. acme-eu)")
        try:
            key = launch_key(key)
        except InvalidInput as err:
            raise InvalidInput(f"{name}: {err}") from None
        if key in where:
            raise InvalidInput(f"launch {key}: key is listed twice (launches #{where[key]} and #{number})")
        where[key] = number
        try:
            spec = LaunchInput.parse(raw)
        except InvalidInput as err:
            raise InvalidInput(f"launch {key}: {err}") from None
        if spec.channel in channels:
            raise InvalidInput(f"launch {key}: channel {spec.channel} is also the channel of launch "
                               f"{channels[spec.channel]}")
        channels[spec.channel] = key
        found.append((key, spec))
    return found
