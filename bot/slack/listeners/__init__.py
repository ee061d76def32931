"""Every listener module, registered explicitly (no import-time side effects)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.deps import Deps

# In the order they are registered; each module under this package has a `register(app, deps)`.
LISTENERS = (
    "commands.remediate",
    "commands.incident",
    "actions.incidents",
    "views.incidents",
    "events.home",
    "actions.items",
    "views.items",
    "shortcuts.track_message",
    "shortcuts.extract_thread",
    "actions.alerts",
    "views.alerts",
    "events.files",
    "actions.extraction",
    "views.extraction",
    "actions.trackers",
)


def register_listeners(app: App, deps: Deps) -> None:
    for name in LISTENERS:
        import_module(f"{__name__}.{name}").register(app, deps)
