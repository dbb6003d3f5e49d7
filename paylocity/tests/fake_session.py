"""A stand-in for ``requests.Session`` that answers like a broken or hostile server: tokens on request, every API
call answered by a function of (query parameters, call number). For what the sandbox, which behaves, cannot do."""
import json

from requests.structures import CaseInsensitiveDict

from paylocity.auth import Credentials
from paylocity.client import PaylocityClient
from paylocity.hosts import sandbox_hosts

COMPANY = "C1001"


class FakeResponse:
    def __init__(self, body, headers=None, status=200):
        self.status_code = status
        self.content = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = CaseInsensitiveDict(headers or {})

    def json(self):
        return json.loads(self.content)

    def close(self):
        pass


class FakeSession:
    """``answer(params, call_number)`` gives (body, headers) for every API call; ``call_limit`` calls at most."""

    def __init__(self, answer, call_limit=50):
        self.answer = answer
        self.call_limit = call_limit
        self.api_calls = []

    def request(self, method, url, params=None, **_kwargs):
        if url.endswith("/token"):
            return FakeResponse({"access_token": "t", "expires_in": 3600, "token_type": "Bearer"})
        self.api_calls.append(dict(params or {}))
        if len(self.api_calls) > self.call_limit:
            raise AssertionError("the client kept calling a server that repeats itself")
        body, headers = self.answer(dict(params or {}), len(self.api_calls))
        return FakeResponse(body, headers)

    def close(self):
        pass


def client_for(session, **kwargs):
    """A client whose every call goes to ``session`` (no network, no shared rate limit)."""
    return PaylocityClient(COMPANY, sandbox_hosts("http://127.0.0.1:9"), weblink=Credentials("wl", "s"),
                           nextgen=Credentials("ng", "s"), session=session, share_limiters=False,
                           weblink_rate=10000, nextgen_rate=10000, allow_host_overrides=True, **kwargs)
