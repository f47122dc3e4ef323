"""Erasure that cannot be reversed: keyed pseudonyms, interaction ids, audiences, and nothing left on disk.

Before: the pseudonym was an unkeyed SHA-256 (hashing C000000–C999999 recovered
an erased id), interaction external ids kept the customer's id, erased customers
stayed in audiences, and the loyalty export left out idempotency keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import literal, select
from sqlalchemy.engine import make_url

from patron import hookimpl
from patron.contracts import Audience, AudienceFamily
from patron.errors import ConfigError
from patron.ingest import record_interactions
from patron.models import Customer, Interaction
from patron.privacy import erase_customer, find_customer, pseudonym

ROOT = Path(__file__).resolve().parents[2]


def _unkeyed(external_id: str) -> str:
    # The scheme before: sha256 over a fixed prefix, no key.
    return "erased:" + hashlib.sha256(b"patron-erasure\x00" + external_id.encode()).hexdigest()[:32]


def test_pseudonyms_are_keyed_and_cannot_be_brute_forced(patron_app, patron_factory, patron_cli):
    cid = patron_factory(patron_app).customer(external_id="C001042", name="Ann")
    assert patron_cli(patron_app, "customers", "erase", "C001042", "--yes").exit_code == 0
    with patron_app.transaction() as s:
        stored = s.get(Customer, cid).external_id
    # Hashing every candidate id without the key finds nothing.
    assert stored not in {_unkeyed(f"C{n:06d}") for n in range(0, 2000)}
    assert stored == pseudonym(patron_app.settings.secret_key, "C001042")
    assert stored != pseudonym("another-installation-key-0123", "C001042")
    # With the key the former id still finds the customer (a second erase is harmless).
    with patron_app.transaction() as s:
        assert find_customer(s, "C001042", patron_app).id == cid


def test_pseudonyms_stay_the_bytes_earlier_versions_stored():
    # Databases hold pseudonyms made by every earlier version: HMAC-SHA-256 of "<purpose>\0<id>" under the
    # key, hex, first 40 digits. A faster way of computing them must give exactly these.
    key = "installation-key-0123456789"
    assert pseudonym(key, "C001042") == "erased:7ff8a292fe678c3711d458ad630cf4620a4f7794"
    for purpose, value in (("customer", "C001042"), ("interaction", "ö-1"), ("customer", "")):
        reference = hmac.new(key.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()[:40]
        assert pseudonym(key, value, purpose) == "erased:" + reference


def test_rotation_keeps_erased_customers_recognised(patron_app, patron_factory, patron_cli, tmp_path):
    patron_factory(patron_app).customer(external_id="c-9", name="Zed")
    assert patron_cli(patron_app, "customers", "erase", "c-9", "--yes").exit_code == 0
    old = patron_app.settings.secret_key
    cfg = patron_app.settings.path
    cfg.write_text(
        cfg.read_text("utf-8").replace(old, "a-brand-new-key-0123456789") + f'previous_secret_keys = ["{old}"]\n'
    )
    (tmp_path / "c.csv").write_text("external_id,name\nc-9,Zed\n", encoding="utf-8")
    result = patron_cli(patron_app, "import", "customers", str(tmp_path / "c.csv"))
    assert result.exit_code == 8
    assert "was erased (GDPR)" in (tmp_path / "c.csv.rejects.csv").read_text("utf-8")


def test_interaction_ids_are_pseudonymised_and_stay_idempotent(patron_app, patron_factory):
    f = patron_factory(patron_app)
    cid = f.customer(external_id="CANARYXID77", name="Canary")
    other = f.customer(external_id="someone-else")
    f.interaction(cid, external_id="CANARYXID77-ord1", amount_minor=500)
    with patron_app.transaction() as s:
        erase_customer(patron_app, s, cid)
    with patron_app.transaction() as s:
        stored = s.scalars(select(Interaction.external_id)).all()
        assert stored and not any("CANARYXID77" in e for e in stored)
        assert s.scalars(select(Interaction.amount_minor)).all() == [500]
        # A later import of the same interaction is recognised and skipped, whoever it names.
        row = {
            "external_id": "CANARYXID77-ord1",
            "customer_id": other,
            "kind": "purchase",
            "occurred_at": datetime(2024, 1, 1, tzinfo=UTC),
        }
        assert record_interactions(patron_app, s, [row]) == []
        assert record_interactions(patron_app, s, [{**row, "external_id": "new-1"}]) != []


def test_erasure_needs_the_installation_key(patron_app, patron_factory):
    cid = patron_factory(patron_app).customer(name="Ann")
    patron_app.settings = dataclasses.replace(patron_app.settings, secret_key=None)
    with pytest.raises(ConfigError, match="secret_key"), patron_app.transaction() as s:
        erase_customer(patron_app, s, cid)
    with patron_app.transaction() as s:
        assert s.get(Customer, cid).name == "Ann"


class Everyone:
    """A plugin whose audience forgets to filter erased customers."""

    @hookimpl
    def patron_audiences(self, register):
        register(Audience("test:everyone", "every customer", lambda s: select(Customer.id)))


def test_erased_customers_leave_every_audience(patron_app, patron_factory, patron_inline_plugin):
    from patron.audiences import members

    f = patron_factory(patron_app)
    keep, gone = f.customer(), f.customer()
    patron_inline_plugin(patron_app, Everyone(), "test")
    with patron_app.transaction() as s:
        erase_customer(patron_app, s, gone)
    with patron_app.transaction() as s:
        assert set(s.scalars(patron_app.audiences["test:everyone"].query(s))) == {keep}
        assert set(s.scalars(members(patron_app, s, "test:everyone"))) == {keep}


class EveryoneFamily:
    """A plugin whose audience family forgets to filter erased customers."""

    @hookimpl
    def patron_audiences(self, register):
        register(Audience("test:all:everyone", "every customer", lambda s: select(Customer.id)))

    @hookimpl
    def patron_audience_families(self, register):
        def query(session):
            return select(Customer.id, literal("everyone"))

        register(AudienceFamily("test:all", "every customer, one key", query))


def test_erased_customers_leave_every_audience_family(patron_app, patron_factory, patron_inline_plugin):
    from patron.audiences import family_members

    f = patron_factory(patron_app)
    keep, gone = f.customer(), f.customer()
    patron_inline_plugin(patron_app, EveryoneFamily(), "test")
    with patron_app.transaction() as s:
        erase_customer(patron_app, s, gone)
    with patron_app.transaction() as s:
        assert [tuple(r) for r in s.execute(family_members(patron_app, s, "test:all"))] == [(keep, "everyone")]


def test_init_creates_a_private_secret_and_config_show_masks_it(tmp_path, monkeypatch):
    from patron.cli import build_cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PATRON_SECRET_KEY", raising=False)
    monkeypatch.delenv("PATRON_CONFIG", raising=False)
    result = CliRunner().invoke(build_cli(["init"]), ["init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    cfg = tmp_path / "patron.toml"
    import tomllib

    key = tomllib.loads(cfg.read_text("utf-8"))["patron"]["secret_key"]
    assert len(key) >= 32
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    shown = CliRunner().invoke(build_cli(["config", "show"]), ["config", "show"], catch_exceptions=False)
    assert shown.exit_code == 0 and key not in shown.output


def test_init_adds_a_key_to_an_existing_config(tmp_path, monkeypatch):
    from patron.cli import build_cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PATRON_SECRET_KEY", raising=False)
    monkeypatch.delenv("PATRON_CONFIG", raising=False)
    (tmp_path / "patron.toml").write_text('[patron]\ndatabase_url = "sqlite:///p.db"  # mine\n', encoding="utf-8")
    result = CliRunner().invoke(build_cli(["init"]), ["init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "patron.toml").read_text("utf-8")
    assert "# mine" in text and "secret_key" in text


CANARIES = {
    "name": "Zyxwvut Canaryname",
    "email": "zyx.canary@example.org",
    "phone": "+99 4242 424242",
    "external_id": "CANARYXID77",
}


@pytest.mark.slow
def test_nothing_of_an_erased_customer_is_left_on_disk(make_patron_app, patron_factory, patron_cli):
    """The done-when test: grep the SQLite file and its WAL, or a pg_dump, for every identifying value."""
    from patron_loyalty.redemption import adjust

    app = make_patron_app(plugins=["loyalty"])
    f = patron_factory(app)
    cid = f.customer(**CANARIES)
    f.customer(external_id="bystander", name="Someone Else")
    f.interaction(cid, external_id=f"{CANARIES['external_id']}-ord1", amount_minor=12345)
    adjust(app, cid, 10, "goodwill", key=CANARIES["email"])  # a caller-chosen key: user text
    exported = json.loads(patron_cli(app, "customers", "export", CANARIES["external_id"]).stdout)
    assert f"adjust:{CANARIES['email']}" in [e["idempotency_key"] for e in exported["plugins"]["loyalty"]["ledger"]]
    result = patron_cli(app, "customers", "erase", CANARIES["external_id"], "--yes")
    assert result.exit_code == 0, result.output
    if app.engine.dialect.name == "sqlite":
        db = Path(app.engine.url.database)
        blobs = {p.name: p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists()}
    else:
        blobs = {"pg_dump": _pg_dump(app.engine.url)}
    assert blobs
    for where, blob in blobs.items():
        for field, value in CANARIES.items():
            assert value.encode() not in blob, f"{field} found in {where}"
    if app.engine.dialect.name == "sqlite":
        # The bystander is still there: the grep would have found data.
        assert b"Someone Else" in b"".join(blobs.values())


def _pg_dump(url) -> bytes:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import pgserver
    finally:
        sys.path.pop(0)
    bindir = pgserver.find_bindir()
    if bindir is None:
        pytest.fail("pg_dump not found (tools/pgserver.py finds the server binaries)")
    u = make_url(str(url))
    env = {**os.environ, "PGPASSWORD": u.password or ""}
    cmd = [str(bindir / "pg_dump"), "-h", u.host, "-p", str(u.port), "-U", u.username, "--no-owner", u.database]
    return subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=120).stdout
