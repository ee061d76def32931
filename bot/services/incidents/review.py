"""After the incident: the post-mortem draft, and action items that become linked remediation items."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date as Day
from datetime import datetime, time
from typing import Any, TypeVar

from bot.core.errors import Checks, UserError
from bot.core.incidents import postmortem
from bot.core.mrkdwn import date, escape, user
from bot.core.records import IncidentRecord, ItemRecord
from bot.deps import Deps
from bot.services import outbox
from bot.services.incidents.cards import on_timeline, post_in_incident_channel, post_in_thread, require
from bot.services.items.changes import create_item_in
from bot.services.people.users import user_timezone
from storage import incidents as store
from storage import queries
from storage.models import Incident, RemediationItem

T = TypeVar("T")


@dataclass(frozen=True)
class PostmortemPosted:
    incident: Incident
    channel: str
    filename: str


def _copied(cls: type[T], row: object, **given: Any) -> T:
    """A `cls` (a dataclass of plain data) with `given` and, for every other field, `row`'s attribute of
    that name."""
    names = {f.name for f in fields(cls)} - given.keys()  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in names}, **given)


def _record(inc: Incident, events: list, items: list[RemediationItem]) -> postmortem.Record:
    return _copied(
        postmortem.Record,
        inc,
        incident_id=inc.id,
        events=[_copied(postmortem.Event, e, to_status=(e.data or {}).get("to")) for e in events],
        items=[_copied(postmortem.ActionItem, i) for i in items],
    )


def post_postmortem(deps: Deps, *, incident_id: str, actor_id: str) -> PostmortemPosted:
    """Post the draft to INCIDENT_CHANNEL: a message with the key figures and an **Add action item**
    button, and the full Markdown draft as a file in its thread."""
    settings, now = deps.settings, deps.now()
    with deps.uow() as session:
        inc = require(session, incident_id)
        entries = queries.timeline(session, subject_id=inc.id)
        items = store.linked_items(session, incident_id=inc.id)
        people = {inc.declared_by, inc.commander_id, inc.acknowledged_by, *(i.owner_id for i in items)}
        people |= {e.actor_id for e in entries}
        cached = queries.cached_users(session, user_ids=sorted(p for p in people if p))
        names = {uid: (u.name or uid) for uid, u in cached.items()}
        record = _record(inc, entries, items)
        document = postmortem.markdown(record, now=now, tz=settings.tz, names=names)
        ref = f"incident-postmortem:{inc.id}:{int(now.timestamp())}"
        card = deps.render.incidents.postmortem(IncidentRecord.of(inc), record=record, now=now)
        post_in_incident_channel(session, now=now, settings=settings, message=card, ref=ref)
        filename = f"postmortem-{inc.id.lower()}.md"
        outbox.upload_file(
            session,
            now=now,
            channel=settings.incident_channel,
            filename=filename,
            content=document.encode("utf-8"),
            title=f"Post-mortem draft: {inc.id}",
            initial_comment=f"Post-mortem draft for {inc.id}; copy it into your document and fill it in.",
            thread_ref=ref,
        )
        on_timeline(
            session,
            inc.id,
            now=now,
            actor_id=actor_id,
            kind="postmortem",
            summary="Post-mortem draft posted",
        )
    return PostmortemPosted(inc, settings.incident_channel, filename)


@dataclass(frozen=True)
class ActionItemForm:
    title: str
    owner_id: str | None
    priority: str | None
    due: Day | None  # from the date picker
    kind: str = "preventative"


def add_action_item(
    deps: Deps, *, incident_id: str, actor_id: str, form: ActionItemForm, request_key: str | None = None
) -> RemediationItem:
    """Create a remediation item linked to the incident (item.incident_id) and note it on the incident's
    timeline and thread. A repeated submission of the same modal returns the item it created. Problems
    name their input (title, owner_id, due; the rest as `create_item_in` names them: deadline, priority…)."""
    checks = Checks()
    checks.require("title", form.title, "Say what has to be done.")
    checks.require("owner_id", form.owner_id, "Pick the owner.")
    checks.require("due", form.due, "Pick the deadline.")
    checks.done()
    assert form.owner_id is not None and form.due is not None
    # Due by the end of that day where the owner lives (asked of Slack before the unit of work).
    deadline = datetime.combine(form.due, time(23, 59), tzinfo=user_timezone(deps, form.owner_id))
    settings, now = deps.settings, deps.now()
    with deps.uow() as session:
        if request_key:
            owner = store.claim_owner(session, key=request_key)
            if owner is not None:
                existing = session.get(RemediationItem, owner)
                if existing is not None:
                    return existing
        inc = require(session, incident_id)
        item, _ = create_item_in(
            session,
            now=now,
            settings=settings,
            render=deps.render.items,
            actor_id=actor_id,
            title=form.title,
            priority=form.priority or inc.severity,
            owner_id=form.owner_id,
            deadline=deadline,
            kind=form.kind or "preventative",
            incident_id=inc.id,
            note=f"Action item from the post-mortem of {inc.id}",
        )
        session.flush()
        if request_key and not queries.try_claim(session, key=request_key, now=now, owner=item.id):
            raise UserError("That form was already submitted.")
        on_timeline(
            session,
            inc.id,
            now=now,
            actor_id=actor_id,
            kind="action-item",
            summary=f"Action item `{item.id}` ({item.kind}): {escape(item.title)}; owner "
            f"{user(item.owner_id)}, due {date(item.deadline)}",
            data={"item_id": item.id, "kind": item.kind},
        )
        post_in_thread(
            session,
            now=now,
            settings=settings,
            inc=inc,
            message=deps.render.incidents.action_item_added(
                IncidentRecord.of(inc), ItemRecord.of(item), actor_id=actor_id
            ),
            dedupe_key=f"incident-action-item:{item.id}",
        )
    return item
