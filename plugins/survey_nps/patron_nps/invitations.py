"""``patron nps invite``: who may be asked now, and the invitation round sent through a Channel.

A round of survey ``S`` is the campaign ``nps-S-YYYY-MM-DD`` (the UTC day it is
sent). Of an audience's members (the core already leaves erased customers
out of every audience), a round asks those who have neither *answered* ``S``
nor been *sent an invitation* to ``S`` (an interaction ``<channel>_sent`` of
one of its campaigns) within its ``reask_days``. The rest goes through the
core's ``Channel`` contract: the channel checks consent for
``(consent_channel, [plugins.nps] invite_purpose)`` per recipient and is
idempotent on the campaign, so a second run the same day sends nothing new.

The message is the channel's template ``[plugins.nps] invite_template``
(``nps_invite``, shipped in ``templates/``). The plugin never imports a channel
plugin: the email channel asks every plugin for template folders and
per-recipient variables through the hooks it adds
(``patron_email_template_dirs``, ``patron_email_template_vars``), which this
plugin implements as optional hooks; ``template_vars`` gives each recipient
their own signed score links (``answer_links``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from patron.models import Customer, Interaction
from patron_nps.models import NpsAnswer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron.contracts import Audience
    from patron_nps.config import SurveyConfig

_CAMPAIGN = re.compile(r"^nps-(?P<survey>[a-z][a-z0-9_-]{0,99})-(?P<day>\d{4}-\d{2}-\d{2})$")


def campaign_name(survey: str, now: datetime) -> str:
    """The channel's idempotency key for one invitation round: ``nps-<survey>-<YYYY-MM-DD>``."""
    return f"nps-{survey}-{now.date().isoformat()}"


def survey_of(campaign: str) -> str | None:
    """The survey an invitation campaign name is for, or None when it is not one."""
    found = _CAMPAIGN.match(campaign)
    return found.group("survey") if found else None


def _answered(name: str, survey: SurveyConfig, now: datetime) -> Select[Any]:
    return select(NpsAnswer.customer_id).where(
        NpsAnswer.survey == name,
        NpsAnswer.occurred_at >= now - timedelta(days=survey.reask_days),
        NpsAnswer.occurred_at < now,
    )


def _invited(name: str, survey: SurveyConfig, channel: str, now: datetime) -> Select[Any]:
    """Customers sent an invitation to ``name`` within ``reask_days`` (the channel's ``<channel>_sent``)."""
    since = now - timedelta(days=survey.reask_days)
    # The exact campaign names of the window (a LIKE on the prefix would also match a survey named 'nps-x').
    days = (since.date() + timedelta(days=i) for i in range((now.date() - since.date()).days + 1))
    campaigns = [f"nps-{name}-{day.isoformat()}" for day in days]
    return select(Interaction.customer_id).where(
        Interaction.kind == f"{channel}_sent",
        Interaction.occurred_at >= since,
        Interaction.payload["campaign"].as_string().in_(campaigns),
    )


def eligible(
    session: Session,
    name: str,
    survey: SurveyConfig,
    audience: Audience,
    now: datetime,
    channel: str | None = None,
) -> Select[Any]:
    """SELECT of ``customer_id``: members of ``audience`` the survey may ask now.

    Not erased, no answer to ``name`` within ``reask_days``, and, with
    ``channel``, no invitation to it sent through that channel within them.
    """
    members = audience.query(session).subquery()
    member = next(iter(members.c))
    query = (
        select(member.label("customer_id"))
        .join(Customer, Customer.id == member)
        .where(Customer.erased_at.is_(None), member.not_in(_answered(name, survey, now)))
    )
    if channel is not None and survey.reask_days > 0:
        query = query.where(member.not_in(_invited(name, survey, channel, now)))
    return query.distinct()


def invite(
    app: App, survey_name: str, audience_name: str, channel_name: str, *, dry_run: bool, now: datetime
) -> dict[str, Any]:
    """Send (or count, with ``dry_run``) one invitation round; return what happened, by reason."""
    from patron.contracts import Audience
    from patron.errors import NotFoundError
    from patron.links import make_token
    from patron_nps.answers import plugin_config

    config = plugin_config(app)
    survey = config.survey(survey_name)
    if audience_name not in app.audiences:
        known = ", ".join(sorted(app.audiences)) or "none (enable a plugin that provides audiences)"
        raise NotFoundError(f"no audience {audience_name!r}; registered audiences: {known}")
    if channel_name not in app.channels:
        known = ", ".join(sorted(app.channels)) or "none"
        raise NotFoundError(
            f"no channel {channel_name!r}; enabled channels: {known} "
            '(enable a channel plugin, e.g. add "email" to [patron] plugins)'
        )
    make_token(app, "nps.check", {})  # no secret key: say so now, before counting or sending anything
    audience = app.audiences[audience_name]
    channel = app.channels[channel_name]
    campaign = campaign_name(survey_name, now)
    with app.transaction() as session:
        members = audience.query(session).subquery()
        member = next(iter(members.c))
        total = session.scalar(select(func.count()).select_from(members)) or 0
        answered = session.scalar(
            select(func.count(func.distinct(member))).where(member.in_(_answered(survey_name, survey, now)))
        )
        invited = 0
        if survey.reask_days > 0:
            invited = (
                session.scalar(
                    select(func.count(func.distinct(member))).where(
                        member.in_(_invited(survey_name, survey, channel_name, now)),
                        member.not_in(_answered(survey_name, survey, now)),
                    )
                )
                or 0
            )
    askable = Audience(
        audience.name,
        f"{audience.description} (who may be asked {survey_name} now)",
        lambda session: eligible(session, survey_name, survey, audience, now, channel_name),
    )
    summary = channel.send(
        app,
        campaign=campaign,
        audience=askable,
        template=config.invite_template,
        purpose=config.invite_purpose,
        dry_run=dry_run,
    )
    return {
        "survey": survey_name,
        "audience": audience_name,
        "channel": channel_name,
        "campaign": campaign,
        "dry_run": dry_run,
        "members": total,
        "answered_recently": answered or 0,
        "invited_recently": invited,
        "reask_days": survey.reask_days,
        "summary": asdict(summary),
    }


def template_dirs() -> list[str]:
    """The folder of the invitation template this plugin ships."""
    from pathlib import Path

    return [str(Path(__file__).parent / "templates")]


def template_vars(app: App, campaign: str, customer_ids: Sequence[int]) -> Mapping[int, Mapping[str, Any]] | None:
    """Per recipient of an invitation campaign: the survey's wording and one signed link per score.

    Read by the template as ``nps.question``, ``nps.low_label``, ``nps.high_label``,
    ``nps.links`` (a list of ``{score, url}``, lowest first) and ``nps.score_link_N``.
    Other campaigns get nothing.
    """
    from patron_nps.answer_links import score_links
    from patron_nps.answers import plugin_config

    name = survey_of(campaign)
    config = plugin_config(app)
    if name is None or name not in config.surveys:
        return None
    survey = config.surveys[name]
    low, high = survey.scale
    common = {
        "survey": name,
        "type": survey.type,
        "question": survey.question,
        "low_label": survey.low_label,
        "high_label": survey.high_label,
        "low": low,
        "high": high,
        "link_max_age_days": config.link_max_age_days,
    }
    out: dict[int, Mapping[str, Any]] = {}
    for cid in customer_ids:
        links = score_links(app, config, name, cid, campaign)
        out[cid] = {**common, "links": links, **{f"score_link_{link['score']}": link["url"] for link in links}}
    return out
