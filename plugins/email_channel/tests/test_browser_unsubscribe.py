"""The unsubscribe flow in a real browser (headless Chromium) against ``patron serve`` (uvicorn) on loopback.

Chromium is driven through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: JSON messages ending in NUL on fds 3 and 4), with
the standard library only. ``tools/ensure_chromium.py`` (run by ``make test``)
installs Chromium; without it the test skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import email.policy
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from patron.models import Consent
from patron_email.models import EmailSuppression
from patron_email.testing import SECRET, free_port, seed, send

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    message = "chromium is not installed: run 'python tools/ensure_chromium.py' as root (make test does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Browser:
    """A headless Chromium page driven over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [chromium(), *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            # close_fds=False: fds 3 and 4 are made in the child by wire(); closing would take them away.
            preexec_fn=wire, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_chrome, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(raw))

    def call(self, method: str, session: bool = False, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for_load(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read(deadline))
        self.events.clear()

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for_load()

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        # It is being shut down anyway: a failed goodbye changes nothing.
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"patron serve exited: {server.stderr.read().decode()[-2000:] if server.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"patron serve did not answer {url}")


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
