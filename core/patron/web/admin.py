"""``/reports``: the admin view of the reports, on only when ``[patron] admin_token`` is set.

``/reports`` lists every registered report; ``/reports/NAME`` runs it fresh
(read-only, like ``patron report run``) with the parameters given in the query
string and shows the rendered HTML with a form of its parameters above it.
Running a report changes nothing, so these are GET routes.

Access: HTTP Basic (any user name, the admin token as password; browsers ask
for it) or ``Authorization: Bearer TOKEN``. The token is compared in constant time.
"""

from __future__ import annotations

import base64
import hmac
from datetime import date
from html import escape
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from patron.errors import PatronError
from patron.web.pages import page, page_html

if TYPE_CHECKING:
    from patron.app import App
    from patron.contracts import Report


def admin_routes(app: App) -> list[BaseRoute]:
    """The admin routes for ``app`` (its ``settings.admin_token`` must be set)."""
    token = app.settings.admin_token
    assert token, "admin routes need [patron] admin_token"

    def authorised(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        given = ""
        if scheme.lower() == "bearer":
            given = value.strip()
        elif scheme.lower() == "basic":
            try:
                given = base64.b64decode(value.strip()).decode("utf-8").partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                given = ""  # a malformed header is simply not authorised
        return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))

    def challenge() -> Response:
        response = page("Sign-in needed", "These pages need the admin token as the password.", status=401)
        response.headers["WWW-Authenticate"] = 'Basic realm="Patron admin", charset="UTF-8"'
        return response

    def index(request: Request) -> Response:
        if not authorised(request):
            return challenge()
        reports = app.reports
        items = "".join(
            f'<li><a href="/reports/{escape(r.name)}">{escape(r.title)}</a> '
            f"<small>({escape(r.name)}, plugin {escape(reports.suppliers[r.name])})</small></li>"
            for r in reports.values()
        )
        return HTMLResponse(page_html("Reports", f"<ul>{items}</ul>" if items else "<p>No reports registered.</p>"))

    def show(request: Request) -> Response:
        if not authorised(request):
            return challenge()
        from patron.reports.render import render
        from patron.reports.runner import run_report

        name = request.path_params["name"]
        if name not in app.reports:
            return page("Report not found", f"There is no report named {name!r}.", status=404)
        report = app.reports[name]
        assignments = [f"{k}={v}" for k, v in request.query_params.items() if v != ""]
        form = _form(report, request.query_params)
        try:
            run = run_report(app, name, assignments)
        except PatronError as exc:
            return page(report.title, str(exc).splitlines()[0], status=400, body_html=form)
        html = render(run, "html")[""]
        # The report is a whole document: put the parameter form at the top of its body.
        return HTMLResponse(html.replace("<body>", f"<body>{form}", 1) if "<body>" in html else form + html)

    return [
        Route("/reports", index, methods=["GET"], name="admin-reports"),
        Route("/reports/{name}", show, methods=["GET"], name="admin-report"),
    ]


def _form(report: Report, given: Any) -> str:
    fields = []
    for p in report.params:
        value = given.get(p.name, "")
        if not value and p.default is not None:
            value = p.default.isoformat() if isinstance(p.default, date) else str(p.default)
        label = escape(p.name) + (f" <small>{escape(p.help)}</small>" if p.help else "")
        if p.choices:
            options = "".join(
                f"<option{' selected' if str(c) == str(value) else ''}>{escape(str(c))}</option>" for c in p.choices
            )
            control = f'<select name="{escape(p.name)}"><option value=""></option>{options}</select>'
        else:
            kind = "date" if p.type is date else "text"
            control = f'<input type="{kind}" name="{escape(p.name)}" value="{escape(str(value))}">'
        fields.append(f"<label>{label} {control}</label>")
    return (
        f'<form method="get" action="/reports/{escape(report.name)}" class="patron-params">'
        f'{"".join(fields)}<button type="submit">Run</button> <a href="/reports">all reports</a></form>'
    )
