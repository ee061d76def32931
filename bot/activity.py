"""How busy this process is answering Slack, so that background work can keep out of the way.

Every Slack request (HTTP or Socket Mode) is counted from the moment Bolt takes it until its answer is
ready. The outbox sender reads `idle_for()` and waits while acknowledgements are being computed: Python
runs one thread at a time, and a person waiting on an answer comes before a DM that can go out a second
later (Slack itself paces messages at about one per second per channel).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Activity:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # seconds, monotonic
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_end = float("-inf")

    def begin(self) -> None:
        with self._lock:
            self._in_flight += 1

    def end(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._last_end = self.clock()

    def idle_for(self) -> float:
        """Seconds since the last request was answered; 0 while one is being answered."""
        with self._lock:
            if self._in_flight:
                return 0.0
            return self.clock() - self._last_end
