"""Asking GitHub for an existing issue (`/remediate link ID <URL>`), with the configured token."""

from __future__ import annotations

from bot.config import Settings
from bot.core.trackers import issues
from bot.github.client import GitHub
from bot.services.trackers.links import FoundIssue


def client_of(settings: Settings) -> GitHub:
    if settings.github_token is None:
        raise LookupError("GitHub is not set up for this bot.")
    return GitHub(settings.github_api_url, settings.github_token.get_secret_value(), timeout=2.0)


def find_issue(settings: Settings, ref: issues.IssueRef) -> FoundIssue:
    try:
        answer = client_of(settings).request("GET", GitHub.issue_path(ref.project, ref.number))
    except OSError:
        raise LookupError("GitHub could not be reached; try again in a moment.") from None
    if answer.status == 404:
        raise LookupError(f"GitHub has no issue {ref.project}#{ref.number} (or the token cannot see it).")
    if not answer.ok or not isinstance(answer.data, dict):
        raise LookupError(
            f"GitHub answered {answer.status} for {ref.project}#{ref.number}: {answer.message()}"
        )
    data = answer.data
    if "pull_request" in data:
        raise LookupError(f"{ref.project}#{ref.number} is a pull request, not an issue.")
    repo = (data.get("repository_url") or "").rsplit("/repos/", 1)[-1] or ref.project
    return FoundIssue(
        ref=issues.IssueRef(issues.GITHUB, repo if "/" in repo else ref.project, str(data.get("number"))),
        url=str(data.get("html_url") or ""),
        remote_id=str(data.get("id") or ""),
        state=str(data.get("state") or ""),
        updated_at=issues.parse_time(data.get("updated_at")),
        title=str(data.get("title") or ""),
    )
