"""Asking Jira for an existing issue (`/remediate link ID OPS-7`), with the configured credentials."""

from __future__ import annotations

from bot.config import Settings
from bot.core.trackers import issues
from bot.jira.client import Jira
from bot.services.trackers.links import FoundIssue


def client_of(settings: Settings, *, timeout: float = 10.0) -> Jira:
    if settings.jira_api_token is None or not settings.jira_base_url:
        raise LookupError("Jira is not set up for this bot.")
    return Jira(
        settings.jira_base_url,
        settings.jira_api_token.get_secret_value(),
        email=settings.jira_email,
        timeout=timeout,
    )


def find_issue(settings: Settings, ref: issues.IssueRef) -> FoundIssue:
    client = client_of(settings, timeout=2.0)
    try:
        answer = client.request(
            "GET", Jira.issue_path(ref.number), params={"fields": "status,updated,summary"}
        )
    except OSError:
        raise LookupError("Jira could not be reached; try again in a moment.") from None
    if answer.status == 404:
        raise LookupError(f"Jira has no issue {ref.number} (or the account cannot see it).")
    if not answer.ok or not isinstance(answer.data, dict):
        raise LookupError(f"Jira answered {answer.status} for {ref.number}: {answer.message()}")
    data = answer.data
    fields = data.get("fields") or {}
    key = str(data.get("key") or ref.number)
    category = str(((fields.get("status") or {}).get("statusCategory") or {}).get("key") or "")
    return FoundIssue(
        ref=issues.IssueRef(issues.JIRA, key.split("-")[0], key),
        url=client.browse(key),
        remote_id=str(data.get("id") or ""),
        state=category,
        updated_at=issues.parse_time(fields.get("updated")),
        title=str(fields.get("summary") or ""),
    )
