"""The web side of an invitation: a score link's page, the answer, the optional comment.

Routes (``patron_web_routes``, served by ``patron serve``):

``GET /nps/answer/{survey}/{customer}/{score}/{token}``
    Verifies the link and shows the chosen score with a form that a small
    script submits at once, so a person's single click records the answer
    (without scripts, one press of "Send my answer"). The GET itself changes
    nothing: the contract keeps state changes to POST, and mail scanners and
    link previews fetch every link of a message; recording on GET would let a
    scanner that fetches all eleven links "answer" for the customer.
``POST`` to the same address
    Records the answer (``recording.answer_from_link``: a second click of the
    same invitation replaces the answer, the same click twice changes nothing)
    and thanks, with an optional comment form.
``POST /nps/comment/{survey}/{customer}/{score}/{token}``
    Adds (or changes) the comment of the invitation's answer.

A tampered, expired or foreign link (another customer's, survey's or score's
token on this path) records nothing and answers 400 with a page that says why.
Pages are self-contained (inline CSS, escaped values; the only script is the
one-line submit).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response

    from patron.app import App
    from patron.contracts import WebRoute
    from patron.links import LinkError
    from patron_nps.answer_links import Claim

#: A comment form's body beyond this many bytes is refused (the comment limit is 5,000 characters).
MAX_BODY = 64 * 1024
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.4rem}button{font-size:1rem;padding:.5rem 1.2rem;cursor:pointer}"
    "textarea{width:100%;min-height:6rem;font:inherit;margin:.5rem 0}.score{font-size:2rem;font-weight:bold}"
)


def page(title: str, body: str, *, status: int = 200, script: str = "") -> HTMLResponse:
    """An HTML page; ``body`` is HTML the caller has escaped."""
    from starlette.responses import HTMLResponse

    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}{script}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def refused(exc: LinkError) -> HTMLResponse:
    """The 400 page of a link that does not work: what is wrong, and that nothing was recorded."""
    return page(
        "This link does not work",
        f'<p id="reason" data-reason="{escape(exc.reason)}">{escape(str(exc).capitalize())}.</p>'
        "<p>Your answer was not recorded. Please use the links in the message you received, "
        "or reply to it to tell us what you think.</p>",
        status=400,
    )


def routes(app: App) -> list[WebRoute]:
    """The survey's web routes, bound to ``app``."""
    from starlette.concurrency import run_in_threadpool

    from patron.contracts import WebRoute
    from patron.links import LinkError
    from patron_nps.answer_links import ANSWER_PATH, COMMENT_PATH, verify
    from patron_nps.answers import plugin_config
    from patron_nps.recording import answer_from_link

    config = plugin_config(app)

    def claim_of(request: Request) -> Claim:
        p = request.path_params
        return verify(app, config, str(p["survey"]), str(p["customer"]), str(p["score"]), str(p["token"]))

    def question(claim: Claim) -> str:
        survey = config.survey(claim.survey)
        return f'<p id="question">{escape(survey.question)}</p>'

    async def answer(request: Request) -> Response:
        try:
            claim = claim_of(request)
        except LinkError as exc:
            return refused(exc)
        if request.method == "GET":
            form = (
                f'<form id="answer" method="post" action="{escape(request.url.path)}">'
                f'<p>Your answer: <span class="score" id="score">{claim.score}</span></p>'
                '<button type="submit" id="send">Send my answer</button></form>'
            )
            script = "<script>document.getElementById('answer').submit()</script>"
            return page("Sending your answer…", question(claim) + form, script=script)
        await request.body()

        def work() -> None:
            with app.transaction(immediate=True) as session:
                answer_from_link(app, session, claim)

        try:
            await run_in_threadpool(work)
        except LinkError as exc:
            return refused(exc)
        comment_action = request.url.path.replace(ANSWER_PATH, COMMENT_PATH, 1)
        body = (
            question(claim) + f'<p>We recorded your answer: <span class="score" id="score">{claim.score}</span></p>'
            f'<form id="comment-form" method="post" action="{escape(comment_action)}">'
            '<label for="comment">Anything you would like to add? (optional)</label>'
            '<textarea id="comment" name="comment" maxlength="5000"></textarea>'
            '<button type="submit" id="send-comment">Send comment</button></form>'
            "<p>Changed your mind? Choose another score in the message: it replaces this one.</p>"
        )
        return page("Thank you", body)

    async def comment(request: Request) -> Response:
        try:
            claim = claim_of(request)
        except LinkError as exc:
            return refused(exc)
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return refused(LinkError("too_long", "this comment is too long (at most 5,000 characters)"))
        text = (parse_qs(raw.decode("utf-8", "replace")).get("comment") or [""])[0].strip()
        if not text:
            return page("Thank you", "<p>Your answer is recorded; there was no comment to add.</p>")

        def work() -> None:
            with app.transaction(immediate=True) as session:
                answer_from_link(app, session, claim, comment=text, keep_score=True)

        try:
            await run_in_threadpool(work)
        except LinkError as exc:
            return refused(exc)
        return page("Thank you for your comment", "<p>We read every comment.</p>")

    answer_path = ANSWER_PATH + "/{survey}/{customer}/{score}/{token}"
    comment_path = COMMENT_PATH + "/{survey}/{customer}/{score}/{token}"
    return [
        WebRoute("nps:answer-page", answer_path, answer, methods=("GET",)),
        WebRoute("nps:answer", answer_path, answer, methods=("POST",)),
        WebRoute("nps:comment", comment_path, comment, methods=("POST",)),
    ]
