"""``patron serve``: health, plugin routes, human error pages, size and rate limits, admin reports."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from patron import hookimpl
from patron.contracts import WebRoute
from patron.web.server import build_asgi_app

TOKEN = "admin-token-0123456789"


class RoutesPlugin:
    """An inline plugin with a page, a POST that records it was called, and a bug."""

    def __init__(self) -> None:
        self.posted = 0

    @hookimpl
    def patron_web_routes(self, register):
        async def hello(request):
            return PlainTextResponse("hello")

        async def change(request):
            await request.body()
            self.posted += 1
            return PlainTextResponse("changed")

        async def broken(request):
            raise RuntimeError("secret internals /srv/app.py line 3")

        register(WebRoute("inline:hello", "/inline/hello", hello))
        register(WebRoute("inline:change", "/inline/change", change, methods=("POST",)))
        register(WebRoute("inline:broken", "/inline/broken", broken))


@pytest.fixture
def client_for(patron_app, patron_inline_plugin):
    def make(admin: bool = False, **limits):
        plugin = RoutesPlugin()
        patron_inline_plugin(patron_app, plugin)
        if admin:
            patron_app.settings = dataclasses.replace(patron_app.settings, admin_token=TOKEN)
        client = TestClient(build_asgi_app(patron_app, **limits), raise_server_exceptions=False)
        return client, plugin

    return make


def test_health_and_plugin_routes(client_for):
    client, plugin = client_for()
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
    assert client.get("/inline/hello").text == "hello"
    assert client.post("/inline/change").text == "changed" and plugin.posted == 1


def test_errors_are_short_human_pages_never_tracebacks(client_for):
    client, plugin = client_for()
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and "<h1>Page not found</h1>" in missing.text
    wrong = client.get("/inline/change")
    assert wrong.status_code == 405 and "does not accept" in wrong.text and plugin.posted == 0
    bug = client.get("/inline/broken")
    assert bug.status_code == 500 and "<h1>Something went wrong</h1>" in bug.text
    assert "Traceback" not in bug.text and "secret internals" not in bug.text and "RuntimeError" not in bug.text


def test_request_size_and_rate_limits(client_for):
    client, plugin = client_for(max_body_bytes=100, rate_per_second=0.001, burst=5)
    big = client.post("/inline/change", content=b"x" * 101)
    assert big.status_code == 413 and "larger than" in big.text and plugin.posted == 0
    codes = [client.get("/inline/hello").status_code for _ in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]
    assert "Too many requests" in client.get("/inline/hello").text


def test_chunked_body_over_the_limit_is_refused(client_for):
    client, plugin = client_for(max_body_bytes=100)

    def chunks():
        for _ in range(5):
            yield b"y" * 50

    response = client.post("/inline/change", content=chunks())
    assert response.status_code == 413 and plugin.posted == 0


def test_admin_reports_are_off_without_a_token(client_for):
    client, _ = client_for()
    assert client.get("/reports").status_code == 404


def test_admin_reports_behind_the_token_list_and_render_with_a_form(client_for):
    client, _ = client_for(admin=True)
    assert client.get("/reports").status_code == 401
    assert client.get("/reports", headers={"Authorization": "Bearer wrong"}).status_code == 401
    basic = "Basic " + base64.b64encode(f"admin:{TOKEN}".encode()).decode()
    listing = client.get("/reports", headers={"Authorization": basic})
    assert listing.status_code == 200 and 'href="/reports/overview"' in listing.text
    page = client.get("/reports/overview?months=3", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200
    assert '<form method="get" action="/reports/overview"' in page.text and 'name="months" value="3"' in page.text
    assert "Customer base overview" in page.text
    bad = client.get("/reports/overview?months=abc", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bad.status_code == 400 and "months" in bad.text and "Traceback" not in bad.text
    assert client.get("/reports/nope", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


@pytest.mark.slow
def test_help_and_other_commands_import_nothing_web(tmp_path):
    import os
    import subprocess
    import sys

    for args in (["--help"], ["config", "show"]):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "patron.cli", *args],
            capture_output=True, text=True, cwd=tmp_path, check=False,
            env={**os.environ, "PATRON_LOAD_PLUGINS": "email", "PATRON_CONFIG": ""},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        modules = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
        assert not modules & {"starlette", "uvicorn", "itsdangerous", "anyio"}, (args, modules & {"starlette"})
