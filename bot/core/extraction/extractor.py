"""Turning a tokenised analysis document into remediation items.

What becomes an item (everything else -- headings, WHY answers, evidence bullets, prose -- does not):

* every checkbox line (`- [ ]`, `- [x]`, `☐`), in any section except success criteria (there they are
  criteria), and every list line that opens (or, for ✅, ends) with a status emoji (🔴 🟡 ⚠️ …) outside
  narrative and evidence sections, where emoji are legends and retrospective notes;
* every top-level list line in an action section (Action Items, Remediation Plan, Next Steps, Tasks,
  Recommendations, Follow-ups, Corrective actions, What we're doing, Countermeasures, …, and the
  neutrally named sub-headings under one), except group labels ending in ":", field lines ("Owner: …")
  and legends ("P0 - Critical for reliability", "Prevent - …");
* every sentence that commits to work ("We will …", "We are rolling out …", "We need to …", "X will be
  changed so that …") in the prose of an action or prevention section, and -- only the unmistakable
  forms -- in a section of unknown purpose; never in narrative (what happened, timeline, root cause,
  what went well, justification);
* a line opening with Critical Fix:/Fix:/Investigation:/Prevention:/Detection:/Monitoring: or an item
  id ("CA-2: …") inside an action section, wrapped lines included; a list item opening with Critical
  Fix:/Fix:/Investigation:/Action:/TODO:/Follow-up: anywhere; a plain line opening with
  Action:/TODO:/Follow-up: anywhere;
* a sub-heading of an action section that opens with an item id ("### AI-1: …"): the lines under it
  are its details ("**Owner:** Priya · **Status:** Done");
* a list line anywhere that carries its own "Owner:" or "Due:" field;
* every row of a table that has a task-like column (Task, Action, Item, Title, Fix, …, or Summary,
  Description, Countermeasure next to an Owner/Assignee/Bug/Ticket/Priority/Due/Status column);
* the Recommendation prose, only when nothing else in the document is actionable.

An item's title is its whole text, wrapped lines included, without link leftovers or done markers;
past TITLE_LIMIT characters it is cut at a word and the full text becomes its description. Nested
bullets under an item are its details (owner, due date, evidence) and, unless they are fields, its
sub-tasks, kept as its success criteria; nested checkboxes are items of their own, except one- or
two-word ones ("Linux", "macOS"), which are criteria. A bold lesson that leads an item ("**Backups
nobody restores are not backups.** We will …") is not part of its title; "[Name] …" names its owner.
Ticked checkboxes, ✅ anywhere, "(done)", "(dropped: …)", "_done in …_", "— Done", "DONE: …", a
struck-through item, a "Status: Complete" detail, a done cell in any column of a table, past-tense
follow-ups ("We have moved …") and "Completed" sections are reported in `done`.

Prevention sections: every bullet (and prose line) is a prevention measure, attached to the corrective
and detective items in the same part of the document. When the section marks some bullets as work to
track (a checkbox, an owner or due date), only those become preventative items and the others are
descriptions of measures; when it marks none, every bullet is a preventative item.

Criteria checkboxes become the items themselves when nothing else in the document is left to do (an
assessment whose fixes are all done and whose closure criteria are still open).

Front matter is skipped; the document's first heading never makes the rest of it narrative.

Success criteria (Success Criteria, SUCCESS CRITERIA FOR CLOSURE, Validation/Acceptance Criteria) attach
to every item under the criteria heading's parent heading -- all items, for a top-level criteria section.

Evidence sections never make items; a bullet's references (path:L10-L20, file.py:465, commit hashes,
tests/x.py::test_y) go to the items whose id it names ("WH-1: `ack.py:L40-L72`"). An item's own text,
including its nested bullets, is its evidence otherwise.

The document's severity is its first readable "Severity:" (or document-level "Priority:") line.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from bot.core.extraction import fields
from bot.core.extraction.document import normalise_newlines
from bot.core.extraction.items import assemble
from bot.core.extraction.model import Extraction
from bot.core.extraction.walker import Walker


def extract(text: str, *, today: datetime.date, known_users: Mapping[str, str] | None = None) -> Extraction:
    """Read remediation items out of an analysis document (Five Whys, post-mortem, remediation plan).

    `today` fills in the year of dates written without one; `known_users` maps lowercase names and
    handles to Slack user ids. Never raises on text: what it cannot read becomes a warning.
    """
    known = {fields.normalise_user_key(k): v for k, v in (known_users or {}).items() if k and v}
    found = Walker(today).run(normalise_newlines(text))
    return assemble(found, today=today, known=known)
