"""The theme summary the digest, wrap-up, retrospective and lessons use (bot.features.themes.summary.themes_of):
per-period counts, new versus ongoing against the period before, clipped quotes, and hostile input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.features.themes.service import ThemeText
from bot.features.themes.summary import QUOTE_CLIP, theme_line_text, themes_of

START = datetime(2027, 3, 8, tzinfo=UTC)
END = START + timedelta(days=7)
BEFORE = START - timedelta(days=3)
DURING = START + timedelta(days=2)
LABELLED = Path(__file__).resolve().parents[2] / "data" / "themes_labelled.jsonl"

SSO = ["can't log in with SSO, keeps bouncing me back to the login page", "SSO login loops for the finance team",
       "SSO redirect fails after the Okta change"]
EXPORT = ["CSV export times out on big reports", "Export to CSV fails for the monthly report",
          "the export of reports to CSV never finishes"]


def texts(items: list[tuple[str, datetime]]) -> list[ThemeText]:
    return [ThemeText(text, at, f"t:{n}") for n, (text, at) in enumerate(items)]


def test_a_theme_seen_only_this_period_is_new_and_one_seen_before_is_ongoing_with_this_periods_count() -> None:
    summary = themes_of(texts([(t, BEFORE) for t in EXPORT] + [(t, DURING) for t in SSO + EXPORT[:2]]),
                        start=START, end=END)
    by_status = {line.status: line for line in summary.themes}
    assert by_status["new"].count == 3 and "SSO" in by_status["new"].name
    assert by_status["ongoing"].count == 2  # this period's texts only, not last period's three
    assert all(q in EXPORT[:2] for q in by_status["ongoing"].quotes)  # quoted from this period
    assert summary.texts == 5


def test_cumulative_counts_everything_so_far_and_marks_what_came_after_start_as_new() -> None:
    """The adoption report's "where people get stuck so far": last period's theme stays listed with its
    whole count (ongoing), this period's is new; texts at or after `end` are not read."""
    items = [(t, BEFORE) for t in EXPORT] + [(t, DURING) for t in SSO] + [(SSO[0] + " again", END)]
    summary = themes_of(texts(items), start=START, end=END, cumulative=True)
    assert sorted((line.count, line.status) for line in summary.themes) == [(3, "new"), (3, "ongoing")]
    assert {line.status: "SSO" in line.name for line in summary.themes} == {"new": True, "ongoing": False}
    assert summary.texts == 6
    assert themes_of([], start=START, end=END, cumulative=True).themes == []


def test_a_theme_only_of_the_period_before_is_not_listed() -> None:
    summary = themes_of(texts([(t, BEFORE) for t in EXPORT] + [(t, DURING) for t in SSO]), start=START, end=END)
    assert [line.status for line in summary.themes] == ["new"]


def test_no_text_one_text_blank_and_huge_texts_in_any_script() -> None:
    assert themes_of([], start=START, end=END).themes == []
    assert themes_of(texts([("SSO broken", DURING)]), start=START, end=END).themes == []
    assert themes_of(texts([("", DURING), ("   ", DURING), ("\u200b", DURING)]), start=START, end=END).themes == []
    huge = "export " + "x" * 50_000
    scripts = ["ログインできません 🔥", "ログイン画面が表示されない", "تسجيل الدخول لا يعمل", "🔥🔥🔥", huge,
               huge + " again"]
    summary = themes_of(texts([(t, DURING) for t in scripts]), start=START, end=END)
    for line in summary.themes:
        assert all(len(q) <= QUOTE_CLIP for q in line.quotes)
        assert len(theme_line_text(line, quotes=2)) < 600


def test_theme_lines_escape_customer_words_for_mrkdwn() -> None:
    hostile = ["<!channel> export & import <b>broken</b>", "<!channel> export & import <b>broken</b> again"]
    [line] = themes_of(texts([(t, DURING) for t in hostile]), start=START, end=END).themes
    text = theme_line_text(line, quotes=2)
    assert "<!channel>" not in text and "<b>" not in text and "&amp;" in text


def test_ten_thousand_texts_give_this_periods_biggest_themes() -> None:
    """Behaviour at size only; the time is measured by bench/themes.py (timed assertions do not belong here)."""
    rows = [json.loads(line)["text"] for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    many = texts([(f"{rows[n % len(rows)]} #{n % 37}", BEFORE if n % 3 == 0 else DURING) for n in range(10_000)])
    summary = themes_of(many, start=START, end=END)
    assert summary.texts == 6_666 and len(summary.themes) == 5
    counts = [line.count for line in summary.themes]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 200  # each of 200 texts 50 times, 2/3 now
    assert sum(counts) <= 6_666
    assert all(line.status == "ongoing" for line in summary.themes)  # every text was also written before
    assert all(1 <= len(line.quotes) <= 2 and all(len(q) <= QUOTE_CLIP for q in line.quotes) for line in summary.themes)
