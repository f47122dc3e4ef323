"""A real browser and a real ``patron serve`` for tests of pages people look at and click.

Headless Chromium is driven through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: JSON messages ending in NUL on fds 3 and 4), with
the standard library only, so a plugin's tests need no extra package.
``tools/ensure_chromium.py`` (run by ``make test``) installs Chromium; without
it :func:`chromium` skips the test locally and fails it under ``CI=true``, so
CI never silently skips a browser check.

Typical use::

    with serving(config_path, env={"PATRON_SECRET_KEY": key}) as base, Browser(tmp_path) as page:
        page.open(f"{base}/nps/answer/...")
        assert page.evaluate("document.querySelector('h1').innerText") == "Thank you"
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["FLAGS", "Browser", "chromium", "free_port", "serving", "wait_until_up"]

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)  # fmt: skip


def chromium() -> str:
    """The Chromium executable; skips the calling test (fails it under ``CI``) when there is none."""
    import pytest

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    message = "chromium is not installed: run 'python tools/ensure_chromium.py' as root (make test does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    """One headless Chromium page driven over the DevTools pipe; a context manager that closes it."""

    def __init__(self, profile: Path, *, width: int = 1400, height: int = 1000) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:
            # Move both ends above 4 first: in a fresh process os.pipe() may itself return 3 or 4, and
            # dup2 onto the same number is a no-op that leaves the fd close-on-exec (or clobbers the other).
            import fcntl

            high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 5)
            high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 5)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [chromium(), *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "about:blank"],
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
        self.call(
            "Emulation.setDeviceMetricsOverride", session=True,
            width=width, height=height, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

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
        """Send one DevTools command (to the page's session when ``session``) and return its result."""
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
        """Block until the page fires its load event (after a navigation or a submitted form)."""
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read(deadline))
        self.events.clear()

    def open(self, url: str) -> None:
        """Navigate to ``url`` and wait for the page to load."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for_load()

    def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its JSON-able value."""
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"javascript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        """Write a PNG of the page (the whole page when ``full_page``) to ``path``."""
        import base64

        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        """Close the browser and wait for its process."""
        # It is being shut down anyway: a failed goodbye changes nothing.
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            os.close(self._to_chrome)
        with contextlib.suppress(OSError):
            os.close(self._from_chrome)


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll ``url`` until it answers 200; raise with the server's stderr if the server exits first."""
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


@contextlib.contextmanager
def serving(config: Path, *, env: Mapping[str, str] | None = None, port: int | None = None) -> Iterator[str]:
    """Run ``patron --config CONFIG serve`` (uvicorn) on loopback; yield its base URL; stop it afterwards.

    ``PATRON_BASE_URL`` is set to the served address unless ``env`` gives one.
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    full_env = {**os.environ, "PATRON_BASE_URL": base, **(env or {})}
    server = subprocess.Popen(
        [sys.executable, "-m", "patron.cli", "--config", str(config), "serve", "--port", str(port)],
        env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_until_up(f"{base}/health", server)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
