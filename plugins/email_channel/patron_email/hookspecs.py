"""Hooks the email plugin adds to the contract (added through ``patron_addhooks``).

Other plugins use them to contribute templates and per-recipient variables (the
NPS plugin adds score links). Mark implementations ``@hookimpl(optionalhook=True)``
so that a plugin still loads when the email plugin is not enabled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from patron import PROJECT_NAME

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def patron_email_template_dirs(app: App) -> Sequence[str] | None:
    """Return folders holding this plugin's email templates (``NAME.txt`` and optional ``NAME.html``).

    Called once per ``patron email send`` or ``preview``. The operator's
    ``[plugins.email] template_dir`` is searched first, then these folders,
    then the email plugin's own examples, so an operator can override any
    contributed template by name.

    Call order: the contract's (LIFO); folders are searched in that order.

    :param app: the running app.
    :return: absolute folder paths, or None. Results of all plugins are concatenated.
    """


@hookspec
def patron_email_template_vars(
    app: App, session: Session, campaign: str, customer_ids: Sequence[int]
) -> Mapping[int, Mapping[str, Any]] | None:
    """Return per-recipient template variables for a batch of recipients (e.g. signed survey links).

    Called once per batch of a send or a preview, in a read transaction, before
    anything of the batch is claimed or sent; work set-based on ``customer_ids``.
    A template reads a plugin's variables under its plugin name:
    ``{{ nps.score_link_10 }}``. Values must be plain (str, int, float, bool,
    lists and dicts of those): templates run sandboxed.

    Call order: the contract's (LIFO); each result stays with its plugin.

    :param app: the running app (``patron.links.make_link`` builds signed links).
    :param session: the SQLAlchemy session of the batch's read transaction; do not write.
    :param campaign: the campaign name.
    :param customer_ids: the recipients of the batch.
    :return: customer id → variables, or None. A customer missing from the
        mapping gets an empty mapping. Each plugin's result is kept under its name.
    """
