"""The stored directory keeps each person's Slack locale (users.info with include_locale): a user object without
one (an event Slack sent without it) never erases what golive knew."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, SQLModel, create_engine

from bot.slack.directory import record_person, stored_locales

NOW = datetime.now(UTC)


def test_a_locale_is_kept_updated_and_never_erased_by_a_user_object_without_one() -> None:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        record_person(s, {"id": "U0CSM", "team_id": "T0VENDOR", "locale": "fr-FR"}, NOW)
        record_person(s, {"id": "U0SUP", "team_id": "T0VENDOR"}, NOW)
        s.flush()
        assert stored_locales(s, ["U0CSM", "U0SUP", "U0NOBODY"]) == {"U0CSM": "fr-FR", "U0SUP": None}
        record_person(s, {"id": "U0CSM", "team_id": "T0VENDOR", "tz": "Europe/Paris"}, NOW)  # no locale in it
        s.flush()
        assert stored_locales(s, ["U0CSM"]) == {"U0CSM": "fr-FR"}
        record_person(s, {"id": "U0CSM", "team_id": "T0VENDOR", "locale": "ja-JP"}, NOW)
        s.flush()
        assert stored_locales(s, ["U0CSM"]) == {"U0CSM": "ja-JP"}
        assert stored_locales(s, []) == {}
