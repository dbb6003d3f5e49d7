"""Fault injection: the next N matching calls answer a status, hang, send a broken body, drop the line (cleanly, with a
reset, or halfway through the body), or find every token expired."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

KINDS = ("status", "timeout", "broken_body", "disconnect", "reset", "truncated", "expire_tokens")
TOKEN_PATHS = ("/IdentityServer/connect/token", "/public/security/v1/token")


@dataclass
class Fault:
    kind: str
    count: int = 1
    path: Optional[str] = None         # substring of the request path; None = any API call
    status: Optional[int] = None       # for kind "status"
    retry_after: Optional[float] = None
    delay: Optional[float] = None      # for kind "timeout": seconds to hold the response

    def matches(self, path: str) -> bool:
        if self.path is None:
            return not any(path.startswith(p) for p in TOKEN_PATHS)
        return self.path in path

    def as_dict(self) -> dict:
        return dict(kind=self.kind, count=self.count, path=self.path, status=self.status,
                    retry_after=self.retry_after, delay=self.delay)


class FaultBook:
    """Thread-safe queue of pending faults; the oldest matching fault is consumed first."""

    def __init__(self):
        self._faults: list = []
        self._lock = threading.Lock()

    def add(self, kind: str, count: int = 1, path: Optional[str] = None, status: Optional[int] = None,
            retry_after: Optional[float] = None, delay: Optional[float] = None) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind == "status" and not (status and 400 <= int(status) <= 599):
            raise ValueError("a 'status' fault needs a 4xx or 5xx status")
        if int(count) < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(kind, int(count), path, int(status) if status else None, retry_after,
                      float(delay) if delay is not None else (5.0 if kind == "timeout" else None))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str) -> Optional[Fault]:
        """Consume one use of the first fault matching ``path``."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list:
        with self._lock:
            return [f.as_dict() for f in self._faults]
