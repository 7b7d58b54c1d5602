"""Benchmark and calibration of bot.features.themes (run by hand, not by pytest).

    .venv/bin/python bench/themes.py            # quality on the labelled set, then time on 100 / 1k / 10k texts
    .venv/bin/python bench/themes.py --sweep    # the measurements the method and its constants were picked by
    .venv/bin/python bench/themes.py --against old_service.py   # before/after in one run (see against())

Quality: adjusted Rand index (ARI) against the labels of tests/data/themes_labelled.jsonl, for today's
word counts (tests/unit/themes/scoring.py) and for group_themes. Time: group_themes on texts made by
recombining the labelled set (prefixes, suffixes, typos, case, halves of two texts of the same label),
against the word-count baseline on the same texts in the same run. Target: 10,000 texts under 2 s.
Also times `summary.themes_of` (what the digest, wrap-up and adoption report call) on the 10,000 texts spread
over two weeks, its first call (word caches cold) and its best; the RESULT line takes the slower of the two
10,000-text times. Ends with `RESULT themes: ... PASS|FAIL`; exit code 0 on PASS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/themes.py` from anywhere
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.features.themes import service  # noqa: E402
from bot.features.themes.service import ThemeText, clear_caches, group_themes  # noqa: E402
from bot.features.themes.summary import themes_of  # noqa: E402
from tests.unit.themes.scoring import adjusted_rand_index, word_count_labels  # noqa: E402

DATA = ROOT / "tests" / "data" / "themes_labelled.jsonl"
SIZES = (100, 1_000, 10_000)
TARGET_SECONDS = 2.0
PREFIXES = ("", "", "", "hey team, ", "FYI ", "+1 ", "again: ", "urgent - ", "@here ", "Hi all! ")
SUFFIXES = ("", "", "", " pls help", " 🙏", " since this morning", " (same for my colleague)", "!!", " thx", " :(")


def load() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def ari(truth: Sequence[object], found: Sequence[object]) -> float:
    return adjusted_rand_index([str(x) for x in truth], [str(x) for x in found])


def theme_labels(texts: Sequence[str]) -> list[str]:
    """group_themes' grouping as one label per text (a text in no theme is alone)."""
    themes = group_themes([ThemeText(t, ref=str(i)) for i, t in enumerate(texts)], max_themes=len(texts) + 1)
    labels = [f"alone-{i}" for i in range(len(texts))]
    for n, theme in enumerate(themes):
        for ref in theme.refs:
            labels[int(ref)] = f"theme-{n}"
    return labels


def generate(texts: Sequence[str], labels: Sequence[str], n: int, seed: int) -> tuple[list[str], list[str]]:
    """n texts recombined from the labelled set, each keeping the label of what it was made from."""
    rng = random.Random(seed)
    by_label: dict[str, list[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        by_label.setdefault(label, []).append(text)
    out_texts, out_labels = [], []
    for _ in range(n):
        i = rng.randrange(len(texts))
        text, label = texts[i], labels[i]
        if rng.random() < 0.25:  # first half of one text + second half of another with the same label
            other = rng.choice(by_label[label])
            a, b = text.split(), other.split()
            if len(a) > 1 and len(b) > 1:
                text = " ".join(a[: len(a) // 2] + b[len(b) // 2 :])
        if rng.random() < 0.3 and len(text) > 4:  # a typo: two letters swapped
            j = rng.randrange(1, len(text) - 2)
            text = text[:j] + text[j + 1] + text[j] + text[j + 2 :]
        if rng.random() < 0.3:
            text = text.lower()
        out_texts.append(rng.choice(PREFIXES) + text + rng.choice(SUFFIXES))
        out_labels.append(label)
    return out_texts, out_labels


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The fastest of `repeats` runs, wall-clock and CPU seconds (the machine is shared: the fastest run is
    the one least slowed by others; CPU time counts only this process, all its threads)."""
    walls, cpus = [], []
    for _ in range(repeats):
        # New texts each time, as in production: nothing remembered from the previous repeat (the answer
        # for the same input, each text's reading), only the word vectors a running process keeps.
        clear_caches(words=False)
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    texts, labels = load()
    start = time.perf_counter()
    service.warm_up()
    print(f"model load + imports: {time.perf_counter() - start:.2f} s (once per process), "
          f"peak RSS {peak_rss_mb():.0f} MB")

    base_ari = ari(labels, word_count_labels(texts))
    new_ari = ari(labels, theme_labels(texts))
    print(f"\nlabelled set: {len(texts)} texts, {len(set(labels))} labels")
    print(f"  ARI word counts (baseline)  {base_ari:.3f}")
    print(f"  ARI group_themes            {new_ari:.3f}   (+{new_ari - base_ari:.3f})")

    print(f"\nload average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"{'texts':>7} {'distinct':>8} {'group_themes s':>15} {'(cpu s)':>8} {'word counts s':>14} {'ratio':>7} "
          f"{'ARI new':>8} {'ARI base':>8}  top themes")
    ten_k = ratio_10k = 0.0
    for n in SIZES:
        gen_texts, gen_labels = generate(texts, labels, n, seed=n)
        items = [ThemeText(t) for t in gen_texts]
        seconds, cpu = timed(lambda items=items: group_themes(items), 5 if n < 10_000 else 3)
        base_seconds, _ = timed(lambda gen_texts=gen_texts: word_count_labels(gen_texts), 5)
        top = group_themes(items)
        new_gen = ari(gen_labels, theme_labels(gen_texts))
        base_gen = ari(gen_labels, word_count_labels(gen_texts))
        distinct = len({" ".join(t.split()).casefold() for t in gen_texts})
        ratio = seconds / base_seconds
        print(f"{n:>7} {distinct:>8} {seconds:>15.3f} {cpu:>8.3f} {base_seconds:>14.3f} {ratio:>7.1f} {new_gen:>8.3f} "
              f"{base_gen:>8.3f}  " + ", ".join(f"{t.name} ({t.count})" for t in top))
        if n == 10_000:
            ten_k, ratio_10k = seconds, ratio
    # What the digest, wrap-up and adoption report call: this week's themes of 10,000 texts over two weeks.
    week = datetime(2027, 3, 8, tzinfo=UTC)
    gen_texts, _ = generate(texts, labels, 10_000, seed=10_000)
    dated = [ThemeText(t, week + timedelta(hours=n % 300 - 150), f"t:{n}") for n, t in enumerate(gen_texts)]
    first_wall, first_cpu = timed(lambda: themes_of(dated, start=week, end=week + timedelta(days=7)), 1)
    summary_s, summary_cpu = timed(lambda: themes_of(dated, start=week, end=week + timedelta(days=7)), 3)
    print(f"themes_of, 10,000 texts over two periods: {summary_s:.3f} s ({summary_cpu:.3f} cpu s); "
          f"its first call {first_wall:.3f} s ({first_cpu:.3f} cpu s)")
    print(f"peak RSS after all runs: {peak_rss_mb():.0f} MB")
    ten_k = max(ten_k, summary_s)
    ok = ten_k < TARGET_SECONDS and new_ari >= base_ari + 0.15
    print(f"\nRESULT themes: 10k texts {ten_k:.2f} s (target < {TARGET_SECONDS:.0f} s), {ratio_10k:.0f}x the word "
          f"counts; ARI {new_ari:.3f} vs {base_ari:.3f} {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def plain_wordllama(texts: Sequence[str]) -> np.ndarray:
    """wordllama's own sentence vectors: the mean of all token vectors of the raw text, unit length."""
    tokenizer, weights, _ = service._load_model()
    out = np.zeros((len(texts), weights.shape[1]), dtype=np.float32)
    for i, enc in enumerate(tokenizer.encode_batch(list(texts), add_special_tokens=False)):
        if enc.ids:
            out[i] = weights[enc.ids].mean(axis=0)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def compare_methods(texts: Sequence[str], labels: Sequence[str], halves: Sequence[np.ndarray]) -> None:
    """ARI of the candidate methods, on the whole set and averaged over the stratified halves."""
    from scipy.cluster.vq import kmeans2

    truth = np.array(labels)
    contents = [service._parse(t).content for t in texts]
    cuts = np.round(np.arange(0.02, 0.61, 0.02), 3)

    def score(method: Callable[[np.ndarray], Sequence[object]]) -> tuple[float, float]:
        full = ari(labels, method(np.arange(len(texts))))
        return full, float(np.mean([ari(truth[half], method(half)) for half in halves]))

    def linkage_best(make: Callable[[np.ndarray], np.ndarray]) -> tuple[float, float, float]:
        best = max(cuts, key=lambda c: score(lambda rows: service._average_linkage(make(rows), c))[1])
        return (*score(lambda rows: service._average_linkage(make(rows), best)), float(best))

    def plain_sim(rows: np.ndarray) -> np.ndarray:
        vectors = plain_wordllama([texts[i] for i in rows])
        return np.clip(vectors @ vectors.T, 0, 1)

    def meaning_sim(rows: np.ndarray) -> np.ndarray:
        return service._similarities(service._features([contents[i] for i in rows], idf=True), weight=1.0)

    def blend_sim(wording: str) -> Callable[[np.ndarray], np.ndarray]:
        return lambda rows: service._similarities(
            service._features([contents[i] for i in rows], idf=True, wording=wording)
        )

    def kmeans(rows: np.ndarray) -> Sequence[object]:
        vectors = plain_wordllama([texts[i] for i in rows]).astype(np.float64)
        return kmeans2(vectors, 10, seed=0, minit="++")[1]

    print(f"{'method':<74} {'ARI full':>6} {'ARI halves':>11}")
    rows = [
        ("word counts (today)", score(lambda r: word_count_labels([texts[i] for i in r]))),
        ("k-means, k = 10 (the true count), plain wordllama vectors", score(kmeans)),
    ]
    for name, make in (
        ("average linkage, plain wordllama vectors", plain_sim),
        ("average linkage, content-token vectors only", meaning_sim),
        ("average linkage, content vectors + token bag (0.7/0.3)", blend_sim("tokens")),
        ("average linkage, content vectors + char 3-5-grams (0.7/0.3)", blend_sim("grams")),
    ):
        full, half, cut = linkage_best(make)
        rows.append((f"{name}, best cut {cut:.2f}", (full, half)))
    rows.append(("group_themes as shipped", (ari(labels, theme_labels(texts)), float("nan"))))
    for name, (full, half) in rows:
        print(f"{name:<74} {full:>8.3f} {half:>11.3f}")

    print("\npairs: share with the same label among each similarity's most similar pairs of the labelled set")
    same = truth[:, None] == truth[None, :]
    upper = np.triu_indices(len(texts), 1)
    everything = np.arange(len(texts))
    for name, sim in (
        ("plain wordllama cosine", plain_sim(everything)),
        ("content-token vectors only", meaning_sim(everything)),
        ("content vectors + token bag, no IDF", service._similarities(service._features(contents, idf=False,
                                                                                         wording="tokens"))),
        ("similarity() as shipped: + char 3-5-grams, no IDF", service._similarities(service._features(contents,
                                                                                                 idf=False))),
    ):
        order = np.argsort(-sim[upper], kind="stable")
        tops = "  ".join(f"top {k}: {same[upper][order[:k]].mean():.2f}" for k in (25, 50, 100, 200))
        print(f"  {name:<52} {tops}")
    print()


def sweep(wording: str) -> int:
    """The measurements behind EMBED_WEIGHT, GROUP_SIMILARITY and SAME_PROBLEM_THRESHOLD."""
    texts, labels = load()
    truth = np.array(labels)
    contents = [service._parse(t).content for t in texts]
    rng = np.random.default_rng(0)
    names = sorted(set(labels))
    halves = [
        np.sort(np.concatenate([rng.choice(np.flatnonzero(truth == name), 10, replace=False) for name in names]))
        for _ in range(12)
    ]
    cuts = np.round(np.arange(0.04, 0.25, 0.02), 3)
    compare_methods(texts, labels, halves)
    print("ARI by blend weight (meaning share) and cut; 'halves' = mean over 12 stratified halves of 100 texts")
    print("weight " + " ".join(f"{c:>6.2f}" for c in cuts))
    for weight in (0.4, 0.5, 0.6, 0.7, 0.8, 1.0):
        full = service._features(contents, idf=True, wording=wording)
        row_full = [ari(labels, service._cluster(full, cut, weight)) for cut in cuts]
        row_half = np.zeros(len(cuts))
        for half in halves:
            part = service._features([contents[i] for i in half], idf=True, wording=wording)
            row_half += [ari(truth[half], service._cluster(part, cut, weight)) for cut in cuts]
        row_half /= len(halves)
        print(f"{weight:>4.1f} full " + " ".join(f"{v:6.3f}" for v in row_full))
        print(f"{weight:>4.1f} half " + " ".join(f"{v:6.3f}" for v in row_half))

    print("\npair similarity (no IDF, as similarity() computes it), all pairs of the labelled set")
    features = service._features(contents, idf=False, wording=wording)
    sim = service._similarities(features)
    same = truth[:, None] == truth[None, :]
    upper = np.triu_indices(len(texts), 1)
    values, positives = sim[upper], same[upper]
    np.fill_diagonal(sim, -1.0)
    nearest, best = sim.argmax(axis=1), sim.max(axis=1)
    print(f"{'threshold':>9} {'pairs':>6} {'precision':>9} {'recall':>7} | {'asked':>5} {'answered':>8} {'right':>6}")
    for threshold in np.round(np.arange(0.20, 0.56, 0.025), 3):
        chosen = values >= threshold
        answered = best >= threshold
        right = (truth[nearest[answered]] == truth[answered]).mean() if answered.any() else float("nan")
        print(f"{threshold:>9.3f} {chosen.sum():>6d} {positives[chosen].mean() if chosen.any() else 0:>9.3f} "
              f"{positives[chosen].sum() / positives.sum():>7.3f} | {len(texts):>5d} {answered.mean():>8.3f} "
              f"{right:>6.3f}")
    return 0


def against(path: str, rounds: int = 5) -> int:
    """Another version of service.py (e.g. `git show REV:bot/features/themes/service.py > old.py`) against
    this one, in one process, runs alternating: ARI on the labelled set, and time on the 10,000 generated
    texts for group_themes as the bench calls it and for this week's themes over two weeks (what the digest
    asks; the other version ranks 40 candidates by this week's count, as summary.themes_of used to)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("themes_service_other", path)
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = other
    spec.loader.exec_module(other)
    for module in (other, service):
        module.warm_up()
    texts, labels = load()
    gen_texts, _ = generate(texts, labels, 10_000, seed=10_000)
    week = datetime(2027, 3, 8, tzinfo=UTC)
    spread = [(t, week + timedelta(hours=n % 300 - 150), f"t:{n}") for n, t in enumerate(gen_texts)]

    def labels_of(module: Any) -> list[str]:
        found = module.group_themes([module.ThemeText(t, ref=str(i)) for i, t in enumerate(texts)],
                                    max_themes=len(texts) + 1)
        out = [f"alone-{i}" for i in range(len(texts))]
        for n, theme in enumerate(found):
            for ref in theme.refs:
                out[int(ref)] = f"theme-{n}"
        return out

    def other_week() -> object:
        found = other.group_themes([other.ThemeText(*row) for row in spread], since=week, max_themes=40)
        return sorted((t for t in found if t.recent), key=lambda t: (-t.recent, not t.is_new, t.name.casefold()))[:5]

    cases = {
        "group_themes, 10,000 texts": (lambda: other.group_themes([other.ThemeText(t) for t in gen_texts]),
                                       lambda: group_themes([ThemeText(t) for t in gen_texts])),
        "this week's themes, 10,000 texts": (other_week, lambda: themes_of(
            [ThemeText(*row) for row in spread], start=week, end=week + timedelta(days=7))),
    }
    print(f"ARI on the labelled set: other {ari(labels, labels_of(other)):.3f}, "
          f"this {ari(labels, labels_of(service)):.3f}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"{rounds} alternating runs each, the first one (cold word caches) left out of the best")
    for name, (before, after) in cases.items():
        runs: dict[str, list[tuple[float, float]]] = {"other": [], "this": []}
        for _ in range(rounds):
            for tag, fn in (("other", before), ("this", after)):
                runs[tag].append(timed(fn, 1))
        best = {tag: min(values[1:]) for tag, values in runs.items()}
        for tag, values in runs.items():
            print(f"  {name:<34} {tag:>5}: best {best[tag][0]:.3f} s ({best[tag][1]:.3f} cpu s), first "
                  f"{values[0][0]:.3f} s ({values[0][1]:.3f} cpu s)")
        print(f"  {name:<34} this/other: wall {best['this'][0] / best['other'][0]:.2f}, "
              f"cpu {best['this'][1] / best['other'][1]:.2f}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="print the calibration measurements instead")
    parser.add_argument("--wording", default="grams", choices=("grams", "tokens"), help="wording signal to sweep")
    parser.add_argument("--against", metavar="SERVICE_PY", help="time another version of service.py against this")
    args = parser.parse_args()
    sys.exit(against(args.against) if args.against else sweep(args.wording) if args.sweep else main())
