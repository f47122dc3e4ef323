"""Segment labels from a stored preset, without the rules' model.

A snapshot stores the preset it was scored with (validated ``SegmentRule``
dumps). Showing a customer's segment needs only each segment's label by its
machine name, so the customer panel reads them here instead of validating the
rules again: that would import pydantic and build the rules' model, which cost
``patron customers show`` more than every panel's queries together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any


def slugify(label: str) -> str:
    """The machine name of a segment: ``"Can't Lose Them"`` → ``"cant_lose_them"``."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower().replace("'", "").replace("’", "")).strip("_")


def stored_segment_labels(rules: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Machine name → label of each segment of a stored preset, the first rule's label winning.

    The same pairs as ``segments.segment_names`` of the validated rules.
    """
    labels: dict[str, str] = {}
    for rule in rules:
        labels.setdefault(slugify(rule["segment"]), rule["segment"])
    return labels
