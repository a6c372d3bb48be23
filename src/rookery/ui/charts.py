"""Server-drawn SVG charts for the dashboard: no script, no chart library, no other host.

Each function returns inline SVG (``role="img"`` with a ``<title>`` and ``<desc>`` so screen
readers get the gist); the page also prints the same numbers as text.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from rookery.services.delivery_history import MinuteOutcomes, QueuePoint, ReceiverFailures

WIDTH, HEIGHT, PAD = 600, 180, 30
COLOURS = {
    "delivered": "#2e7d32",
    "rejected": "#ef6c00",
    "unreachable": "#c62828",
    "depth": "#1565c0",
    "age": "#6a1b9a",
}


def _frame(title: str, desc: str, body: str, height: int = HEIGHT) -> Markup:
    # Every text interpolated into the drawing is escaped; the rest are numbers.
    return Markup(  # noqa: S704
        f'<svg viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" class="chart"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>{body}</svg>"
    )


def _axis(top: float, label: str) -> str:
    bottom = HEIGHT - PAD
    return (
        f'<line x1="{PAD}" y1="{bottom}" x2="{WIDTH - 5}" y2="{bottom}" stroke="#555"/>'
        f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{bottom}" stroke="#555"/>'
        f'<text x="2" y="18" font-size="11">{top:g}</text>'
        f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11">-60 min</text>'
        f'<text x="{WIDTH - 40}" y="{HEIGHT - 8}" font-size="11">now</text>'
        f'<text x="{WIDTH / 2 - 40}" y="{HEIGHT - 8}" font-size="11">{escape(label)}</text>'
    )


def stacked_minutes(minutes: Sequence[MinuteOutcomes]) -> Markup:
    """Attempts per minute as stacked bars: delivered, rejected, unreachable."""
    top = max([m.delivered + m.rejected + m.unreachable for m in minutes] + [1])
    plot_h = HEIGHT - PAD - 10
    bar_w = (WIDTH - PAD - 5) / max(len(minutes), 1)
    parts = []
    for i, minute in enumerate(minutes):
        y = HEIGHT - PAD
        for name in ("delivered", "rejected", "unreachable"):
            count = getattr(minute, name)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            parts.append(
                f'<rect x="{PAD + i * bar_w:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[name]}"><title>{minute.start:%H:%M} '
                f"{name}: {count}</title></rect>"
            )
    total = sum(m.delivered + m.rejected + m.unreachable for m in minutes)
    return _frame(
        "Attempts per minute by outcome",
        f"{total} attempts in the last hour",
        _axis(top, "attempts/min") + "".join(parts),
    )


def _polyline(values: Sequence[float], top: float, colour: str) -> str:
    plot_h = HEIGHT - PAD - 10
    step = (WIDTH - PAD - 5) / max(len(values) - 1, 1)
    points = " ".join(
        f"{PAD + i * step:.1f},{HEIGHT - PAD - plot_h * v / top:.1f}" for i, v in enumerate(values)
    )
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'


def queue_lines(points: Sequence[QueuePoint]) -> Markup:
    """Queue depth (blue) and the oldest waiting delivery's age in seconds (purple)."""
    depths = [float(p.depth) for p in points]
    ages = [p.oldest_age_seconds for p in points]
    top = max([*depths, *ages, 1.0])
    body = _axis(top, "depth / oldest age (s)") + _polyline(depths, top, COLOURS["depth"])
    body += _polyline(ages, top, COLOURS["age"])
    last = points[-1] if points else None
    desc = (
        f"now {last.depth} waiting, oldest {last.oldest_age_seconds:.0f} s" if last else "no data"
    )
    return _frame("Queue depth and oldest pending age", desc, body)


def failure_bars(receivers: Sequence[ReceiverFailures]) -> Markup:
    """One horizontal bar per receiver: its failed share of attempts in the last hour."""
    row = 24
    height = max(len(receivers), 1) * row + 10
    parts = []
    for i, receiver in enumerate(receivers):
        y = 5 + i * row
        w = (WIDTH - 260) * receiver.rate
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(receiver.receiver)}</text>'
            f'<rect x="200" y="{y}" width="{WIDTH - 260}" height="18" fill="#eee"/>'
            f'<rect x="200" y="{y}" width="{w:.1f}" height="18" fill="{COLOURS["unreachable"]}"/>'
            f'<text x="{WIDTH - 55}" y="{y + 15}" font-size="12">{receiver.rate:.0%}</text>'
        )
    if not receivers:
        parts.append('<text x="0" y="20" font-size="12">No attempts in the last hour.</text>')
    return _frame(
        "Failure rate per receiver", f"{len(receivers)} receivers", "".join(parts), height
    )
