"""Fixtures: a real SMTP server on loopback (STARTTLS, throwaway CA) and apps with the email plugin."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from patron_email.testing import BASE_URL, SECRET, TestServer, email_section, smtp_server


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[TestServer]:
    with smtp_server(tmp_path) as server:
        yield server


@pytest.fixture
def email_app(make_patron_app: Callable[..., Any], smtp: TestServer) -> Callable[..., Any]:
    """``email_app(**config)``: an app with the email plugin pointed at ``smtp``, a secret key set."""

    def make(plugins: tuple[str, ...] = ("email",), **overrides: Any) -> Any:
        app = make_patron_app(plugins=list(plugins), config={"email": email_section(smtp, **overrides)})
        app.settings = dataclasses.replace(app.settings, secret_key=SECRET, base_url=BASE_URL)
        return app

    return make
