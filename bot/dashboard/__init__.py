"""The web dashboard: a read-only web application served under /dashboard by the bot's HTTP server (and by
`remediate scheduler`'s), for whoever signed in with a link from `/remediate dashboard`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.deps import Deps

PREFIX = "/dashboard"


def pages(deps: Deps) -> dict[str, Any]:
    """The dashboard's pages by path prefix when DASHBOARD_URL (or PUBLIC_URL) is set; none otherwise."""
    if not deps.settings.dashboard_base:
        return {}
    from bot.dashboard.app import make_app

    return {PREFIX: make_app(deps, prefix=PREFIX)}
