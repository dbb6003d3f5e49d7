# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Names the Odoo side of the addon shares across its files (models, wizards, controllers, tests).

Rules that need no ORM live in ``paylocity/``; this holds only Odoo vocabulary used in more than one file: group
xml ids, the two API families as the connection stores them, selections built on the core's letters.
"""
from .paylocity.directory import ACTIVE, LEAVE, TERMINATED

# === GROUPS === #
ADMIN_GROUP = 'paylocity_connector.group_paylocity_admin'
USER_GROUP = 'paylocity_connector.group_paylocity_user'
SYSTEM_GROUP = 'base.group_system'
ACCOUNTANT_GROUP = 'account.group_account_manager'
PAYROLL_GROUP = 'paylocity_connector.group_paylocity_payroll'
# Who reads pay data (amounts, rates, hours, who was paid what): the payroll group and the accountants, never a
# plain Paylocity user or administrator. A field ``groups=`` value (any of them).
PAY_DATA_GROUPS = ','.join((PAYROLL_GROUP, 'account.group_account_readonly', ACCOUNTANT_GROUP))

# === API FAMILIES (each has its own credential pair on the connection) === #
WEBLINK = 'weblink'
NEXTGEN = 'nextgen'
FAMILY_LABELS = {WEBLINK: 'WebLink', NEXTGEN: 'NextGen'}

# === SELECTIONS === #
# Paylocity's employee status type (``paylocity.employee.status_type``, shown on ``hr.employee``).
STATUS_TYPES = [(ACTIVE, 'Active'), (LEAVE, 'Leave of absence'), (TERMINATED, 'Terminated')]
