"""Export and erasure of one customer, with the probe plugin contributing its part; audit rows."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from patron.models import AuditEvent, Customer, Interaction


def setup(app, patron_factory):
    factory = patron_factory(app)
    cid = factory.customer(
        external_id="c-42", name="Ann Smith", email="ann@example.com", phone="+1 555", attributes={"vip": "yes"}
    )
    factory.interaction(cid, external_id="p1", amount_minor=1999, payload={"note": "call Ann"})
    from patron.consent import record

    with app.transaction() as s:
        record(app, s, cid, channel="email", purpose="marketing", granted=True, source="web")
    return cid


def test_export_holds_core_data_and_each_plugins_part(make_patron_app, patron_factory, patron_cli, tmp_path):
    app = make_patron_app(plugins=["probe"])
    cid = setup(app, patron_factory)
    out = tmp_path / "export.json"
    result = patron_cli(app, "customers", "export", "c-42", "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["customer"]["email"] == "ann@example.com" and data["customer"]["attributes"] == {"vip": "yes"}
    assert [i["external_id"] for i in data["interactions"]] == ["p1"]
    assert data["interactions"][0]["payload"] == {"note": "call Ann"}
    assert data["consents"][0]["granted"] is True
    assert set(data["plugins"]) == {"probe"} and data["plugins"]["probe"]["notes"]
    with app.transaction() as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.action == "customer.export")).one()
    assert row.entity_id == str(cid) and "ann" not in json.dumps(row.details).lower()


def test_erase_pseudonymises_everywhere_keeps_amounts_and_twice_is_harmless(
    make_patron_app, patron_factory, patron_cli
):
    app = make_patron_app(plugins=["probe"])
    cid = setup(app, patron_factory)
    first = patron_cli(app, "customers", "erase", "c-42", "--yes")
    assert first.exit_code == 0, first.output
    with app.transaction() as s:
        c = s.get(Customer, cid)
        assert (c.name, c.email, c.phone, c.attributes) == (None, None, None, {})
        assert c.external_id.startswith("erased:") and "c-42" not in c.external_id and c.erased_at is not None
        i = s.scalars(select(Interaction).where(Interaction.customer_id == cid)).one()
        assert (i.amount_minor, i.payload) == (1999, {})
        from patron_probe.models import ProbeNote

        assert (
            s.scalar(
                select(func.count())
                .select_from(ProbeNote)
                .where(ProbeNote.customer_id == cid, ProbeNote.text.is_not(None))
            )
            == 0
        )
        first_pseudonym, erased_at = c.external_id, c.erased_at
    second = patron_cli(app, "customers", "erase", "c-42", "--yes")  # found again through its pseudonym
    assert second.exit_code == 0 and "already erased" in second.stdout
    with app.transaction() as s:
        c = s.get(Customer, cid)
        assert (c.external_id, c.erased_at) == (first_pseudonym, erased_at)
        audits = s.scalars(select(AuditEvent).where(AuditEvent.action == "customer.erase")).all()
    assert len(audits) == 2 and all("Ann" not in json.dumps(a.details) for a in audits)
    exported = json.loads(patron_cli(app, "customers", "export", f"#{cid}").stdout)
    text = json.dumps(exported)
    assert "Ann" not in text and "ann@example.com" not in text and "call Ann" not in text


def test_an_erased_customer_is_not_imported_again(patron_app, patron_factory, patron_cli, tmp_path):
    cid = patron_factory(patron_app).customer(external_id="c-9", name="Zed")
    assert patron_cli(patron_app, "customers", "erase", "c-9", "--yes").exit_code == 0
    (tmp_path / "c.csv").write_text("external_id,name\nc-9,Zed\n", encoding="utf-8")
    result = patron_cli(patron_app, "import", "customers", str(tmp_path / "c.csv"))
    assert result.exit_code == 8
    assert "was erased (GDPR); it is not imported again" in (tmp_path / "c.csv.rejects.csv").read_text("utf-8")
    with patron_app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1
        assert s.get(Customer, cid).name is None


def test_a_failing_plugin_aborts_the_erasure_and_is_named(
    make_patron_app, patron_factory, patron_cli, patron_inline_plugin
):
    from patron import hookimpl

    app = make_patron_app()
    cid = patron_factory(app).customer(external_id="c-1", name="Ann")

    class Broken:
        @hookimpl
        def patron_customer_erase(self, customer_id):
            raise RuntimeError("disk full")

    patron_inline_plugin(app, Broken(), "broken")
    from patron.errors import PluginError
    from patron.privacy import erase_customer

    try:
        with app.transaction() as s:
            erase_customer(app, s, cid)
    except PluginError as exc:
        assert 'plugin "broken"' in str(exc) and "patron_customer_erase" in str(exc) and "disk full" in str(exc)
    else:
        raise AssertionError("the erasure should have failed")
    with app.transaction() as s:
        assert s.get(Customer, cid).name == "Ann"


def test_export_of_unknown_customer_says_how_to_find_one(patron_app, patron_cli):
    result = patron_cli(patron_app, "customers", "export", "nope")
    assert result.exit_code == 7 and "patron customers search" in result.stderr
