"""Tables of The web dashboard: one-time sign-in links and sessions.

Imported by `storage.models`, so they are on SQLModel.metadata with the rest.
"""

from __future__ import annotations
