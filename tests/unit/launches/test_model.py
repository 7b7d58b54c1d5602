"""LaunchInput: one pydantic model validates `launch add`, `launch import` and YAML entries; refusals are one
line naming the field; `given` says which fields an update changes."""

from __future__ import annotations

from datetime import date

import pytest

import bot.features.launches.model as model
from bot.core.errors import InvalidInput
from bot.features.launches.model import LaunchInput
from bot.features.launches.service import LaunchInput as FromService

BASE = {"customer": "Acme Corp", "channel": "C0ACME", "go_live": "2032-03-08", "tz": "Europe/Berlin"}


def test_the_service_module_still_offers_the_model():
    assert FromService is LaunchInput


def test_a_full_launch_with_every_kind_of_value():
    spec = LaunchInput.parse({
        **BASE, "go_live": date(2032, 3, 8), "checkin_time": "9:30".zfill(5), "digest_time": "07:05",
        "checkin_days": "4", "csm": ["U0CSM", " W0CSM2 "], "support_channel": "C0SUP", "urgent_channel": "G0URG",
        "oncall": "S0ONCALL", "oncall2": "U0SECOND", "leadership_channel": "C0LEAD", "leader": "U0LEAD",
        "goal": [" Go live ", "50 users"],
        "retro_after_days": 21, "holiday": ["2032-03-10", "2032-03-09", "2032-03-10"], "nudges": "no",
        "nudge_after_hours": "2.5", "checkin_grace_hours": 1, "show_names": "yes",
        "route": ["billing=C0BILL", {"keyword": "sso", "channel": "C0SSO"}], "severity_channel": {"sev3": "C0QA"},
        "sla": ["sev1=10", {"severity": "sev2", "minutes": "45"}], "escalation_steps": 2,
        "support_hours": " 09:00-18:00 ", "support_tz": "America/New_York", "update_reminder_minutes": 15,
        "csm_channel": "C0CSMS", "training_link": "https://learn.example.com/x", "adoption_nudges": True,
        "quiet_days": 7, "fallback_doc": "http://docs.example.com/fallback", "retro_window_days": 2,
        "criterion": "Data migrated", "locale": "pt_br",
    })
    assert spec.go_live == date(2032, 3, 8) and spec.checkin_time == "09:30" and spec.checkin_days == 4
    assert spec.csm == ("U0CSM", "W0CSM2") and spec.leader == ("U0LEAD",) and spec.goal == ("Go live", "50 users")
    assert spec.holiday == ("2032-03-09", "2032-03-10") and spec.nudges is False and spec.show_names is True
    assert spec.nudge_after_hours == 2.5 and spec.checkin_grace_hours == 1.0
    assert spec.route == (("billing", "C0BILL"), ("sso", "C0SSO")) and spec.severity_channel == (("sev3", "C0QA"),)
    assert spec.sla == (("sev1", 10), ("sev2", 45)) and spec.support_hours == "09:00-18:00"
    assert spec.criterion == ("Data migrated",) and spec.retro_after_days == 21 and spec.oncall2 == "U0SECOND"
    assert spec.locale == "pt-BR"
    assert spec.given == frozenset(LaunchInput.FIELDS)


def test_defaults_and_given_for_a_new_launch():
    spec = LaunchInput.parse({**BASE, "csm": None, "oncall": None})
    assert spec.given == {"customer", "channel", "go_live", "tz"}  # None means not given
    assert (spec.checkin_time, spec.digest_time, spec.checkin_days, spec.retro_after_days) == ("10:00", "08:30", 5, 14)
    assert spec.csm == () and spec.oncall is None and spec.nudges is True and spec.adoption_nudges is False


def test_partial_updates_name_only_what_was_given_and_plural_spellings_count():
    spec = LaunchInput.parse({"channel": "C0ACME", "goals": ["Go live"], "csms": "U0CSM", "quiet_days": None},
                             partial=True)
    assert spec.given == {"channel", "goal", "csm"}
    assert (spec.customer, spec.go_live, spec.tz) == ("", date.min, "UTC")  # placeholders, not given
    assert LaunchInput.parse({}, partial=True).given == frozenset()


@pytest.mark.parametrize(("change", "message"), [
    ({"tz": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin"),
    ({"tz": "CET+1"}, "unknown time zone 'CET+1'"),
    ({"go_live": "2032-02-30"}, "bad go-live date '2032-02-30': use YYYY-MM-DD"),
    ({"channel": "acme-golive"}, "channel 'acme-golive' is not a Slack channel id (C… or G…)"),
    ({"csm": ["U0OK", "carla"]}, "csm 'carla' is not a Slack user id (U… or W…)"),
    ({"checkin_time": "25:00"}, "bad checkin-time '25:00': use HH:MM (24-hour)"),
    ({"digest_time": "8:30"}, "bad digest-time '8:30'"),
    ({"retro_after_days": 30}, "retro-after-days must be between 14 and 28, not 30"),
    ({"retro_after_days": 13}, "retro-after-days must be between 14 and 28, not 13"),
    ({"retro_after_days": "two"}, "retro-after-days must be a whole number"),
    ({"oncall": "#oncall"}, "oncall '#oncall' must be a user id (U…) or a user-group id (S…)"),
    ({"support_channel": "support"}, "support-channel 'support' is not a Slack channel id"),
    ({"customer": "x" * 201}, "customer must be 1–200 characters"),
    ({"goal": ["ok", " "]}, "each goal must be 1–500 characters"),
    ({"holiday": "2032-13-01"}, "bad holiday '2032-13-01': use YYYY-MM-DD"),
    ({"nudges": "maybe"}, "nudges must be true or false"),
    ({"checkin_grace_hours": 13}, "checkin-grace-hours must be more than 0 and at most 12 hours"),
    ({"route": ["billing"]}, "route 'billing' must look like KEY=VALUE"),
    ({"route": ["billing=support"]}, "route channel for 'billing' 'support' is not a Slack channel id"),
    ({"severity_channel": ["sev4=C0QA"]}, "severity 'sev4' must be sev1, sev2 or sev3"),
    ({"sla": [{"severity": "sev1"}]}, "each sla entry needs `severity` and one value"),
    ({"sla": {"sev1": 0}}, "sla for sev1 must be between 1 and 10080, not 0"),
    ({"route": ["=C0X"]}, "route entries need a non-empty keyword"),
    ({"support_hours": "18:00-09:00"}, "support hours '18:00-09:00' must end after they start"),
    ({"support_tz": "EST"}, "unknown time zone 'EST'"),
    ({"training_link": "ftp://example.com"}, "training-link must be an http(s) link"),
    ({"quiet_days": 31}, "quiet-days must be between 1 and 30, not 31"),
    ({"colour": "red", "given": ["tz"]}, "unknown launch field(s): colour, given"),
    ({"customer": ""}, "missing launch field(s): customer"),
    ({"channel": None, "tz": None}, "missing launch field(s): channel, tz"),
])
def test_a_refusal_is_one_line_naming_the_field(change, message):
    with pytest.raises(InvalidInput) as caught:
        LaunchInput.parse({**BASE, **change})
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_every_bad_field_is_named_in_field_order():
    with pytest.raises(InvalidInput) as caught:
        LaunchInput.parse({**BASE, "quiet_days": 0, "checkin_time": "noon"})
    assert str(caught.value) == ("bad checkin-time 'noon': use HH:MM (24-hour); "
                                 "quiet-days must be between 1 and 30, not 0")


def test_a_partial_update_still_checks_what_it_gives():
    with pytest.raises(InvalidInput, match="channel '' is not a Slack channel id"):
        LaunchInput.parse({"channel": ""}, partial=True)
    with pytest.raises(InvalidInput, match="a launch must be a mapping"):
        LaunchInput.parse(["C0ACME"])  # type: ignore[arg-type]


def test_the_model_is_frozen():
    spec = LaunchInput.parse(BASE)
    with pytest.raises(ValueError, match="frozen"):
        spec.customer = "Other"  # type: ignore[misc]


def test_time_zones_are_resolved_once_per_name(monkeypatch):
    calls = []
    real = model.parse_zone
    monkeypatch.setattr(model, "parse_zone", lambda name: calls.append(name) or real(name))
    model._zone_problem.cache_clear()
    try:
        zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Nowhere/Land"]
        for n in range(1000):
            raw = {**BASE, "channel": f"C0N{n}", "tz": zones[n % 4], "support_tz": "Europe/Paris"}
            if zones[n % 4] == "Nowhere/Land":
                with pytest.raises(InvalidInput):
                    LaunchInput.parse(raw)
            else:
                LaunchInput.parse(raw)
    finally:
        model._zone_problem.cache_clear()
    assert sorted(calls) == sorted([*zones, "Europe/Paris"])


@pytest.mark.parametrize("tag", ["zh", "pt-PT", "en_US_x_y_zzzzzzzzz", "", "klingon!"])
def test_an_unsupported_locale_is_refused_naming_the_supported_ones(tag: str) -> None:
    with pytest.raises(InvalidInput, match=r"supported: en, de, fr, es, pt-BR, ja"):
        LaunchInput.parse({**BASE, "locale": tag})


@pytest.mark.parametrize(("tag", "expected"), [("de-AT", "de"), ("JA", "ja"), ("pt_BR", "pt-BR"), ("en-US", "en")])
def test_a_locale_tag_is_kept_in_its_canonical_form(tag: str, expected: str) -> None:
    assert LaunchInput.parse({**BASE, "locale": tag}).locale == expected
