"""GitHub Issues: the ``github`` delivery destination, the ``/hooks/github`` web hook and the subscriber that
queues an item's changes for its issue. Off unless GITHUB_TOKEN is set (`plug`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.integrations import Plug

log = logging.getLogger(__name__)


def plug(deps: Deps) -> Plug:
    from bot.github.client import GitHub
    from bot.github.hook import GitHubHook
    from bot.github.sender import GitHubSender
    from bot.integrations import Plug
    from bot.services.trackers import outbound
    from bot.slack.blocks.trackers import not_planned_question

    settings = deps.settings
    if settings.github_token is None:
        return Plug()
    client = GitHub(settings.github_api_url, settings.github_token.get_secret_value())
    check_access(deps, client)
    hooks = {}
    if settings.github_webhook_secret is not None:
        hooks["github"] = GitHubHook(
            secret=settings.github_webhook_secret.get_secret_value(),
            settings=settings,
            render=deps.render.items,
            ask_owner=not_planned_question,
            clock=deps.now,
        )
    return Plug(
        senders=[GitHubSender(client=client, engine=deps.engine)],
        hooks=hooks,
        subscribers=[outbound.subscriber("github", settings)],
    )


def check_access(deps: Deps, client: object) -> bool:
    """One cheap authenticated call at start (the repository): a wrong token or repository is logged once at
    ERROR and shown in /healthz?detail=1, and the bot starts anyway (changes wait in the queue)."""
    from bot.github.client import GitHub

    assert isinstance(client, GitHub)
    repository = deps.settings.github_repository
    try:
        answer = client.request("GET", f"/repos/{repository}")
    except OSError as exc:
        log.warning("GitHub could not be reached at start (%s); issues wait in the queue", type(exc).__name__)
        return False
    if answer.ok:
        log.info("GitHub: %s is reachable with the token", repository)
        return True
    reason = f"GitHub at start: {answer.status} for {repository}: {answer.message()} (check GITHUB_TOKEN)"
    log.error(reason)
    deps.metrics.last_permanent_failure = {
        **deps.metrics.last_permanent_failure,
        "github": (reason, deps.now()),
    }
    return False
