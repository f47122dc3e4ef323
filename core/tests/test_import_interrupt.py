"""Ctrl-C during an import: whole batches stay, the message says how many rows landed and that re-running resumes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from patron import hookimpl
from patron.importer.runner import ImportInterrupted, ImportOptions, run_import
from patron.models import Interaction


class CtrlCOnSecondBatch:
    """Raises KeyboardInterrupt inside the second batch's transaction, as Ctrl-C would."""

    def __init__(self) -> None:
        self.batches = 0

    @hookimpl
    def patron_interactions_recorded(self, interaction_ids: list[int]) -> None:
        self.batches += 1
        if self.batches == 2:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_whole_batches_says_so_and_a_rerun_resumes(patron_app, patron_inline_plugin, tmp_path):
    customers = tmp_path / "customers.csv"
    customers.write_text("external_id\nc1\n", encoding="utf-8")
    run_import(patron_app, ImportOptions("customers", customers))
    interactions = tmp_path / "interactions.csv"
    interactions.write_text(
        "external_id,customer_external_id,kind,occurred_at\n"
        + "".join(f"i{n},c1,call,2024-01-01T00:00:{n % 60:02d}Z\n" for n in range(25)),
        encoding="utf-8",
    )
    plugin = patron_inline_plugin(patron_app, CtrlCOnSecondBatch(), name="ctrlc")

    with pytest.raises(ImportInterrupted) as caught:
        run_import(patron_app, ImportOptions("interactions", interactions, batch_size=10))
    message = str(caught.value)
    assert "after 10 rows in 1 committed batches: 10 inserted" in message
    assert "Re-running the same command resumes" in message
    assert caught.value.exit_code == 130
    with patron_app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 10  # the interrupted batch rolled back

    plugin.batches = 10  # no more interruptions
    again = run_import(patron_app, ImportOptions("interactions", interactions, batch_size=10))
    assert (again.inserted, again.unchanged, again.rejected) == (15, 10, 0)
