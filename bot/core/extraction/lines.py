"""What one line of an analysis document is, read on its own: a prefixed step ("Critical Fix: …",
"CA-2: …"), a field of the item above it ("Owner: …"), a legend entry ("P0 - Critical for
reliability"), a document-level severity, a wrapped continuation, a lesson that leads into an action."""

from __future__ import annotations

import re

from bot.core.extraction.sections import SectionKind as K

# Prefixes that mark a line as work in an action section ("Remediation Plan: 1. Prevention: …").
ACTION_PREFIX = re.compile(
    r"^(?:critical\s+fix|hot\s?fix|fix|investigation|investigate|prevention|preventive|preventative|"
    r"detection|monitoring|alerting|action(?:\s+item)?|todo|to-do|follow[\s-]?up|next\s+step)\s*:",
    re.I,
)
# Outside action sections only prefixes that name work count: "- **Detection**: < 5 minutes" and
# "- **Prevention:** knowledge capture prevents recurrence" are fields or prose there.
WORK_PREFIX = re.compile(
    r"^(?:critical\s+fix|hot\s?fix|fix|investigation|investigate|action(?:\s+item)?|todo|to-do|"
    r"follow[\s-]?up)\s*:",
    re.I,
)
TODO_PREFIX = re.compile(r"^(?:action(?:\s+item)?|todo|to-do|follow[\s-]?up)\s*:", re.I)
# A sub-heading that is itself an item, under an action section: "### AI-1: Alert on rejected samples".
HEADING_ITEM = re.compile(
    r"^(?:[A-Z]{1,6}-\d{1,4}|AI\s?#?\d{1,3}|[Aa]ction(?:\s+[Ii]tem)?\s+#?\d{1,3})\s*[:.)\u2013\u2014-]\s+\S"
)
# A paragraph that opens with an item id, in an action section: "CA-2: Add storage firmware to …".
ID_PREFIX = re.compile(r"^(?:[A-Z]{1,6}-?\d{1,4}|[Aa]ction\s+\d{1,3}|[Ii]tem\s+\d{1,3})\s*[:.)]\s+(?=\S)")
# A bullet that is one field of the item above it (or of the document), never an item of its own.
FIELD_LINE = re.compile(
    r"^(?:owners?|assignee|assigned\s+to|dri|due(?:\s+date)?|deadline|eta|target(?:\s+date|\s+files?)?|"
    r"priority|severity|status|(?:implementation\s+|test\s+|completion\s+)?evidence|commits?|files?|lines?"
    r"(?:\s+added|\s+modified)?|tests?(?:\s+file|\s+name)?|systems?|affected\s+systems|effort|estimate|"
    r"dependencies|depends\s+on|notes?|type|kind|category|links?|ticket|jira|pr|pull\s+request|"
    r"expected\s+changes|location)\s*:",
    re.I,
)
HAS_OWNER_OR_DUE = re.compile(
    r"(?<![\w-])(?:owners?|assignee|assigned\s+to|dri|due(?:\s+date)?|deadline)\s*(?:\*\*|__)?\s*:", re.I
)
# A document-level "Severity: P1" (or, in the critical-issue template, "Priority: P0") outside any item.
SEVERITY_LINE = re.compile(
    r"^(?:incident\s+|overall\s+)?(?:severity|priority)(?:\s+level)?\s*[:=]\s*(?P<value>.*)$", re.I
)
SYSTEMS_LINE = re.compile(
    r"^(?:affected|impacted)\s+(?:systems?|services?|components?)\s*[:=]\s*(?P<value>.*)$", re.I
)
ITEM_ID_AT_START = re.compile(r"\s*([A-Z][A-Z0-9]{0,9}-\d{1,8})\b")
# A definition in a legend: "P0 - Critical for reliability", "Prevent - stops this class of incident".
LEGEND_LINE = re.compile(
    r"^(?:(?:prevent(?:ive|ion)?|mitigat(?:e|ion|ive)|detect(?:ion|ive)?|repair|process|correct(?:ive)?|"
    r"respond|response|improve|other|investigate)\s*(?:[-\u2013\u2014=]|\bmeans?\b)\s+\S"
    r"|(?:prevent|mitigate|detect|repair|respond|process|correct)\s*:\s*[a-z]"  # "Mitigate: shortens …"
    r"|(?:p[0-4]|sev\s?-?[0-4]|s[0-4]|critical|high|medium|low)\s*(?:[-\u2013\u2014=:]|\bmeans?\b)\s*"
    r"(?:critical|important|nice|high|medium|low|must|should|could|urgent|normal|major|minor|needed|"
    r"required|optional|blocker|best\s+effort|highest|lowest)\b)",
    re.I,
)
# The next definition of a legend already begun: "P2 - Stretch goals …" after "P1 - Important for …".
LEVEL_DEFINITION = re.compile(r"^(?:[Pp][0-4]|[Ss]ev\s?-?[0-4]|S[0-4])\s*[-\u2013\u2014=:]\s+[A-Z]")
# Where a wrapped line goes on with the item above it rather than starting something new.
CONTINUES = re.compile(r"^[a-z0-9(\[`\"'\u201c_*&+/\u2013\u2014-]")
SENTENCE_KINDS = (K.ACTION, K.PREVENTION, K.UNKNOWN)
# "1. **Backups that are never restored are not backups.** We will restore …": a bold sentence that
# states the lesson, then the work. The title is the work.
LESSON_LEAD = re.compile(r"^(\*\*|__)(?=[^*_\n]{8,300}?[.!?]\1\s)[^*_\n]+?[.!?]\1\s+(?=\S+\s+\S+\s+\S)")
WRAP_LIMIT = 1_000  # characters of wrapped text a title is read from; the rest is the item's detail
