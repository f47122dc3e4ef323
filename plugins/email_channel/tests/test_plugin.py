"""Templates (sandbox, errors, plugin contributions), reports, panel, suppressions export, export/erase."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from patron import hookimpl
from patron_email.models import EmailSend, EmailSuppression
from patron_email.testing import seed, send, set_consent


def template_dir(app) -> Path:
    folder = app.settings.path.parent / "email_templates"
    folder.mkdir(exist_ok=True)
    return folder


def test_preview_renders_both_parts_with_a_real_customer(email_app, patron_cli):
    app = email_app()
    seed(app, 1)
    result = patron_cli(app, "email", "preview", "welcome", "--customer", "c0")
    assert result.exit_code == 0, result.output
    assert "Subject: Hello Ann0, news from us" in result.output
    assert "--- text ---\nHello Ann0," in result.output and "--- html ---" in result.output
    assert "/email/unsubscribe/" in result.output


def test_sandbox_escape_fails_at_preview_with_a_clear_error(email_app, patron_cli):
    app = email_app()
    seed(app, 1)
    folder = template_dir(app)
    (folder / "evil.txt").write_text("Subject: hi\n\nline two\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    result = patron_cli(app, "email", "preview", "evil", "--customer", "c0")
    assert result.exit_code == 6, result.output
    assert "evil.txt, line 4" in result.output and "not allowed in a template (sandbox)" in result.output
    assert "Traceback" not in result.output
    (folder / "evil2.txt").write_text("Subject: hi\n\n{{ lipsum.__globals__.os }}\n")
    result = patron_cli(app, "email", "preview", "evil2", "--customer", "c0")
    assert result.exit_code == 6 and "sandbox" in result.output


def test_template_errors_name_the_file_line_and_variable(email_app, patron_cli):
    app = email_app()
    seed(app, 1)
    folder = template_dir(app)
    (folder / "typo.txt").write_text("Subject: hi\n\nHello {{ customer.frist_name }}\n")
    result = patron_cli(app, "email", "preview", "typo", "--customer", "c0")
    assert result.exit_code == 6 and "typo.txt, line 3" in result.output and "frist_name" in result.output
    (folder / "broken.html").write_text("<p>{% if %}</p>")
    (folder / "broken.txt").write_text("Subject: x\n\nbody\n")
    result = patron_cli(app, "email", "preview", "broken", "--customer", "c0")
    assert result.exit_code == 6 and "broken.html, line 1" in result.output
    (folder / "nosubject.txt").write_text("Hello\n")
    result = patron_cli(app, "email", "preview", "nosubject", "--customer", "c0")
    assert result.exit_code == 6 and "line 1: the first line must be 'Subject: ...'" in result.output
    result = patron_cli(app, "email", "preview", "absent", "--customer", "c0")
    assert result.exit_code == 6 and "template 'absent' not found" in result.output


def test_html_is_autoescaped_and_a_subject_cannot_inject_headers(email_app, smtp):
    app = email_app()
    folder = template_dir(app)
    (folder / "esc.txt").write_text("Subject: Hi {{ customer.name }}\n\n{{ customer.name }}\n")
    (folder / "esc.html").write_text("<p>{{ customer.name }}</p>")
    from patron.ingest import upsert_customers

    seed(app, 1)
    with app.transaction() as session:
        upsert_customers(app, session, [{"external_id": "c0", "name": "<b>Eve</b>\nBcc: all@example.test"}])
    send(app, template="esc")
    (received,) = smtp.inbox
    assert received.recipients == ["c0@example.test"]
    message = received.message
    assert message["Bcc"] is None and message["Subject"] == "Hi <b>Eve</b> Bcc: all@example.test"
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True)
    assert b"&lt;b&gt;Eve&lt;/b&gt;" in html


class NpsLike:
    """A plugin contributing a template folder and per-recipient variables (like NPS score links)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.batches: list[list[int]] = []

    @hookimpl
    def patron_email_template_dirs(self, app):
        return [str(self.folder)]

    @hookimpl
    def patron_email_template_vars(self, app, session, campaign, customer_ids):
        self.batches.append(list(customer_ids))
        return {cid: {"score_link": f"https://x.test/{campaign}/{cid}"} for cid in customer_ids}


def test_plugins_contribute_templates_and_per_recipient_variables(email_app, smtp, patron_inline_plugin, tmp_path):
    app = email_app(batch_size=2)
    folder = tmp_path / "nps-templates"
    folder.mkdir()
    (folder / "survey.txt").write_text("Subject: How did we do?\n\nRate us: {{ nps.score_link }}\n")
    plugin = patron_inline_plugin(app, NpsLike(folder), name="nps")
    ids = seed(app, 3)
    assert send(app, template="survey").sent == 3
    bodies = sorted(r.message.get_payload(decode=True).decode() for r in smtp.inbox)
    assert bodies == [f"Rate us: https://x.test/spring/{cid}\r\n" for cid in ids]
    assert plugin.batches == [ids[:2], ids[2:]]


def test_reports_panel_and_suppression_export(email_app, smtp, patron_cli):
    from starlette.testclient import TestClient

    from patron_email.testing import asgi_app

    app = email_app()
    ids = seed(app, 4)
    seed(app, 1, prefix="late", consent=False)
    smtp.script("c3@example.test", "550 5.1.1 no such user")
    send(app)
    link = smtp.inbox[0].message["List-Unsubscribe"].split(">")[0][1:]
    TestClient(asgi_app(app)).post(link.split("8000", 1)[1])
    result = patron_cli(app, "report", "run", "email-campaign", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    (row,) = doc["tables"][0]["rows"]
    header = doc["tables"][0]["columns"]
    values = dict(zip(header, row, strict=True))
    assert values["campaign"] == "spring" and values["considered"] == 4 and values["sent"] == 3
    assert values["failed"] == 1 and values["unsubscribed"] == 1
    deliver = patron_cli(app, "report", "run", "email-deliverability", "--format", "json")
    assert json.loads(deliver.output)["summary"]["sent"] == 3
    with app.transaction() as session:
        panel = app.customer_panels["email"].render(app, session, ids[0])
        nothing = app.customer_panels["email"].render(app, session, ids[0] + 100)
    assert panel["suppressed"].startswith("yes: unsubscribed") and "spring: sent" in panel["latest messages"]
    assert nothing is None
    exported = patron_cli(app, "email", "suppressions", "list", "--csv")
    assert exported.output.splitlines()[0] == "address,reason,campaign,source,since"
    assert exported.output.splitlines()[1].startswith("c0@example.test,unsubscribed,spring,")
    added = patron_cli(app, "email", "suppressions", "add", "c1@example.test")
    assert added.output.strip() == "added"
    assert patron_cli(app, "email", "suppressions", "add", "C1@example.test").output.strip() == "already suppressed"
    assert patron_cli(app, "email", "suppressions", "add", "nope").exit_code == 6
    assert patron_cli(app, "email", "suppressions", "remove", "c1@example.test").output.strip() == "removed"


def test_export_and_erase_keep_the_suppression_as_a_keyed_hash(email_app, smtp, patron_cli):
    from patron.ingest import upsert_customers
    from patron_email import privacy
    from patron_email.suppression import suppress

    app = email_app()
    (cid,) = seed(app, 1)
    send(app)
    with app.transaction() as session:
        suppress(session, "c0@example.test", reason="complaint", source="test", customer_id=cid)
    with app.transaction() as session:
        data = privacy.export(session, cid)
    assert data["sends"][0]["address"] == "c0@example.test" and data["suppressions"][0]["reason"] == "complaint"
    result = patron_cli(app, "customers", "erase", "c0", "--yes")
    assert result.exit_code == 0, result.output
    with app.transaction() as session:
        privacy.erase(session, cid)  # idempotent
        rows = session.execute(select(EmailSuppression.address, EmailSuppression.address_hash)).all()
        addresses = set(session.scalars(select(EmailSend.address)))
    assert [r.address for r in rows] == [None] and len(rows[0].address_hash) == 64
    assert addresses == {None}
    # The same address comes back with a new customer: still never mailed.
    with app.transaction() as session:
        (new,) = upsert_customers(app, session, [{"external_id": "c0-again", "email": "c0@example.test"}]).inserted_ids
    set_consent(app, new, granted=True)
    summary = send(app, "autumn")
    assert summary.sent == 0 and summary.skipped_by_reason == {"suppressed": 1}


def test_readme_documents_every_config_key_with_its_default():
    from patron_email.config import EmailConfig

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [key for key in EmailConfig.model_fields if f"| `{key}` | " not in readme]
    assert missing == []
