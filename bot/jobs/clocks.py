"""The incident clocks (pages, escalations, update nudges, close-outs) that the escalations and reminders
jobs also run. They belong to the incidents feature; a deployment without it simply has none to run."""

from __future__ import annotations

import importlib
from types import ModuleType

MODULE = "bot.services.incident_clocks"


def incident_clocks() -> ModuleType | None:
    """The incident clocks module, or None when the incidents feature is not installed. Any other import
    error (a bug in the module) is raised, never hidden."""
    try:
        return importlib.import_module(MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != MODULE:
            raise
        return None
