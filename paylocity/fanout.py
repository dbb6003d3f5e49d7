"""Bounded fan-out of per-employee calls over a thread pool.

The rate limiter (inside each call) sets the pace; the fan-out only keeps enough calls in flight to reach it,
and never more than ``max_workers``, so a 10,000-item input does not become 10,000 queued futures.
"""
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from .errors import AuthenticationError, ConfigurationError, PermissionDenied

# Errors that will be the same for every remaining item: stop starting new calls once one is seen.
FATAL_ERRORS = (AuthenticationError, ConfigurationError, PermissionDenied)


def fan_out(fn, items, max_workers=8, stop_on=FATAL_ERRORS):
    """Run ``fn(item)`` for every item; return ``[(item, result_or_exception), ...]`` in input order.

    An exception from ``fn`` is returned in place of the result, not raised. When one is an instance of
    ``stop_on`` no further items are started; those items get that same exception.
    """
    items = list(items)
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    results = [None] * len(items)
    fatal = []
    stop = threading.Event()

    def run(index):
        item = items[index]
        try:
            results[index] = (item, fn(item))
        except Exception as exc:  # returned to the caller, per item
            results[index] = (item, exc)
            if stop_on and isinstance(exc, stop_on):
                fatal.append(exc)
                stop.set()

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="paylocity") as pool:
        pending = set()
        for index in range(len(items)):
            if stop.is_set():
                break
            if len(pending) >= max_workers:
                _done, pending = wait(pending, return_when=FIRST_COMPLETED)
                if stop.is_set():
                    break
            pending.add(pool.submit(run, index))
        wait(pending)
    for index, entry in enumerate(results):
        if entry is None:
            results[index] = (items[index], fatal[0])
    return results
