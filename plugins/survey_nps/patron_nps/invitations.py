"""Who may be invited to a survey now: the seam for ``patron nps invite`` (issue 14, item 7).

Sending waits for the core web surface (``patron serve``, signed links in
``patron.links``) and a Channel plugin: each invitation will carry one signed
link per score, bound to its customer and survey, and a click will record a
``survey_response`` through ``patron_web_routes``. What does not depend on
them lives here: the members of an audience who have not answered the survey
within its ``reask_days`` and are not erased. The channel adds consent and its
own idempotency on the campaign name.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from patron.models import Customer
from patron_nps.models import NpsAnswer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.contracts import Audience
    from patron_nps.config import SurveyConfig


def eligible(session: Session, name: str, survey: SurveyConfig, audience: Audience, now: datetime) -> Select[Any]:
    """SELECT of ``customer_id``: members of ``audience`` the survey may ask now."""
    members = audience.query(session).subquery()
    member = next(iter(members.c))
    answered = select(NpsAnswer.customer_id).where(
        NpsAnswer.survey == name,
        NpsAnswer.occurred_at >= now - timedelta(days=survey.reask_days),
        NpsAnswer.occurred_at < now,
    )
    return (
        select(member.label("customer_id"))
        .join(Customer, Customer.id == member)
        .where(Customer.erased_at.is_(None), member.not_in(answered))
        .distinct()
    )


def campaign_name(survey: str, now: datetime) -> str:
    """The channel's idempotency key for one invitation round: ``nps-<survey>-<YYYY-MM-DD>``."""
    return f"nps-{survey}-{now.date().isoformat()}"
