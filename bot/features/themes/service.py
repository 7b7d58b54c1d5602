"""Group short texts into themes by meaning, and spot a new report that repeats an open one.

Pure functions: no database, no Slack, no clock (time comes in as `since`). The model is loaded lazily,
once per process (about 2 s with its imports, 40 MB), or up front with `warm_up()`.

Method, chosen by measurement (`python bench/themes.py --sweep` prints every number below)
-----------------------------------------------------------------------------------------
Each text is read without Slack markup, links, :shortcodes: and stop words (English, German, French,
Spanish, Portuguese, and chat filler such as "since this morning", "pls", "thx"). Two signals, blended:

* meaning: wordllama's static token vectors (l2_supercat, 256-d, shipped inside its wheel and loaded from
  the installed package with downloads disabled), averaged over the tokens that carry content: byte pieces,
  punctuation and Japanese kana are skipped. With plain pooling every two Japanese texts looked alike (cosine
  0.66-0.74 between unrelated ones), and among the 50 most similar pairs of the labelled set only 56% shared
  a label; with content pooling 76%.
* wording: character 3-5-grams inside words (sublinear counts; IDF over the texts being grouped, none for
  a pair), which catches typos, inflections and shared stems across languages ("export", "exportación").

similarity = 0.7 * cosine(meaning) + 0.3 * cosine(wording), clipped to [0, 1].

Themes are average-linkage clusters cut where the average similarity inside a cluster would fall below
0.12. Adjusted Rand index (ARI) on the 200 labelled go-live texts (tests/data/themes_labelled.jsonl, 10
labels, 30 texts not in English), whole set / mean of 12 stratified halves of 100:

    today's word counts (each text under its most frequent non-stop word)     0.11 / 0.12
    k-means on plain wordllama vectors, k = 10 (told the true count)          0.22 / 0.13
    average linkage on plain wordllama vectors, best cut                      0.31 / 0.30
    average linkage on content vectors only, best cut                         0.29 / 0.33
    this method (content vectors + character n-grams, cut 0.12)              0.33 / 0.33

The ARI ceiling is the vectors: a text's most similar other text has its label only 60% of the time, least
for "permissions", "performance" and "how do I" texts and for the ones not in English (wordllama is
English-first: French, Spanish and Portuguese texts partly group by language). The five biggest themes of
the labelled set are each 75-100% one label, five different labels. The cut sits on a plateau (0.08-0.12
give 0.30-0.33 on both measures); below 0.06 everything merges into a few themes.

Scale: exact repeats (same text once case and whitespace are folded) are read once, and texts left with
the same content words (they differ only in stop words, markup, links or case: "hey team, CSV export
fails!" and "csv export fails pls") are one point with a weight, embedded and clustered once. Above 1,000
points, a seeded sample of 1,000 is clustered and every other point joins the cluster with the highest
average similarity to it when that clears the same cut (else it stays alone). Only the themes that can make
the list are named and quoted: names are read from seeded samples of 100 of a theme's points, and how
common a phrase is overall from a seeded sample of 300; key phrases from a text's first 400 characters.
10,000 texts take about 0.5 s of CPU (bench/THEMES.md); time grows with the number of distinct texts up to
1,000, then linearly (reading and embedding each text) with a small slope.

A theme has at least two texts. A lone text is not a theme, and an "other" bucket of unrelated texts would
read as a theme it is not, so singletons are left out; a caller can say "and N more". A text with no word
but stop words and symbols ("ok", "?!", "🔥") joins only its exact repeats.

Names are the phrase (1-3 adjacent content words, or "log in"-style word + particle, or a 2-4-character
piece of a CJK run) shared by most of the theme's texts and fewest of the others' (longer phrases win close
calls), as written in the texts; the start of the most central text when no phrase is shared. Quotes are
the most central text and the most central one unlike it, clipped on a word boundary.

`find_same_problem` flags a match at similarity 0.40 or more: over all 19,900 pairs of the labelled set,
80% of the 77 pairs at or above it share a label (recall 3%: it speaks up only when the wording is close);
asking each text against the other 199 finds a match for 37% of them, 76% of those of the same label.
Most misses share a word across topics ("session" in training and in login expiry, "dashboard").
"""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import importlib
import logging
import math
import os
import re
import threading
import unicodedata
import zlib
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from pathlib import Path
from typing import Any, NamedTuple


class _Numpy:
    """numpy, imported on first use: every command that imports the feature graph (`golive launch import`
    plans launches) would otherwise pay ~0.1 s for it; the first attribute read puts the real module in its
    place."""

    def __getattr__(self, name: str) -> Any:
        import numpy  # noqa: PLC0415 - start-up time of commands that never group themes, ~0.1 s measured

        globals()["np"] = numpy
        return getattr(numpy, name)


np: Any = _Numpy()

EMBED_WEIGHT = 0.7  # share of the meaning signal in the blend; the rest is wording
GROUP_SIMILARITY = 0.12  # average-linkage cut: a cluster's texts are this similar to each other on average
SAME_PROBLEM_THRESHOLD = 0.40
CLUSTER_SAMPLE = 1000  # above this many distinct texts, cluster a sample and assign the rest
NAME_SAMPLE = 100  # texts read to name a theme (a seeded sample of a bigger one)
CORPUS_SAMPLE = 300  # texts read to tell how common a phrase is overall
PHRASE_LIMIT = 400  # characters of a text read for key phrases
SAMPLE_SEED = 20240601
MIN_THEME_SIZE = 2
NAME_LIMIT = 60
QUOTE_LIMIT = 200
FEATURE_LIMIT = 1000  # characters of a text that the features read (a 50,000-character paste stays cheap)
ELLIPSIS = "…"

STOP_WORDS = frozenset(
    """
a about above after again against all also am an and any are aren't around as at be because been before being
below between both but by can can't cannot cant could couldn't did didn't do does doesn't doing don't dont down
during each even ever every few for from further get gets getting got had has have having he her here hers him
his i i'm i've if in into is isn't it it's its itself just let me might more most much must my myself no nor
not now of off on once only or other our ours out over own per please pls same she should so some still such
than that that's the their them then there these they this those though through to too under until up upon us
very via was wasn't we we're were weren't what what's when where which while who whom why will with won't would
you you're your yours yet yes hi hello hey ok okay thanks thank really just also again already
since today yesterday tomorrow tonight morning afternoon evening week weeks day days anyone everyone someone
guys folks team colleague colleagues thx ty plz help urgent asap fyi lol btw pm am
der die das den dem des ein eine einer eines einem einen und oder aber ist sind war ich du er sie es wir ihr
nicht kein keine mit zu zum zur bei auf für im in am an von vom aus nach wie was wer wo kann können muss soll
noch schon auch nur mal bitte sehr ja nein dass
le la les l un une des du de d et ou mais est sont je tu il elle nous vous ils elles ne pas plus pour par sur
dans en au aux avec ce cet cette ces qui que quoi on me mon ma mes se sa son ses leur leurs très
el lo los las un una unos unas y o pero es son yo tú él ella nosotros no para por con sin del al que se su sus
muy más como cuando ya
o a os as um uma uns umas e ou mas é são eu ele ela nós não para por com sem do da dos das no na nos nas em ao
que se seu sua muito mais como quando já
""".split()
)

_PARTICLES = frozenset({"in", "on", "out", "up", "off"})
_STOP_FOLDED = STOP_WORDS | {w.replace("'", "’") for w in STOP_WORDS}
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")  # <target|label>: mentions, channels, links
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SHORTCODE = re.compile(r":[a-z0-9_+-]{2,}:")
_ANY_WORD_CHAR = re.compile(r"\w")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_KANA_ONLY = re.compile(r"[\u3040-\u309f\u30fc]+")
_KANA_OR_PUNCT_TOKEN = re.compile(r"▁?(?:[\u3040-\u309f\u3000-\u303f\uff00-\uff0f\uff1a-\uff20]+|[^\w\s]+)|▁")
_FIRST_CONTENT_ID = 259  # wordllama's tokenizer: 0-2 are <unk> <s> </s>, 3-258 are byte pieces <0x00>..<0xFF>


@dataclass(frozen=True)
class ThemeText:
    text: str
    at: datetime | None = None
    ref: str | None = None  # e.g. "issue:12"


@dataclass(frozen=True)
class Theme:
    name: str  # a short key phrase taken from the theme's texts, at most NAME_LIMIT characters
    count: int  # how many of the input texts it holds
    quotes: tuple[str, ...]  # one or two representative texts, clipped to about QUOTE_LIMIT characters
    refs: tuple[str, ...]  # the refs of its texts, in input order, without repeats
    is_new: bool  # it has a text at or after `since` and none before
    recent: int = 0  # how many of its texts are dated at or after `since` (0 without `since`)


# ---------------------------------------------------------------------------------------------------------
# The model: loaded lazily, once per process.

_model_lock = threading.Lock()
_model: Any = None


def _load_model() -> Any:
    """wordllama's 256-d weights and tokenizer from its own installed package folder; never the network."""
    global _model
    if _model is not None:
        return _model
    with _model_lock:
        if _model is None:
            root = logging.getLogger()
            handlers, level = list(root.handlers), root.level
            # Lazy on purpose: scipy and the model cost start-up time and tens of MB; only a process that
            # groups texts pays for them (warm_up() pays up front).
            import wordllama  # noqa: PLC0415 - lazy; its import calls logging.basicConfig(level=INFO)

            for handler in root.handlers[:]:
                if handler not in handlers:
                    root.removeHandler(handler)
            root.setLevel(level)
            model = wordllama.WordLlama.load(
                cache_dir=Path(wordllama.__file__).resolve().parent, disable_download=True
            )
            tokenizer = model.tokenizer
            tokenizer.no_padding()
            tokenizer.no_truncation()
            vocab = tokenizer.get_vocab()
            skip = np.zeros(len(model.embedding), dtype=bool)
            skip[:_FIRST_CONTENT_ID] = True
            for token, index in vocab.items():
                if index < len(skip) and _KANA_OR_PUNCT_TOKEN.fullmatch(token):
                    skip[index] = True
            _model = (tokenizer, np.ascontiguousarray(model.embedding, dtype=np.float32), skip)
            _one_blas_thread()
            # What is alive now (modules, the model, the app's imports) lives as long as the process: out of
            # the garbage collector's way. Otherwise every full collection walks it all again (about 150,000
            # objects, 0.1-0.2 s each on a busy machine), and a digest's build, which makes many small
            # objects, triggers one or two: half its CPU on 50 launches. Later objects are collected as usual.
            gc.freeze()
    return _model


_BLAS_THREADS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads")


def _one_blas_thread() -> bool:
    """Run numpy's OpenBLAS on one thread (unless OPENBLAS_NUM_THREADS or OMP_NUM_THREADS says otherwise).

    The products here are small (at most 1,000 x 1,000 similarities of 256-d vectors), and OpenBLAS's
    helper threads spend more CPU waiting for each other than they save, stealing a core from the
    process's own Slack work: a digest's 100 groupings took 4.2 s of CPU (13 s wall on a busy 2-core
    machine) with them and 1.6-2.0 s (5-6 s wall) without. Same numbers either way: each output cell is
    summed by one thread in the same order. Returns whether the limit was set."""
    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        return False
    for path in sorted((Path(np.__file__).resolve().parent.parent / "numpy.libs").glob("*openblas*")):
        try:
            library = ctypes.CDLL(str(path))  # already loaded by numpy: the same handle
        except OSError:
            continue
        for name in _BLAS_THREADS:
            setter = getattr(library, name, None)
            if setter is not None:
                setter(1)
                return True
    return False


def warm_up() -> None:
    """Load the model and its imports (scipy's sparse matrices and clustering too) now, 1-2 s on a busy 2-core
    machine and about 40 MB, instead of on the first call."""
    _load_model()
    importlib.import_module("scipy.sparse")
    importlib.import_module("scipy.cluster.hierarchy")


# ---------------------------------------------------------------------------------------------------------
# Features


def _is_blank(text: str) -> bool:
    """No letter, digit, symbol or punctuation: empty, whitespace, zero-width or control characters only."""
    if _ANY_WORD_CHAR.search(text):
        return False
    return not any(unicodedata.category(ch)[0] in "LNSP" for ch in text)


class _Word(NamedTuple):
    pieces: tuple[int, ...]  # wordllama token ids
    content: tuple[int, ...]  # the pieces that carry content (no byte pieces, punctuation or kana)
    grams: tuple[int, ...]  # stable hashes of its character 3-5-grams (padded with a space on each side)


_words_lock = threading.Lock()
_words_cache: dict[str, _Word] = {}  # insertion order: the oldest words go first when it is full
# A word costs about 1.2 kB here (its n-gram hashes are most of it), and the words come from what people
# write (issue numbers, names, ids, typos), so a long-running process meets new ones forever: 20,000 words
# (about 24 MB) hold every word of a 10,000-text grouping several times over (bench/themes.py: about 3,700).
_WORDS_CACHE_LIMIT = 20_000
_GRAM_BUCKETS = 1 << 22


def _grams(word: str) -> tuple[int, ...]:
    padded = f" {word} "
    out = []
    for size in (3, 4, 5):
        for i in range(len(padded) - size + 1):
            gram = padded[i : i + size]
            if not _KANA_ONLY.fullmatch(gram.strip()):
                out.append(zlib.crc32(gram.encode("utf-8")) % _GRAM_BUCKETS)
    return tuple(out)


def _words(words: set[str]) -> dict[str, _Word]:
    """Each word's tokens and character n-grams, worked out once per process.

    No token of wordllama's tokenizer spans a space (tests check a text's tokens are its words' tokens in
    order), so tokenising the distinct words gives the same tokens several times faster than tokenising
    every text."""
    tokenizer, weights, skip = _load_model()
    found = {w: entry for w in words if (entry := _words_cache.get(w)) is not None}
    missing = sorted(words.difference(found))
    if missing:
        encoded = tokenizer.encode_batch_fast(missing, add_special_tokens=False)
        vocab = len(weights)
        with _words_lock:
            for word, enc in zip(missing, encoded, strict=True):
                ids = tuple(i for i in enc.ids if 0 <= i < vocab)
                entry = _Word(ids, tuple(i for i in ids if not skip[i]), _grams(word))
                _words_cache[word] = entry
                found[word] = entry
            excess = len(_words_cache) - _WORDS_CACHE_LIMIT
            if excess > 0:  # bounded: the oldest words go (this call's own words are in `found` anyway)
                for word in list(islice(_words_cache, excess)):
                    del _words_cache[word]
    return found


@dataclass(frozen=True)
class _Features:
    meaning: np.ndarray  # unit rows, one per text (zero for a text without any token)
    wording: Any  # scipy CSR, unit rows: character n-gram (or token) counts, sublinear, IDF-weighted or not


def _features(contents: Sequence[str], *, idf: bool, wording: str = "grams") -> _Features:
    """Both signals for each text: the mean vector of its content tokens (of all its tokens when none is
    content), and a bag of its words' character 3-5-grams ("grams") or of its tokens ("tokens"), with
    sublinear counts, optionally IDF-weighted, unit length. Built as (texts x words) @ (words x tokens or
    grams), so the per-text work is done by sparse products."""
    _, weights, _ = _load_model()
    csr_matrix = importlib.import_module("scipy.sparse").csr_matrix
    n, vocab = len(contents), len(weights)
    if n == 0:
        return _Features(np.zeros((0, weights.shape[1]), np.float32), csr_matrix((0, 1), dtype=np.float32))
    texts_words = [c.lower().split() for c in contents]
    known = _words(set(chain.from_iterable(texts_words)))
    index = {word: i for i, word in enumerate(known)}
    entries = list(known.values())
    lengths = np.fromiter(map(len, texts_words), dtype=np.int64, count=n)
    columns = np.fromiter(map(index.__getitem__, chain.from_iterable(texts_words)), dtype=np.int64,
                          count=int(lengths.sum()))
    text_words = csr_matrix(
        (np.ones(len(columns), np.float32), (np.repeat(np.arange(n), lengths), columns)), shape=(n, len(entries))
    )

    def word_matrix(field: str, width: int | None) -> Any:
        """(words x tokens or grams); with no `width`, the columns are renumbered to the ones used, so the
        products below work on a few thousand columns instead of millions of hash buckets."""
        lists = [getattr(e, field) for e in entries]
        sizes = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        cols = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(sizes.sum()))
        if width is None:
            used, cols = np.unique(cols, return_inverse=True)
            width = max(1, len(used))
        rows = np.repeat(np.arange(len(entries)), sizes)
        return csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(entries), width))

    counts = text_words @ word_matrix("content", vocab)
    empty = np.flatnonzero(np.diff(counts.indptr) == 0)
    if len(empty):  # no content token (an emoji, a lone kana): use all its tokens
        counts = counts.tolil()
        counts[empty] = text_words[empty] @ word_matrix("pieces", vocab)
        counts = counts.tocsr()
    meaning = np.asarray(counts @ weights, dtype=np.float32)
    norms = np.linalg.norm(meaning, axis=1, keepdims=True)
    np.divide(meaning, norms, out=meaning, where=norms > 0)

    if wording == "grams":
        bag = text_words @ word_matrix("grams", None)
    else:
        bag = counts.copy()
        bag.sum_duplicates()
        used, bag.indices = np.unique(bag.indices, return_inverse=True)
        bag = csr_matrix((bag.data, bag.indices, bag.indptr), shape=(n, max(1, len(used))))
    bag.data = 1.0 + np.log(bag.data)
    if idf:
        df = np.bincount(bag.indices, minlength=bag.shape[1])
        bag.data *= (np.log((1.0 + n) / (1.0 + df)) + 1.0)[bag.indices].astype(np.float32)
    per_row = np.diff(bag.indptr)
    row_norms = np.sqrt(np.bincount(np.repeat(np.arange(n), per_row), weights=bag.data**2, minlength=n))
    row_norms[row_norms == 0] = 1.0
    bag.data /= np.repeat(row_norms, per_row).astype(np.float32)
    return _Features(meaning, bag)


def _similarities(features: _Features, rows: Any = None, weight: float = EMBED_WEIGHT) -> np.ndarray:
    """Blended similarity of `rows` (default: all) against all texts, clipped to [0, 1]."""
    if rows is None:
        rows = slice(None)
    dense = features.meaning[rows] @ features.meaning.T
    lexical = (features.wording[rows] @ features.wording.T).toarray()
    return np.clip(weight * dense + (1 - weight) * lexical, 0.0, 1.0)


def _subset(features: _Features, rows: Any) -> _Features:
    return _Features(features.meaning[rows], features.wording[rows])


def similarity(a: str, b: str) -> float:
    """How alike two texts are in meaning and wording, in [0, 1]: 1 for the same words, about 0.05 on
    average for two unrelated go-live texts, about 0.15 on average for two about the same kind of problem."""
    return float(_pair_scores(a, [b])[0])


def _pair_scores(new: str, others: Sequence[str]) -> np.ndarray:
    """similarity(new, other) for each other: the wording signal carries no IDF here, so each score
    depends on its two texts only, whatever else is in the list."""
    scores = np.zeros(len(others), dtype=np.float64)
    if _is_blank(new) or not others:
        return scores
    parsed = [_parse(new)] + [_parse(text) for text in others]
    features = _features([p.content for p in parsed], idf=False)
    scores[:] = _similarities(features, rows=[0])[0, 1:]
    for i, text in enumerate(others):
        if _is_blank(text):
            scores[i] = 0.0
        elif parsed[i + 1].key == parsed[0].key:
            scores[i] = 1.0
    return scores


def find_same_problem(
    new: str, candidates: Sequence[tuple[str, str]], threshold: float = SAME_PROBLEM_THRESHOLD
) -> str | None:
    """The ref of the candidate (ref, text) most similar to `new` when that similarity reaches `threshold`
    (the first such candidate on a tie), else None. Used to say "looks like #3" when a report repeats an
    open issue."""
    if not candidates:
        return None
    scores = _pair_scores(new, [text for _, text in candidates])
    best = int(np.argmax(scores))
    return candidates[best][0] if scores[best] >= threshold else None


# ---------------------------------------------------------------------------------------------------------
# Clustering


def _average_linkage(sim: np.ndarray, cut: float) -> np.ndarray:
    """Cluster numbers from average linkage on 1 - sim, cut where the average similarity drops below `cut`."""
    hierarchy = importlib.import_module("scipy.cluster.hierarchy")
    fcluster, linkage = hierarchy.fcluster, hierarchy.linkage
    n = len(sim)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    upper = np.triu_indices(n, 1)  # sim is symmetric: the condensed form is its upper triangle
    distance = 1.0 - sim[upper].astype(np.float64)
    tree = linkage(distance, method="average")
    return fcluster(tree, t=1.0 - cut, criterion="distance").astype(np.int64) - 1


def _cluster(features: _Features, cut: float = GROUP_SIMILARITY, weight: float = EMBED_WEIGHT) -> np.ndarray:
    """A cluster number for each row. Above CLUSTER_SAMPLE rows, a seeded sample is clustered and each other
    row joins the cluster with the highest average similarity to it if that reaches `cut` (else it stays
    alone)."""
    csr_matrix = importlib.import_module("scipy.sparse").csr_matrix
    n = len(features.meaning)
    if n <= CLUSTER_SAMPLE:
        return _average_linkage(_similarities(features, weight=weight), cut)
    sample = np.sort(np.random.default_rng(SAMPLE_SEED).choice(n, size=CLUSTER_SAMPLE, replace=False))
    rest = np.setdiff1d(np.arange(n), sample)
    sampled = _subset(features, sample)
    sample_labels = _average_linkage(_similarities(sampled, weight=weight), cut)
    k = int(sample_labels.max()) + 1
    sizes = np.bincount(sample_labels, minlength=k).astype(np.float32)
    mean_of = csr_matrix(
        (1.0 / sizes[sample_labels], (sample_labels, np.arange(len(sample)))), shape=(k, len(sample))
    )
    # The average similarity of a row to a cluster's members is its similarity to their mean vectors.
    meaning_centroids = np.asarray(mean_of @ sampled.meaning).T
    wording_centroids = csr_matrix((mean_of @ sampled.wording).T)
    labels = np.empty(n, dtype=np.int64)
    labels[sample] = sample_labels
    next_label = k
    for start in range(0, len(rest), 1000):
        chunk = rest[start : start + 1000]
        score = weight * (features.meaning[chunk] @ meaning_centroids)
        score += (1 - weight) * (features.wording[chunk] @ wording_centroids).toarray()
        best = score.argmax(axis=1)
        joins = score[np.arange(len(chunk)), best] >= cut
        labels[chunk[joins]] = best[joins]
        alone = chunk[~joins]
        labels[alone] = np.arange(next_label, next_label + len(alone))
        next_label += len(alone)
    return labels


# ---------------------------------------------------------------------------------------------------------
# Reading a text: its plain words, its content words, its key-phrase candidates


class _Parsed(NamedTuple):
    plain: str  # Slack markup, links and :shortcodes: gone, whitespace folded, clipped
    content: str  # the plain words without stop words (the plain text when nothing else is left)
    key: str  # what makes two texts exact repeats
    has_content: bool  # it has a word that is not a stop word


def _slack_link(match: re.Match[str]) -> str:
    """A link's label stays (<https://x|the runbook> -> "the runbook"); mentions, channels, broadcasts and
    bare links go: they name who or where, not what."""
    target, label = match.group(1), match.group(2)
    return f" {label} " if label and not target.startswith(("@", "#", "!")) else " "


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> _Parsed:
    """A text read once per process (while it stays among the 8,192 last read): a digest, the next day's
    digest and a report's "looks like #3" check read the same issue texts again."""
    head = text[: FEATURE_LIMIT * 2]
    plain = head
    if "<" in plain:
        plain = _SLACK_LINK.sub(_slack_link, plain)
    if "http" in plain or "www." in plain:
        plain = _URL.sub(" ", plain)
    if ":" in plain:
        plain = _SHORTCODE.sub(" ", plain)
    plain = " ".join(plain.split())[:FEATURE_LIMIT]
    content_words = [w for w in _WORD.findall(plain.lower()) if w not in _STOP_FOLDED]
    content = " ".join(content_words) if content_words else (plain or " ".join(head.split())[:FEATURE_LIMIT])
    # `content` is lower case (the features fold case anyway), except when it falls back to the plain text
    return _Parsed(plain, content, plain.casefold() or text.strip().casefold(), bool(content_words))


@functools.lru_cache(maxsize=8192)
def _phrases(plain: str) -> dict[str, str]:
    """Key-phrase candidates of a text, folded key -> as written: runs of 1-3 adjacent content words (no
    stop word, digit-only word or punctuation inside), and 2-4-character pieces of CJK runs that are not
    all kana (CJK has no spaces to find words by). Cached per text like `_parse`: callers only read it."""
    words = [(m.group(), *m.span()) for m in _WORD.finditer(plain[:PHRASE_LIMIT])]
    usable = [w.lower() not in _STOP_FOLDED and not w.isdigit() for w, _, _ in words]
    phrases: dict[str, str] = {}
    for i, (word, start, end) in enumerate(words):
        if not usable[i]:
            continue
        if _CJK.search(word):
            for run in _CJK_RUN.findall(word):
                for size in (2, 3, 4):
                    for j in range(len(run) - size + 1):
                        piece = run[j : j + size]
                        if not _KANA_ONLY.fullmatch(piece):
                            phrases.setdefault(piece, piece)
            continue
        if len(word) >= 3:
            phrases.setdefault(word.casefold(), word)
        last_end = end
        for j in (i + 1, i + 2):
            if j >= len(words) or _CJK.search(words[j][0]):
                break
            if not usable[j]:  # "log in", "sign-in", "set up": a particle may end a two-word phrase
                if j == i + 1 and words[j][0].lower() in _PARTICLES and plain[end : words[j][1]] in (" ", "-"):
                    surface = plain[start : words[j][2]]
                    phrases.setdefault(surface.casefold().replace("-", " "), surface)
                break
            if plain[last_end : words[j][1]] not in (" ", "-", "/"):
                break
            last_end = words[j][2]
            surface = plain[start:last_end]
            phrases.setdefault(surface.casefold().replace("-", " "), surface)
    return phrases


def _clip_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters on a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def _naming_weight(surfaces: Counter[str]) -> float:
    """Names of things win close calls: a phrase people write with an acronym (SSO, CSV, API) says what a
    theme is about better than a common word (error, page) found as often. (Capitalised words are not counted:
    most are just the start of a sentence.)"""
    surface = max(surfaces.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return 1.15 if any(len(w) > 1 and w.isupper() and w.isalpha() for w in surface.split()) else 1.0


def _name(
    points: Sequence[int],
    central: int,
    parsed: Sequence[_Parsed],
    weights: np.ndarray,
    phrases_of: Any,
    corpus_df: Counter[str],
    corpus_size: int,
) -> str:
    """The phrase shared by most of the theme's texts and fewest of the others (longer phrases win close
    calls); the start of its most central text when no phrase is shared."""
    read = list(points)
    if len(read) > NAME_SAMPLE:  # a big theme is read from a seeded sample of its texts
        read = sorted(np.random.default_rng(SAMPLE_SEED).choice(read, NAME_SAMPLE, replace=False).tolist())
    df: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for p in read:
        for key, surface in phrases_of(p).items():
            df[key] += int(weights[p])
            surfaces[key][surface] += int(weights[p])
    size = int(weights[list(points)].sum())
    read_size = int(weights[read].sum())
    total = int(weights.sum())
    scale = total / corpus_size
    best: tuple[float, int, str] | None = None
    for key, count in df.items():
        if count < 2:
            continue
        words = 1 + key.count(" ")
        share = count / read_size  # of the theme's texts that have the phrase
        spread = max(corpus_df.get(key, 0) * scale, share * size)  # texts with it in the whole input
        score = share * math.log(1 + total / spread) * (1 + 0.2 * (words - 1)) * _naming_weight(surfaces[key])
        if best is None or score > best[0] or (score == best[0] and (words, key) < best[1:]):
            best = (score, words, key)
    if best is not None:
        surface = max(surfaces[best[2]].items(), key=lambda kv: (kv[1], kv[0]))[0]
        return _clip_words(surface, NAME_LIMIT)
    first = parsed[central]
    return _clip_words(first.plain or first.content, NAME_LIMIT) or ELLIPSIS


# ---------------------------------------------------------------------------------------------------------
# The entry point


def _as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


_RESULTS_LIMIT = 1024  # inputs whose themes are remembered (a few KB each; a digest needs two per launch)
_results_lock = threading.Lock()
_results: OrderedDict[bytes, tuple[Theme, ...]] = OrderedDict()


def _input_key(items: Sequence[ThemeText], since: datetime | None, max_themes: int, by_recent: bool) -> bytes:
    """What decides `group_themes`' answer, hashed: the arguments, and per text its ref, its words and
    whether it is undated, before `since` or at or after it (its exact time changes nothing). Fields are
    length-prefixed, so no text can pass for two."""
    since_utc = _as_utc(since) if since is not None else None

    def flag(at: datetime | None) -> str:
        if since_utc is None:
            return "-"
        return "u" if at is None else "r" if _as_utc(at) >= since_utc else "b"

    body = "".join(f"{flag(item.at)}{len(item.ref or '')}:{item.ref or ''}{len(item.text)}:{item.text}"
                   for item in items)
    head = f"{max_themes}|{int(by_recent)}|{int(since_utc is not None)}|"
    return hashlib.blake2b((head + body).encode("utf-8", "surrogatepass"), digest_size=20).digest()


def clear_caches(*, words: bool = True) -> None:
    """Forget remembered themes and read texts (tests and benchmarks measure the cold path with it);
    `words=False` keeps the word vectors (words recur across texts: the steady state of a running process)."""
    with _results_lock:
        _results.clear()
    _parse.cache_clear()
    _phrases.cache_clear()
    if words:
        with _words_lock:
            _words_cache.clear()


def group_themes(texts: Sequence[ThemeText], *, since: datetime | None = None, max_themes: int = 5,
                 by_recent: bool = False) -> list[Theme]:
    """The biggest themes among `texts`, at most `max_themes`, by count (descending) then name; with
    `by_recent`, only themes with a text at or after `since`, by `recent` (descending), new before ongoing,
    then name (only the themes that can make the list are named and quoted, whatever the input size).

    A theme holds at least two texts; blank texts (no letter, digit, symbol or punctuation) are ignored.
    `is_new` is true when `since` is given and the theme has a dated text at or after it and none before
    (naive datetimes are taken as UTC); `recent` counts its texts dated at or after `since`, and its quotes
    are taken from those when it has any. The same input always gives the same output."""
    if max_themes <= 0:
        return []
    items = [item for item in texts if not _is_blank(item.text)]
    if len(items) < MIN_THEME_SIZE:
        return []
    # The answer depends only on the input, so the same input (a digest built again, for a second CSM of
    # the launch, or retried) is answered from memory; any new, changed or re-dated text is a new input.
    key = _input_key(items, since, max_themes, by_recent)
    with _results_lock:
        found = _results.get(key)
        if found is not None:
            _results.move_to_end(key)
            return list(found)
    themes = _group_themes(items, since=since, max_themes=max_themes, by_recent=by_recent)
    with _results_lock:
        _results[key] = tuple(themes)
        while len(_results) > _RESULTS_LIMIT:
            _results.popitem(last=False)
    return themes


def _group_themes(items: Sequence[ThemeText], *, since: datetime | None, max_themes: int,
                  by_recent: bool) -> list[Theme]:
    """`group_themes` on non-blank texts, at least two, without the memory."""
    # Exact repeats (same text once case and whitespace are folded) are read once. Texts left with the same
    # content words once markup, links and stop words are gone ("hey team, CSV export fails!" and "csv export
    # fails pls") have the same features: they are one point with a weight, embedded and clustered once.
    slot_of: dict[str, int] = {}
    slots: list[list[int]] = []
    for index, item in enumerate(items):
        slot = slot_of.setdefault(" ".join(item.text.split()).casefold(), len(slots))
        if slot == len(slots):
            slots.append([])
        slots[slot].append(index)
    point_of: dict[str, int] = {}
    members: list[list[int]] = []  # item indices of each point, its first text first
    parsed: list[_Parsed] = []
    for slot in slots:
        one = _parse(items[slot[0]].text)
        point = point_of.setdefault(one.content if one.has_content else "\0" + one.key, len(members))
        if point == len(members):
            members.append([])
            parsed.append(one)
        members[point].extend(slot)
    weights = np.fromiter(map(len, members), dtype=np.int64, count=len(members))

    features = _features([p.content for p in parsed], idf=True)
    # A text without a content word ("ok", "?!", "🔥") groups only with its exact repeats: fuzzy likeness
    # between fillers and symbols is no theme. Only the others are clustered.
    worded = np.fromiter((p.has_content for p in parsed), dtype=bool, count=len(parsed))
    labels = np.arange(len(parsed), dtype=np.int64) + len(parsed)
    if worded.all():
        labels = _cluster(features)
    elif worded.any():
        labels[worded] = _cluster(_subset(features, np.flatnonzero(worded)))
    # Per text: its point, whether it is dated, dated before `since`, dated at or after it.
    item_point = np.empty(len(items), dtype=np.int64)
    item_point[np.fromiter(chain.from_iterable(members), dtype=np.int64, count=len(items))] = np.repeat(
        np.arange(len(members)), weights)
    dated = np.fromiter((item.at is not None for item in items), dtype=bool, count=len(items))
    recent_of = np.zeros(len(items), dtype=bool)
    since_utc = _as_utc(since) if since is not None else None
    if since_utc is not None and dated.any():
        recent_of[dated] = [_as_utc(at) >= since_utc for at in (item.at for item in items) if at is not None]
    before = dated & ~recent_of if since_utc is not None else np.zeros(len(items), dtype=bool)
    sizes = np.bincount(labels, weights=weights)
    item_label = labels[item_point]
    rank = np.bincount(item_label, weights=recent_of, minlength=len(sizes)) if by_recent else sizes
    kept = np.flatnonzero((sizes >= MIN_THEME_SIZE) & (rank > 0))
    kept = kept[np.argsort(-rank[kept], kind="stable")]
    if len(kept) > max_themes:  # name only what can make the list (ties at its end are broken by name)
        kept = kept[rank[kept] >= rank[kept[max_themes - 1]]]
    if not len(kept):
        return []
    order = np.argsort(labels, kind="stable")  # the points of each label, in point order
    starts = np.concatenate(([0], np.cumsum(np.bincount(labels, minlength=len(sizes)))))
    item_order = np.argsort(item_label, kind="stable")  # the texts of each label, in input order
    item_starts = np.concatenate(([0], np.cumsum(np.bincount(item_label, minlength=len(sizes)))))
    # The text quoted for a point: its first text of the period when it has one, else its first text.
    shown = np.fromiter((group[0] for group in members), dtype=np.int64, count=len(members))
    recent_items = np.flatnonzero(recent_of)
    with_recent, first = np.unique(item_point[recent_items], return_index=True)
    shown[with_recent] = recent_items[first]
    preferred = frozenset(with_recent.tolist())
    refs_of = [item.ref for item in items]

    cache: dict[int, dict[str, str]] = {}

    def phrases_of(point: int) -> dict[str, str]:
        if point not in cache:
            cache[point] = _phrases(parsed[point].plain)
        return cache[point]

    # How common each phrase is across all the texts, counted on a seeded sample when there are many, so
    # naming costs the same whatever the input size.
    counted = np.arange(len(parsed))
    if len(counted) > CORPUS_SAMPLE:
        counted = np.sort(np.random.default_rng(SAMPLE_SEED).choice(len(parsed), CORPUS_SAMPLE, replace=False))
    corpus_df: Counter[str] = Counter()
    for p in counted.tolist():
        for key in phrases_of(p):
            corpus_df[key] += int(weights[p])
    corpus_size = int(weights[counted].sum())

    themes: list[Theme] = []
    for label in kept.tolist():
        points = order[starts[label] : starts[label + 1]].tolist()
        central, quotes = _quotes(points, weights, features, lambda p: items[shown[p]].text, preferred)
        name = _name(points, central, parsed, weights, phrases_of, corpus_df, corpus_size)
        indices = item_order[item_starts[label] : item_starts[label + 1]]
        refs = tuple(dict.fromkeys(ref for ref in map(refs_of.__getitem__, indices.tolist()) if ref))
        recent = int(recent_of[indices].sum())
        is_new = recent > 0 and not bool(before[indices].any())
        themes.append(Theme(name=name, count=int(sizes[label]), quotes=quotes, refs=refs, is_new=is_new,
                            recent=recent))

    if by_recent:
        themes.sort(key=lambda t: (-t.recent, not t.is_new, t.name.casefold(), t.name, t.quotes, t.refs))
    else:
        themes.sort(key=lambda t: (-t.count, t.name.casefold(), t.name, t.quotes, t.refs))
    return themes[:max_themes]


def _quotes(
    points: Sequence[int],
    weights: np.ndarray,
    features: _Features,
    text_of: Callable[[int], str],
    preferred: set[int] | frozenset[int] = frozenset(),
) -> tuple[int, tuple[str, ...]]:
    """The theme's most central point, and its quotes: the most central text and, when there is one, the
    most central text unlike it (points in `preferred`, e.g. this period's texts, first). `text_of` gives
    the text to quote for a point."""
    rows = np.asarray(points)
    share = weights[rows] / weights[rows].sum()
    meaning = features.meaning[rows]
    wording = features.wording[rows]
    centre_meaning = share @ meaning
    centre_wording = np.asarray(wording.T @ share).ravel()
    centrality = EMBED_WEIGHT * (meaning @ centre_meaning) + (1 - EMBED_WEIGHT) * (wording @ centre_wording)
    order = sorted(range(len(rows)), key=lambda i: (int(rows[i]) not in preferred, -round(float(centrality[i]), 6),
                                                    int(rows[i])))
    first = order[0]
    chosen = [first]
    if len(order) > 1:
        alike = EMBED_WEIGHT * (meaning @ meaning[first])
        alike += (1 - EMBED_WEIGHT) * (wording @ wording[first].T).toarray().ravel()
        unlike = [i for i in order[1:] if alike[i] < 0.8]
        chosen.append(unlike[0] if unlike else order[1])
    quotes = tuple(_clip_words(text_of(int(rows[i])).strip(), QUOTE_LIMIT) for i in chosen)
    return int(rows[first]), quotes
