# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Employee bindings: one Paylocity employee of a connection ↔ one hr.employee. The sync engine that applies
Paylocity's records to them is ``employee_sync.EmployeeSync``."""
from odoo import api, fields, models

from ..const import ADMIN_GROUP, STATUS_TYPES
from .employee_sync import EmployeeSync

# Binding field that records each aligned code type, to find the employees an alignment change concerns.
CODE_BINDING_FIELDS = {
    'costcenter1': 'cost_center1',
    'costcenter2': 'cost_center2',
    'costcenter3': 'cost_center3',
    'position': 'position_code',
    'work_location': 'work_location_code',
}


class PaylocityEmployee(models.Model):
    """Binding between one Paylocity employee (of one connection) and one hr.employee of that company.

    ``employee_id`` is ``ondelete='restrict'``: the binding is what pay-run lines and events trace back to, and an
    hr.employee deleted under it would be re-created by the next sync as a new person. Leavers are archived, never
    deleted; deleting the binding first (administrators) releases the employee deliberately.
    """
    _name = 'paylocity.employee'
    _inherit = ['paylocity.connection.owned.mixin']
    _description = 'Paylocity employee binding'
    _order = 'connection_id, paylocity_employee_code'
    _rec_name = 'paylocity_employee_code'

    paylocity_employee_code = fields.Char(string='Paylocity ID', required=True, index=True)
    employee_id = fields.Many2one(
        'hr.employee', string='Employee', required=True, ondelete='restrict', index=True, check_company=True,
        context={'active_test': False})
    # Not named ``active``: that would make every search of bindings skip those of archived employees.
    employee_active = fields.Boolean(related='employee_id.active', string='Employee active')
    status_code = fields.Char(readonly=True, help="Paylocity's employee status code (A, L, T, XT, ...).")
    status_type = fields.Selection(STATUS_TYPES, string='Status', readonly=True, index=True)
    status_reason = fields.Char(readonly=True, help="Paylocity's reason for the current status.")
    hire_date = fields.Date(readonly=True)
    rehire_date = fields.Date(readonly=True)
    termination_date = fields.Date(readonly=True)
    employee_type_code = fields.Char('Paylocity employee type', readonly=True)
    cost_center1 = fields.Char('Cost center 1', readonly=True)
    cost_center2 = fields.Char('Cost center 2', readonly=True)
    cost_center3 = fields.Char('Cost center 3', readonly=True)
    position_code = fields.Char(readonly=True)
    work_location_code = fields.Char(readonly=True)
    supervisor_code = fields.Char('Supervisor (Paylocity ID)', readonly=True)
    relationship_code = fields.Char(
        'Paylocity person', readonly=True, index='btree_not_null',
        help="NextGen's relationship id: the same person across the companies of a Paylocity company set.")
    last_sync = fields.Datetime(readonly=True, help="When Paylocity's record was last applied to this employee.")
    payload_hash = fields.Char(
        readonly=True, copy=False,
        help="Hash of the synced fields at the last sync: an unchanged hash means nothing to write.")
    paylocity_values = fields.Json(
        readonly=True, copy=False, groups=ADMIN_GROUP,
        help="The Odoo values Paylocity gave at the last sync: tells an Odoo edit from a Paylocity change, and "
             "which Odoo-owned values still have to be sent to Paylocity.")
    hr_values = fields.Json(
        'Values written by HR', readonly=True, copy=False, groups=ADMIN_GROUP,
        help="The Odoo-owned values an HR officer last wrote on the employee: only these are sent to Paylocity, "
             "never what employees changed about themselves.")
    sync_warning = fields.Char(readonly=True, help="What the last sync could not apply (e.g. an unknown code).")
    # A transfer: the same person in another Paylocity company (another connection, another Odoo company).
    transfer_of_id = fields.Many2one(
        'paylocity.employee', string='Transferred from', readonly=True, ondelete='set null', index='btree_not_null',
        help="The binding of this person in the Paylocity company they came from.")
    transfer_ids = fields.One2many('paylocity.employee', 'transfer_of_id', string='Transfers out', readonly=True)
    # The binding in the other company, readable by name only (record rules keep its company's data apart).
    transferred_to_id = fields.Many2one('paylocity.employee', string='Transferred to',
                                        compute='_compute_transferred_to_id', compute_sudo=True)
    event_ids = fields.One2many('paylocity.event', compute='_compute_event_ids', string='Events')

    _paylocity_employee_uniq = models.Constraint(
        'UNIQUE (connection_id, paylocity_employee_code)',
        "This Paylocity employee is already bound for this connection.")
    _employee_uniq = models.Constraint(
        'UNIQUE (connection_id, employee_id)',
        "This Odoo employee is already bound to another Paylocity employee of this connection.")

    @api.depends('paylocity_employee_code', 'employee_id')
    def _compute_display_name(self):
        for binding in self:
            binding.display_name = '%s (%s)' % (binding.employee_id.name or '', binding.paylocity_employee_code)

    @api.depends('transfer_ids')
    def _compute_transferred_to_id(self):
        for binding in self:
            binding.transferred_to_id = binding.transfer_ids[-1:]

    def _compute_event_ids(self):
        Event = self.env['paylocity.event']
        for binding in self:
            binding.event_ids = Event.search([
                ('connection_id', '=', binding.connection_id.id),
                ('paylocity_employee_code', '=', binding.paylocity_employee_code)]) if binding.id else Event

    # === SYNC ENGINE === #
    @api.model
    def _sync_entries(self, connection, entries, origin='poll', isolate=True):
        """Apply ``directory.Entry`` items of ``connection`` to Odoo (``EmployeeSync.sync``): returns
        ``{paylocity id: Outcome}``; with ``isolate`` a failing entry becomes a failed Outcome instead of raising."""
        engine = EmployeeSync(self.sudo().with_context(active_test=False, mail_create_nosubscribe=True),
                              connection.sudo(), origin)
        return engine.sync(entries, isolate)

    def _edited_in_odoo(self):
        """Whether the employee (or its current version) was written after this binding's last sync."""
        self.ensure_one()
        if not self.last_sync:
            return True
        # write_date keeps microseconds, last_sync does not: compare whole seconds (both come from the
        # transaction clock, so the sync's own writes carry its second and do not count as edits).
        employee = self.employee_id
        stamps = (employee.write_date, employee.current_version_id.write_date)
        return any(stamp and stamp.replace(microsecond=0) > self.last_sync for stamp in stamps)

    @api.model
    def _invalidate_codes(self, connection, code_type, codes):
        """Forget the hashes of the bindings using ``codes``: their next sync compares every field again."""
        field_name = CODE_BINDING_FIELDS.get(code_type)
        if not field_name or not codes:
            return 0
        bindings = self.sudo().search([('connection_id', '=', connection.id), (field_name, 'in', list(codes)),
                                       ('payload_hash', '!=', False)])
        bindings.write({'payload_hash': False})
        return len(bindings)
