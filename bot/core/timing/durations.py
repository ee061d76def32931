"""Per-priority durations such as ``P0=24h,P1=72h,P2=7d,P3=30d`` (deadlines, thresholds, clocks)."""

from __future__ import annotations

import re
from datetime import timedelta

PRIORITIES = ("P0", "P1", "P2", "P3")

PriorityDurations = dict[str, timedelta]

_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``4h``, ``7d``, ``2w`` -> timedelta. Raises ValueError naming the accepted form."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text.lower())
    if not m:
        raise ValueError(f"'{text}' is not a duration; use a number and a unit: 30m, 4h, 7d, 2w")
    return timedelta(**{_UNIT[m.group(2)]: float(m.group(1))})


def parse_priority_durations(spec: str) -> PriorityDurations:
    """``P0=24h,P1=72h`` -> {"P0": 24h, "P1": 72h}; priorities left out are simply absent."""
    out: PriorityDurations = {}
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"'{part}' should look like P0=24h")
        key, value = part.split("=", 1)
        key = key.upper()
        if key not in PRIORITIES:
            raise ValueError(f"'{key}' is not a priority; use P0, P1, P2 or P3")
        out[key] = parse_duration(value)
    return out


def format_duration(delta: timedelta) -> str:
    """A short human form: ``45m``, ``4h``, ``4h 30m``, ``3d``, ``2d 5h``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if mins and not days:
        parts.append(f"{mins}m")
    return " ".join(parts) or "0m"
