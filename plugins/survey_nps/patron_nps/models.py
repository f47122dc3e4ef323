"""The survey plugin's tables: typed survey answers, and the follow-up queue.

``nps_answers`` holds one row per ``survey_response`` interaction (written in
the same unit of work as the interaction, by the ``patron_interactions_recorded``
event): the survey, the integer score, when, and the touchpoint. Scores are
read from here rather than from the interaction's JSON payload, so they are
typed, indexed and cheap to aggregate on both engines, and they survive a
customer's erasure (which empties interaction payloads) the way purchase
amounts do. Comments stay in the interaction payload only: they are personal
data and go with erasure.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from patron.models import Base, Id


class NpsAnswer(Base):
    """One survey answer: the typed copy of a ``survey_response`` interaction."""

    __tablename__ = "nps_answers"
    __table_args__ = (
        Index("ix_nps_answers_survey_occurred", "survey", "occurred_at"),
        Index("ix_nps_answers_customer", "customer_id"),
    )

    interaction_id: Mapped[int] = mapped_column(Id, ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    survey: Mapped[str] = mapped_column(String(100))
    score: Mapped[int] = mapped_column(SmallInteger)
    occurred_at: Mapped[datetime]
    touchpoint: Mapped[str | None] = mapped_column(String(64))


class NpsFollowup(Base):
    """A follow-up opened by a low answer (a detractor, a CSAT of 1–2), until someone closes it.

    ``opened_at`` is the time of the answer, so time-to-close measures how long
    the customer waited. ``note`` (written when closing) is personal data.
    """

    __tablename__ = "nps_followups"
    __table_args__ = (Index("ix_nps_followups_customer", "customer_id"), Index("ix_nps_followups_closed", "closed_at"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(Id, ForeignKey("interactions.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    survey: Mapped[str] = mapped_column(String(100))
    score: Mapped[int] = mapped_column(SmallInteger)
    opened_at: Mapped[datetime]
    assignee: Mapped[str | None] = mapped_column(String(255))
    assigned_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class NpsLinkAnswer(Base):
    """An answer given through an invitation's score link (ids only).

    One invitation (``campaign``, ``customer_id``) has one *current* answer: a
    later click records a new ``survey_response`` interaction (interactions are
    never changed) and marks the earlier one replaced; its ``nps_answers`` row is
    removed, so the scores count the invitation once. ``patron refresh`` never
    indexes a replaced answer again.
    """

    __tablename__ = "nps_link_answers"
    __table_args__ = (Index("ix_nps_link_answers_invitation", "campaign", "customer_id"),)

    interaction_id: Mapped[int] = mapped_column(Id, ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    is_current: Mapped[bool] = mapped_column(Boolean)
