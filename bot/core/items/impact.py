"""Business impact as reports quote it: MRR at risk per the process document's revenue protection rules."""

from __future__ import annotations

from bot.core.items.rules import default_mrr


def mrr_at_risk(priority: str, explicit: float | None, monthly_revenue: float | None) -> float | None:
    """The item's own figure, else the default share of MONTHLY_REVENUE for its priority, else None."""
    return explicit if explicit is not None else default_mrr(priority, monthly_revenue)


def money(amount: float | None) -> str:
    """Whole dollars, ``$2,500``; ``not assessed`` when there is no figure."""
    if amount is None:
        return "not assessed"
    return f"${amount:,.0f}"
