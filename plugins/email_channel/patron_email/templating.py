"""Message templates: sandboxed Jinja2, a text part and an optional HTML part.

A template ``NAME`` is ``NAME.txt`` (required) and ``NAME.html`` (optional) in
the first folder that has it, searched in this order: ``[plugins.email]
template_dir`` (relative to patron.toml), the folders plugins contribute through
``patron_email_template_dirs``, then the examples shipped with this plugin.
The text part's first line is the subject: ``Subject: Hello {{ customer.first_name }}``,
then a blank line, then the body. Subject and body are compiled apart, so no
value can move the boundary, and the subject's whitespace (line breaks
included) is collapsed, so no value can add a header.

Safety: templates run in Jinja's ``SandboxedEnvironment`` (no attribute starting
with ``_``, no unsafe callables), with ``StrictUndefined`` (a misspelt variable
is an error, not an empty string) and HTML autoescaping on ``.html`` files. The
context holds plain values only (dicts, strings, numbers), never ORM objects.
The HTML part's ``<style>`` rules are inlined into ``style`` attributes
(``css_inline``), since many mail clients drop ``<style>``.

Every error names the template file, the line and what is wrong.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patron.errors import InputError

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

BUILTIN_DIR = Path(__file__).parent / "templates"


class TemplateError(InputError):
    """A template is missing, does not compile, or failed while rendering."""


@dataclass(frozen=True)
class Rendered:
    """One rendered message: subject, text body, and HTML body (None without ``NAME.html``)."""

    subject: str
    text: str
    html: str | None


class MessageTemplate:
    """A compiled template pair, rendered once per recipient."""

    def __init__(self, name: str, subject: Template, text: Template, html: Template | None) -> None:
        self.name = name
        self._subject = subject
        self._text = text
        self._html = html
        import css_inline

        # One inliner for every message.
        self._inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)

    def render(self, context: Mapping[str, Any]) -> Rendered:
        """Render both parts for one recipient; raise ``TemplateError`` naming file, line and cause."""
        # Whitespace collapsed: a variable holding a line break must never start a second header.
        subject = " ".join(_render(self._subject, context).split())
        text = _render(self._text, context).lstrip("\n")
        html = None
        if self._html is not None:
            html = self._inliner.inline(_render(self._html, context))
        return Rendered(subject, text, html)


def _render(template: Template, context: Mapping[str, Any]) -> str:
    from jinja2 import TemplateError as JinjaError
    from jinja2.exceptions import SecurityError

    try:
        return template.render(context)
    except SecurityError as exc:
        raise TemplateError(f"{_where(template, exc)}: not allowed in a template (sandbox): {exc}") from None
    except JinjaError as exc:
        raise TemplateError(f"{_where(template, exc)}: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        # Errors of the template's own expressions (e.g. a division by zero): say where.
        raise TemplateError(f"{_where(template, exc)}: {type(exc).__name__}: {exc}") from None


def _where(template: Template, exc: BaseException) -> str:
    """``template FILE, line N`` from the traceback Jinja rewrites to template lines."""
    filename = template.filename or template.name or "?"
    line = getattr(exc, "lineno", None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return f"template {filename}, line {line}" if line else f"template {filename}"


def environment(dirs: Sequence[Path]) -> SandboxedEnvironment:
    """The sandboxed environment loading from ``dirs`` in order, the built-in examples last."""
    from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader([*map(str, dirs), str(BUILTIN_DIR)]),
        autoescape=select_autoescape(enabled_extensions=("html", "htm"), default_for_string=False, default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def load(env: SandboxedEnvironment, name: str) -> MessageTemplate:
    """Compile template ``name`` (``NAME.txt`` and optional ``NAME.html``)."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError

    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise TemplateError(f"template name {name!r} is not valid: use the file name without extension, e.g. welcome")
    assert env.loader is not None
    try:
        source, filename, _ = env.loader.get_source(env, f"{name}.txt")
    except TemplateNotFound:
        searched = ", ".join(getattr(env.loader, "searchpath", []))
        raise TemplateError(f"template {name!r} not found: no {name}.txt in {searched}") from None
    first, _, body = source.partition("\n")
    if not first.startswith("Subject:"):
        raise TemplateError(
            f"template {filename}, line 1: the first line must be 'Subject: ...', then a blank line and the body"
        )
    try:
        # Subject and body compile apart (so a variable cannot move the boundary), keeping the file's line numbers.
        subject = _compile(env, first[len("Subject:") :], f"{name}.txt", filename)
        text = _compile(env, "\n" + body, f"{name}.txt", filename)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {exc.filename}, line {exc.lineno}: {exc.message}") from None
    try:
        html: Template | None = env.get_template(f"{name}.html")
    except TemplateNotFound:
        html = None
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {exc.filename}, line {exc.lineno}: {exc.message}") from None
    return MessageTemplate(name, subject, text, html)


def _compile(env: SandboxedEnvironment, source: str, name: str, filename: str | None) -> Template:
    code = env.compile(source, name=name, filename=filename)
    return env.template_class.from_code(env, code, env.make_globals(None))
