"""The intake's log throttle: a flood of one kind of line logs a few lines per interval, and says what it held back."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from paylocity.log_throttle import LogThrottle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_burst_then_silence_then_a_line_that_counts_the_silence():
    clock = Clock()
    throttle = LogThrottle(interval=60, burst=3, clock=clock)
    assert [throttle.allow('401') for _ in range(1000)] == [0, 0, 0] + [None] * 997
    clock.now += 59.9
    assert throttle.allow('401') is None
    clock.now += 0.1
    assert throttle.allow('401') == 998, "the next line says how many were held back"
    assert throttle.allow('401') == 0


def test_keys_are_throttled_apart():
    throttle = LogThrottle(interval=60, burst=1, clock=Clock())
    assert (throttle.allow('a'), throttle.allow('b'), throttle.allow('a'), throttle.allow('b')) == (0, 0, None, None)


def test_a_flood_of_new_keys_shares_one_window_once_the_keys_are_taken():
    clock = Clock()
    throttle = LogThrottle(interval=60, burst=2, max_keys=10, clock=clock)
    let_through = sum(throttle.allow(('addr', n)) is not None for n in range(10000))
    assert let_through == 10 + 2, "ten keys, then one shared window of two lines"
    assert len(throttle._windows) <= 11
    clock.now += 60
    assert throttle.allow(('addr', 'new')) == 0, "expired windows make room again"


def test_threads_together_never_pass_more_than_the_burst():
    throttle = LogThrottle(interval=3600, burst=5)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _n: throttle.allow('k'), range(8000)))
    assert sum(result is not None for result in results) == 5


@pytest.mark.parametrize('kwargs', [{'interval': 0}, {'burst': 0}, {'max_keys': 0}])
def test_nonsense_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        LogThrottle(**kwargs)
