"""``POST /hooks/github``: the repository web hook (content type application/json, events: Issues).

Verified before anything is read: ``X-Hub-Signature-256`` is ``sha256=`` and the HMAC-SHA256 of the raw
body under GITHUB_WEBHOOK_SECRET; ``X-GitHub-Delivery`` (a GUID, the same on GitHub's redelivery) is the
delivery id claimed once; ``X-GitHub-Event`` names the event: ``ping`` is answered, ``issues`` (closed,
reopened, assigned) is applied to the linked item (`bot.services.trackers.inbound`), any other is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from sqlmodel import Session

from bot.config import Settings
from bot.core.trackers import issues
from bot.hooks.inbound import HookRequest, Refused
from bot.hooks.signatures import verify_github
from bot.services.rendering import ItemMessages
from bot.services.trackers import inbound

MAX_BODY = 1024 * 1024  # issue events are a few KB; GitHub caps any payload at 25 MB
_DELIVERY = re.compile(r"[A-Za-z0-9-]{1,64}")
_EVENT = re.compile(r"[a-z_]{1,64}")
ACTIONS = {"closed", "reopened", "assigned"}


@dataclass(frozen=True)
class Ping:
    zen: str = ""


@dataclass(frozen=True)
class Skipped:
    why: str


@dataclass
class GitHubHook:
    secret: str
    settings: Settings
    render: ItemMessages
    ask_owner: inbound.AskOwner
    # The bot's clock, which the items' rules run on (`now` in `handle` is the wall clock the request arrived
    # by, what a signature's freshness is judged on).
    clock: Callable[[], datetime] | None = None
    name: str = issues.GITHUB
    max_body: int = MAX_BODY

    def verify(self, request: HookRequest) -> None:
        verify_github(self.secret, signature=request.header("X-Hub-Signature-256"), body=request.body)

    def delivery_id(self, request: HookRequest) -> str:
        delivery = request.header("X-GitHub-Delivery") or ""
        if not _DELIVERY.fullmatch(delivery):
            raise Refused(400, "X-GitHub-Delivery missing or malformed")
        return delivery

    def parse(self, request: HookRequest) -> inbound.IssueChange | Ping | Skipped:
        kind = request.header("X-GitHub-Event") or ""
        if not _EVENT.fullmatch(kind):
            raise Refused(400, "X-GitHub-Event missing or malformed")
        try:
            data = json.loads(_payload(request))
        except ValueError:
            raise Refused(400, "body is not JSON") from None
        if not isinstance(data, dict):
            raise Refused(400, "body is not a JSON object")
        if kind == "ping":
            return Ping(str(data.get("zen") or ""))
        if kind != "issues":
            return Skipped(f"{kind} events are not used")
        action = data.get("action")
        issue, repo = data.get("issue"), data.get("repository")
        if not isinstance(action, str) or not isinstance(issue, dict) or not isinstance(repo, dict):
            raise Refused(400, "an issues event needs action, issue and repository")
        number, full_name = issue.get("number"), repo.get("full_name")
        if not isinstance(number, int) or isinstance(number, bool) or not isinstance(full_name, str):
            raise Refused(400, "issue.number or repository.full_name missing")
        if action not in ACTIONS:
            return Skipped(f"issues.{action[:40]} is not used")
        if "pull_request" in issue:
            return Skipped("a pull request")
        change = {
            "closed": inbound.NOT_PLANNED
            if issue.get("state_reason") in ("not_planned", "duplicate")
            else inbound.COMPLETED,
            "reopened": inbound.REOPENED,
            "assigned": inbound.ASSIGNED,
        }[action]
        assignee = data.get("assignee")
        sender = data.get("sender")
        return inbound.IssueChange(
            tracker=issues.GITHUB,
            project=full_name,
            number=str(number),
            action=change,
            updated_at=issues.parse_time(issue.get("updated_at")),
            account=_login(assignee),
            actor_account=_login(sender),
            state=str(issue.get("state") or "")[:64],
        )

    def handle(self, session: Session, event: Any, now: datetime) -> dict[str, Any]:
        if isinstance(event, Ping):
            return {"pong": True}
        if isinstance(event, Skipped):
            return {"ignored": event.why}
        return inbound.apply(
            session,
            event,
            self.clock() if self.clock is not None else now,
            settings=self.settings,
            render=self.render,
            ask_owner=self.ask_owner,
        )


def _payload(request: HookRequest) -> bytes | str:
    """The JSON of the event: the body, or its ``payload`` field when the hook was set up with the content
    type application/x-www-form-urlencoded (the signature covers the raw body either way)."""
    kind = (request.header("content-type") or "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        found = parse_qs(request.body.decode("utf-8", errors="replace")).get("payload")
        if not found:
            raise Refused(400, "a form-encoded hook needs its payload field")
        return found[0]
    return request.body


def _login(user: object) -> str | None:
    if isinstance(user, dict) and isinstance(user.get("login"), str):
        return user["login"].lower()[:128]
    return None
