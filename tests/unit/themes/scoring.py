"""How theme grouping is scored, for the tests and bench/themes.py.

`word_count_labels` is today's behaviour, the bar to clear: single-word counts. Each text is put under its
word (two letters or more, not a stop word) that is most frequent across the whole corpus, which is what a
list of top word counts amounts to. `adjusted_rand_index` compares a grouping with the labels."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Sequence
from math import comb

STOP_WORDS = frozenset(
    """
a about above after again against all also am an and any are around as at be because been before being below
between both but by can cannot could did do does doing done down during each even ever every few for from further
get gets getting got had has have having he her here hers him his how however i if in into is it its just let
like made make makes many may me might more most much must my no nor not now of off on once one only or other
our out over own per please quite rather really same see seems she should since so some still such than thank
thanks that the their them then there these they thing things this those though through thus to too under until
up upon us use used using very via want was we well were what when where whether which while who whom why will
with within without would yes yet you your lot lots bit next time week day days today yesterday tomorrow go
going went gone issue issues problem problems hi hello hey ok okay able already always never sometimes maybe
""".split()
)
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


def word_count_labels(texts: Sequence[str]) -> list[str]:
    """One label per text: its most frequent word across the corpus (a label of its own when it has none)."""
    words = [[w for w in WORD.findall(text.lower()) if w not in STOP_WORDS] for text in texts]
    frequency = Counter(w for ws in words for w in set(ws))
    return [max(ws, key=lambda w: (frequency[w], w)) if ws else f"#{i}" for i, ws in enumerate(words)]


def adjusted_rand_index(truth: Sequence[Hashable], found: Sequence[Hashable]) -> float:
    """Hubert and Arabie's adjusted Rand index: 1 for the same partition, about 0 for a chance one."""
    if len(truth) != len(found):
        raise ValueError("the two labelings differ in length")
    n = len(truth)
    if n < 2:
        return 1.0
    pairs = Counter(zip(truth, found, strict=True))
    together = sum(comb(c, 2) for c in pairs.values())
    rows = sum(comb(c, 2) for c in Counter(truth).values())
    columns = sum(comb(c, 2) for c in Counter(found).values())
    expected = rows * columns / comb(n, 2)
    best = (rows + columns) / 2
    if best == expected:  # both partitions trivial (all in one group, or all apart)
        return 1.0
    return (together - expected) / (best - expected)
