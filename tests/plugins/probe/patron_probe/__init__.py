"""patron-probe: a test plugin that implements every hook of the contract.

It keeps notes in its own table (created by its own migration branch), writes
one note per event inside the caller's transaction, and can be told through its
config to raise inside an event, so tests can prove rollback and error naming.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from patron import CONTRACT_VERSION, PluginManifest, hookimpl

if TYPE_CHECKING:
    import click
    from pydantic import BaseModel
    from sqlalchemy.orm import Session

    from patron.app import App

MANIFEST = PluginManifest(
    name="probe",
    contract=CONTRACT_VERSION,
    description="Test plugin exercising every hook.",
    stores_personal_data=True,
)


@hookimpl
def patron_config_model() -> type[BaseModel]:
    from patron_probe.config import ProbeConfig

    return ProbeConfig


@hookimpl
def patron_migrations() -> str:
    from pathlib import Path

    return str(Path(__file__).parent / "migrations")


@hookimpl
def patron_cli_commands(cli: click.Group) -> None:
    from patron_probe.cli import probe

    cli.add_command(probe)


@hookimpl
def patron_customers_upserted(app: App, session: Session, customer_ids: Sequence[int]) -> None:
    from patron_probe import events

    events.record(app, session, "customers_upserted", customer_ids)


@hookimpl
def patron_interactions_recorded(app: App, session: Session, interaction_ids: Sequence[int]) -> None:
    from patron_probe import events

    events.record(app, session, "interactions_recorded", interaction_ids)


@hookimpl
def patron_consent_changed(app: App, session: Session, changes: Sequence[Any]) -> None:
    from patron_probe import events

    events.record(app, session, "consent_changed", [c.customer_id for c in changes])


@hookimpl
def patron_customer_export(session: Session, customer_id: int) -> dict[str, Any] | None:
    from patron_probe import events

    return events.export(session, customer_id)


@hookimpl
def patron_customer_erase(session: Session, customer_id: int) -> None:
    from patron_probe import events

    events.erase(session, customer_id)


@hookimpl
def patron_reports(register: Callable[[Any], None]) -> None:
    from patron_probe.contributions import NotesReport

    register(NotesReport())


@hookimpl
def patron_scoring_models(register: Callable[[Any], None]) -> None:
    from patron_probe.contributions import InteractionCountModel

    register(InteractionCountModel())


@hookimpl
def patron_tier_schemes(register: Callable[[Any], None]) -> None:
    from patron_probe.contributions import ActivityTiers

    register(ActivityTiers())


@hookimpl
def patron_channels(register: Callable[[Any], None]) -> None:
    from patron_probe.contributions import NotesChannel

    register(NotesChannel())


@hookimpl
def patron_audiences(register: Callable[[Any], None]) -> None:
    from patron_probe.contributions import noted_customers

    register(noted_customers())


@hookimpl
def patron_customer_panels(register: Callable[[Any], None]) -> None:
    from patron_probe.contributions import NotesPanel

    register(NotesPanel())
