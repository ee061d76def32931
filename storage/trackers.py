"""Queries of the issue tracker tables (`storage.models_trackers`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models_trackers import TrackerLink, TrackerPerson


def link_of(session: Session, *, item_id: str) -> TrackerLink | None:
    return session.exec(select(TrackerLink).where(col(TrackerLink.item_id) == item_id)).first()


def links_of(session: Session, *, item_ids: list[str]) -> dict[str, TrackerLink]:
    if not item_ids:
        return {}
    rows = session.exec(select(TrackerLink).where(col(TrackerLink.item_id).in_(item_ids)))
    return {r.item_id: r for r in rows}


def link_by_issue(session: Session, *, tracker: str, project: str, number: str) -> TrackerLink | None:
    """The link of one issue; a GitHub repository is matched in any case (GitHub's names are)."""
    rows = session.exec(
        select(TrackerLink).where(col(TrackerLink.tracker) == tracker, col(TrackerLink.number) == number)
    ).all()
    return next((r for r in rows if r.project.lower() == project.lower()), None)


def add_link(
    session: Session,
    *,
    item_id: str,
    tracker: str,
    project: str,
    now: datetime,
    number: str | None = None,
    url: str | None = None,
    remote_id: str | None = None,
    state: str = "",
    remote_updated_at: datetime | None = None,
) -> TrackerLink:
    row = TrackerLink(
        item_id=item_id,
        tracker=tracker,
        project=project,
        number=number,
        url=url,
        remote_id=remote_id,
        state=state,
        remote_updated_at=remote_updated_at,
        created_at=now,
        synced_at=now if number else None,
    )
    session.add(row)
    session.flush()
    return row


def remove_link(session: Session, *, item_id: str) -> TrackerLink | None:
    row = link_of(session, item_id=item_id)
    if row is not None:
        session.delete(row)
        session.flush()
    return row


def account_of(session: Session, *, tracker: str, user_id: str) -> str | None:
    row = session.exec(
        select(TrackerPerson).where(
            col(TrackerPerson.tracker) == tracker, col(TrackerPerson.user_id) == user_id
        )
    ).first()
    return row.account if row else None


def user_of(session: Session, *, tracker: str, account: str) -> str | None:
    row = session.exec(
        select(TrackerPerson).where(
            col(TrackerPerson.tracker) == tracker, col(TrackerPerson.account) == account
        )
    ).first()
    return row.user_id if row else None


def set_person(
    session: Session, *, tracker: str, user_id: str, account: str, set_by: str, now: datetime
) -> str | None:
    """Map `user_id` to `account` in `tracker` (one account per person, one person per account: a previous
    holder of the account loses it). Returns the Slack user who held the account before, if another."""
    previous = session.exec(
        select(TrackerPerson).where(
            col(TrackerPerson.tracker) == tracker, col(TrackerPerson.account) == account
        )
    ).first()
    taken_from = None
    if previous is not None and previous.user_id != user_id:
        taken_from = previous.user_id
        session.delete(previous)
        session.flush()
    mine = session.exec(
        select(TrackerPerson).where(
            col(TrackerPerson.tracker) == tracker, col(TrackerPerson.user_id) == user_id
        )
    ).first()
    if mine is None:
        session.add(
            TrackerPerson(tracker=tracker, user_id=user_id, account=account, set_by=set_by, updated_at=now)
        )
    else:
        mine.account, mine.set_by, mine.updated_at = account, set_by, now
    session.flush()
    return taken_from
