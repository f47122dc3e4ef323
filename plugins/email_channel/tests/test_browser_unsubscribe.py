"""The unsubscribe flow in a real browser (headless Chromium) against ``patron serve`` (uvicorn) on loopback.

Chromium is driven through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: JSON messages ending in NUL on fds 3 and 4), with
the standard library only. ``tools/ensure_chromium.py`` (run by ``make test``)
installs Chromium; without it the test skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import email.policy
import os
import subprocess
import sys
import urllib.request
from email import message_from_bytes
from typing import Any

import pytest
from sqlalchemy import func, select

from patron.models import Consent
from patron_email.models import EmailSuppression
from patron_email.testing import SECRET, free_port, seed, send
from patron_sdk.browser import Browser, chromium, wait_until_up


def log_entries(app: Any, customer_id: int) -> list[tuple[bool, str]]:
    with app.transaction() as session:
        return [
            (g, s)
            for g, s in session.execute(
                select(Consent.granted, Consent.source).where(Consent.customer_id == customer_id).order_by(Consent.id)
            )
        ]


@pytest.mark.slow
def test_unsubscribe_in_a_real_browser_against_patron_serve(email_app, smtp, tmp_path):
    chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = email_app()
    import dataclasses

    app.settings = dataclasses.replace(app.settings, base_url=base)
    ids = seed(app, 2)
    send(app)
    received = {r.recipients[0]: message_from_bytes(r.data, policy=email.policy.default) for r in smtp.inbox}
    link = received["c0@example.test"]["List-Unsubscribe"].split(">")[0][1:]
    assert link.startswith(f"{base}/email/unsubscribe/")
    env = {**os.environ, "PATRON_SECRET_KEY": SECRET, "PATRON_BASE_URL": base}
    server = subprocess.Popen(
        [sys.executable, "-m", "patron.cli", "--config", str(app.settings.path), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    browser = None
    try:
        wait_until_up(f"{base}/health", server)
        browser = Browser(tmp_path / "profile")
        browser.open(link)
        assert browser.evaluate("document.querySelector('h1').innerText") == "Unsubscribe"
        assert log_entries(app, ids[0]) == [(True, "test")], "opening the page changed nothing"
        browser.evaluate("document.getElementById('unsubscribe').click()")
        browser.wait_for_load()
        assert browser.evaluate("document.querySelector('h1').innerText") == "You are unsubscribed"
        assert log_entries(app, ids[0]) == [(True, "test"), (False, "email:unsubscribe:spring")]
        # Forged and tampered tokens, POSTed: nothing changes, and the page says so (expiry: test_unsubscribe.py).
        forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
        other = received["c1@example.test"]["List-Unsubscribe"].split(">")[0][1:]
        tampered_other = other.rsplit(".", 1)[0] + ".x" + other.rsplit(".", 1)[1][2:]
        for bad in (forged, tampered_other, f"{base}/email/unsubscribe/expired.token.here"):
            request = urllib.request.Request(bad, data=b"List-Unsubscribe=One-Click", method="POST")
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(request, timeout=10)
            assert info.value.code == 400 and b"Nothing was changed" in info.value.read()
        assert log_entries(app, ids[1]) == [(True, "test")]
        with app.transaction() as session:
            assert session.scalar(select(func.count()).select_from(EmailSuppression)) == 1
    finally:
        if browser is not None:
            browser.close()
        server.terminate()
        server.wait(timeout=30)
