"""group_themes remembers its answer per input: the same input is answered from memory, and any change a
reader would notice (a new text, words changed under the same ref, a text moved across `since`, another
limit) is grouped again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.features.themes import service
from bot.features.themes.service import ThemeText, clear_caches, group_themes

SINCE = datetime(2027, 3, 8, tzinfo=UTC)
SSO = ["can't log in with SSO, keeps bouncing me back to the login page", "SSO login loops for the finance team",
       "SSO redirect fails after the Okta change"]
EXPORT = ["CSV export times out on big reports", "Export to CSV fails for the monthly report"]


def items(texts: list[str], at: datetime = SINCE + timedelta(days=1)) -> list[ThemeText]:
    return [ThemeText(text, at, f"issue:{n}") for n, text in enumerate(texts)]


def test_the_same_input_is_answered_from_memory_with_the_same_themes() -> None:
    first = group_themes(items(SSO + EXPORT), since=SINCE)
    again = group_themes(items(SSO + EXPORT), since=SINCE)
    assert again == first and all(a is b for a, b in zip(again, first, strict=True))  # not grouped again
    again.clear()  # a caller changing its list changes nothing remembered
    assert group_themes(items(SSO + EXPORT), since=SINCE) == first


def test_a_new_text_is_grouped_again() -> None:
    before = group_themes(items(SSO + EXPORT[:1]), since=SINCE)
    assert [t.count for t in before] == [3]
    after = group_themes(items(SSO + EXPORT), since=SINCE)
    assert sorted(t.count for t in after) == [2, 3]


def test_words_changed_under_the_same_ref_are_read_again() -> None:
    before = group_themes(items(SSO + EXPORT), since=SINCE)
    changed = items(SSO[:2] + ["The CSV export never finishes for the monthly report"] + EXPORT)
    after = group_themes(changed, since=SINCE)
    assert {t.count for t in before} == {3, 2}
    [export] = [t for t in after if "issue:3" in t.refs]
    assert export.count == 3 and "issue:2" in export.refs


def test_a_text_moved_across_since_changes_new_and_ongoing() -> None:
    recent = items(SSO)
    assert group_themes(recent, since=SINCE)[0].is_new
    moved = [recent[0], recent[1], ThemeText(recent[2].text, SINCE - timedelta(days=2), recent[2].ref)]
    [theme] = group_themes(moved, since=SINCE)
    assert not theme.is_new and theme.recent == 2
    # Its exact time within a side of `since` changes nothing: the remembered answer is reused.
    later = [ThemeText(t.text, t.at + timedelta(hours=3), t.ref) for t in recent]
    assert group_themes(later, since=SINCE) == group_themes(recent, since=SINCE)


def test_other_limits_or_ranking_are_other_inputs() -> None:
    texts = items(SSO + EXPORT)
    assert len(group_themes(texts, since=SINCE, max_themes=1)) == 1
    assert len(group_themes(texts, since=SINCE, max_themes=5)) == 2
    assert [t.count for t in group_themes(texts, max_themes=5)] == [3, 2]


def test_what_is_remembered_is_bounded_and_can_be_forgotten() -> None:
    for n in range(service._RESULTS_LIMIT + 20):  # noqa: SLF001 - the bound is the point here
        group_themes(items([f"{SSO[1]} {n}", f"{SSO[2]} {n}"]))
    assert len(service._results) <= service._RESULTS_LIMIT  # noqa: SLF001
    first = group_themes(items(SSO + EXPORT), since=SINCE)
    clear_caches()
    assert service._results == {}  # noqa: SLF001
    assert group_themes(items(SSO + EXPORT), since=SINCE) == first  # grouped again, the same answer
