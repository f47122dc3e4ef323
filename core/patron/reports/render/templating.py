"""The Jinja2 environment of the report templates (``patron/reports/templates``)."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from patron.reports.render.display import display, is_numeric, summary_items, table_specs


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Autoescape on for ``.html`` templates (report data is untrusted text), off for Markdown."""
    env = Environment(
        loader=PackageLoader("patron.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2html"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["display"] = display
    env.tests["numeric"] = is_numeric
    env.globals["summary_items"] = summary_items
    env.globals["table_specs"] = table_specs
    return env
