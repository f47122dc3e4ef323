"""The ``survey_response`` interaction kind: what its payload holds, and the per-survey checks.

A survey answer is a core interaction of kind ``survey_response`` whose payload is::

    {"survey": "nps", "score": 9, "comment": "optional", "touchpoint": "optional"}

``check_payload`` is what the importer runs for every row of that kind (through
the contract's ``patron_interaction_kinds``), and what this plugin runs again
when answers are recorded by any other path. A CSV import gives every cell as
text, so a score may be ``"9"`` as well as ``9``; either way it must be a whole
number on the survey's scale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from patron.kinds import SURVEY_RESPONSE
from patron_nps.config import NpsConfig

__all__ = ["COMMENT_LIMIT", "SURVEY_RESPONSE", "TOUCHPOINT_LIMIT", "parse_score", "payload_checker"]
COMMENT_LIMIT = 5000
TOUCHPOINT_LIMIT = 64

CheckPayload = Callable[[Mapping[str, Any]], "tuple[str, str] | None"]


def parse_score(value: Any) -> int | None:
    """The score as an int, or None when it is not a whole number (``9``, ``"9"``; not ``9.0``, ``True``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
    return None


def payload_checker(config: NpsConfig) -> CheckPayload:
    """``check_payload(payload) -> (column, reason) | None`` for the configured surveys."""

    def check_payload(payload: Mapping[str, Any]) -> tuple[str, str] | None:
        survey = payload.get("survey")
        if survey is None or survey == "":
            return "payload.survey", f"is missing; name the survey answered (configured: {config.names()})"
        found = config.surveys.get(survey) if isinstance(survey, str) else None
        if found is None:
            return "payload.survey", f"{survey!r} is not a configured survey; configured: {config.names()}"
        raw = payload.get("score")
        if raw is None or raw == "":
            return "payload.score", f"is missing; give the answer's score ({_scale(found.type, found.scale)})"
        score = parse_score(raw)
        low, high = found.scale
        if score is None:
            return "payload.score", f"{raw!r} is not a whole number; give a score from {low} to {high}"
        if not low <= score <= high:
            return "payload.score", f"{score} is outside the {_scale(found.type, found.scale)} of survey {survey!r}"
        for key, limit in (("comment", COMMENT_LIMIT), ("touchpoint", TOUCHPOINT_LIMIT)):
            value = payload.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                return f"payload.{key}", f"is a {type(value).__name__}; give text"
            if len(value) > limit:
                return f"payload.{key}", f"is {len(value)} characters long; at most {limit} are allowed"
        return None

    return check_payload


def _scale(kind: str, scale: tuple[int, int]) -> str:
    return f"{kind.upper()} scale {scale[0]}–{scale[1]}"
