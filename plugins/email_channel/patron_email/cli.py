"""``patron email …``: send, preview, bounces import, suppressions list|export|add|remove.

Only click is imported at module level; everything else inside the commands.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from patron.cli_options import customer_option, echo_json, json_option

if TYPE_CHECKING:
    from patron.app import App
    from patron.cli_options import CustomerRef
    from patron_email.config import EmailConfig


def _app() -> App:
    from patron.cli_options import get_app

    return get_app()


def _config(app: App) -> EmailConfig:
    from patron_email.config import EmailConfig

    return app.plugin_config("email", EmailConfig)


@click.group()
def email() -> None:
    """Email campaigns, previews, bounces and the suppression list."""


@email.command("send")
@click.argument("campaign")
@click.option("--audience", required=True, metavar="NAME", help="A registered audience, e.g. rfm:segment:at_risk.")
@click.option("--template", "template", required=True, metavar="NAME", help="Template NAME (NAME.txt, NAME.html).")
@click.option("--purpose", default="marketing", show_default=True, help="The consent purpose checked per recipient.")
@click.option("--dry-run", is_flag=True, help="Count what would be sent; send and write nothing.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most N messages in this run.")
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="Also send to recipients whose earlier delivery is unknown (a crashed run); may duplicate those.",
)
@json_option
def send(
    campaign: str,
    audience: str,
    template: str,
    purpose: str,
    dry_run: bool,
    limit: int | None,
    resend_unknown: bool,
    as_json: bool,
) -> None:
    """Send TEMPLATE to the consenting members of an audience as CAMPAIGN (at most once per customer)."""
    from patron.errors import NotFoundError
    from patron_email.sending import CampaignRun

    app = _app()
    if audience not in app.audiences:
        known = ", ".join(app.audiences) or "none (enable a plugin that provides audiences)"
        raise NotFoundError(f"no audience {audience!r}; registered audiences: {known}")
    progress = None if as_json else _progress
    run = CampaignRun(
        app,
        _config(app),
        campaign=campaign,
        audience=app.audiences[audience],
        template=template,
        purpose=purpose,
        limit=limit,
        resend_unknown=resend_unknown,
        on_batch=progress,
    )
    summary = run.dry_run() if dry_run else run.run()
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps(asdict(summary), indent=2, default=str))
        return
    verb = "would send" if dry_run else "sent"
    click.echo(f"{campaign}: {summary.considered} considered, {verb} {summary.sent}, failed {summary.failed}")
    skips = {"no consent": summary.skipped_no_consent, "already sent": summary.skipped_already_sent}
    skips.update({k.replace("_", " "): v for k, v in summary.skipped_by_reason.items()})
    for reason, n in skips.items():
        if n:
            click.echo(f"  skipped, {reason}: {n}")
    if summary.skipped_by_reason.get("unknown"):
        click.echo("  (unknown: a run died while sending them; rerun with --resend-unknown to send them anyway)")


def _progress(done: int, total: int) -> None:
    click.echo(f"  {done}/{total} processed", err=True)


@email.command("preview")
@click.argument("template")
@customer_option("--customer", "customer_ref", help="Render for this customer: external id, or #<internal id>.")
@click.option("--campaign", default="preview", show_default=True, help="Campaign name shown in the message.")
@click.option("--purpose", default="marketing", show_default=True)
@json_option
def preview(template: str, customer_ref: CustomerRef, campaign: str, purpose: str, as_json: bool) -> None:
    """Render TEMPLATE (subject, text and HTML parts) with a real customer's data; sends nothing."""
    from patron_email.messages import PREVIEW_LINK, customer_context, unsubscribe_url
    from patron_email.sending import plugin_vars, template_dirs
    from patron_email.templating import environment, load

    app = _app()
    config = _config(app)
    compiled = load(environment(template_dirs(app, config)), template)
    with app.transaction() as session:
        from patron.models import Customer

        customer = session.get_one(Customer, customer_ref.id)
        extra = plugin_vars(app, session, campaign, [customer.id])
        row: dict[str, Any] = {
            "id": customer.id,
            "external_id": customer.external_id,
            "name": customer.name,
            "email": customer.email,
            "attributes": customer.attributes,
        }
    link = unsubscribe_url(app, customer.id, campaign, purpose) if app.settings.secret_key else PREVIEW_LINK
    context = {
        "customer": customer_context(row),
        "campaign": campaign,
        "purpose": purpose,
        "unsubscribe_url": link,
        **{plugin: values.get(customer.id, {}) for plugin, values in extra.items()},
    }
    rendered = compiled.render(context)
    if as_json:
        echo_json({"subject": rendered.subject, "text": rendered.text, "html": rendered.html})
        return
    click.echo(f"Subject: {rendered.subject}\n\n--- text ---\n{rendered.text.rstrip()}")
    if rendered.html is not None:
        click.echo(f"\n--- html ---\n{rendered.html.rstrip()}")


@email.group("bounces")
def bounces() -> None:
    """Bounce and complaint reports."""


@bounces.command("import")
@click.argument("path", type=click.Path(exists=False))
@json_option
def import_bounces(path: str, as_json: bool) -> None:
    """Read DSN bounces and ARF complaints from an mbox file or Maildir folder at PATH (idempotent)."""
    from pathlib import Path

    from patron_email.bounces import import_bounces as run

    app = _app()
    s = run(app, _config(app), Path(path))
    if as_json:
        from dataclasses import asdict

        echo_json(asdict(s))
        return
    click.echo(
        f"{s.messages} messages: {s.hard} hard, {s.soft} soft, {s.complaints} complaints; "
        f"{s.already_known} already imported, {s.not_reports} not reports, "
        f"{s.unknown_recipients} for unknown recipients; {s.suppressed} addresses suppressed"
    )


@email.group("suppressions")
def suppressions() -> None:
    """The do-not-mail list (always wins over consent)."""


@suppressions.command("list")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (for export to another system) instead of text.")
@json_option
def list_suppressions(as_csv: bool, as_json: bool) -> None:
    """Print the list: address (or [erased]), reason, campaign, since. --csv and --json for export."""
    import csv
    import sys

    from sqlalchemy import select

    from patron_email.models import EmailSuppression

    app = _app()
    with app.transaction() as session:
        rows = [
            {
                "address": s.address or "[erased]",
                "reason": s.reason,
                "campaign": s.campaign or "",
                "source": s.source,
                "since": s.created_at.isoformat(),
            }
            for s in session.scalars(select(EmailSuppression).order_by(EmailSuppression.id))
        ]
    if as_json:
        echo_json(rows)
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=["address", "reason", "campaign", "source", "since"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        for r in rows:
            click.echo(f"{r['address']}  {r['reason']}  {r['since'][:10]}  {r['campaign']}")
        click.echo(f"{len(rows)} suppressed")


@suppressions.command("add")
@click.argument("address")
@click.option("--note", default="added by hand", show_default=True, help="Why (kept as the source).")
@json_option
def add_suppression(address: str, note: str, as_json: bool) -> None:
    """Never mail ADDRESS again (reason: manual)."""
    from email_validator import EmailNotValidError, validate_email

    from patron.errors import InputError
    from patron.ingest import audit
    from patron_email.suppression import suppress

    app = _app()
    try:
        validate_email(address, check_deliverability=False, test_environment=_config(app).allow_test_domains)
    except EmailNotValidError as exc:
        raise InputError(f"{address!r} is not an email address: {exc}") from None
    with app.transaction() as session:
        added = suppress(session, address, reason="manual", source=note[:255])
        audit(session, "email.suppress", "email_suppression", None, {"added": added})
    if as_json:
        echo_json({"address": address, "added": added})
        return
    click.echo("added" if added else "already suppressed")


@suppressions.command("remove")
@click.argument("address")
@json_option
def remove_suppression(address: str, as_json: bool) -> None:
    """Take ADDRESS off the list (it is mailed again where consent allows)."""
    from patron.ingest import audit
    from patron_email.suppression import unsuppress

    app = _app()
    with app.transaction() as session:
        removed = unsuppress(session, address)
        audit(session, "email.unsuppress", "email_suppression", None, {"removed": removed})
    if as_json:
        echo_json({"address": address, "removed": removed})
        return
    click.echo("removed" if removed else "not on the list")
