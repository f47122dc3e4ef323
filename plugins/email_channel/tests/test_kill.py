"""kill -9 of a campaign at random points, then reruns: the inbox never holds a duplicate (SQLite and PostgreSQL)."""

from __future__ import annotations

import collections
import os
import random
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from patron.models import Interaction
from patron_email.models import EmailSend
from patron_email.testing import SECRET, email_section, seed, smtp_server

N = 60


def command(app, *extra):
    return [
        sys.executable, "-m", "patron.cli", "--config", str(app.settings.path), "email", "send", "spring",
        "--audience", "email:consented:marketing", "--template", "welcome", *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_kill_9_at_random_points_and_rerun_never_delivers_twice(make_patron_app, tmp_path):
    rng = random.Random(int(os.environ.get("PATRON_KILL_SEED", "1313")))
    env = {**os.environ, "PATRON_SECRET_KEY": SECRET}
    with smtp_server(tmp_path, delay=0.004) as server:
        app = make_patron_app(plugins=["email"], config={"email": email_section(server, batch_size=5)})
        ids = seed(app, N)
        kills = 0
        for _ in range(4):
            proc = subprocess.Popen(command(app), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            target = server.count() + rng.randint(1, 12)
            deadline = time.monotonic() + 60
            while server.count() < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.02))
            if proc.poll() is None:
                proc.kill()  # SIGKILL: no cleanup, no rollback handler, no SMTP QUIT
                kills += 1
            proc.wait()
        done = subprocess.run(command(app), env=env, capture_output=True, text=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert kills >= 2, "the campaign finished before it could be killed: slow the server down"

        delivered = collections.Counter(server.message_ids())
        assert [mid for mid, n in delivered.items() if n > 1] == [], "a message was delivered twice"
        with app.transaction() as session:
            rows = session.execute(select(EmailSend.customer_id, EmailSend.state, EmailSend.message_id)).all()
            interactions = session.scalar(select(func.count()).where(Interaction.kind == "email_sent"))
        by_state = collections.defaultdict(set)
        for _cid, state, mid in rows:
            by_state[state].add(mid)
        assert set(by_state) <= {"sent", "unknown"} and len(rows) == N, "every member is sent or unknown"
        assert by_state["sent"] <= set(delivered), "every message recorded as sent is in the inbox"
        assert set(delivered) <= by_state["sent"] | by_state["unknown"], "nothing outside the log was delivered"
        assert interactions == len(by_state["sent"])
        assert "unknown" in done.stdout or not by_state["unknown"]

        # The operator may choose to resend the unknown ones: then everyone has the message,
        # and only unknown ones that had in fact been delivered arrive twice.
        again = subprocess.run(
            command(app, "--resend-unknown"), env=env, capture_output=True, text=True, check=False, timeout=120
        )
        assert again.returncode == 0, again.stderr[-2000:]
        final = collections.Counter(server.message_ids())
        assert len(final) == N and len(ids) == N
        assert {mid for mid, n in final.items() if n > 1} <= by_state["unknown"] & set(delivered)
