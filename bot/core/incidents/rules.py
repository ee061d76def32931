"""Incident rules: severities, statuses, the clocks that apply, and what is due at a given instant.

Pure: every function that needs the time takes `now`. The severity definitions and the default clocks come
from the incident response plan (initial response, status-update cadence, resolution target, monitoring
after resolution; Level 2 and Level 3 escalation of unresolved incidents).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.errors import UserError
from bot.core.escalation.ladder import ESCALATION, PAGE, Due, due_levels, incident_ladder
from bot.core.mrkdwn import escape
from bot.core.timing.durations import PRIORITIES, PriorityDurations, parse_duration, parse_priority_durations

SEVERITIES = PRIORITIES


@dataclass(frozen=True)
class Severity:
    code: str
    name: str
    definition: str

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


SEVERITY: dict[str, Severity] = {
    "P0": Severity(
        "P0",
        "Critical (production down)",
        "Complete service outage or severe security breach affecting all users.",
    ),
    "P1": Severity(
        "P1", "High (severe degradation)", "Significant functionality impaired, multiple users affected."
    ),
    "P2": Severity("P2", "Medium (limited impact)", "Partial functionality degraded, workaround available."),
    "P3": Severity(
        "P3", "Low (minor issue)", "Cosmetic or low-impact issues, no immediate workaround needed."
    ),
}

# Investigating -> Identified -> Mitigating -> Monitoring are the working statuses; Resolved starts the
# monitoring period after resolution; Closed is final.
ACTIVE_STATUSES = ("investigating", "identified", "mitigating", "monitoring")
RESOLVED = "resolved"
CLOSED = "closed"
STATUSES = (*ACTIVE_STATUSES, RESOLVED, CLOSED)
# Statuses from which "mitigation applied" has happened (for time to mitigate).
MITIGATED_STATUSES = ("mitigating", "monitoring", RESOLVED)

DETECTION_METHODS = ("automated", "manual")

# P0 and P1 incidents close only with a preventative remediation item (owner and deadline) or a waiver.
CLOSE_OUT_SEVERITIES = ("P0", "P1")

# Kinds of alert an incident can fire, each at most once per level (storage keeps them unique); the
# incident ladder itself is `bot.core.escalation.ladder.incident_ladder`.
ALERT_KINDS = (PAGE, ESCALATION)

# What each escalation level is expected to do (the escalation path of the incident response plan).
ESCALATION_EXPECTATIONS = {
    2: "engineering manager, join now: check the commander has the people they need; own stakeholder news",
    3: "CTO, join now: critical decisions (roll back, all hands, customer communication) are yours",
}

_ID = re.compile(r"^INC-(\d{8})-(\d{3,})$")


class IncidentLike(Protocol):
    """What the timing rules read from an incident (a stored Incident or an `IncidentRecord`)."""

    @property
    def severity(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def declared_at(self) -> datetime: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def monitoring_until(self) -> datetime | None: ...
    @property
    def next_update_due(self) -> datetime | None: ...


@dataclass(frozen=True)
class IncidentClocks:
    """Per-severity clocks. A severity missing from a clock simply has none (e.g. P2 never escalates)."""

    response: PriorityDurations
    update: PriorityDurations
    resolution: PriorityDurations
    monitoring: PriorityDurations
    escalation: dict[int, PriorityDurations]  # level (2, 3) -> threshold after declaration

    @classmethod
    def parse(
        cls,
        *,
        response: str,
        update: str,
        resolution: str,
        monitoring: str,
        level2: str,
        level3: str,
    ) -> IncidentClocks:
        return cls(
            response=parse_priority_durations(response),
            update=parse_priority_durations(update),
            resolution=parse_priority_durations(resolution),
            monitoring=parse_priority_durations(monitoring),
            escalation={2: parse_priority_durations(level2), 3: parse_priority_durations(level3)},
        )

    def respond_by(self, inc: IncidentLike) -> datetime | None:
        d = self.response.get(inc.severity)
        return inc.declared_at + d if d is not None else None

    def resolve_by(self, inc: IncidentLike) -> datetime | None:
        d = self.resolution.get(inc.severity)
        return inc.declared_at + d if d is not None else None

    def escalates_at(self, inc: IncidentLike, level: int) -> datetime | None:
        d = self.escalation.get(level, {}).get(inc.severity)
        return inc.declared_at + d if d is not None else None

    def next_update(self, severity: str, now: datetime, override: timedelta | None = None) -> datetime | None:
        """When the next status update is due after one posted at `now` (`--next` overrides the cadence)."""
        d = override if override is not None else self.update.get(severity)
        return now + d if d is not None else None

    def monitoring_for(self, severity: str) -> timedelta:
        return self.monitoring.get(severity, timedelta(0))


# --- what is due --------------------------------------------------------------------------------------


def is_active(status: str) -> bool:
    """Still being worked on: not resolved, not closed."""
    return status in ACTIVE_STATUSES


def due_alerts(
    inc: IncidentLike,
    now: datetime,
    clocks: IncidentClocks,
    *,
    fired: Collection[int] = (),
    targets: Mapping[int, Iterable[str]] | None = None,
) -> list[Due]:
    """Pages and escalations whose time has come and whose level is not in `fired`, oldest first (the
    caller fires each one only once):

    - the on-call page (level 1) when the incident is still not acknowledged at the initial-response time;
    - Level 2 and Level 3 when it is still unresolved at their thresholds (acknowledging does not stop them).
    After downtime every missed one is due at once, in order. `targets` says who each level tells.
    """
    if not is_active(inc.status):
        return []
    ladder = incident_ladder(
        inc.severity,
        response=clocks.response,
        escalation=clocks.escalation,
        page=inc.acknowledged_at is None,
        targets=targets,
    )
    return due_levels(ladder, inc.declared_at, now, fired)


def missed_update_interval(inc: IncidentLike, now: datetime, clocks: IncidentClocks) -> datetime | None:
    """The start of the update interval missed at `now`, or None when no update is overdue.

    The first interval starts when the update was due; each cadence after that is a new one, so a nudge
    keyed by this instant goes out at most once per missed interval (and once, not many, after downtime).
    """
    due = inc.next_update_due
    if not is_active(inc.status) or due is None or now < due:
        return None
    cadence = clocks.update.get(inc.severity)
    if not cadence:
        return due
    return due + cadence * ((now - due) // cadence)


def monitoring_over(inc: IncidentLike, now: datetime) -> bool:
    """Resolved and its monitoring period has ended: time to close it."""
    return inc.status == RESOLVED and inc.monitoring_until is not None and now >= inc.monitoring_until


def needs_close_out(severity: str) -> bool:
    return severity in CLOSE_OUT_SEVERITIES


def close_out_blocked(severity: str, *, has_preventative_item: bool, waiver_reason: str | None) -> bool:
    """P0/P1: not closed without a preventative item (owner and deadline) or a recorded waiver."""
    return needs_close_out(severity) and not has_preventative_item and not (waiver_reason or "").strip()


def close_out_rule(incident_id: str) -> str:
    return (
        "P0 and P1 incidents close only once they have a preventative remediation item with an owner and "
        f'a deadline, or a waiver: `/incident close {incident_id} --waive "reason"`.'
    )


# --- measures -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measures:
    duration: timedelta  # start to resolution (or to now while unresolved)
    to_acknowledge: timedelta | None
    to_mitigate: timedelta | None
    to_resolve: timedelta | None


def measures(
    *,
    started_at: datetime,
    acknowledged_at: datetime | None,
    mitigated_at: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
) -> Measures:
    def since(at: datetime | None) -> timedelta | None:
        return max(at - started_at, timedelta(0)) if at is not None else None

    return Measures(
        duration=max((resolved_at or now) - started_at, timedelta(0)),
        to_acknowledge=since(acknowledged_at),
        to_mitigate=since(mitigated_at),
        to_resolve=since(resolved_at),
    )


# --- names and parsing --------------------------------------------------------------------------------


def incident_id(day: date, seq: int) -> str:
    """INC-YYYYMMDD-NNN (UTC date, per-day sequence)."""
    return f"INC-{day:%Y%m%d}-{seq:03d}"


def sequence_key(day: date) -> str:
    return f"incident:{day:%Y%m%d}"


def parse_incident_id(text: str) -> str:
    """An incident id as typed (any case) -> its canonical form; UserError when it is not one."""
    candidate = (text or "").strip().upper()
    if not _ID.match(candidate):
        raise UserError(f"`{_shown(text)}` is not an incident id; they look like INC-20251010-001.")
    return candidate


def parse_status(text: str, *, allowed: tuple[str, ...] = (*ACTIVE_STATUSES, RESOLVED)) -> str:
    """A status name (any case, or a clear prefix such as ``mitig``) -> the status; UserError otherwise."""
    word = (text or "").strip().lower()
    if word in allowed:
        return word
    matches = [s for s in allowed if len(word) >= 3 and s.startswith(word)]
    if len(matches) == 1:
        return matches[0]
    if word == CLOSED:
        raise UserError(
            "An update cannot close an incident; use `/incident close INC-…` once it is resolved."
        )
    raise UserError(f"`{_shown(text)}` is not a status. Use one of: {', '.join(allowed)}.")


def parse_severity(text: str | None) -> str:
    code = (text or "").strip().upper()
    if code not in SEVERITY:
        raise UserError(f"`{_shown(text, 20)}` is not a severity; use P0, P1, P2 or P3.")
    return code


def clean_title(text: str | None) -> str:
    title = " ".join((text or "").split())
    if not title:
        raise UserError("Give the incident a title: what is broken, in a few words.")
    if len(title) > 200:
        raise UserError(f"The title is {len(title)} characters; keep it to 200.")
    return title


MAX_USERS_AFFECTED = 1_000_000_000  # and the column is a 32-bit INTEGER on PostgreSQL
MAX_NEXT_UPDATE = timedelta(days=30)
MAX_TEXT = 3000  # an impact, an update, a resolution summary, a waiver: what one message section shows


def clean_text(text: str | None, *, what: str) -> str:
    """Free text for an incident, stripped; refused when longer than MAX_TEXT (it is shown whole)."""
    value = (text or "").strip()
    if len(value) > MAX_TEXT:
        raise UserError(f"The {what} is {len(value):,} characters long; keep it to {MAX_TEXT:,}.")
    return value


def _shown(text: str | None, limit: int = 40) -> str:
    """What someone typed, quoted back in a message (mrkdwn, inside backticks): bounded, without
    backticks, and escaped so that it can never mention or link anything."""
    value = (text or "").strip().replace("`", "'").replace("\n", " ")[:limit] or "(nothing)"
    return escape(value)


def parse_users_affected(text: str | None) -> int | None:
    """``1200``, ``1,200`` or ``1 200`` -> 1200; empty -> None; anything else is a UserError."""
    raw = (text or "").strip()
    if not raw:
        return None
    digits = re.sub(r"[,\s_]", "", raw)
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not re.fullmatch(r"[0-9]+", digits):
        raise UserError(f"`{_shown(raw)}` is not a number of users; give a whole number such as 1200.")
    if len(digits) > 10 or int(digits) > MAX_USERS_AFFECTED:
        raise UserError(f"`{_shown(raw)}` is more users than there are; give at most {MAX_USERS_AFFECTED:,}.")
    return int(digits)


def parse_next_update(text: str | None) -> timedelta | None:
    """``30m``, ``2h`` -> a timedelta (the next update is due after it); empty -> None (the cadence)."""
    raw = (text or "").strip()
    if not raw:
        return None
    try:
        value = parse_duration(raw)
    except (ValueError, OverflowError):
        raise UserError(
            f"Next update: `{_shown(raw)}` is not a duration; use a number and a unit: 30m, 4h, 7d, 2w."
        ) from None
    if value <= timedelta(0):
        raise UserError("Next update: give a duration greater than zero, such as 30m.")
    if value > MAX_NEXT_UPDATE:
        raise UserError(f"Next update: at most {MAX_NEXT_UPDATE.days} days from now.")
    return value


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_BARE_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def parse_user(text: str) -> str:
    """``<@U123|alice>`` (what Slack sends for @alice) or ``U123`` -> ``U123``."""
    raw = (text or "").strip()
    m = _MENTION.match(raw)
    if m:
        return m.group(1)
    if _BARE_ID.match(raw):
        return raw
    raise UserError(f"`{_shown(raw)}` is not a person; mention them, like @alice.")


def channel_name(incident: str, title: str) -> str:
    """``inc-20251010-001-api-outage``: Slack channel names are lowercase letters, digits, hyphens and
    underscores, at most 80 characters."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9_]+", "-", ascii_title.lower()).strip("-_")
    base = incident.lower()
    name = f"{base}-{slug}" if slug else base
    return name[:80].rstrip("-_")


@dataclass(frozen=True)
class UpdateArgs:
    incident_id: str
    status: str
    text: str
    next_in: timedelta | None = None
    eta: str | None = None
    impact: str | None = None


UPDATE_FLAGS = ("--next", "--eta", "--impact")


def parse_update_args(argv: list[str]) -> UpdateArgs:
    """``INC-… mitigating "Rolled back deploy 42" --next 30m --eta "16:00" --impact "EU users"``."""
    words: list[str] = []
    flags: dict[str, str] = {}
    i = 0
    while i < len(argv):
        word = argv[i]
        if word.startswith("--"):
            if word not in UPDATE_FLAGS:
                raise UserError(f"`{_shown(word, 30)}` is not an option here; use {', '.join(UPDATE_FLAGS)}.")
            if i + 1 >= len(argv):
                raise UserError(f"`{word}` needs a value.")
            flags[word] = argv[i + 1]
            i += 2
            continue
        words.append(word)
        i += 1
    if len(words) < 3:
        raise UserError("Give the incident id, the new status and what changed.")
    text = " ".join(words[2:]).strip()
    return UpdateArgs(
        incident_id=parse_incident_id(words[0]),
        status=parse_status(words[1]),
        text=text,
        next_in=parse_next_update(flags.get("--next")),
        eta=(flags.get("--eta") or "").strip() or None,
        impact=(flags.get("--impact") or "").strip() or None,
    )
