"""bot.core.text: people's text made inert and kept inside Slack's limits."""

from __future__ import annotations

import pytest

from bot.core.text import ELLIPSIS, clip, escape, mention, quote, user_text
from tests.unit.blockkit import HOSTILE, RAW_MARKUP, long_hostile


def test_escape_turns_slack_control_characters_into_entities() -> None:
    assert escape("<!channel> & <@U123>") == "&lt;!channel&gt; &amp; &lt;@U123&gt;"


def test_escape_encodes_ampersand_first_so_entities_are_not_double_decoded() -> None:
    assert escape("&lt;") == "&amp;lt;"


def test_escape_leaves_emoji_rtl_and_cjk_text_alone() -> None:
    text = "🚀 مرحبا 你好 *bold* _it_"
    assert escape(text) == text


def test_clip_keeps_text_that_fits_unchanged() -> None:
    assert clip("abc", 3) == "abc"


def test_clip_marks_cut_text_with_an_ellipsis_within_the_limit() -> None:
    clipped = clip("abcdefghij", 5)
    assert clipped == "abcd" + ELLIPSIS
    assert len(clipped) == 5


@pytest.mark.parametrize("limit", [10, 75, 400, 2900, 3000])
def test_user_text_fits_its_limit_and_is_inert(limit: int) -> None:
    out = user_text(long_hostile(), limit)
    assert len(out) <= limit
    assert out.endswith(ELLIPSIS)
    assert not any(m in out for m in RAW_MARKUP)


def test_user_text_never_cuts_an_entity_in_half() -> None:
    # Each '&' becomes five characters: a naive cut would leave '&am…'.
    for limit in range(5, 40):
        out = user_text("&" * 50, limit)
        assert out.removesuffix(ELLIPSIS).replace("&amp;", "") == "", (limit, out)


def test_user_text_escapes_short_text_without_clipping() -> None:
    assert user_text("a <b> & c") == "a &lt;b&gt; &amp; c"


def test_user_text_keeps_the_start_of_long_text_recognisable() -> None:
    assert user_text(long_hostile(), 100).startswith("Start of the text. Tom &amp; Jerry &lt;!channel&gt;")


def test_quote_prefixes_every_line_and_stays_inert() -> None:
    out = quote("first <!here>\nsecond")
    assert out.splitlines() == ["&gt; first &lt;!here&gt;", "&gt; second"]


def test_quote_of_empty_text_is_an_empty_quote_line() -> None:
    assert quote("") == "&gt; "


def test_quote_of_long_text_fits_a_section() -> None:
    assert len(quote(long_hostile(20_000))) <= 3000


def test_mention_of_a_user_and_of_a_user_group() -> None:
    assert mention("U0ANA") == "<@U0ANA>"
    assert mention("S0ONCALL") == "<!subteam^S0ONCALL>"


def test_hostile_sample_really_contains_every_raw_markup() -> None:
    # Guards the other tests: they rely on HOSTILE carrying each of these.
    assert all(m in HOSTILE for m in RAW_MARKUP)
