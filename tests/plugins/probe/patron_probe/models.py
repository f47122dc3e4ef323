"""The probe's table: one note per event call."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from patron.models import Base, Id


class ProbeNote(Base):
    """A note written by an event hook: which event, about which customer or interaction."""

    __tablename__ = "probe_notes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int] = mapped_column(Id)
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"))
    text: Mapped[str | None] = mapped_column(String(255))
