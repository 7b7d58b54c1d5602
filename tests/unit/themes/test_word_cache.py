"""The themes service's memory in a long-running process: people keep writing words it has not seen (issue
numbers, names, ids, typos), and every support card's same-problem check reads them."""

from __future__ import annotations

import string
import tracemalloc

from bot.features.themes import service
from bot.features.themes.service import find_same_problem

MAX_CACHE_MB = 32


def new_word(n: int) -> str:
    """A different made-up word for each n (letters only, so it tokenises into several pieces like a name)."""
    letters = []
    n += 26 ** 3
    while n:
        n, r = divmod(n, 26)
        letters.append(string.ascii_lowercase[r])
    return "q" + "".join(letters)


def reports(start: int, count: int, words_each: int = 20) -> list[tuple[str, str]]:
    return [(f"r{i}", "export fails for " + " ".join(new_word((start + i) * words_each + k) for k in range(words_each)))
            for i in range(count)]


def test_the_word_cache_stays_bounded_however_many_new_words_people_write() -> None:
    limit = service._WORDS_CACHE_LIMIT
    batch = 250
    written = 0
    while written < limit * 1.3:  # more new words than the cache may hold, in calls like the sender's
        find_same_problem("the export fails with a timeout", reports(written // 20, batch))
        written += batch * 20
        assert len(service._words_cache) <= limit

    # The newest words are still there (the oldest went, not everything at once) and matching still works.
    newest = reports(written // 20 - batch, batch)
    assert all(word in service._words_cache for word in newest[-1][1].split()[3:])
    assert find_same_problem("the export fails with a timeout", [("a", "SSO login loops forever"),
                                                                ("b", "the export fails with a timeout")]) == "b"


def test_the_bound_keeps_the_word_cache_to_tens_of_megabytes() -> None:
    service._load_model()
    texts = reports(10_000_000, 100)  # 2,000 words none of the other tests use
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        found = service._words({word for _, text in texts for word in text.split()[3:]})
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    per_word = sum(stat.size_diff for stat in after.compare_to(before, "filename")) / len(found)
    assert per_word > 0
    assert service._WORDS_CACHE_LIMIT * per_word < MAX_CACHE_MB * 1e6, (
        f"{per_word:.0f} bytes a word: a full cache would hold {service._WORDS_CACHE_LIMIT * per_word / 1e6:.0f} MB")
