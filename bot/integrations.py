"""Which integrations run, decided from the settings: the composition root asks here for every
destination's delivery sender, every signed inbound hook, every subscriber to item and incident events and
every web page, so adding an integration is one module of its own and one line in `PLUGS`.

An integration that is not configured (no token, no URL) contributes nothing: nothing is queued for it,
its hook answers 404 and no thread runs for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.worker import Sender
from bot.deps import Deps
from bot.hooks.inbound import HookSource
from bot.services.events import Subscriber

# A WSGI application serving the paths under one prefix (e.g. the dashboard under /dashboard).
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


@dataclass(frozen=True)
class Plug:
    """What one integration adds to a running bot."""

    senders: Sequence[Sender] = ()
    hooks: Mapping[str, HookSource] = field(default_factory=dict)
    subscribers: Sequence[Subscriber] = ()
    pages: Mapping[str, WsgiApp] = field(default_factory=dict)  # path prefix -> app


Integration = Callable[[Deps], Plug]


def _plugs() -> list[Integration]:
    """Every integration, in the order its subscribers hear each event. Imported here, not at the top, so
    that a bot without an integration's settings never loads its client."""
    names = (
        "bot.ci.hook",  # CI test reports
        "bot.pagerduty",  # PagerDuty, e-mail, outbound web hooks
        "bot.email",
        "bot.webhooks",
        "bot.github",  # issue trackers
        "bot.jira",
    )
    # By name: the plug modules import Plug from here.
    plugs: list[Integration] = [importlib.import_module(name).plug for name in names]
    plugs.append(lambda deps: Plug(pages=importlib.import_module("bot.dashboard").pages(deps)))  # dashboard
    return plugs


@dataclass(frozen=True)
class Wiring:
    senders: tuple[Sender, ...]
    hooks: dict[str, HookSource]
    subscribers: tuple[Subscriber, ...]
    pages: dict[str, WsgiApp]

    @property
    def largest_hook_body(self) -> int:
        return max((h.max_body for h in self.hooks.values()), default=0)


def wire(deps: Deps, plugs: Sequence[Integration] | None = None) -> Wiring:
    """Collect what every configured integration adds (`plugs`: all of them by default)."""
    found = [plug(deps) for plug in (_plugs() if plugs is None else plugs)]
    return Wiring(
        senders=tuple(s for p in found for s in p.senders),
        hooks={name: h for p in found for name, h in p.hooks.items()},
        subscribers=tuple(s for p in found for s in p.subscribers),
        pages={prefix: app for p in found for prefix, app in p.pages.items()},
    )
