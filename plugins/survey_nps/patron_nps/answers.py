"""Survey answers in: typed rows in ``nps_answers`` and follow-ups for low scores.

Every ``survey_response`` interaction, however it was recorded (import, the
``patron nps record`` command, the demo, another plugin), reaches
``index_answers`` through the ``patron_interactions_recorded`` event, inside
the same transaction. A payload that fails the survey checks rolls the batch
back: the importer rejects such rows before they get here, so this only stops
programmatic writes that skipped the checks. ``backfill`` (run by
``patron refresh``) indexes answers recorded before the plugin was enabled.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from patron.errors import InputError
from patron.models import Interaction
from patron_nps.config import NpsConfig
from patron_nps.kinds import SURVEY_RESPONSE, parse_score, payload_checker
from patron_nps.models import NpsAnswer, NpsFollowup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron_nps.events import FollowupOpened

CHUNK = 5000


def plugin_config(app: App) -> NpsConfig:
    """The validated ``[plugins.nps]`` settings."""
    config = app.plugin_config("nps")
    return config if isinstance(config, NpsConfig) else NpsConfig()


@dataclass
class Indexed:
    """What one indexing pass did."""

    answers: int = 0
    followups: int = 0
    skipped: int = 0
    first_problem: str | None = None


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def index_answers(app: App, session: Session, interaction_ids: Sequence[int]) -> Indexed:
    """Index the survey answers among ``interaction_ids``; raise ``InputError`` on an invalid one."""
    rows = [
        row
        for chunk in _chunks(list(interaction_ids))
        for row in session.execute(
            select(Interaction.id, Interaction.external_id, Interaction.customer_id, Interaction.occurred_at,
                   Interaction.payload).where(Interaction.id.in_(chunk), Interaction.kind == SURVEY_RESPONSE)
        )
    ]
    return _store(app, session, rows, strict=True)


def backfill(app: App, session: Session) -> Indexed:
    """Index every ``survey_response`` interaction not indexed yet; skip (and count) invalid ones."""
    missing = (
        select(Interaction.id, Interaction.external_id, Interaction.customer_id, Interaction.occurred_at,
               Interaction.payload)
        .outerjoin(NpsAnswer, NpsAnswer.interaction_id == Interaction.id)
        .where(Interaction.kind == SURVEY_RESPONSE, NpsAnswer.interaction_id.is_(None))
        .order_by(Interaction.id)
    )
    done = Indexed()
    rows = session.execute(missing).all()
    for start in range(0, len(rows), CHUNK):
        part = _store(app, session, rows[start : start + CHUNK], strict=False)
        done.answers += part.answers
        done.followups += part.followups
        done.skipped += part.skipped
        done.first_problem = done.first_problem or part.first_problem
    return done


def _store(app: App, session: Session, rows: Sequence[Any], *, strict: bool) -> Indexed:
    done = Indexed()
    if not rows:
        return done
    config = plugin_config(app)
    check = payload_checker(config)
    answers: list[dict[str, Any]] = []
    for row in rows:
        payload: Mapping[str, Any] = row.payload or {}
        problem = check(payload)
        if problem is not None:
            message = f"survey answer {row.external_id!r}: {problem[0]} {problem[1]}"
            if strict:
                raise InputError(message)
            done.skipped += 1
            done.first_problem = done.first_problem or message
            continue
        touchpoint = payload.get("touchpoint") or None
        answers.append(
            {
                "interaction_id": row.id,
                "customer_id": row.customer_id,
                "survey": payload["survey"],
                "score": parse_score(payload["score"]),
                "occurred_at": row.occurred_at,
                "touchpoint": touchpoint,
            }
        )
    if not answers:
        return done
    session.execute(insert(NpsAnswer), answers)
    done.answers = len(answers)
    low = [a for a in answers if _opens_followup(config, a["survey"], a["score"])]
    if low:
        opened = _open_followups(app, session, config, low)
        done.followups = len(opened)
    return done


def _opens_followup(config: NpsConfig, survey: str, score: int) -> bool:
    threshold = config.surveys[survey].followup_threshold
    return threshold is not None and score <= threshold


def _open_followups(
    app: App, session: Session, config: NpsConfig, answers: Sequence[Mapping[str, Any]]
) -> list[FollowupOpened]:
    from patron.ingest import fire_event
    from patron_nps.events import FollowupOpened, ensure_added

    session.execute(
        insert(NpsFollowup),
        [
            {
                "interaction_id": a["interaction_id"],
                "customer_id": a["customer_id"],
                "survey": a["survey"],
                "score": a["score"],
                "opened_at": a["occurred_at"],
            }
            for a in answers
        ],
    )
    wanted = [a["interaction_id"] for a in answers]
    opened = [
        FollowupOpened(f.id, f.customer_id, f.survey, config.surveys[f.survey].type, f.score, f.interaction_id,
                       f.opened_at)
        for chunk in _chunks(wanted)
        for f in session.execute(
            select(NpsFollowup.id, NpsFollowup.customer_id, NpsFollowup.survey, NpsFollowup.score,
                   NpsFollowup.interaction_id, NpsFollowup.opened_at)
            .where(NpsFollowup.interaction_id.in_(chunk))
            .order_by(NpsFollowup.id)
        )
    ]
    ensure_added(app.pm)
    fire_event(app, "patron_nps_followup_opened", session=session, followups=opened)
    return opened
