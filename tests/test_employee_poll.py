# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The daily reconciliation in real Odoo against the sandbox: first sync, a re-sync that writes nothing, what
webhooks never announced, resuming a stopped run, per-employee and whole-run failures."""
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import EmployeeSyncCase

TRANSPORT = 'odoo.addons.paylocity_connector.paylocity.transport'
SYNC = 'odoo.addons.paylocity_connector.models.paylocity_cron_mixin'
SEEDED = ['1001', '1002', '1003', '1004', '1005']   # the CEO and the four department managers (hires follow)


@tagged('post_install', '-at_install')
class TestEmployeePoll(EmployeeSyncCase):

    def weblink_only(self):
        self.connection._set_credentials('nextgen', False, False)
        self.assertFalse(self.connection._has_credentials('nextgen'))

    def paylocity_ids(self):
        """Everyone in the sandbox company now (tests of this class hire more people)."""
        return sorted(self.company_data().employees, key=int)

    def bound_ids(self):
        return sorted(self.env['paylocity.employee'].search([('connection_id', '=', self.connection.id)]).mapped(
            'paylocity_employee_code'), key=int)

    def employee_gets(self, employee_id):
        return sum(1 for call in self.sandbox.calls
                   if call.method == 'GET' and call.path.endswith('/employees/%s' % employee_id))

    def test_first_sync_builds_the_directory_and_a_resync_writes_nothing(self):
        message = self.sync()
        self.assertEqual(self.bound_ids(), self.paylocity_ids())
        self.assertIn('%d created' % len(self.paylocity_ids()), message)
        ceo = self.employee('1001')
        data = self.company_data()
        for eid in SEEDED[1:]:
            manager = self.employee(eid)
            self.assertEqual(manager.parent_id, ceo if manager.active else manager.parent_id)
            department = self.code('costcenter2', data.employee(eid).cost_center2).department_id
            self.assertEqual(manager.department_id, department)
            self.assertEqual(manager.company_id, self.company)
        # NextGen pair configured: one batch read, no per-employee GET.
        self.assertEqual(sum(self.employee_gets(eid) for eid in self.paylocity_ids()), 0)
        self.assertGreaterEqual(self.sandbox.count(path='/coreHr/v1/companies/C1001/employees'), 1)

        with self.spy_writes() as writes:
            message = self.sync()
        self.assertEqual(writes, [])
        self.assertIn('%d unchanged' % len(self.paylocity_ids()), message)

    def test_weblink_poll_lists_then_reads_each_employee(self):
        self.weblink_only()
        self.sync()
        everyone = self.paylocity_ids()
        self.assertEqual([self.employee_gets(eid) for eid in everyone], [1] * len(everyone))
        self.assertEqual(self.sandbox.count(path='/coreHr/'), 0)
        self.assertEqual(self.bound_ids(), everyone)
        with self.spy_writes() as writes:
            self.sync()
        self.assertEqual(writes, [])

    def test_poll_catches_what_no_webhook_announced(self):
        self.sync()
        hired = self.hire(job_title='Quiet Hire')
        self.sandbox.terminate('C1001', '1005', date=self.days_ago(3), reason='Retired')
        self.sandbox.change('C1001', '1004', job_title='Chief of Staff')
        message = self.sync()

        self.assertIn('1 created', message)
        self.assertIn('1 archived', message)
        self.assertIn('1 updated', message)
        self.assertEqual(self.employee(hired).job_title, 'Quiet Hire')
        self.assertEqual(self.employee(hired).parent_id, self.employee(self.person(hired).supervisor_id))
        leaver = self.employee('1005')
        self.assertFalse(leaver.active)
        self.assertEqual(leaver.departure_reason_id, self.env.ref('hr.departure_retired'))
        self.assertEqual(leaver.departure_date, self.days_ago(3))
        self.assertEqual(self.employee('1004').job_title, 'Chief of Staff')
        # ... and a rehire.
        self.sandbox.rehire('C1001', '1005', date=self.days_ago(1))
        self.assertIn('1 restored', self.sync())
        self.assertTrue(leaver.active)

    def test_a_stopped_run_resumes_at_its_cursor(self):
        self.weblink_only()
        connection_class = type(self.connection)
        original = connection_class._commit_step
        calls = []

        def out_of_time_once(connection, processed=0, remaining=None):
            calls.append(processed)
            original(connection, processed, remaining)
            return 0 if len(calls) == 1 else float('inf')

        with patch.object(connection_class, '_commit_step', out_of_time_once), self.threads_may_use_cursors():
            self.assertFalse(self.connection._poll_employees(chunk_size=2))
            self.assertEqual(self.connection.employee_poll_cursor, '1002')
            self.assertEqual(self.bound_ids(), ['1001', '1002'])
            self.assertTrue(self.connection._poll_employees(chunk_size=2))
        self.assertFalse(self.connection.employee_poll_cursor)
        everyone = self.paylocity_ids()
        self.assertEqual(self.bound_ids(), everyone)
        # What the first run did is not read again.
        self.assertEqual([self.employee_gets(eid) for eid in everyone], [1] * len(everyone))
        self.assertEqual(calls[:2], [2, 2])

    @mute_logger(TRANSPORT)
    def test_one_employee_failing_goes_to_the_event_queue(self):
        self.weblink_only()
        self.sandbox.inject('status', count=10, status=500, path='/employees/1003')
        message = self.sync()
        self.assertIn('1 to retry', message)
        self.assertFalse(self.binding('1003'))
        self.assertTrue(self.binding('1004'))
        event = self.env['paylocity.event'].search([('connection_id', '=', self.connection.id),
                                                    ('paylocity_employee_code', '=', '1003')])
        self.assertRecordValues(event, [{'event_type': 'employee_change', 'source': 'poll', 'state': 'received'}])
        self.sandbox.clear_faults()
        self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertEqual(event.employee_id, self.employee('1003'))
        self.assertEqual(self.employee('1003').parent_id, self.employee('1001'))

    @mute_logger(TRANSPORT, SYNC)
    def test_a_whole_run_failure_is_recorded_and_keeps_nothing_half_done(self):
        self.sandbox.inject('status', count=50, status=401, path='/coreHr/')
        self.connection.write({'employee_poll_requested': True})
        self.env['paylocity.connection']._cron_poll_employees()
        self.assertTrue(self.connection.employee_poll_message.startswith('Failed'))
        self.assertFalse(self.env['paylocity.employee'].search([('connection_id', '=', self.connection.id)]))
        self.assertTrue(self.connection.employee_poll_requested)   # still due: the next run tries again

    def test_one_employee_refused_by_odoo_does_not_stop_the_others(self):
        refused = self.person('1003').work_email
        employee_class = type(self.env['hr.employee'])
        original = employee_class.create

        def create(records, vals_list):
            if any(vals.get('work_email') == refused for vals in
                   (vals_list if isinstance(vals_list, list) else [vals_list])):
                raise ValidationError("refused for the test")
            return original(records, vals_list)

        with patch.object(employee_class, 'create', create):
            message = self.sync()
        self.assertIn('1 to retry', message)
        self.assertFalse(self.binding('1003'))
        self.assertEqual(self.bound_ids(), [eid for eid in self.paylocity_ids() if eid != '1003'])
        self.assertEqual(self.employee('1004').parent_id, self.employee('1001'))
        event = self.env['paylocity.event'].search([('paylocity_employee_code', '=', '1003'),
                                                    ('connection_id', '=', self.connection.id)])
        self.assertEqual(event.state, 'received')
        self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertEqual(event.employee_id.work_email, refused)

    def test_sync_now_button_queues_the_reconciliation(self):
        cron = self.env.ref('paylocity_connector.ir_cron_paylocity_employee_poll')
        triggers = self.env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id)])
        self.connection.with_user(self.admin_user).action_sync_employees_now()
        self.assertTrue(self.connection.employee_poll_requested)
        self.assertEqual(self.env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id)]), triggers + 1)
        self.env['paylocity.connection']._cron_poll_employees()
        self.assertFalse(self.connection.employee_poll_requested)
        self.assertEqual(self.bound_ids(), self.paylocity_ids())
