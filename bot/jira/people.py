"""Who a Jira account is in Slack when nobody said (`/remediate whoami jira`): the account's e-mail, as the
hook shows it or Jira answers for it (``GET /user``), matched with the Slack profile e-mails (users.list
shows them with the users:read.email scope). Asked only for an account the bot has not mapped yet."""

from __future__ import annotations

import logging
from collections.abc import Callable
from itertools import islice

from slack_sdk.errors import SlackApiError

from bot.core.trackers import issues
from bot.deps import Deps
from bot.jira.client import Jira
from storage import trackers as store

log = logging.getLogger(__name__)

USER_PAGES = 20  # users.list pages of 200 looked through at most

# (Jira account id, its e-mail if the hook showed it) -> the Slack user id, or None.
FindUser = Callable[[str, str | None], str | None]


def user_finder(deps: Deps, client: Jira) -> FindUser:
    def find(account: str, email: str | None) -> str | None:
        with deps.uow(readonly=True) as session:
            known = store.user_of(session, tracker=issues.JIRA, account=account)
        if known is not None:
            return known
        if not email:
            try:
                answer = client.request("GET", "/user", params={"accountId": account})
            except OSError:
                return None
            if answer.ok and isinstance(answer.data, dict):
                email = str(answer.data.get("emailAddress") or "") or None
        if not email or "@" not in email:
            return None
        wanted = email.strip().lower()
        try:
            for page in islice(deps.client.users_list(limit=200), USER_PAGES):
                for member in page.get("members") or []:
                    profile = member.get("profile") or {}
                    if member.get("deleted") or member.get("is_bot"):
                        continue
                    if str(profile.get("email") or "").strip().lower() == wanted:
                        return str(member["id"])
        except (SlackApiError, OSError) as exc:
            log.warning("users.list failed while looking for the owner of a Jira account: %s", exc)
        return None

    return find
