"""What the RFM reports are (name, title, description, parameters), without the code that runs them.

``patron report list`` reads these without importing SQLAlchemy or the
snapshot models; ``patron_rfm.reports`` holds the implementations, imported
only when a report runs, and takes its metadata from here (one source).
"""

from __future__ import annotations

from datetime import date

from patron.contracts import ReportParam, ReportSpec

AS_OF = ReportParam("as_of", date, default=None, help="As-of date of the snapshot (default: the latest).")

SEGMENTS = ReportSpec(
    name="rfm-segments",
    title="RFM segments",
    description="Customers, share, revenue share and mean recency/frequency/monetary per RFM segment.",
    implementation="patron_rfm.reports:SegmentSummaryReport",
    params=(AS_OF,),
)
HEATMAP = ReportSpec(
    name="rfm-heatmap",
    title="RFM heatmap: recency × frequency",
    description="Customers and mean monetary value for each R score (rows) and F score (columns).",
    implementation="patron_rfm.reports:HeatmapReport",
    params=(AS_OF,),
)
PARETO = ReportSpec(
    name="rfm-pareto",
    title="ABC Pareto curve",
    description="Customers and revenue per ABC tier, and the cumulative revenue curve by customer percentile.",
    implementation="patron_rfm.reports:ParetoReport",
    params=(AS_OF,),
)
MIGRATION = ReportSpec(
    name="rfm-migration",
    title="RFM segment migration",
    description="Customers per (segment before, segment after) between two snapshots.",
    implementation="patron_rfm.reports:MigrationReport",
    params=(
        ReportParam("from_date", date, default=None, help="Earlier snapshot (default: second latest)."),
        ReportParam("to_date", date, default=None, help="As-of date of the later snapshot (default: the latest)."),
    ),
)

#: Every report this plugin offers, in the order ``patron report list`` shows them.
SPECS = (SEGMENTS, HEATMAP, PARETO, MIGRATION)
