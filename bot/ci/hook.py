"""``POST /hooks/ci``: a CI job's test results, signed with CI_WEBHOOK_SECRET (the v0 scheme of
`bot.hooks.signatures`: ``X-Remediate-Timestamp`` within 5 minutes and ``X-Remediate-Signature``).

The delivery id is the report's identity (repository, run URL, commit), so the same results sent twice,
even signed afresh, have one effect. The body may be up to 5 MB (a large suite's JUnit XML).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.ci.junit import BadReport
from bot.ci.report import MAX_BODY, parse_report
from bot.core.evidence.reports import TestReport
from bot.deps import Deps
from bot.hooks.inbound import HookRequest, Refused
from bot.hooks.signatures import BadSignature, verify_v0
from bot.integrations import Plug
from bot.services.evidence.reports import take_report
from bot.services.people.admins import admin_ids

NAME = "ci"


@dataclass(frozen=True)
class Received:
    """A verified report, with the admins (validator candidates) looked up before the unit of work: the
    members of ADMIN_USERGROUP come from Slack, which is never asked while a transaction is open."""

    report: TestReport
    admins: Collection[str]


class CiHook:
    name = NAME
    max_body = MAX_BODY

    def __init__(self, deps: Deps, secret: str):
        self._deps = deps
        self._secret = secret
        # The report parsed for a request, until its delivery id is asked for (parsed once, not twice).
        self._parsed: dict[int, tuple[HookRequest, Received]] = {}

    def verify(self, request: HookRequest) -> None:
        """Signed with our secret, stamped within 5 minutes of the arrival (the wall clock a CI job signs by)
        or of the bot's own now (the same clock in production; a moved one in a rehearsal or a test)."""
        for n, now in enumerate((request.received_at, self._deps.now())):
            try:
                verify_v0(
                    self._secret,
                    timestamp=request.header("X-Remediate-Timestamp"),
                    signature=request.header("X-Remediate-Signature"),
                    body=request.body,
                    now=now,
                )
                return
            except BadSignature:
                if n == 1 or abs(now - self._deps.now()) < timedelta(seconds=1):
                    raise

    def parse(self, request: HookRequest) -> Received:
        try:
            report = parse_report(request.body)
        except BadReport as exc:
            raise Refused(400, str(exc)) from None
        received = Received(report, admin_ids(self._deps))
        self._parsed[id(request)] = (request, received)
        return received

    def delivery_id(self, request: HookRequest) -> str:
        kept = self._parsed.pop(id(request), None)
        received = kept[1] if kept is not None and kept[0] is request else self.parse(request)
        self._parsed.pop(id(request), None)
        return received.report.key

    def handle(self, session: Session, event: Received, now: datetime) -> dict[str, Any]:
        # `now` is when the request arrived (the wall clock its signature is judged by); the items' rules run
        # on the bot's own clock, like every other change.
        taken = take_report(
            session,
            report=event.report,
            admins=event.admins,
            now=self._deps.now(),
            settings=self._deps.settings,
            render=self._deps.render.items,
            via="hook",
        )
        return taken.summary()


def plug(deps: Deps) -> Plug:
    """The CI hook when CI_WEBHOOK_SECRET is set; nothing otherwise."""
    secret = deps.settings.ci_webhook_secret
    if secret is None:
        return Plug()
    return Plug(hooks={NAME: CiHook(deps, secret.get_secret_value())})
