# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Reference data in real Odoo against the sandbox: every code type imported, aligned with departments, jobs,
work locations and analytic accounts; matched before created; renames and removals followed; fallbacks."""
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..sandbox.data import CostCenter
from .common import EmployeeSyncCase

TRANSPORT = 'odoo.addons.paylocity_connector.paylocity.transport'


@tagged('post_install', '-at_install')
class TestReferenceData(EmployeeSyncCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls.env['account.analytic.plan'].create({'name': 'Paylocity cost centers'})
        cls.connection.write({'analytic_plan_id': cls.plan.id, 'analytic_level': '3'})

    def codes(self, code_type):
        return self.env['paylocity.code'].with_context(active_test=False).search([
            ('connection_id', '=', self.connection.id), ('code_type', '=', code_type)])

    def test_every_code_type_is_imported_and_aligned(self):
        summary = self.connection._import_reference_data()
        self.assertIn('9 code types read', summary)
        data = self.company_data()
        for code_type, resource in (('costcenter1', 'costcenter1'), ('costcenter2', 'costcenter2'),
                                    ('costcenter3', 'costcenter3'), ('position', 'positions'),
                                    ('paygrade', 'paygrade'), ('earning', 'earnings'),
                                    ('deduction', 'deductions'), ('tax', 'taxes')):
            self.assertEqual(sorted((c.code, c.name) for c in self.codes(code_type)),
                             sorted(data.codes(resource)), code_type)
        self.assertEqual(sorted(self.codes('work_location').mapped('code')),
                         sorted(location.code for location in data.work_locations))
        # Inactive in Paylocity: the closed position and the discontinued division.
        self.assertFalse(self.code('position', 'LEGACY1').active)
        self.assertFalse(self.code('costcenter1', '9').active)

        for code in self.codes('costcenter2'):
            self.assertEqual(code.department_id.name, code.name)
            self.assertEqual(code.department_id.company_id, self.company)
        self.assertFalse(self.codes('costcenter1').department_id)        # only the chosen level
        for code in self.codes('position').filtered('active'):
            self.assertEqual(code.job_id.name, code.name)
        for code in self.codes('work_location'):
            self.assertRecordValues(code.work_location_id, [{
                'name': code.name, 'location_number': code.code, 'company_id': self.company.id,
                'address_id': self.company.partner_id.id}])
        for code in self.codes('costcenter3'):
            self.assertRecordValues(code.analytic_account_id, [{
                'name': code.name, 'code': code.code, 'plan_id': self.plan.id, 'company_id': self.company.id}])
        self.assertFalse(self.codes('costcenter2').analytic_account_id)
        self.assertFalse(self.codes('earning').filtered(lambda c: c.department_id or c.job_id))

    def test_a_second_import_creates_nothing(self):
        self.connection._import_reference_data()
        watched = ('hr.department', 'hr.job', 'hr.work.location', 'account.analytic.account', 'paylocity.code')
        with self.spy_writes(watched) as writes:
            summary = self.connection._import_reference_data()
        self.assertIn('0 new, 0 renamed, 0 no longer listed', summary)
        self.assertEqual([call for call in writes if call[1] == 'create' or call[0] != 'paylocity.code'], [])
        self.assertEqual({tuple(vals) for _model, _op, _ids, vals in writes}, {('last_seen',)})

    def test_existing_odoo_records_are_matched_not_duplicated(self):
        Department = self.env['hr.department']
        engineering = Department.create({'name': 'engineering', 'company_id': self.company.id})
        # Odoo's demo data has a "Sales" department: rename it, so that only the code can match cost center 20.
        Department.search([('name', '=ilike', 'sales'), ('company_id', '=', self.company.id)]).write(
            {'name': 'Sales (Odoo demo)'})
        sales = Department.create({'name': '20', 'company_id': self.company.id})   # named by its code
        job = self.env['hr.job'].create({'name': 'Sales Manager', 'company_id': self.company.id})
        location = self.env['hr.work.location'].create({
            'name': 'Main office', 'location_number': 'HQ', 'company_id': self.company.id,
            'address_id': self.company.partner_id.id})
        account = self.env['account.analytic.account'].create({
            'name': 'Midwest region', 'code': 'MW', 'plan_id': self.plan.id, 'company_id': self.company.id})
        self.connection._import_reference_data()
        self.assertEqual(self.code('costcenter2', '10').department_id, engineering)
        self.assertEqual(self.code('costcenter2', '20').department_id, sales)
        self.assertEqual(self.code('position', 'SLSMGR').job_id, job)
        self.assertEqual(self.code('work_location', 'HQ').work_location_id, location)
        self.assertEqual(self.code('costcenter3', 'MW').analytic_account_id, account)
        self.assertEqual(Department.search_count([('name', '=ilike', 'engineering'),
                                                  ('company_id', '=', self.company.id)]), 1)

    def test_renamed_codes_rename_their_records_and_removed_codes_are_deactivated(self):
        self.connection._import_reference_data()
        data = self.company_data()
        with self.sandbox.lock:
            engineering = data.cost_center(2, '10')
            old_name, engineering.name = engineering.name, 'Software Engineering'
            regions = data.cost_centers[3]
            removed = regions.pop()
            position = data.position('ENG1')
            old_title, position.title = position.title, 'Software Engineer I'
        try:
            self.connection._import_reference_data()
        finally:
            with self.sandbox.lock:
                engineering.name, position.title = old_name, old_title
                regions.append(removed)
        code = self.code('costcenter2', '10')
        self.assertEqual(code.name, 'Software Engineering')
        self.assertEqual(code.department_id.name, 'Software Engineering')
        self.assertEqual(self.code('position', 'ENG1').job_id.name, 'Software Engineer I')
        gone = self.code('costcenter3', removed.code)
        self.assertFalse(gone.active)
        self.assertTrue(gone.analytic_account_id.active)    # Odoo records are kept: history may use them

    def test_weblink_only_takes_codes_from_weblink_and_locations_from_employees(self):
        self.connection._set_credentials('nextgen', False, False)
        summary = self.connection._import_reference_data()
        self.assertIn('8 code types read', summary)
        self.assertEqual(self.sandbox.count(path='/apiHub/'), 0)
        self.assertFalse(self.codes('work_location'))
        self.sync()
        locations = self.codes('work_location')
        used = {self.company_data().location(e.work_location).name for e in self.company_data().employees.values()}
        self.assertEqual(set(locations.mapped('name')), used)
        for code in locations:
            self.assertEqual(code.work_location_id.name, code.name)
            self.assertEqual(code.work_location_id.address_id, self.company.partner_id)

    def test_a_failing_nextgen_list_falls_back_to_weblink_and_errors_are_named(self):
        self.sandbox.inject('status', count=40, status=500, path='/positionmanagement/')
        self.sandbox.inject('status', count=10, status=500, path='/codes/earnings')
        with mute_logger(TRANSPORT):
            summary = self.connection._import_reference_data()
        self.assertIn('Not read: earning', summary)
        self.assertNotIn('position', summary.split('Not read:')[1])
        self.assertEqual(sorted(self.codes('position').mapped('code')),
                         sorted(code for code, _name in self.company_data().codes('positions')))
        self.assertTrue(self.codes('paygrade'))
        self.assertFalse(self.codes('earning'))
        self.assertEqual(self.connection.reference_import_message, summary)

    def test_an_unknown_code_met_by_a_sync_refreshes_the_reference_data(self):
        self.connection._import_reference_data()
        self.sync()
        data = self.company_data()
        with self.sandbox.lock:
            data.cost_centers[2].append(CostCenter(2, '70', 'Research'))
        self.addCleanup(lambda: data.cost_centers[2].pop())
        eid = self.hire()
        self.sandbox.change('C1001', eid, cost_center2='70')
        self.connection.sudo().write({'reference_import_date': '2000-01-01 00:00:00'})
        self.deliver('new_hire', eid)
        self.process_events()
        self.assertEqual(self.employee(eid).department_id.name, 'Research')
        self.assertFalse(self.binding(eid).sync_warning)

    def test_import_button_is_for_administrators(self):
        action = self.connection.with_user(self.admin_user).action_import_reference_data()
        self.assertEqual(action['params']['type'], 'success')
        self.assertTrue(self.codes('tax'))
        with self.assertRaises(AccessError):
            self.connection.with_user(self.user).action_import_reference_data()
