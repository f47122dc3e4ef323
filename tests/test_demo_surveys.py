"""The demo's survey answers (core demo + nps plugin) tell the story a marketing manager recognises."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_demo_answers_follow_the_rfm_segments(tmp_path):
    from patron.app import App
    from patron.config import load_settings
    from patron.demo.build import build_demo

    outcome = build_demo(tmp_path, customers=1500, plugins=["rfm", "nps"])
    assert any(line.startswith("nps: ") and "open follow-ups" in line for line in outcome.prepared)
    app = App(load_settings(tmp_path / "patron.toml", env={}))
    try:
        report = app.reports["nps-breakdown"]
        with app.transaction() as s:
            result = report.run(app, s, {"survey": None, "as_of": None, "months": 24, "by": "rfm:segment"})
            followups = app.reports["nps-followups"].run(app, s, {"as_of": None})
    finally:
        app.dispose()
    rows = {r[0]: r for r in result.tables[0].rows}
    champions, at_risk = rows["Champions"], rows["At Risk"]  # the audiences' titles (rfm labels)
    assert champions[2] is not None and at_risk[2] is not None
    assert champions[2] > 30 and at_risk[2] < -10 and champions[2] - at_risk[2] > 50
    assert champions[7] is True and at_risk[7] is True  # both differ significantly from the rest
    assert followups.summary["open"] > 0
