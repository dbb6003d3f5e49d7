"""Failure paths over real HTTP: injected 429/5xx/timeouts/disconnects are retried within bounds, then end in a
clear error; what may not be repeated is not; 400/403/404 and broken bodies map to their errors at once."""
import datetime

import pytest

from paylocity.client import RetryPolicy
from paylocity import errors
from paylocity.errors import (BadResponse, NotFound, PermissionDenied, RateLimited, ServerError, TransportError,
                              ValidationError)
from paylocity.hosts import sandbox_hosts
from paylocity.tests.conftest import COMPANY, OTHER_COMPANY, calls_to, free_port

EMPLOYEE_PATH = "/api/v2/companies/%s/employees/1001" % COMPANY
SECRETS_PATH = "/api/v2/credentials/secrets"


def test_429_is_retried_then_succeeds(srv, make_client):
    client = make_client(srv)
    srv.inject("status", count=2, status=429, retry_after=0, path=EMPLOYEE_PATH)
    assert client.get_employee("1001").employee_id == "1001"
    assert [c.status for c in calls_to(srv, EMPLOYEE_PATH)] == [429, 429, 200]


def test_retry_after_is_honoured(srv, make_client):
    client = make_client(srv)
    srv.inject("status", status=429, retry_after=0.4, path=EMPLOYEE_PATH)
    client.get_employee("1001")
    refused, served = calls_to(srv, EMPLOYEE_PATH)
    assert (refused.status, served.status) == (429, 200)
    assert served.at - refused.at >= 0.4      # lower bound only: the client slept at least what it was told


def test_429_that_never_stops_ends_in_rate_limited_after_max_attempts(srv, make_client):
    client = make_client(srv, retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, max_total=10))
    srv.inject("status", count=50, status=429, retry_after=0, path=EMPLOYEE_PATH)
    with pytest.raises(RateLimited) as info:
        client.get_employee("1001")
    assert len(calls_to(srv, EMPLOYEE_PATH)) == 3
    assert info.value.status == 429 and info.value.retry_after == 0
    assert "3 attempts" in str(info.value) and "/v2/companies/C1001/employees/{employeeId}" in str(info.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_a_read_is_retried(srv, make_client, status):
    client = make_client(srv)
    srv.inject("status", status=status, path=EMPLOYEE_PATH)
    assert client.get_employee("1001").employee_id == "1001"
    assert [c.status for c in calls_to(srv, EMPLOYEE_PATH)] == [status, 200]


def test_persistent_503_ends_in_server_error(srv, make_client):
    client = make_client(srv)
    srv.inject("status", count=50, status=503, path=EMPLOYEE_PATH)
    with pytest.raises(ServerError) as info:
        client.get_employee("1001")
    assert info.value.status == 503 and "4 attempts" in str(info.value)
    assert len(calls_to(srv, EMPLOYEE_PATH)) == 4


def test_total_time_bounds_the_retries(srv, make_client):
    client = make_client(srv, retry=RetryPolicy(max_attempts=100, base_delay=0.2, max_delay=0.2, max_total=0.5))
    srv.inject("status", count=200, status=500, path=EMPLOYEE_PATH)
    with pytest.raises(ServerError) as info:
        client.get_employee("1001")
    assert "budget" in str(info.value)
    assert 1 < len(calls_to(srv, EMPLOYEE_PATH)) < 10


def test_read_timeout_is_retried_for_a_get(srv, make_client):
    client = make_client(srv, timeout=0.3)
    srv.inject("timeout", delay=1.0, path=EMPLOYEE_PATH)
    assert client.get_employee("1001").employee_id == "1001"
    assert len(calls_to(srv, EMPLOYEE_PATH)) == 2


def test_persistent_timeout_ends_in_transport_error(srv, make_client):
    client = make_client(srv, timeout=0.2,
                         retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, max_total=10))
    srv.inject("timeout", count=10, delay=0.6, path=EMPLOYEE_PATH)
    with pytest.raises(TransportError) as info:
        client.get_employee("1001")
    assert "did not answer" in str(info.value) and "3 attempts" in str(info.value)
    assert info.value.reason == errors.TIMEOUT
    assert len(calls_to(srv, EMPLOYEE_PATH)) == 3


def test_dropped_connection_is_retried_for_a_get(srv, make_client):
    client = make_client(srv)
    srv.inject("disconnect", path=EMPLOYEE_PATH)
    assert client.get_employee("1001").employee_id == "1001"
    assert len(calls_to(srv, EMPLOYEE_PATH)) == 2


def test_answer_cut_short_is_retried_for_a_get(srv, make_client):
    client = make_client(srv)
    srv.inject("truncated", path=EMPLOYEE_PATH)
    assert client.get_employee("1001").employee_id == "1001"
    assert len(calls_to(srv, EMPLOYEE_PATH)) == 2


def test_answer_always_cut_short_is_a_transport_error_not_a_bad_body(srv, make_client):
    client = make_client(srv)
    srv.inject("truncated", count=10, path=EMPLOYEE_PATH)
    with pytest.raises(TransportError) as info:
        client.get_employee("1001")
    assert "IncompleteRead" in str(info.value) and "4 attempts" in str(info.value)
    assert info.value.reason == errors.UNREACHABLE


def test_reset_connection_is_retried_for_a_get(srv, make_client):
    client = make_client(srv)
    srv.inject("reset", path=EMPLOYEE_PATH)
    assert client.get_employee("1001").employee_id == "1001"
    assert len(calls_to(srv, EMPLOYEE_PATH)) == 2


def test_unreachable_host_is_a_transport_error():
    from paylocity.auth import Credentials
    from paylocity.client import PaylocityClient
    client = PaylocityClient(COMPANY, sandbox_hosts("http://127.0.0.1:%d" % free_port()),
                             weblink=Credentials("id", "secret"), allow_host_overrides=True,
                             retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01, max_total=5))
    with pytest.raises(TransportError) as info:
        client.check_weblink()
    assert "Could not reach" in str(info.value) and "2 attempts" in str(info.value)
    assert info.value.reason == errors.UNREACHABLE
    assert "secret" not in str(info.value)


def test_timed_out_patch_is_repeated_because_it_is_idempotent(srv, make_client):
    client = make_client(srv, timeout=0.3)
    payload = {"workAddress": {"emailAddress": "patched.1002@c1001.example.com"}}
    srv.inject("timeout", delay=1.0, path="/employees/1002")
    client.patch_employee("1002", payload)
    sent = [p for p in srv.patches if p.employee_id == "1002"]
    assert [(p.body, p.status) for p in sent] == [(payload, 200), (payload, 200)]
    assert client.get_employee("1002").work_address.email_address == "patched.1002@c1001.example.com"


@pytest.mark.parametrize("client_options, fault, error, says", [
    ({"timeout": 0.3}, {"kind": "timeout", "delay": 1.0}, TransportError, "not repeated"),
    ({}, {"kind": "status", "status": 500}, ServerError, "may already have applied"),
], ids=["timed_out", "answered_500"])
def test_failed_post_is_not_repeated(srv, make_client, client_options, fault, error, says):
    client = make_client(srv, **client_options)
    srv.inject(path=SECRETS_PATH, **fault)
    with pytest.raises(error) as info:
        client.renew_client_secret(srv.credentials(COMPANY).weblink_secret_code)
    assert says in str(info.value)
    assert len(calls_to(srv, SECRETS_PATH)) == 1


def test_post_answered_429_is_repeated(srv, make_client):
    client = make_client(srv)
    srv.inject("status", status=429, retry_after=0, path=SECRETS_PATH)
    renewed = client.renew_client_secret(srv.credentials(COMPANY).weblink_secret_code)
    assert renewed.client_secret
    assert [c.status for c in calls_to(srv, SECRETS_PATH)] == [429, 200]


def test_broken_body_is_a_bad_response(srv, make_client):
    client = make_client(srv)
    srv.inject("broken_body", path=EMPLOYEE_PATH)
    with pytest.raises(BadResponse) as info:
        client.get_employee("1001")
    assert "not JSON" in str(info.value)
    assert len(calls_to(srv, EMPLOYEE_PATH)) == 1


def test_injected_403_is_permission_denied_without_retry(srv, make_client):
    client = make_client(srv)
    srv.inject("status", status=403, path="/paystatement/")
    with pytest.raises(PermissionDenied) as info:
        client.get_pay_statement_details("1001", 2026)
    assert "no permission" in str(info.value) and "C1001" in str(info.value)
    assert len(calls_to(srv, "/paystatement/")) == 1


def test_company_the_credentials_do_not_cover_is_permission_denied(srv, make_client):
    client = make_client(srv, company=OTHER_COMPANY)      # C1001's credentials, C2002's data
    with pytest.raises(PermissionDenied) as info:
        client.list_employees()
    assert "C2002" in str(info.value)
    with pytest.raises(PermissionDenied):
        client.get_cost_centers_and_levels()


def test_validation_error_carries_paylocitys_field_messages(srv, make_client):
    client = make_client(srv)
    with pytest.raises(ValidationError) as info:
        client.patch_employee("1003", {"workAddress": {"emailAddress": "not-an-address"}})
    error = info.value
    assert error.status == 400
    assert error.errors[0]["field"] == "emailAddress" and error.errors[0]["path"] == "workAddress.emailAddress"
    assert "valid e-mail" in str(error)
    assert len(calls_to(srv, "/employees/1003", method="PATCH")) == 1


def test_validation_options_list_the_valid_codes(srv, make_client):
    client = make_client(srv)
    with pytest.raises(ValidationError) as info:
        client.patch_employee("1003", {"departmentPosition": {"costCenter2": "NOPE"}})
    options = info.value.errors[0]["options"]
    codes = [code for code, _ in srv.company(COMPANY).codes("costcenter2")]
    assert [o["code"] for o in options] == codes


def test_unknown_employee_is_not_found(srv, make_client):
    client = make_client(srv)
    with pytest.raises(NotFound) as info:
        client.get_employee("999999")
    assert "999999" not in str(info.value)      # ids stay out of messages; the template says what was asked
    assert len(calls_to(srv, "/employees/999999")) == 1


def test_unknown_code_resource_is_not_found(srv, make_client):
    client = make_client(srv)
    with pytest.raises(NotFound):
        client.get_company_codes("bogus")
    with pytest.raises(ValueError):
        client.get_company_codes("../employees")


def test_fan_out_stops_starting_calls_after_an_authentication_error(srv, make_client):
    from paylocity.tests.conftest import weblink_credentials
    from paylocity.errors import AuthenticationError
    client = make_client(srv, weblink=weblink_credentials(srv, secret="wrong-secret"), max_workers=4)
    ids = [str(1001 + n) for n in range(30)]
    results = client.fan_out(client.get_employee, ids)
    assert [item for item, _ in results] == ids
    assert all(isinstance(r, AuthenticationError) for _, r in results)
    assert srv.count(path="/IdentityServer/connect/token") <= 4     # at most one per worker, not one per item


def test_check_date_in_the_future_has_no_pay(srv, make_client):
    client = make_client(srv)
    later = datetime.date.today() + datetime.timedelta(days=400)
    assert client.get_pay_statement_summaries("1001", later.year, later) == []
