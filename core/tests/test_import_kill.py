"""A real ``patron import`` killed mid-file leaves whole batches only; re-running completes exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from patron.models import Interaction

ROWS = 40_000
BATCH = 1000


@pytest.mark.slow
def test_sigkill_mid_import_then_rerun(patron_app, patron_cli, tmp_path):
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

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while stored() < 2 * BATCH and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, "the import finished before it could be killed: make the file bigger"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    before = stored()
    assert 0 < before < ROWS
    assert before % BATCH == 0, f"{before} rows stored: a partial batch was committed"
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
