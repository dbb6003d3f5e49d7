"""Base URLs of Paylocity's two API families, per environment.

Every URL is overridable (that is how the local sandbox stands in for Paylocity).
"""
from dataclasses import dataclass, replace


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
