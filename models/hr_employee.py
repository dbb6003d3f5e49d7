# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from ..const import STATUS_TYPES

# Like every field only on hr.employee (not on its public profile), these are for HR officers; the bindings are
# read as superuser, so an HR officer sees the Paylocity id and status without rights on the binding model.
HR_USER = 'hr.group_hr_user,base.group_system'


class HrEmployee(models.Model):
    _inherit = 'hr.employee'

    paylocity_binding_ids = fields.One2many(
        'paylocity.employee', 'employee_id', string='Paylocity bindings', groups=HR_USER, readonly=True)
    paylocity_employee_code = fields.Char(
        'Paylocity ID', compute='_compute_paylocity', compute_sudo=True, groups=HR_USER,
        search='_search_paylocity_employee_code')
    paylocity_status = fields.Selection(
        STATUS_TYPES, 'Paylocity status', compute='_compute_paylocity', compute_sudo=True, groups=HR_USER)
    paylocity_last_sync = fields.Datetime(
        'Last Paylocity sync', compute='_compute_paylocity', compute_sudo=True, groups=HR_USER)
    paylocity_event_count = fields.Integer(
        'Paylocity events', compute='_compute_paylocity', compute_sudo=True, groups=HR_USER)

    @api.depends('paylocity_binding_ids.paylocity_employee_code', 'paylocity_binding_ids.status_type',
                 'paylocity_binding_ids.last_sync')
    def _compute_paylocity(self):
        Event = self.env['paylocity.event']
        counts = dict(Event._read_group([('employee_id', 'in', self.ids)], ['employee_id'], ['__count'])) \
            if self.ids else {}
        for employee in self:
            binding = employee.paylocity_binding_ids[:1]
            employee.paylocity_employee_code = binding.paylocity_employee_code
            employee.paylocity_status = binding.status_type
            employee.paylocity_last_sync = binding.last_sync
            employee.paylocity_event_count = counts.get(employee._origin, 0)

    def _search_paylocity_employee_code(self, operator, value):
        return [('paylocity_binding_ids.paylocity_employee_code', operator, value)]

    def action_view_paylocity_events(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('paylocity_connector.action_paylocity_event')
        action['domain'] = [('employee_id', '=', self.id)]
        action['context'] = {'create': False}
        return action
