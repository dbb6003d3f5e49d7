"""Client-side rate limiting: keep every sliding window, as the server sees it, at or under Paylocity's limit.

Paylocity counts calls in a sliding 1-second window (WebLink: 25 calls/s, then 429). A token bucket would let a
full bucket plus the refill through in one second, so this is a *sliding log with reservations*: call ``n`` may
start no earlier than ``window`` after call ``n - capacity`` started. Any window of that length then holds at
most ``capacity`` calls.

The safety margin: a call reaches the server a little after its slot was granted, and that delay varies (thread
scheduling, connection set-up). If call ``n - capacity`` is delayed by ``d`` more than call ``n``, the server sees
the two ``window - d`` apart. Widening the client's window by ``guard`` seconds absorbs a delay spread up to
``guard``; with the default 50 ms the steady throughput is 25 / 1.05 = 95 % of the limit.
"""
import collections
import math
import threading
import time


class RateLimiter:
    """Thread-safe limiter: at most ``capacity`` call starts in any window of ``window + guard`` seconds."""

    def __init__(self, rate, *, guard=0.05, clock=time.monotonic, sleep=time.sleep):
        if not rate or rate <= 0:
            raise ValueError("rate must be a positive number of calls per second")
        # Fractional rates above 1/s round down (2.5/s → 2 per second keeps every 1-second window under 2.5);
        # rates below 1/s become one call per 1/rate seconds.
        if rate >= 1:
            self.capacity = int(math.floor(rate))
            self.window = 1.0 + guard
        else:
            self.capacity = 1
            self.window = 1.0 / rate + guard
        self.rate = float(rate)
        self.guard = guard
        self._clock = clock
        self._sleep = sleep
        self._starts = collections.deque(maxlen=self.capacity)  # the last `capacity` granted start times
        self._not_before = 0.0
        self._lock = threading.Lock()

    def reserve(self):
        """Book the next free start time and return it (clock units); does not wait."""
        with self._lock:
            now = self._clock()
            start = max(now, self._not_before)
            if len(self._starts) == self.capacity:
                start = max(start, self._starts[0] + self.window)
            self._starts.append(start)
            return start

    def acquire(self):
        """Wait for a slot; returns the seconds waited."""
        start = self.reserve()
        wait = start - self._clock()
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0

    def hold(self, seconds):
        """Grant nothing for ``seconds`` (the server said 429: every thread backs off, not just the one told)."""
        if seconds and seconds > 0:
            with self._lock:
                self._not_before = max(self._not_before, self._clock() + seconds)

    def recent(self, within=1.0):
        """How many calls started (or are booked to start) in the last ``within`` seconds."""
        with self._lock:
            now = self._clock()
            return sum(1 for t in self._starts if t > now - within)

    def in_burst(self):
        """True when at least half a window's capacity started in the last two windows (used to read WebLink's
        old 403-after-a-burst). Two windows, because a limiter at full pace starts calls in bunches: right
        after a bunch the last single window can look almost empty."""
        return self.recent(2 * self.window) >= max(2, (self.capacity + 1) // 2)


_shared = {}
_shared_lock = threading.Lock()


def shared_limiter(key, rate, *, guard=0.05):
    """One limiter per key and rate in this process, so several clients of one Paylocity client id share it."""
    with _shared_lock:
        limiter = _shared.get((key, rate, guard))
        if limiter is None:
            limiter = _shared[(key, rate, guard)] = RateLimiter(rate, guard=guard)
        return limiter
