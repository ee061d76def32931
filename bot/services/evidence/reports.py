"""A CI test report taken as evidence, in the caller's unit of work (the one that claimed the report).

For every item that watches a test (a success criterion's ``--test``, or evidence of kind ``test``) and
every item the report names (``items``, ``Remediates:`` trailers):

- a watched test that **passed** ticks its criterion and records evidence (kind ``test``: the test, the
  commit, the run URL, "passed in CI") on the timeline. An In Progress item whose every criterion is then
  ticked and that records a prevention measure moves to Completed, and its validator candidates (reporter,
  incident commander, admins; never anyone the four-eyes rule bars, so never the owner) get one DM
  "ready to validate" with the evidence. CI_AUTO_VALIDATE priorities are validated by CI, which says so.
- a watched test that **failed** on a Validated or Completed item is a regression: back to In Progress
  with "Regression: <test> failed at <commit> (<run URL>)", a DM to the owner, a post with the item's
  buttons in INCIDENT_CHANNEL, and a recurrence counted. On an open item the failure is recorded as
  evidence (and its criterion, if ticked, is no longer).

Every change is a timeline entry (`bot.services.events.record`), so integrations hear of it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core.evidence.reports import TestReport, short_commit
from bot.core.evidence.testrefs import FAILED, PASSED, CaseIndex, Verdict
from bot.core.evidence.trailers import remediated_items
from bot.core.items import four_eyes, rules
from bot.core.items import lifecycle as lc
from bot.core.mrkdwn import escape, truncate
from bot.core.records import ItemRecord
from bot.deps import Deps
from bot.services import events
from bot.services.incidents.cards import post_in_incident_channel
from bot.services.items import notices
from bot.services.items.steps import Actor, apply_move, event, validation_history
from bot.services.people.admins import admin_ids
from bot.services.rendering import ItemMessages
from storage import evidence as store
from storage import incidents as incident_store
from storage import queries
from storage.models import RemediationItem

# Who acts when CI changes an item: nobody (the timeline shows "the bot"; four eyes bars no one for it).
CI_ACTOR = Actor("")
WATCHING = (lc.IDENTIFIED, lc.PLANNED, lc.IN_PROGRESS, lc.BLOCKED, lc.COMPLETED, lc.VALIDATED)
REGRESSIBLE = (lc.COMPLETED, lc.VALIDATED)


@dataclass
class Taken:
    """What one report did: JSON-able for the hook's answer and the CLI's output."""

    report_id: int | None = None
    duplicate: bool = False
    cases: dict[str, int] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)
    unknown_items: list[str] = field(default_factory=list)
    ticked: int = 0
    failures: int = 0
    completed: list[str] = field(default_factory=list)
    validated: list[str] = field(default_factory=list)
    regressed: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        if self.duplicate:
            return {"duplicate": True}
        return {
            "report": self.report_id,
            "cases": self.cases,
            "items": self.items,
            "unknown_items": self.unknown_items,
            "ticked": self.ticked,
            "failures": self.failures,
            "completed": self.completed,
            "validated": self.validated,
            "regressed": self.regressed,
        }


def watched_refs(item: RemediationItem) -> list[str]:
    """The tests `item` watches: its criteria's, then its test evidence's, once each."""
    refs = [str(c["test"]) for c in item.criteria if c.get("test")]
    refs += [str(e["ref"]) for e in item.evidence if e.get("kind") == "test" and e.get("ref")]
    return list(dict.fromkeys(refs))


def take_report(
    session: Session,
    *,
    report: TestReport,
    now: datetime,
    settings: Settings,
    render: ItemMessages,
    via: str,
    admins: Collection[str] | None = None,
) -> Taken:
    """Apply `report` (see the module docstring). A report already taken (same repository, run URL and
    commit) changes nothing and says so. `admins` are every admin (ADMIN_USERS and ADMIN_USERGROUP's
    members, looked up by the caller before its unit of work); ADMIN_USERS alone when not given."""
    if store.get_report(session, key=report.key) is not None:
        return Taken(duplicate=True)
    named = list(dict.fromkeys([*report.items, *remediated_items(report.message)]))
    row = store.add_report(
        session,
        values={
            "key": report.key,
            "repository": report.repository,
            "commit": report.commit,
            "ref": report.ref,
            "run_url": report.run_url,
            "via": via,
            "cases": len(report.cases),
            **report.counts(),
            "items": named,
            "received_at": now,
        },
    )
    assert row.id is not None
    taken = Taken(report_id=row.id, cases={"total": len(report.cases), **report.counts()})
    found = {i.id: i for i in store.items_by_id(session, item_ids=named)}
    taken.unknown_items = [i for i in named if i not in found]
    for item in store.watching_items(session, statuses=WATCHING):
        found.setdefault(item.id, item)
    admins = sorted(settings.admins if admins is None else set(admins))
    run = _Run(session, report, row.id, now, settings, render, taken, admins)
    for item_id in sorted(found):
        run.item(found[item_id], named=item_id in named)
    row.items = sorted(set(named) | set(taken.items))
    return taken


SOURCE = "ci"  # the origin of what a report changes, and its claim's namespace (the hook's name)


def claim_key(report: TestReport) -> str:
    """The exactly-once key of a report, the same whichever way it came (`bot.hooks.inbound`'s form)."""
    return f"hook:{SOURCE}:{report.key}"


def record_report(deps: Deps, *, report: TestReport, via: str) -> Taken:
    """`take_report` in a unit of work of its own that claims the report once (``remediate ci report``
    without ``--url``): a report the hook already took, or taken before, changes nothing."""
    admins = admin_ids(deps)  # may ask Slack: before the unit of work
    now = deps.now()
    with deps.uow() as session:
        if not queries.try_claim(session, key=claim_key(report), now=now):
            return Taken(duplicate=True)
        with events.origin(session, SOURCE):
            return take_report(
                session,
                report=report,
                now=now,
                settings=deps.settings,
                render=deps.render.items,
                via=via,
                admins=admins,
            )


class _Run:
    """One report applied item by item."""

    def __init__(
        self,
        session: Session,
        report: TestReport,
        report_id: int,
        now: datetime,
        settings: Settings,
        render: ItemMessages,
        taken: Taken,
        admins: Sequence[str],
    ):
        self.session, self.report, self.report_id, self.now = session, report, report_id, now
        self.settings, self.render, self.taken, self.admins = settings, render, taken, admins
        self.index = CaseIndex(report.cases)
        self.where = f"{short_commit(report.commit)} (<{report.run_url}|run>)"

    def item(self, item: RemediationItem, *, named: bool) -> None:
        verdicts = [v for v in map(self.index.verdict, watched_refs(item)) if v is not None]
        failed = [v for v in verdicts if v.outcome == FAILED]
        passed = [v for v in verdicts if v.outcome == PASSED]
        if not verdicts and not named:
            return
        self.taken.items.append(item.id)
        if named:
            self._commit(item)
        if failed and item.status in REGRESSIBLE:
            self._regress(item, failed)
            return
        for v in failed:
            self._failure(item, v)
        for v in passed:
            self._pass(item, v, named=named)
        if passed and item.status == lc.IN_PROGRESS and _ready(item):
            self._complete(item)
        item.updated_at = self.now

    # --- pieces ------------------------------------------------------------------------------------

    def _outcome(self, item: RemediationItem, kind: str, ref: str = "", **data: Any) -> None:
        store.add_outcome(
            self.session,
            values={
                "report_id": self.report_id,
                "item_id": item.id,
                "kind": kind,
                "test_ref": ref,
                "at": self.now,
                "data": data,
            },
        )

    def _evidence(self, item: RemediationItem, v: Verdict, note: str) -> None:
        if len(item.evidence) >= rules.MAX_EVIDENCE:
            return  # the item's evidence is full; the timeline still says what happened
        entry = {
            "kind": "test",
            "ref": v.ref,
            "note": note,
            "by": None,
            "at": self.now.isoformat(),
            "commit": self.report.commit,
            "run_url": self.report.run_url,
            "outcome": v.outcome,
        }
        item.evidence = [*item.evidence, entry]
        item.last_progress_at = self.now
        summary = f"Evidence (test): `{_code(v.ref)}` {note} at {self.where}"
        if v.message:
            summary += f": {escape(truncate(v.message, 200))}"
        event(self.session, item, self.now, None, "evidence", summary, entry)

    def _commit(self, item: RemediationItem) -> None:
        """The report names the item (``items`` or a ``Remediates:`` trailer): its commit is evidence."""
        counts = self.report.counts()
        note = f"remediates this item; CI: {counts[PASSED]} passed, {counts[FAILED]} failed"
        if len(item.evidence) < rules.MAX_EVIDENCE:
            entry = {
                "kind": "commit",
                "ref": self.report.commit,
                "note": note,
                "by": None,
                "at": self.now.isoformat(),
                "run_url": self.report.run_url,
                "repository": self.report.repository,
            }
            item.evidence = [*item.evidence, entry]
            summary = f"Evidence (commit): {self.where} {note}"
            event(self.session, item, self.now, None, "evidence", summary, entry)
        item.last_progress_at = self.now
        self._outcome(item, "named")

    def _pass(self, item: RemediationItem, v: Verdict, *, named: bool) -> None:
        ticks = [i for i, c in enumerate(item.criteria) if c.get("test") == v.ref and not c.get("done")]
        if not ticks and not named:
            return  # already proven: a green run of a proven test is not news
        if ticks:
            item.criteria = [{**c, "done": True} if i in ticks else c for i, c in enumerate(item.criteria)]
            for i in ticks:
                text = escape(truncate(str(item.criteria[i].get("text", "")), 300))
                event(
                    self.session,
                    item,
                    self.now,
                    None,
                    "checklist",
                    f"Success criterion met in CI: {text} (`{_code(v.ref)}` passed)",
                    {"ticked": [i], "of": len(item.criteria), "test": v.ref, "by_ci": True},
                )
                self.taken.ticked += 1
                self._outcome(item, "ticked", v.ref, criterion=i)
        self._evidence(item, v, "passed in CI")

    def _failure(self, item: RemediationItem, v: Verdict) -> None:
        self.taken.failures += 1
        untick = [i for i, c in enumerate(item.criteria) if c.get("test") == v.ref and c.get("done")]
        if untick:
            item.criteria = [{**c, "done": False} if i in untick else c for i, c in enumerate(item.criteria)]
        self._evidence(item, v, "failed in CI" + (" (its criterion is no longer met)" if untick else ""))
        self._outcome(item, "failed", v.ref)

    def _complete(self, item: RemediationItem) -> None:
        step = lc.plan_verb(item.id, item.status, lc.COMPLETE)
        apply_move(self.session, item, self.now, CI_ACTOR, step, None, render=self.render)
        self.taken.completed.append(item.id)
        self._outcome(item, "completed")
        proof = "\n".join(
            f"• `{_code(str(c['test']))}` passed at {self.where}" for c in item.criteria if c.get("test")
        )
        if item.priority in self.settings.ci_auto_validate_priorities:
            self._auto_validate(item, proof)
            return
        headline = (
            f":test_tube: *{item.id}* is ready to validate: every success criterion is met and CI "
            f"passed its tests.\n{proof}\nValidate it with the button or `/remediate validate {item.id}`."
        )
        notices.notify(
            self.session,
            now=self.now,
            item=item,
            actor_id=None,
            headline=truncate(headline, 2500),
            to=self._validators(item),
            render=self.render,
        )

    def _validators(self, item: RemediationItem) -> list[str]:
        """Reporter, incident commander and admins, less everyone four eyes bars (the owner first)."""
        candidates = [item.reporter_id]
        if item.incident_id:
            incident = incident_store.get_incident(self.session, incident_id=item.incident_id)
            if incident is not None:
                candidates.append(incident.commander_id)
        candidates += self.admins
        barred = four_eyes.barred(validation_history(self.session, item), owner_id=item.owner_id)
        return [c for c in dict.fromkeys(candidates) if c and c not in barred and c != item.owner_id]

    def _auto_validate(self, item: RemediationItem, proof: str) -> None:
        item.status = lc.VALIDATED
        item.validated_at, item.validated_by = self.now, None
        item.last_progress_at = self.now
        event(
            self.session,
            item,
            self.now,
            None,
            "validated",
            f"Validated by CI (CI_AUTO_VALIDATE lists {item.priority}): {len(item.criteria)}/"
            f"{len(item.criteria)} success criteria passed at {self.where}, "
            f"{len(item.prevention)} prevention measure(s)",
            {"from": lc.COMPLETED, "to": lc.VALIDATED, "verb": lc.VALIDATE, "by_ci": True},
        )
        self.taken.validated.append(item.id)
        self._outcome(item, "validated")
        notices.notify(
            self.session,
            now=self.now,
            item=item,
            actor_id=None,
            headline=truncate(
                f":white_check_mark: CI validated *{item.id}* (CI_AUTO_VALIDATE).\n{proof}", 2500
            ),
            to=[item.owner_id, item.reporter_id],
            render=self.render,
        )

    def _regress(self, item: RemediationItem, failed: Sequence[Verdict]) -> None:
        first = failed[0]
        old = item.status
        for v in failed:
            self._failure(item, v)
        self.taken.failures -= len(failed)  # counted as a regression, not as plain failures
        item.status = lc.IN_PROGRESS
        item.completed_at = None
        item.status_reason = None
        item.last_progress_at = self.now
        item.updated_at = self.now
        tests = ", ".join(f"`{_code(v.ref)}`" for v in failed)
        summary = f"Regression: {tests} failed at {self.where}; {lc.LABELS[old]} → In Progress"
        event(
            self.session,
            item,
            self.now,
            None,
            "regressed",
            summary,
            {
                "from": old,
                "to": lc.IN_PROGRESS,
                "verb": "regress",
                "tests": [v.ref for v in failed],
                "commit": self.report.commit,
                "run_url": self.report.run_url,
            },
        )
        store.add_recurrence(
            self.session,
            values={
                "item_id": item.id,
                "priority": item.priority,
                "report_id": self.report_id,
                "test_ref": first.ref,
                "commit": self.report.commit,
                "run_url": self.report.run_url,
                "at": self.now,
            },
        )
        self._outcome(item, "regressed", first.ref, tests=[v.ref for v in failed])
        self.taken.regressed.append(item.id)
        headline = (
            f":rotating_light: Regression: {tests} failed at {self.where}. *{item.id}* was "
            f"{lc.LABELS[old]} and is back In Progress."
        )
        notices.notify(
            self.session,
            now=self.now,
            item=item,
            actor_id=None,
            headline=truncate(headline, 2500),
            to=[item.owner_id or item.reporter_id],
            render=self.render,
        )
        post_in_incident_channel(
            self.session,
            now=self.now,
            settings=self.settings,
            message=self.render.with_buttons(ItemRecord.of(item), truncate(headline, 2500), self.now),
            dedupe_key=f"ci-regression:{self.report_id}:{item.id}",
        )


def _ready(item: RemediationItem) -> bool:
    return bool(item.criteria) and all(c.get("done") for c in item.criteria) and bool(item.prevention)


def _code(ref: str) -> str:
    return escape(truncate(ref, 200)).replace("`", "'")
