"""Property: limiters sharing one window never start more than ``capacity`` calls in any window, for any
interleaving of callers, batch sizes, pauses, clock skew and store round-trip delays (fake clocks)."""
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from paylocity.ratelimit import LocalWindow, RateLimiter
from sandbox.ratelimit import busiest_window

CAPACITY, GUARD = 5, 0.05


class World:
    """One true clock; a store whose clock is skewed from it and answers after a round trip."""

    def __init__(self, skew, latency):
        self.now = 1000.0
        self.skew = skew
        self.latency = latency
        self.window = LocalWindow(clock=lambda: self.now + self.skew)

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class RemoteStore:
    """The shared window as a database holds it: its clock is read somewhere inside a round trip of varying
    length (up to the world's latency)."""

    def __init__(self, world, rng):
        self.world = world
        self.rng = rng

    def book(self, count, capacity, window):
        self.world.now += self.rng.uniform(0, self.world.latency)
        _none, times = self.world.window.book(count, capacity, window)
        store_now = self.world.now + self.world.skew
        self.world.now += self.rng.uniform(0, self.world.latency)
        return store_now, times

    def hold(self, seconds):
        self.world.window.hold(seconds)


class Caller(RateLimiter):
    """A limiter whose batch size the test decides (in production: the number of threads waiting)."""

    batch = 1

    def _batch_size(self):
        return self.batch



step = st.tuples(
    st.integers(0, 2),                                  # which limiter (one per process) calls
    st.one_of(st.just(0.0), st.floats(0, 0.05), st.floats(0, 1.5)),   # time passing before it does
    st.integers(1, 8),                                  # the batch it takes when its reservations run out
    st.one_of(st.none(), st.none(), st.none(), st.floats(0, 3)),   # or, instead of calling, a 429 pause
)


@settings(max_examples=500, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=120), skew=st.floats(-50, 50),
       latency=st.floats(0, 0.02), rng=st.randoms(use_true_random=False))
def test_no_window_ever_holds_more_than_capacity(steps, skew, latency, rng):
    world = World(skew, latency)
    limiters = [Caller(CAPACITY, guard=GUARD, store=RemoteStore(world, rng), clock=world.clock, sleep=world.sleep)
                for _ in range(3)]
    sent = []
    for who, passing, batch, pause in steps:
        world.now += passing
        limiter = limiters[who]
        if pause is not None:
            limiter.hold(pause)
            continue
        limiter.batch = batch
        start = limiter.reserve()
        world.now = max(world.now, start)     # the caller sleeps until its slot, then sends
        sent.append(world.now)
    # The sends, on the true clock the server sees: with round trips of up to 40 ms, any window of a second
    # and a quarter guard holds at most CAPACITY; that quarter is left for the network's jitter.
    assert busiest_window(sent, 1.0 + GUARD / 4) <= CAPACITY


@settings(max_examples=200, deadline=None)
@given(pause=st.floats(0, 10 ** 6), calls=st.integers(1, 30))
def test_a_pause_never_exceeds_the_cap(pause, calls):
    world = World(0.0, 0.0)
    limiter = RateLimiter(CAPACITY, guard=GUARD, store=RemoteStore(world, random.Random(0)), clock=world.clock,
                          sleep=world.sleep, max_hold=60.0)
    limiter.hold(pause)
    waited = [limiter.acquire() for _ in range(calls)]
    assert max(waited) <= 60.0 + 1e-6


@settings(max_examples=200, deadline=None)
@given(oversleeps=st.lists(st.one_of(st.just(0.0), st.floats(0, 0.5)), min_size=1, max_size=80))
def test_a_thread_waking_up_late_never_crowds_a_window(oversleeps):
    # A busy process: the sleeping thread gets the interpreter back later than asked, by these amounts.
    world = World(0.0, 0.0)
    late = iter(oversleeps * 3)

    def sleep(seconds):
        world.now += seconds + next(late, 0.0)

    limiter = RateLimiter(CAPACITY, guard=GUARD, store=RemoteStore(world, random.Random(0)), clock=world.clock,
                          sleep=sleep)
    sent = []
    for _ in range(len(oversleeps)):
        limiter.acquire()
        sent.append(world.now)        # the call goes out when acquire returns
    assert busiest_window(sent, 1.0 + GUARD / 2) <= CAPACITY
