"""/remediate: remediation items. Sub-commands are added by the feature modules below."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.slack.ids import Command
from bot.slack.listeners.commands import dashboard, extract, item_edits, items, trackers
from bot.slack.listeners.commands.base import listen
from bot.slack.router import SubcommandRouter


def build_router() -> SubcommandRouter:
    router = SubcommandRouter(Command.REMEDIATE.value, "/remediate — remediation items that ship")
    items.add_to(router)
    item_edits.add_to(router)
    extract.add_to(router)
    trackers.add_to(router)
    dashboard.add_to(router)
    return router


def register(app: App, deps: Deps) -> None:
    listen(app, deps, Command.REMEDIATE, build_router())
