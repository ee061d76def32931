"""Who a Jira account is in Slack when nobody said (`/remediate whoami jira`): the account's e-mail, as the
hook shows it or Jira answers for it (``GET /user``), matched with the Slack profile e-mails (users.list
shows them with the users:read.email scope). Asked only for an account the bot has not mapped yet."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from itertools import islice

from slack_sdk.errors import SlackApiError

from bot.core.trackers import issues
from bot.deps import Deps
from bot.jira.client import Jira
from storage import trackers as store

log = logging.getLogger(__name__)

USER_PAGES = 20  # users.list pages of 200 looked through at most
FORGET = 600.0  # seconds an account found to be nobody in Slack is not looked for again

# (Jira account id, its e-mail if the hook showed it) -> the Slack user id, or None.
FindUser = Callable[[str, str | None], str | None]


def user_finder(deps: Deps, client: Jira) -> FindUser:
    unknown: dict[str, float] = {}  # account -> when it was last found to be nobody in Slack

    def find(account: str, email: str | None) -> str | None:
        with deps.uow(readonly=True) as session:
            known = store.user_of(session, tracker=issues.JIRA, account=account)
        if known is not None:
            return known
        seen = unknown.get(account)
        if seen is not None and time.monotonic() - seen < FORGET:
            return None
        try:
            found = _look_up(account, email)
        except (SlackApiError, OSError) as exc:  # not an answer: look again next time
            log.warning("could not look for the Slack user of a Jira account: %s", type(exc).__name__)
            return None
        if found is None:
            unknown[account] = time.monotonic()
        return found

    def _look_up(account: str, email: str | None) -> str | None:
        if not email:
            answer = client.request("GET", "/user", params={"accountId": account})
            if answer.status == 429 or answer.status >= 500:
                raise OSError(f"Jira answered {answer.status}")
            if answer.ok and isinstance(answer.data, dict):
                email = str(answer.data.get("emailAddress") or "") or None
        if not email or "@" not in email:
            return None
        wanted = email.strip().lower()
        for page in islice(deps.client.users_list(limit=200), USER_PAGES):
            for member in page.get("members") or []:
                profile = member.get("profile") or {}
                if member.get("deleted") or member.get("is_bot"):
                    continue
                if str(profile.get("email") or "").strip().lower() == wanted:
                    return str(member["id"])
        return None

    return find
