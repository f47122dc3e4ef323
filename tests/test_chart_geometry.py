"""Every shipped report's charts, measured in a real browser: no label clipped, none drawn over another.

The demo is built with every shipped plugin (a few hundred customers), each
report's HTML is opened in headless Chromium at 1400 px and the page's own
geometry is read: ``getBoundingClientRect`` of every ``<text>`` of every chart
against the chart's bounds and against every other text of the same chart,
and the painted size of every non-zero bar. The server only estimates text
widths (``patron.reports.render.svg.text_width``); this is where the estimate
meets the fonts a browser really has.

Set ``PATRON_REPORT_SHOTS=/some/folder`` to keep a full-page screenshot of the
dashboard and of every report (1400 px wide) there, for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patron.demo.build import build_demo
from patron_sdk.browser import Browser

pytestmark = pytest.mark.slow

#: Half a pixel: anti-aliasing and rounding of adjacent boxes, never a visible overlap.
TOLERANCE = 0.5

GEOMETRY = r"""
(() => {
  const T = %(tolerance)s;
  const out = {charts: 0, texts: 0, problems: []};
  for (const svg of document.querySelectorAll('svg.chart')) {
    out.charts += 1;
    const name = svg.dataset.figure;
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')]
      .map(t => ({s: t.textContent.trim(), r: t.getBoundingClientRect()}))
      .filter(t => t.s && t.r.width > 0);
    out.texts += texts.length;
    for (const {s, r} of texts) {
      if (r.left < box.left - T || r.right > box.right + T || r.top < box.top - T || r.bottom > box.bottom + T) {
        out.problems.push(`${name}: "${s}" is clipped by the chart's edge ` +
          `(text ${r.left.toFixed(1)}..${r.right.toFixed(1)} x ${r.top.toFixed(1)}..${r.bottom.toFixed(1)}, ` +
          `chart ${box.left.toFixed(1)}..${box.right.toFixed(1)} x ${box.top.toFixed(1)}..${box.bottom.toFixed(1)})`);
      }
    }
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i].r, b = texts[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > T && h > T) {
          out.problems.push(`${name}: "${texts[i].s}" overlaps "${texts[j].s}" (${w.toFixed(1)} x ${h.toFixed(1)} px)`);
        }
      }
    }
    for (const bar of svg.querySelectorAll('rect.bar')) {
      const title = bar.querySelector('title').textContent;
      const r = bar.getBBox();  // in the chart's own units: a dashboard thumbnail is the same chart scaled down
      if (!/: [^0-9]*0(\.0+)?$/.test(title) && Math.min(r.width, r.height) < 2) {
        const size = `${r.width.toFixed(1)} x ${r.height.toFixed(1)} px`;
        out.problems.push(`${name}: the bar "${title}" is too thin to see (${size})`);
      }
    }
  }
  return out;
})()
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("geometry-demo")
    build_demo(folder, customers=300)
    return folder


def shots_folder() -> Path | None:
    folder = os.environ.get("PATRON_REPORT_SHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_no_chart_label_is_clipped_or_overlaps_another(demo: Path, tmp_path: Path) -> None:
    pages = sorted((demo / "reports").glob("*.html"))
    assert len(pages) >= 12, [p.name for p in pages]  # core, rfm, loyalty, nps, email and clv reports
    shots = shots_folder()
    problems: list[str] = []
    charts = texts = 0
    with Browser(tmp_path / "profile", width=1400) as page:
        for path in pages:
            page.open(path.as_uri())
            found = page.evaluate(GEOMETRY % {"tolerance": TOLERANCE})
            charts += found["charts"]
            texts += found["texts"]
            problems += [f"{path.stem}: {p}" for p in found["problems"]]
            if shots is not None:
                page.screenshot(shots / f"{path.stem}.png")
        if shots is not None:
            page.open((demo / "index.html").as_uri())
            page.screenshot(shots / "index.png")
    # The measurement saw real charts with real labels (a page without charts proves nothing).
    assert charts >= 12 and texts >= 200, (charts, texts)
    assert not problems, "\n".join(problems)


def test_the_dashboard_charts_are_readable_too(demo: Path, tmp_path: Path) -> None:
    with Browser(tmp_path / "profile", width=1400) as page:
        page.open((demo / "index.html").as_uri())
        found = page.evaluate(GEOMETRY % {"tolerance": TOLERANCE})
        links = page.evaluate("[...document.querySelectorAll('a.report')].map(a => a.getAttribute('href'))")
    assert found["charts"] >= 8, found
    assert not found["problems"], "\n".join(found["problems"])
    assert "reports/overview.html" in links
