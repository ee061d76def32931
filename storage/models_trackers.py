"""Tables of GitHub Issues and Jira: which issue each item is linked to, and what was last synced.

Imported by `storage.models`, so they are on SQLModel.metadata with the rest.
"""

from __future__ import annotations
