"""pytest plugin for the plain suite (pytest.ini loads it with ``-p pytest_plain``).

The repository root is the Odoo addon, a package whose ``__init__.py`` imports odoo. pytest >= 8 collects
every directory holding an ``__init__.py`` as a Package and imports that file under a name that walks up
to the root, so the root ``__init__.py`` would run. Collecting directories as plain directories keeps the
plain suite away from it; test modules are then imported by importlib mode on their own.
"""
import pytest


def pytest_collect_directory(path, parent):
    return pytest.Dir.from_parent(parent, path=path)
