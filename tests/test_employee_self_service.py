# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What employees change about themselves (Odoo's self-service: their own work e-mail, phones, badge) never reaches
Paylocity through the administrator's API pair, and never binds their Odoo record to someone else's hire."""
from odoo.tests import new_test_user, tagged

from .common import EmployeeSyncCase


@tagged('post_install', '-at_install')
class TestSelfServiceEdits(EmployeeSyncCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection._poll_employees()
        cls.hr_officer = new_test_user(
            cls.env, login='pl_hr_officer', groups='base.group_user,hr.group_hr_user',
            company_id=cls.company.id, company_ids=[(6, 0, [cls.company.id])])

    def setUp(self):
        super().setUp()
        self.patches_before = len(self.sandbox.patches)   # the sandbox outlives each test's rollback

    def login_for(self, employee, login):
        """A plain internal user (no HR rights) who is ``employee``."""
        user = new_test_user(self.env, login=login, groups='base.group_user', company_id=self.company.id,
                             company_ids=[(6, 0, [self.company.id])])
        employee.user_id = user
        return user

    def push(self):
        with self.threads_may_use_cursors():
            return self.connection._push_owned_fields()

    def patches_of(self, employee_id):
        return [patch for patch in self.sandbox.patches[self.patches_before:] if patch.employee_id == employee_id]

    # === PUSH === #
    def test_an_employees_own_edits_stay_in_odoo(self):
        employee = self.employee('1002')
        paylocity_email = self.person('1002').work_email
        user = self.login_for(employee, 'pl_self_1002')
        # Odoo's own self-service path: a user writes their employee fields on their own user (as superuser).
        user.with_user(user).write({'work_email': 'me@elsewhere.example', 'mobile_phone': '(312) 555-0100'})
        self.assertEqual(employee.work_email, 'me@elsewhere.example')

        self.assertEqual(self.push(), 0)
        self.assertEqual(self.patches_of('1002'), [])
        self.assertEqual(self.person('1002').work_email, paylocity_email)
        self.assertIn("1 employee(s) with changes not written by HR", self.connection.employee_push_message)
        self.assertEqual(employee.work_email, 'me@elsewhere.example', "kept in Odoo")

        # What an HR officer then writes is sent, and only that.
        employee.with_user(self.hr_officer).write({'work_phone': '(312) 555-0199'})
        self.assertEqual(self.push(), 1)
        [patch] = self.patches_of('1002')
        self.assertEqual(patch.body, {'workAddress': {'phone': '(312) 555-0199'}})

        # An HR officer's value of a field the employee had changed is sent too.
        employee.with_user(self.hr_officer).write({'work_email': 'checked.by.hr@c1001.example.com'})
        self.assertEqual(self.push(), 1)
        self.assertEqual(self.person('1002').work_email, 'checked.by.hr@c1001.example.com')

    def test_an_employee_overwriting_hrs_value_is_not_pushed(self):
        employee = self.employee('1003')
        user = self.login_for(employee, 'pl_self_1003')
        employee.with_user(self.hr_officer).write({'work_email': 'by.hr@c1001.example.com'})
        user.with_user(user).write({'work_email': 'by.me@elsewhere.example'})
        self.assertEqual(self.push(), 0)
        self.assertEqual(self.patches_of('1003'), [])
        self.assertNotEqual(self.person('1003').work_email, 'by.me@elsewhere.example')

    def test_the_users_own_email_copied_to_the_employee_is_not_pushed(self):
        employee = self.employee('1004')
        user = self.login_for(employee, 'pl_self_1004')
        user.with_user(user).write({'email': 'renamed.me@elsewhere.example'})   # Preferences > Email
        self.assertEqual(employee.work_email, 'renamed.me@elsewhere.example')
        self.assertEqual(self.push(), 0)
        self.assertEqual(self.patches_of('1004'), [])

    # === BINDING === #
    def test_a_self_edited_work_email_does_not_bind_someone_to_a_new_hire(self):
        eid = self.hire()
        hire_email = self.person(eid).work_email
        impostor = self.env['hr.employee'].create({'name': 'Impostor', 'company_id': self.company.id})
        user = self.login_for(impostor, 'pl_impostor')
        user.with_user(user).write({'work_email': hire_email})
        event = self.deliver('new_hire', eid)
        self.process_events()
        self.assertFalse(self.binding(eid))
        self.assertNotIn(eid, impostor.paylocity_binding_ids.mapped('paylocity_employee_code'))
        self.assertEqual(event.state, 'retrying')
        self.assertIn('who can edit it themself', event.last_error)
        self.assertIn('bind them by hand', event.last_error)

    def test_a_self_edited_badge_does_not_bind_either(self):
        self.connection.write({'match_identifier': 'barcode', 'match_by_work_email': False})
        eid = self.hire()
        impostor = self.env['hr.employee'].create({'name': 'Badge Impostor', 'company_id': self.company.id})
        user = self.login_for(impostor, 'pl_badge_impostor')
        user.with_user(user).write({'barcode': eid})
        self.deliver('new_hire', eid)
        self.process_events()
        self.assertFalse(self.binding(eid))

    def test_fields_only_hr_edits_still_bind(self):
        # An employee without a login cannot edit anything; an HR-only identifier binds even one with a login.
        eid = self.hire()
        no_login = self.env['hr.employee'].create({'name': 'No Login', 'company_id': self.company.id,
                                                   'work_email': self.person(eid).work_email})
        self.deliver('new_hire', eid)
        self.process_events()
        self.assertEqual(self.employee(eid), no_login)

        self.connection.write({'match_identifier': 'identification_id'})
        other = self.hire()
        with_login = self.env['hr.employee'].create({'name': 'With Login', 'company_id': self.company.id,
                                                     'identification_id': other,
                                                     'work_email': self.person(other).work_email})
        self.login_for(with_login, 'pl_with_login')
        self.deliver('new_hire', other)
        self.process_events()
        self.assertEqual(self.employee(other), with_login)
