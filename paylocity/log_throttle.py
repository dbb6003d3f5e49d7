"""Log lines that a flood cannot multiply: at most ``burst`` lines per ``interval`` for each key (such as "refusals of
one connection with one status"); the lines held back are counted and the next line let through says how many.

In-process and thread-safe; each worker process keeps its own counts, so a flood logs at most ``burst`` lines per
interval per key in each process. The keys are bounded too (``max_keys``): a flood of new keys (say, random
addresses) shares one window once they are all taken, so it grows neither the memory nor the log.
"""
import threading
import time


class LogThrottle:

    def __init__(self, interval=60.0, burst=3, max_keys=256, clock=time.monotonic):
        if interval <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("a log throttle needs a positive interval, burst and key count")
        self.interval = float(interval)
        self.burst = int(burst)
        self.max_keys = int(max_keys)
        self._clock = clock
        self._lock = threading.Lock()
        self._windows = {}   # key -> [window start, lines let through in it, lines held back since the last one]

    def allow(self, key):
        """None when this line is to be held back; otherwise the number of lines of ``key`` held back since the last
        one let through (usually 0), for the line to mention."""
        now = self._clock()
        with self._lock:
            if key not in self._windows and len(self._windows) >= self.max_keys:
                self._forget_expired(now)
                if len(self._windows) >= self.max_keys:
                    key = _OVERFLOW   # no room: new keys share one window
            window = self._windows.get(key)
            if window is None or now - window[0] >= self.interval:
                held_back = window[2] if window else 0
                self._windows[key] = [now, 1, 0]
                return held_back
            if window[1] < self.burst:
                window[1] += 1
                held_back, window[2] = window[2], 0
                return held_back
            window[2] += 1
            return None

    def _forget_expired(self, now):
        for key in [key for key, window in self._windows.items() if now - window[0] >= self.interval]:
            del self._windows[key]


_OVERFLOW = object()
