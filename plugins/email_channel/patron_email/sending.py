"""Sending a campaign: who gets nothing, the idempotent send log, and the delivery guarantee.

**Guarantee: at most once per (campaign, customer)**, unless the operator asks
otherwise with ``--resend-unknown``. How:

1. The run first turns rows left ``claimed`` by a run that died into
   ``unknown``: that run may or may not have handed them to the server.
2. The audience is resolved through the core (``app.audiences``) and joined, in
   one query, with the consent log and the campaign's send log. Each member is
   then ``already sent``, ``failed`` before, ``unknown`` (not resent), without
   consent, without a valid address, suppressed, or eligible. Skips are written
   as ``skipped`` rows with their reason, so the campaign report can count them.
3. Eligible members go in batches (``batch_size``): the batch is rendered
   (in a worker thread, while the previous batch is on the wire; a template
   error stops the run before anything of the batch is claimed),
   then *claimed* in one transaction that checks consent and suppression again
   (consent is checked at send time, within one batch), then sent over one SMTP
   connection, then its outcomes and the ``email_sent`` interactions are
   committed in one transaction.

A process killed between a batch's claim and its record leaves those rows
``claimed``; the next run makes them ``unknown`` and does not resend them. So a
crash can cost at most one batch of unknown messages, and never a duplicate.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import bindparam, or_, select, update

from patron.consent import consenting_customers
from patron.contracts import Audience, SendSummary
from patron.errors import InputError
from patron.models import Customer, utcnow
from patron.sql import insert_ignore
from patron_email.models import EmailSend
from patron_email.suppression import Hasher, suppressed_hashes

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron_email.config import EmailConfig
    from patron_email.smtp import Mailer
    from patron_email.templating import MessageTemplate

#: The send log as a Core table, for executemany UPDATEs keyed by bound parameters.
SENDS = cast("Table", EmailSend.__table__)
CHANNEL = "email"
EMAIL_SENT = "email_sent"
CAMPAIGN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")
#: Reasons counted in ``SendSummary.skipped_by_reason`` (the two classic skips have their own fields).
REASONS = ("suppressed", "invalid_address", "unknown", "failed_before", "deferred", "over_limit")


@dataclass
class Member:
    """One audience member as the run sees it."""

    customer_id: int
    email: str | None
    name: str | None
    external_id: str
    attributes: Mapping[str, Any]
    consent: bool
    state: str | None
    address: str | None = None
    reason: str | None = None


@dataclass
class Tally:
    """Counts of one run, by outcome."""

    considered: int = 0
    sent: int = 0
    no_consent: int = 0
    already_sent: int = 0
    failed: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        if reason == "no_consent":
            self.no_consent += n
        elif reason == "already_sent":
            self.already_sent += n
        else:
            self.by_reason[reason] = self.by_reason.get(reason, 0) + n


def check_campaign(name: str) -> str:
    """Return ``name`` when it is a valid campaign name, else raise ``InputError``."""
    if not CAMPAIGN_PATTERN.match(name):
        raise InputError(
            f"campaign name {name!r} is not valid: use letters, digits and '_ . : -', at most 200 characters"
        )
    return name


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    """INSERT send-log rows, leaving alone any (campaign, customer) another run inserted first."""
    if rows:
        session.execute(insert_ignore(EmailSend, session, index_elements=("campaign", "customer_id")), rows)


def load_members(session: Session, audience: Audience, campaign: str, purpose: str) -> list[Member]:
    """Every audience member with their consent and this campaign's send-log state, in one query."""
    members_q = audience.query(session).subquery("audience")
    first = next(iter(members_q.c))
    consenting = consenting_customers(CHANNEL, purpose).subquery("consenting")
    existing = select(EmailSend.customer_id, EmailSend.state).where(EmailSend.campaign == campaign).subquery("existing")
    query = (
        select(
            Customer.id,
            Customer.email,
            Customer.name,
            Customer.external_id,
            Customer.attributes,
            consenting.c.customer_id.is_not(None),
            existing.c.state,
        )
        .join(members_q, first == Customer.id)
        .outerjoin(consenting, consenting.c.customer_id == Customer.id)
        .outerjoin(existing, existing.c.customer_id == Customer.id)
        .order_by(Customer.id)
    )
    return [Member(*row) for row in session.execute(query)]


def classify(
    members: Sequence[Member], hasher: Hasher, suppressed: set[str], resend_unknown: bool, test_domains: bool = False
) -> None:
    """Set ``reason`` (why a member gets nothing) or ``address`` (eligible) on every member."""
    from email_validator import EmailNotValidError, validate_email

    for m in members:
        if m.state == "sent":
            m.reason = "already_sent"
        elif m.state == "failed":
            m.reason = "failed_before"
        elif m.state in ("unknown", "claimed") and not resend_unknown:
            m.reason = "unknown"
        elif not m.consent:
            m.reason = "no_consent"
        elif not m.email:
            m.reason = "invalid_address"
        else:
            try:
                address = validate_email(m.email, check_deliverability=False, test_environment=test_domains).normalized
            except EmailNotValidError:
                m.reason = "invalid_address"
                continue
            if hasher(address) in suppressed or hasher(m.email) in suppressed:
                m.reason = "suppressed"
            else:
                m.address = address


class CampaignRun:
    """One run of ``patron email send``: see the module docstring for the steps."""

    def __init__(
        self,
        app: App,
        config: EmailConfig,
        *,
        campaign: str,
        audience: Audience,
        template: str,
        purpose: str,
        limit: int | None = None,
        resend_unknown: bool = False,
        mailer_factory: Callable[[EmailConfig], Mailer] | None = None,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> None:
        self.app = app
        self.config = config
        self.campaign = check_campaign(campaign)
        self.audience = audience
        self.template_name = template
        self.purpose = purpose
        self.limit = limit
        self.resend_unknown = resend_unknown
        self.run_id = uuid.uuid4().hex
        self.mailer_factory = mailer_factory
        self.on_batch = on_batch
        self.tally = Tally()

    # -- the run ---------------------------------------------------------------

    def plan(self) -> list[Member]:
        """Resolve and classify the audience (reads only); tally the skips; return the eligible members."""
        with self.app.transaction() as session:
            members = load_members(session, self.audience, self.campaign, self.purpose)
            hasher = Hasher(session)
            hashes = [hasher(m.email) for m in members if m.email]
            suppressed = suppressed_hashes(session, hashes)
        classify(members, hasher, suppressed, self.resend_unknown, self.config.allow_test_domains)
        self.tally.considered = len(members)
        eligible = [m for m in members if m.reason is None]
        if self.limit is not None and len(eligible) > self.limit:
            for m in eligible[self.limit :]:
                m.reason = "over_limit"
            eligible = eligible[: self.limit]
        for m in members:
            if m.reason is not None:
                self.tally.skip(m.reason)
        self._members = members
        return eligible

    def dry_run(self) -> SendSummary:
        """Count what a run would do; write and send nothing."""
        from patron_email.templating import environment, load

        load(environment(template_dirs(self.app, self.config)), self.template_name)
        eligible = self.plan()
        self.tally.sent = len(eligible)
        return self.summary(dry_run=True)

    def run(self) -> SendSummary:
        """Send the campaign; return what this run did."""
        from patron.links import make_token
        from patron_email.smtp import Mailer
        from patron_email.templating import environment, load

        template = load(environment(template_dirs(self.app, self.config)), self.template_name)
        make_token(self.app, "email.check", {})  # fails now, with a clear message, when no secret key is set
        self._reconcile()
        eligible = self.plan()
        self._record_skips()
        if not eligible:
            return self.summary(dry_run=False)
        mailer = (self.mailer_factory or Mailer)(self.config)
        mailer.open()  # a wrong host, certificate or password stops the run before anything is claimed
        size = self.config.batch_size
        batches = [eligible[start : start + size] for start in range(0, len(eligible), size)]
        # The next batch is rendered in a worker thread while this one is on the wire: the SMTP
        # round trips release the GIL, so rendering costs almost no wall time. Only rendering runs
        # ahead; claiming (with its consent check) stays right before each batch is sent, so a
        # crash still leaves at most one batch unknown.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="patron-email-render") as pool:
            ahead = pool.submit(self._render, template, batches[0])
            try:
                done = 0
                for i, batch in enumerate(batches):
                    rendered = ahead.result()  # a template error stops the run before this batch is claimed
                    if i + 1 < len(batches):
                        ahead = pool.submit(self._render, template, batches[i + 1])
                    if not self._send_batch(mailer, batch, rendered):
                        break
                    done += len(batch)
                    if self.on_batch is not None:
                        self.on_batch(done, len(eligible))
            finally:
                ahead.cancel()
                mailer.close()
        return self.summary(dry_run=False)

    def summary(self, *, dry_run: bool) -> SendSummary:
        """The run's ``SendSummary``: sent + every skip + failed = considered."""
        t = self.tally
        return SendSummary(
            channel=CHANNEL,
            audience=self.audience.name,
            considered=t.considered,
            sent=t.sent,
            skipped_no_consent=t.no_consent,
            skipped_already_sent=t.already_sent,
            failed=t.failed,
            dry_run=dry_run,
            skipped_by_reason=dict(sorted(t.by_reason.items())),
        )

    # -- steps -----------------------------------------------------------------

    def _reconcile(self) -> None:
        """Rows a dead run left ``claimed`` may have been accepted by the server: mark them ``unknown``."""
        with self.app.transaction(immediate=True) as session:
            session.execute(
                update(EmailSend)
                .where(EmailSend.campaign == self.campaign, EmailSend.state == "claimed")
                .values(state="unknown", reason="interrupted", updated_at=utcnow())
            )

    def _record_skips(self) -> None:
        """Write ``skipped`` rows with their reason (new rows, and earlier skips whose reason changed)."""
        skips = [m for m in self._members if m.reason in ("no_consent", "invalid_address", "suppressed")]
        if not skips:
            return
        now = utcnow()
        with self.app.transaction(immediate=True) as session:
            _insert_ignore(
                session,
                [self._row(m, state="skipped", reason=m.reason, now=now) for m in skips if m.state is None],
            )
            again = [{"cid": m.customer_id, "why": m.reason} for m in skips if m.state == "skipped"]
            if again:
                session.execute(
                    update(SENDS)
                    .where(
                        SENDS.c.campaign == self.campaign,
                        SENDS.c.customer_id == bindparam("cid"),
                        SENDS.c.state == "skipped",
                    )
                    .values(reason=bindparam("why"), updated_at=now),
                    again,
                )

    def _row(self, m: Member, *, state: str, reason: str | None, now: Any, msg_id: str | None = None) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "customer_id": m.customer_id,
            "state": state,
            "reason": reason,
            "address": m.address or m.email,
            "message_id": msg_id,
            "template": self.template_name,
            "purpose": self.purpose,
            "attempts": 1 if state == "claimed" else 0,
            "run_id": self.run_id if state == "claimed" else None,
            "created_at": now,
            "updated_at": now,
        }

    def _render(self, template: MessageTemplate, batch: Sequence[Member]) -> dict[int, bytes]:
        from patron_email.messages import build, customer_context, message_id, unsubscribe_url

        ids = [m.customer_id for m in batch]
        with self.app.transaction() as session:
            extra = plugin_vars(self.app, session, self.campaign, ids)
        out: dict[int, bytes] = {}
        for m in batch:
            link = unsubscribe_url(self.app, m.customer_id, self.campaign, self.purpose)
            context = {
                "customer": customer_context(
                    {
                        "id": m.customer_id,
                        "external_id": m.external_id,
                        "name": m.name,
                        "email": m.address,
                        "attributes": m.attributes,
                    }
                ),
                "campaign": self.campaign,
                "purpose": self.purpose,
                "unsubscribe_url": link,
                **{plugin: values.get(m.customer_id, {}) for plugin, values in extra.items()},
            }
            rendered = template.render(context)
            assert m.address is not None
            out[m.customer_id] = build(
                self.config,
                rendered,
                to=m.address,
                to_name=m.name or "",
                msg_id=message_id(self.campaign, m.customer_id, self.config.id_domain),
                campaign=self.campaign,
                unsubscribe=link,
            )
        return out

    def _claim(self, batch: Sequence[Member]) -> list[Member]:
        """Claim the batch in one transaction, checking consent and suppression again; return those claimed."""
        from patron_email.messages import message_id

        ids = [m.customer_id for m in batch]
        now = utcnow()
        with self.app.transaction(immediate=True) as session:
            consenting = set(session.scalars(consenting_customers(CHANNEL, self.purpose).where(Customer.id.in_(ids))))
            hasher = Hasher(session)
            suppressed = suppressed_hashes(session, [hasher(m.address or "") for m in batch])
            lost = []
            keep = []
            for m in batch:
                if m.customer_id not in consenting:
                    m.reason = "no_consent"
                elif hasher(m.address or "") in suppressed:
                    m.reason = "suppressed"
                if m.reason:
                    lost.append(m)
                else:
                    keep.append(m)
            for m in lost:
                self.tally.skip(m.reason or "")
            retake = ("skipped", "unknown") if self.resend_unknown else ("skipped",)
            t = SENDS.c
            # OR of equalities, not IN: an expanding IN cannot be used with executemany.
            retakeable = or_(*(t.state == state for state in retake))
            rows = [
                {
                    "cid": m.customer_id,
                    "mid": message_id(self.campaign, m.customer_id, self.config.id_domain),
                    "addr": m.address,
                }
                for m in keep
            ]
            if rows:
                session.execute(
                    update(SENDS)
                    .where(
                        t.campaign == self.campaign,
                        t.customer_id == bindparam("cid"),
                        retakeable,
                    )
                    .values(
                        state="claimed",
                        reason=None,
                        run_id=self.run_id,
                        message_id=bindparam("mid"),
                        address=bindparam("addr"),
                        attempts=t.attempts + 1,
                        updated_at=now,
                    ),
                    rows,
                )
                _insert_ignore(
                    session,
                    [
                        self._row(
                            m,
                            state="claimed",
                            reason=None,
                            now=now,
                            msg_id=message_id(self.campaign, m.customer_id, self.config.id_domain),
                        )
                        for m in keep
                    ],
                )
            if lost:
                _insert_ignore(session, [self._row(m, state="skipped", reason=m.reason, now=now) for m in lost])
                session.execute(
                    update(SENDS)
                    .where(
                        t.campaign == self.campaign,
                        t.customer_id == bindparam("cid"),
                        retakeable,
                    )
                    .values(state="skipped", reason=bindparam("why"), updated_at=now),
                    [{"cid": m.customer_id, "why": m.reason} for m in lost],
                )
            mine = set(
                session.scalars(
                    select(EmailSend.customer_id).where(
                        EmailSend.campaign == self.campaign,
                        EmailSend.run_id == self.run_id,
                        EmailSend.state == "claimed",
                        EmailSend.customer_id.in_(ids),
                    )
                )
            )
        # Members another run claimed or sent meanwhile are theirs: count them as already handled.
        for m in keep:
            if m.customer_id not in mine:
                self.tally.skip("already_sent")
        return [m for m in keep if m.customer_id in mine]

    def _send_batch(self, mailer: Mailer, batch: Sequence[Member], rendered: Mapping[int, bytes]) -> bool:
        """Claim, send and record one rendered batch; False when the SMTP session is lost for good."""
        from patron.ingest import record_interactions
        from patron_email.messages import message_id

        claimed = self._claim(batch)
        outcomes: dict[int, tuple[str, str, Any]] = {}
        healthy = True
        for m in claimed:
            if not healthy:
                outcomes[m.customer_id] = ("deferred", "not attempted: the SMTP session was lost", None)
                continue
            assert m.address is not None
            outcome = mailer.send(self.config.sender, m.address, rendered[m.customer_id])
            outcomes[m.customer_id] = (outcome.state, outcome.reply, utcnow())
            if outcome.state == "deferred" and mailer.broken:
                healthy = False
        state_of = {"sent": "sent", "failed": "failed", "unknown": "unknown", "deferred": "skipped"}
        t = SENDS.c
        with self.app.transaction(immediate=True) as session:
            session.execute(
                update(SENDS)
                .where(t.campaign == self.campaign, t.customer_id == bindparam("cid"), t.run_id == self.run_id)
                .values(
                    state=bindparam("st"),
                    reason=bindparam("why"),
                    smtp_reply=bindparam("reply"),
                    sent_at=bindparam("at"),
                    updated_at=utcnow(),
                ),
                [
                    {
                        "cid": cid,
                        "st": state_of[state],
                        "why": None if state == "sent" else ("deferred" if state == "deferred" else state),
                        "reply": reply[:500],
                        "at": at if state == "sent" else None,
                    }
                    for cid, (state, reply, at) in outcomes.items()
                ],
            )
            sent = [(cid, at) for cid, (state, _, at) in outcomes.items() if state == "sent"]
            record_interactions(
                self.app,
                session,
                [
                    {
                        "external_id": f"email-sent:{self.campaign}:{cid}",
                        "customer_id": cid,
                        "kind": EMAIL_SENT,
                        "channel": CHANNEL,
                        "occurred_at": at,
                        "payload": {
                            "campaign": self.campaign,
                            "template": self.template_name,
                            "purpose": self.purpose,
                            "message_id": message_id(self.campaign, cid, self.config.id_domain),
                        },
                    }
                    for cid, at in sent
                ],
            )
        for state, _, _ in outcomes.values():
            if state == "sent":
                self.tally.sent += 1
            elif state == "failed":
                self.tally.failed += 1
            else:
                self.tally.skip(state)
        if not healthy:
            raise_lost(mailer)
        return healthy


def raise_lost(mailer: Mailer) -> None:
    """Stop the run: the SMTP server went away; what was sent is recorded, the rest is retried by a rerun."""
    from patron_email.smtp import SmtpError

    raise SmtpError(
        f"the SMTP session was lost and could not be reopened ({mailer.last_error}); what was sent is recorded; "
        "run the same command again later to send the rest"
    )


def template_dirs(app: App, config: EmailConfig) -> list[Any]:
    """Where templates are searched: the operator's folder, then folders plugins contribute."""
    from pathlib import Path

    base = app.settings.path.parent if app.settings.path else Path.cwd()
    dirs = [base / config.template_dir]
    for _plugin, found in app.call_each("patron_email_template_dirs", app=app):
        dirs += [Path(d) for d in (found or ())]
    return dirs


def plugin_vars(app: App, session: Session, campaign: str, customer_ids: Sequence[int]) -> dict[str, Mapping[int, Any]]:
    """Per-recipient variables from every plugin implementing ``patron_email_template_vars``, by plugin."""
    found = app.call_each(
        "patron_email_template_vars", app=app, session=session, campaign=campaign, customer_ids=list(customer_ids)
    )
    return {plugin: dict(values or {}) for plugin, values in found}
