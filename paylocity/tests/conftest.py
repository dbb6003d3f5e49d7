"""Sandbox fixtures for the client tests: a real Paylocity-compatible HTTP server on 127.0.0.1; the settings of
the property-based tests."""
import socket

import pytest

from paylocity.auth import Credentials
from paylocity.client import PaylocityClient, RetryPolicy
from paylocity.hosts import sandbox_hosts
from paylocity.tests.hypothesis_profiles import load_profile

COMPANY = "C1001"
OTHER_COMPANY = "C2002"
WEBLINK_TOKEN_PATH = "/IdentityServer/connect/token"
NEXTGEN_TOKEN_PATH = "/public/security/v1/token"

# Property tests: random exploration by hand, the same examples on every run under tools/test.
load_profile()

# Small delays keep the failure-path tests fast; the bounds themselves are what the tests check.
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, max_total=15.0)


def _sandbox_class():
    from sandbox import SandboxServer
    return SandboxServer


def start_sandbox(**kwargs):
    options = dict(seed=1, employees=30, companies=(COMPANY, OTHER_COMPANY))
    options.update(kwargs)
    return _sandbox_class()(**options).start()


@pytest.fixture(scope="module")
def sandbox():
    srv = start_sandbox()
    yield srv
    srv.stop()


@pytest.fixture
def srv(sandbox):
    """The module's sandbox with no pending faults and an empty call log."""
    sandbox.clear_faults()
    sandbox.reset_calls()
    yield sandbox
    sandbox.clear_faults()


@pytest.fixture
def fresh_sandbox():
    """A sandbox of its own, for tests that need other limits or a clean rate-limit window."""
    started = []

    def make(**kwargs):
        srv = start_sandbox(**kwargs)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def weblink_credentials(srv, company=COMPANY, secret=None):
    creds = srv.credentials(company)
    return Credentials(creds.weblink_client_id, secret or creds.weblink_client_secret)


def nextgen_credentials(srv, company=COMPANY, secret=None):
    creds = srv.credentials(company)
    return Credentials(creds.nextgen_client_id, secret or creds.nextgen_client_secret)


@pytest.fixture
def make_client():
    """Build clients against a sandbox (fast retries, short timeout); all are closed at teardown."""
    clients = []

    def make(srv, company=COMPANY, *, weblink=True, nextgen=True, hosts=None, **kwargs):
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("timeout", 2.0)
        kwargs.setdefault("allow_host_overrides", True)   # the sandbox on 127.0.0.1 stands in for Paylocity
        client = PaylocityClient(
            company, hosts or sandbox_hosts(srv.base_url),
            weblink=weblink_credentials(srv) if weblink is True else (weblink or None),
            nextgen=nextgen_credentials(srv) if nextgen is True else (nextgen or None),
            **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def free_port():
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def calls_to(srv, path, method=None, exact=False):
    """Recorded sandbox calls whose path contains (or equals) ``path``."""
    return [c for c in srv.calls
            if (c.path == path if exact else path in c.path) and (method is None or c.method == method)]
