"""Retro: types and constants shared by its service and views."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import RetroAnswer

RATINGS = {5: "5 — excellent", 4: "4 — good", 3: "3 — okay", 2: "2 — poor", 1: "1 — very poor"}


SLACK_ANSWER_LIMIT = 400  # per answer in the CSMs' DM


SLACK_BUDGET = 11_000  # total characters of the DM's blocks (Slack refuses messages near 13k)


@dataclass(frozen=True)
class Tallies:
    count: int
    average: float | None
    distribution: dict[int, int]


def tallies(rows: list[RetroAnswer]) -> Tallies:
    distribution = {value: 0 for value in RATINGS}
    for row in rows:
        distribution[row.rating] = distribution.get(row.rating, 0) + 1
    average = sum(r.rating for r in rows) / len(rows) if rows else None
    return Tallies(len(rows), average, distribution)
