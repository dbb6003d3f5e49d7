"""Sliding-window rate limit per client credential, as Paylocity enforces it (429 when exceeded)."""
from __future__ import annotations

import collections
import threading
import time
from typing import Optional


class SlidingWindowLimiter:
    """At most ``limit`` accepted calls in any ``window`` seconds per key; ``limit=None`` disables it.

    Rejected calls are not counted, so a client that backs off gets through as soon as the window moves.
    """

    def __init__(self, limit: Optional[int], window: float = 1.0, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._calls = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def allow(self, key) -> bool:
        if self.limit is None:
            return True
        now = self._clock()
        with self._lock:
            calls = self._calls[key]
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return False
            calls.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()


def busiest_window(times, window: float = 1.0) -> int:
    """The most of ``times`` inside any half-open window of ``window`` seconds: what a limit of N calls per
    window promises stays at or under N (the window ``allow`` counts, applied to recorded times)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
