"""The contract documents itself: every spec and contract type has its docs, and docs/hooks.md is current."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from patron import contracts, docgen, hooks

HOOKS_MD = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
SPECS = docgen.read_specs()[1]


def test_the_parser_finds_every_spec_in_the_module():
    marked = {name for name, obj in vars(hooks).items() if hasattr(obj, "patron_spec")}
    assert {spec.name for spec in SPECS} == marked
    assert len(marked) >= 10


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_spec_has_a_docstring_and_a_param_for_each_argument(spec):
    assert spec.docstring, f"{spec.name} has no docstring"
    missing = [arg for arg in spec.arguments if arg not in spec.documented_params()]
    assert not missing, f"{spec.name}: no ':param NAME:' line for {', '.join(missing)}"
    assert ":return:" in spec.docstring, f"{spec.name}: say what to return and how results combine (':return:')"


def test_every_spec_belongs_to_a_banner_section():
    assert {spec.section for spec in SPECS} >= {"Contributions: command line"}
    assert all(spec.section != "Hooks" for spec in SPECS)


def test_the_checks_catch_an_undocumented_argument():
    source = '''
# ----------------------------------------------------------------
# Events
# ----------------------------------------------------------------

@hookspec
def patron_thing(app, session) -> None:
    """Do a thing.

    :param app: the app.
    :return: nothing.
    """


@hookspec(firstresult=True)
def patron_bare(x):
    pass
'''
    _, specs = docgen.read_specs(source)
    thing, bare = specs
    assert thing.section == "Events" and thing.arguments == ("app", "session")
    assert thing.documented_params() == {"app"}
    assert bare.docstring == "" and bare.options == ("firstresult=True",)
    assert "Options: `firstresult=True`" in docgen.render(source)


def test_docs_hooks_md_is_current():
    assert HOOKS_MD.is_file(), "docs/hooks.md is missing: run 'make docs'"
    assert HOOKS_MD.read_text(encoding="utf-8") == docgen.render(), (
        "docs/hooks.md is stale: run 'make docs' (python -m patron.docgen docs/hooks.md) and commit it"
    )


def test_the_reference_shows_each_spec_with_signature_and_params():
    text = docgen.render()
    assert "def patron_cli_commands(cli: click.Group) -> None" in text
    assert "- `customer_ids`: ids of every customer inserted or changed in the batch." in text
    assert text.index("## Contributions: configuration and storage") < text.index("## Events")


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    target = tmp_path / "hooks.md"
    target.write_text("old\n")
    assert docgen.main(["--check", str(target)]) == 1
    assert "is stale: run 'make docs'" in capsys.readouterr().err
    assert docgen.main([str(target)]) == 0
    assert docgen.main(["--check", str(target)]) == 0


CONTRACT_TYPES = [
    obj for _, obj in inspect.getmembers(contracts, inspect.isclass) if obj.__module__ == contracts.__name__
]


@pytest.mark.parametrize("cls", CONTRACT_TYPES, ids=lambda c: c.__name__)
def test_every_contract_type_has_a_docstring(cls):
    doc = cls.__dict__.get("__doc__")
    assert doc and doc.strip(), f"patron.contracts.{cls.__name__} has no docstring"
    # Dataclasses get an auto-generated "Name(field, ...)" docstring: that does not count.
    assert not doc.startswith(f"{cls.__name__}("), f"patron.contracts.{cls.__name__} has only a generated docstring"


def test_contract_types_are_found():
    names = {cls.__name__ for cls in CONTRACT_TYPES}
    assert {"ScoringModel", "TierScheme", "Channel", "Report", "Audience", "CustomerPanel"} <= names


def test_every_spec_states_its_call_order():
    _, specs = docgen.read_specs()
    missing = [spec.name for spec in specs if "Call order:" not in spec.docstring]
    assert not missing, f"hook specs without a 'Call order:' line: {missing}"
    assert "Call order: the contract's (LIFO" in docgen.render()
