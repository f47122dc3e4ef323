"""What the probe does on events: set-based writes inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from patron_probe.config import ProbeConfig
from patron_probe.models import ProbeNote

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


class ProbeFailure(RuntimeError):
    """Raised on purpose when ``fail_on`` names the event."""


_batches_seen = 0


def _maybe_pause(config: ProbeConfig) -> None:
    """On the ``pause_on_batch``-th batch, say so in ``pause_file`` and wait (to be killed) inside its transaction."""
    global _batches_seen
    _batches_seen += 1
    if config.pause_on_batch and _batches_seen == config.pause_on_batch:
        import time
        from pathlib import Path

        Path(config.pause_file).write_text(f"paused in batch {_batches_seen}\n", encoding="utf-8")
        time.sleep(600)  # the test kills the process long before; never a timing the test depends on


def record(app: App, session: Session, event: str, ids: Sequence[int]) -> None:
    """Write one note per id; raise first when the config says this event fails."""
    config = app.plugin_config("probe")
    assert isinstance(config, ProbeConfig)
    if event in config.fail_on:
        raise ProbeFailure(f"probe was configured to fail on {event}")
    if event == "interactions_recorded":
        _maybe_pause(config)
    if not ids:
        return
    customer_of: dict[int, int | None]
    if event == "interactions_recorded":
        from patron.models import Interaction

        rows = session.execute(select(Interaction.id, Interaction.customer_id).where(Interaction.id.in_(ids)))
        customer_of = {i: c for i, c in rows}
    else:
        customer_of = {i: i for i in ids}
    session.execute(
        insert(ProbeNote),
        [{"event": event, "subject_id": i, "customer_id": customer_of.get(i), "text": config.greeting} for i in ids],
    )


def export(session: Session, customer_id: int) -> dict[str, Any] | None:
    """The probe's notes about one customer."""
    notes = session.execute(
        select(ProbeNote.event, ProbeNote.text).where(ProbeNote.customer_id == customer_id).order_by(ProbeNote.id)
    ).all()
    return {"notes": [{"event": e, "text": t} for e, t in notes]} if notes else None


def erase(session: Session, customer_id: int) -> None:
    """Blank the note texts (they may hold personal data) and keep the counts."""
    session.execute(update(ProbeNote).where(ProbeNote.customer_id == customer_id).values(text=None))
