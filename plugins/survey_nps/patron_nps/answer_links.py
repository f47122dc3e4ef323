"""The signed score links of an invitation, and what a click must prove before it counts.

An invitation carries one link per score of the survey's scale (NPS 0–10,
CSAT 1–5, CES 1–7). Each is::

    {base_url}/nps/answer/{survey}/{customer id}/{score}/{token}

where the token (``patron.links``, purpose ``nps.answer``) signs the customer's
id, the survey's name, the score and the invitation's campaign, and expires
``[plugins.nps] link_max_age_days`` after sending. The readable part of the
path must say exactly what the token signs: a token moved onto another
customer's, another survey's or another score's path is refused, as is a
tampered, expired or wrong-purpose token. Tokens and paths hold ids only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from patron.links import LinkError, make_link, read_token

if TYPE_CHECKING:
    from patron.app import App
    from patron_nps.config import NpsConfig

ANSWER_PURPOSE = "nps.answer"
ANSWER_PATH = "/nps/answer"
COMMENT_PATH = "/nps/comment"


@dataclass(frozen=True)
class Claim:
    """What a verified link says: this customer gives this score to this survey, from this invitation."""

    customer_id: int
    survey: str
    score: int
    campaign: str


def path_of(survey: str, customer_id: int, score: int) -> str:
    """The readable part of a score link's path (without the token)."""
    return f"{ANSWER_PATH}/{survey}/{customer_id}/{score}"


def score_links(app: App, config: NpsConfig, survey: str, customer_id: int, campaign: str) -> list[dict[str, Any]]:
    """One ``{"score", "url"}`` per score of ``survey``'s scale, lowest first."""
    low, high = config.survey(survey).scale
    return [
        {
            "score": score,
            "url": make_link(
                app,
                ANSWER_PURPOSE,
                {"c": customer_id, "s": survey, "v": score, "k": campaign},
                path=path_of(survey, customer_id, score),
            ),
        }
        for score in range(low, high + 1)
    ]


def verify(app: App, config: NpsConfig, survey: str, customer: str, score: str, token: str) -> Claim:
    """Check ``token`` against the path it arrived on; return its claim or raise ``LinkError`` saying why.

    Reasons beyond ``patron.links``' own (``invalid``, ``expired``, ``wrong_purpose``):
    ``other_customer``, ``other_survey``, ``other_score`` (the token was made
    for another link) and ``unknown_survey`` (the survey is no longer configured).
    """
    data = read_token(app, ANSWER_PURPOSE, token, max_age=config.link_max_age_days * 86400)
    try:
        claim = Claim(int(data["c"]), str(data["s"]), int(data["v"]), str(data["k"]))
    except (KeyError, TypeError, ValueError):
        raise LinkError("invalid", "this link is not valid (it was changed or is incomplete)") from None
    if str(claim.customer_id) != customer:
        raise LinkError("other_customer", "this link belongs to another customer's invitation")
    if claim.survey != survey:
        raise LinkError("other_survey", "this link was made for another survey")
    if str(claim.score) != score:
        raise LinkError("other_score", "this link was made for another score")
    found = config.surveys.get(claim.survey)
    if found is None:
        raise LinkError("unknown_survey", "this survey is no longer running")
    low, high = found.scale
    if not low <= claim.score <= high:
        raise LinkError("invalid", "this link is not valid (it was changed or is incomplete)")
    return claim
