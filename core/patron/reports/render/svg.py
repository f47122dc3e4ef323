"""Server-side SVG charts (bar, line, heatmap) for the self-contained HTML report.

No JavaScript and no network: each chart is a complete ``<svg>`` element with
a ``<title>`` per mark, so hovering in a browser shows the value. Every label
is escaped here; the returned ``Markup`` is safe to place in an autoescaped template.

Layout is computed from the labels, not fixed: there are no font metrics on
the server, so ``text_width`` over-estimates a label's width (DejaVu Sans and
the usual system fonts are narrower) and every margin, every choice between
vertical and horizontal bars and every thinning of an axis's labels is made
from it. So a label is never clipped by the SVG's edge nor drawn over a
neighbour; ``tests/test_chart_geometry.py`` checks that in a real browser.

- Bars: vertical while every category name fits under its bar; horizontal
  (names on the left, wrapped on words) when one does not, e.g. "Can't Lose Them".
  A non-zero bar is at least ``MIN_BAR`` pixels long, so a one-customer tier
  shows. Values are written on the bars whenever they all fit.
- Ordered axes (months, scores, percentiles) show every k-th label when all
  would not fit; category axes are never thinned.
- Numbers read in the figure's ``value_format`` (money as money in major units).
- Heatmaps write each cell's value when it fits and carry a colour legend in real units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from patron.contracts import Figure

WIDTH, HEIGHT = 760, 320
RIGHT = 16
FONT = 11
PALETTE = ("#3465a4", "#e07b39", "#4e9a06", "#a33ea1", "#c4a000", "#2aa1b3", "#cc0000", "#75507b")
#: The shortest a non-zero bar is drawn (pixels), so a category of one customer is still seen.
MIN_BAR = 3.0
MUTED, INK = "#555", "#333"

_NARROW = frozenset("iljtfrI.,:;'!|()[] ")
_WIDE = frozenset("mwMW@%—")


def text_width(text: str, size: float = FONT) -> float:
    """An upper estimate of ``text``'s rendered width in pixels at font ``size`` (sans-serif)."""
    units = 0.0
    for ch in text:
        if ch in _NARROW:
            units += 0.4
        elif ch in _WIDE:
            units += 0.95
        elif ch.isupper() or ch.isdigit() or ch in "$€£¥#&+=<>~_":
            units += 0.7
        else:
            units += 0.62
    return units * size


def chart_svg(figure: Figure) -> Markup:
    """The SVG markup of ``figure`` according to its ``kind``."""
    if figure.kind not in ("bar", "line", "heatmap"):
        raise ValueError(f"figure {figure.name!r}: unknown kind {figure.kind!r} (use bar, line or heatmap)")
    # A bar or line chart without a single value says so; a heatmap still shows its grid, every cell "no data".
    if figure.kind != "heatmap" and not any(v is not None for values in figure.series.values() for v in values):
        return _empty(figure)
    if figure.kind == "bar":
        return _bar(figure)
    if figure.kind == "line":
        return _line(figure)
    if figure.kind == "heatmap":
        return _heatmap(figure)
    raise ValueError(f"figure {figure.name!r}: unknown kind {figure.kind!r} (use bar, line or heatmap)")


def _empty(figure: Figure) -> Markup:
    """A chart without a single value: say so, rather than draw empty axes."""
    parts = _open(figure, figure.kind, 60)
    parts.append(f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="59" fill="#f6f8fa" stroke="#d1d9e0" rx="6"/>')
    parts.append(_text(WIDTH / 2, 34, "Nothing to draw: no value to chart (the table below says why).", anchor="middle",
                       size=13, cls="empty"))  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


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


def formatter(figure: Figure, *, compact: bool) -> Callable[[float], str]:
    """How ``figure``'s values read: compact for ticks and labels on marks, exact for tooltips and legends."""
    fmt = figure.value_format
    if fmt == "money" and figure.currency:
        from babel.numbers import format_compact_currency, format_currency

        from patron.money import exponent

        code = figure.currency

        def money(v: float) -> str:
            if compact and abs(v) >= 10_000:
                return str(format_compact_currency(v, code, locale="en_US", fraction_digits=1))
            if compact:
                return str(format_currency(round(v), code, locale="en_US", format="¤#,##0", currency_digits=False))
            digits = exponent(code)
            return str(format_currency(v, code, locale="en_US", format="¤#,##0." + "0" * digits, currency_digits=False))

        return money
    if fmt == "percent":
        return lambda v: f"{v:.0f}%" if compact or v == int(v) else f"{v:.1f}%"
    if fmt == "days":
        return lambda v: f"{fmt_number(v)} d"
    return fmt_number


# ---------------------------------------------------------------------------
# Pieces shared by the chart kinds
# ---------------------------------------------------------------------------


def _open(figure: Figure, kind: str, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'data-figure="{escape(figure.name)}" aria-label="{escape(figure.title)}">',
        f"<title>{escape(figure.title)}</title>",
    ]


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = FONT, fill: str = MUTED,
          cls: str = "", extra: str = "") -> str:  # fmt: skip
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text{klass} x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{extra}>'
        f"{escape(text)}</text>"
    )


def _values(figure: Figure) -> list[tuple[str, list[float | None]]]:
    return [(str(name), [None if v is None else float(v) for v in values]) for name, values in figure.series.items()]


def _scale(
    series: list[tuple[str, list[float | None]]], extra: Sequence[float] = ()
) -> tuple[float, float, list[float]]:
    """Axis bottom, top and ticks: multiples of a round step (1, 2, 2.5 or 5 × 10^k), at most four steps."""
    values = [v for _, vs in series for v in vs if v is not None] + list(extra)
    high, low = max(max(values, default=0.0), 0.0), min(min(values, default=0.0), 0.0)
    if high == low:
        high = 1.0
    step = _step((high - low) / 4)
    top = step * math.ceil(high / step - 1e-9) if high > 0 else 0.0
    bottom = -step * math.ceil(-low / step - 1e-9) if low < 0 else 0.0
    count = round((top - bottom) / step)
    return top, bottom, [bottom + step * i for i in range(count + 1)]


def _step(raw: float) -> float:
    base = 10 ** math.floor(math.log10(raw))
    return float(next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw * (1 - 1e-9)))


def _legend(names: Sequence[str], left: float, y: float) -> tuple[list[str], float]:
    """Legend swatches from ``left``, wrapping onto further rows; returns the parts and the y below it."""
    parts: list[str] = []
    x = left
    for i, name in enumerate(names):
        width = 16 + text_width(name, 12) + 14
        if x > left and x + width > WIDTH - RIGHT:
            x, y = left, y + 18
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect class="legend" x="{x:.1f}" y="{y:.1f}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, y + 10.5, name, size=12, fill=INK, cls="legend-label"))
        x += width
    return parts, y + 18


def _thin(labels: Sequence[str], spacing: float, size: int = FONT) -> int:
    """Show every k-th label of an ordered axis so neighbours never touch: the smallest "nice" k."""
    widest = max((text_width(label, size) for label in labels), default=0.0)
    need = (widest + 8) / max(spacing, 1e-9)
    for k in (1, 2, 3, 4, 5, 6, 10, 12, 20, 25, 50, 100):
        if k >= need:
            return k
    return max(1, math.ceil(need))


def _shown(labels: Sequence[str], step: int) -> list[int]:
    """The indices of the labels shown with every ``step``-th: round numbers on a numeric axis (10, 20, …)."""
    if step > 1 and labels and all(label.isdigit() for label in labels):
        return [i for i, label in enumerate(labels) if int(label) % step == 0]
    return list(range(0, len(labels), step))


def _wrap(label: str, width: float, size: int = FONT) -> list[str]:
    """``label`` broken on spaces into lines no wider than ``width`` (a single long word stays whole)."""
    lines: list[str] = []
    for word in label.split(" "):
        if lines and text_width(lines[-1] + " " + word, size) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _reference_lines(
    figure: Figure,
    y_of: Callable[[float], float],
    left: float,
    right: float,
    marks: Sequence[tuple[float, float]] = (),
) -> list[str]:
    """Dashed lines at the given values, each named where its label crosses none of ``marks`` (points drawn).

    Tried in order: below the line at the right end, above it at the left end, above at the right,
    below at the left (a rising cumulative curve is above its cuts on the right, below them on the left).
    """
    parts = []
    for value, label in figure.reference_lines:
        y = y_of(value)
        parts.append(
            f'<line class="reference" x1="{left:.1f}" x2="{right:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#cc0000" stroke-width="1.2" stroke-dasharray="5 4"/>'
        )
        width = text_width(label)
        spots = (
            (right - 4 - width, y + 14),
            (left + 6, y - 5),
            (right - 4 - width, y - 5),
            (left + 6, y + 14),
        )

        x, base = next((spot for spot in spots if _clear(spot, width, marks)), spots[0])
        parts.append(_text(x, base, label, fill="#a40000", cls="reference-label"))
    return parts


def _clear(spot: tuple[float, float], width: float, marks: Sequence[tuple[float, float]]) -> bool:
    """No mark falls in the box of a label of ``width`` whose baseline starts at ``spot`` (with a margin)."""
    x0, base = spot
    return not any(x0 - 4 <= mx <= x0 + width + 4 and base - 14 <= my <= base + 5 for mx, my in marks)


# ---------------------------------------------------------------------------
# Bars
# ---------------------------------------------------------------------------


def _bar(figure: Figure) -> Markup:
    labels = [str(x) for x in figure.x]
    series = _values(figure)
    n = max(len(labels), 1)
    # Vertical while every name fits under its bar unrotated, or the axis is ordered (short labels such as
    # months or scores, which may be thinned); otherwise horizontal bars, names on the left.
    slot = (WIDTH - 90 - RIGHT) / n
    widest = max((text_width(label) for label in labels), default=0.0)
    if widest + 6 <= slot or all(len(label) <= 8 for label in labels):
        return _vertical_bars(figure, labels, series)
    return _horizontal_bars(figure, labels, series)


def _vertical_bars(figure: Figure, labels: list[str], series: list[tuple[str, list[float | None]]]) -> Markup:
    compact, exact = formatter(figure, compact=True), formatter(figure, compact=False)
    top, bottom, ticks = _scale(series, [v for v, _ in figure.reference_lines])
    tick_w = max(text_width(compact(t)) for t in ticks)
    left = (26 if figure.y_label else 8) + tick_w + 8
    body: list[str] = []
    legend_bottom = 12.0
    if len(series) > 1:
        legend, legend_bottom = _legend([name for name, _ in series], left, 8)
        body += legend
    plot_top = legend_bottom + 20  # room for a value label above the tallest bar
    height = HEIGHT + (legend_bottom - 12)
    x_title_y = height - 8
    label_y = height - (30 if figure.x_label else 12)
    plot_bottom = label_y - 21
    plot_h, plot_w = plot_bottom - plot_top, WIDTH - RIGHT - left
    n = max(len(labels), 1)
    slot = plot_w / n
    per = max(len(series), 1)
    bar_w = max(1.0, slot * 0.8 / per)

    def y_of(v: float) -> float:
        return plot_bottom - (v - bottom) / (top - bottom) * plot_h

    parts = _open(figure, "bar", height) + body
    parts += _y_axis(figure, ticks, compact, y_of, left, plot_top, plot_bottom)
    texts = [[compact(v) if v is not None and v != 0 else "" for v in values] for _, values in series]
    show_values = all(text_width(t, 10) <= bar_w + slot * 0.2 / per - 2 for row in texts for t in row)
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        for i, v in enumerate(values):
            if v is None:
                continue
            x = left + i * slot + slot * 0.1 + s * bar_w
            y0, y1 = sorted((y_of(0.0), y_of(v)))
            if v != 0 and y1 - y0 < MIN_BAR:
                y0, y1 = (y1 - MIN_BAR, y1) if v > 0 else (y0, y0 + MIN_BAR)
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}">'
                f"<title>{escape(labels[i])} — {escape(name)}: {escape(exact(v))}</title></rect>"
            )
            if show_values and texts[s][i]:
                y = y0 - 4 if v >= 0 else y1 + 12
                parts.append(_text(x + bar_w / 2, y, texts[s][i], anchor="middle", size=10, fill=INK, cls="value"))
    for i in _shown(labels, _thin(labels, slot)):
        parts.append(_text(left + (i + 0.5) * slot, label_y, labels[i], anchor="middle", cls="x-label"))
    if figure.x_label:
        parts.append(_text((left + WIDTH - RIGHT) / 2, x_title_y, figure.x_label, anchor="middle", cls="axis-title"))
    parts += _reference_lines(figure, y_of, left, WIDTH - RIGHT)
    parts.append("</svg>")
    return Markup("".join(parts))


def _y_axis(
    figure: Figure,
    ticks: Sequence[float],
    compact: Callable[[float], str],
    y_of: Callable[[float], float],
    left: float,
    plot_top: float,
    plot_bottom: float,
) -> list[str]:
    parts = []
    for value in ticks:
        y = y_of(value)
        parts.append(
            f'<line class="grid" x1="{left:.1f}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, compact(value), anchor="end", cls="tick"))
    if figure.y_label:
        mid = (plot_top + plot_bottom) / 2
        parts.append(
            _text(
                14,
                mid,
                figure.y_label,
                anchor="middle",
                cls="axis-title",
                extra=f' transform="rotate(-90 14 {mid:.1f})"',
            )
        )
    return parts


def _horizontal_bars(figure: Figure, labels: list[str], series: list[tuple[str, list[float | None]]]) -> Markup:
    compact, exact = formatter(figure, compact=True), formatter(figure, compact=False)
    top, bottom, ticks = _scale(series, [v for v, _ in figure.reference_lines])
    name_w = min(max(text_width(label) for label in labels), 240.0)
    wrapped = [_wrap(label, name_w) for label in labels]
    name_w = max(text_width(line) for lines in wrapped for line in lines)
    left = 10 + name_w + 10
    per = max(len(series), 1)
    bar_h = 16.0 if per == 1 else 12.0
    row_h = max(bar_h * per + 10, max(len(lines) for lines in wrapped) * 13 + 8)
    body: list[str] = []
    legend_bottom = 8.0
    if per > 1:
        legend, legend_bottom = _legend([name for name, _ in series], left, 8)
        body += legend
    plot_top = legend_bottom + (22 if figure.x_label else 8)
    plot_bottom = plot_top + row_h * len(labels)
    height = plot_bottom + 22 + (22 if figure.y_label else 0)
    texts = [[compact(v) if v is not None else "" for v in values] for _, values in series]
    value_w = max((text_width(t, 10) for row in texts for t in row), default=0.0)
    plot_right = WIDTH - RIGHT - value_w - 8
    plot_w = plot_right - left

    def x_of(v: float) -> float:
        return left + (v - bottom) / (top - bottom) * plot_w

    parts = _open(figure, "bar", height) + body
    if figure.x_label:
        parts.append(_text(left - 10, plot_top - 8, figure.x_label, anchor="end", fill=INK, cls="axis-title"))
    for value in ticks:
        x = x_of(value)
        parts.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{plot_top:.1f}" y2="{plot_bottom:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(_text(x, plot_bottom + 15, compact(value), anchor="middle", cls="tick"))
    if figure.y_label:
        parts.append(_text((left + plot_right) / 2, height - 8, figure.y_label, anchor="middle", cls="axis-title"))
    for i, lines in enumerate(wrapped):
        row_top = plot_top + i * row_h
        first = row_top + row_h / 2 - (len(lines) - 1) * 6.5 + 4
        spans = "".join(
            f'<tspan x="{left - 10:.1f}" y="{first + k * 13:.1f}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        parts.append(
            f'<text class="y-label" x="{left - 10:.1f}" y="{first:.1f}" font-size="{FONT}" fill="{INK}" '
            f'text-anchor="end">{spans}</text>'
        )
        group_top = row_top + (row_h - bar_h * per) / 2
        for s, (name, values) in enumerate(series):
            v = values[i]
            if v is None:
                continue
            colour = PALETTE[s % len(PALETTE)]
            x0, x1 = sorted((x_of(0.0), x_of(v)))
            if v != 0 and x1 - x0 < MIN_BAR:
                x0, x1 = (x0, x0 + MIN_BAR) if v > 0 else (x1 - MIN_BAR, x1)
            y = group_top + s * bar_h
            parts.append(
                f'<rect class="bar" x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 0.5):.1f}" height="{bar_h - 2:.1f}" '
                f'fill="{colour}"><title>{escape(labels[i])} — {escape(name)}: {escape(exact(v))}</title></rect>'
            )
            parts.append(_text(x1 + 4, y + bar_h / 2 + 2.5, texts[s][i], size=10, fill=INK, cls="value"))
    parts.append("</svg>")
    return Markup("".join(parts))


# ---------------------------------------------------------------------------
# Lines
# ---------------------------------------------------------------------------


def _line(figure: Figure) -> Markup:
    labels = [str(x) for x in figure.x]
    series = _values(figure)
    compact, exact = formatter(figure, compact=True), formatter(figure, compact=False)
    top, bottom, ticks = _scale(series, [v for v, _ in figure.reference_lines])
    tick_w = max(text_width(compact(t)) for t in ticks)
    left = (26 if figure.y_label else 8) + tick_w + 8
    legend, legend_bottom = _legend([name for name, _ in series], left, 8)
    plot_top = legend_bottom + 12
    height = HEIGHT + (legend_bottom - 26)
    label_y = height - (30 if figure.x_label else 12)
    plot_bottom = label_y - 21
    # Room for half of the last label beyond the last point.
    half_last = text_width(labels[-1]) / 2 if labels else 0.0
    plot_right = WIDTH - RIGHT - max(0.0, half_last - RIGHT + 4)
    n = len(labels)
    plot_w, plot_h = plot_right - left, plot_bottom - plot_top
    xs = [left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]

    def y_of(v: float) -> float:
        return plot_bottom - (v - bottom) / (top - bottom) * plot_h

    parts = _open(figure, "line", height) + legend
    parts += _y_axis(figure, ticks, compact, y_of, left, plot_top, plot_bottom)
    points = [(xs[i], y_of(v)) for _, values in series for i, v in enumerate(values) if v is not None]
    parts += _reference_lines(figure, y_of, left, plot_right, points)
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
                    f'<circle class="point" cx="{xs[i]:.1f}" cy="{y_of(v):.1f}" r="{3 if n <= 40 else 1.5}" '
                    f'fill="{colour}"><title>{escape(labels[i])} — {escape(name)}: {escape(exact(v))}</title></circle>'
                )
    if n:
        for i in _shown(labels, _thin(labels, plot_w / max(n - 1, 1))):
            parts.append(_text(xs[i], label_y, labels[i], anchor="middle", cls="x-label"))
    if figure.x_label:
        parts.append(_text((left + plot_right) / 2, height - 8, figure.x_label, anchor="middle", cls="axis-title"))
    parts.append("</svg>")
    return Markup("".join(parts))


# ---------------------------------------------------------------------------
# Heatmaps
# ---------------------------------------------------------------------------


def _heatmap(figure: Figure) -> Markup:
    labels = [str(x) for x in figure.x]
    rows = _values(figure)
    compact, exact = formatter(figure, compact=True), formatter(figure, compact=False)
    values = [v for _, vs in rows for v in vs if v is not None]
    low, high = min(values, default=0.0), max(values, default=0.0)
    span = (high - low) or 1.0
    name_w = max((text_width(name) for name, _ in rows), default=0.0)
    left = (26 if figure.y_label else 8) + name_w + 8
    plot_top = 40.0
    cell_h = min(40.0, (HEIGHT - plot_top - 64) / max(len(rows), 1))
    plot_bottom = plot_top + cell_h * len(rows)
    plot_w = WIDTH - RIGHT - left
    cell_w = plot_w / max(len(labels), 1)
    # Category columns whose names do not fit across a cell (segments) are named upright, never thinned.
    widest = max((text_width(label) for label in labels), default=0.0)
    upright = widest > cell_w - 4 and not all(len(label) <= 8 for label in labels)
    label_y = plot_bottom + (6 if upright else 16)
    height = label_y + (widest + 4 if upright else 0) + (30 if figure.x_label else 10)
    parts = _open(figure, "heatmap", height)
    parts += _scale_legend(low, high, exact)
    size = next((s for s in (11, 10, 9) if all(text_width(compact(v), s) <= cell_w - 4 for v in values)), 0)
    show = size > 0 and cell_h >= size + 4
    for r, (name, vs) in enumerate(rows):
        y = plot_top + r * cell_h
        parts.append(_text(left - 8, y + cell_h / 2 + 4, name, anchor="end", fill=INK, cls="y-label"))
        for i, v in enumerate(vs):
            # Light to dark blue by value; an empty cell stays grey so missing ≠ zero.
            t = 0.0 if v is None else (v - low) / span
            fill = "#eeeeec" if v is None else _blue(t)
            label = "no data" if v is None else exact(v)
            x = left + i * cell_w
            parts.append(
                f'<rect class="cell" x="{x:.1f}" y="{y:.1f}" width="{cell_w:.1f}" '
                f'height="{cell_h:.1f}" fill="{fill}" stroke="#fff" stroke-width="1">'
                f"<title>{escape(name)} — {escape(labels[i])}: {escape(label)}</title></rect>"
            )
            if show and v is not None:
                ink = "#fff" if t > 0.55 else "#1f2328"
                parts.append(
                    _text(
                        x + cell_w / 2,
                        y + cell_h / 2 + size * 0.35,
                        compact(v),
                        anchor="middle",
                        size=size,
                        fill=ink,
                        cls="cell-value",
                    )
                )
    if upright:
        for i, label in enumerate(labels):
            x = left + (i + 0.5) * cell_w + 4
            turn = f' transform="rotate(-90 {x:.1f} {label_y:.1f})"'
            parts.append(_text(x, label_y, label, anchor="end", cls="x-label", extra=turn))
    else:
        for i in _shown(labels, _thin(labels, cell_w)):
            parts.append(_text(left + (i + 0.5) * cell_w, label_y, labels[i], anchor="middle", cls="x-label"))
    if figure.x_label:
        parts.append(_text(left + plot_w / 2, height - 8, figure.x_label, anchor="middle", cls="axis-title"))
    if figure.y_label:
        mid = (plot_top + plot_bottom) / 2
        parts.append(
            _text(
                14,
                mid,
                figure.y_label,
                anchor="middle",
                cls="axis-title",
                extra=f' transform="rotate(-90 14 {mid:.1f})"',
            )
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _scale_legend(low: float, high: float, exact: Callable[[float], str]) -> list[str]:
    """The colour scale, top right: lowest value, ten swatches light → dark, highest value (real units)."""
    high_text, low_text = exact(high), exact(low)
    x = WIDTH - RIGHT - text_width(high_text)
    parts = [_text(x, 22, high_text, fill=INK, cls="legend-label")]
    x -= 6 + 10 * 12
    for i in range(10):
        parts.append(f'<rect class="legend" x="{x + i * 12:.1f}" y="12" width="12" height="12" fill="{_blue(i / 9)}"/>')
    parts.append(_text(x - 6, 22, low_text, anchor="end", fill=INK, cls="legend-label"))
    return parts


def _blue(t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    start, end = (222, 235, 247), (8, 48, 107)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


__all__ = ["chart_svg", "fmt_number", "formatter", "nice_max", "text_width"]
