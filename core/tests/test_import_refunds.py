"""Refunds on import follow the core convention (``patron.kinds``) or are rejected with a reason."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from patron.models import Interaction

CUSTOMERS = "external_id,name\nc1,Ann\nc2,Bob\n"
HEADER = "external_id,customer_external_id,kind,occurred_at,amount,currency,refund_of\n"


def _import(app, cli, tmp_path: Path, rows: str, *args: str) -> tuple[dict, dict[str, tuple[str, str]]]:
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli(app, "import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    path = tmp_path / "i.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    result = cli(app, "import", "interactions", str(path), "--json", *args)
    summary = json.loads(result.stdout)
    rejects: dict[str, tuple[str, str]] = {}
    if summary["rejects_file"]:
        with open(summary["rejects_file"], encoding="utf-8") as f:
            rejects = {r["external_id"]: (r["column"], r["reason"]) for r in csv.DictReader(f)}
    return summary, rejects


@pytest.mark.parametrize("batch_size", ["1", "5000"])
def test_refunds_breaking_the_convention_are_rejected_with_a_reason(patron_app, patron_cli, tmp_path, batch_size):
    rows = (
        "p1,c1,purchase,2024-01-01,50.00,EUR,\n"
        "p2,c2,purchase,2024-01-02,30.00,EUR,\n"
        "v1,c1,visit,2024-01-03,,,\n"
        "r-ok,c1,refund,2024-01-04,20.00,EUR,p1\n"  # its purchase is earlier in the same file
        "r-unknown,c1,refund,2024-01-04,1.00,EUR,nope\n"
        "r-other,c1,refund,2024-01-04,1.00,EUR,p2\n"
        "r-currency,c1,refund,2024-01-04,1.00,USD,p1\n"
        "r-negative,c1,refund,2024-01-04,-1.00,EUR,p1\n"
        "r-zero,c1,refund,2024-01-04,0,EUR,p1\n"
        "r-no-amount,c1,refund,2024-01-04,,,p1\n"
        "r-no-link,c1,refund,2024-01-04,1.00,EUR,\n"
        "r-visit,c1,refund,2024-01-04,1.00,EUR,v1\n"
        "r-before,c1,refund,2024-01-04,1.00,EUR,p3\n"  # names a purchase that comes later in the file
        "p3,c1,purchase,2024-01-05,10.00,EUR,\n"
    )
    summary, rejects = _import(patron_app, patron_cli, tmp_path, rows, "--batch-size", batch_size)
    assert summary["inserted"] == 5 and summary["rejected"] == 9
    assert rejects["r-unknown"][0] == "payload.refund_of"
    assert "no purchase has that external_id" in rejects["r-unknown"][1]
    assert rejects["r-other"] == ("payload.refund_of", "names 'p2', a purchase of another customer")
    assert rejects["r-currency"][0] == "currency" and "'EUR'" in rejects["r-currency"][1]
    assert rejects["r-negative"][0] == "amount" and "negative" in rejects["r-negative"][1]
    assert rejects["r-zero"][0] == "amount"
    assert rejects["r-no-amount"][0] == "amount"
    assert rejects["r-no-link"][0] == "payload.refund_of" and "missing" in rejects["r-no-link"][1]
    assert rejects["r-visit"] == ("payload.refund_of", "names 'v1', which is a 'visit' interaction, not a purchase")
    assert rejects["r-before"][0] == "payload.refund_of"
    with patron_app.transaction() as s:
        stored = dict(s.execute(select(Interaction.external_id, Interaction.amount_minor)).all())
    assert stored == {"p1": 5000, "p2": 3000, "v1": None, "r-ok": 2000, "p3": 1000}


def test_a_refund_of_a_purchase_imported_earlier_is_accepted(patron_app, patron_cli, tmp_path):
    first, _ = _import(patron_app, patron_cli, tmp_path, "p1,c1,purchase,2024-01-01,50.00,EUR,\n")
    assert first["inserted"] == 1
    path = tmp_path / "later.csv"
    path.write_text(HEADER + "r1,c1,refund,2024-02-01,50.00,EUR,p1\n", encoding="utf-8")
    later = json.loads(patron_cli(patron_app, "import", "interactions", str(path), "--json").stdout)
    assert (later["inserted"], later["rejected"]) == (1, 0)


def test_strict_mode_rolls_back_a_file_with_a_bad_refund(patron_app, patron_cli, tmp_path):
    rows = "p1,c1,purchase,2024-01-01,50.00,EUR,\nr1,c1,refund,2024-01-02,-5.00,EUR,p1\n"
    summary, rejects = _import(patron_app, patron_cli, tmp_path, rows, "--strict")
    assert summary["written"] is False and rejects["r1"][0] == "amount"
