"""Signed outbound web hooks (CloudEvents 1.0): the sender, and the integration's plug."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.integrations import Plug


def plug(deps: Deps) -> Plug:
    """Outbound web hooks, when WEBHOOK_URLS is set (and signed: WEBHOOK_SECRET, checked at start)."""
    from bot.integrations import Plug
    from bot.services.notifications import webhooks
    from bot.webhooks.sender import WebhookSender

    settings = deps.settings
    if not settings.webhook_url_list or settings.webhook_secret is None:
        return Plug()
    return Plug(senders=[WebhookSender(settings)], subscribers=[webhooks.subscriber(settings)])
