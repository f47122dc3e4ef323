"""Named segments: a table of rules from RFM codes to segments, and its validation.

A rule names a segment and a range of scores for each of R, F and M; it covers
every code in those ranges. A preset is valid when its rules cover each of the
125 codes (111 … 555) exactly once, so every scored customer lands in exactly
one segment and the answer to "which rule placed this customer?" is unique.

The default preset is the common R×F grid with eleven segments (M is 1–5 in
every rule, as in most published RFM maps); override ``segments`` in the
config to use M as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, field_validator

from patron_rfm.labels import slugify

SCORES = range(1, 6)
ALL_CODES = tuple(f"{r}{f}{m}" for r in SCORES for f in SCORES for m in SCORES)
_RANGE = re.compile(r"^\s*([1-5])\s*(?:-\s*([1-5])\s*)?$")


def parse_range(value: str | int) -> tuple[int, int]:
    """``"1-2"`` → (1, 2); ``"5"`` or ``5`` → (5, 5). Raise ValueError saying what is accepted."""
    match = _RANGE.match(str(value))
    if not match:
        raise ValueError(f"score range {value!r} is not valid: use a score 1-5 or a range like '1-2'")
    lo = int(match.group(1))
    hi = int(match.group(2) or lo)
    if hi < lo:
        raise ValueError(f"score range {value!r} runs backwards: write the low score first, e.g. '{hi}-{lo}'")
    return lo, hi


class SegmentRule(BaseModel):
    """One row of a segment preset: the segment and the R, F, M score ranges it covers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    segment: str
    r: str = "1-5"
    f: str = "1-5"
    m: str = "1-5"

    @field_validator("r", "f", "m", mode="before")
    @classmethod
    def _normalise(cls, value: str | int) -> str:
        lo, hi = parse_range(value)
        return f"{lo}-{hi}"

    @field_validator("segment")
    @classmethod
    def _named(cls, value: str) -> str:
        if not slugify(value) or not slugify(value)[0].isalpha():
            raise ValueError(f"segment name {value!r} must start with a letter")
        return value

    @property
    def slug(self) -> str:
        """The segment's machine name, used in snapshots and audience names."""
        return slugify(self.segment)

    def bounds(self, metric: str) -> tuple[int, int]:
        """The (low, high) score range of ``metric`` (``"r"``, ``"f"`` or ``"m"``)."""
        return parse_range(getattr(self, metric))

    def codes(self) -> list[str]:
        """Every RFM code this rule covers."""
        (r0, r1), (f0, f1), (m0, m1) = self.bounds("r"), self.bounds("f"), self.bounds("m")
        return [f"{r}{f}{m}" for r in range(r0, r1 + 1) for f in range(f0, f1 + 1) for m in range(m0, m1 + 1)]

    def describe(self) -> str:
        """``"R 1-2, F 3-4, M 1-5 → At Risk"``."""
        return f"R {self.r}, F {self.f}, M {self.m} → {self.segment}"


def _rule(segment: str, r: str, f: str, m: str = "1-5") -> SegmentRule:
    return SegmentRule(segment=segment, r=r, f=f, m=m)


#: The eleven common segments on the R×F grid (rows R, columns F):
#:   R5: New | Potential Loyalist ×2 | Champions ×2
#:   R4: Promising | Potential Loyalist ×2 | Loyal ×2
#:   R3: About to Sleep ×2 | Need Attention | Loyal ×2
#:   R2: Hibernating ×2 | At Risk ×2 | Can't Lose Them
#:   R1: Lost ×2 | At Risk ×2 | Can't Lose Them
DEFAULT_PRESET: tuple[SegmentRule, ...] = (
    _rule("Champions", "5", "4-5"),
    _rule("Loyal", "3-4", "4-5"),
    _rule("Potential Loyalist", "4-5", "2-3"),
    _rule("New Customers", "5", "1"),
    _rule("Promising", "4", "1"),
    _rule("Need Attention", "3", "3"),
    _rule("About to Sleep", "3", "1-2"),
    _rule("At Risk", "1-2", "3-4"),
    _rule("Can't Lose Them", "1-2", "5"),
    _rule("Hibernating", "2", "1-2"),
    _rule("Lost", "1", "1-2"),
)


@dataclass(frozen=True)
class Placement:
    """Where a code lands: the segment and the index of the rule (0-based) that put it there."""

    slug: str
    segment: str
    rule_index: int


def validate_rules(rules: Sequence[SegmentRule]) -> dict[str, Placement]:
    """Return code → placement when ``rules`` cover each of the 125 codes exactly once, else raise ValueError.

    The message names the overlapping rules (by position, 1-based, as in the
    config file) or lists the codes no rule covers.
    """
    if not rules:
        raise ValueError("the segment preset is empty: give rules covering all 125 RFM codes (111 to 555)")
    placed: dict[str, Placement] = {}
    labels: dict[str, str] = {}
    for index, rule in enumerate(rules):
        known = labels.setdefault(rule.slug, rule.segment)
        if known != rule.segment:
            raise ValueError(
                f"segment names {known!r} and {rule.segment!r} have the same machine name {rule.slug!r}; "
                "rename one of them"
            )
        for code in rule.codes():
            if code in placed:
                other = placed[code].rule_index
                raise ValueError(
                    f"rules {other + 1} ({rules[other].describe()}) and {index + 1} ({rule.describe()}) "
                    f"both cover code {code}; each RFM code must belong to exactly one rule"
                )
            placed[code] = Placement(rule.slug, rule.segment, index)
    missing = [c for c in ALL_CODES if c not in placed]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise ValueError(
            f"{len(missing)} RFM codes are covered by no rule ({shown}); add rules so that every code "
            "from 111 to 555 belongs to exactly one segment"
        )
    return placed


def segment_names(rules: Sequence[SegmentRule]) -> list[tuple[str, str]]:
    """The distinct ``(slug, label)`` pairs of a preset, in first-appearance order."""
    seen: dict[str, str] = {}
    for rule in rules:
        seen.setdefault(rule.slug, rule.segment)
    return list(seen.items())
