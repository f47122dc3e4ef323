"""A real ``patron import`` killed mid-file leaves whole batches only; re-running completes exactly.

The kill lands mid-file by construction, never by timing: the probe plugin
pauses the import inside its third batch's open transaction (after two batches
committed) and says so in a file; the test waits for that file, then sends
SIGKILL. So exactly two whole batches are stored, on any machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patron.models import Interaction

ROWS = 5_000
BATCH = 1000
PAUSE_ON_BATCH = 3


@pytest.mark.slow
def test_sigkill_mid_import_then_rerun(make_patron_app, patron_cli, tmp_path):
    patron_app = make_patron_app(plugins=["probe"])
    (tmp_path / "c.csv").write_text("external_id\n" + "".join(f"c{i}\n" for i in range(100)), encoding="utf-8")
    assert patron_cli(patron_app, "import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    source = tmp_path / "i.csv"
    with source.open("w", encoding="utf-8") as f:
        f.write("external_id,customer_external_id,kind,occurred_at,amount,currency\n")
        f.writelines(
            f"i{n},c{n % 100},purchase,2024-01-01T00:00:{n % 60:02d}Z,{n}.{n % 100:02d},EUR\n" for n in range(ROWS)
        )
    command = [
        sys.executable,
        "-m",
        "patron.cli",
        "--config",
        str(patron_app.settings.path),
        "import",
        "interactions",
        str(source),
        "--batch-size",
        str(BATCH),
        "--json",
    ]

    def stored() -> int:
        with patron_app.transaction() as s:
            return s.scalar(select(func.count()).select_from(Interaction)) or 0

    marker = tmp_path / "paused"
    pause = {
        "PATRON_PLUGINS__PROBE__PAUSE_ON_BATCH": str(PAUSE_ON_BATCH),
        "PATRON_PLUGINS__PROBE__PAUSE_FILE": str(marker),
    }
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **pause})
    try:
        _wait_for(marker, process)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    before = stored()
    # Two batches committed; the third, paused with its rows written but not committed, is gone.
    assert before == (PAUSE_ON_BATCH - 1) * BATCH
    with patron_app.transaction() as s:
        # Every committed batch is whole: interactions i0..i(before-1), in file order.
        assert (
            s.scalar(select(func.count()).where(Interaction.external_id.in_([f"i{n}" for n in range(before)])))
            == before
        )
    rerun = subprocess.run(command, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert (summary["inserted"], summary["unchanged"], summary["rejected"]) == (ROWS - before, before, 0)
    assert stored() == ROWS
    with patron_app.transaction() as s:
        total = s.scalar(select(func.sum(Interaction.amount_minor)))
    assert total == sum(n * 100 + n % 100 for n in range(ROWS))


def _wait_for(marker: Path, process: subprocess.Popen[bytes]) -> None:
    # Waiting for an event, not for a duration: the bound only stops a broken run from hanging.
    deadline = time.monotonic() + 300
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(
                f"the import ended before pausing: {process.stderr.read().decode() if process.stderr else ''}"
            )
        assert time.monotonic() < deadline, "the import never reached its pausing batch"
        time.sleep(0.02)
