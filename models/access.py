# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The check every public action makes before it works as superuser: the caller's group and their access to the
very records (model rights and record rules, hence their companies)."""
from odoo.exceptions import AccessError


def check_caller(records, mode='read', groups=(), message=None):
    """Raise ``AccessError`` unless the caller belongs to one of ``groups`` (any, when empty) and may ``mode``
    ``records``. Code already running as superuser (crons, the connector's own paths) passes."""
    env = records.env
    if env.su:
        return
    if groups and not any(env.user.has_group(group) for group in groups):
        raise AccessError(message or env._("You are not allowed to do this."))
    records.check_access(mode)
