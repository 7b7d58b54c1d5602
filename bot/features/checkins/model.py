"""Checkins: types and constants shared by its service and views."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tally:
    good: int = 0
    friction: int = 0
    blocked: int = 0
    names: dict[str, list[str]] | None = None

    @property
    def total(self) -> int:
        return self.good + self.friction + self.blocked
