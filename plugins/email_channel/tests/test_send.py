"""Campaigns against a real SMTP server (aiosmtpd, STARTTLS, throwaway CA): who gets what, exactly once."""

from __future__ import annotations

import email.policy
from email import message_from_bytes

import pytest
from sqlalchemy import func, select

from patron.models import Interaction
from patron_email.testing import SECRET, email_section, seed, send, set_consent, states


def test_plugin_is_discovered_and_listed(email_app, patron_cli):
    app = email_app()
    result = patron_cli(app, "plugins", "list")
    assert result.exit_code == 0, result.output
    assert "email" in result.output and "email" in app.plugin_names
    assert "email" in app.channels and "email:consented:marketing" in app.audiences


def test_inbox_holds_exactly_the_expected_messages_with_their_headers(email_app, smtp):
    app = email_app()
    ok = seed(app, 5)
    (no_consent,) = seed(app, 1, consent=False, prefix="n")
    (suppressed,) = seed(app, 1, prefix="s")
    (invalid,) = seed(app, 1, prefix="bad")
    with app.transaction() as session:
        from patron_email.suppression import suppress

        suppress(session, "S0@example.test", reason="manual", source="test")
        from sqlalchemy import update

        from patron.models import Customer

        session.execute(update(Customer).where(Customer.id == invalid).values(email="not an address"))
    summary = send(app)
    assert (summary.considered, summary.sent, summary.failed) == (7, 5, 0)  # the audience is the consenting ones
    assert summary.skipped_by_reason == {"invalid_address": 1, "suppressed": 1}
    assert summary.skipped_no_consent == 0 and no_consent not in states(app)
    assert smtp.count() == 5
    by_to = {r.recipients[0]: message_from_bytes(r.data, policy=email.policy.default) for r in smtp.inbox}
    assert sorted(by_to) == [f"c{i}@example.test" for i in range(5)]
    first = by_to["c0@example.test"]
    assert first["From"] == "Shop <news@shop.test>"
    assert first["To"] == "Ann0 Smith <c0@example.test>"
    assert first["Subject"] == "Hello Ann0, news from us"
    assert first["Message-ID"].endswith(f".{ok[0]}@shop.test>")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = smtp.inbox[0].data.decode("ascii")
    assert "=?utf-8?" not in raw.split("\r\n\r\n", 1)[0], "headers must not be RFC 2047-encoded (URLs break)"
    unsubscribe = first["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/email/unsubscribe/")
    assert unsubscribe.endswith(", <mailto:unsubscribe@shop.test?subject=unsubscribe>")
    assert SECRET not in str(first)
    html = first.get_body(("html",)).get_content()
    assert '<p class="footer" style="font-size: 12px;color: #666' in html and "<style" not in html
    text = first.get_body(("plain",)).get_content()
    assert "Hello Ann0," in text and unsubscribe[1:].split(">")[0] in text
    assert states(app)[suppressed] == ("skipped", "suppressed")
    assert states(app)[invalid] == ("skipped", "invalid_address")
    with app.transaction() as session:
        sent = session.scalar(select(func.count()).where(Interaction.kind == "email_sent"))
    assert sent == 5
    # A rerun sends nothing again.
    again = send(app)
    assert (again.sent, again.skipped_already_sent, smtp.count()) == (0, 5, 5)


def test_a_customer_who_revokes_consent_between_runs_gets_nothing(email_app, smtp):
    app = email_app()
    ids = seed(app, 4)
    first = send(app, limit=2)
    assert first.sent == 2 and first.skipped_by_reason == {"over_limit": 2}
    set_consent(app, ids[3], granted=False)
    second = send(app)
    assert second.sent == 1 and second.skipped_already_sent == 2
    assert sorted(r.recipients[0] for r in smtp.inbox) == ["c0@example.test", "c1@example.test", "c2@example.test"]


def test_consent_is_checked_again_when_a_batch_is_claimed(email_app, smtp):
    from patron_email.config import EmailConfig
    from patron_email.sending import CampaignRun

    app = email_app(batch_size=2)
    ids = seed(app, 4)
    run = CampaignRun(
        app,
        app.plugin_config("email", EmailConfig),
        campaign="spring",
        audience=app.audiences["email:consented:marketing"],
        template="welcome",
        purpose="marketing",
        on_batch=lambda done, total: set_consent(app, ids[3], granted=False) if done == 2 else None,
    )
    summary = run.run()
    assert summary.sent == 3 and summary.skipped_no_consent == 1
    assert states(app)[ids[3]] == ("skipped", "no_consent")
    assert smtp.count() == 3


def test_transient_4xx_is_retried_and_permanent_5xx_is_failed(email_app, smtp):
    app = email_app()
    seed(app, 3)
    smtp.script("c0@example.test", "451 4.3.0 try again later")
    smtp.script("c1@example.test", "550 5.1.1 no such user")
    summary = send(app)
    assert (summary.sent, summary.failed) == (2, 1)
    assert sorted(r.recipients[0] for r in smtp.inbox) == ["c0@example.test", "c2@example.test"]
    found = states(app)
    assert sorted(found.values()) == [("failed", "failed"), ("sent", None), ("sent", None)]
    with app.transaction() as session:
        from patron_email.models import EmailSend

        reply = session.scalar(select(EmailSend.smtp_reply).where(EmailSend.state == "failed"))
    assert reply == "550 5.1.1 no such user"
    # A failed address is not retried by a rerun.
    assert send(app).skipped_by_reason == {"failed_before": 1}


def test_4xx_after_every_retry_is_deferred_and_sent_by_a_rerun(email_app, smtp):
    app = email_app(max_retries=1)
    seed(app, 1)
    smtp.script("c0@example.test", "421 4.7.0 busy", "421 4.7.0 busy")
    first = send(app)
    assert first.skipped_by_reason == {"deferred": 1} and smtp.count() == 0
    second = send(app)
    assert second.sent == 1 and smtp.count() == 1


def test_certificate_verification_is_on(email_app, smtp, patron_cli):
    app = email_app(ca_file=None)
    seed(app, 2)
    result = patron_cli(
        app, "email", "send", "spring", "--audience", "email:consented:marketing", "--template", "welcome",
        env={"PATRON_SECRET_KEY": SECRET},
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "certificate did not verify" in result.output and "ca_file" in result.output
    assert smtp.count() == 0 and all(s == ("skipped", None) or s[0] != "claimed" for s in states(app).values())


def test_dry_run_sends_and_writes_nothing(email_app, smtp, patron_cli):
    app = email_app()
    seed(app, 3)
    result = patron_cli(
        app, "email", "send", "spring", "--audience", "email:consented:marketing", "--template", "welcome",
        "--dry-run",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 considered, would send 3" in result.output
    assert smtp.count() == 0 and states(app) == {}


def test_cli_send_and_unknown_audience(email_app, smtp, patron_cli):
    app = email_app()
    seed(app, 2)
    env = {"PATRON_SECRET_KEY": SECRET}
    result = patron_cli(app, "email", "send", "x", "--audience", "nope", "--template", "welcome", env=env)
    assert result.exit_code == 7 and "no audience 'nope'" in result.output
    result = patron_cli(
        app, "email", "send", "spring", "--audience", "email:consented:marketing", "--template", "welcome", env=env
    )
    assert result.exit_code == 0, result.output
    assert "spring: 2 considered, sent 2, failed 0" in result.output
    assert smtp.count() == 2


def test_sending_without_a_secret_key_says_how_to_set_one(make_patron_app, smtp, patron_cli):

    app = make_patron_app(plugins=["email"], config={"email": email_section(smtp)})
    seed(app, 1)
    # Test configs carry a secret key (erasure needs one): take it out to see the message.
    config = app.settings.path
    config.write_text("\n".join(x for x in config.read_text().splitlines() if not x.startswith("secret_key")) + "\n")
    result = patron_cli(
        app, "email", "send", "spring", "--audience", "email:consented:marketing", "--template", "welcome"
    )
    assert result.exit_code == 3 and "PATRON_SECRET_KEY" in result.output
    assert smtp.count() == 0


def test_login_with_the_password_from_the_environment_which_is_masked(make_patron_app, tmp_path, patron_cli):
    from patron_email.testing import smtp_server

    with smtp_server(tmp_path, login=("mailer", "s3cret-pw")) as server:
        app = make_patron_app(plugins=["email"], config={"email": email_section(server, smtp_username="mailer")})
        seed(app, 1)
        env = {"PATRON_SECRET_KEY": SECRET, "PATRON_PLUGINS__EMAIL__SMTP_PASSWORD": "s3cret-pw"}
        args = ("email", "send", "spring", "--audience", "email:consented:marketing", "--template", "welcome")
        result = patron_cli(app, *args, env=env)
        assert result.exit_code == 0, result.output
        assert server.count() == 1 and server.logins == [("mailer", "s3cret-pw")]
        shown = patron_cli(app, "config", "show", env=env)
        assert "s3cret-pw" not in shown.output and SECRET not in shown.output
        assert 'secret_key = "***"' in shown.output


@pytest.mark.parametrize("security", ["none"])
def test_plain_smtp_on_a_trusted_relay(make_patron_app, tmp_path, security):
    from patron_email.testing import smtp_server

    with smtp_server(tmp_path, tls=False) as server:
        app = make_patron_app(plugins=["email"], config={"email": email_section(server, smtp_security=security)})
        import dataclasses

        app.settings = dataclasses.replace(app.settings, secret_key=SECRET)
        seed(app, 2)
        assert send(app).sent == 2 and server.count() == 2


def test_one_connection_for_the_whole_run_at_the_configured_rate(email_app, smtp):
    import time

    from patron_email.config import EmailConfig
    from patron_email.sending import CampaignRun
    from patron_email.smtp import Mailer

    app = email_app(batch_size=3, rate_per_second=25)
    seed(app, 7)
    mailers: list[Mailer] = []

    def factory(config):
        mailers.append(Mailer(config))
        return mailers[-1]

    run = CampaignRun(
        app,
        app.plugin_config("email", EmailConfig),
        campaign="spring",
        audience=app.audiences["email:consented:marketing"],
        template="welcome",
        purpose="marketing",
        mailer_factory=factory,
    )
    start = time.monotonic()
    assert run.run().sent == 7
    assert time.monotonic() - start >= 6 / 25  # seven messages at 25 per second: six gaps of at least 40 ms
    assert len(mailers) == 1 and mailers[0].connections == 1 and smtp.count() == 7
