"""Which URLs a client id, its secret and the bearer tokens may be sent to: Paylocity's own hosts over https, and
other hosts only when the server's operator allows them; the client checks again at every request."""
import time

import pytest

from paylocity.auth import WEBLINK, MemoryTokenStore, token_key
from paylocity.errors import ConfigurationError
from paylocity.hosts import (ENVIRONMENTS, check_url, is_paylocity_url, sandbox_hosts, url_problem,
                             webhook_base_problem)
from paylocity.tests.conftest import NEXTGEN_TOKEN_PATH, WEBLINK_TOKEN_PATH, weblink_credentials

PAYLOCITY_URLS = [
    "https://api.paylocity.com/IdentityServer/connect/token",
    "https://dc1prodgwext.paylocity.com",
    "https://API.Paylocity.com:443/api",
    "https://paylocity.com/api",
]
FOREIGN_URLS = [
    "http://127.0.0.1:8090/IdentityServer/connect/token",   # a capture server on this machine
    "https://evil.example/token",
    "https://api.paylocity.com.evil.example/token",          # Paylocity's name as a prefix of another domain
    "https://evilpaylocity.com/token",                       # ... or glued to another name
    "https://api.paylocity.com.:443/token",                  # the fully qualified spelling is another name here
    "http://api.paylocity.com/token",                        # Paylocity, but in clear text
    "https://api.paylocity.com:8443/token",                  # another port of the same host
    "https://me:pw@api.paylocity.com/token",
    "https://evil.example@api.paylocity.com.evil.example/",
]


@pytest.mark.parametrize("url", PAYLOCITY_URLS)
def test_paylocity_hosts_over_https_are_always_accepted(url):
    assert is_paylocity_url(url)
    assert url_problem(url) is None and url_problem(url, allow_overrides=True) is None


def test_every_builtin_environment_passes_without_overrides():
    for hosts in ENVIRONMENTS.values():
        hosts.check(allow_overrides=False)


@pytest.mark.parametrize("url", FOREIGN_URLS)
def test_other_hosts_are_refused_unless_the_server_allows_overrides(url):
    assert not is_paylocity_url(url)
    problem = url_problem(url)
    assert problem
    with pytest.raises(ConfigurationError) as info:
        check_url(url, what="The WebLink token URL")
    assert str(info.value).startswith("The WebLink token URL ")
    assert "pw" not in str(info.value)


@pytest.mark.parametrize("url", ["https://proxy.example/api", "http://127.0.0.1:8090/api", "http://localhost:9/x",
                                 "http://[::1]:8090/api"])
def test_overrides_allow_https_anywhere_and_http_on_this_machine(url):
    assert url_problem(url, allow_overrides=True) is None


@pytest.mark.parametrize("url", ["http://10.0.0.5/api", "http://proxy.example/api", "ftp://127.0.0.1/x",
                                 "https://me:pw@proxy.example/", "https://127.0.0.1:99999/", "not a url", "",
                                 None])
def test_overrides_still_refuse_clear_text_to_other_machines_and_malformed_urls(url):
    assert url_problem(url, allow_overrides=True)


def test_a_sandbox_stands_in_only_with_overrides():
    hosts = sandbox_hosts("http://127.0.0.1:8090")
    hosts.check(allow_overrides=True)
    with pytest.raises(ConfigurationError, match="WebLink API URL"):
        hosts.check(allow_overrides=False)


# --- the client refuses at request time, whatever hosts it was given ---

def test_no_token_request_reaches_a_host_that_is_not_allowed(srv, make_client):
    client = make_client(srv, allow_host_overrides=False)
    for check, path in ((client.check_weblink, WEBLINK_TOKEN_PATH), (client.check_nextgen, NEXTGEN_TOKEN_PATH)):
        with pytest.raises(ConfigurationError, match="own hosts over https"):
            check()
        assert srv.count(path=path) == 0
    assert not srv.calls


def test_a_cached_token_is_not_sent_to_a_base_url_that_is_not_allowed(srv, make_client):
    # The token URL is Paylocity's, the API URL a local server; a token already cached must not leave either.
    hosts = sandbox_hosts(srv.base_url).with_overrides(weblink_token=ENVIRONMENTS["test"].weblink_token)
    store = MemoryTokenStore()
    credentials = weblink_credentials(srv)
    store.set(token_key(hosts.weblink_token, credentials), "cached-token", time.time() + 3600)
    client = make_client(srv, hosts=hosts, nextgen=False, token_store=store, allow_host_overrides=False)
    with pytest.raises(ConfigurationError, match="WebLink API URL"):
        client.check_weblink()
    assert not srv.calls


def test_the_provider_checks_its_own_token_url(srv, make_client):
    client = make_client(srv, nextgen=False, allow_host_overrides=False)
    provider = client._provider(WEBLINK)
    with pytest.raises(ConfigurationError, match="WebLink token URL"):
        provider.token()
    assert not srv.calls


# --- the webhook URL Paylocity is given ---

@pytest.mark.parametrize("base", ["https://erp.example.com", "https://erp.example.com:8443/odoo"])
def test_an_https_base_gives_a_webhook_url(base):
    assert webhook_base_problem(base) is None


@pytest.mark.parametrize("base", ["http://erp.example.com", "http://127.0.0.1:8069"])
def test_a_plain_http_base_gives_none_unless_overrides_are_allowed(base):
    assert "not https" in webhook_base_problem(base)
    assert webhook_base_problem(base, allow_overrides=True) is None


@pytest.mark.parametrize("base", ["", None, "erp.example.com", "ftp://erp.example.com", "https://h:99999"])
def test_a_missing_or_malformed_base_gives_none(base):
    assert webhook_base_problem(base, allow_overrides=True)
