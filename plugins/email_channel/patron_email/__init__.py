"""patron-email: consented, idempotent email campaigns over SMTP, one-click unsubscribe, bounces.

Hook implementations only; each delegates to the module that does the job:
``sending`` (campaigns and the send log), ``smtp`` (delivery), ``templating``,
``unsubscribe`` (the web routes), ``bounces``, ``suppression``, ``reports``,
``panel``, ``privacy``, ``cli``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from patron import CONTRACT_VERSION, PluginManifest, hookimpl

if TYPE_CHECKING:
    import click
    import pluggy
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron.contracts import Audience, Channel, CustomerPanel, Report, WebRoute

MANIFEST = PluginManifest(
    name="email",
    contract=CONTRACT_VERSION,
    description="Email campaigns: consent and suppression per recipient, at most once, one-click unsubscribe.",
    stores_personal_data=True,
    config_model="patron_email.config:EmailConfig",
    migrations="migrations",
)


@hookimpl
def patron_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    from patron_email import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def patron_cli_commands(cli: click.Group) -> None:
    from patron_email.cli import email

    cli.add_command(email)


@hookimpl
def patron_channels(register: Callable[[Channel], None]) -> None:
    from patron_email.channel import EmailChannel

    register(EmailChannel())


@hookimpl
def patron_audiences(register: Callable[[Audience], None], app: App) -> None:
    from patron_email.audiences import audiences
    from patron_email.config import EmailConfig

    for audience in audiences(app.plugin_config("email", EmailConfig).audience_purposes):
        register(audience)


@hookimpl
def patron_web_routes(register: Callable[[WebRoute], None], app: App) -> None:
    from patron_email.unsubscribe import routes

    for route in routes(app):
        register(route)


@hookimpl
def patron_reports(register: Callable[[Report], None]) -> None:
    # Specs: 'patron report list' shows them without importing the implementations (or SQLAlchemy).
    from patron_email.report_specs import SPECS

    for spec in SPECS:
        register(spec)


@hookimpl
def patron_customer_panels(register: Callable[[CustomerPanel], None]) -> None:
    from patron_email.panel import EmailPanel

    register(EmailPanel())


@hookimpl
def patron_customer_export(session: Session, customer_id: int) -> dict[str, Any] | None:
    from patron_email.privacy import export

    return export(session, customer_id)


@hookimpl
def patron_customer_erase(session: Session, customer_id: int) -> None:
    from patron_email.privacy import erase

    erase(session, customer_id)
