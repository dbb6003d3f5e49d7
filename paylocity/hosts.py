"""Base URLs of Paylocity's two API families, per environment, and which URLs credentials may be sent to.

A connection can override every URL (that is how the local sandbox stands in for Paylocity), but a client id and
secret, and the bearer tokens they buy, only ever go to Paylocity's own hosts over https, unless the server's
operator explicitly allows other hosts (``allow_overrides``): then any https host, and plain http on this machine.
"""
from dataclasses import dataclass, fields, replace
from urllib.parse import urlsplit

from .errors import ConfigurationError

PAYLOCITY_DOMAIN = "paylocity.com"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Hosts:
    weblink_base: str   # WebLink API root; paths are /v2/...
    weblink_token: str  # WebLink IdentityServer token endpoint
    nextgen_base: str   # NextGen gateway root; paths are /coreHr/..., /apiHub/...
    nextgen_token: str  # NextGen token endpoint

    def with_overrides(self, **overrides):
        """Return a copy with the given non-empty URLs replaced (trailing slashes dropped)."""
        clean = {k: v.rstrip("/") for k, v in overrides.items() if v}
        return replace(self, **clean)

    def check(self, allow_overrides=False):
        """Raise ``ConfigurationError`` naming the first URL credentials must not be sent to."""
        for item in fields(self):
            check_url(getattr(self, item.name), allow_overrides, what=HOST_LABELS[item.name])


HOST_LABELS = {
    "weblink_base": "The WebLink API URL",
    "weblink_token": "The WebLink token URL",
    "nextgen_base": "The NextGen API URL",
    "nextgen_token": "The NextGen token URL",
}

PRODUCTION = Hosts(
    weblink_base="https://api.paylocity.com/api",
    weblink_token="https://api.paylocity.com/IdentityServer/connect/token",
    nextgen_base="https://dc1prodgwext.paylocity.com",
    nextgen_token="https://dc1prodgwext.paylocity.com/public/security/v1/token",
)

TEST = Hosts(
    weblink_base="https://dc1demogw.paylocity.com/api",
    weblink_token="https://dc1demogw.paylocity.com/IdentityServer/connect/token",
    nextgen_base="https://dc1demogwext.paylocity.com",
    nextgen_token="https://dc1demogwext.paylocity.com/public/security/v1/token",
)

ENVIRONMENTS = {"production": PRODUCTION, "test": TEST}


def sandbox_hosts(base_url):
    """Hosts of a Paylocity-compatible server that serves both families under one root URL."""
    base = base_url.rstrip("/")
    return Hosts(
        weblink_base=base + "/api",
        weblink_token=base + "/IdentityServer/connect/token",
        nextgen_base=base,
        nextgen_token=base + "/public/security/v1/token",
    )


def is_paylocity_url(url):
    """Whether ``url`` is https on Paylocity's own domain, on the standard port, with no user name in it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except (TypeError, ValueError):
        return False
    host = parts.hostname or ""
    return (parts.scheme == "https" and port in (None, 443) and not (parts.username or parts.password)
            and (host == PAYLOCITY_DOMAIN or host.endswith("." + PAYLOCITY_DOMAIN)))


def url_problem(url, allow_overrides=False):
    """Why credentials must not be sent to ``url`` (a phrase completing "<the URL> ..."), or None when they may.

    Paylocity's hosts over https always pass. Any other host only with ``allow_overrides`` (the server's own
    configuration, never a connection's data), and then over https, or plain http to this machine (a sandbox).
    """
    if is_paylocity_url(url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except (TypeError, ValueError):
        return "is not a valid URL"
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return "is not an http(s) URL"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if not allow_overrides:
        return ("must be one of Paylocity's own hosts over https (https://….%s): this server does not allow "
                "other hosts" % PAYLOCITY_DOMAIN)
    if parts.scheme == "https" or parts.hostname in LOCAL_HOSTS:
        return None
    return "must be an https:// URL (plain http only for a sandbox on this machine)"


def check_url(url, allow_overrides=False, what="The URL"):
    """Raise ``ConfigurationError`` when credentials must not be sent to ``url``."""
    problem = url_problem(url, allow_overrides)
    if problem:
        raise ConfigurationError("%s %s." % (what, problem))


def webhook_base_problem(base_url, allow_overrides=False):
    """Why Paylocity must not be given a webhook URL under ``base_url`` (Odoo's ``web.base.url``), or None.

    Webhooks carry the Basic-auth password and personal data: Paylocity is only ever given an https URL. Plain
    http only where the server's operator allows overrides (tests and the demo on 127.0.0.1).
    """
    try:
        parts = urlsplit(base_url or "")
        parts.port  # noqa: B018 - raises on a malformed port
    except (TypeError, ValueError):
        return "is not a valid URL"
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return "is not an http(s) URL"
    if parts.scheme == "https" or allow_overrides:
        return None
    return "is not https: Paylocity must only be given an https webhook URL"
