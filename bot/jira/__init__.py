"""Jira: the ``jira`` delivery destination, the ``/hooks/jira`` web hook and the subscriber that queues an
item's changes for its issue. Off unless JIRA_BASE_URL and JIRA_API_TOKEN are set (`plug`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.integrations import Plug

log = logging.getLogger(__name__)


def plug(deps: Deps) -> Plug:
    from bot.integrations import Plug
    from bot.jira.hook import JiraHook
    from bot.jira.lookup import client_of
    from bot.jira.people import user_finder
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
            clock=deps.now,
            find_user=user_finder(deps, client_of(settings, timeout=2.0)),
        )
    return Plug(
        senders=[JiraSender(client=client, engine=deps.engine, email_of=_slack_email(deps), tz=settings.tz)],
        hooks=hooks,
        subscribers=[outbound.subscriber("jira", settings)],
    )


def _slack_email(deps: Deps) -> Callable[[str], str | None]:
    """A Slack user's profile e-mail (users.info; Slack shows it with the users:read.email scope)."""
    client = deps.client

    def email_of(user_id: str) -> str | None:
        try:
            answer = client.users_info(user=user_id)
        except (SlackApiError, OSError) as exc:
            log.info("users.info %s for the Jira assignee failed: %s", user_id, type(exc).__name__)
            return None
        profile = (answer.get("user") or {}).get("profile") or {}
        email = profile.get("email")
        return email if isinstance(email, str) and "@" in email else None

    return email_of
