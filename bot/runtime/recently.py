"""What a process checked lately, so each request need not ask the database again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from cachetools import TTLCache


class Recently:
    """Workspaces seen in some state within the last `seconds` (thread-safe, per process).

    Only a state that rarely ends belongs here (installed, set up): another process may end it
    and this one notices at most `seconds` later.
    """

    def __init__(self, seconds: float, clock: Callable[[], datetime], size: int = 100_000) -> None:
        self._seen: TTLCache[str, bool] = TTLCache(
            maxsize=size, ttl=seconds, timer=lambda: clock().timestamp()
        )
        self._lock = threading.Lock()

    def __contains__(self, workspace_id: object) -> bool:
        with self._lock:
            return workspace_id in self._seen

    def add(self, workspace_id: str) -> None:
        with self._lock:
            self._seen[workspace_id] = True

    def discard(self, workspace_id: str) -> None:
        with self._lock:
            self._seen.pop(workspace_id, None)
