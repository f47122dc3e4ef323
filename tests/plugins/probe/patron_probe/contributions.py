"""The probe's contract objects: one of every kind, each as small as the contract allows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, case, func, select

from patron.contracts import Audience, ReportParam, ReportResult, SendSummary, Table
from patron.models import Customer, Interaction
from patron_probe.models import ProbeNote

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


class InteractionCountModel:
    """Score = number of interactions before ``as_of``."""

    name = "probe:interaction-count"
    description = "Number of interactions before the as-of time."

    def scores(self, session: Session, *, as_of: datetime) -> Select[Any]:
        return (
            select(Interaction.customer_id, func.count().label("score"))
            .where(Interaction.occurred_at < as_of)
            .group_by(Interaction.customer_id)
        )


class ActivityTiers:
    """``quiet`` below 3 interactions before ``as_of``, ``busy`` from 3."""

    name = "probe:activity"
    description = "Quiet or busy, by interaction count."
    tiers = ("quiet", "busy")

    def qualify(self, session: Session, *, as_of: datetime) -> Select[Any]:
        n = func.count(Interaction.id)
        return (
            select(Customer.id, case((n >= 3, "busy"), else_="quiet").label("tier"))
            .outerjoin(Interaction, (Interaction.customer_id == Customer.id) & (Interaction.occurred_at < as_of))
            .group_by(Customer.id)
        )


def noted_customers() -> Audience:
    """Customers the probe has written a note about."""
    return Audience(
        name="probe:noted",
        description="Customers with at least one probe note.",
        query=lambda session: select(ProbeNote.customer_id).where(ProbeNote.customer_id.is_not(None)).distinct(),
    )


class NotesChannel:
    """A channel that 'sends' by counting the audience (no consent store of its own)."""

    name = "probe-notes"
    description = "Counts an audience; sends nothing."
    consent_channel = "probe"

    def send(
        self, app: App, *, campaign: str, audience: Audience, template: str, purpose: str, dry_run: bool = False
    ) -> SendSummary:
        with app.transaction() as session:
            n = session.scalar(select(func.count()).select_from(audience.query(session).subquery())) or 0
        return SendSummary(self.name, audience.name, n, 0, n, 0, 0, dry_run)


class NotesReport:
    """Notes per event."""

    name = "probe-notes"
    title = "Probe notes"
    description = "How many notes each probe event wrote."
    params = (ReportParam("event", str, default=None, help="Only this event."),)

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        query = select(ProbeNote.event, func.count()).group_by(ProbeNote.event).order_by(ProbeNote.event)
        if params.get("event"):
            query = query.where(ProbeNote.event == params["event"])
        rows = [tuple(r) for r in session.execute(query)]
        return ReportResult(
            title=self.title,
            summary={"notes": sum(n for _, n in rows)},
            tables=(Table("by_event", "Notes by event", ("event", "notes"), rows),),
        )


class NotesPanel:
    """Customer-360 panel: the number of probe notes about the customer."""

    name = "probe-notes"
    title = "Probe"

    def render(self, app: App, session: Session, customer_id: int) -> Mapping[str, Any] | None:
        n = session.scalar(select(func.count()).where(ProbeNote.customer_id == customer_id)) or 0
        return {"notes": n} if n else None
