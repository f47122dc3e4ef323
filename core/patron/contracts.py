"""Contract objects: what plugins hand to the core through the registration hooks.

Each type documents the contract an implementation must keep. The SDK's
conformance suite (``patron_sdk.conformance``) checks registered objects against
these docstrings. Protocols are structural: any object with the attributes and
methods works; the dataclasses here are conveniences a plugin may use directly.

Set-based by design: scoring models, tier schemes and audiences return SQLAlchemy
``Select`` statements rather than Python lists, so the database does the work and
the core can compose them (join, count, insert-from-select) without loading rows.

What ``as_of`` means, for every report, scoring model, tier scheme and refresh job:
``as_of`` is an *instant* (timezone-aware, UTC). Data that occurred **strictly
before** it counts; nothing that occurred at or after it does. A date (a report's
``as_of`` parameter, ``--as-of 1998-07-01`` on the command line) means 00:00 UTC
of that day, so that day itself is excluded: "as of 1 July" is the state at the
end of 30 June. ``as_of_instant`` converts either form. A result computed for an
``as_of`` therefore never changes when later data arrives (the SDK's conformance
suite checks this for reports, scoring models and tier schemes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from patron.app import App

    #: A SELECT of any number of columns (SQLAlchemy 2.1 types a SELECT by its columns' types).
    AnySelect: TypeAlias = Select[*tuple[Any, ...]]

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


def as_of_instant(value: date | datetime) -> datetime:
    """The ``as_of`` instant for ``value``: a date means 00:00 UTC of that day (the day is excluded).

    A naive datetime is taken as UTC; an aware one is converted to UTC.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, time(), tzinfo=UTC)


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
    deterministic for the same data and ``as_of``. It counts only data that
    occurred strictly before the ``as_of`` instant (see the module docstring),
    so adding later interactions never changes its scores.
    """

    @property
    def name(self) -> str:
        """Unique, well-formed name (``NAME_PATTERN``), e.g. ``rfm:code``."""
        ...

    @property
    def description(self) -> str:
        """One line for humans."""
        ...

    def scores(self, session: Session, *, as_of: datetime) -> AnySelect:
        """Return a SELECT of ``(customer_id, score)`` rows for the data as of ``as_of``."""
        ...


@runtime_checkable
class TierScheme(Protocol):
    """A loyalty tier scheme: an ordered list of tiers and the rule that qualifies customers.

    Contract: ``tiers`` lists tier names from lowest to highest, unique and
    well-formed; ``qualify`` only reads, returns one row per customer it places,
    each tier one of ``tiers``, and is deterministic for the same data and ``as_of``.
    It counts only data that occurred strictly before the ``as_of`` instant (see
    the module docstring), so adding later interactions never changes a placement.
    """

    @property
    def name(self) -> str:
        """Unique, well-formed name."""
        ...

    @property
    def description(self) -> str:
        """One line for humans."""
        ...

    @property
    def tiers(self) -> Sequence[str]:
        """Tier names from lowest to highest."""
        ...

    def qualify(self, session: Session, *, as_of: datetime) -> AnySelect:
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
    :param label: what a report's reader reads for this audience, e.g.
        ``Can't Lose Them`` for ``rfm:segment:cant_lose_them`` (contract 1.3;
        optional: without it ``title`` spells the last part of the name in words).
    """

    name: str
    description: str
    query: Callable[[Session], AnySelect]
    label: str = ""

    @property
    def title(self) -> str:
        """The label, else the name's last part in words (``rfm:segment:at_risk`` → ``At risk``)."""
        return self.label or readable(self.name.rsplit(":", 1)[-1])


@dataclass(frozen=True)
class AudienceFamily:
    """Audiences that split customers by one key, answerable by one query (contract 1.2).

    ``rfm:segment`` is the family of ``rfm:segment:champions``,
    ``rfm:segment:at_risk``, …: a report that needs every audience of a family
    (``clv-by-segment``) asks the family once instead of each audience in turn,
    one scan instead of one per audience. Registering a family is optional; its
    audiences are still registered one by one (channels send to those).

    :param name: the common prefix of the member audiences, e.g. ``rfm:segment``.
    :param description: one line for humans.
    :param query: given a session, returns a SELECT of two columns,
        ``customer_id`` and ``key``, each customer at most once: that customer is a
        member of the registered audience ``<name>:<key>``, and the members of
        every audience ``<name>:<key>`` are exactly the customers with that key
        (the SDK's conformance suite checks both). It only reads.
    """

    name: str
    description: str
    query: Callable[[Session], AnySelect]


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
    an interaction of kind ``<name>_sent`` whose payload holds the ``campaign``
    (so a plugin can tell whom a campaign of its own reached, e.g. the survey
    plugin's re-ask interval); with ``dry_run`` nothing is sent or written.
    """

    @property
    def name(self) -> str:
        """Unique, well-formed name, e.g. ``email``."""
        ...

    @property
    def description(self) -> str:
        """One line for humans."""
        ...

    @property
    def consent_channel(self) -> str:
        """The consent-log channel checked before sending, e.g. ``email``."""
        ...

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


#: How a column's (or summary value's) numbers are shown to people.
#: ``count``: whole numbers with grouping; ``number``: ``decimals`` places (default 2);
#: ``percent``: the value is in percent (``12.5`` shows ``12.5%``, default 1 decimal);
#: ``money``: ``patron.money.Money`` cells formatted with their currency;
#: ``days``: a duration in days (default 1 decimal, unit ``days`` in the label);
#: ``id``: identifiers and ranks, plain digits; ``date``, ``text``: as they are.
ColumnFormat = Literal["text", "count", "number", "percent", "money", "days", "id", "date"]
COLUMN_FORMATS: tuple[str, ...] = ("text", "count", "number", "percent", "money", "days", "id", "date")
_DEFAULT_DECIMALS = {"count": 0, "id": 0, "number": 2, "percent": 1, "days": 1}


class Column(str):
    """A column name with what people should read: a label, a number format and a unit.

    A ``Column`` *is* its machine name (a ``str`` subclass), so it is accepted wherever a
    column name is (``Table.columns``, a ``ReportResult.summary`` key) and CSV/JSON keep the
    name; HTML, Markdown and the terminal view show ``label`` and format values by ``format``.
    A plain ``str`` column still works: its label is the name made readable
    (``new_buyers`` → ``New buyers``) and its format is inferred from its values.

    :param name: the machine name (``snake_case``; CSV header and JSON key).
    :param label: what people read (default: ``name`` made readable).
    :param format: one of ``COLUMN_FORMATS`` (default: inferred from the values).
    :param unit: shown after the label, ``Recency (days)``; ``days`` defaults to ``days``.
    :param decimals: decimal places for ``number``/``percent``/``days`` (defaults 2/1/1).
    """

    label: str
    #: The ``format`` given (``str.format`` stays the string method).
    number_format: str | None
    unit: str
    decimals: int | None

    def __new__(
        cls,
        name: str,
        label: str = "",
        format: ColumnFormat | None = None,
        unit: str = "",
        decimals: int | None = None,
    ) -> Column:
        if format is not None and format not in COLUMN_FORMATS:
            raise ValueError(f"column {name!r}: unknown format {format!r}; use one of {', '.join(COLUMN_FORMATS)}")
        self = super().__new__(cls, name)
        self.label = label or readable(name)
        self.number_format = format
        self.unit = unit or ("days" if format == "days" else "")
        self.decimals = decimals
        return self

    @property
    def name(self) -> str:
        """The machine name (a plain ``str``)."""
        return str.__str__(self)

    @property
    def heading(self) -> str:
        """The label with its unit: ``Mean recency (days)``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def places(self) -> int | None:
        """Decimal places for numeric formats (declared, else the format's default)."""
        if self.decimals is not None:
            return self.decimals
        return _DEFAULT_DECIMALS.get(self.number_format or "")

    def __reduce__(self) -> Any:
        return (Column, (self.name, self.label, self.number_format, self.unit, self.decimals))


#: Words a label spells otherwise than its machine name.
_WORDS = {"id": "ID", "pct": "%", "rfm": "RFM", "clv": "CLV", "nps": "NPS", "csat": "CSAT", "ces": "CES"}


def readable(name: str) -> str:
    """A machine name as a label: ``new_buyers`` → ``New buyers``, ``customer_id`` → ``Customer ID``,
    ``detractors_pct`` → ``Detractors %``, ``clv_rank`` → ``CLV rank``."""
    if "_" not in name and not name.islower():
        return name
    words = [_WORDS.get(w, w) for w in name.replace("_", " ").split(" ")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def column_spec(column: str) -> Column:
    """``column`` as a ``Column`` (a plain name gets a readable label and no declared format)."""
    return column if isinstance(column, Column) else Column(column)


@dataclass(frozen=True)
class Table:
    """A table of a report result: named columns and rows of plain values.

    ``columns`` holds names or ``Column`` specs (label, format, unit); amounts are
    ``patron.money.Money`` cells, never integer minor units.
    """

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
        Categories are drawn in the order given: give them in the domain's order
        (tiers by rank, segments by value), never alphabetical by accident.
    :param value_format: how the values read on labels, ticks and the colour
        legend, one of ``COLUMN_FORMATS`` (``money`` needs ``currency``; the
        values are then in major units, ``440.0`` is $440.00). Default: plain numbers.
    :param currency: the ISO 4217 code of ``money`` values.
    :param reference_lines: ``(value, label)`` horizontal lines on a bar or line
        chart, e.g. the 80 % and 95 % cuts of a Pareto curve.
    :param note: one sentence shown under the chart, e.g. why a heatmap column is empty.
    """

    name: str
    title: str
    kind: Literal["bar", "line", "heatmap"]
    x: Sequence[Any]
    series: Mapping[str, Sequence[float | None]]
    x_label: str = ""
    y_label: str = ""
    value_format: ColumnFormat | None = None
    currency: str = ""
    reference_lines: Sequence[tuple[float, str]] = ()
    note: str = ""


@dataclass(frozen=True)
class ReportResult:
    """What a report returns: a summary, tables and figures."""

    title: str
    summary: Mapping[str, Any]
    tables: Sequence[Table] = field(default_factory=tuple)
    figures: Sequence[Figure] = field(default_factory=tuple)
    #: The ``as_of`` date the data is taken as of (exclusive: data before 00:00 UTC of it), shown in the footer.
    as_of: date | None = None


@runtime_checkable
class Report(Protocol):
    """A report a user runs with ``patron report run NAME``.

    Contract: ``name`` unique and well-formed; ``params`` typed with defaults that
    make the report runnable without arguments; ``run`` only reads, and returns
    the same result for the same data and parameters (``as_of`` included).

    A report that takes a point in time names the parameter ``as_of`` (type
    ``datetime.date``) and follows the module's rule: the date means 00:00 UTC of
    that day (``as_of_instant``), and only data that occurred strictly before it
    counts, so a report run with an ``as_of`` does not change when later data is
    added. Its default (no ``as_of`` given) may depend on the data, e.g. the day
    after the last interaction.
    """

    @property
    def name(self) -> str:
        """Unique, well-formed name, e.g. ``rfm-segments``."""
        ...

    @property
    def title(self) -> str:
        """The heading shown on the rendered report."""
        ...

    @property
    def description(self) -> str:
        """One line shown by ``patron report list``."""
        ...

    @property
    def params(self) -> Sequence[ReportParam]:
        """The typed parameters, each with a default."""
        ...

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        """Compute the report for validated ``params`` (every declared name present)."""
        ...


@dataclass(frozen=True)
class ReportSpec:
    """A report's metadata, with a reference to the code that runs it: a ``Report`` that imports lazily.

    ``patron report list`` shows what a spec declares without importing its
    implementation (nor SQLAlchemy), so listing stays as cheap as ``--help``;
    the implementation is imported the first time the report runs. Register a
    spec through ``patron_reports`` like any report.

    :param name: unique, well-formed report name, e.g. ``rfm-segments``.
    :param title: the heading shown on the rendered report.
    :param description: one line shown by ``patron report list``.
    :param implementation: ``"package.module:Name"``: a class (instantiated without
        arguments) or an object whose ``run(app, session, params)`` computes the report.
    :param params: the typed parameters, each with a default.
    """

    name: str
    title: str
    description: str
    implementation: str
    params: Sequence[ReportParam] = ()

    def load(self) -> Any:
        """Import the implementation and return the object whose ``run`` computes the report."""
        import importlib

        module_name, _, attr = self.implementation.partition(":")
        target = getattr(importlib.import_module(module_name), attr)
        found = target() if isinstance(target, type) else target
        if not callable(getattr(found, "run", None)):
            raise TypeError(f"report {self.name!r}: {self.implementation} has no run(app, session, params)")
        return found

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        """Import the implementation (once per process: modules are cached) and run it."""
        result: ReportResult = self.load().run(app, session, params)
        return result


# ---------------------------------------------------------------------------
# Customer 360
# ---------------------------------------------------------------------------


@runtime_checkable
class CustomerPanel(Protocol):
    """A panel on the customer-360 view.

    Contract: ``render`` only reads and returns a mapping of label → plain value,
    or a ``Table``, or None when the plugin has nothing for this customer.
    ``patron customers show`` prints a machine-name label in words (``recency_days``
    → ``Recency days``, see ``readable``) and a ``patron.money.Money`` value with its
    currency; ``--json`` keeps the labels and values as given.
    """

    @property
    def name(self) -> str:
        """Unique, well-formed name."""
        ...

    @property
    def title(self) -> str:
        """The panel's heading."""
        ...

    def render(self, app: App, session: Session, customer_id: int) -> Mapping[str, Any] | Table | None:
        """Return this panel's content for one customer."""
        ...


# ---------------------------------------------------------------------------
# Interaction kinds
# ---------------------------------------------------------------------------

#: A payload check: ``None`` when the payload is acceptable, else ``(column, reason)``
#: where column names the offending field, e.g. ``("payload.score", "an NPS score is 0 to 10")``.
PayloadCheck = Callable[[Mapping[str, Any]], "tuple[str, str] | None"]


@dataclass(frozen=True)
class InteractionKind:
    """A kind of interaction (``purchase``, ``survey_response``, …) and the check of its payload.

    The core's kinds and the refund convention (its sign and link to the purchase)
    are declared in ``patron.kinds``; plugins register theirs the same way.

    :param name: the ``kind`` value stored on interactions; unique, well-formed.
    :param description: one line for humans, what an interaction of this kind records.
    :param check_payload: called by the importer for every row of this kind with
        the row's payload (a dict, empty when the row has none); returns None to
        accept, or ``(column, reason)`` to reject the row. It must be pure and
        cheap: it runs once per imported row.
    """

    name: str
    description: str
    check_payload: PayloadCheck | None = None


# ---------------------------------------------------------------------------
# Web routes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WebRoute:
    """A route ``patron serve`` answers, contributed through ``patron_web_routes``.

    :param name: unique, well-formed, namespaced ``<plugin>:<what>`` (e.g. ``email:unsubscribe``).
    :param path: a Starlette path under the plugin's prefix, e.g. ``/email/unsubscribe/{token}``.
    :param endpoint: an async Starlette endpoint ``(request) -> response``.
    :param methods: the HTTP methods it accepts; state changes are POST only.
    """

    name: str
    path: str
    endpoint: Callable[..., Any]
    methods: Sequence[str] = ("GET",)


# ---------------------------------------------------------------------------
# The contribution kinds: one table, from which the app and the SDK derive theirs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributionKind:
    """One family of registered objects.

    :param attr: the ``App`` attribute that collects them, e.g. ``reports``.
    :param hook: the registration hook, e.g. ``patron_reports``.
    :param label: how messages name one of them, e.g. ``report``.
    :param type: the contract type every registered object must satisfy.
    """

    attr: str
    hook: str
    label: str
    type: type


CONTRIBUTION_KINDS: tuple[ContributionKind, ...] = (
    ContributionKind("reports", "patron_reports", "report", Report),
    ContributionKind("scoring_models", "patron_scoring_models", "scoring model", ScoringModel),
    ContributionKind("tier_schemes", "patron_tier_schemes", "tier scheme", TierScheme),
    ContributionKind("channels", "patron_channels", "channel", Channel),
    ContributionKind("audiences", "patron_audiences", "audience", Audience),
    ContributionKind("audience_families", "patron_audience_families", "audience family", AudienceFamily),
    ContributionKind("customer_panels", "patron_customer_panels", "customer panel", CustomerPanel),
    ContributionKind("interaction_kinds", "patron_interaction_kinds", "interaction kind", InteractionKind),
    ContributionKind("web_routes", "patron_web_routes", "web route", WebRoute),
)


def contribution_kind(attr: str) -> ContributionKind:
    """The row of ``CONTRIBUTION_KINDS`` for ``attr``; KeyError names the valid ones."""
    for kind in CONTRIBUTION_KINDS:
        if kind.attr == attr:
            return kind
    raise KeyError(f"{attr!r} is not a contribution kind; known: {', '.join(k.attr for k in CONTRIBUTION_KINDS)}")


def contract_members(contract: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``(attributes, methods)`` an object of kind ``contract`` must provide.

    For a Protocol: its properties and its methods. For a dataclass: its fields
    without defaults, the callable ones (annotated ``Callable``) as methods.
    """
    import dataclasses

    if dataclasses.is_dataclass(contract):
        required = [
            f
            for f in dataclasses.fields(contract)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        callables = tuple(f.name for f in required if str(f.type).startswith("Callable"))
        return tuple(f.name for f in required if f.name not in callables), callables
    members = {n: v for n, v in vars(contract).items() if not n.startswith("_")}
    attributes = tuple(n for n, v in members.items() if isinstance(v, property))
    methods = tuple(n for n, v in members.items() if callable(v) and not isinstance(v, property))
    return attributes, methods


def missing_members(item: object, contract: type) -> list[str]:
    """The members ``contract`` declares that ``item`` lacks (structural: duck types are fine)."""
    attributes, methods = contract_members(contract)
    return [n for n in (*attributes, *methods) if not hasattr(item, n)]
