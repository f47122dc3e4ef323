"""An invitation's score link clicked in a real browser (headless Chromium) against ``patron serve`` on loopback.

The invitation is sent by ``patron nps invite`` through the email channel to a
real SMTP server (aiosmtpd, STARTTLS); the links are taken from the received
message. ``tools/ensure_chromium.py`` (run by ``make test``) installs Chromium;
without it the test skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import dataclasses
import email.policy
import re
import time
from email import message_from_bytes
from typing import Any

import pytest
from sqlalchemy import select

from patron_sdk.browser import Browser, chromium, free_port, serving

testing = pytest.importorskip("patron_email.testing")

LINK = re.compile(r"http://127\.0\.0\.1:\d+/nps/answer/[a-z0-9_-]+/\d+/\d+/[A-Za-z0-9_.-]+")


def answers(app: Any) -> list[tuple[int, int]]:
    from patron_nps.models import NpsAnswer

    with app.transaction() as session:
        return [(c, s) for c, s in session.execute(select(NpsAnswer.customer_id, NpsAnswer.score))]


def comments(app: Any) -> list[str | None]:
    from patron.models import Interaction
    from patron_nps.models import NpsAnswer

    with app.transaction() as session:
        return [
            payload.get("comment")
            for payload in session.scalars(
                select(Interaction.payload).join(NpsAnswer, NpsAnswer.interaction_id == Interaction.id)
            )
        ]


def heading(page: Browser, expected: str, timeout: float = 30) -> str:
    """The page's h1 once it reads ``expected`` (a script may still be submitting a form); the last seen otherwise."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        try:
            seen = page.evaluate("document.querySelector('h1') ? document.querySelector('h1').innerText : ''")
        except RuntimeError:  # the page navigated while being read
            seen = ""
        if seen == expected:
            return seen
        time.sleep(0.05)
    return seen


@pytest.mark.slow
def test_a_click_in_a_real_browser_records_one_answer_and_bad_links_record_nothing(
    make_patron_app, patron_cli, tmp_path, monkeypatch
):
    chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with testing.smtp_server(tmp_path) as smtp:
        app = make_patron_app(
            plugins=["email", "nps"],
            config={"email": {**testing.email_section(smtp), "audience_purposes": ["surveys"]}, "nps": {}},
        )
        app.settings = dataclasses.replace(app.settings, base_url=base)
        ids = testing.seed(app, 2, purpose="surveys")
        sent = patron_cli(
            app, "nps", "invite", "nps", "--audience", "email:consented:surveys", "--channel", "email",
            env={"PATRON_BASE_URL": base},
        )  # fmt: skip
        received = {r.recipients[0]: message_from_bytes(r.data, policy=email.policy.default) for r in smtp.inbox}
    assert "invited 2" in sent.output, sent.output

    def links(address: str) -> list[str]:
        body = received[address].get_body(preferencelist=("html",))  # type: ignore[attr-defined]
        return list(dict.fromkeys(LINK.findall(body.get_content())))

    mine, theirs = links("c0@example.test"), links("c1@example.test")
    assert len(mine) == 11 and all(link.startswith(f"{base}/nps/answer/nps/{ids[0]}/") for link in mine)

    import itsdangerous.timed

    from patron_nps.answer_links import score_links
    from patron_nps.answers import plugin_config

    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() - 31 * 86400)
    expired = score_links(app, plugin_config(app), "nps", ids[1], "nps-nps-2026-10-29")[7]["url"]
    monkeypatch.undo()
    tampered = mine[5][:-3] + ("abc" if not mine[5].endswith("abc") else "xyz")
    other_customer = mine[5].rsplit("/", 1)[0] + "/" + theirs[5].rsplit("/", 1)[1]

    with serving(app.settings.path, port=port) as served, Browser(tmp_path / "profile") as page:
        assert served == base
        page.open(mine[2])
        assert heading(page, "Thank you") == "Thank you"
        assert page.evaluate("document.getElementById('score').innerText") == "2"
        assert answers(app) == [(ids[0], 2)], "one click, one answer"

        page.open(mine[9])
        assert heading(page, "Thank you") == "Thank you"
        assert answers(app) == [(ids[0], 9)], "a second score replaces the answer, still one"

        page.evaluate("document.getElementById('comment').value = 'Quick delivery, thanks'")
        page.evaluate("document.getElementById('send-comment').click()")
        assert heading(page, "Thank you for your comment") == "Thank you for your comment"
        assert answers(app) == [(ids[0], 9)] and comments(app) == ["Quick delivery, thanks"]

        for bad, why in [
            (tampered, "not valid"),
            (expired, "expired"),
            (other_customer, "belongs to another customer"),
        ]:
            page.open(bad)
            assert heading(page, "This link does not work") == "This link does not work"
            assert why in page.evaluate("document.getElementById('reason').innerText")
        assert answers(app) == [(ids[0], 9)], "a refused link records nothing"
