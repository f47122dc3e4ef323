"""What the email reports are (name, title, description, parameters), without the code that runs them.

``patron report list`` reads these without importing SQLAlchemy or the send
log's models; ``patron_email.reports`` holds the implementations, imported
only when a report runs, and takes its metadata from here (one source).
"""

from __future__ import annotations

from patron.contracts import ReportParam, ReportSpec

CAMPAIGN = ReportSpec(
    name="email-campaign",
    title="Email campaigns",
    description="Per campaign: considered, sent, skipped by reason, failed, unknown, bounced, unsubscribed.",
    implementation="patron_email.reports:CampaignReport",
    params=(ReportParam("campaign", str, default=None, help="One campaign (default: every campaign)."),),
)
DELIVERABILITY = ReportSpec(
    name="email-deliverability",
    title="Email deliverability",
    description="By month: sent, bounced (hard, soft), complaints and unsubscribes, with rates per sent message.",
    implementation="patron_email.reports:DeliverabilityReport",
)

#: Every report this plugin offers, in the order ``patron report list`` shows them.
SPECS = (CAMPAIGN, DELIVERABILITY)
