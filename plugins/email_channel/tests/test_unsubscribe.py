"""One-click unsubscribe (RFC 8058): GET changes nothing, POST revokes once and suppresses, bad tokens nothing."""

from __future__ import annotations

import email.policy
from email import message_from_bytes

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from patron.models import Consent
from patron_email.models import EmailSuppression
from patron_email.testing import asgi_app, seed, send


def consent_entries(app, customer_id):
    with app.transaction() as session:
        return session.execute(
            select(Consent.granted, Consent.source).where(Consent.customer_id == customer_id).order_by(Consent.id)
        ).all()


def suppressions(app):
    with app.transaction() as session:
        return session.scalar(select(func.count()).select_from(EmailSuppression))


@pytest.fixture
def sent(email_app, smtp):
    app = email_app()
    ids = seed(app, 2)
    send(app)
    links = {}
    for received in smtp.inbox:
        message = message_from_bytes(received.data, policy=email.policy.default)
        links[received.recipients[0]] = message["List-Unsubscribe"].split(">")[0][1:]
    return app, ids, links


def path_of(url):
    return url.split("127.0.0.1:8000", 1)[1]


def test_get_shows_a_button_and_changes_nothing_post_unsubscribes_once(sent):
    app, ids, links = sent
    client = TestClient(asgi_app(app))
    path = path_of(links["c0@example.test"])
    page = client.get(path)
    assert page.status_code == 200 and '<button type="submit" id="unsubscribe">' in page.text
    assert f'action="{path}"' in page.text
    assert len(consent_entries(app, ids[0])) == 1 and suppressions(app) == 0
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert consent_entries(app, ids[0]) == [(True, "test"), (False, "email:unsubscribe:spring")]
    assert suppressions(app) == 1
    again = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert len(consent_entries(app, ids[0])) == 2 and suppressions(app) == 1
    # The other customer is untouched, and the unsubscribed one is skipped by the next campaign.
    assert len(consent_entries(app, ids[1])) == 1
    summary = send(app, "autumn")
    assert summary.sent == 1


def test_forged_wrong_purpose_and_expired_tokens_change_nothing(sent, monkeypatch):
    app, ids, links = sent
    client = TestClient(asgi_app(app))
    path = path_of(links["c0@example.test"])
    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    for bad in (forged, "/email/unsubscribe/not-a-token"):
        for method in (client.get, client.post):
            response = method(bad)
            assert response.status_code == 400 and "Nothing was changed" in response.text
    from patron.links import make_token

    other = make_token(app, "survey.answer", {"c": ids[0], "p": "marketing", "k": "spring"})
    assert client.post(f"/email/unsubscribe/{other}").status_code == 400
    import itsdangerous.timed

    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() - 400 * 86400)
    from patron_email.messages import unsubscribe_url

    stale = unsubscribe_url(app, ids[0], "spring", "marketing")
    monkeypatch.undo()
    response = client.post(path_of(stale))
    assert response.status_code == 400 and "expired" in response.text
    assert len(consent_entries(app, ids[0])) == 1 and suppressions(app) == 0
