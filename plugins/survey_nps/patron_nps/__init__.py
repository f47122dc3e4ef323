"""patron-nps: NPS, CSAT and CES surveys with honest margins of error, breakdowns, trends and follow-ups.

The hook implementations below only delegate; each job lives in its own
module (config, kinds, answers, scores, stats, metrics, reports, followups,
panel, privacy, recording, invitations, answer_links, web, cli). Answers are
core interactions of kind ``survey_response``; ``answers`` keeps their typed
copy in ``nps_answers``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from patron import CONTRACT_VERSION, PluginManifest, hookimpl

if TYPE_CHECKING:
    from datetime import datetime

    import click
    import pluggy
    from sqlalchemy.orm import Session

    from patron.app import App

MANIFEST = PluginManifest(
    name="nps",
    contract=CONTRACT_VERSION,
    description="NPS, CSAT and CES surveys: scores with intervals, breakdowns by audience, trends, follow-ups.",
    stores_personal_data=True,
    config_model="patron_nps.config:NpsConfig",
    migrations="migrations",
)


@hookimpl
def patron_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    from patron_nps import events

    pluginmanager.add_hookspecs(events)


@hookimpl
def patron_interaction_kinds(register: Callable[[Any], None], app: App) -> None:
    from patron.contracts import InteractionKind
    from patron_nps.answers import plugin_config
    from patron_nps.kinds import SURVEY_RESPONSE, payload_checker

    register(
        InteractionKind(
            SURVEY_RESPONSE,
            "The customer answered a survey (payload: survey, score, optional comment and touchpoint).",
            payload_checker(plugin_config(app)),
        )
    )


@hookimpl
def patron_cli_commands(cli: click.Group) -> None:
    from patron_nps.cli import nps

    cli.add_command(nps)


@hookimpl
def patron_interactions_recorded(app: App, session: Session, interaction_ids: Sequence[int]) -> None:
    from patron_nps.answers import index_answers

    index_answers(app, session, interaction_ids)


@hookimpl
def patron_refresh(app: App, as_of: datetime) -> str:
    from patron_nps.answers import backfill, totals

    with app.transaction() as session:
        done = backfill(app, session)
        answers, still_open = totals(session)
    line = f"{answers:,} survey answers, {still_open:,} open follow-ups"
    if done.answers or done.skipped:
        line += f"; {done.answers} earlier answers indexed now, {done.followups} follow-ups opened"
    if done.skipped:
        line += f"; {done.skipped} skipped as invalid (first: {done.first_problem})"
    return line


@hookimpl
def patron_reports(register: Callable[[Any], None]) -> None:
    # Specs: 'patron report list' shows them without importing the implementations (or SQLAlchemy).
    from patron_nps.report_specs import SPECS

    for spec in SPECS:
        register(spec)


@hookimpl
def patron_customer_panels(register: Callable[[Any], None]) -> None:
    from patron_nps.panel import SurveyPanel

    register(SurveyPanel())


@hookimpl
def patron_web_routes(register: Callable[[Any], None], app: App) -> None:
    from patron_nps.web import routes

    for route in routes(app):
        register(route)


@hookimpl(optionalhook=True)
def patron_email_template_dirs(app: App) -> Sequence[str] | None:
    """The invitation template (``nps_invite``), when the email channel asks; unused without it."""
    from patron_nps.invitations import template_dirs

    return template_dirs()


@hookimpl(optionalhook=True)
def patron_email_template_vars(
    app: App, session: Session, campaign: str, customer_ids: Sequence[int]
) -> Mapping[int, Mapping[str, Any]] | None:
    """Each invitation recipient's own signed score links (``nps.links``); nothing for other campaigns."""
    from patron_nps.invitations import template_vars

    return template_vars(app, campaign, customer_ids)


@hookimpl
def patron_customer_export(session: Session, customer_id: int) -> dict[str, Any] | None:
    from patron_nps import privacy

    return privacy.export(session, customer_id)


@hookimpl
def patron_customer_erase(session: Session, customer_id: int) -> None:
    from patron_nps import privacy

    privacy.erase(session, customer_id)
