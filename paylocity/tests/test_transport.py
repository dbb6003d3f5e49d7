"""Pure parts of the transport: backoff maths, Retry-After parsing, policy bounds.

The retry loop itself is exercised over real HTTP against the sandbox in test_client_*.py.
"""
import datetime
import email.utils
import random

import pytest

from paylocity.errors import RateLimited, ServerError
from paylocity.ratelimit import RateLimiter
from paylocity.tests.test_ratelimit import FakeClock
from paylocity.transport import Call, RetryPolicy, Transport, parse_retry_after


class MaxRng:
    """Returns the top of every range, so the cap itself is observable."""

    def uniform(self, low, high):
        return high


def test_backoff_cap_doubles_then_stops_at_max_delay():
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=5.0, max_total=60)
    assert [policy.backoff_cap(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert [policy.backoff(n, MaxRng()) for n in range(1, 5)] == [0.5, 1.0, 2.0, 4.0]


def test_full_jitter_stays_within_zero_and_the_cap_and_spreads():
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(7)
    samples = [policy.backoff(4, rng) for _ in range(2000)]
    assert all(0.0 <= s <= 8.0 for s in samples)
    # Full jitter spreads over the whole range instead of clustering at the cap.
    assert min(samples) < 1.0 and max(samples) > 7.0


@pytest.mark.parametrize("kwargs", [dict(max_attempts=0), dict(base_delay=-1), dict(max_total=-1)])
def test_policy_refuses_nonsense(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_retry_after_in_seconds():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0


def test_retry_after_as_http_date():
    now = datetime.datetime(2026, 11, 25, 12, 0, 0, tzinfo=datetime.timezone.utc)
    later = email.utils.format_datetime(now + datetime.timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(7.0)
    earlier = email.utils.format_datetime(now - datetime.timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan"])
def test_unreadable_retry_after_is_ignored(value):
    assert parse_retry_after(value) is None


def test_idempotency_follows_the_method_unless_told():
    assert Call("GET", "u", "t", "l").is_idempotent()
    assert not Call("POST", "u", "t", "l").is_idempotent()
    assert not Call("PATCH", "u", "t", "l").is_idempotent()
    assert Call("PATCH", "u", "t", "l", idempotent=True).is_idempotent()
    assert not Call("GET", "u", "t", "l", idempotent=False).is_idempotent()


class FakeResponse:
    def __init__(self, status, headers=None):
        self.status_code = status
        self.headers = headers or {}
        self.text = ""

    def close(self):
        pass


class FakeSession:
    def __init__(self, responses):
        self.responses = list(responses)

    def request(self, *args, **kwargs):
        return self.responses.pop(0)


def test_a_retry_after_of_a_day_fails_the_call_and_pauses_the_limiter_a_minute_at_most():
    # Paylocity answers 429 with Retry-After: 86400, then 200 to the next call on the same credential.
    clock = FakeClock()
    limiter = RateLimiter(25, clock=clock, sleep=clock.sleep)
    transport = Transport(FakeSession([FakeResponse(429, {"Retry-After": "86400"}), FakeResponse(200)]),
                          clock=clock, sleep=clock.sleep)
    with pytest.raises(RateLimited) as info:
        transport.send(Call("GET", "https://api.example/x", template="/x", label="GET /x", limiter=limiter))
    assert info.value.retry_after == 86400
    assert sum(clock.slept) == 0                 # the call did not sleep on it
    # The next call of this worker (a "Test connection", say) waits a minute at most, not a day.
    response = transport.send(Call("GET", "https://api.example/y", template="/y", label="GET /y", limiter=limiter))
    assert response.status_code == 200
    assert sum(clock.slept) <= 60.0
    assert "asked to wait 86400 s" in str(info.value) and "the job retries later" in str(info.value)


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_within_the_cap_is_still_waited_for(status):
    clock = FakeClock()
    limiter = RateLimiter(25, clock=clock, sleep=clock.sleep)
    transport = Transport(FakeSession([FakeResponse(status, {"Retry-After": "30"}), FakeResponse(200)]),
                          clock=clock, sleep=clock.sleep)
    response = transport.send(Call("GET", "https://api.example/x", template="/x", label="GET /x", limiter=limiter))
    assert response.status_code == 200
    assert sum(clock.slept) == pytest.approx(30.0)   # the retry delay; the limiter's pause ended with it


def test_a_503_retry_after_of_an_hour_fails_the_call_at_once_carrying_it():
    clock = FakeClock()
    session = FakeSession([FakeResponse(503, {"Retry-After": "3600"}), FakeResponse(200)])
    transport = Transport(session, clock=clock, sleep=clock.sleep)
    with pytest.raises(ServerError) as info:
        transport.send(Call("GET", "https://api.example/x", template="/x", label="GET /x"))
    assert (info.value.status, info.value.retry_after) == (503, 3600)
    assert sum(clock.slept) == 0 and len(session.responses) == 1   # neither slept on nor asked again
    assert "asked to wait 3600 s" in str(info.value) and "the job retries later" in str(info.value)


def test_a_500_or_502_retry_after_is_not_read():
    for status in (500, 502):
        clock = FakeClock()
        transport = Transport(FakeSession([FakeResponse(status, {"Retry-After": "3600"})] * 4),
                              retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, max_total=10),
                              clock=clock, sleep=clock.sleep)
        with pytest.raises(ServerError) as info:
            transport.send(Call("GET", "https://api.example/x", template="/x", label="GET /x"))
        assert info.value.retry_after is None and sum(clock.slept) < 1
