"""Server-side SVG charts (bar, line, heatmap) for the self-contained HTML report.

No JavaScript and no network: each chart is a complete ``<svg>`` element with
a ``<title>`` per mark, so hovering in a browser shows the value. Every label
is escaped here; the returned ``Markup`` is safe to place in an autoescaped template.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from patron.contracts import Figure

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 36, 64
PALETTE = ("#3465a4", "#e07b39", "#4e9a06", "#a33ea1", "#c4a000", "#2aa1b3", "#cc0000", "#75507b")


def chart_svg(figure: Figure) -> Markup:
    """The SVG markup of ``figure`` according to its ``kind``."""
    if figure.kind == "bar":
        return _bar(figure)
    if figure.kind == "line":
        return _line(figure)
    if figure.kind == "heatmap":
        return _heatmap(figure)
    raise ValueError(f"figure {figure.name!r}: unknown kind {figure.kind!r} (use bar, line or heatmap)")


def nice_max(value: float) -> float:
    """The smallest 1, 2, 4, 6 or 8 × 10^k not below ``value``: an axis top whose quarters read well."""
    if value <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 4, 6, 8, 10):
        if step * base >= value:
            return float(step * base)
    return float(10 * base)


def fmt_number(value: float) -> str:
    """Compact axis and tooltip numbers: 1.2M, 35k, 12.5."""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if magnitude >= 10_000:
        return f"{value / 1000:.0f}k"
    if magnitude >= 1000 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _open(figure: Figure, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'data-figure="{escape(figure.name)}" aria-label="{escape(figure.title)}">',
        f"<title>{escape(figure.title)}</title>",
    ]


def _values(figure: Figure) -> list[tuple[str, list[float | None]]]:
    return [(str(name), [None if v is None else float(v) for v in values]) for name, values in figure.series.items()]


def _axes(parts: list[str], figure: Figure, top: float, bottom: float) -> None:
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = bottom + (top - bottom) * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#555">{escape(fmt_number(value))}</text>'
        )
    if figure.y_label:
        parts.append(
            f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="11" fill="#555" text-anchor="middle" '
            f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">{escape(figure.y_label)}</text>'
        )
    if figure.x_label:
        parts.append(
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 6}" font-size="11" fill="#555" '
            f'text-anchor="middle">{escape(figure.x_label)}</text>'
        )


def _x_labels(parts: list[str], labels: Sequence[Any], centres: Sequence[float]) -> None:
    # Show at most ~16 labels so they never overlap; rotate them when there are many.
    step = max(1, math.ceil(len(labels) / 16))
    rotate = len(labels) > 8
    y = HEIGHT - BOTTOM + 14
    for i in range(0, len(labels), step):
        x = centres[i]
        transform = f' transform="rotate(-40 {x:.1f} {y})"' if rotate else ""
        anchor = "end" if rotate else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{y}" font-size="11" fill="#555" text-anchor="{anchor}"{transform}>'
            f"{escape(labels[i])}</text>"
        )


def _legend(parts: list[str], names: Sequence[str]) -> None:
    x = LEFT
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect class="legend" x="{x}" y="10" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="20" font-size="12" fill="#333">{escape(name)}</text>')
        x += 28 + 7 * len(name)


def _scale(series: list[tuple[str, list[float | None]]]) -> tuple[float, float]:
    values = [v for _, vs in series for v in vs if v is not None]
    top = nice_max(max(values, default=0.0))
    low = min(values, default=0.0)
    bottom = -nice_max(-low) if low < 0 else 0.0
    return top, bottom


def _bar(figure: Figure) -> Markup:
    parts = _open(figure, "bar")
    series = _values(figure)
    top, bottom = _scale(series)
    n = max(len(figure.x), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.8 / max(len(series), 1))

    def y_of(v: float) -> float:
        return TOP + plot_h - (v - bottom) / (top - bottom) * plot_h

    _axes(parts, figure, top, bottom)
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        for i, v in enumerate(values):
            if v is None:
                continue
            x = LEFT + i * slot + slot * 0.1 + s * bar_w
            y0, y1 = sorted((y_of(0.0), y_of(v)))
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}">'
                f"<title>{escape(figure.x[i])} — {escape(name)}: {escape(fmt_number(v))}</title></rect>"
            )
    _x_labels(parts, figure.x, [LEFT + (i + 0.5) * slot for i in range(len(figure.x))])
    if len(series) > 1:
        _legend(parts, [name for name, _ in series])
    parts.append("</svg>")
    return Markup("".join(parts))


def _line(figure: Figure) -> Markup:
    parts = _open(figure, "line")
    series = _values(figure)
    top, bottom = _scale(series)
    n = len(figure.x)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    xs = [LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]

    def y_of(v: float) -> float:
        return TOP + plot_h - (v - bottom) / (top - bottom) * plot_h

    _axes(parts, figure, top, bottom)
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        # A gap (None) breaks the line into separate segments rather than drawing through zero.
        segments: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                segments.append([])
                continue
            segments[-1].append(f"{xs[i]:.1f},{y_of(v):.1f}")
        for seg in segments:
            if seg:
                d = "M" + " L".join(seg)
                parts.append(f'<path class="line" d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            if v is not None:
                parts.append(
                    f'<circle class="point" cx="{xs[i]:.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(figure.x[i])} — {escape(name)}: {escape(fmt_number(v))}</title>"
                    "</circle>"
                )
    _x_labels(parts, figure.x, xs)
    _legend(parts, [name for name, _ in series])
    parts.append("</svg>")
    return Markup("".join(parts))


def _heatmap(figure: Figure) -> Markup:
    parts = _open(figure, "heatmap")
    rows = _values(figure)
    values = [v for _, vs in rows for v in vs if v is not None]
    high = max(values, default=0.0) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    cell_w = plot_w / max(len(figure.x), 1)
    cell_h = plot_h / max(len(rows), 1)
    for r, (name, vs) in enumerate(rows):
        y = TOP + r * cell_h
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#333">{escape(name)}</text>'
        )
        for i, v in enumerate(vs):
            # Light to dark blue by value; an empty cell stays grey so missing ≠ zero.
            fill = "#eeeeec" if v is None else _blue(v / high)
            label = "no data" if v is None else fmt_number(v)
            parts.append(
                f'<rect class="cell" x="{LEFT + i * cell_w:.1f}" y="{y:.1f}" width="{cell_w:.1f}" '
                f'height="{cell_h:.1f}" fill="{fill}" stroke="#fff" stroke-width="1">'
                f"<title>{escape(name)} — {escape(figure.x[i])}: {escape(label)}</title></rect>"
            )
    _x_labels(parts, figure.x, [LEFT + (i + 0.5) * cell_w for i in range(len(figure.x))])
    if figure.x_label:
        parts.append(
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 6}" font-size="11" fill="#555" '
            f'text-anchor="middle">{escape(figure.x_label)}</text>'
        )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="20" font-size="11" fill="#555" text-anchor="end">'
        f"darker = more (max {escape(fmt_number(high))})</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _blue(t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    start, end = (222, 235, 247), (8, 48, 107)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"
