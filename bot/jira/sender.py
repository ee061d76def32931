"""The ``jira`` destination: each queued change of a linked item becomes Jira REST calls.

Methods: ``create`` (POST the issue; its key and browse URL are then recorded on the item's link),
``update`` (PUT fields: due date, priority), ``assign`` (PUT the assignee: the owner's account, found by
their Slack profile e-mail when nobody told the bot, or nobody), ``transition`` (to a status of the
category the item's status asks for: new, indeterminate or done, through the workflow's transitions) and
``comment``. A creation
tried again after an answer that never came first looks for the issue by the item's label.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.core.trackers import issues
from bot.delivery.worker import Defer, Delivery, Permanent, Retry
from bot.jira.client import Jira, outcome
from bot.services.trackers import landing, outbound
from storage import items as item_store
from storage import trackers as store
from storage.db import unit_of_work
from storage.models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class JiraSender:
    client: Jira
    engine: Engine
    destination: str = issues.JIRA
    min_interval: float = 0.0
    max_attempts: int | None = None
    # A Slack user's profile e-mail (users.info), None when Slack does not say: how owners nobody mapped
    # are found in Jira (`/user/search`).
    email_of: Callable[[str], str | None] | None = None
    tz: tzinfo = UTC  # the zone of due dates (TZ)

    def send(self, delivery: Delivery, now: datetime) -> dict[str, Any]:
        payload = delivery.payload
        item_id = str(payload["item_id"])
        try:
            if delivery.method == "create":
                return self._create(item_id, payload, now, retried=delivery.attempts > 0)
            key = self._key(item_id)
            if key is None:
                return {"skipped": "no longer linked"}
            later = self._superseded(delivery)
            if later is not None:
                log.info("%s of %s not sent to %s: %s", delivery.method, item_id, key, later)
                return {"key": key, "skipped": later}
            if delivery.method == "update":
                fields = {k: self._text(v) if k == "description" else v for k, v in payload["fields"].items()}
                answer = self.client.request("PUT", Jira.issue_path(key), {"fields": fields})
                outcome(answer, now, f"updating {key}")
                return {"key": key}
            if delivery.method == "assign":
                return self._assign(key, payload, now)
            if delivery.method == "transition":
                return self._transition(key, str(payload["category"]), now)
            if delivery.method == "comment":
                body = self._text(payload["body"])
                answer = self.client.request("POST", Jira.issue_path(key) + "/comment", {"body": body})
                outcome(answer, now, f"commenting on {key}")
                return {"key": key, "comment": (answer.data or {}).get("id")}
        except OSError as exc:
            raise Retry(None, f"Jira unreachable: {type(exc).__name__}") from exc
        raise Permanent(f"unknown Jira method {delivery.method}")

    def _text(self, adf: Any) -> Any:
        """ADF for Cloud (v3); its plain text for Data Center (v2)."""
        return adf if self.client.cloud else issues.adf_plain(adf)

    def _create(
        self, item_id: str, payload: dict[str, Any], now: datetime, *, retried: bool
    ) -> dict[str, Any]:
        if retried:
            answer = self.client.request(
                "POST",
                "/search/jql" if self.client.cloud else "/search",
                {"jql": f'labels = "{issues.item_label(item_id)}"', "fields": ["key"], "maxResults": 1},
            )
            found: list[Any] = []
            # 4xx: no search here (or not this one): create it, as the first try meant to.
            if answer.status not in (400, 404, 405, 410):
                outcome(answer, now, "looking for an issue created before")
                found = (answer.data or {}).get("issues") or []
            if found and isinstance(found[0], dict) and found[0].get("key"):
                return self._created(found[0])
        fields = dict(payload["fields"])
        person: dict[str, Any] = {}
        unmapped = payload.get("unmapped") or {}
        if unmapped and "assignee" not in fields:
            account = self._account_by_email(str(unmapped["owner_id"]), now)
            if account:
                fields["assignee"] = self._person(account)
                person = {"mapped": account, "owner_id": unmapped["owner_id"]}
            else:
                fields["description"] = unmapped["description"]
                person = {"unassigned": unmapped["owner_id"]}
        fields["description"] = self._text(fields.get("description"))
        if not self.client.cloud and "accountId" in (fields.get("assignee") or {}):
            fields["assignee"] = self._person(fields["assignee"].get("accountId"))
        answer = self.client.request("POST", "/issue", {"fields": fields})
        if answer.status == 400 and "assignee" in fields and "assignee" in answer.message().lower():
            fields.pop(
                "assignee"
            )  # the account cannot be assigned there: create it unassigned rather than not
            answer = self.client.request("POST", "/issue", {"fields": fields})
        outcome(answer, now, f"creating an issue in {fields.get('project', {}).get('key')}")
        return {**self._created(answer.data or {}), **person}

    def _account_by_email(self, user_id: str, now: datetime) -> str | None:
        """The Jira account whose e-mail is the Slack user's profile e-mail, if exactly one has it."""
        email = self.email_of(user_id) if self.email_of is not None else None
        if not email:
            return None
        params = {"query": email} if self.client.cloud else {"username": email}
        answer = self.client.request("GET", "/user/search", params=params)
        if not answer.ok and answer.status not in (401, 429) and answer.status < 500:
            # e.g. 403 without Browse users and groups: the issue is made unassigned rather than not at all
            log.warning("Jira refused to search people (%s): %s", answer.status, answer.message())
            return None
        outcome(answer, now, "looking for a person by e-mail")
        users = [u for u in answer.data or [] if isinstance(u, dict) and u.get(self._id)]
        exact = [u for u in users if str(u.get("emailAddress") or "").lower() == email.lower()]
        chosen = exact or (users if len(users) == 1 else [])
        if len(chosen) != 1 or chosen[0].get("active") is False:
            return None
        return str(chosen[0][self._id])

    @property
    def _id(self) -> str:
        """What names a person: Cloud's account id, Data Center's user name."""
        return "accountId" if self.client.cloud else "name"

    def _person(self, account: str | None) -> dict[str, Any] | None:
        return {self._id: account} if account else None

    def _assign(self, key: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
        account = payload.get("account")
        result: dict[str, Any] = {"key": key}
        owner = payload.get("owner_id")
        if not account and owner:
            account = self._account_by_email(str(owner), now)
            result.update({"mapped": account, "owner_id": owner} if account else {"unassigned": owner})
        answer = self.client.request("PUT", Jira.issue_path(key) + "/assignee", {self._id: account})
        if answer.status in (404, 405):  # no assignee resource here: the field, as an edit
            answer = self.client.request(
                "PUT",
                Jira.issue_path(key),
                {"fields": {"assignee": self._person(account)}},
            )
        outcome(answer, now, f"assigning {key}")
        return result

    def _created(self, data: dict[str, Any]) -> dict[str, Any]:
        key = str(data.get("key") or "")
        return {
            "id": str(data.get("id") or ""),
            "key": key,
            "url": self.client.browse(key) if key else "",
        }

    def _transition(self, key: str, category: str, now: datetime) -> dict[str, Any]:
        answer = self.client.request("GET", Jira.issue_path(key), params={"fields": "status"})
        outcome(answer, now, f"reading {key}")
        status = ((answer.data or {}).get("fields") or {}).get("status") or {}
        if (status.get("statusCategory") or {}).get("key") == category:
            return {"key": key, "already": status.get("name")}
        answer = self.client.request("GET", Jira.issue_path(key) + "/transitions")
        outcome(answer, now, f"reading the transitions of {key}")
        options = [t for t in (answer.data or {}).get("transitions") or [] if isinstance(t, dict)]
        chosen = next(
            (t for t in options if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == category),
            None,
        )
        if chosen is None:
            names = ", ".join(str(t.get("name")) for t in options) or "none"
            raise Permanent(
                f"{key} has no transition to a '{category}' status from here (it offers: {names})"
            )
        answer = self.client.request(
            "POST", Jira.issue_path(key) + "/transitions", {"transition": {"id": str(chosen.get("id"))}}
        )
        outcome(answer, now, f"transitioning {key}")
        return {"key": key, "to": (chosen.get("to") or {}).get("name")}

    def _superseded(self, delivery: Delivery) -> str | None:
        """Why this change is not sent: Jira changed the same field after the last change Slack made to it
        (the item shows Jira's value, not the one the last of Slack's queued changes sends), so the latest
        change, Jira's, stands. Changes made in Slack one after the other are all sent, in order."""
        field = _field(delivery.method, delivery.payload)
        if field is None:
            return None
        with unit_of_work(self.engine, readonly=True) as session:
            row = item_store.get_item(session, item_id=str(delivery.payload["item_id"]))
            if row is None:
                return None
            later = session.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.destination) == self.destination,
                    col(OutboxMessage.channel_key) == delivery.pace_key,
                    col(OutboxMessage.status) == "pending",
                    col(OutboxMessage.id) > delivery.id,
                )
            ).all()
            last = next(
                (
                    m
                    for m in sorted(later, key=lambda m: m.id or 0, reverse=True)
                    if _field(m.method, m.payload) == field
                ),
                None,
            )
            wanted = _value(field, last.payload if last is not None else delivery.payload)
            if field == "owner":
                now_is: str | None = row.owner_id
            elif field == "duedate":
                now_is = row.deadline.astimezone(self.tz).date().isoformat()
            else:
                now_is = issues.jira_category(row.status)
        if now_is is None or wanted == now_is:
            return None
        return "changed in Jira since; the latest change stands"

    def _key(self, item_id: str) -> str | None:
        with unit_of_work(self.engine, readonly=True) as session:
            where = landing.target(session, tracker=issues.JIRA, item_id=item_id)
        if not where.linked:
            return None
        if where.number is None:
            if where.create_failed:
                raise Permanent(f"the Jira issue of {item_id} was never created")
            raise Defer()
        return where.number

    def sent(self, session: Session, delivery: Delivery, result: dict[str, Any], now: datetime) -> None:
        item_id = str(delivery.payload["item_id"])
        if result.get("mapped") and result.get("owner_id"):
            user_id, account = str(result["owner_id"]), str(result["mapped"])
            if store.account_of(session, tracker=issues.JIRA, user_id=user_id) is None and (
                store.user_of(session, tracker=issues.JIRA, account=account) is None
            ):
                store.set_person(
                    session, tracker=issues.JIRA, user_id=user_id, account=account, set_by="email", now=now
                )
        elif result.get("unassigned"):
            outbound.tell_unmapped(
                session, tracker=issues.JIRA, user_id=str(result["unassigned"]), item_id=item_id, now=now
            )
        if delivery.method == "create" and result.get("key"):
            landing.created(
                session,
                tracker=issues.JIRA,
                item_id=str(delivery.payload["item_id"]),
                number=str(result["key"]),
                url=str(result.get("url") or ""),
                remote_id=str(result.get("id") or ""),
                state=issues.NEW,
                updated_at=None,
                now=now,
            )

    def describe(self, delivery: Delivery) -> str:
        return f"{delivery.method} issue of {delivery.payload.get('item_id')}"

    def hold(self, session: Session, deliveries: list[Delivery], now: datetime) -> dict[int, datetime]:
        return {}


def _field(method: str, payload: dict[str, Any]) -> str | None:
    """Which field of the issue a queued change sets, among those Jira may change too."""
    if method == "assign" and "owner_id" in payload:
        return "owner"
    if method == "update" and "duedate" in (payload.get("fields") or {}):
        return "duedate"
    if method == "transition":
        return "status"
    return None


def _value(field: str, payload: dict[str, Any]) -> str | None:
    if field == "owner":
        return payload.get("owner_id")
    if field == "duedate":
        return (payload.get("fields") or {}).get("duedate")
    return payload.get("category")
