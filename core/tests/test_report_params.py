"""Report parameters: typed parsing, defaults, choices, and errors that list the valid parameters."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patron.contracts import ReportParam
from patron.errors import InputError
from patron.reports.overview import OverviewReport
from patron.reports.params import describe_params, parse_params


class ChoiceReport:
    name = "choice"
    title = "Choice"
    description = ""
    params = (
        ReportParam("kind", str, "a", "Which kind.", choices=("a", "b")),
        ReportParam("ratio", float, 0.5),
        ReportParam("flag", bool, False),
        ReportParam("day", date, date(2024, 1, 1)),
    )

    def run(self, app, session, params):  # pragma: no cover - never run here
        raise AssertionError


def test_defaults_fill_every_declared_parameter():
    assert parse_params(OverviewReport(), []) == {
        "as_of": None,
        "months": 12,
        "top": 10,
        "active_days": 90,
        "currency": None,
    }


def test_values_are_converted_to_their_declared_types():
    got = parse_params(ChoiceReport(), ["kind=b", "ratio=0.25", "flag=yes", "day=2025-02-28"])
    assert got == {"kind": "b", "ratio": 0.25, "flag": True, "day": date(2025, 2, 28)}
    assert parse_params(ChoiceReport(), ["flag=0"])["flag"] is False


def test_footer_values_can_be_given_back_as_parameters():
    # A footer prints unset optional parameters as "none"; pasting them back means "the default".
    assert parse_params(OverviewReport(), ["as_of=none", "currency=none"])["as_of"] is None
    with pytest.raises(InputError, match="expected a whole number"):
        parse_params(OverviewReport(), ["months=none"])  # not optional: none is not a number


def test_unknown_parameter_lists_the_valid_ones_with_types_and_defaults():
    with pytest.raises(InputError) as err:
        parse_params(OverviewReport(), ["month=3"])
    message = str(err.value)
    assert 'report "overview" has no parameter "month"' in message
    assert "months (int, default: 12)" in message
    assert "as_of (date, default: none)" in message
    assert "top (int, default: 10)" in message
    assert "currency (str, default: none)" in message


@pytest.mark.parametrize(
    ("assignment", "reason"),
    [
        ("months=twelve", "--param months='twelve': expected a whole number"),
        ("as_of=01/02/2024", "--param as_of='01/02/2024': expected a date as YYYY-MM-DD"),
        ("months", "--param 'months' is not name=value"),
        ("=3", "is not name=value"),
    ],
)
def test_bad_values_say_what_is_expected_and_list_the_parameters(assignment, reason):
    with pytest.raises(InputError) as err:
        parse_params(OverviewReport(), [assignment])
    assert reason in str(err.value)
    assert 'valid parameters of report "overview"' in str(err.value)


def test_choices_bools_floats_and_repeats_are_checked():
    report = ChoiceReport()
    with pytest.raises(InputError, match=r"--param kind=c: must be one of a\|b"):
        parse_params(report, ["kind=c"])
    with pytest.raises(InputError, match="expected a boolean"):
        parse_params(report, ["flag=maybe"])
    with pytest.raises(InputError, match="expected a finite number"):
        parse_params(report, ["ratio=nan"])
    with pytest.raises(InputError, match="--param kind is given twice"):
        parse_params(report, ["kind=a", "kind=b"])
    assert "kind (str, default: a; one of a|b) — Which kind." in describe_params(report)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_any_integer_round_trips(n):
    assert parse_params(OverviewReport(), [f"top={n}"])["top"] == n


@given(st.text(min_size=1, max_size=12).filter(lambda s: not re.fullmatch(r"[+-]?[0-9]+", s.strip())))
def test_any_non_integer_text_is_refused_with_the_parameter_list(text):
    with pytest.raises(InputError) as err:
        parse_params(OverviewReport(), [f"top={text}"])
    assert "top (int, default: 10)" in str(err.value)


def test_a_report_spec_imports_its_implementation_only_when_run():
    from patron.contracts import Report, ReportSpec
    from patron.reports.specs import OVERVIEW

    assert isinstance(OVERVIEW, Report)  # a spec is registered like any report
    implementation = OVERVIEW.load()
    assert (implementation.name, implementation.title, implementation.params) == (
        OVERVIEW.name,
        OVERVIEW.title,
        OVERVIEW.params,
    ), "the implementation takes its metadata from the spec"
    broken = ReportSpec("broken", "Broken", "", "patron.reports.specs:OVERVIEW_TYPO")
    with pytest.raises(AttributeError, match="OVERVIEW_TYPO"):
        broken.load()
    no_run = ReportSpec("no-run", "No run", "", "patron.reports.specs:SPECS")
    with pytest.raises(TypeError, match="no run"):
        no_run.load()
