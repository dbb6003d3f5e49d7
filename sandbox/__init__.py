"""A Paylocity-compatible HTTP server (WebLink + NextGen subset) for tests, demos and benchmarks.

Independent of the ``paylocity`` package on purpose: it is a second reading of Paylocity's documents.
"""
from .server import Call, PatchRecord, SandboxServer

__all__ = ["SandboxServer", "Call", "PatchRecord"]
