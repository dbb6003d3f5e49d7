"""The hypothesis settings profiles of both suites: the plain one loads them in conftest.py, the Odoo one in
tests/__init__.py.

- ``dev`` (the default: pytest run by hand): random exploration, new examples on every run.
- ``ci`` (``tools/test`` sets ``PAYLOCITY_HYPOTHESIS_PROFILE=ci``): derandomized, so every run draws the same
  examples and a failure seen in CI fails again on any machine; the failing example is also printed as a
  ``@reproduce_failure`` blob.

Both: no example database in the work tree, no per-example deadline (the machine is shared; speed is measured in
bench/). Each test's own ``max_examples`` is kept.
"""
import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "PAYLOCITY_HYPOTHESIS_PROFILE"

settings.register_profile("dev", database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True)


def load_profile():
    """Load the profile ``PAYLOCITY_HYPOTHESIS_PROFILE`` names (``dev`` when unset); an unknown name is refused."""
    settings.load_profile(os.environ.get(PROFILE_VARIABLE) or "dev")
