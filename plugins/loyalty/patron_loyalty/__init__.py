"""patron-loyalty: points ledger, earning, redemption that never overdraws, expiry, tier schemes.

Hook implementations only; each delegates to the module that does the job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from patron import CONTRACT_VERSION, PluginManifest, hookimpl

if TYPE_CHECKING:
    from datetime import datetime

    import click
    import pluggy
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron.contracts import Audience, AudienceFamily, CustomerPanel, Report, TierScheme

MANIFEST = PluginManifest(
    name="loyalty",
    contract=CONTRACT_VERSION,
    description="Points ledger, earning rules, redemption, expiry and tier schemes.",
    stores_personal_data=True,
    config_model="patron_loyalty.config:LoyaltyConfig",
    migrations="migrations",
)


@hookimpl
def patron_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    from patron_loyalty import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def patron_refresh(app: App, as_of: datetime) -> str:
    from patron.sql import run_transaction
    from patron_loyalty.expiry import expire
    from patron_loyalty.tiers import recompute

    # Expire first: a tier review should not count points that lapsed before as_of.
    expired = expire(app, as_of)
    review = run_transaction(app, lambda session: recompute(app, session, as_of), immediate=True)
    return f"{expired} expiry entries; tier review ({review.scheme}): {review.placed} customers, {review.describe()}"


@hookimpl
def patron_cli_commands(cli: click.Group) -> None:
    from patron_loyalty.cli import loyalty

    cli.add_command(loyalty)


@hookimpl
def patron_interactions_recorded(app: App, session: Session, interaction_ids: Sequence[int]) -> None:
    from patron_loyalty.config import LoyaltyConfig
    from patron_loyalty.earning import on_interactions_recorded

    config = app.plugin_config("loyalty", LoyaltyConfig)
    on_interactions_recorded(session, config, interaction_ids)


@hookimpl
def patron_tier_schemes(register: Callable[[TierScheme], None], app: App) -> None:
    from patron_loyalty.config import LoyaltyConfig
    from patron_loyalty.tiers import builtin_schemes

    config = app.plugin_config("loyalty", LoyaltyConfig)
    for scheme in builtin_schemes(config):
        register(scheme)


@hookimpl
def patron_audiences(register: Callable[[Audience], None]) -> None:
    from patron_loyalty.audiences import audiences

    for audience in audiences():
        register(audience)


@hookimpl
def patron_audience_families(register: Callable[[AudienceFamily], None]) -> None:
    from patron_loyalty.audiences import families

    for family in families():
        register(family)


@hookimpl
def patron_reports(register: Callable[[Report], None]) -> None:
    # Specs: 'patron report list' shows them without importing the implementations (or SQLAlchemy).
    from patron_loyalty.report_specs import SPECS

    for spec in SPECS:
        register(spec)


@hookimpl
def patron_customer_panels(register: Callable[[CustomerPanel], None]) -> None:
    from patron_loyalty.panel import LoyaltyPanel

    register(LoyaltyPanel())


@hookimpl
def patron_customer_export(session: Session, customer_id: int) -> dict[str, Any] | None:
    from patron_loyalty.privacy import export

    return export(session, customer_id)


@hookimpl
def patron_customer_erase(session: Session, customer_id: int) -> None:
    from patron_loyalty.privacy import erase

    erase(session, customer_id)
