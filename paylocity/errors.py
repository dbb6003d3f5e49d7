"""One exception hierarchy for everything the Paylocity core raises.

Every message is meant for an administrator: it says what failed and what to check.
No message ever contains a secret, a token or a request body.
"""


# Machine-readable reasons, for callers that word their own message (the Odoo layer's "Test connection").
BAD_CREDENTIALS = "bad_credentials"      # the token endpoint refused the client id / secret
TOKEN_REFUSED = "token_refused"          # a freshly issued token was refused: other environment, or revoked
TIMEOUT = "timeout"                      # no answer within the timeout
UNREACHABLE = "unreachable"              # no connection could be made (DNS, refused, reset)


class PaylocityError(Exception):
    """Base class. ``status`` is the HTTP status when there was one; ``reason`` one of the constants above."""

    def __init__(self, message, status=None, errors=None, reason=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        # Paylocity's error body: a list of {field, message, path, options: [{code, description}]}
        self.errors = list(errors or [])

    def __str__(self):
        if not self.errors:
            return self.message
        details = "; ".join(
            "%s: %s" % (e.get("field") or e.get("path") or "-", e.get("message") or "")
            for e in self.errors
            if isinstance(e, dict)
        )
        return "%s (%s)" % (self.message, details) if details else self.message


class ConfigurationError(PaylocityError):
    """The connector is not configured well enough to make this call (missing pair, bad key...)."""


class AuthenticationError(PaylocityError):
    """The token endpoint refused the credentials, or a fresh token was refused too."""


class PermissionDenied(PaylocityError):
    """403: the credentials lack permission for this company or endpoint."""


class NotFound(PaylocityError):
    """404: company, employee, year/check date or code resource does not exist."""


class RateLimited(PaylocityError):
    """429 (or WebLink's older 403 after a burst) still returned after every retry."""

    def __init__(self, message, status=429, errors=None, retry_after=None, reason=None):
        super().__init__(message, status=status, errors=errors, reason=reason)
        self.retry_after = retry_after


class ServerError(PaylocityError):
    """5xx still returned after every retry; ``retry_after`` is the seconds a 503's ``Retry-After`` asked for."""

    def __init__(self, message, status=None, errors=None, retry_after=None, reason=None):
        super().__init__(message, status=status, errors=errors, reason=reason)
        self.retry_after = retry_after


class TransportError(PaylocityError):
    """Host unreachable, connection reset or timed out, after every retry."""


class ValidationError(PaylocityError):
    """400: Paylocity rejected the request; ``errors`` carries its field messages."""


class BadResponse(PaylocityError):
    """The response body was not the JSON shape Paylocity documents."""


# What kind of failure an error is, by class and reason: for callers that word it in their own language (the Odoo
# layer's "Test connection" puts a translated headline before the error's own explanation).
WRONG_ENVIRONMENT, NO_PERMISSION, NOT_FOUND, RATE_LIMITED, SERVER_ERROR, CONFIGURATION, UNEXPECTED = (
    "wrong_environment", "no_permission", "not_found", "rate_limited", "server_error", "configuration", "unexpected")
FAILURE_KINDS = (WRONG_ENVIRONMENT, BAD_CREDENTIALS, NO_PERMISSION, NOT_FOUND, TIMEOUT, UNREACHABLE, RATE_LIMITED,
                 SERVER_ERROR, CONFIGURATION, UNEXPECTED)


def failure_kind(exc):
    """One of ``FAILURE_KINDS`` for ``exc``: a token refused after it was issued means the wrong environment (or
    revoked credentials), a refused client id/secret bad credentials, and so on; anything else is unexpected."""
    if isinstance(exc, AuthenticationError):
        return WRONG_ENVIRONMENT if exc.reason == TOKEN_REFUSED else BAD_CREDENTIALS
    if isinstance(exc, TransportError):
        return TIMEOUT if exc.reason == TIMEOUT else UNREACHABLE
    for error_class, kind in ((PermissionDenied, NO_PERMISSION), (NotFound, NOT_FOUND), (RateLimited, RATE_LIMITED),
                              (ServerError, SERVER_ERROR), (ConfigurationError, CONFIGURATION)):
        if isinstance(exc, error_class):
            return kind
    return UNEXPECTED
