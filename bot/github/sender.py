"""The ``github`` destination: each queued change of a linked item becomes one GitHub REST call.

Methods: ``create`` (POST the issue; then its number and URL are recorded on the item's link), ``update``
(PATCH the issue's fields: state, assignees, labels, body) and ``comment``. Changes of one item go in order
(their pace key); one queued before the issue exists waits for it (Defer). GitHub has no idempotency key, so
a creation tried again after an answer that never came first looks for the issue it may have made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.trackers import issues
from bot.delivery.worker import Defer, Delivery, Permanent, Retry
from bot.github.client import GitHub, outcome
from bot.services.trackers import landing
from storage.db import unit_of_work


@dataclass
class GitHubSender:
    client: GitHub
    engine: Engine
    destination: str = issues.GITHUB
    min_interval: float = 0.0
    max_attempts: int | None = None

    def send(self, delivery: Delivery, now: datetime) -> dict[str, Any]:
        payload = delivery.payload
        item_id = str(payload["item_id"])
        try:
            if delivery.method == "create":
                return self._create(payload, now, retried=delivery.attempts > 0)
            where = self._target(item_id)
            if where is None:
                return {"skipped": "no longer linked"}
            repository, number = where
            if delivery.method == "update":
                answer = self.client.request(
                    "PATCH", GitHub.issue_path(repository, number), payload["fields"]
                )
                outcome(answer, now, f"updating {repository}#{number}")
                return _issue(answer.data)
            if delivery.method == "comment":
                path = GitHub.issue_path(repository, number) + "/comments"
                answer = self.client.request("POST", path, {"body": payload["body"]})
                outcome(answer, now, f"commenting on {repository}#{number}")
                return {"comment": (answer.data or {}).get("id")}
        except OSError as exc:
            raise Retry(None, f"GitHub unreachable: {type(exc).__name__}") from exc
        raise Permanent(f"unknown GitHub method {delivery.method}")

    def _create(self, payload: dict[str, Any], now: datetime, *, retried: bool) -> dict[str, Any]:
        repository = str(payload["repository"])
        if retried:
            found = self._already_created(repository, str(payload["title"]), now)
            if found is not None:
                return found
        body = {k: payload[k] for k in ("title", "body", "labels", "assignees")}
        answer = self.client.request("POST", GitHub.issue_path(repository), body)
        if answer.status == 422 and body["assignees"]:
            # The login cannot be assigned in that repository: create the issue unassigned rather than not.
            answer = self.client.request("POST", GitHub.issue_path(repository), {**body, "assignees": []})
        outcome(answer, now, f"creating an issue in {repository}")
        return _issue(answer.data)

    def _already_created(self, repository: str, title: str, now: datetime) -> dict[str, Any] | None:
        answer = self.client.request(
            "GET",
            GitHub.issue_path(repository),
            params={
                "state": "all",
                "labels": issues.LABEL,
                "sort": "created",
                "direction": "desc",
                "per_page": 100,
            },
        )
        if answer.status in (400, 404, 405, 410, 422):
            return None  # the list cannot be read (e.g. an API without filters): create, as on a first try
        outcome(answer, now, f"listing the issues of {repository}")
        if not isinstance(answer.data, list):
            return None
        for found in answer.data:
            if isinstance(found, dict) and found.get("title") == title and "pull_request" not in found:
                return _issue(found)
        return None

    def _target(self, item_id: str) -> tuple[str, str] | None:
        with unit_of_work(self.engine, readonly=True) as session:
            where = landing.target(session, tracker=issues.GITHUB, item_id=item_id)
        if not where.linked:
            return None
        if where.number is None:
            if where.create_failed:
                raise Permanent(f"the GitHub issue of {item_id} was never created")
            raise Defer()
        return where.project, where.number

    def sent(self, session: Session, delivery: Delivery, result: dict[str, Any], now: datetime) -> None:
        if delivery.method == "create" and result.get("number"):
            landing.created(
                session,
                tracker=issues.GITHUB,
                item_id=str(delivery.payload["item_id"]),
                number=str(result["number"]),
                url=str(result.get("html_url") or ""),
                remote_id=str(result.get("id") or ""),
                state=str(result.get("state") or "open"),
                updated_at=issues.parse_time(result.get("updated_at")),
                now=now,
            )

    def describe(self, delivery: Delivery) -> str:
        return f"{delivery.method} issue of {delivery.payload.get('item_id')}"

    def hold(self, session: Session, deliveries: list[Delivery], now: datetime) -> dict[int, datetime]:
        return {}


def _issue(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    return {k: data.get(k) for k in ("id", "number", "html_url", "state", "updated_at")}
