"""Tokens against the sandbox's real token servers: caching (fake wall clock), one request under concurrency,
renewal after 401, refusals with actionable messages, and no secret or token in messages or logs."""
import base64
import logging
import threading
from urllib.parse import unquote_plus

import pytest

from paylocity.auth import (NEXTGEN, WEBLINK, Credentials, MemoryTokenStore, TokenProvider, _basic_auth,
                            token_key)
from paylocity import errors
from paylocity.errors import AuthenticationError, ConfigurationError
from paylocity.hosts import Hosts, sandbox_hosts
from paylocity.tests.conftest import (COMPANY, FAST_RETRY, NEXTGEN_TOKEN_PATH, WEBLINK_TOKEN_PATH,
                                      nextgen_credentials, start_sandbox, weblink_credentials)
from paylocity.transport import Transport


class WallClock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def transport():
    t = Transport(timeout=2.0, retry=FAST_RETRY)
    yield t
    t.close()


def provider_for(srv, family, transport, **kwargs):
    hosts = sandbox_hosts(srv.base_url)
    kwargs.setdefault("allow_host_overrides", True)   # the sandbox on 127.0.0.1 stands in for Paylocity
    if family == WEBLINK:
        return TokenProvider(WEBLINK, hosts.weblink_token, weblink_credentials(srv), transport, **kwargs)
    return TokenProvider(NEXTGEN, hosts.nextgen_token, nextgen_credentials(srv), transport, **kwargs)


@pytest.mark.parametrize("family,path", [(WEBLINK, WEBLINK_TOKEN_PATH), (NEXTGEN, NEXTGEN_TOKEN_PATH)])
def test_token_is_cached_until_the_margin_before_expiry(srv, transport, family, path):
    clock = WallClock()
    provider = provider_for(srv, family, transport, margin=60, wall_clock=clock)
    first = provider.token()
    assert first and srv.count(path=path, status=200) == 1
    clock.now += 3600 - 61          # still outside the 60 s margin: cached
    assert provider.token() == first
    assert srv.count(path=path) == 1
    clock.now += 2                  # inside the margin: a new token is requested
    second = provider.token()
    assert second != first
    assert srv.count(path=path, status=200) == 2


def test_token_store_holds_expiry_and_a_secret_free_key(srv, transport):
    clock = WallClock()
    store = MemoryTokenStore()
    provider = provider_for(srv, WEBLINK, transport, store=store, margin=60, wall_clock=clock)
    token = provider.token()
    secret = weblink_credentials(srv).client_secret
    assert secret not in provider.key
    assert store.get(provider.key) == (token, clock.now + 3600 - 60)
    # Another client sharing the store (the Odoo DB store in production) reuses the token: no new request.
    other = provider_for(srv, WEBLINK, transport, store=store, margin=60, wall_clock=clock)
    assert other.token() == token
    assert srv.count(path=WEBLINK_TOKEN_PATH) == 1


def test_key_changes_with_secret_url_and_client():
    base = Credentials("client-1", "secret-1")
    key = token_key("https://a/token", base)
    assert key != token_key("https://a/token", Credentials("client-1", "secret-2"))
    assert key != token_key("https://b/token", base)
    assert key != token_key("https://a/token", Credentials("client-2", "secret-1"))
    assert "secret-1" not in key


def test_short_lived_token_is_used_for_half_its_life(fresh_sandbox, transport):
    srv = fresh_sandbox(token_ttl=10)
    clock = WallClock()
    provider = provider_for(srv, WEBLINK, transport, margin=60, wall_clock=clock)
    token = provider.token()
    clock.now += 4.9
    assert provider.token() == token
    clock.now += 0.2
    assert provider.token() != token
    assert srv.count(path=WEBLINK_TOKEN_PATH) == 2


def test_concurrent_callers_cause_one_token_request(srv, transport):
    provider = provider_for(srv, NEXTGEN, transport)
    barrier = threading.Barrier(16)
    tokens = []

    def worker():
        barrier.wait()
        tokens.append(provider.token())

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tokens) == 16 and len(set(tokens)) == 1
    assert srv.count(path=NEXTGEN_TOKEN_PATH) == 1


def test_fan_out_of_a_new_client_fetches_one_token(srv, make_client):
    client = make_client(srv, max_workers=8)
    ids = [e.employee_id for e in srv.company(COMPANY).sorted_employees()[:16]]
    results = client.fan_out(client.get_employee, ids)
    assert [r.employee_id for _, r in results] == ids
    assert srv.count(path=WEBLINK_TOKEN_PATH) == 1


def test_token_expiring_mid_run_is_renewed_once_and_the_run_completes(srv, make_client):
    client = make_client(srv, max_workers=6)
    ids = [e.employee_id for e in srv.company(COMPANY).sorted_employees()]
    done = []

    def fetch(employee_id):
        if len(done) == 10:
            srv.expire_tokens()          # Paylocity drops the token while calls are in flight
        done.append(employee_id)
        return client.get_employee(employee_id)

    results = client.fan_out(fetch, ids)
    assert all(not isinstance(r, Exception) for _, r in results)
    assert [r.employee_id for _, r in results] == ids
    assert srv.count(path=WEBLINK_TOKEN_PATH) == 2     # the first token and exactly one renewal
    assert srv.count(status=401) >= 1


def test_invalidate_keeps_a_newer_token(srv, transport):
    provider = provider_for(srv, WEBLINK, transport)
    old = provider.token()
    provider.invalidate(old)
    new = provider.token()
    provider.invalidate(old)             # a late thread reporting the old token changes nothing
    assert provider.token() == new
    assert srv.count(path=WEBLINK_TOKEN_PATH) == 2


@pytest.mark.parametrize("family, credentials_of, token_path, refused, api_path, says", [
    # WebLink answers 400 invalid_client; the message says to check the pair and its environment.
    ("weblink", weblink_credentials, WEBLINK_TOKEN_PATH, 400, "/api/", ("WebLink", "invalid_client", "environment")),
    ("nextgen", nextgen_credentials, NEXTGEN_TOKEN_PATH, 403, "/coreHr/", ("NextGen", "403")),
])
def test_bad_secret_is_an_actionable_authentication_error(srv, make_client, family, credentials_of, token_path,
                                                          refused, api_path, says):
    wrong = "Wr0ng-S3cret-value-XYZ"
    client = make_client(srv, **{family: credentials_of(srv, secret=wrong)})
    with pytest.raises(AuthenticationError) as info:
        getattr(client, "check_" + family)()
    message = str(info.value)
    assert all(word in message for word in says), message
    assert info.value.reason == errors.BAD_CREDENTIALS
    assert wrong not in message
    assert srv.count(path=token_path, status=refused) == 1    # refused once, not retried
    assert srv.count(path=api_path) == 0


def test_weblink_pair_used_as_nextgen_is_refused(srv, make_client):
    # A common paste mistake: the WebLink pair in the NextGen fields.
    creds = srv.credentials(COMPANY)
    client = make_client(srv, nextgen=Credentials(creds.weblink_client_id, creds.weblink_client_secret))
    with pytest.raises(AuthenticationError):
        client.check_nextgen()


def test_token_from_another_environment_gets_one_renewal_then_a_clear_error(srv, make_client):
    other_env = start_sandbox()
    try:
        # Token from this sandbox, API calls to another one: exactly Paylocity's "token for another environment".
        mine, theirs = sandbox_hosts(srv.base_url), sandbox_hosts(other_env.base_url)
        hosts = Hosts(theirs.weblink_base, mine.weblink_token, theirs.nextgen_base, mine.nextgen_token)
        client = make_client(srv, hosts=hosts)
        with pytest.raises(AuthenticationError) as info:
            client.check_weblink()
        assert "another environment" in str(info.value)
        assert info.value.reason == errors.TOKEN_REFUSED
        assert other_env.count(status=401) == 2                   # first token, then one fresh token
        assert srv.count(path=WEBLINK_TOKEN_PATH) == 2
        with pytest.raises(AuthenticationError):
            client.check_nextgen()
    finally:
        other_env.stop()


def test_injected_401_is_retried_with_a_fresh_token(srv, make_client):
    client = make_client(srv)
    client.check_weblink()
    srv.inject("status", status=401, path="/employees")
    assert len(client.list_employees()) == 30
    assert srv.count(path=WEBLINK_TOKEN_PATH) == 2


def test_basic_client_auth_is_form_encoded_per_rfc6749():
    header = _basic_auth("client:1", "p+s/w=rd%")
    raw = base64.b64decode(header.split(" ", 1)[1]).decode()
    user, _, password = raw.partition(":")
    assert (unquote_plus(user), unquote_plus(password)) == ("client:1", "p+s/w=rd%")


def test_credentials_never_show_the_secret():
    creds = Credentials("id-1", "very-secret")
    assert "very-secret" not in repr(creds)
    with pytest.raises(ConfigurationError):
        Credentials("id-1", "")
    with pytest.raises(ConfigurationError):
        Credentials(" ", "x")


def test_no_secret_or_token_reaches_the_logs(srv, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(srv)
    client.check_weblink()
    srv.expire_tokens()
    srv.inject("status", status=503, path="/employees")
    client.check_weblink()
    with pytest.raises(AuthenticationError):
        make_client(srv, weblink=weblink_credentials(srv, secret="Leaky-Secret-123")).check_weblink()
    provider = client._providers[WEBLINK]
    token = provider.store.get(provider.key)[0]
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (weblink_credentials(srv).client_secret, "Leaky-Secret-123", token):
        assert secret not in text
    assert "paylocity GET /v2/companies/{companyId}/employees -> 503" in caplog.text
