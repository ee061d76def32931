"""Every listener module, registered explicitly (no import-time side effects)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.deps import Deps


def register_listeners(app: App, deps: Deps) -> None:
    from bot.slack.listeners.actions import alerts as alert_actions
    from bot.slack.listeners.actions import extraction as extraction_actions
    from bot.slack.listeners.actions import incidents as incident_actions
    from bot.slack.listeners.actions import items as item_actions
    from bot.slack.listeners.commands import incident, remediate
    from bot.slack.listeners.events import files, home
    from bot.slack.listeners.shortcuts import track_message
    from bot.slack.listeners.views import alerts as alert_views
    from bot.slack.listeners.views import extraction as extraction_views
    from bot.slack.listeners.views import incidents as incident_views
    from bot.slack.listeners.views import items as item_views

    remediate.register(app, deps)
    incident.register(app, deps)
    incident_actions.register(app, deps)
    incident_views.register(app, deps)
    home.register(app, deps)
    item_actions.register(app, deps)
    item_views.register(app, deps)
    track_message.register(app, deps)
    alert_actions.register(app, deps)
    alert_views.register(app, deps)
    files.register(app, deps)
    extraction_actions.register(app, deps)
    extraction_views.register(app, deps)
