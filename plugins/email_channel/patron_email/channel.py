"""The email implementation of the core's ``Channel`` contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patron.app import App
    from patron.contracts import Audience, SendSummary


class EmailChannel:
    """Sends a template to the consenting, unsuppressed members of an audience (see ``sending``)."""

    name = "email"
    description = "Email over SMTP: consent and suppression checked per recipient, at most once per campaign."
    consent_channel = "email"

    def send(
        self,
        app: App,
        *,
        campaign: str,
        audience: Audience,
        template: str,
        purpose: str,
        dry_run: bool = False,
        limit: int | None = None,
        resend_unknown: bool = False,
    ) -> SendSummary:
        """Send ``template`` to every consenting member of ``audience`` under ``campaign``.

        Extra keywords beyond the contract: ``limit`` (at most this many messages
        in this run) and ``resend_unknown`` (resend messages whose delivery is
        unknown after a crash; may duplicate those).
        """
        from patron_email.config import EmailConfig
        from patron_email.sending import CampaignRun

        config = app.plugin_config("email")
        assert isinstance(config, EmailConfig)
        run = CampaignRun(
            app,
            config,
            campaign=campaign,
            audience=audience,
            template=template,
            purpose=purpose,
            limit=limit,
            resend_unknown=resend_unknown,
        )
        return run.dry_run() if dry_run else run.run()
