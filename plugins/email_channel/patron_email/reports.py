"""Reports: ``email-campaign`` (per campaign, every outcome) and ``email-deliverability`` (by month).

Both only read and are deterministic for the same data and parameters.
Unsubscribes are counted from the core's consent log (entries whose source is
``email:unsubscribe:<campaign>``), so they agree with what consent says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from patron.contracts import Figure, ReportResult, Table
from patron.models import Consent
from patron.sql import month_bucket
from patron_email.models import EmailBounce, EmailSend
from patron_email.report_specs import CAMPAIGN, DELIVERABILITY

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

UNSUBSCRIBE_SOURCE = "email:unsubscribe"
CAMPAIGN_COLUMNS = (
    "campaign", "considered", "sent", "no consent", "suppressed", "invalid address", "deferred",
    "failed", "unknown", "bounced hard", "bounced soft", "complaints", "unsubscribed",
)  # fmt: skip


class CampaignReport:
    """Per campaign: how many were considered, sent, skipped by reason, failed, bounced, unsubscribed."""

    spec = CAMPAIGN
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        only = params.get("campaign")
        where = [EmailSend.campaign == only] if only else []
        states = session.execute(
            select(EmailSend.campaign, EmailSend.state, EmailSend.reason, func.count())
            .where(*where)
            .group_by(EmailSend.campaign, EmailSend.state, EmailSend.reason)
        ).all()
        bounce_where = [EmailBounce.campaign == only] if only else [EmailBounce.campaign.is_not(None)]
        bounces = session.execute(
            select(EmailBounce.campaign, EmailBounce.kind, func.count())
            .where(*bounce_where)
            .group_by(EmailBounce.campaign, EmailBounce.kind)
        ).all()
        prefix = f"{UNSUBSCRIBE_SOURCE}:"
        unsub_where = [Consent.source == prefix + only] if only else [Consent.source.like(prefix + "%")]
        unsubs = session.execute(
            select(Consent.source, func.count(func.distinct(Consent.customer_id)))
            .where(Consent.granted.is_(False), *unsub_where)
            .group_by(Consent.source)
        ).all()
        rows: dict[str, dict[str, int]] = {}

        def cell(campaign: str, column: str, n: int) -> None:
            rows.setdefault(campaign, dict.fromkeys(CAMPAIGN_COLUMNS[1:], 0))[column] += n

        for campaign, state, reason, n in states:
            cell(campaign, "considered", n)
            if state == "skipped":
                label = {"no_consent": "no consent", "invalid_address": "invalid address"}.get(reason or "", reason)
                cell(campaign, label if label in CAMPAIGN_COLUMNS else "deferred", n)
            elif state in ("sent", "failed", "unknown"):
                cell(campaign, state, n)
            else:  # claimed: a run is sending it now, or died (the next run makes it unknown)
                cell(campaign, "unknown", n)
        for bounced_campaign, kind, n in bounces:
            cell(bounced_campaign or "", {"hard": "bounced hard", "soft": "bounced soft"}.get(kind, "complaints"), n)
        for source, n in unsubs:
            cell(source[len(prefix) :], "unsubscribed", n)
        table = [(c, *values.values()) for c, values in sorted(rows.items())]
        totals = {k: sum(v[k] for v in rows.values()) for k in CAMPAIGN_COLUMNS[1:]}
        return ReportResult(
            title=self.title if not only else f"{self.title}: {only}",
            summary={"campaigns": len(rows), **{k: totals[k] for k in ("considered", "sent", "failed", "unknown")}},
            tables=(Table("campaigns", "Campaigns", CAMPAIGN_COLUMNS, table),),
        )


class DeliverabilityReport:
    """By month: messages sent, hard and soft bounces, complaints, unsubscribes, and their rates."""

    spec = DELIVERABILITY
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        months: dict[str, dict[str, int]] = {}

        def add(month: str | None, column: str, n: int) -> None:
            if month:
                months.setdefault(month, {"sent": 0, "hard": 0, "soft": 0, "complaint": 0, "unsubscribed": 0})
                months[month][column] += n

        sent_month = month_bucket(EmailSend.sent_at, session)
        for month, n in session.execute(
            select(sent_month, func.count()).where(EmailSend.state == "sent").group_by(sent_month)
        ):
            add(month, "sent", n)
        bounce_month = month_bucket(EmailBounce.occurred_at, session)
        for month, kind, n in session.execute(
            select(bounce_month, EmailBounce.kind, func.count()).group_by(bounce_month, EmailBounce.kind)
        ):
            add(month, kind, n)
        unsub_month = month_bucket(Consent.occurred_at, session)
        for month, n in session.execute(
            select(unsub_month, func.count())
            .where(Consent.granted.is_(False), Consent.source.like(UNSUBSCRIBE_SOURCE + "%"))
            .group_by(unsub_month)
        ):
            add(month, "unsubscribed", n)

        def rate(n: int, sent: int) -> float | None:
            return round(n / sent, 4) if sent else None

        rows = [
            (m, v["sent"], v["hard"], v["soft"], v["complaint"], v["unsubscribed"],
             rate(v["hard"] + v["soft"], v["sent"]), rate(v["complaint"], v["sent"]))
            for m, v in sorted(months.items())
        ]  # fmt: skip
        total_sent = sum(r[1] for r in rows)
        return ReportResult(
            title=self.title,
            summary={
                "months": len(rows),
                "sent": total_sent,
                "bounce rate": rate(sum(r[2] + r[3] for r in rows), total_sent),
                "complaint rate": rate(sum(r[4] for r in rows), total_sent),
            },
            tables=(
                Table(
                    "months",
                    "By month",
                    (
                        "month",
                        "sent",
                        "bounced hard",
                        "bounced soft",
                        "complaints",
                        "unsubscribed",
                        "bounce rate",
                        "complaint rate",
                    ),
                    rows,
                ),
            ),
            figures=(
                Figure(
                    "months",
                    "Sent and bounced by month",
                    "bar",
                    [r[0] for r in rows],
                    {"sent": [float(r[1]) for r in rows], "bounced": [float(r[2] + r[3]) for r in rows]},
                    x_label="month",
                    y_label="messages",
                ),
            )
            if rows
            else (),
        )
