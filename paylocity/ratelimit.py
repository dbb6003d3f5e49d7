"""Client-side rate limiting: keep every sliding window, as the server sees it, at or under Paylocity's limit.

Paylocity counts calls per client credential in a sliding 1-second window (WebLink: 25 calls/s, then 429). A
token bucket would let a full bucket plus the refill through in one second, so this is a *sliding log with
reservations* (``book``): call ``n`` may start no earlier than ``window`` after call ``n - capacity`` started.
Any window of that length then holds at most ``capacity`` calls.

Where the log lives is pluggable, so the limit holds for everyone who shares it: a ``LocalWindow`` keeps it in
this process (plain tests, the sandbox, scripts); the Odoo side provides a window kept in PostgreSQL, shared by
every thread, worker process and server of the database. A limiter takes a *batch* of reservations per visit
to a shared window (as many as its threads are waiting for), so a database round trip serves several calls.

The safety margin: a call reaches the server a little after its slot (thread scheduling, connection set-up, a
database round trip). If call ``n - capacity`` is delayed by ``d`` more than call ``n``, the server sees the two
``window - d`` apart. Widening the client's window by ``guard`` seconds absorbs a delay spread up to ``guard``;
with the default 80 ms the steady throughput is 25 / 1.08 = 92.6 % of the limit (50 ms, 95 %, drew a few 429s
from two busy processes on a loaded 2-core machine: bench/RESULTS.md). A reserved slot that nobody took within
a quarter of the guard is given back rather than used late, and so is one its thread woke up too late for (a
busy process: the interpreter lock, the scheduler). A shared window's times are the store's clock (the
database's); a limiter maps them onto its own with the smallest offset it saw in the last seconds, so a slow
round trip does not move the slots it brought closer to the ones before.

A 429 pauses the whole window (``hold``), for every process sharing it, but never longer than ``MAX_HOLD``:
a ``Retry-After`` of a day must not make every later call of a worker sleep for a day (the transport fails that
call instead, so its job is retried later).
"""
import collections
import hashlib
import math
import threading
import time

GUARD = 0.08          # seconds added to the window for the spread of delays between a slot and its arrival
MAX_HOLD = 60.0       # seconds a 429 may pause a window at most
MAX_BATCH = 8         # reservations taken per visit to a shared window at most
OFFSET_SPAN = 10.0    # seconds of clock-offset samples the estimate is the minimum of
MAX_LATE_WAKE_UPS = 5  # slots a thread that keeps waking up late gives back before it goes anyway


def credential_key(family, base_url, client_id):
    """The window's name for one credential: a hash of the API family, host and client id (never the secret)."""
    text = "\n".join((str(family), str(base_url).rstrip("/").lower(), str(client_id)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def window_shape(rate, guard=GUARD):
    """(capacity, window seconds) for a rate in calls per second. Fractional rates above 1/s round down
    (2.5/s → 2 per second keeps every 1-second window under 2.5); rates below 1/s become one call per
    1/rate seconds."""
    if not rate or rate <= 0:
        raise ValueError("rate must be a positive number of calls per second")
    if rate >= 1:
        return int(math.floor(rate)), 1.0 + guard
    return 1, 1.0 / rate + guard


def book(starts, not_before, now, count, capacity, window):
    """The sliding log's rule, free of any storage: reserve ``count`` start times after ``starts`` (the last
    booked start times, oldest first) at ``now``, none before ``not_before``. Returns (the log to keep, the
    reserved times). Each reserved time is at least ``window`` after the one booked ``capacity`` places earlier."""
    log = list(starts)[-capacity:] if capacity else []
    reserved = []
    for _ in range(count):
        start = max(now, not_before)
        if len(log) >= capacity:
            start = max(start, log[-capacity] + window)
        log.append(start)
        reserved.append(start)
    return log[-capacity:], reserved


class LocalWindow:
    """A window kept in this process's memory: shared by the threads of this process only."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._starts = []
        self._not_before = 0.0
        self._lock = threading.Lock()

    def book(self, count, capacity, window):
        """Reserve ``count`` start times; returns (None, times): None says the times are in the caller's clock."""
        with self._lock:
            self._starts, reserved = book(self._starts, self._not_before, self._clock(), count, capacity, window)
            return None, reserved

    def hold(self, seconds):
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)


class LocalWindows:
    """The default provider of windows: one ``LocalWindow`` per credential in this process."""

    name = "local"

    def window(self, key):
        return LocalWindow()


class RateLimiter:
    """Thread-safe limiter: at most ``capacity`` call starts in any window of ``window + guard`` seconds, counted
    in ``store`` (a ``LocalWindow`` of its own unless given one that others share).

    A store has ``book(count, capacity, window) -> (store_now, times)``, where ``store_now`` is the store's
    clock when it booked (None when ``times`` are already in this limiter's clock), and ``hold(seconds)``.
    """

    def __init__(self, rate, *, guard=GUARD, store=None, clock=time.monotonic, sleep=time.sleep,
                 max_batch=MAX_BATCH, max_hold=MAX_HOLD):
        self.capacity, self.window = window_shape(rate, guard)
        self.rate = float(rate)
        self.guard = guard
        self.max_batch = max(1, int(max_batch))
        self.max_hold = float(max_hold)
        self._clock = clock
        self._sleep = sleep
        self._store = store if store is not None else LocalWindow(clock)
        self._late = guard / 4.0
        self._offsets = collections.deque()      # (when, sample), samples increasing: a sliding minimum
        self._reserved = collections.deque()     # slots booked in the store, not handed out yet (our clock)
        self._starts = collections.deque(maxlen=self.capacity)  # the last slots handed out here
        self._waiting = 0
        self._count_lock = threading.Lock()
        self._lock = threading.Lock()

    def reserve(self):
        """Book the next free start time and return it (clock units); does not wait."""
        with self._count_lock:
            self._waiting += 1
        try:
            with self._lock:
                now = self._clock()
                while self._reserved and self._reserved[0] < now - self._late:
                    self._reserved.popleft()     # nobody took it in time: using it late could crowd a window
                if not self._reserved:
                    self._refill()
                start = self._reserved.popleft()
                self._starts.append(start)
                return start
        finally:
            with self._count_lock:
                self._waiting -= 1

    def _batch_size(self):
        with self._count_lock:
            return min(self.max_batch, max(1, self._waiting))

    def _refill(self):
        store_now, times = self._store.book(self._batch_size(), self.capacity, self.window)
        self._reserved.extend(t + self._offset_from(store_now) for t in times)

    def _offset_from(self, store_now):
        """Our clock minus the store's. The store read its clock before its answer came back, so every sample
        is the true offset plus that visit's delay: the smallest recent one is the best estimate, and mapping
        with it can only move a slot later, never earlier."""
        if store_now is None:
            return 0.0
        now = self._clock()
        sample = now - store_now
        offsets = self._offsets
        while offsets and offsets[-1][1] >= sample:
            offsets.pop()
        offsets.append((now, sample))
        while offsets[0][0] < now - OFFSET_SPAN:
            offsets.popleft()
        return offsets[0][1]

    def acquire(self):
        """Wait for a slot; returns the seconds waited. A thread that wakes up too late for its slot (a busy
        process: the interpreter lock, the scheduler) takes another one rather than crowd a window."""
        waited = 0.0
        for _attempt in range(MAX_LATE_WAKE_UPS):
            start = self.reserve()
            wait = start - self._clock()
            if wait > 0:
                self._sleep(wait)
                waited += wait
            if self._clock() - start <= self._late:
                break
        return waited

    def hold(self, seconds):
        """Grant nothing for ``seconds``, at most ``max_hold`` (the server said 429: every thread and every
        process sharing the window backs off, not just the one told). Returns the seconds applied."""
        if not seconds or seconds <= 0:
            return 0.0
        seconds = min(float(seconds), self.max_hold)
        with self._lock:
            self._reserved.clear()   # slots booked before the pause
            self._store.hold(seconds)
        return seconds

    def recent(self, within=1.0):
        """How many calls started (or are booked to start) here in the last ``within`` seconds."""
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


def shared_limiter(key, rate, *, guard=GUARD, windows=None):
    """One limiter per credential key and rate in this process, so several clients of one Paylocity client id
    share it; its window comes from ``windows`` (``LocalWindows`` by default, or one shared more widely)."""
    windows = windows if windows is not None else _LOCAL_WINDOWS
    cache_key = (windows.name, key, rate, guard)
    with _shared_lock:
        limiter = _shared.get(cache_key)
        if limiter is None:
            limiter = _shared[cache_key] = RateLimiter(rate, guard=guard, store=windows.window(key))
        return limiter


_LOCAL_WINDOWS = LocalWindows()
