"""PagerDuty, both ways: the Events API v2 sender, the V3 web hook source, and the integration's plug."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.integrations import Plug


def plug(deps: Deps) -> Plug:
    """Pages when PAGERDUTY_ROUTING_KEY is set; the inbound hook when PAGERDUTY_WEBHOOK_SECRET is."""
    from bot.integrations import Plug

    settings = deps.settings
    if settings.pagerduty_routing_key is None and settings.pagerduty_webhook_secret is None:
        return Plug()
    senders, subscribers, hooks = [], [], {}
    if settings.pagerduty_routing_key is not None:
        from bot.pagerduty.sender import PagerDutySender
        from bot.services.notifications import paging

        senders.append(PagerDutySender(settings))
        subscribers.append(paging.subscriber(settings))
    if settings.pagerduty_webhook_secret is not None:
        from bot.pagerduty.hook import PagerDutyHook

        hooks["pagerduty"] = PagerDutyHook(settings, deps.render.incidents, deps.clock)
    return Plug(senders=senders, hooks=hooks, subscribers=subscribers)
