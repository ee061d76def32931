"""Who may do what. Pure: the caller says whether the actor is an admin. Who may validate an item (four
eyes) needs its history: `bot.core.items.four_eyes`."""

from __future__ import annotations

from collections.abc import Iterable


def may_change_item(actor_id: str, *, owner_id: str | None, reporter_id: str, is_admin: bool) -> bool:
    """Status, deadline and owner of an item: its owner, its reporter, or an admin."""
    return is_admin or actor_id == reporter_id or (owner_id is not None and actor_id == owner_id)


def item_editors_text(owner_id: str | None, reporter_id: str) -> str:
    who = [f"<@{owner_id}> (owner)"] if owner_id else []
    who.append(f"<@{reporter_id}> (reporter)")
    return ", ".join(who) + " or an admin"


def may_run_incident(actor_id: str, *, commander_id: str, is_admin: bool) -> bool:
    """Closing or reassigning an incident: its commander or an admin."""
    return is_admin or actor_id == commander_id


def parse_admins(raw: Iterable[str]) -> frozenset[str]:
    return frozenset(u for u in raw if u)
