"""Issue 12's targets, and what one ``bench.serve_load`` run measured against each.

The issue's own figures for the build it was filed against ("today", 8 clients, no webhook)
set the throughput targets: user creates 1.5 times today's on PostgreSQL and, on SQLite, at least
PostgreSQL's today; permission creates and deletes 1.5 times today's on PostgreSQL. The rest are
absolute: webhook latency p99 (8 clients ≤ 40 ms, 1 client ≤ 15 ms), a webhook costing at most
a fifth of the write rate (with / without ≥ 0.8, for each pair of runs, hooked and plain,
back to back), and every process of the ``serve`` tree at most 150 MB.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

STEPS = ("create_user", "create_permission", "delete_permission")
# PostgreSQL, 8 clients, no webhook, per second, as issue 12 measured them.
TODAY = {"create_user": 51.0, "create_permission": 166.0, "delete_permission": 164.0}
P99_MANY_MS = 40.0
P99_ONE_MS = 15.0
RATIO = 0.8
PEAK_MB = 150.0


@dataclass
class Measured:
    """Figures of a run, appended as they come: one per pass of hooked and plain."""

    rates: dict[tuple[bool, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    p99_many: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    p99_one: list[float] = field(default_factory=list)
    peak_mb: float = 0.0


def report(db: str, measured: Measured) -> list[str]:
    """One line per target: the figures measured (each pass), and met or missed."""
    lines = []
    many = [(step, measured.p99_many[step]) for step in STEPS if measured.p99_many[step]]
    if many:
        worst = max(max(values) for _, values in many)
        shown = "; ".join(f"{step} {_list(values, 1)}" for step, values in many)
        lines.append(
            _line(f"webhook p99, 8 clients, ≤ {P99_MANY_MS:g} ms", shown, worst <= P99_MANY_MS)
        )
    if measured.p99_one:
        worst = max(measured.p99_one)
        shown = f"{_list(measured.p99_one, 1)} ms"
        lines.append(
            _line(f"webhook p99, 1 client, ≤ {P99_ONE_MS:g} ms", shown, worst <= P99_ONE_MS)
        )
    users = measured.rates[(False, "create_user")]
    if users:
        floor = TODAY["create_user"] * (1.5 if db == "postgresql" else 1.0)
        lines.append(
            _line(
                f"user creates/s, 8 clients, no webhook, ≥ {floor:g}",
                _list(users, 1),
                min(users) >= floor,
            )
        )
    if db == "postgresql":
        for step in STEPS[1:]:
            rates = measured.rates[(False, step)]
            if rates:
                floor = 1.5 * TODAY[step]
                lines.append(
                    _line(
                        f"{step}/s, 8 clients, no webhook, ≥ {floor:g}",
                        _list(rates, 1),
                        min(rates) >= floor,
                    )
                )
    for step in STEPS[1:]:
        pairs = list(zip(measured.rates[(True, step)], measured.rates[(False, step)], strict=False))
        if pairs:
            ratios = [hooked / plain for hooked, plain in pairs]
            shown = f"{_list(ratios, 2)} (median {statistics.median(ratios):.2f})"
            lines.append(
                _line(f"{step}, with a webhook / without, ≥ {RATIO:g}", shown, min(ratios) >= RATIO)
            )
    if measured.peak_mb:
        shown = f"largest process peak {measured.peak_mb:.0f} MB"
        lines.append(
            _line(f"memory ≤ {PEAK_MB:g} MB per process", shown, measured.peak_mb <= PEAK_MB)
        )
    return lines


def _list(values: list[float], digits: int) -> str:
    return ", ".join(f"{value:.{digits}f}" for value in values)


def _line(target: str, shown: str, met: bool) -> str:
    return f"    {target}: {shown} → {'met' if met else 'missed'}"
