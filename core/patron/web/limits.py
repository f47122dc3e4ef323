"""Request size and per-client rate limits, as pure ASGI middleware.

Both answer with the short human page (413, 429) before the route runs, so a
flood of large or rapid requests never reaches the database. The rate limit is
a token bucket per client address, in memory: right for the one-process server
``patron serve`` runs; behind a proxy, limit there too (the client address is
the proxy's unless uvicorn is told to trust ``X-Forwarded-For``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patron.web.pages import error_page

#: Default largest request body accepted (bytes): forms and one-click POSTs are tiny.
MAX_BODY_BYTES = 64 * 1024
#: Default sustained requests per second per client, and the burst allowed above it.
RATE_PER_SECOND = 5.0
BURST = 30
#: Buckets remembered at most (oldest forgotten first), so memory stays bounded.
_MAX_CLIENTS = 10_000


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413: by ``Content-Length`` up front, else while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True  # an unreadable length is refused rather than trusted
                if too_big:
                    await error_page(413)(scope, receive, send)
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await error_page(413)(scope, receive, send)


class _TooLarge(Exception):
    """Raised inside the app when a chunked body passes the limit."""


class RateLimit:
    """A token bucket per client address: ``rate`` requests per second, bursts up to ``burst``."""

    def __init__(self, app: ASGIApp, rate: float = RATE_PER_SECOND, burst: int = BURST) -> None:
        self.app = app
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Take one token from ``client``'s bucket; False when it is empty."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > _MAX_CLIENTS:
                self._buckets.popitem(last=False)
            return allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client: Any = scope.get("client")
        address = client[0] if client else "unknown"
        if not self.allow(address):
            response = error_page(429)
            response.headers["Retry-After"] = str(max(1, int(1 / self.rate) if self.rate else 60))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
