"""Tables of CI evidence: test reports received and the criteria they check.

Imported by `storage.models`, so they are on SQLModel.metadata with the rest.
"""

from __future__ import annotations
