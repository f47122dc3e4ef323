"""patron-clv: customer lifetime value and churn risk (BG/NBD + Gamma-Gamma) on summaries computed in SQL.

The hook implementations below only delegate; each job lives in its own
module (summary, estimation, validation, snapshots, scoring, audiences,
reports, panel, privacy, cli). numpy and scipy are imported inside functions,
so ``patron --help`` does not pay for them.
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

MANIFEST = PluginManifest(
    name="clv",
    contract=CONTRACT_VERSION,
    description="Customer lifetime value and churn risk: BG/NBD and Gamma-Gamma fitted on SQL summaries.",
    stores_personal_data=True,
    config_model="patron_clv.config:ClvConfig",
    migrations="migrations",
)


@hookimpl
def patron_cli_commands(cli: click.Group) -> None:
    from patron_clv.cli import clv

    cli.add_command(clv)


@hookimpl
def patron_refresh(app: App, as_of: datetime) -> str:
    from patron_clv.snapshots import refresh

    return refresh(app, as_of)


@hookimpl
def patron_scoring_models(register: Callable[[Any], None], app: App) -> None:
    from patron_clv.scoring import scoring_models

    for model in scoring_models():
        register(model)


@hookimpl
def patron_audiences(register: Callable[[Any], None], app: App) -> None:
    from patron_clv.audiences import audiences

    for audience in audiences(app):
        register(audience)


@hookimpl
def patron_reports(register: Callable[[Any], None]) -> None:
    # Specs: 'patron report list' shows them without importing the implementations (or SQLAlchemy).
    from patron_clv.report_specs import SPECS

    for spec in SPECS:
        register(spec)


@hookimpl
def patron_customer_panels(register: Callable[[Any], None]) -> None:
    from patron_clv.panel import ClvPanel

    register(ClvPanel())


@hookimpl
def patron_customer_export(session: Session, customer_id: int) -> dict[str, Any] | None:
    from patron_clv import privacy

    return privacy.export(session, customer_id)


@hookimpl
def patron_customer_erase(session: Session, customer_id: int) -> None:
    from patron_clv import privacy

    privacy.erase(session, customer_id)
