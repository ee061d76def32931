"""What the item services queue (`bot.services.rendering.ItemMessages`): DMs about an item, and posts with
its card's buttons. Pure builders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.records import ItemRecord
from bot.slack.blocks.items.cards import card_buttons
from bot.slack.blocks.items.text import notice

__all__ = ["notice", "with_buttons"]


def with_buttons(item: ItemRecord, headline: str, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """A channel post about an item: the headline (mrkdwn, safe), the item's line and its card's buttons."""
    text, blocks = notice(item, headline, now)
    blocks.append({"type": "actions", "block_id": f"item:{item.id}", "elements": card_buttons(item)})
    return text, blocks
