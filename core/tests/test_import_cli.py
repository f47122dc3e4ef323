"""``patron import``: counts, idempotency, rejects, strict mode and each bad-file message."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patron.models import AuditEvent, Consent, Customer, Interaction

EXIT_REJECTED = 8


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def count(app, model, *where) -> int:
    with app.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def summary(result) -> dict:
    return json.loads(result.stdout)


CUSTOMERS = """external_id,name,email,created_at,consent_email,tier
c1,Ann,ann@example.com,2024-01-02,yes,gold
c2,Bob,bob@example.com,2024-02-03T10:00:00+02:00,no,
c3,Cy,,,,
"""
INTERACTIONS = """external_id,customer_external_id,kind,occurred_at,amount,currency,channel,sku,refund_of
p1,c1,purchase,2024-03-01,19.99,EUR,web,A-1,
p2,c1,purchase,2024-03-02T12:00:00Z,1500,JPY,store,,
p3,c1,refund,2024-03-03,5.00,EUR,,,p1
e1,c3,email_sent,2024-03-04,,,email,,
"""


def test_import_customers_then_interactions_and_again_changes_nothing(patron_app, patron_cli, tmp_path):
    customers = write(tmp_path / "customers.csv", CUSTOMERS)
    interactions = write(tmp_path / "interactions.csv", INTERACTIONS)
    first = patron_cli(patron_app, "import", "customers", str(customers), "--json")
    assert first.exit_code == 0, first.output
    assert {
        k: summary(first)[k] for k in ("rows", "inserted", "updated", "unchanged", "rejected", "consent_changes")
    } == {"rows": 3, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 0, "consent_changes": 2}
    second = patron_cli(patron_app, "import", "interactions", str(interactions), "--json")
    assert second.exit_code == 0, second.output
    assert (summary(second)["inserted"], summary(second)["rejected"]) == (4, 0)

    with patron_app.transaction() as s:
        ann = s.scalars(select(Customer).where(Customer.external_id == "c1")).one()
        assert (ann.name, ann.email, ann.attributes) == ("Ann", "ann@example.com", {"tier": "gold"})
        assert ann.created_at == datetime(2024, 1, 2, tzinfo=UTC)
        bob = s.scalars(select(Customer).where(Customer.external_id == "c2")).one()
        assert bob.created_at == datetime(2024, 2, 3, 8, tzinfo=UTC)  # converted to UTC
        money = dict(s.execute(select(Interaction.external_id, Interaction.amount_minor)).all())
        assert money == {"p1": 1999, "p2": 1500, "p3": 500, "e1": None}
        p1 = s.scalars(select(Interaction).where(Interaction.external_id == "p1")).one()
        assert (p1.channel, p1.payload, p1.currency) == ("web", {"sku": "A-1"}, "EUR")
        consents = sorted(s.execute(select(Consent.customer_id, Consent.channel, Consent.purpose, Consent.granted)))
        assert consents == [(ann.id, "email", "marketing", True), (bob.id, "email", "marketing", False)]

    again_c = patron_cli(patron_app, "import", "customers", str(customers), "--json")
    again_i = patron_cli(patron_app, "import", "interactions", str(interactions), "--json")
    assert (summary(again_c)["inserted"], summary(again_c)["updated"], summary(again_c)["unchanged"]) == (0, 0, 3)
    assert summary(again_c)["consent_changes"] == 0
    assert (summary(again_i)["inserted"], summary(again_i)["unchanged"]) == (0, 4)
    assert count(patron_app, Consent) == 2
    assert count(patron_app, Interaction) == 4
    # One audit row per import run, holding counts and no personal data.
    with patron_app.transaction() as s:
        audits = s.scalars(select(AuditEvent).where(AuditEvent.action.like("import.%"))).all()
    assert len(audits) == 4
    assert "Ann" not in json.dumps([a.details for a in audits])


def test_update_changes_fields_and_consent_and_skip_leaves_them(patron_app, patron_cli, tmp_path):
    write(tmp_path / "a.csv", "external_id,name,consent_email\nc1,Ann,yes\nc2,Bob,yes\n")
    patron_cli(patron_app, "import", "customers", str(tmp_path / "a.csv"))
    write(tmp_path / "b.csv", "external_id,name,consent_email\nc1,Ann,no\nc2,Robert,yes\n")
    skipped = patron_cli(patron_app, "import", "customers", str(tmp_path / "b.csv"), "--on-conflict", "skip", "--json")
    assert (summary(skipped)["updated"], summary(skipped)["unchanged"]) == (0, 2)
    assert count(patron_app, Consent) == 2
    updated = patron_cli(patron_app, "import", "customers", str(tmp_path / "b.csv"), "--json")
    # c1: only its consent changed; c2: its name. Both count as updated.
    got = summary(updated)
    assert (got["updated"], got["unchanged"], got["consent_changes"]) == (2, 0, 1)
    with patron_app.transaction() as s:
        assert s.scalar(select(Customer.name).where(Customer.external_id == "c2")) == "Robert"
    from patron.consent import consenting_customers

    with patron_app.transaction() as s:
        ids = set(s.scalars(consenting_customers("email", "marketing")))
        c2 = s.scalar(select(Customer.id).where(Customer.external_id == "c2"))
    assert ids == {c2}


def test_bad_rows_are_rejected_with_line_column_reason_and_good_rows_land(patron_app, patron_cli, tmp_path):
    write(tmp_path / "customers.csv", "external_id,name\nc1,Ann\n")
    patron_cli(patron_app, "import", "customers", str(tmp_path / "customers.csv"))
    source = write(
        tmp_path / "interactions.csv",
        (
            "external_id,customer_external_id,kind,occurred_at,amount,currency\n"
            "p1,c1,purchase,2024-01-01,10.00,EUR\n"  # line 2: good
            "p2,nobody,purchase,2024-01-01,10.00,EUR\n"  # line 3: unknown customer
            "p3,c1,purchase,yesterday,10.00,EUR\n"  # line 4: bad date
            "p4,c1,purchase,2024-01-01,10.001,EUR\n"  # line 5: too many decimals
            "p1,c1,purchase,2024-01-01,99.00,EUR\n"  # line 6: duplicate of line 2
            "p5,c1,purchase,2024-01-01,1.00,\n"  # line 7: amount without currency
            "p6,c1,purchase,2024-01-01\n"  # line 8: too few cells
            "p7,c1,purchase,2024-01-01,3,EUR\n"  # line 9: good
        ),
    )
    result = patron_cli(patron_app, "import", "interactions", str(source), "--json", "--batch-size", "3")
    assert result.exit_code == EXIT_REJECTED
    out = summary(result)
    assert (out["rows"], out["inserted"], out["rejected"]) == (8, 2, 6)
    assert out["rejects_file"] == str(tmp_path / "interactions.csv.rejects.csv")
    with open(out["rejects_file"], newline="", encoding="utf-8") as f:
        rejects = list(csv.reader(f))
    assert rejects[0] == [
        "line",
        "column",
        "reason",
        "external_id",
        "customer_external_id",
        "kind",
        "occurred_at",
        "amount",
        "currency",
    ]
    by_line = {int(r[0]): r for r in rejects[1:]}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8]
    assert by_line[3][1:3] == ["customer_external_id", by_line[3][2]] and "import the customers first" in by_line[3][2]
    assert by_line[4][1] == "occurred_at" and "ISO 8601" in by_line[4][2] and "--date-format" in by_line[4][2]
    assert by_line[5][1] == "amount" and "more than 2 decimal places" in by_line[5][2]
    assert by_line[6][1] == "external_id"
    assert "duplicate external_id 'p1'" in by_line[6][2] and "line 2" in by_line[6][2]
    assert by_line[7][1] == "currency"
    assert by_line[8][1] == "-" and "6 cells" not in by_line[8][2] and "4 cells but the header has 6" in by_line[8][2]
    assert by_line[3][3:] == ["p2", "nobody", "purchase", "2024-01-01", "10.00", "EUR"]  # the original row
    with patron_app.transaction() as s:
        stored = dict(s.execute(select(Interaction.external_id, Interaction.amount_minor)).all())
    assert stored == {"p1": 1000, "p7": 300}

    # Fixed file, same name: the stale rejects file disappears and the exit code is 0.
    write(source, "external_id,customer_external_id,kind,occurred_at\np1,c1,purchase,2024-01-01\n")
    assert patron_cli(patron_app, "import", "interactions", str(source)).exit_code == 0
    assert not Path(out["rejects_file"]).exists()


def test_strict_writes_nothing_when_any_row_is_bad(patron_app, patron_cli, tmp_path):
    source = write(tmp_path / "c.csv", "external_id,email\nc1,a@example.com\nc2,not-an-email\nc3,c@example.com\n")
    result = patron_cli(patron_app, "import", "customers", str(source), "--strict", "--batch-size", "1")
    assert result.exit_code == EXIT_REJECTED
    assert "nothing was written" in result.stderr
    assert count(patron_app, Customer) == 0
    rejects = (tmp_path / "c.csv.rejects.csv").read_text(encoding="utf-8")
    assert "3,email,'not-an-email' is not an email address" in rejects
    source.write_text("external_id,email\nc1,a@example.com\nc3,c@example.com\n", encoding="utf-8")
    ok = patron_cli(patron_app, "import", "customers", str(source), "--strict", "--json", "--batch-size", "1")
    assert ok.exit_code == 0 and summary(ok)["inserted"] == 2 and summary(ok)["batches"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty: expected a header line"),
        ("\n\n", "is empty: expected a header line"),
        ("external_id,customer_external_id,kind,occurred_at\n", "has a header but no rows"),
        (
            "external_id,customer,kind,occurred_at\nx,c1,purchase,2024-01-01\n",
            "missing required column customer_external_id (the header has: external_id, customer, kind, occurred_at); "
            "rename a column with --map, e.g. --map YOUR_COLUMN=customer_external_id",
        ),
        ("external_id,external_id\n1,2\n", "names column 'external_id' twice"),
    ],
)
def test_each_unusable_file_has_its_own_message(patron_app, patron_cli, tmp_path, content, message):
    source = write(tmp_path / "i.csv", content)
    result = patron_cli(patron_app, "import", "interactions", str(source))
    assert result.exit_code == 6
    assert message in result.stderr
    assert count(patron_app, Interaction) == 0


def test_a_wrong_encoding_names_the_line_and_byte_and_suggests_encoding(patron_app, patron_cli, tmp_path):
    source = tmp_path / "latin.csv"
    source.write_bytes("external_id,name\nc1,Ann\nc2,Zo\u00eb\n".encode("latin-1"))
    result = patron_cli(patron_app, "import", "customers", str(source))
    assert result.exit_code == 6
    assert "line 3 (byte offset 29) is not valid utf-8" in result.stderr
    assert "--encoding latin-1" in result.stderr
    assert count(patron_app, Customer) == 0
    fixed = patron_cli(patron_app, "import", "customers", str(source), "--encoding", "latin-1")
    assert fixed.exit_code == 0
    with patron_app.transaction() as s:
        assert s.scalar(select(Customer.name).where(Customer.external_id == "c2")) == "Zo\u00eb"


def test_map_and_date_format_and_json_lines(patron_app, patron_cli, tmp_path):
    write(tmp_path / "c.csv", "\ufeffcust_no,full_name,joined\n7,Ann,31/12/2023\n")
    result = patron_cli(
        patron_app,
        "import",
        "customers",
        str(tmp_path / "c.csv"),
        "--map",
        "cust_no=external_id",
        "--map",
        "full_name=name",
        "--map",
        "joined=created_at",
        "--date-format",
        "%d/%m/%Y",
    )
    assert result.exit_code == 0, result.output
    lines = [
        {
            "external_id": "o1",
            "customer_external_id": "7",
            "kind": "purchase",
            "occurred_at": "2024-01-01",
            "amount": 12.30,
            "currency": "USD",
            "basket": {"items": 2},
        },
        {"external_id": "o2", "customer_external_id": 7, "kind": "purchase", "occurred_at": "2024-01-02"},
    ]
    jsonl = write(tmp_path / "i.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n{not json\n[1]\n")
    result = patron_cli(patron_app, "import", "interactions", str(jsonl), "--json")
    assert result.exit_code == EXIT_REJECTED
    assert (summary(result)["inserted"], summary(result)["rejected"]) == (2, 2)
    rejects = (tmp_path / "i.jsonl.rejects.csv").read_text(encoding="utf-8")
    assert "3,-,not valid JSON" in rejects and '4,-,"expected a JSON object, got list",[1]' in rejects
    with patron_app.transaction() as s:
        c = s.scalars(select(Customer)).one()
        assert (c.external_id, c.name, c.created_at) == ("7", "Ann", datetime(2023, 12, 31, tzinfo=UTC))
        o1 = s.scalars(select(Interaction).where(Interaction.external_id == "o1")).one()
        assert (o1.amount_minor, o1.payload) == (1230, {"basket": {"items": 2}})
    bad_map = patron_cli(patron_app, "import", "customers", str(tmp_path / "c.csv"), "--map", "nope=name")
    assert bad_map.exit_code == 6 and "there is no column 'nope'" in bad_map.stderr


def test_a_plugin_raising_in_a_batch_rolls_that_batch_back_and_is_named(make_patron_app, patron_cli, tmp_path):
    app = make_patron_app(plugins=["probe"], config={"probe": {"fail_on": ["interactions_recorded"]}})
    write(tmp_path / "c.csv", "external_id\nc1\n")
    assert patron_cli(app, "import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    write(tmp_path / "i.csv", "external_id,customer_external_id,kind,occurred_at\np1,c1,purchase,2024-01-01\n")
    result = patron_cli(app, "import", "interactions", str(tmp_path / "i.csv"))
    assert result.exit_code == 4
    assert 'plugin "probe"' in result.stderr and "patron_interactions_recorded" in result.stderr
    assert count(app, Interaction) == 0


def test_batch_events_fire_once_per_batch_inside_its_transaction(make_patron_app, patron_inline_plugin, tmp_path):
    from patron import hookimpl
    from patron.importer import ImportOptions, run_import

    app = make_patron_app()
    calls: list[tuple[int, int]] = []

    class Spy:
        @hookimpl
        def patron_customers_upserted(self, session, customer_ids):
            # The batch is visible inside the same transaction.
            seen = session.scalar(select(func.count()).select_from(Customer).where(Customer.id.in_(customer_ids)))
            calls.append((len(customer_ids), seen))

    patron_inline_plugin(app, Spy(), "spy")
    source = write(tmp_path / "c.csv", "external_id\n" + "".join(f"c{i}\n" for i in range(7)))
    run_import(app, ImportOptions("customers", source, batch_size=3))
    assert calls == [(3, 3), (3, 3), (1, 1)]


def test_a_busy_database_during_a_batch_is_retried_as_a_whole(make_patron_app, patron_inline_plugin, tmp_path):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from patron import hookimpl
    from patron.importer import ImportOptions, run_import

    app = make_patron_app()
    calls: list[int] = []

    class Flaky:
        @hookimpl
        def patron_customers_upserted(self, customer_ids):
            calls.append(len(customer_ids))
            if len(calls) == 2:  # the second batch meets a busy database once
                raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    patron_inline_plugin(app, Flaky(), "flaky")
    source = write(tmp_path / "c.csv", "external_id\n" + "".join(f"c{i}\n" for i in range(5)))
    summary = run_import(app, ImportOptions("customers", source, batch_size=2))
    assert calls == [2, 2, 2, 1]  # batch two ran twice: the failed attempt was rolled back whole
    assert (summary.inserted, summary.rejected, summary.batches) == (5, 0, 3)
    assert count(app, Customer) == 5
