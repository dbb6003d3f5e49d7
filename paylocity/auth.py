"""OAuth2 client-credentials tokens for both Paylocity API families, cached and shared safely across threads.

WebLink: HTTP Basic client authentication, ``grant_type=client_credentials&scope=WebLinkAPI``.
NextGen: ``client_id``/``client_secret`` in the form body, no scope. Both live 3600 s and have no refresh token,
so a token is cached until ``margin`` seconds before it expires and then simply requested again.
"""
import base64
import hashlib
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from pydantic import ValidationError as PydanticValidationError

from .errors import BAD_CREDENTIALS, AuthenticationError, BadResponse, ConfigurationError, PaylocityError
from .hosts import HOST_LABELS, check_url
from .models import TokenResponse
from .transport import Call, decode_json

WEBLINK = "weblink"
NEXTGEN = "nextgen"
FAMILY_NAMES = {WEBLINK: "WebLink", NEXTGEN: "NextGen"}


@dataclass(frozen=True)
class Credentials:
    """One Paylocity client id/secret pair (WebLink and NextGen each have their own)."""

    client_id: str
    client_secret: str = field(repr=False)

    def __post_init__(self):
        if not (isinstance(self.client_id, str) and self.client_id.strip()):
            raise ConfigurationError("The Paylocity client ID is empty.")
        if not (isinstance(self.client_secret, str) and self.client_secret.strip()):
            raise ConfigurationError("The Paylocity client secret is empty.")


class MemoryTokenStore:
    """TokenStore kept in this process.

    A TokenStore maps a key to ``(token, expires_at)`` where ``expires_at`` is the epoch second after which the
    token must no longer be used (Paylocity's expiry minus the safety margin). The Odoo layer supplies one
    backed by the database with the same three methods.
    """

    def __init__(self):
        self._items = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._items.get(key)

    def set(self, key, token, expires_at):
        with self._lock:
            self._items[key] = (token, expires_at)

    def delete(self, key):
        with self._lock:
            self._items.pop(key, None)


def token_key(token_url, credentials):
    """Cache key of a credential pair at a token endpoint; holds a hash of the secret, never the secret, so a
    new secret (or another environment) never picks up an old token."""
    digest = hashlib.sha256(b"paylocity-token-key\0" + credentials.client_secret.encode("utf-8")).hexdigest()
    return "%s|%s|%s" % (token_url, credentials.client_id, digest[:24])


_key_locks = {}
_key_locks_guard = threading.Lock()


def _lock_for(key):
    """One lock per cache key in this process, shared by every client using the same pair."""
    with _key_locks_guard:
        lock = _key_locks.get(key)
        if lock is None:
            lock = _key_locks[key] = threading.Lock()
        return lock


class TokenProvider:
    """Hands out a valid bearer token for one credential pair; concurrent callers cause one token request.

    The pair is only ever sent to a token URL ``hosts.check_url`` accepts (Paylocity's own hosts over https,
    others only with ``allow_host_overrides``), checked again at each request: whatever the caller stored.
    """

    def __init__(self, family, token_url, credentials, transport, store=None, *, margin=60.0, limiter=None,
                 wall_clock=time.time, allow_host_overrides=False):
        if family not in FAMILY_NAMES:
            raise ValueError("unknown API family %r" % (family,))
        self.family = family
        self.family_name = FAMILY_NAMES[family]
        self.token_url = token_url
        self.credentials = credentials
        self.transport = transport
        self.store = store if store is not None else MemoryTokenStore()
        self.margin = float(margin)
        self.limiter = limiter
        self.allow_host_overrides = bool(allow_host_overrides)
        self.key = token_key(token_url, credentials)
        self._wall_clock = wall_clock

    def token(self):
        cached = self._cached()
        if cached:
            return cached
        with _lock_for(self.key):
            cached = self._cached()   # another thread may have fetched it while we waited
            if cached:
                return cached
            token, expires_in = self._request_token()
            # A token shorter-lived than twice the margin is still used for half its life.
            usable_for = expires_in - min(self.margin, expires_in / 2.0)
            self.store.set(self.key, token, self._wall_clock() + usable_for)
            return token

    def invalidate(self, token):
        """Drop ``token`` from the cache after Paylocity refused it; a newer token another thread already
        fetched is kept, so N threads hitting 401 together still cause one token request."""
        with _lock_for(self.key):
            entry = self.store.get(self.key)
            if entry and entry[0] == token:
                self.store.delete(self.key)

    def _cached(self):
        entry = self.store.get(self.key)
        if entry and entry[0] and self._wall_clock() < float(entry[1]):
            return entry[0]
        return None

    # -- the token request -----------------------------------------------------------------------------

    def _request_token(self):
        check_url(self.token_url, self.allow_host_overrides, what=HOST_LABELS["%s_token" % self.family])
        creds = self.credentials
        headers = {"Accept": "application/json"}
        if self.family == WEBLINK:
            data = {"grant_type": "client_credentials", "scope": "WebLinkAPI"}
            headers["Authorization"] = _basic_auth(creds.client_id, creds.client_secret)
        else:
            data = {"grant_type": "client_credentials", "client_id": creds.client_id,
                    "client_secret": creds.client_secret}
        host = urlsplit(self.token_url).hostname or self.token_url
        call = Call("POST", self.token_url, template="token", family=self.family,
                    label="the %s token request to %s" % (self.family_name, host), data=data, headers=headers,
                    idempotent=True,   # minting a token changes nothing on Paylocity's side
                    limiter=self.limiter)
        response = self.transport.send(call)
        status = response.status_code
        if status == 200:
            payload = decode_json(response, call)
            try:
                parsed = TokenResponse.model_validate(payload)
            except PydanticValidationError:
                raise BadResponse("The %s token endpoint at %s answered 200 without an access token."
                                  % (self.family_name, host), status=200) from None
            return parsed.access_token, max(int(parsed.expires_in), 1)
        raise self._refusal(response, host)

    def _refusal(self, response, host):
        status = response.status_code
        error_code = _oauth_error(response)
        which = "%s client ID and secret" % self.family_name
        if status in (400, 401, 403):
            if error_code in ("invalid_scope", "unauthorized_client"):
                why = ("these credentials are not allowed the WebLinkAPI scope; ask Paylocity to enable WebLink "
                       "API access for them" if self.family == WEBLINK else
                       "these credentials are not allowed this grant; check with Paylocity")
            else:
                why = ("check both values, that they are the %s pair (WebLink and NextGen pairs differ), that "
                       "they belong to this environment (test vs production), and that the secret has not "
                       "expired (secrets last 365 days)" % self.family_name)
            detail = "%d %s" % (status, error_code) if error_code else str(status)
            return AuthenticationError("Paylocity's %s token endpoint at %s refused the %s (%s): %s."
                                       % (self.family_name, host, which, detail, why), status=status,
                                       reason=BAD_CREDENTIALS)
        if status == 404:
            return ConfigurationError("No %s token endpoint at %s (404): check the environment / host settings."
                                      % (self.family_name, self.token_url), status=404)
        return PaylocityError("Paylocity's %s token endpoint at %s answered %d."
                              % (self.family_name, host, status), status=status)


def _basic_auth(client_id, client_secret):
    # RFC 6749 §2.3.1: form-encode both parts before Base64, so secrets with '+', '/', '=' or ':' survive
    # IdentityServer's decoding.
    raw = "%s:%s" % (quote(client_id, safe=""), quote(client_secret, safe=""))
    return "Basic " + base64.b64encode(raw.encode("utf-8")).decode("ascii")


def _oauth_error(response):
    """The OAuth ``error`` code of a token refusal (e.g. invalid_client), if the body has one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"][:60]
    return None
