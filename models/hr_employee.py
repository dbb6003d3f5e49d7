# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from ..const import STATUS_TYPES, USER_GROUP
from ..paylocity.directory import OWNABLE_FIELDS
from .access import check_caller

# Like every field only on hr.employee (not on its public profile), these are for HR officers; the bindings are
# read as superuser, so an HR officer sees the Paylocity id and status without rights on the binding model.
HR_USER = 'hr.group_hr_user,base.group_system'
HR_OFFICER = 'hr.group_hr_user'


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

    # === WHO WROTE WHAT: self-service never reaches Paylocity === #
    def write(self, vals):
        result = super().write(vals)
        written = [name for name in OWNABLE_FIELDS if name in vals]
        if written and self._paylocity_written_by_hr():
            self._paylocity_record_hr_values(written)
        return result

    def _paylocity_written_by_hr(self):
        """Whether this write is HR's (an HR officer, or the server itself: crons, scripts), not self-service.

        Odoo writes a user's own employee fields as superuser (``res.users`` self-service), but ``env.user`` is
        still that employee: the user decides, never ``env.su``.
        """
        user = self.env.user
        return user._is_superuser() or user.has_group(HR_OFFICER)

    def _paylocity_record_hr_values(self, names):
        """Record, on each binding, the values of ``names`` as written now: only these may be pushed to
        Paylocity (``sync_plan.values_to_push``)."""
        bindings = self.env['paylocity.employee'].sudo().with_context(active_test=False).search(
            [('employee_id', 'in', self.ids)])
        for binding in bindings:
            employee = binding.employee_id
            binding.write({'hr_values': dict(binding.hr_values or {}, **{name: employee[name] for name in names})})

    @api.model
    def _paylocity_self_editable_fields(self):
        """Employee fields a user can change about themself (Odoo's self-service, through ``res.users``)."""
        names = set(self.env['res.users'].SELF_WRITEABLE_FIELDS)
        if 'email' in names:
            names.add('work_email')   # hr copies a user's own e-mail into their employee's work e-mail
        return names & set(self._fields)

    def action_view_paylocity_events(self):
        self.ensure_one()
        check_caller(self, 'read', (USER_GROUP,))
        action = self.env['ir.actions.act_window']._for_xml_id('paylocity_connector.action_paylocity_event')
        action['domain'] = [('employee_id', '=', self.id)]
        action['context'] = {'create': False}
        return action
