"""Segment presets and config validation: coverage of the 125 codes, and messages that say what to fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from patron.errors import ConfigError
from patron_rfm.config import RfmConfig
from patron_rfm.labels import stored_segment_labels
from patron_rfm.segments import ALL_CODES, DEFAULT_PRESET, SegmentRule, segment_names, slugify, validate_rules

ELEVEN = [
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]


def test_default_preset_covers_each_of_the_125_codes_exactly_once():
    covered = [code for rule in DEFAULT_PRESET for code in rule.codes()]
    assert len(covered) == 125 and sorted(covered) == sorted(ALL_CODES)
    assert len(set(ALL_CODES)) == 125
    assert sorted({r.segment for r in DEFAULT_PRESET}) == sorted(ELEVEN)
    placed = validate_rules(DEFAULT_PRESET)
    assert placed["555"].slug == "champions" and placed["111"].slug == "lost" and placed["155"].slug == "cant_lose_them"


def test_slugs_are_audience_friendly():
    assert slugify("Can't Lose Them") == "cant_lose_them"
    assert slugify("  Potential  Loyalist ") == "potential_loyalist"


def _grid_with(*extra: dict) -> list[dict]:
    return [{"segment": "Everyone", "r": "1-5", "f": "1-5", "m": "1-4"}, *extra]


def test_an_override_that_leaves_codes_uncovered_is_refused_listing_them():
    with pytest.raises(ValidationError, match=r"25 RFM codes are covered by no rule \(115, 125, 135"):
        RfmConfig.model_validate({"segments": _grid_with()})


def test_an_override_with_overlapping_rules_is_refused_naming_both_rules():
    expected = r"rules 1 \(R 1-5, F 1-5, M 1-4 → Everyone\) and 2 .* both cover code 114"
    with pytest.raises(ValidationError, match=expected):
        RfmConfig.model_validate({"segments": _grid_with({"segment": "Big", "m": "4-5"})})


def test_a_valid_override_is_accepted():
    config = RfmConfig.model_validate({"segments": _grid_with({"segment": "Big", "m": 5})})
    assert [r.slug for r in config.segments] == ["everyone", "big"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0-2", "score range '0-2' is not valid"),
        ("3-1", "runs backwards: write the low score first, e.g. '1-3'"),
        ("x", "score range 'x' is not valid"),
    ],
)
def test_bad_score_ranges_say_what_is_accepted(bad, message):
    with pytest.raises(ValidationError, match=message):
        SegmentRule(segment="S", r=bad)


def test_two_names_with_one_machine_name_are_refused():
    rules = [SegmentRule(segment="At Risk", m="1-2"), SegmentRule(segment="at-risk", m="3-5")]
    with pytest.raises(ValueError, match="same machine name 'at_risk'"):
        validate_rules(rules)


def test_empty_preset_is_refused():
    with pytest.raises(ValidationError, match="the segment preset is empty"):
        RfmConfig.model_validate({"segments": []})


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"thresholds": {"frequency": [2, 2, 5, 10]}}, "(?s)thresholds.frequency.*4 strictly increasing"),
        ({"thresholds": {"recency_days": [30, 90]}}, "(?s)thresholds.recency_days.*exactly 4"),
        ({"abc_a_percent": 90, "abc_b_percent": 85}, "abc_b_percent .* must be greater than abc_a_percent"),
        ({"purchase_kinds": ["purchase", "refund"]}, r"purchase_kinds lists 'refund'"),
        ({"refund_kinds": ["refund"]}, r"refund_kinds"),
        ({"method": "kmeans"}, "method"),
        ({"windw_days": 30}, "windw_days"),
    ],
)
def test_bad_settings_are_refused(section, message):
    with pytest.raises(ValidationError, match=message):
        RfmConfig.model_validate(section)


@pytest.mark.sqlite_only
def test_the_app_refuses_a_bad_section_naming_the_key(make_patron_app):
    with pytest.raises(ConfigError, match=r"plugins\.rfm\.thresholds\.frequency: .*strictly increasing"):
        make_patron_app(plugins=["rfm"], config={"rfm": {"thresholds": {"frequency": [5, 3, 2, 1]}}})


@pytest.mark.parametrize(
    "rules",
    [
        DEFAULT_PRESET,
        # Two rules of one segment, and labels that differ only in what slugify drops: the first label wins.
        (
            SegmentRule(segment="Can't Lose Them", r="1-2", f="5"),
            SegmentRule(segment="Cant Lose Them", r="3-5", f="5"),
            SegmentRule(segment="Rest", r="1-5", f="1-4"),
        ),
    ],
)
def test_labels_read_from_a_stored_preset_are_those_of_the_validated_rules(rules):
    # The customer panel reads a snapshot's stored preset without validating it again (no pydantic).
    stored = [rule.model_dump() for rule in rules]
    assert stored_segment_labels(stored) == dict(segment_names(rules))
