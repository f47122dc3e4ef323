"""Chart layout decisions made on the server (the browser test measures the result, tests/test_chart_geometry.py).

Long category names turn bars horizontal instead of being cut; a one-customer
bar keeps a visible length; money reads as money on marks, ticks and the colour
legend; a heatmap writes its cells' values; cut lines are drawn and named; a
figure without a single value says so. And ``patron report run --all -o DIR``
writes every report and a dashboard linking them.
"""

from __future__ import annotations

import re

import pytest

from patron.contracts import Figure
from patron.reports.render.svg import MIN_BAR, chart_svg, text_width

SEGMENTS = ["Champions", "Loyal", "Potential Loyalist", "New Customers", "Can't Lose Them", "Lost"]


def texts(svg: str, cls: str) -> list[str]:
    return re.findall(rf'<text class="{cls}"[^>]*>(.*?)</text>', svg)


def attrs(svg: str, cls: str, name: str) -> list[float]:
    return [float(v) for v in re.findall(rf'<rect class="{cls}"[^>]*? {name}="([\d.]+)"', svg)]


def test_long_category_names_make_horizontal_bars_with_every_name_whole() -> None:
    svg = str(chart_svg(Figure("s", "Customers per segment", "bar", SEGMENTS, {"Customers": [29, 37, 23, 16, 1, 47]})))
    names = [re.sub(r"<[^>]+>", "", t) for t in texts(svg, "y-label")]
    assert names == ["Champions", "Loyal", "Potential Loyalist", "New Customers", "Can&#39;t Lose Them", "Lost"]
    # Every name is right-aligned left of the bars, inside the chart: the widest fits in the margin.
    left = min(attrs(svg, "bar", "x"))
    assert text_width("Potential Loyalist") + 10 <= left
    # Values are written on the bars, in the domain's order; the one-customer bar is still seen.
    assert texts(svg, "value") == ["29", "37", "23", "16", "1", "47"]
    assert min(attrs(svg, "bar", "width")) >= MIN_BAR


def test_short_ordered_labels_stay_vertical_and_are_thinned_not_overlapped() -> None:
    months = [f"2025-{m:02d}" for m in range(1, 13)] + [f"2026-{m:02d}" for m in range(1, 13)]
    svg = str(chart_svg(Figure("m", "By month", "bar", months, {"Revenue": [float(i) for i in range(24)]})))
    shown = texts(svg, "x-label")
    assert 'class="chart chart-bar"' in svg and 'class="y-label"' not in svg
    assert shown == months[:: len(months) // len(shown)] and len(shown) < len(months)


def test_money_reads_as_money_on_marks_ticks_and_the_heatmap_legend() -> None:
    bars = str(
        chart_svg(
            Figure(
                "r",
                "Revenue",
                "bar",
                ["2025-01", "2025-02"],
                {"Revenue": [1119.8, 44012.5]},
                value_format="money",
                currency="USD",
            )
        )
    )
    assert texts(bars, "value") == ["$1,120", "$44K"]
    assert all(t.startswith("$") for t in texts(bars, "tick"))
    heat = str(
        chart_svg(
            Figure(
                "h",
                "Mean spend",
                "heatmap",
                ["F1", "F2"],
                {"R2": [51.83, None], "R1": [440.0, 64.35]},
                value_format="money",
                currency="USD",
            )
        )
    )
    assert texts(heat, "legend-label") == ["$440.00", "$51.83"]
    assert texts(heat, "cell-value") == ["$52", "$440", "$64"]
    assert "R2 — F2: no data" in heat  # an empty cell is grey and says so, it is not a zero


def test_reference_lines_are_drawn_and_named() -> None:
    x = list(range(1, 101))
    curve = [min(100.0, 30 + 70 * (i / 100) ** 0.5) for i in x]
    figure = Figure(
        "p",
        "Pareto",
        "line",
        x,
        {"Share of revenue (%)": curve},
        value_format="percent",
        reference_lines=[(80.0, "80% of revenue (A)"), (95.0, "95% of revenue (A+B)")],
    )
    svg = str(chart_svg(figure))
    assert svg.count('class="reference"') == 2
    assert texts(svg, "reference-label") == ["80% of revenue (A)", "95% of revenue (A+B)"]
    assert texts(svg, "x-label")[-1] == "100" and all(int(t) % 5 == 0 for t in texts(svg, "x-label"))


def test_a_figure_without_values_says_so() -> None:
    svg = str(chart_svg(Figure("e", "NPS by tier", "bar", ["Gold", "Silver"], {"NPS": [None, None]})))
    assert "Nothing to draw" in svg and 'class="bar"' not in svg
    with pytest.raises(ValueError, match="unknown kind 'pie'"):
        chart_svg(Figure("x", "x", "pie", [1], {"a": [1.0]}))  # type: ignore[arg-type]


@pytest.mark.sqlite_only
def test_report_run_all_writes_every_report_and_a_dashboard(patron_app, patron_cli, tmp_path) -> None:
    out = tmp_path / "all"
    result = patron_cli(patron_app, "report", "run", "--all", "-o", str(out))
    assert result.exit_code == 0, result.output
    names = sorted(patron_app.reports)
    assert sorted(p.stem for p in out.glob("*.html") if p.name != "index.html") == names
    index = (out / "index.html").read_text(encoding="utf-8")
    assert [f'href="{n}.html"' in index for n in names] == [True] * len(names)
    assert index.count('<article id="report-') == len(names) and "<svg" in index
    refused = patron_cli(patron_app, "report", "run", "--all")
    assert refused.exit_code != 0 and "give -o DIR/" in refused.stderr
    both = patron_cli(patron_app, "report", "run", "overview", "--all", "-o", str(out))
    assert both.exit_code != 0 and "not both" in both.stderr
