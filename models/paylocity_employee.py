# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

STATUS_TYPES = [('A', 'Active'), ('L', 'Leave of absence'), ('T', 'Terminated')]


class PaylocityEmployee(models.Model):
    """Binding between one Paylocity employee (of one connection) and one hr.employee of that company.

    ``employee_id`` is ``ondelete='restrict'``: the binding is what pay-run lines and events trace back to, and an
    hr.employee deleted under it would be re-created by the next sync as a new person. Leavers are archived, never
    deleted; deleting the binding first (administrators) releases the employee deliberately.
    """
    _name = 'paylocity.employee'
    _description = 'Paylocity employee binding'
    _order = 'connection_id, paylocity_employee_id'
    _rec_name = 'paylocity_employee_id'
    _check_company_auto = True

    connection_id = fields.Many2one(
        'paylocity.connection', string='Connection', required=True, ondelete='cascade', index=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    paylocity_employee_id = fields.Char(string='Paylocity ID', required=True, index=True)
    employee_id = fields.Many2one(
        'hr.employee', string='Employee', required=True, ondelete='restrict', index=True, check_company=True,
        context={'active_test': False})
    active = fields.Boolean(related='employee_id.active', string='Employee active')
    status_code = fields.Char(readonly=True, help="Paylocity's employee status code (A, L, T, ...).")
    status_type = fields.Selection(STATUS_TYPES, string='Status', readonly=True, index=True)
    hire_date = fields.Date(readonly=True)
    rehire_date = fields.Date(readonly=True)
    termination_date = fields.Date(readonly=True)
    cost_center1 = fields.Char('Cost center 1', readonly=True)
    cost_center2 = fields.Char('Cost center 2', readonly=True)
    cost_center3 = fields.Char('Cost center 3', readonly=True)
    position_code = fields.Char(readonly=True)
    work_location_code = fields.Char(readonly=True)
    supervisor_id = fields.Char('Supervisor (Paylocity ID)', readonly=True)
    last_sync = fields.Datetime(readonly=True, help="When Paylocity's record was last read for this employee.")
    payload_hash = fields.Char(
        readonly=True, copy=False,
        help="Hash of the synced fields at the last sync: an unchanged hash means nothing to write.")
    # A transfer: the same person in another Paylocity company (another connection, another Odoo company).
    transfer_of_id = fields.Many2one(
        'paylocity.employee', string='Transferred from', readonly=True, ondelete='set null', index='btree_not_null',
        help="The binding of this person in the Paylocity company they came from.")
    transfer_ids = fields.One2many('paylocity.employee', 'transfer_of_id', string='Transferred to', readonly=True)

    _paylocity_employee_uniq = models.Constraint(
        'UNIQUE (connection_id, paylocity_employee_id)',
        "This Paylocity employee is already bound for this connection.")
    _employee_uniq = models.Constraint(
        'UNIQUE (connection_id, employee_id)',
        "This Odoo employee is already bound to another Paylocity employee of this connection.")

    @api.depends('paylocity_employee_id', 'employee_id')
    def _compute_display_name(self):
        for binding in self:
            binding.display_name = '%s (%s)' % (binding.employee_id.name or '', binding.paylocity_employee_id)
