"""Every slash command, action_id, callback_id and shortcut id the bot uses: here and nowhere else.

A test checks these against manifest.yml and the listeners registered on the app.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Command(StrEnum):
    REMEDIATE = "/remediate"
    INCIDENT = "/incident"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"
    FILE_SHARED = "file_shared"


class Shortcut(StrEnum):
    TRACK_MESSAGE = "track_as_remediation_item"
    EXTRACT_THREAD = "extract_action_items"  # a thread (or one message) as the document to extract from


class Action(StrEnum):
    # remediation item card
    ITEM_OPEN = "item_open"
    ITEM_START = "item_start"
    ITEM_NOTE = "item_note"
    ITEM_COMPLETE = "item_complete"
    ITEM_VALIDATE = "item_validate"
    ITEM_REASSIGN = "item_reassign"
    ITEM_OVERFLOW = "item_overflow"
    ITEM_UNBLOCK = "item_unblock"
    ITEM_NEW = "item_new"
    HOME_PAGE = "home_page"
    # escalation alerts
    ALERT_ACK = "alert_ack"
    ALERT_SNOOZE = "alert_snooze"
    ALERT_STATUS_UPDATE = "alert_status_update"
    ALERT_MENU = "alert_menu"  # per-item overflow in a grouped alert: acknowledge, snooze, status update
    # incidents
    INCIDENT_ACK = "incident_ack"
    INCIDENT_UPDATE = "incident_update"
    INCIDENT_RESOLVE = "incident_resolve"
    INCIDENT_ADD_ACTION_ITEM = "incident_add_action_item"
    # extraction from documents
    EXTRACT_REVIEW = "extract_review"  # the button under a document shared in a DM: open its preview
    EXTRACT_TICK = "extract_tick"  # keyed by row index: the "Create" box of one preview row
    EXTRACT_EDIT = "extract_edit"  # keyed by row index: push the row's edit form
    EXTRACT_PAGE = "extract_page"  # keyed prev/next: another page of the preview
    # issue trackers: an issue closed as not planned asks the owner
    TRACKER_CANCEL = "tracker_cancel"
    TRACKER_KEEP_OPEN = "tracker_keep_open"


class View(StrEnum):
    ITEM_CREATE = "item_create"
    ITEM_NOTE = "item_note"
    ITEM_REASSIGN = "item_reassign"
    ITEM_VALIDATE = "item_validate"
    ITEM_STATUS_UPDATE = "item_status_update"
    ITEM_CARD = "item_card"
    INCIDENT_DECLARE = "incident_declare"
    INCIDENT_UPDATE = "incident_update"
    INCIDENT_RESOLVE = "incident_resolve"
    INCIDENT_ACTION_ITEM = "incident_action_item"
    EXTRACT_INPUT = "extract_input"
    EXTRACT_PREVIEW = "extract_preview"
    EXTRACT_EDIT = "extract_edit"  # one preview row's title, priority, owner, deadline and kind


class IncidentInput(StrEnum):
    """Inputs of the incident modals: each value is both the block_id and the action_id of its element, so
    a field error (``response_action: errors``) lands next to the right input."""

    TITLE = "incident_title"
    SEVERITY = "incident_severity"
    IMPACT = "incident_impact"
    USERS_AFFECTED = "incident_users_affected"
    COMMANDER = "incident_commander"
    DETECTION = "incident_detection"
    STATUS = "incident_status"
    NOTE = "incident_note"
    ETA = "incident_eta"
    NEXT_UPDATE = "incident_next_update"
    SUMMARY = "incident_summary"
    ITEM_TITLE = "incident_item_title"
    ITEM_OWNER = "incident_item_owner"
    ITEM_PRIORITY = "incident_item_priority"
    ITEM_DUE = "incident_item_due"
    ITEM_KIND = "incident_item_kind"


class ItemInput(StrEnum):
    """Inputs of the remediation item modals: each value is both the block_id and the action_id of its
    element, so a field error (``response_action: errors``) lands next to the right input."""

    TITLE = "item_title"
    PRIORITY = "item_priority"
    OWNER = "item_owner"
    DEADLINE = "item_deadline"
    DESCRIPTION = "item_description"
    KIND = "item_kind"
    SYSTEMS = "item_systems"
    CRITERIA = "item_criteria"
    INCIDENT = "item_incident"
    SOURCE = "item_source"
    NOTE = "item_note_text"
    MRR = "item_mrr"
    FORCE = "item_force"
    NEW_OWNER = "item_new_owner"
    CHECKLIST = "item_checklist"  # one checkbox group per ten criteria: item_checklist_0, item_checklist_1, …
    PREVENTION = "item_prevention"
    EVIDENCE = "item_evidence"
    OUTCOME = "item_outcome"
    REASON = "item_reason"


class ExtractInput(StrEnum):
    """Inputs of the extraction modals (each value is its block_id and action_id)."""

    TEXT = "extract_text"
    FILE = "extract_file"
    SOURCE = "extract_source"
    TICK = "extract_tick"  # one block per preview row: extract_tick_0, extract_tick_1, …
    TITLE = "extract_item_title"
    PRIORITY = "extract_item_priority"
    OWNER = "extract_item_owner"
    DEADLINE = "extract_item_deadline"
    KIND = "extract_item_kind"


class AlertInput(StrEnum):
    """Inputs of the alert status-update modal (each value is its block_id and action_id)."""

    STATUS_TEXT = "alert_status_text"


def keyed(action: Action, key: str | int) -> str:
    """An action_id unique within a message that holds the same control for several things
    (``alert_ack:42``); listeners match the prefix with `keyed_pattern`."""
    return f"{action.value}:{key}"


def keyed_pattern(action: Action) -> re.Pattern[str]:
    """Matches `action` alone or keyed (``alert_ack`` and ``alert_ack:42``)."""
    return re.compile(rf"^{re.escape(action.value)}(:.*)?$")


def key_of(action_id: str) -> str | None:
    """The key of a keyed action_id (``alert_ack:42`` -> ``42``), None when it has none."""
    return action_id.split(":", 1)[1] if ":" in action_id else None
