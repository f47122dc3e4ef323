"""Contract objects: what plugins hand to the core through the registration hooks.

Each type documents the contract an implementation must keep. The SDK's
conformance suite (``patron_sdk.conformance``) checks registered objects against
these docstrings. Protocols are structural: any object with the attributes and
methods works; the dataclasses here are conveniences a plugin may use directly.

Set-based by design: scoring models, tier schemes and audiences return SQLAlchemy
``Select`` statements rather than Python lists, so the database does the work and
the core can compose them (join, count, insert-from-select) without loading rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from patron.app import App

#: Names of registered objects: lower case, digits, ``_ - . :``; starts with a letter.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.:-]{0,99}$")


def check_name(kind: str, name: object) -> str:
    """Return ``name`` when it is a well-formed contribution name, else raise ValueError."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(
            f"{kind} name {name!r} is not valid: use lower-case letters, digits and "
            "'_ - . :', starting with a letter (at most 100 characters)"
        )
    return name


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentChange:
    """One entry appended to the consent log, as passed to ``patron_consent_changed``."""

    customer_id: int
    channel: str
    purpose: str
    granted: bool
    occurred_at: datetime
    source: str


# ---------------------------------------------------------------------------
# Scoring and tiers
# ---------------------------------------------------------------------------


@runtime_checkable
class ScoringModel(Protocol):
    """A model that gives customers a numeric score, computed in the database.

    Contract: ``name`` is unique and well-formed (see ``NAME_PATTERN``);
    ``scores`` only reads, returns one row per scored customer, and is
    deterministic for the same data and ``as_of``.
    """

    name: str
    description: str

    def scores(self, session: Session, *, as_of: datetime) -> Select[Any]:
        """Return a SELECT of ``(customer_id, score)`` rows for the data as of ``as_of``."""
        ...


@runtime_checkable
class TierScheme(Protocol):
    """A loyalty tier scheme: an ordered list of tiers and the rule that qualifies customers.

    Contract: ``tiers`` lists tier names from lowest to highest, unique and
    well-formed; ``qualify`` only reads, returns one row per customer it places,
    each tier one of ``tiers``, and is deterministic for the same data and ``as_of``.
    """

    name: str
    description: str
    tiers: Sequence[str]

    def qualify(self, session: Session, *, as_of: datetime) -> Select[Any]:
        """Return a SELECT of ``(customer_id, tier)``: the tier each customer qualifies for."""
        ...


# ---------------------------------------------------------------------------
# Audiences and channels
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """A named set of customers, usable by channels and other plugins.

    :param name: unique, namespaced by convention ``<plugin>:<kind>:<value>``.
    :param description: one line for humans.
    :param query: given a session, returns a SELECT of one column, ``customer_id``,
        without duplicates. It only reads.
    """

    name: str
    description: str
    query: Callable[[Session], Select[Any]]


@dataclass(frozen=True)
class SendSummary:
    """What a channel did with one send request.

    ``sent + skipped_no_consent + skipped_already_sent + failed +
    sum(skipped_by_reason.values()) == considered``: every audience member is
    counted once. ``skipped_by_reason`` holds the channel's other reasons (for
    email: ``suppressed``, ``invalid_address``, ``unknown``, ``deferred``, …).
    With ``dry_run``, ``sent`` counts the messages a real run would send.
    """

    channel: str
    audience: str
    considered: int
    sent: int
    skipped_no_consent: int
    skipped_already_sent: int
    failed: int
    dry_run: bool
    details: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    skipped_by_reason: Mapping[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        """Every member skipped, whatever the reason."""
        return self.skipped_no_consent + self.skipped_already_sent + sum(self.skipped_by_reason.values())


@runtime_checkable
class Channel(Protocol):
    """An outbound channel (email, SMS, …).

    Contract: ``send`` checks consent for ``(consent_channel, purpose)`` for every
    recipient and skips those without it; it is idempotent on ``campaign``
    (a rerun never sends twice to the same customer); each send is recorded as
    an interaction of kind ``<name>_sent``; with ``dry_run`` nothing is sent or
    written.
    """

    name: str
    description: str
    consent_channel: str

    def send(
        self,
        app: App,
        *,
        campaign: str,
        audience: Audience,
        template: str,
        purpose: str,
        dry_run: bool = False,
    ) -> SendSummary:
        """Send ``template`` to every consenting member of ``audience`` under ``campaign``."""
        ...


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------

ParamType = type[int] | type[float] | type[str] | type[bool] | type[date]


@dataclass(frozen=True)
class ReportParam:
    """A typed report parameter.

    :param name: the parameter name used with ``--param name=value``.
    :param type: one of ``int``, ``float``, ``str``, ``bool``, ``datetime.date``.
    :param default: the value used when the parameter is not given (None: optional).
    :param help: one line shown by ``patron report list``.
    :param choices: when set, the only accepted values.
    """

    name: str
    type: ParamType
    default: Any = None
    help: str = ""
    choices: Sequence[Any] | None = None


@dataclass(frozen=True)
class Table:
    """A table of a report result: named columns and rows of plain values."""

    name: str
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Figure:
    """A chart of a report result, rendered by the core (inline SVG in HTML).

    :param kind: ``bar``, ``line`` or ``heatmap``.
    :param x: the categories or x values.
    :param series: for ``bar``/``line``, series name → values aligned with ``x``;
        for ``heatmap``, row label → values aligned with ``x``.
    """

    name: str
    title: str
    kind: Literal["bar", "line", "heatmap"]
    x: Sequence[Any]
    series: Mapping[str, Sequence[float | None]]
    x_label: str = ""
    y_label: str = ""


@dataclass(frozen=True)
class ReportResult:
    """What a report returns: a summary, tables and figures."""

    title: str
    summary: Mapping[str, Any]
    tables: Sequence[Table] = field(default_factory=tuple)
    figures: Sequence[Figure] = field(default_factory=tuple)
    #: The date the data is taken as of, shown in the footer (default: the ``as_of`` parameter, if any).
    as_of: date | None = None


@runtime_checkable
class Report(Protocol):
    """A report a user runs with ``patron report run NAME``.

    Contract: ``name`` unique and well-formed; ``params`` typed with defaults that
    make the report runnable without arguments; ``run`` only reads, and returns
    the same result for the same data and parameters (``as_of`` included).
    """

    name: str
    title: str
    description: str
    params: Sequence[ReportParam]

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        """Compute the report for validated ``params`` (every declared name present)."""
        ...


# ---------------------------------------------------------------------------
# Customer 360
# ---------------------------------------------------------------------------


@runtime_checkable
class CustomerPanel(Protocol):
    """A panel on the customer-360 view.

    Contract: ``render`` only reads and returns a mapping of label → plain value,
    or a ``Table``, or None when the plugin has nothing for this customer.
    """

    name: str
    title: str

    def render(self, app: App, session: Session, customer_id: int) -> Mapping[str, Any] | Table | None:
        """Return this panel's content for one customer."""
        ...
