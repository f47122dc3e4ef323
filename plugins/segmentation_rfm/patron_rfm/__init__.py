"""patron-rfm: RFM scores, named segments, ABC value tiers and segment history, computed in the database.

The hook implementations below only delegate; each job lives in its own
module (metrics, scoring, segments, abc, snapshots, explain, audiences,
reports, panel, privacy, cli).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from patron import CONTRACT_VERSION, PluginManifest, hookimpl

if TYPE_CHECKING:
    from datetime import datetime

    import click
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron.contracts import Audience, AudienceFamily, CustomerPanel, Report, ScoringModel

MANIFEST = PluginManifest(
    name="rfm",
    contract=CONTRACT_VERSION,
    description="RFM scores, named segments, ABC tiers and segment history, computed in SQL.",
    stores_personal_data=True,
    config_model="patron_rfm.config:RfmConfig",
    migrations="migrations",
)


@hookimpl
def patron_scoring_models(register: Callable[[ScoringModel], None], app: App) -> None:
    from patron_rfm.scoring_model import RfmCodeModel
    from patron_rfm.snapshots import plugin_config

    register(RfmCodeModel(plugin_config(app)))


@hookimpl
def patron_cli_commands(cli: click.Group) -> None:
    from patron_rfm.cli import rfm

    cli.add_command(rfm)


@hookimpl
def patron_refresh(app: App, as_of: datetime) -> str:
    from patron_rfm.snapshots import score

    # RFM works in whole days: the snapshot is as of the start of as_of's UTC day.
    with app.transaction(immediate=True) as session:
        run = score(app, session, as_of.date())
    return f"RFM snapshot {run.as_of.isoformat()}: {run.customers} customers scored"


@hookimpl
def patron_reports(register: Callable[[Report], None]) -> None:
    # Specs: 'patron report list' shows them without importing the implementations (or SQLAlchemy).
    from patron_rfm.report_specs import SPECS

    for spec in SPECS:
        register(spec)


@hookimpl
def patron_audiences(register: Callable[[Audience], None], app: App) -> None:
    from patron_rfm.audiences import audiences
    from patron_rfm.snapshots import plugin_config

    for audience in audiences(plugin_config(app).segments):
        register(audience)


@hookimpl
def patron_audience_families(register: Callable[[AudienceFamily], None], app: App) -> None:
    from patron_rfm.audiences import families
    from patron_rfm.snapshots import plugin_config

    for family in families(plugin_config(app).segments):
        register(family)


@hookimpl
def patron_customer_panels(register: Callable[[CustomerPanel], None]) -> None:
    from patron_rfm.panel import RfmPanel

    register(RfmPanel())


@hookimpl
def patron_customer_export(session: Session, customer_id: int) -> dict[str, Any] | None:
    from patron_rfm import privacy

    return privacy.export(session, customer_id)


@hookimpl
def patron_customer_erase(session: Session, customer_id: int) -> None:
    from patron_rfm import privacy

    privacy.erase(session, customer_id)
