"""app_home_opened: publish the person's Home tab (their items, items to validate, team counts)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.services.items.reports import home_data
from bot.slack.blocks.items.lists import home_view
from bot.slack.ids import Event


def register(app: App, deps: Deps) -> None:
    @app.event(Event.APP_HOME_OPENED.value)
    def on_home_opened(event: dict[str, Any], client: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        view = home_view(home_data(deps, user_id=user_id), deps.now())
        client.views_publish(user_id=user_id, view=view)
