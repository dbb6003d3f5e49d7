"""Pure parts of the transport: backoff maths, Retry-After parsing, policy bounds.

The retry loop itself is exercised over real HTTP against the sandbox in test_client_*.py.
"""
import datetime
import email.utils
import random

import pytest

from paylocity.transport import Call, RetryPolicy, parse_retry_after


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
