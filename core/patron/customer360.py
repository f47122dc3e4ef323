"""The customer-360 view: one customer's data, activity, consent and plugin panels.

``build_view`` returns plain JSON-ready data (``patron customers show --json``
prints it as is); ``render_text`` lays it out for a terminal. Both the view and
a search write one audit row (ids and counts only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from patron.contracts import Table
from patron.models import Customer, Interaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


def build_view(app: App, session: Session, ref: str, *, limit: int = 10) -> dict[str, Any]:
    """Everything the 360 view shows about customer ``ref`` (external id or ``#id``)."""
    from patron.consent import current_states
    from patron.ingest import audit
    from patron.kinds import net_amount
    from patron.money import amount_str
    from patron.privacy import customer_record, find_customer, interaction_record

    customer = find_customer(session, ref, app)
    cid = customer.id
    recent = session.execute(
        select(
            Interaction.id,
            Interaction.external_id,
            Interaction.kind,
            Interaction.channel,
            Interaction.occurred_at,
            Interaction.amount_minor,
            Interaction.currency,
            Interaction.payload,
        )
        .where(Interaction.customer_id == cid)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
    ).all()
    totals = session.execute(
        # Spend is purchases minus refunds (patron.kinds): refunds are stored as positive amounts.
        select(Interaction.currency, func.count(), func.sum(net_amount(Interaction)))
        .where(Interaction.customer_id == cid)
        .group_by(Interaction.currency)
        .order_by(Interaction.currency)
    ).all()
    count = sum(n for _, n, _ in totals)
    spend = {cur: amount_str(int(total), cur) for cur, _, total in totals if cur is not None}
    panels = []
    for name, panel in app.customer_panels.items.items():
        plugin = app.customer_panels.supplier(name)
        with app.guard(plugin, f'customer panel "{name}"'):
            content = panel.render(app, session, cid)
        if content is None:
            continue
        if isinstance(content, Table):
            body: Any = {"columns": list(content.columns), "rows": [list(r) for r in content.rows]}
        else:
            body = dict(content)
        panels.append({"name": name, "title": panel.title, "plugin": plugin, "content": body})
    audit(session, "customer.view", "customer", cid, {"panels": len(panels)})
    return {
        "customer": customer_record(customer),
        "activity": {"interactions": count, "spend": spend},
        "recent_interactions": [interaction_record(r) for r in recent],
        "consent": [
            {"channel": s.channel, "purpose": s.purpose, "granted": s.granted, "since": s.occurred_at.isoformat()}
            for s in current_states(session, [cid])
        ],
        "panels": panels,
    }


def search_customers(session: Session, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Customers whose name or email contains ``query``, case-insensitively, by id."""
    from patron.ingest import audit

    needle = query.strip().lower()
    rows = session.execute(
        select(Customer.id, Customer.external_id, Customer.name, Customer.email)
        .where(
            or_(
                func.lower(Customer.name).contains(needle, autoescape=True),
                func.lower(Customer.email).contains(needle, autoescape=True),
            )
        )
        .order_by(Customer.id)
        .limit(limit)
    ).all()
    # The query itself may be a name: only the number of results is audited.
    audit(session, "customer.search", "customer", None, {"results": len(rows)})
    return [{"id": r.id, "external_id": r.external_id, "name": r.name, "email": r.email} for r in rows]


def render_text(view: Mapping[str, Any]) -> str:
    """The view as terminal text: a header, activity, consent, then one block per panel.

    What a person reads is labelled in words (``Created``, ``Recency days``) and money
    is formatted with its currency (``€20.00``); ``--json`` keeps the machine names and
    exact amounts.
    """
    from patron.contracts import readable
    from patron.terminal import clean

    c = view["customer"]
    lines = [f"Customer #{c['id']}  {c['external_id']}"]
    if c["erased_at"]:
        lines.append(f"  ERASED on {c['erased_at']}")
    fields = [(label, c[key]) for key, label in (("name", "Name"), ("email", "Email"), ("phone", "Phone"))]
    fields += [("Created", c["created_at"]), *((readable(k), v) for k, v in sorted(c["attributes"].items()))]
    width = max(len(label) for label, _ in fields)
    lines.extend(f"  {label:<{width}}  {value if value is not None else '-'}" for label, value in fields)
    activity = view["activity"]
    spend = ", ".join(_money(amount, cur) for cur, amount in activity["spend"].items()) or "-"
    count = activity["interactions"]
    lines += ["", f"Activity: {count} interaction{'' if count == 1 else 's'}, spend {spend}"]
    for i in view["recent_interactions"]:
        money = _money(i["amount_minor"], i["currency"], minor=True) if i["currency"] else ""
        lines.append(f"  {i['occurred_at'][:19]}  {i['kind']:<16} {i['channel'] or '':<8} {money}")
    lines += ["", "Consent:"]
    if not view["consent"]:
        lines.append("  none recorded")
    for s in view["consent"]:
        lines.append(
            f"  {s['channel']:<10} {s['purpose']:<12} {'granted' if s['granted'] else 'revoked'}"
            f" since {s['since'][:10]}"
        )
    for panel in view["panels"]:
        lines += ["", f"{panel['title']} ({panel['plugin']}):"]
        content = panel["content"]
        if "columns" in content and "rows" in content:
            lines.append("  " + " | ".join(_label(col) for col in content["columns"]))
            lines.extend("  " + " | ".join(_shown(v) for v in row) for row in content["rows"])
        else:
            lines.extend(f"  {readable(key)}: {_shown(value)}" for key, value in content.items())
    # Stored values may hold terminal escapes (a name that clears the screen): shown, never obeyed.
    return "\n".join(clean(line) for line in lines)


def _label(column: Any) -> str:
    """A panel table's column heading: a ``Column``'s label, or a machine name in words."""
    from patron.contracts import Column, readable

    return column.heading if isinstance(column, Column) else readable(str(column))


def _money(amount: Any, currency: str, *, minor: bool = False) -> str:
    """``€20.00``: an amount (major units as text, or ``minor`` units) formatted with its currency."""
    from patron.money import Money, to_minor

    return Money(int(amount) if minor else to_minor(str(amount), currency), currency).format()


def _shown(value: Any) -> str:
    """A panel's value as people read it: money formatted with its currency (``$13,990.93``)."""
    from patron.money import Money

    return value.format() if isinstance(value, Money) else str(value)


def plain(value: Any) -> Any:
    """``json.dumps``'s fallback for a view: money as ``{"amount", "currency"}``, anything else as text."""
    from patron.money import Money

    return value.plain() if isinstance(value, Money) else str(value)
