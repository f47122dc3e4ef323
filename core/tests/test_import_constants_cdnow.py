"""``patron import --set COLUMN=VALUE``, the documented shop order-export path, and ``patron import cdnow``."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import func, select

from patron.app import App
from patron.importer.cdnow import DEFAULT_SOURCE
from patron.models import Customer, Interaction

DOCS = Path(__file__).resolve().parents[2] / "docs"
SAMPLE = DEFAULT_SOURCE.with_name("CDNOW_sample.txt")
Cli = Callable[..., Result]

ORDERS = """Order ID,Customer ID,Order date,Total,store
o-1,42,2024-03-01,19.99,Berlin
o-2,42,2024-03-09,5.00,
o-3,7,2024-04-01,120.50,Online
"""
CUSTOMERS = """Customer ID,Email,First order
42,ann@example.com,2024-03-01
7,bob@example.com,2024-04-01
"""


def rows(app: App, *columns: Any) -> list[tuple[Any, ...]]:
    with app.transaction() as s:
        return sorted(tuple(r) for r in s.execute(select(*columns)))


def test_set_gives_every_row_a_constant_column(patron_app: App, patron_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("external_id\nc1\n")
    (tmp_path / "p.csv").write_text("external_id,customer_external_id,occurred_at,amount\np1,c1,2024-01-02,3.50\n")
    assert patron_cli(patron_app, "import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    result = patron_cli(
        patron_app, "import", "interactions", str(tmp_path / "p.csv"), "--set", "kind=purchase", "--set", "currency=EUR"
    )
    assert result.exit_code == 0, result.output
    assert rows(
        patron_app, Interaction.external_id, Interaction.kind, Interaction.amount_minor, Interaction.currency
    ) == [("p1", "purchase", 350, "EUR")]


def test_a_missing_column_suggests_set(patron_app: App, patron_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("external_id,customer_external_id,occurred_at\np1,c1,2024-01-02\n")
    result = patron_cli(patron_app, "import", "interactions", str(tmp_path / "p.csv"))
    assert result.exit_code == 6 and "--set kind=VALUE" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "kind"], "--set 'kind': expected COLUMN=VALUE"),
        (["--set", "=x"], "expected COLUMN=VALUE"),
        (["--set", "kind=a", "--set", "kind=b"], "--set kind=…: given twice"),
        (["--set", "external_id=x"], "already has a column 'external_id'"),
    ],
)
def test_bad_set_options_are_one_line_errors(
    patron_app: App, patron_cli: Cli, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "p.csv").write_text("external_id,customer_external_id,occurred_at\np1,c1,2024-01-02\n")
    result = patron_cli(patron_app, "import", "interactions", str(tmp_path / "p.csv"), *args)
    assert result.exit_code == 6 and message in result.output and "Traceback" not in result.output


def test_set_in_json_lines_rejects_a_row_that_has_the_column(patron_app: App, patron_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("external_id\nc1\n")
    assert patron_cli(patron_app, "import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    lines = [
        {"external_id": "p1", "customer_external_id": "c1", "occurred_at": "2024-01-02"},
        {"external_id": "p2", "customer_external_id": "c1", "occurred_at": "2024-01-03", "kind": "call"},
    ]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = patron_cli(patron_app, "import", "interactions", str(tmp_path / "p.jsonl"), "--set", "kind=visit")
    assert result.exit_code == 8
    assert rows(patron_app, Interaction.external_id, Interaction.kind) == [("p1", "visit")]
    assert "--set kind=… would replace" in (tmp_path / "p.jsonl.rejects.csv").read_text()


def documented_order_export_commands() -> list[list[str]]:
    """The ``patron import`` commands of docs/importing.md's order-export section, as argument lists."""
    text = (DOCS / "importing.md").read_text(encoding="utf-8")
    section = text[text.index("## An order export from your shop") :]
    block = re.search(r"^```\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert block is not None
    joined = block.group(1).replace("\\\n", " ")
    return [shlex.split(line)[1:] for line in joined.splitlines() if line.startswith("patron import")]


def test_the_documented_order_export_path_works(
    patron_app: App, patron_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "orders-export.csv").write_text(ORDERS)
    (tmp_path / "customers-export.csv").write_text(CUSTOMERS)
    monkeypatch.chdir(tmp_path)
    commands = documented_order_export_commands()
    assert len(commands) == 2
    for args in commands:
        result = patron_cli(patron_app, *args)
        assert result.exit_code == 0, (args, result.output)
    assert rows(patron_app, Customer.external_id, Customer.email) == [
        ("42", "ann@example.com"),
        ("7", "bob@example.com"),
    ]
    assert rows(
        patron_app, Interaction.external_id, Interaction.kind, Interaction.amount_minor, Interaction.currency
    ) == [
        ("o-1", "purchase", 1999, "USD"),
        ("o-2", "purchase", 500, "USD"),
        ("o-3", "purchase", 12050, "USD"),
    ]
    with patron_app.transaction() as s:
        payload = s.scalar(select(Interaction.payload).where(Interaction.external_id == "o-1"))
    assert payload == {"store": "Berlin"}


@pytest.mark.skipif(not SAMPLE.exists(), reason=f"{SAMPLE} is not available")
def test_import_cdnow_sample_and_again_changes_nothing(patron_app: App, patron_cli: Cli) -> None:
    first = patron_cli(patron_app, "import", "cdnow", str(SAMPLE), "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert (summary["customers"]["inserted"], summary["interactions"]["inserted"]) == (2357, 6919)
    with patron_app.transaction() as s:
        total = s.scalar(select(func.sum(Interaction.amount_minor)))
        assert s.scalar(select(func.count()).select_from(Customer)) == 2357
    again = patron_cli(patron_app, "import", "cdnow", str(SAMPLE))
    assert again.exit_code == 0
    assert "2357 customers: 0 inserted, 2357 unchanged" in again.output
    assert "6919 interactions: 0 inserted, 6919 unchanged" in again.output
    with patron_app.transaction() as s:
        assert s.scalar(select(func.sum(Interaction.amount_minor))) == total


def test_import_cdnow_refuses_another_file_in_one_line(patron_app: App, patron_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS)
    result = patron_cli(patron_app, "import", "cdnow", str(tmp_path / "orders.csv"))
    assert result.exit_code == 6 and "is it the CDNOW purchase log?" in result.output
    (tmp_path / "empty.txt").write_text("customer_id date cds dollars\n")
    result = patron_cli(patron_app, "import", "cdnow", str(tmp_path / "empty.txt"))
    assert result.exit_code == 6 and "has no purchase lines" in result.output
