"""Request/response values and Paylocity's wire conventions (JSON encoding, dates, error bodies, paging)."""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional
from urllib.parse import parse_qs, unquote


class Query(dict):
    """Query parameters as sent; lookups ignore case (ASP.NET binds parameter names case-insensitively)."""

    def _key(self, name):
        if dict.__contains__(self, name):
            return name
        wanted = str(name).lower()
        return next((k for k in reversed(list(self)) if k.lower() == wanted), name)

    def __getitem__(self, name):
        return dict.__getitem__(self, self._key(name))

    def __contains__(self, name):
        return dict.__contains__(self, self._key(name))

    def get(self, name, default=None):
        return dict.get(self, self._key(name), default)


@dataclass
class Request:
    method: str
    path: str
    query_string: str = ""
    headers: dict = field(default_factory=dict)     # lower-case names
    body: bytes = b""
    client: str = "127.0.0.1"

    @property
    def query(self) -> Query:
        """Query parameters as sent (last value wins), looked up case-insensitively."""
        return Query((k, v[-1]) for k, v in parse_qs(self.query_string, keep_blank_values=True).items())

    def arg(self, name: str, default=None):
        return self.query.get(name, default)

    def header(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        """The JSON body; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8") if self.body else "")


class _Segments(dict):
    """``{name}`` in a route's path: one path segment, captured under that name."""

    def __missing__(self, name):
        return r"(?P<%s>[^/]+)" % name


@dataclass
class Found:
    """The route a request takes: its handler and path parameters; with no handler, the methods the path answers
    to (empty: no such path)."""
    handler: Optional[object]
    params: dict = field(default_factory=dict)
    allowed: tuple = ()


class RouteTable:
    """A family's routes, each declared on its handler (``@ROUTES.route("GET", "/v2/companies/{cid}")``): a path
    names its segments (``{cid}``); ``tail`` ends every path's pattern (e.g. an optional final slash)."""

    def __init__(self, flags=0, tail=""):
        self._flags = flags
        self._tail = tail
        self._routes = []

    def route(self, method, path):
        pattern = re.compile("^" + path.format_map(_Segments()) + self._tail + "$", self._flags)

        def register(handler):
            self._routes.append((method, pattern, handler))
            return handler
        return register

    def find(self, req: "Request") -> Found:
        allowed = set()
        for method, pattern, handler in self._routes:
            match = pattern.match(req.path)
            if not match:
                continue
            if method == req.method:
                return Found(handler, {k: unquote(v) for k, v in match.groupdict().items()})
            allowed.add(method)
        return Found(None, allowed=tuple(sorted(allowed)))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    content_type: Optional[str] = None
    disconnect: bool = False     # close the connection without answering (fault injection)
    reset: bool = False          # with ``disconnect``: abort with a TCP reset instead of a clean close
    truncate: bool = False       # send the headers (full Content-Length) and half the body, then close


def _default(value):
    if isinstance(value, Decimal):
        # Amounts carry two decimals; a float's shortest repr prints them back exactly.
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value) -> bytes:
    return json.dumps(value, default=_default, separators=(",", ":")).encode("utf-8")


def json_response(status: int, value, headers: Optional[dict] = None) -> Response:
    return Response(status, dumps(value), dict(headers or {}), "application/json; charset=utf-8")


def empty(status: int, headers: Optional[dict] = None) -> Response:
    return Response(status, b"", dict(headers or {}))


def weblink_error(status: int, message: str, field_name: str = "", path: str = "", options=None) -> Response:
    """WebLink's error body: a JSON array of {field, message, path, options:[{code, description}]}."""
    return json_response(status, [weblink_error_item(message, field_name, path, options)])


def weblink_error_item(message: str, field_name: str = "", path: str = "", options=None) -> dict:
    return {"field": field_name, "message": message, "path": path,
            "options": [{"code": c, "description": d} for c, d in (options or [])]}


def nextgen_error(status: int, message: str, code: Optional[str] = None, fields: str = "") -> Response:
    """NextGen's observed error body: a JSON array of {code, message, fields}."""
    return json_response(status, [{"code": code or str(status), "message": message, "fields": fields}])


def paylocity_date(day) -> Optional[str]:
    """WebLink date-time string, e.g. ``2026-01-15T00:00:00``."""
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        return day.isoformat(timespec="seconds")
    return f"{day.isoformat()}T00:00:00"


def iso_z(day) -> Optional[str]:
    """NextGen date-time string, e.g. ``2026-01-15T00:00:00Z``."""
    if day is None:
        return None
    return f"{day.isoformat()}T00:00:00Z"


def prune(value):
    """Drop null keys (Paylocity omits them) and then empty objects, recursively."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = prune(v)
            if v is None or (isinstance(v, dict) and not v):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def parse_bool(text, default: bool) -> Optional[bool]:
    if text is None or text == "":
        return default
    lowered = str(text).strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return None


def parse_int(text, default: Optional[int], minimum: int = 0) -> Optional[int]:
    """Return the integer, ``default`` when absent, or None when invalid."""
    if text is None or text == "":
        return default
    try:
        value = int(str(text).strip())
    except ValueError:
        return None
    return value if value >= minimum else None
