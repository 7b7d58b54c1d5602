"""Errors a customer may see carry a message id and named values: English as before, or the launch's language."""

from __future__ import annotations

import logging

import pytest

from bot.core.errors import InvalidInput, NotAllowed
from bot.core.i18n import N_, SUPPORTED_LOCALES, translator
from handlers.deps import request_channel


def test_an_error_is_english_as_a_string_and_translated_on_demand(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="golive.i18n")
    err = InvalidInput(N_("Issue #{number} is already resolved. Nothing was changed."), number=7)
    assert str(err) == "Issue #7 is already resolved. Nothing was changed."
    assert err.text(None) == str(err) and err.text(translator("en")) == str(err)
    assert err.text(translator("de")) == "Ticket #7 ist bereits gelöst. Es wurde nichts geändert."
    assert err.text(translator("ja")) == "チケット #7 は解決済みです。変更はありません。"
    assert not caplog.records


def test_an_error_the_catalogs_do_not_know_stays_english_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="golive.i18n")
    err = NotAllowed("Only the vendor's team can use this shortcut.")
    assert err.text(translator("fr")) == "Only the vendor's team can use this shortcut."
    assert not caplog.records


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
def test_a_value_is_inserted_unchanged(tag: str) -> None:
    err = NotAllowed(N_("This question is for <@{reporter}>, who reported issue #{number}. To report your own "
                        "problem, use *Report a problem*."), reporter="U0ANA", number=3)
    shown = err.text(translator(tag))
    assert "<@U0ANA>" in shown and "#3" in shown and "{" not in shown


def test_the_channel_of_a_request_is_found_in_every_kind_of_payload() -> None:
    assert request_channel({"command": "/golive", "channel_id": "C1"}) == "C1"
    assert request_channel({"type": "block_actions", "channel": {"id": "C2"}}) == "C2"
    assert request_channel({"type": "block_actions", "container": {"channel_id": "C3"}}) == "C3"
    assert request_channel({"event": {"type": "reaction_added", "item": {"channel": "C4"}}}) == "C4"
    assert request_channel({"view": {"private_metadata": '{"channel": "C5"}'}}) == "C5"
    assert request_channel({"view": {"private_metadata": "not json"}}) is None
    assert request_channel({"type": "view_submission"}) is None
