"""``patron nps record``: one answer, checked like an imported row, written through ``patron.ingest``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from patron.errors import InputError
from patron_nps.answers import plugin_config
from patron_nps.kinds import COMMENT_LIMIT, SURVEY_RESPONSE, payload_checker
from patron_nps.models import NpsFollowup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron_nps.answer_links import Claim


def parse_time(text: str | None) -> datetime:
    """An ISO 8601 time (a date means 00:00 UTC; no zone means UTC), or now."""
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--at {text!r} is not an ISO 8601 time; use e.g. 2025-03-01 or 2025-03-01T14:30Z") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def record_answer(
    app: App,
    session: Session,
    customer_id: int,
    survey: str,
    score: str,
    *,
    comment: str | None = None,
    touchpoint: str | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """Check and record one answer; return what was stored (and the follow-up it opened, if any)."""
    from patron.ingest import record_interactions
    from patron.models import Customer

    config = plugin_config(app)
    payload: dict[str, Any] = {"survey": survey, "score": score}
    if comment:
        payload["comment"] = comment
    if touchpoint:
        payload["touchpoint"] = touchpoint
    problem = payload_checker(config)(payload)
    if problem is not None:
        column, reason = problem
        raise InputError(f"{column.removeprefix('payload.').upper()}: {reason}")
    payload["score"] = int(score)
    found = session.get(Customer, customer_id)
    if found is None:
        raise InputError(f"no customer #{customer_id}")
    if found.erased_at is not None:
        raise InputError(f"customer #{customer_id} was erased; an erased customer cannot answer surveys")
    moment = parse_time(at)
    ids = record_interactions(
        app,
        session,
        [
            {
                "external_id": f"survey-{uuid.uuid4().hex}",
                "customer_id": found.id,
                "kind": SURVEY_RESPONSE,
                "occurred_at": moment,
                "payload": payload,
            }
        ],
    )
    followup = session.scalar(select(NpsFollowup.id).where(NpsFollowup.interaction_id == ids[0]))
    return {
        "interaction_id": ids[0],
        "customer": found.external_id,
        "survey": survey,
        "score": int(score),
        "answered_at": moment.isoformat(),
        "followup": followup,
    }


#: The touchpoint of answers given through an invitation's score link.
LINK_TOUCHPOINT = "invitation"


def answer_from_link(
    app: App, session: Session, claim: Claim, *, comment: str | None = None, keep_score: bool = False
) -> dict[str, Any]:
    """Record the answer a verified score link carries; a later click of the same invitation replaces it.

    Interactions are never changed, so each click that changes something is a
    new ``survey_response`` interaction (through ``patron.ingest``, so follow-ups
    open and events fire as for any answer); the invitation's earlier answer is
    marked replaced and its ``nps_answers`` row removed, so the scores count the
    invitation once; an open follow-up it opened is closed with a note saying so
    (a new answer that is still low opens its own, whose event carries the
    comment). A click repeating the current answer records nothing. A comment
    is kept across later clicks. ``keep_score``: only add or change the comment
    (the comment form), keeping the current score.

    :raises LinkError: the customer no longer exists or was erased.
    """
    from patron.ingest import audit, record_interactions
    from patron.links import LinkError
    from patron.models import Customer, Interaction, utcnow
    from patron_nps.models import NpsAnswer, NpsLinkAnswer

    # The customer's row lock serialises two clicks of one invitation on PostgreSQL (a scanner and a person);
    # on SQLite the caller's immediate transaction does.
    customer = session.get(Customer, claim.customer_id, with_for_update=True)
    if customer is None or customer.erased_at is not None:
        raise LinkError("no_customer", "this invitation's customer is no longer with us")
    current = session.scalar(
        select(NpsLinkAnswer).where(
            NpsLinkAnswer.campaign == claim.campaign,
            NpsLinkAnswer.customer_id == claim.customer_id,
            NpsLinkAnswer.is_current.is_(True),
        )
    )
    before: dict[str, Any] = {}
    if current is not None:
        before = dict(session.scalar(select(Interaction.payload).where(Interaction.id == current.interaction_id)) or {})
    score = int(before["score"]) if keep_score and "score" in before else claim.score
    text = (comment or "").strip()[:COMMENT_LIMIT] or before.get("comment")
    unchanged = current is not None and int(before.get("score", -1)) == score and text == before.get("comment")
    if current is not None and unchanged:
        return {"interaction_id": current.interaction_id, "score": score, "replaced": False, "changed": False}
    payload: dict[str, Any] = {"survey": claim.survey, "score": score, "touchpoint": LINK_TOUCHPOINT}
    if text:
        payload["comment"] = text
    now = utcnow()
    ids = record_interactions(
        app,
        session,
        [
            {
                "external_id": f"nps-link:{claim.campaign}:{claim.customer_id}:{uuid.uuid4().hex[:12]}",
                "customer_id": claim.customer_id,
                "kind": SURVEY_RESPONSE,
                "occurred_at": now,
                "payload": payload,
            }
        ],
    )
    session.add(
        NpsLinkAnswer(interaction_id=ids[0], campaign=claim.campaign, customer_id=claim.customer_id, is_current=True)
    )
    if current is not None:
        current.is_current = False
        session.execute(delete(NpsAnswer).where(NpsAnswer.interaction_id == current.interaction_id))
        session.execute(
            update(NpsFollowup)
            .where(NpsFollowup.interaction_id == current.interaction_id, NpsFollowup.closed_at.is_(None))
            .values(
                closed_at=now,
                note=f"closed on its own: a later answer from the same invitation (score {score}) replaces this one",
            )
        )
    audit(
        session,
        "nps.answer.link",
        "interaction",
        ids[0],
        {"survey": claim.survey, "replaced": current.interaction_id if current is not None else None},
    )
    session.flush()
    return {"interaction_id": ids[0], "score": score, "replaced": current is not None, "changed": True}
