"""Fault injection, call recording and the per-credential rate limit."""
import json

import pytest
import requests

from sandbox.tests.helpers import weblink_token

LIST = "/v2/companies/C1001/employees"


@pytest.mark.parametrize("status", [401, 403, 429, 500, 502, 503])
def test_status_fault_answers_next_n_calls_then_recovers(fresh, weblink, status):
    api = weblink(fresh)
    fresh.inject("status", count=2, status=status)
    first, second, third = (api.get(LIST) for _ in range(3))
    assert first.status_code == second.status_code == status
    assert third.status_code == 200
    if status in (401, 403, 429):
        assert first.content == b""
    if status == 429:
        assert first.headers["Retry-After"] == "1"
    if status == 500:
        assert first.json()[0]["message"]
    if status in (502, 503):
        assert first.headers["Content-Type"].startswith("text/html")
    assert [c.fault for c in fresh.calls[-3:]] == ["status", "status", None]


def test_retry_after_is_configurable(fresh, weblink):
    api = weblink(fresh)
    fresh.inject("status", status=429, retry_after=3)
    fresh.inject("status", status=503, retry_after=2)
    assert api.get(LIST).headers["Retry-After"] == "3"
    assert api.get(LIST).headers["Retry-After"] == "2"


def test_fault_path_filter(fresh, weblink, nextgen):
    wl, ng = weblink(fresh), nextgen(fresh)
    fresh.inject("status", status=500, path="/paystatement/")
    assert wl.get(LIST).status_code == 200
    assert ng.get("/coreHr/v1/companies/C1001/employees").status_code == 200
    assert wl.get("/v2/companies/C1001/employees/1004/paystatement/summary/2026").status_code == 500
    assert wl.get("/v2/companies/C1001/employees/1004/paystatement/summary/2026").status_code == 200


def test_nextgen_500_fault_uses_nextgen_error_shape(fresh, nextgen):
    fresh.inject("status", status=500)
    resp = nextgen(fresh).get("/coreHr/v1/companies/C1001/employees")
    assert resp.status_code == 500 and set(resp.json()[0]) == {"code", "message", "fields"}


def test_token_endpoints_only_fault_when_named(fresh):
    fresh.inject("status", status=500)
    weblink_token(fresh)                       # an unnamed fault leaves the token server alone
    assert len(fresh.faults.pending()) == 1
    fresh.clear_faults()
    fresh.inject("status", status=503, path="/IdentityServer/connect/token")
    creds = fresh.credentials("C1001")
    resp = requests.post(fresh.urls()["weblink_token"], data={"grant_type": "client_credentials",
                                                              "scope": "WebLinkAPI"},
                         auth=(creds.weblink_client_id, creds.weblink_client_secret), timeout=5)
    assert resp.status_code == 503
    assert weblink_token(fresh)


def test_timeout_fault_holds_the_response(fresh, weblink):
    api = weblink(fresh)
    fresh.inject("timeout", delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get(LIST, timeout=0.2)
    assert api.get(LIST).status_code == 200
    assert fresh.calls[-2].fault == "timeout"


def test_broken_body_is_truncated_json(fresh, weblink):
    api = weblink(fresh)
    fresh.inject("broken_body", path="/employees/1003")
    resp = api.get("/v2/companies/C1001/employees/1003")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(resp.text)
    assert api.get("/v2/companies/C1001/employees/1003").json()["employeeId"] == "1003"


def test_disconnect_fault_drops_the_connection(fresh, weblink):
    api = weblink(fresh)
    fresh.inject("disconnect")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get(LIST)
    assert api.get(LIST).status_code == 200
    assert fresh.calls[-2].status == 0


def test_reset_fault_aborts_the_connection(fresh, weblink):
    api = weblink(fresh)
    fresh.inject("reset")
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        api.get(LIST)
    assert "reset" in str(caught.value).lower()
    assert api.get(LIST).status_code == 200
    assert (fresh.calls[-2].status, fresh.calls[-2].fault) == (0, "reset")


def test_truncated_fault_closes_the_line_mid_body(fresh, weblink):
    api = weblink(fresh)
    fresh.inject("truncated", path="/employees/1003")
    try:
        resp = api.get("/v2/companies/C1001/employees/1003")
    except requests.exceptions.RequestException:   # a client that enforces Content-Length raises
        pass
    else:   # requests 2.31 with urllib3 1.26 hands over the short body
        assert 0 < len(resp.content) < int(resp.headers["Content-Length"])
    assert api.get("/v2/companies/C1001/employees/1003").json()["employeeId"] == "1003"
    assert fresh.calls[-2].fault == "truncated"


def test_expire_tokens_fault_answers_that_call_401(fresh, weblink):
    api = weblink(fresh)
    assert api.get(LIST).status_code == 200
    fresh.inject("expire_tokens", path="/employees/1003")
    assert api.get(LIST).status_code == 200                      # not that path: the token still works
    assert api.get("/v2/companies/C1001/employees/1003").status_code == 401
    assert api.get(LIST).status_code == 401                      # expired for good, not for one call
    assert weblink(fresh).get(LIST).status_code == 200           # a fresh token works


def test_bad_fault_arguments_are_refused(fresh):
    with pytest.raises(ValueError):
        fresh.inject("explode")
    with pytest.raises(ValueError):
        fresh.inject("status", status=200)
    with pytest.raises(ValueError):
        fresh.inject("status", status=500, count=0)


def test_clear_faults(fresh, weblink):
    fresh.inject("status", status=500, count=5)
    fresh.clear_faults()
    assert weblink(fresh).get(LIST).status_code == 200


def test_calls_are_recorded_for_assertions(fresh, weblink):
    api = weblink(fresh)
    fresh.reset_calls()
    api.get(LIST, params={"pagesize": 5})
    api.get("/v2/companies/C1001/employees/424242")
    api.get("/v2/companies/C1002/employees")
    calls = fresh.calls
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("GET", "/api" + LIST, 200), ("GET", "/api/v2/companies/C1001/employees/424242", 404),
        ("GET", "/api/v2/companies/C1002/employees", 403)]
    assert calls[0].query == {"pagesize": "5"} and calls[0].family == "weblink"
    assert calls[0].query.get("PageSize") == "5" and "PAGESIZE" in calls[0].query   # names match in any case
    assert calls[0].client_id == fresh.credentials("C1001").weblink_client_id
    assert calls[0].at <= calls[1].at <= calls[2].at
    assert fresh.count() == 3 and fresh.count(status=404) == 1 and fresh.count(path="C1002") == 1


def test_weblink_rate_limit_answers_429_past_the_limit(fresh, weblink):
    fresh.weblink_rate_limit = 5
    api = weblink(fresh)
    statuses = [api.get(LIST).status_code for _ in range(12)]
    # A sliding one-second window: at least the calls beyond the limit inside the same second are refused.
    assert statuses[:5] == [200] * 5
    assert 429 in statuses
    refused = next(c for c in fresh.calls if c.status == 429)
    assert refused.family == "weblink"
    resp = next(r for r in (api.get(LIST) for _ in range(10)) if r.status_code == 429)
    assert resp.headers["Retry-After"] == "1" and resp.content == b""


def test_rate_limit_is_per_credential(fresh, weblink):
    fresh.weblink_rate_limit = 3
    one, two = weblink(fresh, "C1001"), weblink(fresh, "C1002")
    assert [one.get(LIST).status_code for _ in range(3)] == [200] * 3
    assert two.get("/v2/companies/C1002/employees").status_code == 200


def test_rate_limit_none_disables_it(fresh, weblink):
    fresh.weblink_rate_limit = None
    api = weblink(fresh)
    assert {api.get(LIST).status_code for _ in range(40)} == {200}


def test_nextgen_rate_limit_is_configurable(fresh, nextgen, weblink):
    fresh.nextgen_rate_limit = 2
    api = nextgen(fresh)
    statuses = [api.get("/coreHr/v1/companies/C1001/employees").status_code for _ in range(6)]
    assert statuses[:2] == [200, 200] and 429 in statuses
    assert weblink(fresh).get(LIST).status_code == 200     # the WebLink budget is separate
