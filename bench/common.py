"""Helpers shared by the benchmarks: a clean environment, a simulated workspace, percentiles, tables.

The machine the benchmarks run on is small and shared, so every benchmark measures a baseline in
the same run and reports a ratio; absolute numbers are printed for context only.
"""

from __future__ import annotations

import math
import os
import socket
import statistics
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from anywhere
    sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret-0123456789"
VENDOR = "T0VENDOR"
CSM = "U0CSM"
LAUNCH_CHANNEL = "C0ACME"


def clean_environ() -> None:
    """Bolt and golive fall back to SLACK_* / GOLIVE_* variables: a benchmark must never see real ones."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "GOLIVE_")):
            del os.environ[name]


def child_environ(extra: dict[str, str]) -> dict[str, str]:
    """os.environ without SLACK_* / GOLIVE_*, plus `extra`: for golive subprocesses."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOLIVE_"))}
    env.update(extra)
    return env


def populate(sim) -> None:  # noqa: ANN001 - bot.simulator.SlackSimulator
    """The few people and channels every benchmark needs."""
    sim.add_user(CSM, "carla.csm", email="carla@vendor.test")
    sim.add_user("U0ADMIN", "ada.admin", email="ada@vendor.test")
    sim.add_channel(LAUNCH_CHANNEL, "acme-golive", members=[CSM])


def golive_env(sim, database_url: str, *, port: int | None = None) -> dict[str, str]:  # noqa: ANN001
    env = {
        "SLACK_BOT_TOKEN": sim.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": sim.url,
        "GOLIVE_DATABASE_URL": database_url,
        "GOLIVE_ADMINS": "U0ADMIN",
        "GOLIVE_TEAM_ID": VENDOR,
    }
    if port is not None:
        env["GOLIVE_PORT"] = str(port)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def golive_command() -> list[str]:
    """The installed `golive` console script next to this interpreter, or `python -m bot.cli`."""
    exe = Path(sys.executable).with_name("golive")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain fixed-width table (numbers right-aligned)."""
    text_rows = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) if text_rows else len(h) for i, h in enumerate(headers)]
    numeric = [bool(text_rows) and all(_numeric(r[i]) for r in text_rows) for i in range(len(headers))]
    lines = ["  ".join(h.rjust(w) if n else h.ljust(w) for h, w, n in zip(headers, widths, numeric, strict=True)),
             "  ".join("-" * w for w in widths)]
    for row in text_rows:
        lines.append("  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric, strict=True)))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _numeric(text: str) -> bool:
    try:
        float(text.rstrip("x%"))
    except ValueError:
        return False
    return True


def verdict(name: str, ratio: float, target: float, what: str) -> str:
    """The final line every benchmark prints."""
    status = "PASS" if ratio <= target else "FAIL"
    return f"RESULT {name}: {what} ratio {ratio:.2f} (target <= {target:.2f}) {status}"
