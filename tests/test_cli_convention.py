"""One flag convention for every command, the core's and every shipped plugin's.

Machine output is ``--json``: every command that prints data accepts it and
then prints valid JSON on stdout. File formats (reports) are ``-f/--format``.
The command tree is walked with every plugin under ``plugins/`` (and the SDK)
enabled, so a new command is checked without being listed: it either takes
``--json`` or is named below as an action (it changes something and confirms
in one line) or a file-format command, with the reason.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest

from patron.cli import build_cli
from patron_sdk.data import Row, load

ROOT = Path(__file__).resolve().parents[1]

#: Commands that change something and confirm it in one line: no data to print.
ACTIONS = {
    "init": "writes patron.toml",
    "plugins enable": "edits patron.toml",
    "plugins disable": "edits patron.toml",
    "db upgrade": "applies migrations",
    "demo": "builds a demo folder and says where",
    "consent grant": "appends to the consent log",
    "consent revoke": "appends to the consent log",
    "plugin new": "writes a plugin folder and says where",
    "serve": "runs the web server until stopped",
}
#: Commands whose output is a document in a file format chosen with -f/--format.
FILE_FORMATS = {"report run": ["overview", "-f", "json"]}
#: Commands that always print JSON (the document is JSON by nature).
JSON_ALWAYS = {"customers export": ["c2"]}
#: Arguments for commands with required arguments ({csv} placeholders are files written by the test).
ARGS = {
    "plugins info": ["core"],
    "import customers": ["{customers_csv}"],
    "import interactions": ["{interactions_csv}"],
    "import cdnow": ["{cdnow_txt}"],
    "customers show": ["c1"],
    "customers search": ["c"],
    "customers erase": ["c9", "--yes"],
    "consent show": ["c1"],
    "rfm explain": ["c1"],
    "loyalty balance": ["c1"],
    "loyalty history": ["c1"],
    "loyalty redeem": ["c1", "1", "--reason", "convention test"],
    "loyalty adjust": ["c1", "5", "--reason", "convention test"],
    "email send": ["convention", "--audience", "email:consented:marketing", "--template", "welcome", "--dry-run"],
    "email preview": ["welcome", "--customer", "c1"],
    "email bounces import": ["{mbox}"],
    "email suppressions add": ["someone@example.com"],
    "email suppressions remove": ["someone@example.com"],
    "clv show": ["r1"],
    "nps record": ["c2", "nps", "9"],
    "nps invite": ["nps", "--audience", "email:consented:marketing", "--channel", "email", "--dry-run"],
    "nps followups assign": ["1", "someone"],
    "nps followups close": ["1", "--note", "called back"],
}
#: Run first, so the commands above have something to show.
SETUP = {
    "rfm": [["rfm", "score", "--as-of", "2025-01-01"]],
    "nps": [["nps", "record", "c1", "nps", "3"]],  # a detractor: opens follow-up 1
}


def shipped_plugins() -> list[str]:
    names = []
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        names.extend(project.get("entry-points", {}).get("patron", {}))
    return names


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


def option_names(command: click.Command) -> set[str]:
    return {opt for param in command.params if isinstance(param, click.Option) for opt in param.opts}


@pytest.fixture
def app(make_patron_app):
    return make_patron_app(plugins=[*shipped_plugins(), "sdk"])


def test_every_command_follows_the_convention(app) -> None:
    cli = build_cli(["--config", str(app.settings.path)])
    problems = []
    for path, command in leaf_commands(cli):
        options = option_names(command)
        if path in ACTIONS:
            continue
        if path in FILE_FORMATS:
            if not {"-f", "--format"} <= options:
                problems.append(f"{path}: a file-format command takes -f/--format")
            continue
        if path in JSON_ALWAYS:
            continue
        if "--json" not in options:
            problems.append(f"{path}: prints data but has no --json (patron.cli_options.json_option)")
        if "--format" in options or "-f" in options:
            problems.append(f"{path}: --format is for file formats; machine output is --json")
    assert not problems, "\n".join(problems)


def test_every_json_command_prints_valid_json(app, patron_cli, tmp_path: Path) -> None:
    day = datetime(2024, 6, 1, tzinfo=UTC)
    load(app, [Row(f"c{i}", day, "purchase", 1000 * (i + 1), "EUR", f"p{i}") for i in range(10)])
    # Repeat buyers over half a year, so models that need a history (clv fit) have one.
    repeat = [
        Row(
            f"r{i}",
            day - timedelta(days=(i * 37 + k * 53) % 180),
            "purchase",
            300 + (i * 97 + k * 131) % 4000,
            "EUR",
            f"r{i}-{k}",
        )
        for i in range(60)
        for k in range(1 + i % 4)
    ]
    load(app, repeat)
    files = {
        "customers_csv": tmp_path / "customers.csv",
        "interactions_csv": tmp_path / "interactions.csv",
        "mbox": tmp_path / "bounces.mbox",
        "cdnow_txt": tmp_path / "CDNOW_master.txt",
    }
    files["mbox"].write_text("", encoding="utf-8")
    files["cdnow_txt"].write_text(
        "customer_id date number_of_cds dollar_value\n 00001 19970101  1   11.77\n 00002 19970112  2   24.00\n",
        encoding="ascii",
    )
    files["customers_csv"].write_text("external_id,name\nn1,New One\n", encoding="utf-8")
    files["interactions_csv"].write_text(
        "external_id,customer_external_id,kind,occurred_at,amount,currency\nq1,n1,purchase,2024-07-01,5.00,EUR\n",
        encoding="utf-8",
    )
    for plugin, commands in SETUP.items():
        if plugin in app.plugin_names:
            for args in commands:
                assert patron_cli(app, *args).exit_code == 0
    cli = build_cli(["--config", str(app.settings.path)])
    checked = []
    for path, command in leaf_commands(cli):
        if path in ACTIONS:
            continue
        if path in FILE_FORMATS:
            args = FILE_FORMATS[path]
        elif path in JSON_ALWAYS:
            args = JSON_ALWAYS[path]
        else:
            required = [p.name for p in command.params if isinstance(p, click.Argument) and p.required]
            assert path in ARGS or not required, f"{path}: add sample arguments for {required} to ARGS"
            args = [*ARGS.get(path, []), "--json"]
        args = [a.format(**files) for a in args]
        result = patron_cli(app, *path.split(), *args)
        assert result.exit_code == 0, f"patron {path} {' '.join(args)}: exit {result.exit_code}\n{result.output}"
        try:
            json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"patron {path} {' '.join(args)} printed invalid JSON ({exc}):\n{result.stdout}"
            ) from exc
        checked.append(path)
    assert {"config show", "rfm snapshots", "loyalty balance", "report list", "import cdnow"} <= set(checked)
