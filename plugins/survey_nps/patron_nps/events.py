"""The hook this plugin adds to the contract: a follow-up was opened.

The spec is added through ``patron_addhooks`` while the plugin registers, so a
misspelled implementation fails loudly at start-up. Another plugin (the email
channel alerting someone, a vertical plugin opening a ticket) implements it with
``@hookimpl(optionalhook=True)``, so it loads whether or not this plugin is
enabled, and is simply never called without it. This module stays cheap to
import: pluggy and the standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pluggy

from patron import PROJECT_NAME

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@dataclass(frozen=True)
class FollowupOpened:
    """One follow-up opened by a low answer, as passed to ``patron_nps_followup_opened``.

    :param id: the follow-up's id (``patron nps followups close ID``).
    :param customer_id: the customer who answered.
    :param survey: the survey's configured name.
    :param survey_type: ``nps``, ``csat`` or ``ces``.
    :param score: the score given.
    :param interaction_id: the ``survey_response`` interaction (its payload holds any comment).
    :param opened_at: when the customer answered (timezone-aware UTC).
    """

    id: int
    customer_id: int
    survey: str
    survey_type: str
    score: int
    interaction_id: int
    opened_at: datetime


@hookspec
def patron_nps_followup_opened(app: App, session: Session, followups: Sequence[FollowupOpened]) -> None:
    """React to follow-ups opened by low survey answers (alert someone, open a ticket).

    Called once per batch of recorded answers that opened at least one
    follow-up (a detractor, a CSAT of 1–2, or whatever each survey's
    ``followup_at_or_below`` says), inside the transaction that recorded them,
    after the follow-ups are written. Raising rolls the answers back and the
    error names the plugin.

    :param app: the running app.
    :param session: the SQLAlchemy session of the recording; do not commit it.
    :param followups: the follow-ups opened, one per low answer.
    :return: nothing; every implementation is called.
    """
