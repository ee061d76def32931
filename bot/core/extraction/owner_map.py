"""The owner map of `remediate extract-issues --owner-map FILE`: how a document's names are Slack users.

Either a JSON object (``{"bob": "U0123ABCD", "Carol Diaz": "U0456EFGH"}``) or one pair per line, ``name:
U0123ABCD`` (also ``name = …`` or ``name,…``), with ``#`` comments and blank lines. Names are matched
without case and without a leading ``@``; values are Slack user ids.
"""

from __future__ import annotations

import json
import re

from bot.core.extraction.model import DocumentError

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_PAIR = re.compile(r"^\s*([^:=,#]+?)\s*[:=,]\s*(\S+)\s*$")


def read_owner_map(text: str) -> dict[str, str]:
    """Lowercase name -> user id; DocumentError naming the first line (or key) that is not a pair."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"the owner map is not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise DocumentError("the owner map's JSON must be an object of name -> Slack user id")
        pairs = [(str(k), v) for k, v in data.items()]
    else:
        pairs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = _PAIR.match(line)
            if not match:
                raise DocumentError(f"line {number} of the owner map is not `name: U0123ABCD`")
            pairs.append((match.group(1), match.group(2)))
    owners: dict[str, str] = {}
    for name, user_id in pairs:
        key = name.strip().lstrip("@").strip().lower()
        if not key:
            raise DocumentError("the owner map has an empty name")
        if not isinstance(user_id, str) or not _USER_ID.match(user_id.strip()):
            raise DocumentError(
                f"the owner map's {name.strip()!r} is not a Slack user id (such as U0123ABCD)"
            )
        owners[key] = user_id.strip()
    return owners
