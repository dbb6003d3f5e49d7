"""Client credentials and the two token servers (WebLink IdentityServer and NextGen security).

WebLink: form post, client authenticated by HTTP Basic or by ``client_id``/``client_secret`` in the body,
``grant_type=client_credentials`` and ``scope=WebLinkAPI`` required; failures are OAuth2 400 bodies
(``invalid_client``, ``invalid_scope``, ``unsupported_grant_type``). NextGen: body credentials, no scope, bad
credentials answer 403. Tokens belong to one family and one credential pair, hence to one company, and expire
for real after ``token_ttl`` seconds.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import random
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Optional
from urllib.parse import parse_qs, unquote_plus

from .wire import Request, Response, empty, json_response

WEBLINK = "weblink"
NEXTGEN = "nextgen"
WEBLINK_SCOPE = "WebLinkAPI"
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class CompanyCredentials:
    """What Paylocity hands a customer for one company: two credential pairs and a renewal code."""
    company_id: str
    weblink_client_id: str
    weblink_client_secret: str
    nextgen_client_id: str
    nextgen_client_secret: str
    weblink_secret_code: str      # the code Paylocity e-mails before a WebLink secret expires

    def as_dict(self) -> dict:
        return dict(company_id=self.company_id, weblink_client_id=self.weblink_client_id,
                    weblink_client_secret=self.weblink_client_secret, nextgen_client_id=self.nextgen_client_id,
                    nextgen_client_secret=self.nextgen_client_secret, weblink_secret_code=self.weblink_secret_code)


@dataclass
class Client:
    family: str
    client_id: str
    company_id: str
    secrets: list                       # every valid secret, newest last
    secret_expiration: dt.date
    renewal_code: Optional[str] = None


@dataclass
class Token:
    value: str
    family: str
    client_id: str
    company_id: str
    expires_at: float                   # time.monotonic()


class TokenAuthority:
    """Issues and checks bearer tokens for every registered credential pair (thread-safe)."""

    def __init__(self, token_ttl: float = 3600, today: Optional[dt.date] = None, clock=time.monotonic):
        self.token_ttl = token_ttl
        self.today = today or dt.date.today()
        self._clock = clock
        self._clients: dict = {}
        self._tokens: dict = {}
        self._lock = threading.Lock()

    # -- credentials --
    def register_company(self, company_id: str, seed) -> CompanyCredentials:
        """Deterministic credentials from the seed, so a restarted demo sandbox keeps its configuration."""
        rng = random.Random(f"{seed}:{company_id}:credentials")

        def word(n):
            return "".join(rng.choice(_ALPHABET) for _ in range(n))

        slug = company_id.lower()
        weblink = Client(WEBLINK, f"{slug}-wl-{word(12).lower()}", company_id, [word(40)],
                         self.today + dt.timedelta(days=365), renewal_code=word(24))
        nextgen = Client(NEXTGEN, f"{slug}-ng-{word(12).lower()}", company_id, [word(40)],
                         self.today + dt.timedelta(days=365))
        with self._lock:
            self._clients[weblink.client_id] = weblink
            self._clients[nextgen.client_id] = nextgen
        return self.credentials(company_id)

    def credentials(self, company_id: str) -> CompanyCredentials:
        with self._lock:
            pairs = {c.family: c for c in self._clients.values() if c.company_id == company_id}
        if len(pairs) != 2:
            raise KeyError(f"unknown company {company_id!r}")
        wl, ng = pairs[WEBLINK], pairs[NEXTGEN]
        return CompanyCredentials(company_id, wl.client_id, wl.secrets[-1], ng.client_id, ng.secrets[-1],
                                  wl.renewal_code)

    def renew_secret(self, client_id: str, code: str) -> tuple:
        """New WebLink secret for a valid renewal code; the old secret keeps working. -> (secret, expiry)."""
        with self._lock:
            client = self._clients.get(client_id)
            if client is None or not client.renewal_code or not secrets.compare_digest(str(code),
                                                                                          client.renewal_code):
                raise ValueError("invalid code")
            new_secret = "".join(secrets.choice(_ALPHABET) for _ in range(40))
            client.secrets.append(new_secret)
            client.secret_expiration = self.today + dt.timedelta(days=365)
            return new_secret, client.secret_expiration

    # -- tokens --
    def _check_secret(self, family: str, client_id: str, secret: str) -> Optional[Client]:
        client = self._clients.get(client_id)
        if client is None or client.family != family:
            return None
        if not any(secrets.compare_digest(secret.encode(), s.encode()) for s in client.secrets):
            return None
        return client

    def issue(self, family: str, client_id: str, secret: str) -> Optional[Token]:
        with self._lock:
            client = self._check_secret(family, client_id, secret)
            if client is None:
                return None
            token = Token(secrets.token_urlsafe(32), family, client_id, client.company_id,
                          self._clock() + self.token_ttl)
            self._tokens[token.value] = token
            return token

    def validate(self, authorization: Optional[str], family: str) -> Optional[Token]:
        """The live token named by an ``Authorization: Bearer`` header for this family, else None."""
        if not authorization or not authorization[:7].lower() == "bearer ":
            return None
        with self._lock:
            token = self._tokens.get(authorization[7:].strip())
            if token is None or token.family != family:
                return None
            if token.expires_at <= self._clock():
                del self._tokens[token.value]
                return None
            return token

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    # -- HTTP endpoints --
    def token_response(self, token: Token) -> Response:
        body = {"access_token": token.value, "expires_in": max(1, int(math.ceil(self.token_ttl))),
                "token_type": "Bearer"}
        return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def weblink_token(self, req: Request) -> Response:
        form = _form(req)
        client_id, secret = _basic(req.header("authorization"))
        if client_id is None:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        token = self.issue(WEBLINK, client_id or "", secret or "") if client_id and secret else None
        if token is None:
            return json_response(400, {"error": "invalid_client"})
        if WEBLINK_SCOPE not in (form.get("scope") or "").split():
            with self._lock:
                self._tokens.pop(token.value, None)
            return json_response(400, {"error": "invalid_scope"})
        return self.token_response(token)

    def nextgen_token(self, req: Request) -> Response:
        form = _form(req)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if client_id is None:
            client_id, secret = _basic(req.header("authorization"))
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        token = self.issue(NEXTGEN, client_id or "", secret or "") if client_id and secret else None
        if token is None:
            return empty(403)
        return self.token_response(token)


def _form(req: Request) -> dict:
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _basic(header: Optional[str]) -> tuple:
    """(client_id, client_secret) from a Basic header (RFC 6749 §2.3.1 form-encodes both), else (None, None)."""
    if not header or header[:6].lower() != "basic ":
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None, None
    if ":" not in decoded:
        return None, None
    user, _, password = decoded.partition(":")
    return unquote_plus(user), unquote_plus(password)
