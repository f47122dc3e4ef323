"""``patron nps …``: record an answer, list the surveys, work the follow-up queue.

Only click is imported at module level (the CLI is built for ``patron --help``
too); everything else is imported inside the command bodies. ``--json`` gives
machine output everywhere.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from patron.cli_options import customer_argument, get_app, json_option

if TYPE_CHECKING:
    from patron.cli_options import CustomerRef

JSON = json_option
_app = get_app


@click.group()
def nps() -> None:
    """NPS, CSAT and CES surveys: answers, scores and follow-ups (plugin nps)."""


@nps.command()
@customer_argument()
@click.argument("survey")
@click.argument("score")
@click.option("--comment", default=None, help="What the customer wrote.")
@click.option("--touchpoint", default=None, help="Where the answer was given (e.g. web, store, support).")
@click.option("--at", "at", default=None, metavar="TIME", help="When it was answered, ISO 8601 (default: now).")
@JSON
def record(
    customer: CustomerRef,
    survey: str,
    score: str,
    comment: str | None,
    touchpoint: str | None,
    at: str | None,
    as_json: bool,
) -> None:
    """Record CUSTOMER's answer SCORE to SURVEY (CUSTOMER: external id or #id)."""
    from patron_nps.recording import record_answer

    app = _app()
    with app.transaction() as session:
        done = record_answer(app, session, customer.id, survey, score, comment=comment, touchpoint=touchpoint, at=at)
    if as_json:
        click.echo(json.dumps(done))
        return
    line = f"Recorded {done['survey']} answer {done['score']} from {done['customer']} ({done['answered_at']})."
    if done["followup"] is not None:
        line += f" Follow-up #{done['followup']} opened."
    click.echo(line)


@nps.command()
@JSON
def surveys(as_json: bool) -> None:
    """The configured surveys: type, scale, question, period, follow-up threshold."""
    from patron_nps.answers import plugin_config

    config = plugin_config(_app())
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "type": s.type,
            "scale": list(s.scale),
            "question": s.question,
            "low_label": s.low_label,
            "high_label": s.high_label,
            "period": s.period,
            "reask_days": s.reask_days,
            "followup_at_or_below": s.followup_threshold,
        }
        for name, s in sorted(config.surveys.items())
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No surveys configured; add one under [plugins.nps.surveys.NAME].")
    for r in rows:
        low, high = r["scale"]
        follow = "none" if r["followup_at_or_below"] is None else f"scores ≤ {r['followup_at_or_below']}"
        click.echo(
            f"{r['name']}  ({r['type'].upper()} {low}–{high}, one answer per {r['period']}, follow-up: {follow})"
        )
        click.echo(f"    {r['question']}  [{low} = {r['low_label']}, {high} = {r['high_label']}]")


@nps.group()
def followups() -> None:
    """The follow-up queue opened by low answers."""


@followups.command("list")
@click.option("--status", type=click.Choice(["open", "closed", "all"]), default="open", show_default=True)
@click.option("--survey", default=None, help="Only this survey.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@JSON
def list_(status: str, survey: str | None, limit: int, as_json: bool) -> None:
    """Follow-ups, oldest first, and the time-to-close of the closed ones."""
    from datetime import UTC, datetime

    from patron_nps.answers import plugin_config
    from patron_nps.followups import listing, queue_stats

    app = _app()
    config = plugin_config(app)
    if survey:
        config.survey(survey)
    with app.transaction() as session:
        items = listing(session, status, survey, limit)  # type: ignore[arg-type]
        per_survey = queue_stats(session, datetime.now(UTC), config.followup_sla_days)
    if as_json:
        click.echo(json.dumps({"followups": items, "stats": [s.__dict__ for s in per_survey]}, indent=2))
        return
    if not items:
        click.echo(f"No {status if status != 'all' else ''} follow-ups.".replace("  ", " "))
    for i in items:
        state = f"closed {i['closed_at'][:10]}" if i["closed_at"] else "open"
        who = f", {i['assignee']}" if i["assignee"] else ""
        click.echo(
            f"#{i['id']:<5} {i['opened_at'][:10]}  {i['customer']:<14} {i['survey']} = {i['score']:<3} {state}{who}"
        )
        if i["comment"]:
            click.echo(f"       “{i['comment']}”")
        if i["note"]:
            click.echo(f"       note: {i['note']}")
    for s in per_survey:
        median = "–" if s.median_days_to_close is None else f"{s.median_days_to_close} days"
        click.echo(
            f"{s.survey}: {s.open} open ({s.overdue} overdue, > {config.followup_sla_days} days), "
            f"{s.closed} closed, median time to close {median}"
        )


@followups.command()
@click.argument("followup_id", metavar="ID", type=int)
@click.argument("assignee")
@JSON
def assign(followup_id: int, assignee: str, as_json: bool) -> None:
    """Give follow-up ID to ASSIGNEE."""
    from patron.ingest import audit
    from patron.models import utcnow
    from patron_nps.followups import assign as run

    app = _app()
    with app.transaction() as session:
        found = run(session, followup_id, assignee, utcnow())
        audit(session, "nps.followup.assign", "nps_followup", followup_id)
        out = {"id": found.id, "assignee": found.assignee}
    click.echo(json.dumps(out) if as_json else f"Follow-up #{out['id']} assigned to {out['assignee']}.")


@followups.command("close")
@click.argument("followup_id", metavar="ID", type=int)
@click.option("--note", required=True, help="What was done (kept with the follow-up; erased with the customer).")
@JSON
def close_(followup_id: int, note: str, as_json: bool) -> None:
    """Close follow-up ID with a note."""
    from patron.ingest import audit
    from patron.models import utcnow
    from patron_nps.followups import close as run

    app = _app()
    with app.transaction() as session:
        found = run(session, followup_id, note, utcnow())
        audit(session, "nps.followup.close", "nps_followup", followup_id)
        days = (found.closed_at - found.opened_at).total_seconds() / 86400 if found.closed_at else 0.0
        out: dict[str, Any] = {
            "id": found.id,
            "closed_at": found.closed_at.isoformat() if found.closed_at else None,
            "days_to_close": round(days, 2),
        }
    click.echo(json.dumps(out) if as_json else f"Follow-up #{out['id']} closed after {out['days_to_close']} days.")


@nps.command()
@click.argument("survey")
@click.option("--audience", required=True, metavar="NAME", help="A registered audience, e.g. rfm:segment:champions.")
@click.option("--channel", required=True, metavar="NAME", help="An enabled channel, e.g. email.")
@click.option("--dry-run", is_flag=True, help="Count who would be invited and why the others are not; send nothing.")
@JSON
def invite(survey: str, audience: str, channel: str, dry_run: bool, as_json: bool) -> None:
    """Invite an audience to SURVEY through a channel: one signed link per score (one round per day)."""
    from datetime import UTC, datetime

    from patron_nps.invitations import invite as run

    app = _app()
    done = run(app, survey, audience, channel, dry_run=dry_run, now=datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(done, indent=2, default=str))
        return
    s = done["summary"]
    verb = "would invite" if dry_run else "invited"
    click.echo(
        f"{done['campaign']}: {done['members']} in {audience}, {verb} {s['sent']}"
        + (f", failed {s['failed']}" if s["failed"] else "")
    )
    skips = {
        f"answered within {done['reask_days']} days": done["answered_recently"],
        f"invited within {done['reask_days']} days": done["invited_recently"],
        "no consent": s["skipped_no_consent"],
        "already invited in this round": s["skipped_already_sent"],
    }
    skips.update({k.replace("_", " "): v for k, v in s["skipped_by_reason"].items()})
    for reason, n in skips.items():
        if n:
            click.echo(f"  not invited, {reason}: {n}")
    if not getattr(app.settings, "base_url", None):
        click.echo(
            "  note: [patron] base_url is not set, so the links point at http://127.0.0.1:8000; "
            "set it to the address 'patron serve' is reached at",
            err=True,
        )
