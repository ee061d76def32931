"""What the services need said, and the one object that says it: `Renderer`, reached as `deps.render`.

A service decides what is said to whom and queues it; how it looks (Block Kit today; e-mail or a web page
later) belongs to the layer that draws it. The services list here, one protocol per feature, the messages
they queue; the composition root wires the Slack layer's builders in (`bot.slack.blocks.renderer`).
Every message is plain data in (records and core values, never ORM rows) and ``(fallback text, blocks)`` out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core.escalation.ladder import AlertView
from bot.core.extraction_preview import NothingActionable, Preview
from bot.core.incidents.postmortem import Record
from bot.core.incidents.rules import IncidentClocks
from bot.core.items.boards import DueSoon
from bot.core.records import IncidentRecord, ItemRecord
from bot.core.reports.digest import Digest
from bot.core.reports.weekly import WeeklyKpis

Rendered = tuple[str, list[dict[str, Any]]]


class AlertMessages(Protocol):
    """Escalations of overdue items and due-soon reminders."""

    def alert_message(self, alerts: Sequence[AlertView], *, to_owner: bool) -> Rendered: ...

    def due_soon_message(self, items: Sequence[DueSoon], *, now: datetime) -> Rendered: ...


class DigestMessages(Protocol):
    def digest_message(self, d: Digest, *, dashboard: str = "") -> Rendered: ...


class ReportMessages(Protocol):
    def weekly_report_message(self, k: WeeklyKpis, *, dashboard: str = "") -> Rendered: ...


class ItemMessages(Protocol):
    def notice(self, item: ItemRecord, headline: str, now: datetime) -> Rendered:
        """A DM about a change to an item."""
        ...

    def with_buttons(self, item: ItemRecord, headline: str, now: datetime) -> Rendered:
        """A channel post about an item: the headline, its line and the item's buttons."""
        ...


class IncidentMessages(Protocol):
    """The card, the thread replies, pages, escalations, nudges and close-outs of an incident."""

    def card(self, inc: IncidentRecord, clocks: IncidentClocks) -> Rendered: ...

    def status_update(
        self, inc: IncidentRecord, *, actor_id: str, note: str, reopened: bool = False
    ) -> Rendered: ...

    def page(
        self, inc: IncidentRecord, *, now: datetime, clocks: IncidentClocks, oncall: list[str]
    ) -> Rendered: ...

    def escalation(
        self, inc: IncidentRecord, *, level: int, now: datetime, targets: list[str], setting_name: str
    ) -> Rendered: ...

    def nudge(self, inc: IncidentRecord, *, now: datetime, clocks: IncidentClocks) -> Rendered: ...

    def closed(self, inc: IncidentRecord, *, actor_id: str | None, waived: bool = False) -> Rendered: ...

    def held(self, inc: IncidentRecord, *, now: datetime) -> Rendered: ...

    def note(self, text: str) -> Rendered: ...

    def action_item_added(self, inc: IncidentRecord, item: ItemRecord, *, actor_id: str) -> Rendered: ...

    def postmortem(self, inc: IncidentRecord, *, record: Record, now: datetime) -> Rendered: ...


class ExtractionMessages(Protocol):
    """What follows a document shared with the bot, and what an extraction created."""

    def offer_message(self, preview: Preview) -> Rendered: ...

    def refusal_message(self, message: str) -> Rendered: ...

    def nothing_message(self, problem: NothingActionable) -> Rendered: ...

    def summary_message(
        self,
        *,
        actor_id: str,
        source: str,
        incident_id: str | None,
        items: Sequence[ItemRecord],
        now: datetime,
    ) -> Rendered: ...

    def owner_message(
        self, *, actor_id: str, source: str, items: Sequence[ItemRecord], now: datetime
    ) -> Rendered: ...


@dataclass(frozen=True)
class Renderer:
    """Every message a service queues, by feature."""

    alerts: AlertMessages
    digest: DigestMessages
    report: ReportMessages
    items: ItemMessages
    incidents: IncidentMessages
    extraction: ExtractionMessages
