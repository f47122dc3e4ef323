"""Customer 360 (``patron customers show``) and search."""

from __future__ import annotations

import json

from sqlalchemy import select

from patron.models import AuditEvent


def test_show_prints_customer_activity_consent_and_plugin_panels(make_patron_app, patron_factory, patron_cli):
    app = make_patron_app(plugins=["probe"])
    f = patron_factory(app)
    cid = f.customer(external_id="c1", name="Ann Smith", email="ann@example.com")
    f.interaction(cid, external_id="p1", amount_minor=1999, currency="EUR")
    f.interaction(cid, external_id="p2", amount_minor=501, currency="EUR")
    f.interaction(cid, kind="refund", amount_minor=500, currency="EUR", payload={"refund_of": "p2"})
    patron_cli(app, "consent", "grant", "c1")
    text = patron_cli(app, "customers", "show", "c1")
    assert text.exit_code == 0, text.output
    out = text.stdout
    assert "Ann Smith" in out and "ann@example.com" in out
    assert "3 interactions, spend €20.00" in out  # 19.99 + 5.01 - 5.00 refunded
    assert "  Created  " in out and "created_at" not in out  # labels in words, not machine names
    assert "email      marketing    granted" in out
    assert "Probe (probe):" in out and "Notes:" in out
    data = json.loads(patron_cli(app, "customers", "show", f"#{cid}", "--json", "--limit", "1").stdout)
    assert data["customer"]["id"] == cid and len(data["recent_interactions"]) == 1
    assert [p["name"] for p in data["panels"]] == ["probe-notes"]
    with app.transaction() as s:
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "customer.view")).all()
    assert len(views) == 2 and all(v.entity_id == str(cid) for v in views)


def test_show_unknown_customer(patron_app, patron_cli):
    result = patron_cli(patron_app, "customers", "show", "#x1")
    assert result.exit_code == 7 and "use #<number>" in result.stderr


def test_search_by_name_or_email_case_insensitive_with_limit(patron_app, patron_factory, patron_cli):
    f = patron_factory(patron_app)
    f.customer(external_id="a", name="Ann Smith", email="ann@example.com")
    f.customer(external_id="b", name="Bob", email="bob@SMITH.org")
    f.customer(external_id="c", name="Cy 100%", email=None)
    found = json.loads(patron_cli(patron_app, "customers", "search", "smith", "--json").stdout)
    assert [c["external_id"] for c in found] == ["a", "b"]
    limited = json.loads(patron_cli(patron_app, "customers", "search", "SMITH", "--json", "--limit", "1").stdout)
    assert [c["external_id"] for c in limited] == ["a"]
    # LIKE wildcards in the query are literal characters.
    assert [
        c["external_id"] for c in json.loads(patron_cli(patron_app, "customers", "search", "%", "--json").stdout)
    ] == ["c"]
    with patron_app.transaction() as s:
        details = [a.details for a in s.scalars(select(AuditEvent).where(AuditEvent.action == "customer.search"))]
    assert details == [{"results": 2}, {"results": 1}, {"results": 1}]
