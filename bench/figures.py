"""Figures: one measured number (median of runs) with its unit, target and verdict."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.harness import median

_CMP: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge}


@dataclass
class Figure:
    """``value`` is the median of ``runs``; ``target`` like ``"<= 20"`` (or empty)."""

    benchmark: str
    database: str
    name: str
    unit: str
    runs: Sequence[float]
    target: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float:
        return median(list(self.runs))

    @property
    def verdict(self) -> str:
        if not self.target or math.isnan(self.value):
            return ""
        op, bound = self.target.split()
        return "met" if _CMP[op](self.value, float(bound)) else "MISSED"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(value=self.value, verdict=self.verdict)
        return data


def fmt(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure]) -> list[list[str]]:
    rows = [["benchmark", "db", "figure", "median", "unit", "runs", "target", "verdict"]]
    for f in figures:
        rows.append(
            [
                f.benchmark,
                f.database,
                f.name,
                fmt(f.value),
                f.unit,
                " / ".join(fmt(r) for r in f.runs),
                f.target,
                f.verdict,
            ]
        )
    return rows


def render_text(figures: list[Figure]) -> str:
    rows = table(figures)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(figures: list[Figure]) -> str:
    rows = table(figures)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)
