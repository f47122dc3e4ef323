"""Properties of the renderers over open-ended inputs: CSV cells never start a formula, SVG stays well-formed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from patron.contracts import Figure
from patron.reports.render.csv_out import FORMULA_STARTS, PLAIN_NUMBER, safe_cell
from patron.reports.render.svg import chart_svg

# XML 1.0 cannot carry most control characters at all; report text is printable text.
label = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@given(st.text())
def test_a_safe_cell_never_starts_a_formula_unless_it_is_a_plain_number(text):
    out = safe_cell(text)
    assert out.startswith(FORMULA_STARTS) is False or PLAIN_NUMBER.match(out)
    assert out == text or out == "'" + text  # nothing else is changed


@given(st.one_of(st.integers(), st.floats(allow_nan=False)))
def test_numbers_are_never_prefixed(number):
    assert safe_cell(number) == number


@given(
    kind=st.sampled_from(["bar", "line", "heatmap"]),
    xs=st.lists(label, min_size=1, max_size=8),
    names=st.lists(label, min_size=1, max_size=3, unique=True),
    data=st.data(),
)
def test_charts_are_well_formed_svg_for_any_labels_and_values(kind, xs, names, data):
    value = st.one_of(st.none(), st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
    series = {n: data.draw(st.lists(value, min_size=len(xs), max_size=len(xs))) for n in names}
    svg = chart_svg(Figure("f", data.draw(label), kind, xs, series, data.draw(label), data.draw(label)))
    root = ET.fromstring(str(svg))  # raises on any unescaped label
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    marks = {"bar": "rect", "line": "circle", "heatmap": "rect"}[kind]
    drawn = [
        e for e in root.iter(f"{{http://www.w3.org/2000/svg}}{marks}") if e.get("class") in ("bar", "point", "cell")
    ]
    expected = sum(v is not None for vs in series.values() for v in vs)
    assert len(drawn) == (len(xs) * len(names) if kind == "heatmap" else expected)


@given(st.floats(min_value=1e-6, max_value=1e15))
def test_axis_top_covers_the_data_without_wasting_half_the_chart(value):
    from patron.reports.render.svg import nice_max

    top = nice_max(value)
    assert value <= top * (1 + 1e-12) and top < 2 * value * (1 + 1e-9)
