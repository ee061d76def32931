"""Who the owners an analysis document names are: the workspace's people by name, and whether a mentioned
user can own work here. Call outside a unit of work (users.list, users.info)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import islice

from sqlalchemy import select
from sqlmodel import col

from bot.core.extraction import ExtractedItem
from bot.deps import Deps
from bot.services.people import SLACK_DOWN
from bot.services.people.users import get_person
from storage.models import SlackUser

log = logging.getLogger(__name__)

USER_PAGES = 10  # users.list pages of 200 read to match owners' names
MENTIONS_CHECKED = 25  # distinct <@U…> owners looked up with users.info per document


def known_users(deps: Deps) -> dict[str, str]:
    """Lowercase names, display names and handles of the workspace's people -> user ids, to match the
    owners a document names. The cached users first, then users.list (a few pages); Slack being
    unreachable leaves the cache."""
    known: dict[str, str] = {}
    with deps.uow(readonly=True) as session:
        rows = session.execute(
            select(col(SlackUser.id), col(SlackUser.name), col(SlackUser.real_name)).where(
                col(SlackUser.deleted).is_(False), col(SlackUser.is_bot).is_(False)
            )
        ).all()
    for user_id, name, real_name in rows:
        for key in (name, real_name):
            if key and key != user_id:
                known.setdefault(key.lower(), user_id)
    try:
        # The response follows response_metadata.next_cursor itself, one page per iteration.
        for page in islice(deps.client.users_list(limit=200), USER_PAGES):
            for member in page.get("members") or []:
                if member.get("deleted") or member.get("is_bot") or member.get("id") == "USLACKBOT":
                    continue
                profile = member.get("profile") or {}
                for key in (
                    member.get("name"),
                    member.get("real_name"),
                    profile.get("real_name"),
                    profile.get("display_name"),
                ):
                    if key:
                        known[str(key).lower()] = str(member["id"])
    except SLACK_DOWN as exc:  # Slack unreachable or refusing: the cache is what we have
        log.warning("users.list failed while reading a document's owners: %s", exc)
    return known


def check_mentioned_owners(deps: Deps, items: Sequence[ExtractedItem]) -> dict[str, str | None]:
    """For each owner user id a document names: None when they can own work here, else why not."""
    out: dict[str, str | None] = {}
    for user_id in dict.fromkeys(i.owner_user_id for i in items if i.owner_user_id):
        if len(out) >= MENTIONS_CHECKED:
            break
        person = get_person(deps, user_id)
        if not person.known:
            out[user_id] = f"owner <@{user_id}> is not in this workspace; left unassigned"
        elif person.deleted:
            out[user_id] = f"owner <@{user_id}> has been deactivated; left unassigned"
        elif person.is_bot:
            out[user_id] = f"owner <@{user_id}> is a bot; left unassigned"
        else:
            out[user_id] = None
    return out
