# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Paylocity's employee list of a pay run cannot be read: nothing is fetched or posted from part of the employees.
The run stays unlisted and is retried on the job queue's schedule; it posts with every employee once the list is
read, or fails with an activity after the connection's maximum attempts."""
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import MAPPING, PayrollCase

QUIET = mute_logger('odoo.addons.paylocity_connector.paylocity.transport',
                    'odoo.addons.paylocity_connector.models.paylocity_job_mixin')
LIST_PATH = '/v2/companies/C1001/employees'   # the list comes first: a fault on it is spent there


@tagged('post_install', '-at_install')
class TestPayrollEmployeeList(PayrollCase):

    def setUp(self):
        super().setUp()
        self.sandbox.clear_faults()
        self.sandbox.reset_calls()
        self.addCleanup(self.sandbox.clear_faults)
        self.regular, _off = self.latest_runs()
        # A hire Paylocity pays in this run whom the employee sync has not bound yet: only the list finds them.
        self.late = self.regular.statements[3].employee_id
        self.setup['C1001']['bindings'][self.late].unlink()

    def fail_list(self, count):
        self.sandbox.inject('status', status=503, count=count, path=LIST_PATH)

    def assert_unlisted(self, run):
        self.assertEqual(run.state, 'new')
        self.assertFalse(run.employees_listed)
        self.assertFalse(run.employee_ids, "nothing is asked from part of the employees")
        self.assertFalse(self.moves_of(run))
        self.assertIn("employee list could not be read", run.last_error)
        self.assertIn("left out of the entry", run.last_error)

    def without_late_analytic(self, person, line):
        if person.employee_id == self.late:
            kind, debit, credit, _analytic, partner = MAPPING[line.det_code]
            return (kind, debit, credit, False, partner)
        return None

    def test_an_unread_list_is_retried_on_the_queue_schedule_then_posts_everyone(self):
        self.fail_list(2)   # the call and the client's own retry
        self.deliver_payroll(self.regular.process_id)
        with QUIET:
            self.process_all()
        run = self.run_of(self.regular)
        self.assert_unlisted(run)
        self.assertEqual(run.attempt_count, 1)
        self.assertGreater(run.next_try_at, self.now(), "retried later, with the queue's backoff")
        self.assertFalse(self.statement_calls(), "no statement is asked before the list is read")

        # Not due yet: the cron leaves it alone; Post does not build it either.
        self.process_runs()
        self.assertEqual(run.attempt_count, 1)
        run.with_user(self.accountant).action_post()
        self.assert_unlisted(run)

        # Due: the list is read, the late hire is asked, and the one entry has their pay.
        run.sudo().next_try_at = self.now()
        self.process_runs()
        self.assertEqual(run.state, 'posted')
        self.assertTrue(run.employees_listed)
        row = run.employee_ids.filtered(lambda r: r.paylocity_employee_code == self.late)
        self.assertEqual(row.fetch_state, 'paid')
        self.assertEqual(len(self.moves_of(run)), 1)
        self.assertEqual(self.posted_balances(run.move_id), self.expected(self.regular,
                                                                          override=self.without_late_analytic))

    def test_a_list_that_stays_unread_fails_the_run_with_an_activity(self):
        self.connection.event_max_attempts = 2
        self.fail_list(100)
        self.deliver_payroll(self.regular.process_id)
        with QUIET:
            self.process_all()
            run = self.run_of(self.regular)
            self.assert_unlisted(run)
            run.sudo().next_try_at = self.now()
            self.process_runs()
        self.assertEqual(run.state, 'failed')
        self.assertFalse(run.employees_listed)
        self.assertFalse(self.moves_of(run))
        self.assertIn("employee list could not be read", run.last_error)
        self.assertEqual(run.activity_ids.summary, 'Processing the pay run failed after 2 attempts')

        # Fixed on Paylocity's side: Post queues the run again, and it posts with everyone.
        self.sandbox.clear_faults()
        run.with_user(self.accountant).action_post()
        self.process_runs()
        self.assertEqual(run.state, 'posted')
        self.assertIn(self.late, run.employee_ids.mapped('paylocity_employee_code'))

    def test_a_run_built_without_its_list_is_listed_first(self):
        """A run in a built state whose list is incomplete (fetched before this guard existed) is not posted as
        it stands: its list is read again, only the missing employees are asked, and then it posts."""
        self.connection.payroll_posting = 'manual'
        self.deliver_payroll(self.regular.process_id)
        self.process_all()
        run = self.run_of(self.regular)
        self.assertEqual(run.state, 'ready')
        late_row = run.employee_ids.filtered(lambda r: r.paylocity_employee_code == self.late)
        late_row.unlink()
        run.sudo().employees_listed = False
        self.sandbox.reset_calls()

        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'new')
        self.assertFalse(self.moves_of(run))
        self.process_runs()
        asked = {c.path.split('/employees/')[1].split('/')[0] for c in self.statement_calls()}
        self.assertEqual(asked, {self.late})
        self.assertEqual(run.state, 'ready')
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'posted')
        self.assertEqual(self.posted_balances(run.move_id), self.expected(self.regular,
                                                                          override=self.without_late_analytic))
