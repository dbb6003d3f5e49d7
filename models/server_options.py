# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the server's operator allows, in the ``[paylocity_connector]`` section of the Odoo configuration file
(the file ``odoo.tools.config`` was started with)::

    [paylocity_connector]
    allow_host_overrides = True

Only the operator of the server can set these, never a database user. They have their own section because
Odoo 19 logs a warning at every start for each key of ``[options]`` it does not know.
"""
import configparser
import functools
import os

from odoo.tools import config

SECTION = 'paylocity_connector'


def host_overrides_allowed():
    """Whether connections may use hosts other than Paylocity's (a sandbox, a proxy) and http webhook URLs."""
    return _flag('allow_host_overrides')


def _flag(name):
    path = config.get('config') or ''
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return False
    return _read_flags(path, stamp).get(name, False)


@functools.lru_cache(maxsize=4)
def _read_flags(path, stamp):
    """The section's booleans (read again when the file changes); anything unreadable counts as not allowed."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
        if not parser.has_section(SECTION):
            return {}
        flags = {}
        for name in parser.options(SECTION):
            try:
                flags[name] = parser.getboolean(SECTION, name)
            except ValueError:
                flags[name] = False
        return flags
    except (OSError, configparser.Error):
        return {}
