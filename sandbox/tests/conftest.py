"""Fixtures: sandboxes started on 127.0.0.1 and authenticated sessions against them."""
from __future__ import annotations

import pytest

from sandbox import SandboxServer
from sandbox.tests.helpers import TODAY, Api, nextgen_token, weblink_token


@pytest.fixture(scope="module")
def shared():
    """A sandbox for tests that change nothing (no rate limit, two companies)."""
    with SandboxServer(seed=7, employees=40, companies=("C1001", "C1002"), weblink_rate_limit=None,
                       today=TODAY) as srv:
        yield srv


@pytest.fixture
def fresh():
    """A sandbox of its own for tests that change data, inject faults or tune limits."""
    with SandboxServer(seed=3, employees=25, companies=("C1001", "C1002"), weblink_rate_limit=None,
                       today=TODAY) as srv:
        yield srv


def _sessions(base_key, token_fn):
    """Yields make(srv, company_id) -> Api with a token of ``token_fn``'s family; closes every session after."""
    sessions = []

    def make(srv, company_id="C1001"):
        api = Api(srv.urls()[base_key], token_fn(srv, company_id))
        sessions.append(api.session)
        return api

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def weblink():
    """weblink(srv, company_id) -> Api with a WebLink token for that company."""
    yield from _sessions("weblink_base", weblink_token)


@pytest.fixture
def nextgen():
    """nextgen(srv, company_id) -> Api with a NextGen token for that company."""
    yield from _sessions("nextgen_base", nextgen_token)
