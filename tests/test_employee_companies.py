# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Multi-company: two Paylocity companies on two Odoo companies stay apart, and a transfer between them makes two
linked bindings without carrying anything across."""
from odoo.tests import tagged

from .common import EmployeeSyncCase


@tagged('post_install', '-at_install')
class TestEmployeeCompanies(EmployeeSyncCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection_b = cls.make_connection(
            'C2002', company_id=cls.other_company.id, department_level='2').with_env(cls.env)

    def sync_both(self):
        self.sync()
        self.sync(self.connection_b)

    def test_two_companies_stay_isolated(self):
        self.sync_both()
        # Paylocity reuses employee IDs across companies: 1001 is a different person in each.
        a, b = self.employee('1001'), self.employee('1001', self.connection_b)
        self.assertNotEqual(a, b)
        self.assertEqual(a.company_id, self.company)
        self.assertEqual(b.company_id, self.other_company)
        for eid in ('1002', '1003'):
            employee_b = self.employee(eid, self.connection_b)
            self.assertEqual(employee_b.company_id, self.other_company)
            self.assertEqual(employee_b.department_id.company_id, self.other_company)
            self.assertEqual(employee_b.parent_id, b)
            self.assertEqual(employee_b.work_location_id.company_id, self.other_company)
        self.assertNotEqual(self.code('costcenter2', '10').department_id,
                            self.code('costcenter2', '10', self.connection_b).department_id)
        self.assertFalse(self.binding('1001').transfer_of_id or self.binding('1001', self.connection_b).transfer_of_id)

        # A webhook for company B touches company B only.
        hired = self.hire('C2002')
        with self.spy_writes(('hr.employee',)) as writes:
            self.deliver('new_hire', hired, self.connection_b)
            self.process_events()
        self.assertEqual(self.employee(hired, self.connection_b).company_id, self.other_company)
        self.assertFalse(self.binding(hired))
        [created] = [vals for _model, op, _ids, vals in writes if op == 'create']
        self.assertEqual([vals['company_id'] for vals in created], [self.other_company.id])

        # A Paylocity user of company A sees only company A's bindings and codes.
        Binding = self.env['paylocity.employee'].with_user(self.user)
        self.assertEqual(set(Binding.search([]).mapped('company_id')), {self.company})
        self.assertEqual(set(self.env['paylocity.code'].with_user(self.user).search([]).mapped('company_id')),
                         {self.company})

    def test_transfer_makes_two_linked_bindings(self):
        self.sync_both()
        moving = self.hire(job_title='Travelling Analyst')
        self.sync()
        source = self.binding(moving)
        old_employee = source.employee_id
        new_id = self.sandbox.transfer('C1001', moving, 'C2002', date=self.days_ago(0))
        self.sync_both()

        target = self.binding(new_id, self.connection_b)
        new_employee = target.employee_id
        self.assertEqual(target.transfer_of_id, source)
        self.assertEqual(source.transfer_ids, target)
        # A Paylocity user of company A sees where the person went, by name only.
        [seen] = source.with_user(self.user).read(['transferred_to_id'])
        self.assertEqual(seen['transferred_to_id'][0], target.id)
        self.assertFalse(self.env['paylocity.employee'].with_user(self.user).search([('id', '=', target.id)]))
        self.assertTrue(source.relationship_code)
        self.assertEqual(source.relationship_code, target.relationship_code)
        # Left company A the Odoo way; arrived in company B with company B's records only.
        self.assertFalse(old_employee.active)
        self.assertEqual(old_employee.departure_reason_id.name, 'Transferred')
        self.assertEqual(source.status_code, 'T')   # NextGen reports the status type
        self.assertTrue(new_employee.active)
        self.assertEqual(new_employee.company_id, self.other_company)
        self.assertEqual(new_employee.department_id.company_id, self.other_company)
        self.assertIn(new_employee.parent_id.company_id, (self.other_company, self.env['res.company']))
        self.assertNotEqual(new_employee.work_email, old_employee.work_email)

    def test_transfer_found_by_its_reason_without_nextgen(self):
        for connection in (self.connection, self.connection_b):
            connection._set_credentials('nextgen', False, False)
        self.sync_both()
        moving = self.hire(job_title='Relocating Specialist')
        self.sync()
        source = self.binding(moving)
        new_id = self.sandbox.transfer('C1001', moving, 'C2002', date=self.days_ago(0))
        # This time company B hears of the hire before company A of the departure.
        self.sync(self.connection_b)
        target = self.binding(new_id, self.connection_b)
        self.assertEqual(target.transfer_of_id, source)
        self.sync()
        self.assertRecordValues(source, [{'status_code': 'XT', 'status_type': 'T',
                                          'status_reason': 'Transfer to C2002'}])
        self.assertEqual(source.transfer_ids, target)
