# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Failure paths: Paylocity failing mid-fetch, a worker stopping mid-fetch, bad credentials, a crash while the
entry is made. Nothing is fetched twice, no partial entry exists, and the run says what happened."""
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tests.common import release_test_lock
from odoo.tools import mute_logger

from ..paylocity.transport import RetryPolicy
from .common import FAST, PayrollCase

TRANSPORT_LOGGER = 'odoo.addons.paylocity_connector.paylocity.transport'


class StopWorker(BaseException):
    """Stands for the worker being killed: not an Exception, so nothing on the way catches it."""


@tagged('post_install', '-at_install')
class TestPayrollFailures(PayrollCase):

    def setUp(self):
        super().setUp()
        self.sandbox.clear_faults()
        self.sandbox.reset_calls()
        self.env['ir.config_parameter'].sudo().set_param('paylocity_connector.payroll_fetch_batch', '5')

    def summary_calls(self, employee_id=None):
        return [c for c in self.sandbox.calls if '/paystatement/summary/' in c.path
                and (employee_id is None or '/employees/%s/' % employee_id in c.path)]

    def test_server_errors_mid_fetch_resume_without_fetching_again(self):
        regular, _off = self.latest_runs()
        broken = regular.statements[7].employee_id
        # Both attempts of that one employee's summary fail (the client retries once in these tests).
        self.sandbox.inject('status', status=500, count=2, path='/employees/%s/paystatement/summary' % broken)
        self.deliver_payroll(regular.process_id)
        with mute_logger(TRANSPORT_LOGGER):
            self.process_all()
        run = self.run_of(regular)
        self.assertEqual(run.state, 'new')
        self.assertEqual((run.fetch_errors, run.fetch_attempts), (1, 1))
        self.assertIn('could not be read', run.last_error)
        self.assertGreater(run.next_try_at, self.now())
        failed = run.employee_ids.filtered(lambda r: r.fetch_state == 'error')
        self.assertEqual(failed.paylocity_employee_code, broken)
        self.assertIn('ServerError', failed.error)
        self.assertFalse(self.moves_of(run))
        answered = run.employee_ids.filtered(lambda r: r.fetch_state in ('paid', 'not_paid'))
        self.assertEqual(len(answered), run.fetch_total - 1)

        # Later (the retry is due): only the employee that failed is asked again.
        self.sandbox.reset_calls()
        run.sudo().next_try_at = self.now()
        self.process_runs()
        self.assertEqual({c.path.split('/employees/')[1].split('/')[0] for c in self.statement_calls()}, {broken})
        self.assertEqual(len(self.summary_calls()), 1)
        self.assertEqual(run.state, 'posted')
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))

    def fetch_told_to_wait(self, status, retry_after):
        """A pay run whose fetch Paylocity answered ``status`` with ``Retry-After: retry_after`` for one employee
        (longer than a call waits, so the call fails at once); returns (run, seconds until its next try)."""
        # A call waits 0.2 s at most (so does the shared window): the test does not sleep on the Retry-After.
        self.env = self.env(context=dict(self.env.context, paylocity_client_options=dict(
            FAST, retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, max_total=30.0,
                                    max_retry_after=0.2))))
        regular, _off = self.latest_runs()
        told = regular.statements[7].employee_id
        self.sandbox.inject('status', status=status, retry_after=retry_after,
                            path='/employees/%s/paystatement/summary' % told)
        self.deliver_payroll(regular.process_id)
        with mute_logger(TRANSPORT_LOGGER):
            self.process_all()
        run = self.run_of(regular)
        self.assertEqual(self.sandbox.faults.pending(), [])
        self.assertEqual((run.state, run.fetch_errors, run.fetch_attempts), ('new', 1, 1), run.last_error)
        self.assertFalse(self.moves_of(run))
        return run, (run.next_try_at - self.now()).total_seconds()

    def test_a_fetch_told_to_wait_by_a_429_is_not_retried_sooner(self):
        # The queue's own first retry would come after 300 s.
        run, wait = self.fetch_told_to_wait(429, 3000)
        self.assertGreaterEqual(wait, 3000 - 5)
        self.assertLessEqual(wait, 3000 + 5)
        self.assertIn('RateLimited', run.employee_ids.filtered(lambda r: r.fetch_state == 'error').error)

    def test_a_fetch_told_to_wait_by_a_503_is_not_retried_sooner(self):
        run, wait = self.fetch_told_to_wait(503, 3000)
        self.assertGreaterEqual(wait, 3000 - 5)
        self.assertLessEqual(wait, 3000 + 5)
        self.assertIn('ServerError', run.employee_ids.filtered(lambda r: r.fetch_state == 'error').error)

    def test_a_retry_after_of_a_day_waits_the_queue_longest_delay_only(self):
        self.env['ir.config_parameter'].sudo().set_param('paylocity_connector.payroll_retry_max_seconds', '7200')
        _run, wait = self.fetch_told_to_wait(429, 86400)
        self.assertGreaterEqual(wait, 7200 - 5)
        self.assertLessEqual(wait, 7200 + 5)

    def test_a_worker_stopped_mid_fetch_resumes_where_it_was(self):
        regular, _off = self.latest_runs()
        self.deliver_payroll(regular.process_id)
        self.process_events()
        run = self.run_of(regular)
        PayRun = type(self.env['paylocity.pay.run'])
        original = PayRun._commit_step
        batches = []

        def commit_then_die(model, processed=0, remaining=None):
            result = original(model, processed=processed, remaining=remaining)
            if model.env.context.get('stop_after') and len(run.employee_ids.filtered(
                    lambda r: r.fetch_state != 'pending')) >= 10:
                batches.append(True)
                raise StopWorker()
            return result

        # (not assertRaises: it would roll back what the "worker" committed)
        try:
            with patch.object(PayRun, '_commit_step', commit_then_die), release_test_lock():
                self.env['paylocity.pay.run'].with_context(stop_after=True)._cron_process_pay_runs()
        except StopWorker:
            pass
        self.assertTrue(batches)
        asked_first = {r.paylocity_employee_code for r in run.employee_ids if r.fetch_state != 'pending'}
        self.assertEqual(len(asked_first), 10)   # two batches of five were committed
        self.assertEqual(run.state, 'new')
        self.assertGreater(run.next_try_at, self.now(), "claimed under a lease")

        # The lease ends: the next cron run takes the run back (the interrupted attempt counts) and, once it is
        # due again, asks only the employees not answered yet.
        self.sandbox.reset_calls()
        run.sudo().claimed_at = self.now() - timedelta(hours=1)
        self.process_runs()
        run.sudo().next_try_at = self.now()
        self.process_runs()
        asked_again = {c.path.split('/employees/')[1].split('/')[0] for c in self.summary_calls()}
        self.assertFalse(asked_again & asked_first)
        self.assertEqual(asked_again | asked_first, set(run.employee_ids.mapped('paylocity_employee_code')))
        self.assertEqual(run.state, 'posted')
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))

    def test_refused_credentials_fail_the_run_at_once(self):
        regular, _off = self.latest_runs()
        self.connection._set_credentials('weblink', self.sandbox.credentials('C1001').weblink_client_id, 'wrong')
        self.deliver_payroll(regular.process_id)
        with mute_logger(TRANSPORT_LOGGER):
            self.process_all()
        run = self.run_of(regular)
        self.assertEqual(run.state, 'failed')
        self.assertIn('AuthenticationError', run.last_error)
        self.assertEqual(run.activity_ids.summary, 'Fetching the pay statements failed')
        # Fixed credentials, Retry: the stored answers (none here) are kept and the rest is fetched.
        creds = self.sandbox.credentials('C1001')
        self.connection._set_credentials('weblink', creds.weblink_client_id, creds.weblink_client_secret)
        run.with_user(self.accountant).action_retry()
        self.process_runs()
        self.assertEqual(run.state, 'posted')

    def test_a_crash_while_posting_leaves_no_partial_entry(self):
        regular, _off = self.latest_runs()
        Move = type(self.env['account.move'])
        moves_before = self.env['account.move'].search_count([])
        lines_before = self.env['account.move.line'].search_count([])

        def crash(moves):
            raise RuntimeError("simulated crash after the entry was created")

        self.deliver_payroll(regular.process_id)
        with patch.object(Move, 'action_post', crash):
            self.process_all()
        run = self.run_of(regular)
        self.assertEqual(run.state, 'failed')
        self.assertIn('simulated crash', run.last_error)
        self.assertEqual((run.post_count, run.move_id.id), (0, False))
        self.assertEqual(self.env['account.move'].search_count([]), moves_before)
        self.assertEqual(self.env['account.move.line'].search_count([]), lines_before)
        self.assertEqual(run.activity_ids.summary, 'The journal entry could not be made')

        # Fixed: Post makes the one entry from the stored statements, without asking Paylocity again.
        self.sandbox.reset_calls()
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'posted')
        self.assertEqual(len(self.moves_of(run)), 1)
        self.assertFalse(self.statement_calls())
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))

    def test_a_fetch_longer_than_the_lease_keeps_its_claim(self):
        """Each committed batch renews the run's claim: another worker reclaiming expired claims between two
        batches of a fetch that has run longer than the lease leaves the run to the worker fetching it."""
        regular, _off = self.latest_runs()
        self.deliver_payroll(regular.process_id)
        self.process_events()
        run = self.run_of(regular)
        PayRun = type(self.env['paylocity.pay.run'])
        store, lock = PayRun._store_fetch, PayRun._lock_or_raise
        claimed = []

        def slow_batch(model, rows_by_employee, outcome):
            store(model, rows_by_employee, outcome)
            # This batch took longer than the lease (30 minutes): as if the claim had been taken 40 minutes ago.
            model.env.flush_all()
            model.env.cr.execute("UPDATE paylocity_pay_run SET claimed_at = claimed_at - interval '40 minutes' "
                                 "WHERE id = %s", [model.id])
            model.invalidate_recordset(['claimed_at'])

        def lock_after_another_worker_looked(model):
            model.env['paylocity.pay.run']._job_reclaim_expired()   # another worker's cron run, between batches
            claimed.append(bool(model.claim_token))
            return lock(model)

        with patch.object(PayRun, '_store_fetch', slow_batch), \
                patch.object(PayRun, '_lock_or_raise', lock_after_another_worker_looked):
            self.process_runs()
        self.assertGreaterEqual(len(claimed), 4, "the fetch ran in several batches")
        self.assertTrue(all(claimed), "never reclaimed while its worker fetched it")
        self.assertEqual((run.state, run.last_error), ('posted', False))
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))
