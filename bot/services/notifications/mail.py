"""E-mail: who is told what, by rule.

- Level 2 and Level 3 escalations (of overdue items and of unacknowledged incidents) go to
  ESCALATION_L2_EMAILS / ESCALATION_L3_EMAILS, once per subject, level and recipient;
- a declared incident goes to INCIDENT_EMAILS for its severity;
- the weekly report (with its chart inline) and the digest go to WEEKLY_REPORT_EMAILS / DIGEST_EMAILS.

Each message is one delivery per recipient (``email`` destination) whose idempotency key is stable for the
event and the recipient; the sender derives the Message-ID from it. The payload is the message's parts:
subject, plain text, HTML, and inline images (PNG bytes, base64) referenced from the HTML by Content-ID.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core.items.impact import money
from bot.core.timing.durations import format_duration
from bot.services import events, outbox
from bot.services.events import SubjectEvent, Subscriber
from bot.services.notifications import REPORT
from bot.services.notifications.facts import SEVERITY_NAMES, fit_key, name_of, subject_facts
from bot.services.notifications.mrkdwn_mail import block_texts, blocks_html, blocks_text, mentioned_users
from storage import queries

DESTINATION = "email"
CHART_CID = "weekly-chart"


def subscriber(settings: Settings) -> Subscriber:
    def on_event(session: Session, event: SubjectEvent) -> None:
        if event.subject == REPORT:
            _report(session, settings, event)
        elif event.kind == "escalated":
            _escalation(session, settings, event)
        elif event.subject == events.INCIDENT and event.kind == "declared":
            _declared(session, settings, event)

    return on_event


# --- what each message says ------------------------------------------------------------------------------


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;'
        'color:#1d1c1d;max-width:720px">\n'
        f"{body}\n"
        '<p style="color:#616061;font-size:85%">Sent by Remediate.</p>\n</body></html>\n'
    )


def notice(
    *, title: str, intro: str, rows: list[tuple[str, Any]], link: str | None, link_text: str
) -> tuple[str, str]:
    """A short notice: a title, one sentence, the facts as a table, a link. Returns (plain text, HTML)."""
    shown = [(label, str(value)) for label, value in rows if value not in (None, "")]
    width = max((len(label) for label, _ in shown), default=0)
    text = "\n".join(
        [title, "", intro, "", *(f"{label + ':':<{width + 1}} {value}" for label, value in shown)]
        + ([f"\n{link_text}: {link}"] if link else [])
    )
    table = "".join(
        f'<tr><th align="left" valign="top">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>'
        for label, value in shown
    )
    body = (
        f"<h2>{html.escape(title)}</h2>\n<p>{html.escape(intro)}</p>\n"
        f'<table cellpadding="4" cellspacing="0">{table}</table>\n'
    )
    if link:
        body += f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link_text)}</a></p>\n'
    return text + "\n", _document(title, body)


def _when(at: str | None) -> str | None:
    if not at:
        return None
    return datetime.fromisoformat(at.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")


def _escalation(session: Session, settings: Settings, event: SubjectEvent) -> None:
    level = int(event.data.get("level") or 0)
    recipients = {2: settings.escalation_l2_emails, 3: settings.escalation_l3_emails}.get(level, "")
    if not recipients:
        return
    facts = subject_facts(session, settings, event.subject, event.subject_id)
    if facts is None:
        return
    if event.subject == events.ITEM:
        deadline = datetime.fromisoformat(facts["deadline"].replace("Z", "+00:00"))
        overdue = format_duration(event.at - deadline) if event.at > deadline else None
        subject = (
            f"Level {level} escalation: {facts['id']} ({facts['priority']}) is overdue — {facts['title']}"
        )
        text, body = notice(
            title=f"Level {level} escalation: {facts['id']} is overdue",
            intro=f"The remediation item “{facts['title']}” is past its deadline"
            + (f" by {overdue}" if overdue else "")
            + f" and has reached Level {level} of the escalation ladder.",
            rows=[
                ("Item", facts["id"]),
                ("Title", facts["title"]),
                ("Priority", facts["priority"]),
                ("Status", facts["status"].replace("_", " ")),
                ("Owner", facts["owner"]),
                ("Deadline", _when(facts["deadline"])),
                ("Overdue by", overdue),
                (
                    "Business impact",
                    f"{money(facts['mrr_at_risk'])} MRR at risk" if facts["mrr_at_risk"] else None,
                ),
                ("Users affected", facts["users_affected"]),
                ("Incident", facts["incident_id"]),
                ("Level", level),
            ],
            link=facts["slack"],
            link_text="Open in Slack",
        )
    else:
        opened = datetime.fromisoformat(facts["declared_at"].replace("Z", "+00:00"))
        acked = facts["acknowledged_at"]
        # Levels 2 and 3 fire while the incident is unresolved, acknowledged or not: say which it is.
        state = "not acknowledged" if acked is None else "unresolved"
        subject = f"Level {level} escalation: {facts['id']} ({facts['severity']}) {state} — {facts['title']}"
        how = (
            "without acknowledgement"
            if acked is None
            else f"without being resolved (acknowledged {_when(acked)})"
        )
        text, body = notice(
            title=f"Level {level} escalation: incident {facts['id']}",
            intro=f"Incident “{facts['title']}” ({SEVERITY_NAMES.get(facts['severity'], facts['severity'])}) "
            f"has been open {format_duration(event.at - opened)} {how}.",
            rows=[
                ("Incident", facts["id"]),
                ("Title", facts["title"]),
                ("Severity", facts["severity"]),
                ("Status", facts["status"]),
                ("Impact", facts["impact"]),
                ("Users affected", facts["users_affected"]),
                ("Commander", facts["commander"]),
                ("Declared", _when(facts["declared_at"])),
                ("Acknowledged", _when(acked) or "not yet"),
                ("Level", level),
            ],
            link=facts["slack"],
            link_text="Open the incident in Slack",
        )
    for address in recipients.split(","):
        _queue(
            session,
            event,
            to=address,
            subject=subject,
            text=text,
            html_body=body,
            key=f"email:escalation:{event.subject}:{event.subject_id}:L{level}:{address}",
        )


def _declared(session: Session, settings: Settings, event: SubjectEvent) -> None:
    facts = subject_facts(session, settings, event.subject, event.subject_id)
    if facts is None:
        return
    recipients = settings.incident_email_map.get(facts["severity"], [])
    if not recipients:
        return
    text, body = notice(
        title=f"Incident declared: {facts['id']} ({facts['severity']})",
        intro=f"{facts['commander']} is the commander of “{facts['title']}”, declared "
        f"{_when(facts['declared_at'])}.",
        rows=[
            ("Incident", facts["id"]),
            ("Title", facts["title"]),
            ("Severity", SEVERITY_NAMES.get(facts["severity"], facts["severity"])),
            ("Status", facts["status"]),
            ("Impact", facts["impact"]),
            ("Users affected", facts["users_affected"]),
            ("Commander", facts["commander"]),
            ("Declared by", name_of(session, event.actor_id)),
        ],
        link=facts["slack"],
        link_text="Follow the incident in Slack",
    )
    for address in recipients:
        _queue(
            session,
            event,
            to=address,
            subject=f"{facts['severity']} incident declared: {facts['id']} — {facts['title']}",
            text=text,
            html_body=body,
            key=f"email:declared:{facts['id']}:{address}",
        )


def _report(session: Session, settings: Settings, event: SubjectEvent) -> None:
    weekly = event.kind == "weekly_report"
    recipients = settings.weekly_report_emails if weekly else settings.digest_emails
    if not recipients:
        return
    blocks = list(event.data.get("blocks") or [])
    users = queries.cached_users(session, user_ids=mentioned_users([event.summary, *block_texts(blocks)]))

    def names(user_id: str) -> str:
        cached = users.get(user_id)
        return (cached.real_name or cached.name) if cached is not None else user_id

    title = str(event.data.get("title") or event.summary)
    text = blocks_text(blocks, names) if blocks else event.summary
    body = blocks_html(blocks, names)
    inline: list[dict[str, str]] = []
    chart = event.data.get("chart_png")
    if weekly and isinstance(chart, bytes | bytearray):
        alt = html.escape(str(event.data.get("chart_title") or "Remediation trend"), quote=True)
        body += f'\n<p><img src="cid:{CHART_CID}" alt="{alt}" width="720" style="max-width:100%"></p>'
        text += "\n\n(The trend chart is in the HTML version of this message.)"
        inline.append(
            {
                "cid": CHART_CID,
                "filename": str(event.data.get("chart_filename") or "chart.png"),
                "content_b64": base64.b64encode(bytes(chart)).decode("ascii"),
                "subtype": "png",
            }
        )
    for address in recipients.split(","):
        _queue(
            session,
            event,
            to=address,
            subject=title,
            text=text + "\n",
            html_body=_document(title, body),
            key=f"email:{event.subject_id}:{address}",
            inline=inline,
        )


def _queue(
    session: Session,
    event: SubjectEvent,
    *,
    to: str,
    subject: str,
    text: str,
    html_body: str,
    key: str,
    inline: list[dict[str, str]] | None = None,
) -> None:
    outbox.deliver(
        session,
        destination=DESTINATION,
        method="send",
        payload={
            "to": to,
            "subject": subject[:250],
            "text": text,
            "html": html_body,
            "inline": inline or [],
            "date": event.at.isoformat(),
        },
        now=event.at,
        key=fit_key(key),
        pace_key=f"email:{to}",
    )
