"""What every slash-command listener does: build the context, route (once per trigger_id, `bot.slack.dedupe`),
ack with the reply, count it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack import dedupe
from bot.slack.ids import Command
from bot.slack.response_urls import slack_response_url
from bot.slack.router import CommandContext, SubcommandRouter


def handle_command(
    router: SubcommandRouter, deps: Deps, ack: Any, command: dict[str, Any], client: WebClient
) -> None:
    sub, rest = router.split(command.get("text", ""))
    ctx = CommandContext(
        deps=deps,
        client=client,
        command=router.command,
        subcommand=sub,
        args=rest,
        user_id=command["user_id"],
        user_name=command.get("user_name", ""),
        channel_id=command.get("channel_id", ""),
        team_id=command.get("team_id", ""),
        trigger_id=command.get("trigger_id"),
        response_url=slack_response_url(command.get("response_url"), api_url=deps.settings.slack_api_url),
    )
    reply = dedupe.command_once(deps, ctx.trigger_id, lambda: router.dispatch(ctx))
    known = router.resolve(sub)
    outcome = "refused" if reply is not None and reply.refused else "ok"
    deps.metrics.commands.labels(
        command=router.command, subcommand=known.name if known else "help", outcome=outcome
    ).inc()
    if reply is None:
        ack()
    else:
        ack(**reply.as_ack())


def listen(app: App, deps: Deps, name: Command, router: SubcommandRouter) -> None:
    """Answer the slash command `name` with `router`."""

    @app.command(name.value)
    def on_command(ack, command, client):  # type: ignore[no-untyped-def]
        handle_command(router, deps, ack, command, client)
