"""The client-side limiter against the sandbox's real sliding-window limit (429 when exceeded)."""
import pytest

from paylocity.client import RetryPolicy
from paylocity.errors import PermissionDenied
from paylocity.tests.conftest import COMPANY, calls_to
from sandbox.ratelimit import busiest_window



def test_burst_is_throttled_client_side_with_no_429(fresh_sandbox, make_client):
    srv = fresh_sandbox(weblink_rate_limit=25)
    client = make_client(srv, weblink_rate=25, max_workers=10)
    ids = [e.employee_id for e in srv.company(COMPANY).sorted_employees()] * 2    # 60 calls at once
    results = client.fan_out(client.get_employee, ids)
    assert all(not isinstance(r, Exception) for _, r in results)
    assert srv.count(status=429) == 0
    assert srv.count(path="/api/v2/companies/C1001/employees/") == 60
    assert busiest_window(c.at for c in calls_to(srv, "/api/")) <= 25


def test_a_client_faster_than_the_limit_draws_429s_and_still_completes(fresh_sandbox, make_client):
    # The control experiment: the sandbox limit is real, and honouring its Retry-After gets every call through.
    srv = fresh_sandbox(weblink_rate_limit=25)
    client = make_client(srv, weblink_rate=500, max_workers=10,
                         retry=RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=1.0, max_total=30))
    ids = [e.employee_id for e in srv.company(COMPANY).sorted_employees()]
    results = client.fan_out(client.get_employee, ids)
    assert all(not isinstance(r, Exception) for _, r in results)
    assert srv.count(status=429) > 0
    assert srv.count(path="/api/v2/companies/C1001/employees/", status=200) == 30


def test_403_in_a_burst_on_a_working_endpoint_is_read_as_throttling(fresh_sandbox, make_client):
    srv = fresh_sandbox(weblink_rate_limit=None)
    client = make_client(srv, weblink_rate=20, max_workers=8)
    ids = [e.employee_id for e in srv.company(COMPANY).sorted_employees()[:20]]
    client.fan_out(client.get_employee, ids)                   # a burst on an endpoint that works
    assert client.limiters["weblink"].in_burst()
    srv.inject("status", status=403, path="/employees/1021")  # older WebLink: 403 after a burst
    assert client.get_employee("1021").employee_id == "1021"
    assert [c.status for c in calls_to(srv, "/employees/1021")] == [403, 200]


def test_403_on_an_endpoint_never_granted_is_permission_denied_even_in_a_burst(fresh_sandbox, make_client):
    srv = fresh_sandbox(weblink_rate_limit=None)
    client = make_client(srv, weblink_rate=20, max_workers=8)
    client.fan_out(client.get_employee, [e.employee_id for e in srv.company(COMPANY).sorted_employees()[:20]])
    assert client.limiters["weblink"].in_burst()
    srv.inject("status", status=403, path="/paystatement/")
    with pytest.raises(PermissionDenied):
        client.get_pay_statement_details("1001", 2026)
    assert len(calls_to(srv, "/paystatement/")) == 1


def test_families_have_separate_limiters(srv, make_client):
    client = make_client(srv, weblink_rate=25, nextgen_rate=3)
    assert client.limiters["weblink"] is not client.limiters["nextgen"]
    assert (client.limiters["weblink"].capacity, client.limiters["nextgen"].capacity) == (25, 3)
    # Two clients of the same pair in one process share one pace (Paylocity counts per client id).
    assert make_client(srv, weblink_rate=25).limiters["weblink"] is client.limiters["weblink"]
