# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Paylocity reference data (company codes) and their alignment with Odoo records.

Alignment: the connection's department cost-center level → hr.department, positions → hr.job, work locations →
hr.work.location, and (with an analytic plan) the chosen cost-center level → account.analytic.account. Existing
records are matched by code or name before anything is created; a renamed code renames its record.
"""
import logging
from datetime import date

from odoo import api, fields, models

from ..const import NEXTGEN, WEBLINK
from ..paylocity import directory
from ..paylocity.errors import PaylocityError
from ..paylocity.fanout import FATAL_ERRORS

_logger = logging.getLogger(__name__)

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
# WebLink code resources (``GET /v2/companies/{id}/codes/{resource}``) per code type.
WEBLINK_RESOURCES = {
    'costcenter1': 'costcenter1', 'costcenter2': 'costcenter2', 'costcenter3': 'costcenter3',
    'position': 'positions', 'paygrade': 'paygrade',
    'earning': 'earnings', 'deduction': 'deductions', 'tax': 'taxes',
}
ALIGNED_FIELDS = ('department_id', 'job_id', 'work_location_id', 'analytic_account_id')
CODE_MAX = 40   # longer than any code Paylocity gives; a runaway value is cut, not refused


class PaylocityCode(models.Model):
    """One Paylocity company code (cost center, position, earning, ...) and the Odoo record it is aligned with."""
    _name = 'paylocity.code'
    _inherit = ['paylocity.connection.owned.mixin']
    _description = 'Paylocity code'
    _order = 'connection_id, code_type, code'

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

    def write(self, vals):
        aligned = [name for name in ALIGNED_FIELDS if name in vals]
        res = super().write(vals)
        if aligned:
            # Aligned by hand: the employees with this code are compared again at their next sync.
            for code in self:
                self.env['paylocity.employee']._invalidate_codes(code.connection_id, code.code_type, [code.code])
        return res

    # === CREATION (the only place codes are made) === #
    @api.model
    def _create_codes(self, connection, rows):
        """Create the codes ``rows`` (dicts with ``code_type``, ``code`` and optionally ``name``, ``active``,
        ``last_seen``) for ``connection``, as superuser; returns them. The import, a sync meeting a code Paylocity
        did not list, and payroll meeting an unknown earning, deduction or tax all create codes here."""
        if not rows:
            return self.sudo().browse()
        return self.sudo().create([{
            'connection_id': connection.id,
            'code_type': row['code_type'],
            'code': row['code'][:CODE_MAX],
            'name': row.get('name') or False,
            'active': row.get('active', True),
            'last_seen': row.get('last_seen') or False,
        } for row in rows])

    @api.model
    def _find_or_create(self, connection, code_type, code_text):
        """The connection's code of ``code_type`` spelled ``code_text`` (exactly, else in any case), created
        (named after itself) when Paylocity used one the reference-data import has not brought in."""
        Code = self.sudo().with_context(active_test=False)
        domain = [('connection_id', '=', connection.id), ('code_type', '=', code_type)]
        code = Code.search(domain + [('code', '=', code_text)], limit=1) or \
            Code.search(domain + [('code', '=ilike', directory.like_literal(code_text))], limit=1)
        return code or self._create_codes(connection, [{'code_type': code_type, 'code': code_text,
                                                        'name': code_text}])

    # === IMPORT === #
    @api.model
    def _import_for(self, connection, client):
        """Fetch every code type the connection's credentials can read, store and align them.

        Returns ``(counts, errors)``: ``counts[code_type] = {'created', 'renamed', 'deactivated'}`` for the types
        fetched; ``errors[code_type]`` is the reason a type could not be fetched (its codes are left as they are).
        A fatal error (credentials, permission) is raised.
        """
        connection = connection.sudo()
        fetched, errors = self._fetch_all(connection, client)
        now = fields.Datetime.now()
        counts = {code_type: self._store(connection, code_type, rows, now) for code_type, rows in fetched.items()}
        # Idempotent: codes aligned already are skipped, so options changed since the last import take effect.
        self.sudo().search([('connection_id', '=', connection.id)])._align()
        return counts, errors

    @api.model
    def _fetch_all(self, connection, client):
        """``({code_type: [(code, name, active)]}, {code_type: error text})``: NextGen for the org codes when that
        pair is configured (falling back to WebLink), WebLink for the rest."""
        fetched, errors = {}, {}
        has_nextgen = connection._has_credentials(NEXTGEN)
        has_weblink = connection._has_credentials(WEBLINK)
        if has_nextgen:
            for code_type, rows in self._fetch_nextgen(client, errors).items():
                fetched[code_type] = rows
        if has_weblink:
            for code_type, resource in WEBLINK_RESOURCES.items():
                if code_type in fetched:
                    continue
                try:
                    fetched[code_type] = [(c.code, c.description, True) for c in client.get_company_codes(resource)]
                    errors.pop(code_type, None)
                except FATAL_ERRORS:
                    raise
                except PaylocityError as exc:
                    errors[code_type] = str(exc)
        return fetched, errors

    @api.model
    def _fetch_nextgen(self, client, errors):
        fetched = {}
        calls = (
            (('costcenter1', 'costcenter2', 'costcenter3'), client.get_cost_centers_and_levels),
            (('work_location',), client.get_work_locations),
            (('position',), client.get_positions),
            (('paygrade',), client.get_pay_grades),
        )
        today = date.today()
        for code_types, call in calls:
            try:
                result = call()
            except FATAL_ERRORS:
                raise
            except PaylocityError as exc:
                for code_type in code_types:
                    errors[code_type] = str(exc)
                continue
            if code_types[0] == 'costcenter1':
                for level in result:
                    if 1 <= level.level <= 3:
                        fetched['costcenter%d' % level.level] = [
                            (c.code, c.name, c.is_active is not False) for c in level.cost_centers]
            elif code_types[0] == 'work_location':
                fetched['work_location'] = [(w.code or w.name, w.name, w.is_active is not False) for w in result]
            elif code_types[0] == 'position':
                fetched['position'] = [(p.code, p.title, not p.closed_date or p.closed_date > today)
                                       for p in result]
            else:
                fetched['paygrade'] = [(g.code, g.description, True) for g in result]
        return fetched

    @api.model
    def _store(self, connection, code_type, rows, now):
        """Create, rename, (re)activate and deactivate the codes of one type; returns the counts."""
        Code = self.sudo().with_context(active_test=False)
        existing = Code.search([('connection_id', '=', connection.id), ('code_type', '=', code_type)])
        by_code = {code.code: code for code in existing}
        changes = directory.code_changes({c.code: (c.name, c.active) for c in existing}, rows)
        self._create_codes(connection, [{'code_type': code_type, 'code': code, 'name': name, 'active': active,
                                         'last_seen': now} for code, name, active in changes.created])
        for code, _old, new in changes.renamed:
            by_code[code].write({'name': new})
            by_code[code]._rename_aligned(new)
        for codes, vals in ((changes.reactivated, {'active': True}), (changes.deactivated, {'active': False}),
                            ([code for code, _name, active in rows if code in by_code and active],
                             {'last_seen': now})):
            if codes:
                Code.browse([by_code[code].id for code in codes]).write(vals)
        return {'created': len(changes.created), 'renamed': len(changes.renamed),
                'deactivated': len(changes.deactivated)}

    def _rename_aligned(self, name):
        """A code renamed in Paylocity renames the record it is aligned with."""
        if not name:
            return
        for field_name in ('department_id', 'job_id', 'work_location_id', 'analytic_account_id'):
            record = self[field_name].sudo()
            if record and record.name != name:
                record.write({'name': name})

    # === ALIGNMENT === #
    def _align(self):
        """Give each code its Odoo record where the connection asks for one: match by code or name, else
        create. Codes whose alignment changed have their employees compared again at the next sync."""
        for code in self.sudo():
            if not code.active:
                continue
            connection = code.connection_id
            vals = {}
            level = code.code_type[-1] if code.code_type.startswith('costcenter') else None
            if level and level == connection.department_level and not code.department_id and code.name:
                vals['department_id'] = code._find_or_create_department().id
            if level and level == connection.analytic_level and connection.analytic_plan_id \
                    and not code.analytic_account_id:
                vals['analytic_account_id'] = code._find_or_create_analytic_account().id
            if code.code_type == 'position' and not code.job_id and code.name:
                vals['job_id'] = code._find_or_create_job().id
            if code.code_type == 'work_location' and not code.work_location_id and (code.name or code.code):
                vals['work_location_id'] = code._find_or_create_work_location().id
            if vals:
                code.write(vals)   # write() invalidates the employees' hashes

    def _names(self):
        return [name for name in (self.name, self.code, '%s - %s' % (self.code, self.name) if self.name else None)
                if name]

    def _search_by_names(self, model, domain, name_field='name'):
        Model = self.env[model].sudo().with_context(active_test=False)
        for name in self._names():
            found = Model.search(domain + [(name_field, '=ilike', directory.like_literal(name))], limit=1)
            if found:
                return found
        return Model

    def _find_or_create_department(self):
        domain = [('company_id', '=', self.company_id.id)]
        return self._search_by_names('hr.department', domain) or self.env['hr.department'].sudo().create({
            'name': self.name or self.code, 'company_id': self.company_id.id})

    def _find_or_create_job(self):
        domain = [('company_id', 'in', [self.company_id.id, False])]
        return self._search_by_names('hr.job', domain) or self.env['hr.job'].sudo().create({
            'name': self.name or self.code, 'company_id': self.company_id.id})

    def _find_or_create_work_location(self):
        Location = self.env['hr.work.location'].sudo().with_context(active_test=False)
        domain = [('company_id', '=', self.company_id.id)]
        found = Location.search(domain + [('location_number', '=', self.code)], limit=1) or \
            self._search_by_names('hr.work.location', domain)
        return found or Location.create({
            'name': self.name or self.code,
            'location_number': self.code,
            'company_id': self.company_id.id,
            'address_id': self.company_id.partner_id.id,
            'location_type': 'office',
        })

    def _find_or_create_analytic_account(self):
        plan = self.connection_id.analytic_plan_id
        Account = self.env['account.analytic.account'].sudo().with_context(active_test=False)
        domain = [('plan_id', '=', plan.id), ('company_id', 'in', [self.company_id.id, False])]
        found = Account.search(domain + [('code', '=', self.code)], limit=1) or \
            self._search_by_names('account.analytic.account', domain)
        return found or Account.create({
            'name': self.name or self.code, 'code': self.code, 'plan_id': plan.id,
            'company_id': self.company_id.id})
