"""E-mail over SMTP: the sender, and the integration's plug."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.integrations import Plug


def plug(deps: Deps) -> Plug:
    """E-mail when SMTP_HOST is set (EMAIL_FROM with it, checked at start)."""
    from bot.email.sender import EmailSender
    from bot.integrations import Plug
    from bot.services.notifications import mail

    settings = deps.settings
    if not settings.smtp_host:
        return Plug()
    return Plug(senders=[EmailSender(settings)], subscribers=[mail.subscriber(settings)])
