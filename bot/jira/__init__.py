"""Jira: the ``jira`` delivery destination, the ``/hooks/jira`` web hook and the subscriber that queues an
item's changes for its issue. Off unless JIRA_BASE_URL and JIRA_API_TOKEN are set (`plug`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.integrations import Plug

log = logging.getLogger(__name__)


def plug(deps: Deps) -> Plug:
    from bot.integrations import Plug
    from bot.jira.hook import JiraHook
    from bot.jira.lookup import client_of
    from bot.jira.sender import JiraSender
    from bot.services.trackers import outbound
    from bot.slack.blocks.trackers import not_planned_question

    settings = deps.settings
    if not settings.jira_tracker:
        return Plug()
    client = client_of(settings)
    try:
        answer = client.request("GET", "/myself")
        if answer.ok:
            log.info("Jira: %s answers with the configured credentials", settings.jira_base_url)
        else:
            reason = (
                f"Jira at start: {answer.status}: {answer.message()} (check JIRA_EMAIL and JIRA_API_TOKEN)"
            )
            log.error(reason)
            deps.metrics.last_permanent_failure = {
                **deps.metrics.last_permanent_failure,
                "jira": (reason, deps.now()),
            }
    except OSError as exc:
        log.warning("Jira could not be reached at start (%s); issues wait in the queue", type(exc).__name__)
    hooks = {}
    if settings.jira_webhook_secret is not None:
        hooks["jira"] = JiraHook(
            secret=settings.jira_webhook_secret.get_secret_value(),
            settings=settings,
            render=deps.render.items,
            ask_owner=not_planned_question,
        )
    return Plug(
        senders=[JiraSender(client=client, engine=deps.engine)],
        hooks=hooks,
        subscribers=[outbound.subscriber("jira", settings)],
    )
