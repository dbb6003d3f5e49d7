"""Token servers, token expiry and scoping, per-company access, client secret renewal."""
import time

import requests

from sandbox import SandboxServer
from sandbox.tests.helpers import TODAY, nextgen_token, weblink_token


def _wl_token(srv, data, auth=None):
    return requests.post(srv.urls()["weblink_token"], data=data, auth=auth, timeout=5)


def test_weblink_token_with_basic_auth(shared):
    creds = shared.credentials("C1001")
    resp = _wl_token(shared, {"grant_type": "client_credentials", "scope": "WebLinkAPI"},
                     auth=(creds.weblink_client_id, creds.weblink_client_secret))
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]


def test_weblink_token_with_body_credentials(shared):
    creds = shared.credentials("C1001")
    resp = _wl_token(shared, {"grant_type": "client_credentials", "scope": "WebLinkAPI",
                              "client_id": creds.weblink_client_id, "client_secret": creds.weblink_client_secret})
    assert resp.status_code == 200 and resp.json()["access_token"]


def test_weblink_token_rejects_bad_client_and_scope(shared):
    creds = shared.credentials("C1001")
    good = (creds.weblink_client_id, creds.weblink_client_secret)
    bad = _wl_token(shared, {"grant_type": "client_credentials", "scope": "WebLinkAPI"},
                    auth=(creds.weblink_client_id, "wrong"))
    assert (bad.status_code, bad.json()) == (400, {"error": "invalid_client"})
    nextgen_pair = _wl_token(shared, {"grant_type": "client_credentials", "scope": "WebLinkAPI"},
                             auth=(creds.nextgen_client_id, creds.nextgen_client_secret))
    assert (nextgen_pair.status_code, nextgen_pair.json()) == (400, {"error": "invalid_client"})
    no_scope = _wl_token(shared, {"grant_type": "client_credentials"}, auth=good)
    assert (no_scope.status_code, no_scope.json()) == (400, {"error": "invalid_scope"})
    wrong_scope = _wl_token(shared, {"grant_type": "client_credentials", "scope": "Other"}, auth=good)
    assert (wrong_scope.status_code, wrong_scope.json()) == (400, {"error": "invalid_scope"})
    grant = _wl_token(shared, {"grant_type": "password", "scope": "WebLinkAPI"}, auth=good)
    assert (grant.status_code, grant.json()) == (400, {"error": "unsupported_grant_type"})
    get = requests.get(shared.urls()["weblink_token"], timeout=5)
    assert get.status_code == 405


def test_nextgen_token_and_bad_credentials_403(shared):
    creds = shared.credentials("C1001")
    url = shared.urls()["nextgen_token"]
    ok = requests.post(url, data={"grant_type": "client_credentials", "client_id": creds.nextgen_client_id,
                                  "client_secret": creds.nextgen_client_secret}, timeout=5)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] == 3600
    bad = requests.post(url, data={"grant_type": "client_credentials", "client_id": creds.nextgen_client_id,
                                   "client_secret": "nope"}, timeout=5)
    assert bad.status_code == 403 and bad.content == b""
    weblink_pair = requests.post(url, data={"grant_type": "client_credentials",
                                            "client_id": creds.weblink_client_id,
                                            "client_secret": creds.weblink_client_secret}, timeout=5)
    assert weblink_pair.status_code == 403


def test_tokens_belong_to_one_family(shared):
    wl, ng = weblink_token(shared), nextgen_token(shared)
    base = shared.base_url
    on_nextgen = requests.get(f"{base}/coreHr/v1/companies/C1001/employees",
                              headers={"Authorization": f"Bearer {wl}"}, timeout=5)
    on_weblink = requests.get(f"{base}/api/v2/companies/C1001/employees",
                              headers={"Authorization": f"Bearer {ng}"}, timeout=5)
    assert on_nextgen.status_code == 401 and on_weblink.status_code == 401
    assert on_weblink.content == b""
    missing = requests.get(f"{base}/api/v2/companies/C1001/employees", timeout=5)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"


def test_token_from_another_environment_is_401(shared):
    with SandboxServer(seed=7, employees=5, today=TODAY) as other:
        foreign = weblink_token(other)
    resp = requests.get(f"{shared.base_url}/api/v2/companies/C1001/employees",
                        headers={"Authorization": f"Bearer {foreign}"}, timeout=5)
    assert resp.status_code == 401


def test_each_credential_pair_sees_only_its_company(shared, weblink, nextgen):
    api = weblink(shared, "C1001")
    assert api.get("/v2/companies/C1001/employees").status_code == 200
    denied = api.get("/v2/companies/C1002/employees/1001")
    assert denied.status_code == 403 and denied.content == b""
    assert api.get("/v2/companies/NOPE/codes/earnings").status_code == 403
    ng = nextgen(shared, "C1002")
    assert ng.get("/coreHr/v1/companies/C1002/employees").status_code == 200
    assert ng.get("/coreHr/v1/companies/C1001/employees").status_code == 403
    assert ng.get("/apiHub/corehr/v1/companies/C1001/workLocations").status_code == 403


def test_tokens_expire_after_ttl(fresh):
    fresh.token_ttl = 0.3
    token = weblink_token(fresh)
    url = f"{fresh.base_url}/api/v2/companies/C1001/employees"
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200
    time.sleep(0.4)
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 401
    renewed = weblink_token(fresh)
    assert requests.get(url, headers={"Authorization": f"Bearer {renewed}"}, timeout=5).status_code == 200


def test_expire_tokens_now(fresh, weblink, nextgen):
    wl, ng = weblink(fresh), nextgen(fresh)
    assert wl.get("/v2/companies/C1001/employees").status_code == 200
    fresh.expire_tokens()
    assert wl.get("/v2/companies/C1001/employees").status_code == 401
    assert ng.get("/coreHr/v1/companies/C1001/employees").status_code == 401


def test_client_secret_renewal_keeps_old_and_new_secret(fresh, weblink):
    before = fresh.credentials("C1001")
    api = weblink(fresh)
    bad = api.post("/v2/credentials/secrets", json={"code": "not-the-code"})
    assert bad.status_code == 400 and bad.json()[0]["field"] == "code"
    missing = api.post("/v2/credentials/secrets", json={})
    assert missing.status_code == 400
    resp = api.post("/v2/credentials/secrets", json={"code": before.weblink_secret_code})
    assert resp.status_code == 200
    [renewed] = resp.json()
    assert renewed["clientSecret"] != before.weblink_client_secret
    assert renewed["clientSecretExpirationDate"].startswith(str(TODAY.year + 1))
    assert fresh.credentials("C1001").weblink_client_secret == renewed["clientSecret"]
    for secret in (before.weblink_client_secret, renewed["clientSecret"]):
        ok = _wl_token(fresh, {"grant_type": "client_credentials", "scope": "WebLinkAPI"},
                       auth=(before.weblink_client_id, secret))
        assert ok.status_code == 200


def test_credentials_are_reproducible_and_distinct(shared):
    again = SandboxServer(seed=7, employees=5, companies=("C1001", "C1002"), today=TODAY)
    assert again.credentials("C1001") == shared.credentials("C1001")
    one, two = shared.credentials("C1001"), shared.credentials("C1002")
    assert len({one.weblink_client_id, one.nextgen_client_id, two.weblink_client_id, two.nextgen_client_id}) == 4
