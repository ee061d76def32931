"""Remediation items: ids, priorities, kinds, defaults and the checks on what people type.

Pure: no Slack, no database, never reads the clock (`now` is a parameter). Bad input raises UserError
with a message that says what was wrong and the right form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.core.errors import UserError
from bot.core.mrkdwn import date
from bot.core.timing.durations import PRIORITIES, PriorityDurations

KINDS = ("corrective", "preventative", "detective")
EVIDENCE_KINDS = ("code", "commit", "test", "link")

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_TEXT = 3_000  # a note, a reason, one criterion or prevention measure
MAX_SOURCE = 500
MAX_SYSTEMS = 20
MAX_SYSTEM_NAME = 64
MAX_CRITERIA = 50
MAX_PREVENTION = 50
MAX_EVIDENCE = 100
MAX_EVIDENCE_REF = 500
# Bounds of the impact numbers: far above any real business, and within what every database stores
# (users affected is a 32-bit INTEGER column on PostgreSQL).
MAX_MONEY = 1e12
# A deadline further away than this is a typo (and near year 9999 its UTC form would not exist).
MAX_DEADLINE_AHEAD = timedelta(days=3650)
MAX_USERS = 1_000_000_000

# Default MRR at risk as a share of MONTHLY_REVENUE (P2 and P3: none).
DEFAULT_MRR_SHARE = {"P0": 0.10, "P1": 0.05}

_ITEM_ID = re.compile(r"^(P[0-3])-(\d{8})-(\d{3,})$")
_INCIDENT_ID = re.compile(r"^INC-\d{8}-\d{3,}$")
_KIND_ALIASES = {
    "corrective": "corrective",
    "fix": "corrective",
    "preventative": "preventative",
    "preventive": "preventative",
    "prevention": "preventative",
    "detective": "detective",
    "detection": "detective",
    "monitoring": "detective",
}
_EVIDENCE_ALIASES = {
    "code": "code",
    "file": "code",
    "commit": "commit",
    "sha": "commit",
    "test": "test",
    "link": "link",
    "url": "link",
    "pr": "link",
}

ITEM_ID_FORM = "P0-20250908-001"


def parse_priority(text: str) -> str:
    """``p0``/``P0``/``0`` -> ``P0``."""
    value = (text or "").strip().upper()
    if value.isdigit():
        value = "P" + value
    if value not in PRIORITIES:
        raise UserError(f"`{shown(text)}` is not a priority; use P0, P1, P2 or P3.")
    return value


def parse_kind(text: str) -> str:
    value = _KIND_ALIASES.get((text or "").strip().lower())
    if value is None:
        raise UserError(f"`{shown(text)}` is not a kind of item; use {', '.join(KINDS)}.")
    return value


def parse_evidence_kind(text: str) -> str:
    value = _EVIDENCE_ALIASES.get((text or "").strip().lower())
    if value is None:
        raise UserError(f"`{shown(text)}` is not a kind of evidence; use {', '.join(EVIDENCE_KINDS)}.")
    return value


def clean_title(title: str) -> str:
    """The title with whitespace runs collapsed; refuses an empty title or one over 200 characters."""
    text = re.sub(r"\s+", " ", title or "").strip()
    if not text:
        raise UserError("An item needs a title.")
    if len(text) > MAX_TITLE:
        raise UserError(
            f"The title is {len(text)} characters long; keep it to {MAX_TITLE} "
            "and put the rest in the description (--description)."
        )
    return text


def clean_text(text: str | None, *, what: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    """Free text (a note, a reason, a criterion): stripped and bounded."""
    value = (text or "").strip()
    if required and not value:
        raise UserError(f"The {what} is empty; write it after the item id.")
    if len(value) > limit:
        raise UserError(f"The {what} is {len(value)} characters long; keep it to {limit}.")
    return value


def clean_list(
    values: Iterable[str], *, what: str, limit: int, max_items: int, existing: Sequence[str] = ()
) -> list[str]:
    """Non-empty, stripped, de-duplicated (case-insensitively, also against `existing`) and bounded."""
    seen = {v.lower() for v in existing}
    out: list[str] = []
    for raw in values:
        value = re.sub(r"\s+", " ", raw or "").strip()
        if not value or value.lower() in seen:
            continue
        if len(value) > limit:
            raise UserError(f"A {what} of {len(value)} characters is too long; keep each to {limit}.")
        seen.add(value.lower())
        out.append(value)
    if len(existing) + len(out) > max_items:
        raise UserError(f"An item holds at most {max_items} {what}s.")
    return out


def split_systems(values: Iterable[str]) -> list[str]:
    """``--system websocket,db --system auth`` -> ["websocket", "db", "auth"]."""
    return [part for v in values for part in re.split(r"[,\s]+", v or "") if part]


def title_key(title: str) -> str:
    """Lowercase words without punctuation: the key for finding duplicates of a title."""
    text = unicodedata.normalize("NFKC", title).lower()
    text = re.sub(r"[^\w\s]|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()[:MAX_TITLE]


def sequence_key(created: datetime) -> str:
    """The id counter shared by every priority on one UTC day."""
    return "item:" + created.strftime("%Y%m%d")


def format_item_id(priority: str, created: datetime, sequence: int) -> str:
    """``P0-20250908-001``: priority at creation, UTC date of creation, per-day sequence."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return f"{priority}-{created.strftime('%Y%m%d')}-{sequence:03d}"


def normalise_item_id(text: str) -> str:
    """An id as typed (any case, stray punctuation around it) -> the stored form, or UserError."""
    value = (text or "").strip().strip("`*_,.;:()[]<>\"'").upper()
    if not _ITEM_ID.match(value):
        raise UserError(f"`{shown(text)}` is not an item id; ids look like {ITEM_ID_FORM}.")
    return value


def looks_like_item_id(text: str) -> bool:
    return bool(_ITEM_ID.match((text or "").strip().upper()))


def normalise_incident_id(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    value = text.strip().upper()
    if not _INCIDENT_ID.match(value):
        raise UserError(f"`{shown(text)}` is not an incident id; ids look like INC-20251010-001.")
    return value


def default_deadline(priority: str, now: datetime, policy: PriorityDurations) -> datetime:
    """When no deadline is given: now + the priority's allowance (DEADLINES)."""
    return now + policy.get(priority, timedelta(days=30))


def default_mrr(priority: str, monthly_revenue: float | None) -> float | None:
    """MRR at risk when none is given: P0 10 %, P1 5 % of MONTHLY_REVENUE, else none."""
    share = DEFAULT_MRR_SHARE.get(priority)
    if monthly_revenue is None or share is None:
        return None
    return round(monthly_revenue * share, 2)


def check_deadline(deadline: datetime, now: datetime, *, force: bool) -> None:
    """A deadline in the past is refused unless forced (back-filling old items)."""
    if deadline.tzinfo is None:
        raise ValueError("deadline must be timezone-aware")
    if deadline < now and not force:
        raise UserError(
            f"The deadline {date(deadline)} is in the past. Give a future one, or add --force to back-fill."
        )
    if deadline - now > MAX_DEADLINE_AHEAD:  # timedelta arithmetic: never overflows, unlike a UTC conversion
        raise UserError(
            f"The deadline {deadline:%Y-%m-%d} is more than {MAX_DEADLINE_AHEAD.days // 365} years away; "
            "give one a team can plan for."
        )


def _amount(text: str) -> float | None:
    """``50000``, ``$50,000``, ``50k``, ``1.2m`` -> 50000.0; None when it is not written like that."""
    raw = (text or "").strip().lower().replace(",", "").replace("_", "").lstrip("$€£")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([km]?)", raw)
    return float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2)] if m else None


def parse_money(text: str) -> float:
    """``50000``, ``$50,000``, ``50k``, ``1.2m`` -> 50000.0 (MRR per month)."""
    value = _amount(text)
    if value is None:
        raise UserError(f"`{shown(text)}` is not an amount; use a number such as 50000, 50k or $1.2m.")
    if value > MAX_MONEY:
        raise UserError(f"`{shown(text)}` is more than {MAX_MONEY:,.0f}; give the amount per month.")
    return value


def parse_count(text: str) -> int:
    """``1200``, ``1,200``, ``3k`` -> users affected."""
    value = _amount(text)
    if value is not None and value > MAX_USERS:  # first: a number too big for a float is infinite
        raise UserError(f"`{shown(text)}` is more users than there are; give at most {MAX_USERS:,}.")
    if value is None or value != int(value):
        raise UserError(f"`{shown(text)}` is not a whole number of users; use a number such as 1200 or 3k.")
    return int(value)


def parse_percent(text: str) -> float:
    """``2.5``, ``2.5%`` -> availability impact in percent (0-100)."""
    raw = (text or "").strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise UserError(f"`{shown(text)}` is not a percentage; use a number such as 2.5 or 2.5%.") from None
    if not 0 <= value <= 100:
        raise UserError(f"`{shown(text)}` is not between 0 and 100 percent.")
    return value


def shown(text: str | None) -> str:
    """User text quoted back in an error message (which is mrkdwn): bounded, without backticks, and with
    ``&``, ``<``, ``>`` escaped so that it can never mention or link anything."""
    value = (text or "").replace("`", "'").replace("\n", " ")
    value = value if len(value) <= 60 else value[:59] + "…"
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
