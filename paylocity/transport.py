"""HTTP transport: one ``requests.Session``, bounded retries, and Paylocity's statuses mapped to our errors.

Retried: 429, a 403 that is really throttling (see ``Transport.is_throttle_403``), 500/502/503/504, timeouts and
connection errors. Backoff is exponential with full jitter; ``Retry-After`` (seconds or HTTP date) wins when sent.
Attempts and total time are both bounded by ``RetryPolicy``. A ``Retry-After`` longer than
``RetryPolicy.max_retry_after`` is not waited for: the limiter pauses that long at most and the call fails at once
with ``RateLimited`` (carrying Paylocity's ``retry_after``), so its job is retried later instead of a worker
sleeping. A 503's ``Retry-After`` is read the same way (without pausing the limiter: the service is down, the rate
is not at fault) and carried by its ``ServerError``.

What may be repeated after the request may have reached Paylocity (read timeout, dropped connection, 5xx):
only *idempotent* calls. GET is; the token POST is (it only mints a token); a PATCH that sends the same full
values again is (applying it twice leaves the record as applying it once). A POST that creates something is not:
it may have been applied before the answer was lost, and a second one would create a duplicate, so it fails
with the error instead. 429 and a failed connect are retried for every method: Paylocity did not process those.

Logs carry the method, the path template, the status and the attempt; never a URL with ids, a query, a header,
a token, a secret or a body.
"""
import datetime
import email.utils
import http.client
import json
import logging
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Optional
from urllib.parse import urlsplit

import requests
import urllib3

from .errors import (
    TIMEOUT,
    TOKEN_REFUSED,
    UNREACHABLE,
    AuthenticationError,
    BadResponse,
    ConfigurationError,
    NotFound,
    PaylocityError,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
    ValidationError,
)

_logger = logging.getLogger(__name__)

RETRYABLE_5XX = frozenset((500, 502, 503, 504))
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE"))
_THROTTLE_WORDS = ("rate limit", "ratelimit", "too many", "throttl", "quota", "exceeded")
_MIN_ATTEMPT_TIMEOUT = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop: attempts per call, backoff base and cap, and the total time of one call."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_total: float = 60.0
    max_retry_after: float = 60.0    # the longest Retry-After waited for; a longer one fails the call

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total < 0 or self.max_retry_after < 0:
            raise ValueError("retry delays must not be negative")

    def backoff_cap(self, attempt):
        """Upper bound of the wait after failed attempt ``attempt`` (1-based): base * 2^(attempt-1), capped."""
        return min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))

    def backoff(self, attempt, rng=random):
        """Full jitter: uniform in [0, cap], so many clients retrying together spread out instead of in waves."""
        return rng.uniform(0.0, self.backoff_cap(attempt))


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        now = now or datetime.datetime.now(datetime.timezone.utc)
        seconds = (when - now).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass
class Call:
    """One logical API call (all its attempts)."""

    method: str
    url: str
    template: str                  # path template, e.g. /v2/companies/{companyId}/employees — safe to log
    label: str                     # "GET /v2/companies/C1001/employees/{employeeId}" — for messages (no PII)
    family: str = "weblink"        # "weblink" or "nextgen": picks limiter and wording
    params: Optional[dict] = None
    json: Any = None
    data: Optional[dict] = None
    headers: dict = field(default_factory=dict)
    auth: Any = None
    idempotent: Optional[bool] = None   # None: decided by the method
    limiter: Any = None

    def is_idempotent(self):
        if self.idempotent is not None:
            return self.idempotent
        return self.method.upper() in IDEMPOTENT_METHODS


def new_session(pool_size=10):
    """A session sized for the fan-out, that keeps no cookies (it is shared by threads and Paylocity sets none
    that matter). Retries are ours (one bounded loop for every failure kind), so the adapter makes none."""
    session = requests.Session()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 4), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Transport:
    """Sends ``Call`` objects with bounded retries; returns the final ``requests.Response`` for statuses the
    caller maps (2xx, 400, 401, 403, 404...), raises ``RateLimited``/``ServerError``/``TransportError`` when
    retries are exhausted."""

    def __init__(self, session=None, *, timeout=30.0, retry=None, pool_size=10,
                 clock=time.monotonic, sleep=time.sleep, rng=None):
        self.session = session or new_session(pool_size)
        self.timeout = float(timeout)
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._succeeded = set()   # (family, template) that answered 2xx: permission is evidently there

    def close(self):
        self.session.close()

    # -- the retry loop ------------------------------------------------------------------------------

    def send(self, call):
        policy = self.retry
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            if call.limiter is not None:
                call.limiter.acquire()
            remaining = policy.max_total - (self._clock() - started)
            # Shrink the last attempts' timeout so one call never runs far past max_total.
            timeout = max(min(self.timeout, remaining), min(self.timeout, _MIN_ATTEMPT_TIMEOUT))
            retry_after = None
            try:
                response = self.session.request(
                    call.method, call.url, params=call.params, json=call.json, data=call.data,
                    headers=call.headers, auth=call.auth, timeout=timeout, allow_redirects=False)
            except requests.exceptions.RequestException as exc:
                failure = self._classify_exception(exc, call, timeout)
                response = None
                status = None
            else:
                status = response.status_code
                failure = _cut_short(response, call) or self._classify_status(response, call)
                if failure is None:
                    if 200 <= status < 300:
                        self._succeeded.add((call.family, call.template))
                    _logger.debug("paylocity %s %s -> %s (attempt %d)", call.method, call.template, status, attempt)
                    return response
                if failure.kind == "throttled" or status == 503:   # 503: "unavailable, come back then"
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if failure.kind == "throttled":
                    if call.limiter is not None:
                        pause = retry_after if retry_after is not None else policy.base_delay
                        call.limiter.hold(min(pause, policy.max_retry_after))

            elapsed = self._clock() - started
            delay = retry_after if retry_after is not None else policy.backoff(attempt, self._rng)
            too_long = retry_after is not None and retry_after > policy.max_retry_after
            out_of_time = elapsed + delay > policy.max_total
            if not failure.retryable or attempt >= policy.max_attempts or out_of_time or too_long:
                _logger.warning("paylocity %s %s -> %s (attempt %d/%d), giving up",
                                call.method, call.template, status or failure.kind, attempt, policy.max_attempts)
                if response is not None:
                    response.close()
                raise self._exhausted(failure, call, attempt, elapsed, status, retry_after,
                                      out_of_time=out_of_time and failure.retryable
                                      and attempt < policy.max_attempts, too_long=too_long)
            _logger.warning("paylocity %s %s -> %s (attempt %d/%d), retrying in %.2f s",
                            call.method, call.template, status or failure.kind, attempt, policy.max_attempts, delay)
            if response is not None:
                response.close()
            self._sleep(delay)

    # -- classification --------------------------------------------------------------------------------

    def _classify_status(self, response, call):
        status = response.status_code
        if status == 429:
            return _Failure("throttled", True)
        if status == 403 and self.is_throttle_403(response, call):
            return _Failure("throttled", True)
        if status in RETRYABLE_5XX:
            # Paylocity may have applied a non-idempotent call before failing: never repeat it.
            return _Failure("server", call.is_idempotent())
        return None

    def is_throttle_403(self, response, call):
        """Read a 403 as throttling (older WebLink: 720 calls/min, then 403; older NextGen did the same).

        Rule: the 403 carries a rate-limit hint (a ``Retry-After`` or ``X-RateLimit-*`` header, or a body that
        talks about rate limits / too many requests / quota), OR it arrives in a burst (at least half the
        limiter's per-second capacity started in the last two seconds) on an endpoint that already answered
        2xx to this client, so the credentials evidently have the permission. Any other 403 is a permission
        error and is raised at once: retrying a real "no permission" would only delay the administrator's fix.
        """
        headers = response.headers
        if "Retry-After" in headers or any(k.lower().startswith("x-ratelimit") for k in headers):
            return True
        try:
            text = response.text[:2000].lower()
        except Exception:  # undecodable body: no hint there
            text = ""
        if any(word in text for word in _THROTTLE_WORDS):
            return True
        return (call.limiter is not None and call.limiter.in_burst()
                and (call.family, call.template) in self._succeeded)

    def _classify_exception(self, exc, call, timeout):
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                            requests.exceptions.InvalidSchema)):
            return _Failure("config", False, exc)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            # Nothing was sent: safe to retry whatever the method.
            return _Failure("connect_timeout", True, exc, timeout)
        if isinstance(exc, requests.exceptions.Timeout):
            # The request was sent; Paylocity may have applied it.
            return _Failure("timeout", call.is_idempotent(), exc, timeout)
        if isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc):
            return _Failure("connect", True, exc)
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            # Dropped mid-exchange: same reasoning as a read timeout.
            return _Failure("connection", call.is_idempotent(), exc)
        return _Failure("connection", False, exc)

    def _exhausted(self, failure, call, attempts, elapsed, status, retry_after, out_of_time=False, too_long=False):
        tries = "%d attempt%s in %.1f s" % (attempts, "" if attempts == 1 else "s", elapsed)
        if too_long:
            error = RateLimited if failure.kind == "throttled" else ServerError
            return error(
                "Paylocity answered %d (%s) to %s and asked to wait %.0f s, longer than the %.0f s a call "
                "waits (%s): not waited for; the job retries later." % (
                    status, "rate limit" if failure.kind == "throttled" else "unavailable", call.label, retry_after,
                    self.retry.max_retry_after, tries),
                status=status, retry_after=retry_after)
        if out_of_time:
            tries += ", retry time budget of %.0f s used up" % self.retry.max_total
        if not failure.retryable and failure.kind in ("server", "timeout", "connection"):
            tries += "; not repeated because Paylocity may already have applied it"
        host = urlsplit(call.url).hostname or "?"
        if failure.kind == "config":
            return ConfigurationError("The Paylocity URL for %s is not valid (%s): check the host settings."
                                      % (call.label, type(failure.exc).__name__))
        if failure.kind == "throttled":
            return RateLimited(
                "Paylocity kept answering %d (rate limit) to %s (%s). Lower the configured call rate or let "
                "the job retry later." % (status, call.label, tries), status=status, retry_after=retry_after)
        if failure.kind == "server":
            return ServerError(
                "Paylocity answered %d (server error) to %s (%s). Paylocity may be having an outage; retry "
                "later." % (status, call.label, tries), status=status, retry_after=retry_after)
        if failure.kind in ("timeout", "connect_timeout"):
            return TransportError(
                "Paylocity (%s) did not answer %s within the %.0f s timeout (%s). Check the network or "
                "raise the timeout." % (host, call.label, failure.timeout or self.timeout, tries), reason=TIMEOUT)
        return TransportError(
            "Could not reach Paylocity (%s) for %s: %s (%s). Check the host name, DNS, firewall or proxy."
            % (host, call.label, _reason(failure.exc), tries), reason=UNREACHABLE)


@dataclass
class _Failure:
    kind: str                 # throttled | server | timeout | connect_timeout | connect | connection | config
    retryable: bool
    exc: Optional[BaseException] = None
    timeout: Optional[float] = None


def _cut_short(response, call):
    """The line closed before the body its Content-Length announced had arrived (urllib3 1.26 hands the short body
    over without a word): a connection dropped mid-exchange, not a body Paylocity sent wrong."""
    if call.method == "HEAD" or response.status_code in (204, 304):
        return None
    try:
        expected, received = int(response.headers["Content-Length"]), response.raw.tell()
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if received >= expected:
        return None
    return _Failure("connection", call.is_idempotent(), http.client.IncompleteRead(b"", expected - received))


def _never_connected(exc):
    """True when the TCP/TLS connection was never established (so nothing was sent)."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError))


def _reason(exc):
    """A short cause without the URL (which can hold ids): the innermost exception class name."""
    reason = exc.args[0] if exc and exc.args else None
    reason = getattr(reason, "reason", reason)
    if isinstance(reason, BaseException):
        return type(reason).__name__
    return type(exc).__name__ if exc else "unknown error"


# -- response decoding and status mapping ------------------------------------------------------------

def decode_json(response, call):
    """JSON body with floats as ``Decimal``; an empty body is None; anything else is ``BadResponse``."""
    body = response.content
    if not body or not body.strip():
        return None
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError:
        raise BadResponse(
            "Paylocity answered %d to %s with a body that is not JSON (%s, %d bytes)."
            % (response.status_code, call.label, response.headers.get("Content-Type") or "no content type",
               len(body)), status=response.status_code) from None


def error_items(response):
    """Paylocity's error body as a list of dicts ({field, message, path, options} or NextGen's {code, message,
    fields}); [] when there is none or it cannot be read."""
    try:
        data = json.loads(response.content or b"null")
    except ValueError:
        return []
    if isinstance(data, dict):
        data = data.get("errors") if isinstance(data.get("errors"), list) else [data]
    if not isinstance(data, list):
        return []
    keep = ("field", "message", "path", "options", "code", "fields", "error", "error_description")
    return [{k: v for k, v in item.items() if k in keep} for item in data if isinstance(item, dict)]


def raise_for_status(response, call, family_name):
    """Map a final non-2xx status to the error an administrator can act on."""
    status = response.status_code
    if 200 <= status < 300:
        return
    errors = error_items(response)
    if status == 400:
        raise ValidationError("Paylocity rejected %s (400 Bad Request)." % call.label, status=400, errors=errors)
    if status == 401:
        raise AuthenticationError(
            "Paylocity refused the %s token for %s (401): the token was issued for another environment "
            "(test vs production) or the credentials were revoked." % (family_name, call.label), status=401,
            reason=TOKEN_REFUSED)
    if status == 403:
        raise PermissionDenied(
            "Paylocity denied %s (403 Forbidden): the %s credentials have no permission for this company or "
            "this endpoint group. Ask Paylocity to grant it (Web Services access request form)."
            % (call.label, family_name), status=403, errors=errors)
    if status == 404:
        raise NotFound(
            "Paylocity found nothing for %s (404): the company, employee, year/check date or code resource "
            "does not exist." % call.label, status=404, errors=errors)
    if 300 <= status < 400:
        raise PaylocityError(
            "Paylocity answered %d (moved) to %s: the resource was retired or moved; see Paylocity's API "
            "changelog." % (status, call.label), status=status)
    raise PaylocityError("Paylocity answered %d to %s." % (status, call.label), status=status, errors=errors)
