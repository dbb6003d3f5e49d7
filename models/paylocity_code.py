# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models

CODE_TYPES = [
    ('costcenter1', 'Cost center (level 1)'),
    ('costcenter2', 'Cost center (level 2)'),
    ('costcenter3', 'Cost center (level 3)'),
    ('position', 'Position'),
    ('paygrade', 'Pay grade'),
    ('work_location', 'Work location'),
    ('earning', 'Earning'),
    ('deduction', 'Deduction'),
    ('tax', 'Tax'),
]


class PaylocityCode(models.Model):
    """One Paylocity company code (cost center, position, earning, ...) and the Odoo record it is aligned with."""
    _name = 'paylocity.code'
    _description = 'Paylocity code'
    _order = 'connection_id, code_type, code'
    _check_company_auto = True

    connection_id = fields.Many2one(
        'paylocity.connection', string='Connection', required=True, ondelete='cascade', index=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    code_type = fields.Selection(CODE_TYPES, string='Type', required=True, index=True)
    code = fields.Char(required=True, help="The code exactly as Paylocity spells it.")
    name = fields.Char(help="Paylocity's description of the code; a rename in Paylocity updates it.")
    active = fields.Boolean(default=True, help="Cleared when Paylocity no longer lists or uses the code.")
    department_id = fields.Many2one('hr.department', string='Department', check_company=True, ondelete='set null')
    job_id = fields.Many2one('hr.job', string='Job Position', check_company=True, ondelete='set null')
    work_location_id = fields.Many2one(
        'hr.work.location', string='Work Location', check_company=True, ondelete='set null')
    analytic_account_id = fields.Many2one(
        'account.analytic.account', string='Analytic Account', check_company=True, ondelete='set null')
    last_seen = fields.Datetime(readonly=True, help="When an import last found this code in Paylocity.")

    _code_uniq = models.Constraint(
        'UNIQUE (connection_id, code_type, code)', "A Paylocity code exists only once per connection and type.")

    def _compute_display_name(self):
        for code in self:
            code.display_name = '%s - %s' % (code.code, code.name) if code.name else code.code
