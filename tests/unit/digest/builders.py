"""LaunchDigest builders for the digest tests."""

from __future__ import annotations

from datetime import date, timedelta

from bot.features.digest.model import IssueLine, LaunchDigest

TODAY = date.today()


def digest(n: int, health: str = "on track", **changes) -> LaunchDigest:  # noqa: ANN003
    values = dict(launch_id=n, customer=f"Customer {n}", channel=f"C0CH{n:04d}", stage="launch week, day 2 of 5",
                  go_live=TODAY - timedelta(days=1), status="live", live_text="live since Mon",
                  last_day=TODAY - timedelta(days=1), last_day_number=1,
                  counts={"good": 5, "friction": 1, "blocked": 0}, missing=[], health=health,
                  reasons=["no blockers, no overdue issues"], talking_points=["Ask what works well"])
    values.update(changes)
    return LaunchDigest(**values)


def issues(count: int, text: str = "Exports time out") -> list[IssueLine]:
    return [IssueLine(n, "sev1" if n % 3 == 0 else "sev2", "open", "2 h 5 min", "SLA breached", True, text)
            for n in range(1, count + 1)]
