"""Items a commit names in its message: ``Remediates: P0-20261202-001`` trailers (git's trailer form).

One or more ids per trailer (separated by commas or spaces), several trailers allowed, the key in any case.
Only trailer lines count (``Key: value`` at the start of a line), so an id quoted in the body is not one.
"""

from __future__ import annotations

import re

from bot.core.errors import UserError
from bot.core.items import rules

_TRAILER = re.compile(r"^\s*remediates\s*:\s*(.+?)\s*$", re.I | re.M)
MAX_ITEMS = 50


def remediated_items(message: str) -> list[str]:
    """The item ids named by ``Remediates:`` trailers of `message`, normalised, once each, in order."""
    found: list[str] = []
    for m in _TRAILER.finditer(message or ""):
        for word in re.split(r"[\s,;]+", m.group(1)):
            try:
                found.append(rules.normalise_item_id(word))
            except UserError:
                continue  # not an id (a word of a free-form trailer)
    return list(dict.fromkeys(found))[:MAX_ITEMS]
