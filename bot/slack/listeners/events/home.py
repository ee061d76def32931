"""app_home_opened: publish the user's Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.slack.ids import Event


def register(app: App, deps: Deps) -> None:
    @app.event(Event.APP_HOME_OPENED.value)
    def on_home_opened(event: dict[str, Any], client: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        view = {
            "type": "home",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Welcome to *remediate*."}}],
        }
        client.views_publish(user_id=event["user"], view=view)
