"""What the loyalty reports are (name, title, description, parameters), without the code that runs them.

``patron report list`` reads these without importing SQLAlchemy or the ledger
models; ``patron_loyalty.reports`` holds the implementations, imported only
when a report runs, and takes its metadata from here (one source).
"""

from __future__ import annotations

from datetime import date

from patron.contracts import ReportParam, ReportSpec

TIERS = ReportSpec(
    name="loyalty-tiers",
    title="Loyalty tiers",
    description="How many customers are in each tier, and who moved between tiers in a period.",
    implementation="patron_loyalty.reports:TiersReport",
    params=(
        ReportParam("since", date, default=None, help="Movements on or after this date (default: all)."),
        ReportParam("until", date, default=None, help="Movements on or before this date (default: all)."),
    ),
)
LIABILITY = ReportSpec(
    name="loyalty-liability",
    title="Loyalty points liability",
    description="Outstanding points (positive balances) times the configured point value, as of a date.",
    implementation="patron_loyalty.reports:LiabilityReport",
    params=(
        ReportParam(
            "as_of", date, default=None, help="Only entries before 00:00 UTC of this day count (default: all)."
        ),
    ),
)
ACTIVITY = ReportSpec(
    name="loyalty-activity",
    title="Loyalty points by month",
    description="Points earned, burned (redeemed), expired, adjusted and clawed back, per month.",
    implementation="patron_loyalty.reports:ActivityReport",
    params=(
        ReportParam("since", date, default=None, help="From this date (default: all)."),
        ReportParam("until", date, default=None, help="Up to and including this date (default: all)."),
    ),
)

#: Every report this plugin offers, in the order ``patron report list`` shows them.
SPECS = (TIERS, LIABILITY, ACTIVITY)
