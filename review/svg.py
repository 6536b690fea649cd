"""Inline SVG line charts: no script, no external request, every label escaped.

A chart is a list of series of points; each point can link somewhere (its
version) and carries a tooltip.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from review.inert import inert

PALETTE = ("#c0392b", "#2471a3", "#239b56", "#b9770e", "#7d3c98", "#17a589", "#566573")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    href: str | None
    tip: str


@dataclass(frozen=True)
class Series:
    label: str
    points: list[Point]


def _decimals(step: float) -> int:
    """The fewest decimals that tell ticks ``step`` apart (0.25 → 2, 5 → 0)."""
    return next((d for d in range(7) if abs(round(step, d) - step) < step * 1e-6), 6)


def _fmt(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def ticks(lo: float, hi: float, *, integer: bool = False, most: int = 6) -> tuple[list[float], int]:
    """Round tick values covering [lo, hi] (a step of 1, 2, 2.5 or 5 × 10ⁿ), and the decimals to print.

    Every label is distinct: the step is never finer than what the labels show,
    and a series of whole numbers gets whole-number ticks only.
    """
    if hi <= lo:
        return [lo], 0 if integer or lo == int(lo) else 2
    raw = (hi - lo) / (most - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    if integer:
        step = max(1.0, float(math.ceil(step)))
    first = math.ceil(lo / step - 1e-9)
    values = []
    n = first
    while n * step <= hi + step * 1e-9:
        values.append(round(n * step, 10))
        n += 1
    return values, 0 if integer else _decimals(step)


def line_chart(
    series: list[Series],
    *,
    width: int = 640,
    height: int = 220,
    x_labels: dict[float, str] | None = None,
    title: str = "",
) -> Markup:
    """An SVG chart; ``x_labels`` names x positions (version numbers, dates)."""
    points = [p for s in series for p in s.points]
    if not points:
        return Markup("")
    left, right, top, bottom = 70, 16, 14, 34
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if y0 == y1:
        y0, y1 = y0 * 0.9 if y0 else -1, y1 * 1.1 if y1 else 1
    pad = (y1 - y0) * 0.08
    y0, y1 = y0 - pad, y1 + pad

    def px(x: float) -> float:
        return left + (0.5 if x1 == x0 else (x - x0) / (x1 - x0)) * (width - left - right)

    def py(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(inert(title))}">',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" fill="#fafafa"/>',
    ]
    values, decimals = ticks(y0, y1, integer=all(y == int(y) for y in ys))
    for tick in values:
        y = py(tick)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_fmt(tick, decimals)}</text>'
        )
    for x, label in (x_labels or {}).items():
        anchor = "middle" if x0 == x1 else "start" if x == x0 else "end" if x == x1 else "middle"
        text = escape(inert(label))
        out.append(f'<text x="{px(x):.1f}" y="{height - 12}" text-anchor="{anchor}" font-size="11">{text}</text>')
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{px(p.x):.1f},{py(p.y):.1f}" for p in s.points)
        out.append(f'<g class="series"><title>{escape(inert(s.label))}</title>')
        if len(s.points) > 1:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>')
        for p in s.points:
            dot = (
                f'<circle cx="{px(p.x):.1f}" cy="{py(p.y):.1f}" r="5" fill="{color}">'
                f"<title>{escape(inert(p.tip))}</title></circle>"
            )
            out.append(f'<a href="{escape(p.href)}">{dot}</a>' if p.href else dot)
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def timestamp(value: dt.datetime) -> float:
    return value.replace(tzinfo=dt.UTC).timestamp()
