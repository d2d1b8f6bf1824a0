"""Small inline SVG charts for the status page: no script, no external resource.

Every text is escaped; sizes are in the SVG's own units (it scales with the page).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Bar:
    """One bar: its label under the axis, value, fill colour and tooltip."""

    label: str
    value: int
    color: str
    tooltip: str


def bar_chart(bars: list[Bar], *, title: str, width: int = 760, height: int = 230) -> str:
    """A vertical bar chart with the value above each bar."""
    top, bottom, left = 24, 40, 8
    plot = height - top - bottom
    step = (width - 2 * left) / max(len(bars), 1)
    peak = max((b.value for b in bars), default=0) or 1
    parts = [_open(width, height, title)]
    base = top + plot
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="#888"/>')
    for index, bar in enumerate(bars):
        x = left + index * step + step * 0.15
        w = step * 0.7
        h = plot * bar.value / peak
        y = base - h
        center = x + w / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{bar.color}"><title>{escape(bar.tooltip)}</title></rect>'
        )
        parts.append(
            f'<text x="{center:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
            f'font-size="13" font-weight="bold">{bar.value}</text>'
        )
        parts.append(
            f'<text x="{center:.1f}" y="{base + 17}" text-anchor="middle" '
            f'font-size="11">{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    points: list[tuple[str, float]], *, title: str, width: int = 760, height: int = 230
) -> str:
    """Percentages (0 to 100) as a line with labelled points; gridlines at 0, 50 and 100 %."""
    top, bottom, left, right = 20, 40, 44, 16
    plot_h = height - top - bottom
    plot_w = width - left - right
    parts = [_open(width, height, title)]
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{pct} %</text>'
        )
    step = plot_w / max(len(points) - 1, 1)
    coords = [
        (left + (i * step if len(points) > 1 else plot_w / 2), top + plot_h * (1 - v / 100))
        for i, (_, v) in enumerate(points)
    ]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#2e7d32" stroke-width="2.5"/>')
    for index, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        # The first and last labels are anchored inwards so that they stay inside the chart.
        anchor = "start" if index == 0 and len(points) > 1 else "middle"
        anchor = "end" if index == len(points) - 1 and len(points) > 1 else anchor
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#2e7d32">'
            f"<title>{escape(label)} : {value:.0f} %</title></circle>"
            f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" font-size="12">'
            f"{value:.0f} %</text>"
            f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" '
            f'font-size="11">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )
