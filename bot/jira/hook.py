"""``POST /hooks/jira``: a Jira web hook registered with a secret (events: issue updated).

Verified before anything is read: ``X-Hub-Signature`` is ``sha256=`` and the HMAC-SHA256 of the raw body
under JIRA_WEBHOOK_SECRET (Jira's WebSub-style signature); ``X-Atlassian-Webhook-Identifier`` (the same on
Jira's retries) is the delivery id claimed once (without one, the body's digest is). ``jira:issue_updated``
with a changelog of status, assignee or due date is applied to the linked item
(`bot.services.trackers.inbound`); anything else is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core.trackers import issues
from bot.hooks.inbound import HookRequest, Refused
from bot.hooks.signatures import BadSignature
from bot.services.rendering import ItemMessages
from bot.services.trackers import inbound

MAX_BODY = 1024 * 1024
_DELIVERY = re.compile(r"[A-Za-z0-9:._-]{1,128}")
NOT_PLANNED_RESOLUTIONS = {
    "won't do",
    "won't fix",
    "wont do",
    "wont fix",
    "declined",
    "duplicate",
    "cannot reproduce",
}


def verify_jira(secret: str, *, signature: str | None, body: bytes) -> None:
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(expected, signature.strip()):
        raise BadSignature("X-Hub-Signature does not match")


@dataclass(frozen=True)
class Skipped:
    why: str


@dataclass
class JiraHook:
    secret: str
    settings: Settings
    render: ItemMessages
    ask_owner: inbound.AskOwner
    # The bot's clock, which the items' rules run on (`now` in `handle` is the wall clock the request arrived
    # by).
    clock: Callable[[], datetime] | None = None
    # The Slack user of a Jira account nobody mapped, by its e-mail (`bot.jira.people`); None: not looked for.
    find_user: Callable[[str, str | None], str | None] | None = None
    name: str = issues.JIRA
    max_body: int = MAX_BODY

    def verify(self, request: HookRequest) -> None:
        verify_jira(self.secret, signature=request.header("X-Hub-Signature"), body=request.body)

    def delivery_id(self, request: HookRequest) -> str:
        delivery = request.header("X-Atlassian-Webhook-Identifier") or ""
        if not delivery:  # a Jira that does not name its deliveries: the same body is the same delivery
            return "body-" + hashlib.sha256(request.body).hexdigest()[:40]
        if not _DELIVERY.fullmatch(delivery):
            raise Refused(400, "X-Atlassian-Webhook-Identifier missing or malformed")
        return delivery

    def parse(self, request: HookRequest) -> list[inbound.IssueChange] | Skipped:
        try:
            data = json.loads(request.body)
        except ValueError:
            raise Refused(400, "body is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("webhookEvent"), str):
            raise Refused(400, "webhookEvent missing")
        if data["webhookEvent"] != "jira:issue_updated":
            return Skipped(f"{data['webhookEvent'][:40]} is not used")
        issue = data.get("issue")
        if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
            raise Refused(400, "issue.key missing")
        raw_fields = issue.get("fields")
        fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
        key = issue["key"].upper()[:64]
        project = ((fields.get("project") or {}).get("key") or key.split("-")[0]).upper()
        updated = issues.parse_time(fields.get("updated"))
        if updated is None and isinstance(data.get("timestamp"), int):
            updated = datetime.fromtimestamp(data["timestamp"] / 1000).astimezone()
        actor = _account(data.get("user"))
        items = ((data.get("changelog") or {}).get("items")) or []
        changes: list[inbound.IssueChange] = []
        base = {
            "tracker": issues.JIRA,
            "project": project,
            "number": key,
            "updated_at": updated,
            "actor_account": actor,
        }
        for entry in items if isinstance(items, list) else []:
            if not isinstance(entry, dict):
                continue
            field = str(entry.get("fieldId") or entry.get("field") or "").lower()
            if field == "status":
                status = fields.get("status") or {}
                category = str((status.get("statusCategory") or {}).get("key") or "")
                if not category:  # an issue shown without its status: judge by the name it moved to
                    category = _category_of_name(str(entry.get("toString") or ""))
                resolution = str((fields.get("resolution") or {}).get("name") or "").lower()
                if category == issues.DONE:
                    action = (
                        inbound.NOT_PLANNED if resolution in NOT_PLANNED_RESOLUTIONS else inbound.COMPLETED
                    )
                elif category == issues.IN_FLIGHT:
                    action = inbound.STARTED
                elif category == issues.NEW:
                    action = inbound.REOPENED
                else:
                    continue
                changes.append(inbound.IssueChange(action=action, state=category, **base))
            elif field == "assignee" and (entry.get("to") or entry.get("tmpToAccountId")):
                account = str(entry.get("to") or entry.get("tmpToAccountId"))[:128]
                user = self._user_of(account, fields.get("assignee"))
                changes.append(
                    inbound.IssueChange(action=inbound.ASSIGNED, account=account, account_user=user, **base)
                )
            elif field == "duedate":
                due = _date(fields.get("duedate")) or _date(entry.get("to"))
                if due is not None:
                    changes.append(inbound.IssueChange(action=inbound.DUE, due=due, **base))
        if not changes:
            return Skipped("no change the bot follows")
        return changes

    def _user_of(self, account: str, shown: object) -> str | None:
        """The Slack user of a new assignee nobody mapped, by the e-mail the hook shows or Jira has."""
        if self.find_user is None:
            return None
        same = isinstance(shown, dict) and shown.get("accountId") == account
        email = shown.get("emailAddress") if same and isinstance(shown, dict) else None
        return self.find_user(account, email if isinstance(email, str) else None)

    def handle(self, session: Session, event: Any, now: datetime) -> dict[str, Any]:
        if isinstance(event, Skipped):
            return {"ignored": event.why}
        now = self.clock() if self.clock is not None else now
        results = [
            inbound.apply(
                session, c, now, settings=self.settings, render=self.render, ask_owner=self.ask_owner
            )
            for c in event
        ]
        out: dict[str, Any] = {"changes": len(results), "changed": any(r.get("changed") for r in results)}
        if all("ignored" in r for r in results):
            out["ignored"] = results[0]["ignored"]
        return out


def _category_of_name(name: str) -> str:
    lowered = name.strip().lower()
    if lowered in ("done", "closed", "resolved", "complete", "completed", "won't do", "cancelled"):
        return issues.DONE
    if lowered in ("to do", "open", "backlog", "reopened", "new", "selected for development"):
        return issues.NEW
    if lowered:
        return issues.IN_FLIGHT
    return ""


def _account(user: object) -> str | None:
    if isinstance(user, dict) and isinstance(user.get("accountId"), str):
        return user["accountId"][:128]
    return None


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
