"""``patron nps record``: one answer, checked like an imported row, written through ``patron.ingest``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from patron.errors import InputError
from patron_nps.answers import plugin_config
from patron_nps.kinds import SURVEY_RESPONSE, payload_checker
from patron_nps.models import NpsFollowup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


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
