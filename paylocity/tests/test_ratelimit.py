"""The limiter keeps every sliding window at or under the limit, checked on the times it grants (fake clock)."""
import threading

import pytest

from paylocity.ratelimit import LocalWindow, RateLimiter, credential_key, shared_limiter
from sandbox.ratelimit import busiest_window


class FakeClock:
    def __init__(self, start=1000.0):
        self.now = start
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds



def test_first_capacity_calls_pass_then_the_window_slides():
    clock = FakeClock()
    limiter = RateLimiter(25, guard=0.05, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(100):
        limiter.acquire()
        starts.append(clock.now)
    assert starts[:25] == [1000.0] * 25           # a fresh limiter lets a full second's worth through
    assert starts[25] == pytest.approx(1001.05)    # call 26 waits one widened window after call 1
    assert busiest_window(starts, 1.05) == 25
    assert busiest_window(starts, 1.0) <= 25


def test_steady_rate_is_capacity_over_widened_window():
    clock = FakeClock()
    limiter = RateLimiter(25, guard=0.05, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.acquire()
    elapsed = clock.now - 1000.0
    # 1000 calls = 40 bursts of 25 spaced 1.05 s apart: 39 gaps.
    assert elapsed == pytest.approx(39 * 1.05)
    assert 1000 / elapsed / 25 > 0.95


def test_server_side_jitter_up_to_the_guard_never_exceeds_the_limit():
    clock = FakeClock()
    limiter = RateLimiter(25, guard=0.05, clock=clock, sleep=clock.sleep)
    arrivals = []
    for n in range(500):
        start = limiter.reserve()
        clock.now = max(clock.now, start)
        # Worst case: alternate calls reach the server 0 ms and 49 ms after their slot.
        arrivals.append(start + (0.049 if n % 2 == 0 else 0.0))
    assert busiest_window(arrivals, 1.0) <= 25


def reserve_in_threads(limiters, threads, calls):
    """The starts booked by ``threads`` threads at once (spread over ``limiters`` in turn), ``calls`` each."""
    booked = []
    lock = threading.Lock()

    def worker(limiter):
        for _ in range(calls):
            start = limiter.reserve()
            with lock:
                booked.append(start)

    started = [threading.Thread(target=worker, args=(limiters[n % len(limiters)],)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return booked


def test_limit_holds_for_many_threads_reserving_at_once():
    limiter = RateLimiter(10, guard=0.0)   # real clock, but nothing here sleeps: reserve() only books
    booked = reserve_in_threads([limiter], threads=8, calls=50)
    assert len(booked) == 400
    assert busiest_window(booked, 1.0) <= 10


def test_fractional_and_slow_rates():
    clock = FakeClock()
    limiter = RateLimiter(2.5, guard=0.0, clock=clock, sleep=clock.sleep)
    assert (limiter.capacity, limiter.window) == (2, 1.0)
    slow = RateLimiter(0.5, guard=0.0, clock=clock, sleep=clock.sleep)
    assert (slow.capacity, slow.window) == (1, 2.0)
    times = []
    for _ in range(4):
        slow.acquire()
        times.append(clock.now)
    assert [b - a for a, b in zip(times, times[1:])] == [2.0, 2.0, 2.0]


def test_hold_pauses_every_caller():
    clock = FakeClock()
    limiter = RateLimiter(25, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.hold(3.0)
    waited = limiter.acquire()
    assert waited == pytest.approx(3.0)


def test_burst_detection_looks_at_the_last_two_windows():
    clock = FakeClock()
    limiter = RateLimiter(20, guard=0.0, clock=clock, sleep=clock.sleep)
    for _ in range(9):
        limiter.acquire()
    assert not limiter.in_burst()
    limiter.acquire()
    assert limiter.in_burst()
    clock.now += 1.5            # the last second is empty, but the bunch before it still counts
    assert limiter.recent() == 0 and limiter.in_burst()
    clock.now += 1.0
    assert not limiter.in_burst()


def test_invalid_rate_is_refused():
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_shared_limiter_is_one_per_key_and_rate():
    a = shared_limiter(("weblink", "http://x", "id-1"), 25)
    assert shared_limiter(("weblink", "http://x", "id-1"), 25) is a
    assert shared_limiter(("weblink", "http://x", "id-2"), 25) is not a
    assert shared_limiter(("weblink", "http://x", "id-1"), 10) is not a


def test_a_pause_is_capped_so_one_429_cannot_stall_a_worker():
    clock = FakeClock()
    limiter = RateLimiter(25, clock=clock, sleep=clock.sleep)
    assert limiter.hold(86400) == 60.0
    waited = limiter.acquire()
    assert waited == pytest.approx(60.0)


def test_limiters_sharing_one_window_keep_the_limit_together():
    # Two limiters (as two processes would have) over one window; eight threads each, taking batches.
    window = LocalWindow()
    limiters = [RateLimiter(10, guard=0.0, store=window) for _ in range(2)]
    booked = reserve_in_threads(limiters, threads=16, calls=25)
    assert len(booked) == 400
    assert busiest_window(booked, 1.0) <= 10


def test_shared_limiter_takes_its_window_from_the_provider():
    made = []

    class Windows:
        name = "test-provider"

        def window(self, key):
            made.append(key)
            return LocalWindow()

    key = credential_key("weblink", "http://x", "id-1")
    a = shared_limiter(key, 25, windows=Windows())
    assert shared_limiter(key, 25, windows=Windows()) is a
    assert shared_limiter(key, 25) is not a          # the in-process window is another one
    assert made == [key]


def test_credential_key_names_host_and_client_id_never_the_secret():
    key = credential_key("weblink", "https://API.paylocity.com/api/", "client-1")
    assert key == credential_key("weblink", "https://api.paylocity.com/api", "client-1")
    assert key != credential_key("weblink", "https://apisandbox.paylocity.com/api", "client-1")
    assert key != credential_key("nextgen", "https://api.paylocity.com/api", "client-1")
    assert "client-1" not in key and len(key) == 64
