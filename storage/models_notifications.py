"""Tables of PagerDuty incidents, e-mail recipients and outbound web hook subscriptions.

Imported by `storage.models`, so they are on SQLModel.metadata with the rest.
"""

from __future__ import annotations
