"""Recurrence and CI figures of the weekly report and the digest (the process document's KPI: issue
recurrence rate under 5 %).

An item *recurred* when a watched test failed after it was Validated or Completed (a regression). The
recurrence rate is the share of the items ever validated (by a person or by CI) that have recurred, up to
the end of the period reported. Pure: counts in, figures and lines out.
"""

from __future__ import annotations

from dataclasses import dataclass

RECURRENCE_TARGET = 0.05


@dataclass(frozen=True)
class CiFigures:
    recurred: int = 0  # items that recurred in the period
    recurred_ever: int = 0  # items that recurred, up to the period's end
    validated_ever: int = 0  # items validated at least once, up to the period's end
    validated_by_ci: int = 0  # items CI validated in the period (CI_AUTO_VALIDATE)
    completed_by_ci: int = 0  # items CI completed in the period (every criterion passed in CI)

    @property
    def rate(self) -> float | None:
        return self.recurred_ever / self.validated_ever if self.validated_ever else None

    @property
    def meets_target(self) -> bool | None:
        rate = self.rate
        return None if rate is None else rate < RECURRENCE_TARGET

    def recurrence_line(self, period: str = "this week") -> str:
        """``Recurrence: 1 item recurred this week · rate 4% of 25 validated (target < 5%)``."""
        rate = self.rate
        shown = (
            "n/a (nothing validated yet)"
            if rate is None
            else f"{rate * 100:.0f}% of {self.validated_ever} validated"
        )
        noun = "item" if self.recurred == 1 else "items"
        return (
            f"Recurrence: {self.recurred} {noun} recurred {period} · rate {shown} "
            f"(target < {RECURRENCE_TARGET * 100:.0f}%)"
        )

    def ci_line(self, period: str = "this week") -> str:
        return (
            f"Validated by CI {period}: {self.validated_by_ci} · completed by CI (ready to validate): "
            f"{self.completed_by_ci}"
        )

    def judged(self) -> tuple[str | None, str | None]:
        """(a Key Win, an Area for Improvement): the recurrence rate read against its target."""
        rate = self.rate
        if rate is None:
            return None, None
        line = f"Issue recurrence rate: {rate * 100:.0f}% (target < {RECURRENCE_TARGET * 100:.0f}%)"
        if self.recurred:
            line += f", {self.recurred} recurred this week"
        return (line, None) if rate < RECURRENCE_TARGET else (None, line)
