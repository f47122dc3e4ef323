"""The JSON format: the result as plain data plus the footer, for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from patron.reports.serialize import plain, result_json

if TYPE_CHECKING:
    from patron.reports.runner import ReportRun


def render_json(run: ReportRun) -> str:
    """``{"report", "title", "parameters", "summary", "tables", "figures", "footer"}`` as indented JSON."""
    doc = {
        "report": run.report.name,
        **result_json(run.result),
        "parameters": plain(run.params),
        "footer": asdict(run.footer),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
