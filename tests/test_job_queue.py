# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The one job queue (events and pay runs), the connection crons' isolation, and declared state transitions, in
real Odoo: any exception is rolled back, retried, counted and ends failed with an activity while the next item
and the other connections proceed; claims are exclusive across real transactions; expired leases come back."""
import threading
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.orm.environments import Transaction
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..models.paylocity_pay_run import RunBusy
from .common import EventSetupMixin, new_hire_body, payroll_body, time_off_body

QUIET = mute_logger('odoo.addons.paylocity_connector.models.paylocity_job_mixin',
                    'odoo.addons.paylocity_connector.models.paylocity_cron_mixin')


def now():
    return fields.Datetime.now()


@tagged('post_install', '-at_install')
class TestJobQueue(EventSetupMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_event_fixtures()
        # Pay runs already in this database are not these tests' to process.
        cls.env['paylocity.pay.run'].search([('next_try_at', '!=', False)]).write({'next_try_at': False})
        cls.connection.user_id = cls.admin_user
        cls.connection.sudo().event_max_attempts = 2

    def make_due(self, records):
        records.sudo().write({'next_try_at': now() - timedelta(seconds=1)})

    def make_runs(self, count):
        PayRun = self.env['paylocity.pay.run']
        runs = PayRun.create([{'connection_id': self.connection.id, 'check_date': '2026-03-06', 'run_number': n}
                              for n in range(1, count + 1)])
        runs._request_processing()
        return runs

    def patch_method(self, model, name, function):
        patcher = patch.object(type(self.env[model]), name, function)
        patcher.start()
        self.addCleanup(patcher.stop)

    def triggered_at(self, xmlid, when):
        cron = self.env.ref(xmlid)
        return self.env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id), ('call_at', '=', when)])

    # === EVENTS === #
    def test_an_unexpected_exception_in_an_event_is_retried_then_fails_with_an_activity(self):
        def overflow(event):
            event.env['res.partner'].create({'name': 'half-done work', 'ref': 'JQ-HALF'})
            raise OverflowError("int too large to convert to float")
        self.patch_handler('new_hire', overflow)
        calls = self.record_calls('payroll_processed')
        broken = self.store(new_hire_body('J100'))
        fine = self.store(payroll_body('2026030601'))
        before = now()
        with QUIET:
            taken = self.env['paylocity.event']._cron_process_events()
        self.assertEqual(taken, 2)
        self.assertEqual(calls, [fine.id], "the next event of the same run is processed")
        self.assertEqual(fine.state, 'done')
        self.assertRecordValues(broken, [{'state': 'retrying', 'attempt_count': 1, 'claim_token': False,
                                          'last_error': 'OverflowError: int too large to convert to float'}])
        self.assertGreaterEqual(broken.next_try_at, before + timedelta(seconds=60))
        self.assertTrue(self.triggered_at('paylocity_connector.ir_cron_paylocity_event_process', broken.next_try_at))
        self.assertFalse(self.env['res.partner'].search([('ref', '=', 'JQ-HALF')]), "the attempt is rolled back")
        self.assertEqual(broken.attempt_ids.mapped('outcome'), ['retrying'])
        self.assertFalse(broken.activity_ids)

        self.make_due(broken)
        with QUIET:
            self.env['paylocity.event']._cron_process_events()
        self.assertRecordValues(broken, [{'state': 'failed', 'attempt_count': 2, 'next_try_at': False}])
        self.assertEqual(broken.activity_ids.user_id, self.admin_user)
        self.assertEqual(broken.activity_ids.summary, 'Paylocity event failed')
        self.assertIn('failed after 2 attempts', broken.message_ids[0].body)
        self.assertEqual(sorted(broken.attempt_ids.mapped('outcome')), ['failed', 'retrying'])
        self.env['paylocity.event']._cron_process_events()
        self.assertEqual(broken.attempt_count, 2, "failed means failed")

    def test_an_event_waiting_for_a_handler_does_not_end_the_run(self):
        self.patch_handler('time_off_approval', None)
        calls = self.record_calls('new_hire')
        waiting = self.store(time_off_body('J102'))
        handled = self.store(new_hire_body('J103'))
        self.assertEqual(self.env['paylocity.event']._cron_process_events(), 2)
        self.assertRecordValues(waiting | handled, [{'state': 'unsupported', 'attempt_count': 0, 'claim_token': False},
                                                    {'state': 'done', 'attempt_count': 1, 'claim_token': False}])
        self.assertEqual(calls, [handled.id])

    def test_a_run_takes_events_until_its_time_slot_is_used_up(self):
        calls = self.record_calls('time_off_approval')
        events = self.env['paylocity.event'].browse()
        for n in range(4):
            events |= self.store(time_off_body('J11%d' % n))
        Event = type(self.env['paylocity.event'])
        commit_step = Event._commit_step

        def seconds_left(seconds):
            def step(model, processed=0, remaining=None):
                commit_step(model, processed, remaining)
                return seconds
            return patch.object(Event, '_commit_step', step)

        # Odoo gives a cron run a slot of about ten seconds: with time left, the run goes on to the next event.
        with seconds_left(7.5):
            self.assertEqual(self.env['paylocity.event']._cron_process_events(batch_size=3), 3)
        self.assertEqual(calls, events[:3].ids)
        # The slot used up, the run stops after the event in hand and leaves the rest to the next run.
        with seconds_left(0.0):
            self.assertEqual(self.env['paylocity.event']._cron_process_events(), 1)
        self.assertEqual(calls, events.ids)
        self.assertEqual(events.mapped('state'), ['done'] * 4)

    # === PAY RUNS === #
    def test_an_unexpected_exception_in_a_pay_run_is_retried_then_fails_with_an_activity(self):
        broken, fine = self.make_runs(2)
        seen = []

        def process_one(run):
            seen.append(run.id)
            if run == broken:
                run.write({'hold_reason': 'half-done work'})
                raise ZeroDivisionError("division by zero")
            run._set_state('cancelled')
        self.patch_method('paylocity.pay.run', '_process_one', process_one)
        PayRun = self.env['paylocity.pay.run']
        before = now()
        with QUIET:
            self.assertEqual(PayRun._cron_process_pay_runs(), 2)
        self.assertEqual(seen, [broken.id, fine.id])
        self.assertRecordValues(fine, [{'state': 'cancelled', 'next_try_at': False, 'claim_token': False}])
        self.assertRecordValues(broken, [{'state': 'new', 'attempt_count': 1, 'claim_token': False,
                                          'hold_reason': False, 'last_error': 'ZeroDivisionError: division by zero'}])
        self.assertGreaterEqual(broken.next_try_at, before + timedelta(seconds=300))
        self.assertTrue(self.triggered_at('paylocity_connector.ir_cron_paylocity_pay_run_process',
                                          broken.next_try_at))
        self.assertFalse(broken.activity_ids)

        self.make_due(broken)
        with QUIET:
            PayRun._cron_process_pay_runs()
        self.assertRecordValues(broken, [{'state': 'failed', 'attempt_count': 2, 'next_try_at': False}])
        self.assertEqual(broken.activity_ids.summary, 'Processing the pay run failed after 2 attempts')
        self.assertTrue(broken.message_ids.filtered(lambda m: 'ZeroDivisionError' in (m.body or '')))
        PayRun._cron_process_pay_runs()
        self.assertEqual(seen, [broken.id, fine.id, broken.id], "failed means failed")
        # Queued again by the accountant: a fresh count.
        broken.with_user(self.accountant).action_retry()
        self.assertRecordValues(broken, [{'state': 'new', 'attempt_count': 0}])

    def test_a_busy_run_is_left_to_its_owner_without_spending_an_attempt(self):
        run = self.make_runs(1)

        def busy(run):
            run.write({'hold_reason': 'half-done work'})
            raise RunBusy("held by another job")
        self.patch_method('paylocity.pay.run', '_process_one', busy)
        with QUIET:
            self.assertEqual(self.env['paylocity.pay.run']._cron_process_pay_runs(), 1)
        self.assertRecordValues(run, [{'state': 'new', 'attempt_count': 0, 'claim_token': False,
                                       'hold_reason': False, 'last_error': False}])
        self.assertGreater(run.next_try_at, now(), "taken again a little later")

    def test_an_expired_lease_is_reclaimed_and_counted(self):
        run = self.make_runs(1)
        self.patch_method('paylocity.pay.run', '_process_one', lambda run: None)
        PayRun = self.env['paylocity.pay.run']
        self.assertEqual(PayRun._claim_due(5), run)
        token = run.claim_token
        self.assertTrue(token)
        self.assertEqual(run.attempt_count, 1, "a claim is an attempt")
        self.assertGreater(run.next_try_at, now(), "claimed under a lease")
        # A live claim is neither claimed again nor reclaimed.
        self.assertFalse(PayRun._claim_due(5))
        self.assertEqual(PayRun._cron_process_pay_runs(), 0)
        self.assertEqual(run.claim_token, token)

        # The worker died: once the lease is over, the next run takes the claim back; the attempt counts.
        run.claimed_at = now() - timedelta(hours=1)
        with QUIET:
            PayRun._cron_process_pay_runs()
        self.assertRecordValues(run, [{'state': 'new', 'claim_token': False, 'attempt_count': 1}])
        self.assertIn('interrupted', run.last_error)
        self.assertGreater(run.next_try_at, now())
        # The same again, at the connection's limit: failed, with an activity.
        self.make_due(run)
        PayRun._claim_due(1)
        run.claimed_at = now() - timedelta(hours=1)
        with QUIET:
            PayRun._cron_process_pay_runs()
        self.assertRecordValues(run, [{'state': 'failed', 'claim_token': False, 'attempt_count': 2}])
        self.assertEqual(len(run.activity_ids), 1)

    # === TRANSITIONS === #
    def test_a_forbidden_transition_is_refused_with_a_clear_message(self):
        event = self.store(new_hire_body('J101'))
        with self.assertRaises(UserError) as caught:
            event._set_state('done')
        message = str(caught.exception)
        for part in (event.display_name, 'Received', 'Done'):
            self.assertIn(part, message)
        self.assertEqual(event.state, 'received')

        run = self.make_runs(1)
        run._set_state('cancelled')
        with self.assertRaises(UserError) as caught:
            run._set_state('posted', {'hold_reason': 'should not be written'})
        for part in (run.display_name, 'Cancelled', 'Posted'):
            self.assertIn(part, str(caught.exception))
        self.assertRecordValues(run, [{'state': 'cancelled', 'hold_reason': False}])
        with self.assertRaises(ValueError):
            run._set_state('no_such_state')
        # Staying in a state writes the other values.
        run._set_state('cancelled', {'hold_reason': 'kept'})
        self.assertEqual(run.hold_reason, 'kept')
        # The employees a run asks declare theirs too: an answer is final.
        row = self.env['paylocity.pay.run.employee'].create({'run_id': run.id, 'paylocity_employee_code': 'J104'})
        row._set_state('paid')
        with self.assertRaises(UserError) as caught:
            row._set_state('error')
        self.assertIn('from Paid to Error', str(caught.exception))

    def test_a_direct_write_of_the_state_is_refused(self):
        event = self.store(new_hire_body('J111'))
        run = self.make_runs(1)
        row = self.env['paylocity.pay.run.employee'].create({'run_id': run.id, 'paylocity_employee_code': 'J112'})
        # Forbidden moves, and even declared ones: only _set_state changes a state, never a write or an assignment.
        for record, field, state in ((event, 'state', 'done'), (event, 'state', 'processing'),
                                     (run, 'state', 'posted'), (run, 'state', 'cancelled'),
                                     (row, 'fetch_state', 'paid')):
            before = record[field]
            with self.subTest(model=record._name, state=state), self.assertRaises(UserError) as caught:
                record.sudo().write({field: state})
            self.assertIn('not by a direct write', str(caught.exception))
            with self.assertRaises(UserError):
                record[field] = state
            self.assertEqual(record[field], before)
        # The records stay writable: the state itself (unchanged), and every other value.
        run.write({'state': 'new', 'hold_reason': 'noted'})
        self.assertRecordValues(run, [{'state': 'new', 'hold_reason': 'noted'}])
        # _set_state's permission covers only the records it moves: a write under another one's is refused.
        with self.assertRaises(UserError):
            run.with_context(paylocity_state_change=(run._name, (run.id + 1,))).write({'state': 'cancelled'})
        with self.assertRaises(UserError):
            run.with_context(paylocity_state_change=(event._name, (run.id,))).write({'state': 'cancelled'})
        run._set_state('cancelled')
        self.assertEqual(run.state, 'cancelled')

    def test_a_user_without_write_access_hears_about_access_first(self):
        event = self.store(new_hire_body('J121'))
        with self.assertRaises(AccessError):
            event.with_user(self.pl_user).write({'state': 'done'})
        self.assertEqual(event.state, 'received')

    # === CONNECTION CRONS === #
    CRONS = [
        # (cron model, cron method, job, patched model, patched method, the patched method takes the connection)
        ('paylocity.connection', '_cron_poll_pay_runs', 'payroll_poll', 'paylocity.connection', '_poll_pay_runs',
         False),
        ('paylocity.gl.rule', '_cron_check_gl_rules', 'gl_rule_check', 'paylocity.gl.rule', '_check_connection_rules',
         True),
        ('paylocity.connection', '_cron_poll_employees', 'employee_poll', 'paylocity.connection', '_poll_employees',
         False),
        ('paylocity.connection', '_cron_push_employees', 'employee_push', 'paylocity.connection',
         '_push_owned_fields', False),
        ('paylocity.connection', '_cron_import_reference_data', 'reference_import', 'paylocity.connection',
         '_import_reference_data', False),
        ('paylocity.connection', '_cron_warn_expiring_secrets', 'secret_expiry', 'paylocity.connection',
         '_warn_expiring_secrets', False),
        ('paylocity.event', '_cron_purge_payloads', 'event_purge', 'paylocity.event', '_purge_connection', True),
    ]

    def failing_first(self, job, takes_connection, fail=True):
        """A stand-in for a cron's per-connection work: the first connection leaves a trace and raises, the second
        leaves a trace, the others do nothing."""
        first, second = self.connection, self.connection_b

        def work(model, *args, **kwargs):
            connection = args[0] if takes_connection else model
            if connection == second or (connection == first and not fail):
                model.env['res.partner'].create({'name': 'JQ %s %s' % (job, connection.id)})
            elif connection == first:
                model.env['res.partner'].create({'name': 'JQ %s %s' % (job, connection.id)})
                raise OverflowError("boom in %s" % job)
            return True if not takes_connection else 0
        return work

    def traces(self, job, connection):
        return self.env['res.partner'].search_count([('name', '=', 'JQ %s %s' % (job, connection.id))])

    def test_every_connection_cron_isolates_each_connection(self):
        first, second = self.connection, self.connection_b
        (first | second).sudo().write({'payroll_enabled': True, 'sync_employees': True, 'push_owned_fields': True})
        for cron_model, cron, job, model, method, takes_connection in self.CRONS:
            with self.subTest(job=job), patch.object(type(self.env[model]), method,
                                                     self.failing_first(job, takes_connection)), QUIET:
                getattr(self.env[cron_model], cron)()
                self.assertEqual(self.traces(job, first), 0, "the failing connection's work is rolled back")
                self.assertEqual(self.traces(job, second), 1, "the other connection proceeds")
                failure = first.sudo().cron_failures[job]
                self.assertEqual(failure['count'], 1)
                self.assertEqual(failure['error'], 'OverflowError: boom in %s' % job)
                self.assertNotIn(job, second.sudo().cron_failures or {})
        self.assertTrue(first.employee_poll_message.startswith('Failed: OverflowError'))
        self.assertFalse(first.activity_ids.filtered(lambda a: 'background job' in (a.summary or '')))

    def test_repeated_cron_failures_alert_once_and_a_success_resets_the_count(self):
        first = self.connection
        first.sudo().write({'payroll_enabled': True})
        PollModel = type(self.env['paylocity.connection'])
        for _run in range(4):
            with patch.object(PollModel, '_poll_pay_runs', self.failing_first('payroll_poll', False)), QUIET:
                self.env['paylocity.connection']._cron_poll_pay_runs()
        self.assertEqual(first.sudo().cron_failures['payroll_poll']['count'], 4)
        alerts = first.activity_ids.filtered(lambda a: a.summary == 'Paylocity background job failing: payroll poll')
        self.assertEqual(len(alerts), 1)
        self.assertEqual(alerts.user_id, self.admin_user)
        self.assertEqual(len(first.message_ids.filtered(lambda m: 'failed 3 times in a row' in (m.body or ''))), 1)
        with patch.object(PollModel, '_poll_pay_runs', self.failing_first('payroll_poll', False, fail=False)):
            self.env['paylocity.connection']._cron_poll_pay_runs()
        self.assertFalse((first.sudo().cron_failures or {}).get('payroll_poll'))
        self.assertEqual(self.traces('payroll_poll', first), 1)


@tagged('post_install', '-at_install')
class TestJobQueueTransactions(TransactionCase):
    """Real, separate transactions of the registry (a test's own cursor cannot commit): claims are exclusive, and a
    connection cron commits each connection's part while rolling back the failing one's. The records are
    committed, so they are removed again afterwards."""

    CODES = ('Q9001', 'Q9002')

    def setUp(self):
        super().setUp()
        self.connection_ids = self.company_ids = []
        self.addCleanup(self.remove_committed)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            others = env['paylocity.event'].search_count([('state', 'in', ('received', 'retrying'))])
            if others:
                self.skipTest("%s events of this database are waiting: a real claim would take them" % others)
            companies = env['res.company'].create([{'name': 'Queue Co %s' % code} for code in self.CODES])
            self.company_ids = companies.ids
            connections = env['paylocity.connection'].create([{
                'name': 'Queue %s' % code, 'paylocity_company_code': code, 'environment': 'test',
                'company_id': company.id} for code, company in zip(self.CODES, companies)])
            self.connection_ids = connections.ids
            Event = env['paylocity.event']
            self.event_ids = [Event._create_from_poll(connections[0], 'new_hire', 'new_hire:Q9001:E%d' % n,
                                                      {'employeeId': 'E%d' % n}, employee_code='E%d' % n).id
                              for n in range(24)]

    def remove_committed(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env['paylocity.event'].search([('connection_id', 'in', self.connection_ids)]).unlink()
            env['res.partner'].search([('name', '=like', 'JQ committed %')]).unlink()
            env['paylocity.connection'].browse(self.connection_ids).unlink()
            env['res.company'].browse(self.company_ids).unlink()

    def committing(self, model):
        """Let ``model``'s jobs commit as they do in production (tests otherwise never commit)."""
        return patch.object(type(self.env[model]), '_can_commit', lambda self: self.env.context.get('commit', True))

    def test_two_transactions_claiming_at_once_never_take_the_same_event(self):
        with self.committing('paylocity.event'), self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            # A claims without committing: it holds its row locks while B claims.
            events_a = api.Environment(cr_a, SUPERUSER_ID, {'commit': False})['paylocity.event']
            events_b = api.Environment(cr_b, SUPERUSER_ID, {})['paylocity.event']
            claimed_a = events_a._claim_due(5)
            claimed_b = events_b._claim_due(5)
            cr_a.commit()
            self.assertEqual((len(claimed_a), len(claimed_b)), (5, 5))
            self.assertFalse(set(claimed_a.ids) & set(claimed_b.ids))
            self.assertLessEqual(set(claimed_a.ids) | set(claimed_b.ids), set(self.event_ids))

    def test_concurrent_workers_claim_every_event_exactly_once(self):
        taken = []
        errors = []
        barrier = threading.Barrier(3)

        def worker():
            try:
                with self.registry.cursor() as cr:
                    # The registry is given, not looked up: the test runner's thread holds the registries' lock.
                    cr.transaction = Transaction(self.registry)
                    Event = api.Environment(cr, SUPERUSER_ID, {})['paylocity.event']
                    barrier.wait(timeout=30)
                    while claimed := Event._claim_due(1):
                        taken.extend(claimed.ids)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        with self.committing('paylocity.event'):
            threads = [threading.Thread(target=worker) for _n in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(sorted(taken), sorted(self.event_ids), "every event claimed, none twice")
        with self.registry.cursor() as cr:
            events = api.Environment(cr, SUPERUSER_ID, {})['paylocity.event'].browse(self.event_ids)
            self.assertEqual(set(events.mapped('state')), {'processing'})
            self.assertEqual(len(set(events.mapped('claim_token'))), len(events))
            self.assertEqual(set(events.mapped('attempt_count')), {1})

    def test_a_claimed_event_briefly_locked_elsewhere_is_still_processed(self):
        """Another transaction holding the claimed row for an instant (as a claimer's scan does until it commits)
        must not leave the event claimed until its lease ends."""
        with self.committing('paylocity.event'), self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            events = api.Environment(cr_a, SUPERUSER_ID, {})['paylocity.event']
            event = events._claim_due(1)
            cr_b.execute("SELECT id FROM paylocity_event WHERE id = %s FOR NO KEY UPDATE", [event.id])
            releaser = threading.Timer(0.5, cr_b.commit)
            releaser.start()
            event._run_claimed()
            releaser.join(timeout=30)
            cr_a.commit()
            event.invalidate_recordset()
            self.assertFalse(event.claim_token, "the claim ended with the attempt")
            self.assertNotEqual(event.state, 'processing')
            self.assertEqual(event.attempt_count, 1)

    def test_a_connection_cron_commits_each_connection_and_rolls_back_the_failing_one(self):
        first, second = self.connection_ids

        def poll(connection):
            if connection.id in (first, second):
                connection.env['res.partner'].create({'name': 'JQ committed %s' % connection.id})
            if connection.id == first:
                raise OverflowError("boom")
            return connection.env['paylocity.event']

        with self.committing('paylocity.connection'), \
                patch.object(type(self.env['paylocity.connection']), '_poll_pay_runs', poll), QUIET, \
                self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})['paylocity.connection']._cron_poll_pay_runs()
            cr.rollback()   # whatever the cron did not commit is lost here
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            traces = env['res.partner'].search([('name', '=like', 'JQ committed %')]).mapped('name')
            self.assertEqual(traces, ['JQ committed %s' % second])
            failures = env['paylocity.connection'].browse(first).cron_failures
            self.assertEqual(failures['payroll_poll']['count'], 1)
            self.assertFalse(env['paylocity.connection'].browse(second).cron_failures)
