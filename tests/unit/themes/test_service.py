"""Theme grouping and same-problem matching (bot.features.themes.service): quality on the labelled go-live
texts, the shape of the output on hostile input, time handling, determinism. No network: the model ships
inside the wordllama wheel and is loaded with downloads disabled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.features.themes import service
from bot.features.themes.service import (
    NAME_LIMIT,
    QUOTE_LIMIT,
    SAME_PROBLEM_THRESHOLD,
    Theme,
    ThemeText,
    find_same_problem,
    group_themes,
    similarity,
)
from tests.unit.themes.scoring import adjusted_rand_index, word_count_labels

ROOT = Path(__file__).resolve().parents[3]
LABELLED = ROOT / "tests" / "data" / "themes_labelled.jsonl"

# Measured on the labelled set (python bench/themes.py): word counts 0.11, group_themes 0.33.
MIN_MARGIN_OVER_WORD_COUNTS = 0.15
MIN_ARI = 0.28


@pytest.fixture(scope="session", autouse=True)
def _model() -> None:
    """Load wordllama once for the whole session."""
    service.warm_up()


@pytest.fixture(scope="session")
def labelled() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="session")
def labelled_themes(labelled: tuple[list[str], list[str]]) -> list[Theme]:
    texts, _ = labelled
    return group_themes([ThemeText(t, ref=str(i)) for i, t in enumerate(texts)], max_themes=len(texts))


def grouping(themes: Sequence[Theme], n: int) -> list[str]:
    """One label per input text (refs are input positions); a text in no theme is alone."""
    labels = [f"alone-{i}" for i in range(n)]
    for k, theme in enumerate(themes):
        for ref in theme.refs:
            labels[int(ref)] = f"theme-{k}"
    return labels


def check_shape(themes: Sequence[Theme], items: Sequence[ThemeText], max_themes: int) -> None:
    """What every output must satisfy: names from the texts and short, quotes clipped pieces of the
    theme's own texts, counts that match the refs (each item has a unique ref) and never overlap."""
    by_ref = {item.ref: item.text for item in items}
    assert len(themes) <= max_themes
    seen: set[str] = set()
    for theme in themes:
        assert theme.name.strip() and len(theme.name) <= NAME_LIMIT
        assert theme.count >= 2 and theme.count == len(theme.refs)
        assert seen.isdisjoint(theme.refs)
        seen.update(theme.refs)
        own = [by_ref[ref] for ref in theme.refs]
        assert 1 <= len(theme.quotes) <= 2
        for quote in theme.quotes:
            assert len(quote) <= QUOTE_LIMIT + 1
            body = quote.removesuffix(service.ELLIPSIS)
            assert body and any(body in text for text in own), quote
        name = theme.name.removesuffix(service.ELLIPSIS)
        assert any(name.casefold() in " ".join(text.split()).casefold() for text in own), theme.name
    assert [(-t.count, t.name.casefold()) for t in themes] == sorted((-t.count, t.name.casefold()) for t in themes)


# --------------------------------------------------------------------------------------------- quality


def test_grouping_beats_todays_word_counts_on_the_labelled_set(labelled, labelled_themes) -> None:
    texts, labels = labelled
    baseline = adjusted_rand_index(labels, word_count_labels(texts))
    new = adjusted_rand_index(labels, grouping(labelled_themes, len(texts)))
    assert new >= baseline + MIN_MARGIN_OVER_WORD_COUNTS, (new, baseline)
    assert new >= MIN_ARI, new


def test_the_top_themes_of_the_labelled_set_are_each_mostly_one_label(labelled, labelled_themes) -> None:
    _, labels = labelled
    top = labelled_themes[:5]
    majorities = [Counter(labels[int(ref)] for ref in theme.refs).most_common(1)[0] for theme in top]
    assert all(count / theme.count >= 0.7 for (_, count), theme in zip(majorities, top, strict=True)), majorities
    assert len({label for label, _ in majorities}) == 5  # five different problems, not one split five ways
    assert sum(theme.count for theme in top) >= 50


def test_labelled_output_has_the_promised_shape(labelled, labelled_themes) -> None:
    texts, _ = labelled
    assert labelled_themes  # 200 texts of ten problems: there are themes to check
    check_shape(labelled_themes, [ThemeText(t, ref=str(i)) for i, t in enumerate(texts)], len(texts))


def test_max_themes_keeps_the_biggest(labelled, labelled_themes) -> None:
    texts, _ = labelled
    three = group_themes([ThemeText(t, ref=str(i)) for i, t in enumerate(texts)], max_themes=3)
    assert three == labelled_themes[:3]
    assert group_themes([ThemeText(t) for t in texts], max_themes=0) == []


# --------------------------------------------------------------------------------------------- sizes


def test_no_text_one_text_and_blank_texts_give_no_theme() -> None:
    assert group_themes([]) == []
    assert group_themes([ThemeText("SSO login loops back to the login page")]) == []
    assert group_themes([ThemeText(""), ThemeText("   \n\t"), ThemeText("\u200b\u200b"), ThemeText("")]) == []


def test_blank_texts_are_ignored_among_real_ones() -> None:
    items = [ThemeText("CSV export is missing the last column", ref="a"), ThemeText("", ref="blank-1")]
    items += [ThemeText("csv export missing the last column again", ref="b"), ThemeText(" ", ref="blank-2")]
    themes = group_themes(items)
    assert [(t.count, set(t.refs)) for t in themes] == [(2, {"a", "b"})]


def test_ten_thousand_texts(labelled) -> None:
    texts, _ = labelled
    items = [ThemeText(f"{texts[i % len(texts)]} #{i % 7}", ref=str(i)) for i in range(10_000)]
    themes = group_themes(items, max_themes=8)
    check_shape(themes, items, 8)
    assert len(themes) == 8
    assert themes[0].count >= 300  # 50 copies of each of 200 texts: the big themes hold hundreds


def test_a_fifty_thousand_character_text_is_quoted_short() -> None:
    long = "The export keeps failing. " + "Lorem ipsum dolor sit amet " * 1900
    long = long[:50_000]
    items = [ThemeText(long, ref="long"), ThemeText(long, ref="long-again"), ThemeText("export fails", ref="x")]
    themes = group_themes(items)
    check_shape(themes, items, 5)
    assert themes and {"long", "long-again"} <= set(themes[0].refs)
    assert all(len(q) <= QUOTE_LIMIT + 1 and q.endswith(service.ELLIPSIS) for q in themes[0].quotes if q != "x")


def test_right_to_left_cjk_and_emoji_texts() -> None:
    texts = [
        "لا أستطيع تسجيل الدخول عبر SSO",
        "لا أستطيع تسجيل الدخول عبر SSO منذ الصباح",
        "אני לא מצליח להתחבר עם SSO",
        "אני לא מצליח להתחבר עם SSO בכלל",
        "SSOでログインできません",
        "SSOでログインできません。助けてください",
        "导出的CSV文件是空的",
        "导出的CSV文件是空的，只有表头",
        "🔥🔥🔥",
        "🔥🔥🔥",
        "😡",
        "👍 👍",
        "‏‎",  # direction marks only: blank
    ]
    items = [ThemeText(t, ref=str(i)) for i, t in enumerate(texts)]
    themes = group_themes(items, max_themes=20)
    check_shape(themes, items, 20)
    together = {frozenset(t.refs) for t in themes}
    assert frozenset({"8", "9"}) in together or any({"8", "9"} <= set(refs) for refs in together)
    assert "12" not in {ref for t in themes for ref in t.refs}
    assert sum(t.count for t in themes) <= len(texts) - 1


def test_fillers_and_symbols_group_only_with_exact_repeats() -> None:
    texts = ["ok", "ok ok", "thanks", "thanks!", "?", "!!", "?!", "🔥🔥", "🔥🔥", "👍", "+1"]
    items = [ThemeText(t, ref=str(i)) for i, t in enumerate(texts)]
    themes = group_themes(items, max_themes=20)
    check_shape(themes, items, 20)
    assert [(t.name, t.refs) for t in themes] == [("🔥🔥", ("7", "8"))]


def test_slack_markup_stays_in_quotes_but_not_in_names() -> None:
    items = [
        ThemeText("<@U012AB> the CSV export is empty <https://example.com/x|see screenshot>", ref="1"),
        ThemeText("CSV export is empty again :scream: <https://example.com/y>", ref="2"),
    ]
    themes = group_themes(items)
    check_shape(themes, items, 5)
    assert len(themes) == 1 and "http" not in themes[0].name and "scream" not in themes[0].name


# --------------------------------------------------------------------------------------------- time


def test_is_new_means_no_text_before_since() -> None:
    since = datetime(2032, 3, 10, 9, 0, tzinfo=UTC)
    before, after = since - timedelta(days=2), since + timedelta(hours=3)
    old = ["Invoice shows 250 seats but we only have 180 users", "invoice shows 250 seats, we only have 180 users"]
    new = ["CSV export is missing the last column", "the csv export is missing the last column!"]
    mixed = ["MFA code never arrives so I'm locked out", "the MFA code never arrives, I'm locked out"]
    items = [ThemeText(old[0], before, "o1"), ThemeText(old[1], before, "o2")]
    items += [ThemeText(new[0], after, "n1"), ThemeText(new[1], since, "n2")]
    items += [ThemeText(mixed[0], before, "m1"), ThemeText(mixed[1], after, "m2")]
    themes = {frozenset(t.refs): t.is_new for t in group_themes(items, since=since)}
    assert themes == {frozenset({"o1", "o2"}): False, frozenset({"n1", "n2"}): True, frozenset({"m1", "m2"}): False}
    assert not any(t.is_new for t in group_themes(items, since=None))


def test_by_recent_ranks_by_this_periods_texts_and_leaves_out_themes_not_seen_since() -> None:
    since = datetime(2032, 3, 10, 9, 0, tzinfo=UTC)
    before, after = since - timedelta(days=2), since + timedelta(hours=3)
    invoices = ["Invoice shows 250 seats but we only have 180 users", "invoice shows 250 seats, we only have 180 users",
                "the invoice counts 250 seats for our 180 users", "Invoice: 250 seats billed, 180 users"]
    exports = ["CSV export is missing the last column", "the csv export is missing the last column!"]
    logins = ["MFA code never arrives so I'm locked out", "the MFA code never arrives, I'm locked out"]
    items = [ThemeText(t, before, f"i{n}") for n, t in enumerate(invoices)]
    items += [ThemeText(exports[0], before, "e0"), ThemeText(exports[1], after, "e1")]
    items += [ThemeText(t, after, f"m{n}") for n, t in enumerate(logins)]
    by_count = group_themes(items, since=since)
    assert [t.refs for t in by_count][0] == ("i0", "i1", "i2", "i3")
    ranked = group_themes(items, since=since, by_recent=True)
    assert [(t.refs, t.recent, t.is_new) for t in ranked] == [(("m0", "m1"), 2, True), (("e0", "e1"), 1, False)]
    [top] = group_themes(items, since=since, max_themes=1, by_recent=True)
    assert top.refs == ("m0", "m1")


def test_is_new_takes_naive_datetimes_as_utc_and_needs_a_dated_text() -> None:
    since = datetime(2032, 3, 10, 9, 0, tzinfo=UTC)
    naive_after = datetime(2032, 3, 10, 10, 0)
    a, b = "CSV export is missing the last column", "csv export is missing the last column!"
    assert group_themes([ThemeText(a, naive_after), ThemeText(b, naive_after)], since=since)[0].is_new
    assert not group_themes([ThemeText(a, datetime(2032, 3, 9)), ThemeText(b, naive_after)], since=since)[0].is_new
    assert not group_themes([ThemeText(a), ThemeText(b)], since=since)[0].is_new


# --------------------------------------------------------------------------------------------- determinism


def test_same_input_same_output(labelled) -> None:
    texts, _ = labelled
    items = [ThemeText(t, ref=str(i)) for i, t in enumerate(texts * 15)]  # 3,000 texts: the sampled path too
    assert group_themes(items, max_themes=10) == group_themes(items, max_themes=10)


def test_another_process_with_another_hash_seed_and_no_network_gives_the_same_themes(labelled_themes) -> None:
    """A fresh process whose sockets all fail loads the model and gives the same themes: nothing is fetched,
    nothing depends on hash order, and loading leaves the root logger as it was."""
    script = """
import json, logging, socket, sys
def refuse(*a, **k):
    raise OSError("network used")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.getaddrinfo = refuse
from bot.features.themes.service import ThemeText, group_themes
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
themes = group_themes([ThemeText(t, ref=str(i)) for i, t in enumerate(texts)], max_themes=len(texts))
assert logging.getLogger().handlers == [], logging.getLogger().handlers
print(json.dumps([[t.name, t.count, list(t.quotes), list(t.refs)] for t in themes]))
"""
    env = {**os.environ, "PYTHONHASHSEED": "12345", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(LABELLED)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    expected = [[t.name, t.count, list(t.quotes), list(t.refs)] for t in labelled_themes]
    assert json.loads(done.stdout) == expected


def test_the_model_is_loaded_once_when_threads_race(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_model", None)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(service._load_model())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r is results[0] for r in results)


def test_tokenising_word_by_word_gives_the_tokens_of_the_whole_text(labelled) -> None:
    """The speed-up in service._words rests on this; a tokenizer upgrade that breaks it must fail here."""
    texts, _ = labelled
    tokenizer = service._load_model()[0]
    contents = [service._parse(t).content.lower() for t in texts]
    contents += ["sign-in loop", "ログインできません 🔥", "🔥🔥 مرحبا שלום"]
    words = service._words({w for c in contents for w in c.split()})
    for content, whole in zip(contents, tokenizer.encode_batch(contents, add_special_tokens=False), strict=True):
        assert [i for w in content.split() for i in words[w].pieces] == whole.ids, content


# --------------------------------------------------------------------------------------------- same problem

SSO = "can't log in with SSO, keeps redirecting me to the login page"
SSO_AGAIN = "SSO login loop: after Okta I land on the sign-in page again"
EXPORT = "CSV export is missing the last column"


def test_similarity_is_a_symmetric_score_between_zero_and_one() -> None:
    assert similarity(SSO, SSO) == 1.0
    assert similarity(SSO, "  CAN'T log in with SSO,   keeps redirecting me to the LOGIN page ") == 1.0
    assert similarity(SSO, SSO_AGAIN) == pytest.approx(similarity(SSO_AGAIN, SSO), abs=1e-6)
    assert 0.0 <= similarity(SSO, EXPORT) < similarity(SSO, SSO_AGAIN) <= 1.0
    assert similarity("", SSO) == 0.0 and similarity(SSO, "   ") == 0.0
    assert 0.0 <= similarity("🔥", "🔥🔥") <= 1.0


def test_two_phrasings_of_the_same_sso_problem_match() -> None:
    candidates = [("issue:1", EXPORT), ("issue:2", SSO_AGAIN), ("issue:3", "Invoice currency should be EUR")]
    assert find_same_problem(SSO, candidates) == "issue:2"


def test_an_sso_problem_does_not_match_an_export_problem() -> None:
    assert similarity(SSO, EXPORT) < SAME_PROBLEM_THRESHOLD
    assert find_same_problem(SSO, [("issue:1", EXPORT), ("issue:4", "the Excel export times out")]) is None


def test_nothing_matches_across_language_and_topic() -> None:
    candidates = [("issue:1", SSO), ("issue:2", SSO_AGAIN), ("issue:3", EXPORT)]
    unrelated = ("請求書の金額が契約と違います", "فاتورة هذا الشهر مكررة", "La factura de este mes está duplicada")
    unrelated += ("🔥🔥🔥",)
    for text in unrelated:
        assert find_same_problem(text, candidates) is None, text


def test_find_same_problem_edge_cases() -> None:
    assert find_same_problem(SSO, []) is None
    assert find_same_problem("", [("issue:1", SSO)]) is None
    assert find_same_problem(SSO, [("issue:1", ""), ("issue:2", SSO)]) == "issue:2"
    assert find_same_problem(SSO, [("issue:7", SSO), ("issue:8", SSO)]) == "issue:7"  # first on a tie
    assert find_same_problem(SSO, [("issue:2", SSO_AGAIN)], threshold=1.01) is None
