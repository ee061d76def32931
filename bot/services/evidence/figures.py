"""The CI figures of a period (recurrences, validated and completed by CI), for the weekly report and
the digest."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.reports.recurrence import CiFigures
from storage import evidence as store


def ci_figures(session: Session, *, start: datetime, end: datetime) -> CiFigures:
    """Figures of [start, end); the rate counts everything up to `end`."""
    return CiFigures(
        recurred=store.recurred_between(session, start=start, end=end),
        recurred_ever=store.ever_recurred(session, before=end),
        validated_ever=store.ever_validated(session, before=end),
        validated_by_ci=store.ci_outcomes_between(session, kind="validated", start=start, end=end),
        completed_by_ci=store.ci_outcomes_between(session, kind="completed", start=start, end=end),
    )
