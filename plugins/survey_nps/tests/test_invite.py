"""Invitations: ``patron nps invite`` through the email channel (real SMTP), the signed score links, the web answer.

The NPS plugin never imports the email plugin; these tests use the email
plugin's test server (``patron_email.testing``: aiosmtpd with STARTTLS) because
the email channel is what carries the invitations.
"""

from __future__ import annotations

import dataclasses
import email.policy
import json
import re
from email import message_from_bytes
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

testing = pytest.importorskip("patron_email.testing")

BASE = "http://127.0.0.1:8000"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/nps/answer/[a-z0-9_-]+/\d+/\d+/[A-Za-z0-9_.-]+")


@pytest.fixture
def smtp(tmp_path):
    with testing.smtp_server(tmp_path) as server:
        yield server


@pytest.fixture
def invite_app(make_patron_app, smtp):
    """``invite_app(nps=None, base=BASE)``: email + nps, customers' survey consent under purpose ``surveys``."""

    def make(nps: dict[str, Any] | None = None, base: str = BASE) -> Any:
        app = make_patron_app(
            plugins=["email", "nps"],
            config={"email": testing.email_section(smtp), "nps": nps or {"min_answers": 1}},
        )
        app.settings = dataclasses.replace(app.settings, base_url=base)
        return app

    return make


def people(app: Any) -> list[int]:
    """c0…c5 consent to marketing email; c0, c1, c2, c4 also to surveys; c4 answered lately; c5 is erased."""
    ids = testing.seed(app, 6)
    for i in (0, 1, 2, 4):
        testing.set_consent(app, ids[i], True, purpose="surveys")
    from patron_nps.recording import record_answer

    with app.transaction() as session:
        record_answer(app, session, ids[4], "nps", "8")
    return ids


def parsed(received: Any) -> EmailMessage:
    message = message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def links_of(message: EmailMessage, part: str = "plain") -> list[str]:
    body = message.get_body(preferencelist=(part,))
    assert body is not None
    return LINK.findall(body.get_content())


def answers(app: Any, customer_id: int | None = None) -> list[tuple[int, int, str]]:
    from patron_nps.models import NpsAnswer

    query = select(NpsAnswer.customer_id, NpsAnswer.score, NpsAnswer.survey).order_by(NpsAnswer.interaction_id)
    if customer_id is not None:
        query = query.where(NpsAnswer.customer_id == customer_id)
    with app.transaction() as session:
        return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]


def invite(patron_cli: Any, app: Any, *args: str) -> Any:
    return patron_cli(
        app,
        "nps", "invite", "nps", "--audience", "email:consented:marketing", "--channel", "email", *args,
        env={"PATRON_BASE_URL": str(app.settings.base_url)},
    )  # fmt: skip


def test_dry_run_counts_then_a_run_sends_one_message_each_with_their_own_links_then_nothing_again(
    invite_app, smtp, patron_cli
):
    app = invite_app()
    ids = people(app)
    patron_cli(app, "customers", "erase", "c5", "--yes")

    dry = invite(patron_cli, app, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    done = json.loads(dry.output)
    assert done["members"] == 5, "the erased customer is no member"
    assert done["answered_recently"] == 1
    assert done["summary"]["sent"] == 3 and done["summary"]["skipped_no_consent"] == 1
    assert done["summary"]["dry_run"] is True and smtp.count() == 0

    text = invite(patron_cli, app, "--dry-run")
    assert (
        "would invite 3" in text.output
        and "no consent: 1" in text.output
        and "answered within 90 days: 1" in (text.output)
    )

    real = invite(patron_cli, app)
    assert real.exit_code == 0, real.output
    assert "invited 3" in real.output
    assert sorted(r.recipients[0] for r in smtp.inbox) == [f"c{i}@example.test" for i in (0, 1, 2)]
    for received in smtp.inbox:
        message = parsed(received)
        cid = ids[int(received.recipients[0][1])]
        assert "How likely are you to recommend us" in str(message["Subject"])
        plain, html = links_of(message, "plain"), links_of(message, "html")
        assert len(plain) == 11 and plain == html, "one link per score, 0 to 10, in both parts"
        assert [link.split("/")[-2] for link in plain] == [str(s) for s in range(11)]
        assert all(link.split("/")[-3] == str(cid) for link in plain), "every link is this customer's"
        body = message.get_body(preferencelist=("html",))
        assert body is not None
        assert 'style="' in body.get_content() and "Extremely likely" in body.get_content()

    again = invite(patron_cli, app, "--json")
    done = json.loads(again.output)
    assert done["summary"]["sent"] == 0 and done["invited_recently"] == 3
    assert smtp.count() == 3, "a second run the same day sends nothing new"


def test_without_a_reask_interval_the_channel_still_sends_once_per_round(invite_app, smtp, patron_cli):
    app = invite_app({"surveys": {"nps": {"type": "nps", "reask_days": 0}}})
    people(app)
    assert json.loads(invite(patron_cli, app, "--json").output)["summary"]["sent"] == 4
    done = json.loads(invite(patron_cli, app, "--json").output)
    assert done["summary"]["sent"] == 0 and done["summary"]["skipped_already_sent"] == 4
    assert smtp.count() == 4


def test_consent_revoked_after_the_dry_run_is_honoured(invite_app, smtp, patron_cli):
    app = invite_app()
    ids = people(app)
    assert json.loads(invite(patron_cli, app, "--dry-run", "--json").output)["summary"]["sent"] == 3
    testing.set_consent(app, ids[1], False, purpose="surveys")
    assert json.loads(invite(patron_cli, app, "--json").output)["summary"]["sent"] == 2
    assert "c1@example.test" not in [r.recipients[0] for r in smtp.inbox]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "--audience", "email:consented:marketing", "--channel", "email"), "no survey 'nope'; configured:"),
        (("nps", "--audience", "rfm:segment:x", "--channel", "email"), "no audience 'rfm:segment:x'; registered"),
        (("nps", "--audience", "email:consented:marketing", "--channel", "sms"), "no channel 'sms'; enabled channels"),
    ],
)
def test_unknown_survey_audience_or_channel_is_one_line(invite_app, smtp, patron_cli, args, message):
    app = invite_app()
    result = patron_cli(app, "nps", "invite", *args)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert smtp.count() == 0


# ---------------------------------------------------------------------------
# The links
# ---------------------------------------------------------------------------


def parts(link: str) -> tuple[str, str, str, str]:
    survey, customer, score, token = link.split("/")[-4:]
    return survey, customer, score, token


def test_link_verification_refuses_tampered_expired_foreign_and_wrong_purpose_tokens(invite_app, monkeypatch):
    from patron.links import LinkError, make_token
    from patron_nps.answer_links import score_links, verify
    from patron_nps.answers import plugin_config

    app = invite_app({"surveys": {"nps": {"type": "nps"}, "support": {"type": "csat"}}})
    ids = testing.seed(app, 2)
    config = plugin_config(app)
    mine = score_links(app, config, "nps", ids[0], "nps-nps-2026-11-29")
    theirs = score_links(app, config, "nps", ids[1], "nps-nps-2026-11-29")
    csat = score_links(app, config, "support", ids[0], "nps-support-2026-11-29")
    assert [link["score"] for link in csat] == [1, 2, 3, 4, 5]

    claim = verify(app, config, *parts(mine[9]["url"]))
    assert (claim.customer_id, claim.survey, claim.score, claim.campaign) == (ids[0], "nps", 9, "nps-nps-2026-11-29")

    def reason(survey: str, customer: str, score: str, token: str) -> str:
        with pytest.raises(LinkError) as info:
            verify(app, config, survey, customer, score, token)
        return info.value.reason

    survey, customer, score, token = parts(mine[9]["url"])
    flipped = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert reason(survey, customer, score, flipped) == "invalid"
    assert reason(survey, customer, score, token[: len(token) // 2]) == "invalid"
    # Another customer's token on this customer's path, and this customer's token on theirs.
    assert reason(survey, customer, score, parts(theirs[9]["url"])[3]) == "other_customer"
    assert reason(survey, str(ids[1]), score, token) == "other_customer"
    # A token of another survey (or score) moved onto this path.
    assert reason(survey, customer, "4", parts(csat[3]["url"])[3]) == "other_survey"
    assert reason(survey, customer, "10", token) == "other_score"
    wrong = make_token(app, "email.unsubscribe", {"c": ids[0], "s": "nps", "v": 9, "k": "x"})
    assert reason(survey, customer, score, wrong) == "wrong_purpose"
    import itsdangerous.timed

    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() - 31 * 86400)
    stale = score_links(app, config, "nps", ids[0], "nps-nps-2026-10-29")[9]["url"]
    monkeypatch.undo()
    assert reason(*parts(stale)) == "expired"


def test_the_web_answer_records_once_replaces_on_a_second_score_and_keeps_the_comment(invite_app, patron_cli):
    from starlette.testclient import TestClient

    from patron_nps.answer_links import score_links
    from patron_nps.answers import plugin_config
    from patron_nps.models import NpsFollowup, NpsLinkAnswer

    app = invite_app()
    ids = testing.seed(app, 2)
    links = score_links(app, plugin_config(app), "nps", ids[0], "nps-nps-2026-11-29")
    client = TestClient(testing.asgi_app(app))
    path = links[3]["url"].removeprefix(BASE)

    page = client.get(path)
    assert page.status_code == 200 and 'method="post"' in page.text and answers(app) == [], "GET records nothing"
    for _ in range(2):  # the same click twice (a reload, or a scanner and a person) records one answer
        done = client.post(path)
        assert done.status_code == 200 and "We recorded your answer" in done.text
    assert answers(app) == [(ids[0], 3, "nps")]
    with app.transaction() as session:
        opened = session.scalars(select(NpsFollowup)).all()
        assert [(f.score, f.closed_at) for f in opened] == [(3, None)], "a detractor opens a follow-up"

    comment = path.replace("/nps/answer/", "/nps/comment/")
    assert client.post(comment, data={"comment": "Delivery was late"}).status_code == 200
    assert client.post(links[10]["url"].removeprefix(BASE)).status_code == 200
    assert answers(app) == [(ids[0], 10, "nps")], "a second score replaces the answer"
    with app.transaction() as session:
        from patron.models import Interaction

        payloads = session.scalars(
            select(Interaction.payload).where(Interaction.kind == "survey_response").order_by(Interaction.id)
        ).all()
        assert payloads[-1] == {
            "survey": "nps",
            "score": 10,
            "touchpoint": "invitation",
            "comment": "Delivery was late",
        }
        followups = session.scalars(select(NpsFollowup).order_by(NpsFollowup.id)).all()
        # The comment replaced the answer 3 by 3-with-comment (its own follow-up, the event carrying the comment);
        # the 10 closed that one: nothing is left open.
        assert [(f.score, f.closed_at is not None) for f in followups] == [(3, True), (3, True)]
        assert all("later answer from the same invitation" in (f.note or "") for f in followups)
        assert "(score 10)" in (followups[1].note or "")
        assert session.scalar(select(func.count()).where(NpsLinkAnswer.is_current.is_(True))) == 1
    # 'patron refresh' indexes answers it has not seen: the replaced ones stay out.
    assert patron_cli(app, "refresh").exit_code == 0
    assert answers(app) == [(ids[0], 10, "nps")]


def test_refused_links_record_nothing_and_say_why(invite_app, patron_cli):
    from starlette.testclient import TestClient

    from patron_nps.answer_links import score_links
    from patron_nps.answers import plugin_config

    app = invite_app()
    ids = testing.seed(app, 2)
    config = plugin_config(app)
    mine = score_links(app, config, "nps", ids[0], "nps-nps-2026-11-29")[9]["url"].removeprefix(BASE)
    theirs = score_links(app, config, "nps", ids[1], "nps-nps-2026-11-29")[9]["url"].removeprefix(BASE)
    client = TestClient(testing.asgi_app(app))
    moved = mine.rsplit("/", 1)[0] + "/" + theirs.rsplit("/", 1)[1]
    for bad, why in [
        (mine[:-3] + ("abc" if not mine.endswith("abc") else "xyz"), "not valid"),
        (moved, "belongs to another customer"),
        (mine.replace("/nps/answer/nps/", "/nps/answer/csat/"), "another survey"),
    ]:
        for method in (client.get, client.post):
            response = method(bad)
            assert response.status_code == 400, bad
            assert why in response.text and "Your answer was not recorded" in response.text
    assert answers(app) == []
    patron_cli(app, "customers", "erase", "c0", "--yes")
    gone = client.post(mine)
    assert gone.status_code == 400 and "no longer" in gone.text
    assert answers(app) == []


def test_the_email_preview_renders_an_invitation_with_the_customers_links(invite_app, patron_cli):
    app = invite_app()
    ids = testing.seed(app, 1)
    shown = patron_cli(app, "email", "preview", "nps_invite", "--customer", "c0", "--campaign", "nps-nps-2026-01-01")
    assert shown.exit_code == 0, shown.output
    assert "How likely are you to recommend us" in shown.output and "Not at all likely" in shown.output
    assert len(set(LINK.findall(shown.output))) == 11
    assert all(f"/nps/answer/nps/{ids[0]}/" in link for link in LINK.findall(shown.output))
