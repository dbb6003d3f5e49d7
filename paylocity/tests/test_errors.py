"""What kind of failure an error is: decided once, by class and reason, for every caller that words it."""
import pytest

from paylocity import errors


@pytest.mark.parametrize("exc, kind", [
    (errors.AuthenticationError("refused", status=401, reason=errors.TOKEN_REFUSED), errors.WRONG_ENVIRONMENT),
    (errors.AuthenticationError("refused", status=400, reason=errors.BAD_CREDENTIALS), errors.BAD_CREDENTIALS),
    (errors.AuthenticationError("refused", status=400), errors.BAD_CREDENTIALS),
    (errors.PermissionDenied("no", status=403), errors.NO_PERMISSION),
    (errors.NotFound("gone", status=404), errors.NOT_FOUND),
    (errors.TransportError("slow", reason=errors.TIMEOUT), errors.TIMEOUT),
    (errors.TransportError("reset", reason=errors.UNREACHABLE), errors.UNREACHABLE),
    (errors.TransportError("no reason given"), errors.UNREACHABLE),
    (errors.RateLimited("slow down", retry_after=3), errors.RATE_LIMITED),
    (errors.ServerError("500", status=500), errors.SERVER_ERROR),
    (errors.ConfigurationError("no key"), errors.CONFIGURATION),
    (errors.BadResponse("not JSON"), errors.UNEXPECTED),
    (errors.ValidationError("400", status=400), errors.UNEXPECTED),
    (errors.PaylocityError("other"), errors.UNEXPECTED),
    (ValueError("not even ours"), errors.UNEXPECTED),
])
def test_failure_kind(exc, kind):
    assert errors.failure_kind(exc) == kind
    assert kind in errors.FAILURE_KINDS
