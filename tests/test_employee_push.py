# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Odoo → Paylocity: the fields Odoo owns, changed in Odoo, are PATCHed to the sandbox (as secureContent when the
connection says so); the sandbox decrypts and records what it received."""
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import EmployeeSyncCase


@tagged('post_install', '-at_install')
class TestEmployeePush(EmployeeSyncCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.write({'public_key': cls.sandbox.public_key_pem, 'encrypt_writes': True})
        cls.connection._poll_employees()

    def push(self):
        with self.threads_may_use_cursors():
            return self.connection._push_owned_fields()

    def setUp(self):
        super().setUp()
        self.patches_before = len(self.sandbox.patches)   # the sandbox outlives each test's rollback

    def patches_of(self, employee_id):
        """PATCH bodies the sandbox received for ``employee_id`` during this test."""
        return [patch for patch in self.sandbox.patches[self.patches_before:] if patch.employee_id == employee_id]

    def test_odoo_owned_fields_changed_in_odoo_reach_paylocity_encrypted(self):
        employee = self.employee('1002')
        employee.write({'work_email': 'new.address@c1001.example.com', 'mobile_phone': '(312) 555-0177'})
        self.assertEqual(self.push(), 1)

        [patch] = self.patches_of('1002')
        self.assertTrue(patch.was_encrypted)
        self.assertEqual(patch.body, {'workAddress': {'emailAddress': 'new.address@c1001.example.com',
                                                      'mobilePhone': '(312) 555-0177'}})
        self.assertEqual(patch.status, 200)
        self.assertEqual(self.person('1002').work_email, 'new.address@c1001.example.com')
        self.assertIn('1 employee(s) updated', self.connection.employee_push_message)

        # Sent once: the next push has nothing to send, and the next sync writes nothing back.
        self.assertEqual(self.push(), 0)
        self.assertEqual(len(self.patches_of('1002')), 1)
        self.sync()
        self.assertEqual(employee.work_email, 'new.address@c1001.example.com')
        self.assertEqual(employee.mobile_phone, '(312) 555-0177')

    def test_plain_json_when_the_connection_does_not_encrypt(self):
        self.connection.write({'encrypt_writes': False})
        self.employee('1003').write({'work_phone': '(608) 555-0123'})
        self.assertEqual(self.push(), 1)
        [patch] = self.patches_of('1003')
        self.assertFalse(patch.was_encrypted)
        self.assertEqual(patch.body, {'workAddress': {'phone': '(608) 555-0123'}})

    def test_paylocity_owned_fields_are_never_sent(self):
        self.employee('1004').write({'job_title': 'Edited in Odoo', 'name': 'Someone Else'})
        self.assertEqual(self.push(), 0)
        self.assertEqual(self.patches_of('1004'), [])

    def test_a_failed_push_is_retried_at_the_next_run(self):
        self.employee('1005').write({'work_email': 'retry.me@c1001.example.com'})
        cursor = self.connection.employee_push_cursor
        self.sandbox.inject('status', count=10, status=500, path='/employees/1005')
        with mute_logger('odoo.addons.paylocity_connector.paylocity.transport'):
            self.assertEqual(self.push(), 0)
        self.assertIn('1 failed', self.connection.employee_push_message)
        self.assertEqual(self.connection.employee_push_cursor, cursor)   # the window stays open
        self.sandbox.clear_faults()
        self.assertEqual(self.push(), 1)
        self.assertEqual(self.person('1005').work_email, 'retry.me@c1001.example.com')

    def test_ownership_is_configurable(self):
        self.connection.write({'own_work_email': False, 'own_job_title': True})
        employee = self.employee('1002')
        employee.write({'work_email': 'ignored@c1001.example.com', 'job_title': 'Head of Things'})
        self.assertEqual(self.push(), 1)
        [patch] = self.patches_of('1002')
        self.assertEqual(patch.body, {'departmentPosition': {'jobTitle': 'Head of Things'}})
        # The email is Paylocity's again: the next sync puts Paylocity's value back.
        self.sync()
        self.assertEqual(employee.work_email, self.person('1002').work_email)
        self.assertEqual(employee.job_title, 'Head of Things')
