# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Background processing of stored events: handlers, retries, failure, replay, unsupported types, polls,
abandoned claims, retention and access, in real Odoo with test-only handlers."""
import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..paylocity.errors import RateLimited
from .common import EventSetupMixin, employee_change_body, new_hire_body, payroll_body, time_off_body

QUIET = mute_logger('odoo.addons.paylocity_connector.models.paylocity_job_mixin')


@tagged('post_install', '-at_install')
class TestEventProcessing(EventSetupMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_event_fixtures()

    def make_due(self, event):
        event.sudo().write({'next_try_at': fields.Datetime.now() - timedelta(seconds=1)})

    def partner_handler(self):
        """An idempotent handler with a visible effect: one partner per Paylocity employee."""
        def handler(event):
            ref = 'PL-%s' % event.paylocity_employee_code
            partner = event.env['res.partner'].search([('ref', '=', ref)])
            if not partner:
                partner = event.env['res.partner'].create({'name': 'Hire %s' % ref, 'ref': ref})
            return {'result_message': 'partner %s' % partner.id}
        return handler

    # === SUCCESS AND LINKS === #
    def test_handler_links_are_written_and_run_in_the_event_company(self):
        employee = self.env['hr.employee'].create({'name': 'Linked Person', 'company_id': self.company_a.id})
        companies = []

        def handler(event):
            companies.append(event.env.company)
            return {'employee_id': employee.id, 'result_message': 'bound'}
        self.patch_handler('new_hire', handler)
        event = self.store(new_hire_body('E200'))
        self.process_events()
        self.assertRecordValues(event, [{'state': 'done', 'employee_id': employee.id, 'result_message': 'bound',
                                         'attempt_count': 1, 'last_error': False, 'next_try_at': False}])
        self.assertTrue(event.processed_at)
        self.assertEqual(companies, [self.company_a])
        self.assertRecordValues(event.attempt_ids, [{'outcome': 'done', 'origin': 'first', 'message': 'bound',
                                                     'user_id': self.env.user.id}])
        self.assertTrue(event.attempt_ids.finished_at)

    def test_handler_may_not_write_spine_fields(self):
        self.patch_handler('new_hire', lambda event: {'state': 'done'})
        event = self.store(new_hire_body('E201'))
        with QUIET:
            self.process_events()
        self.assertEqual(event.state, 'retrying')
        self.assertIn('may not write: state', event.last_error)

    def test_a_link_the_database_refuses_fails_the_attempt_only(self):
        self.patch_handler('new_hire', lambda event: {'employee_id': 2 ** 31 - 1})
        event = self.store(new_hire_body('E214'))
        with QUIET, mute_logger('odoo.sql_db'):
            self.process_events()
        self.assertRecordValues(event, [{'state': 'retrying', 'employee_id': False, 'attempt_count': 1}])
        self.assertIn('ForeignKeyViolation', event.last_error)
        self.assertEqual(event.attempt_ids.outcome, 'retrying')

    # === FAILURE, RETRY, GIVING UP === #
    def test_failing_handler_retries_later_then_completes(self):
        def failing(event):
            event.env['res.partner'].create({'name': 'half-done work', 'ref': 'PL-HALF'})
            raise ValueError("Paylocity said no")
        self.patch_handler('new_hire', failing)
        event = self.store(new_hire_body('E202'))
        before = fields.Datetime.now()
        with QUIET:
            self.process_events()
        self.assertRecordValues(event, [{'state': 'retrying', 'attempt_count': 1,
                                         'last_error': 'ValueError: Paylocity said no'}])
        self.assertGreaterEqual(event.next_try_at, before + timedelta(seconds=60))
        self.assertFalse(self.env['res.partner'].search([('ref', '=', 'PL-HALF')]),
                         "a failed attempt's effects are rolled back")
        self.assertRecordValues(event.attempt_ids, [{'outcome': 'retrying',
                                                     'message': 'ValueError: Paylocity said no'}])
        cron = self.env.ref('paylocity_connector.ir_cron_paylocity_event_process')
        self.assertTrue(self.env['ir.cron.trigger'].search([('cron_id', '=', cron.id),
                                                            ('call_at', '=', event.next_try_at)]),
                        "the processor is woken for the retry")
        # Not due yet: another run leaves it alone.
        self.process_events()
        self.assertEqual(event.attempt_count, 1)
        # Due, and the cause is gone: a later run completes it.
        self.patch_handler('new_hire', self.partner_handler())
        self.make_due(event)
        self.process_events()
        self.assertRecordValues(event, [{'state': 'done', 'attempt_count': 2, 'last_error': False}])
        self.assertEqual(event.attempt_ids.sorted('id').mapped('outcome'), ['retrying', 'done'])
        self.assertEqual(event.attempt_ids.sorted('id').mapped('origin'), ['first', 'retry'])

    def test_backoff_grows_then_fails_with_an_activity(self):
        self.connection.sudo().event_max_attempts = 3
        self.connection.user_id = self.admin_user

        def failing(event):
            raise RuntimeError("still broken")
        self.patch_handler('payroll_processed', failing)
        event = self.store(payroll_body('2026013001'))
        delays = []
        for _attempt in range(3):
            now = fields.Datetime.now()
            with QUIET:
                self.process_events()
            if event.next_try_at:
                delays.append((event.next_try_at - now).total_seconds())
                self.make_due(event)
        self.assertEqual(len(delays), 2)
        self.assertTrue(60 <= delays[0] < 120 <= delays[1] < 240, delays)
        self.assertRecordValues(event, [{'state': 'failed', 'attempt_count': 3, 'next_try_at': False,
                                         'last_error': 'RuntimeError: still broken'}])
        self.assertEqual(event.attempt_ids.mapped('outcome').count('failed'), 1)
        activity = event.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.admin_user)
        self.assertIn('failed after 3 attempts', event.message_ids[0].body)
        # Failed means failed: the processor does not pick it up again by itself.
        self.process_events()
        self.assertEqual(event.attempt_count, 3)

    def test_rate_limit_retry_after_is_honoured(self):
        def limited(event):
            raise RateLimited("Paylocity rate limit reached", retry_after=900)
        self.patch_handler('new_hire', limited)
        event = self.store(new_hire_body('E203'))
        now = fields.Datetime.now()
        with QUIET:
            self.process_events()
        self.assertEqual(event.state, 'retrying')
        self.assertGreaterEqual((event.next_try_at - now).total_seconds(), 900)

    # === REPLAY === #
    def test_replay_of_a_done_event_changes_nothing(self):
        self.patch_handler('new_hire', self.partner_handler())
        event = self.store(new_hire_body('E204'))
        self.process_events()
        partner = self.env['res.partner'].search([('ref', '=', 'PL-E204')])
        self.assertEqual(len(partner), 1)
        snapshot = partner.read(['name', 'ref', 'write_date'])
        action = event.with_user(self.admin_user).action_replay()
        self.assertEqual(action['params']['type'], 'success')
        self.assertRecordValues(event, [{'state': 'received', 'attempt_count': 0,
                                         'replayed_by_id': self.admin_user.id}])
        self.assertIn('Replay requested by', event.message_ids[0].body)
        self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertEqual(self.env['res.partner'].search([('ref', '=', 'PL-E204')]), partner)
        self.assertEqual(partner.read(['name', 'ref', 'write_date']), snapshot)
        replay_attempt = event.attempt_ids.sorted('id')[-1]
        self.assertRecordValues(replay_attempt, [{'origin': 'replay', 'user_id': self.admin_user.id,
                                                  'outcome': 'done'}])

    def test_replay_of_failed_events_from_the_list(self):
        self.connection.sudo().event_max_attempts = 1
        self.patch_handler('new_hire', lambda event: 1 / 0)
        events = self.store(new_hire_body('E205')) | self.store(new_hire_body('E206'))
        duplicate = self.store(new_hire_body('E205'))
        with QUIET:
            self.process_events()
        self.assertEqual(set(events.mapped('state')), {'failed'})
        self.patch_handler('new_hire', self.partner_handler())
        action = (events | duplicate).with_user(self.admin_user).action_replay()
        self.assertIn('1 skipped', action['params']['message'])
        self.process_events()
        self.assertEqual(set(events.mapped('state')), {'done'})
        self.assertEqual(duplicate.state, 'duplicate')

    def test_only_administrators_replay(self):
        event = self.store(new_hire_body('E207'))
        with self.assertRaises(AccessError):
            event.with_user(self.pl_user).action_replay()

    # === UNSUPPORTED === #
    def test_event_without_handler_waits_until_one_exists(self):
        self.patch_handler('time_off_approval', None)
        event = self.store(time_off_body('E208'))
        self.process_events()
        self.assertRecordValues(event, [{'state': 'unsupported', 'attempt_count': 0, 'last_error': False}])
        self.assertIn('No handler for Time Off Approval events', event.result_message)
        self.assertEqual(event.attempt_ids.mapped('outcome'), ['unsupported'])
        self.process_events()
        self.assertEqual(len(event.attempt_ids), 1, "waiting is not retrying")
        calls = self.record_calls('time_off_approval')
        self.process_events()
        self.assertEqual(calls, [event.id])
        self.assertEqual(event.state, 'done')

    # === POLLS === #
    def test_poll_finding_meets_the_webhook_of_the_same_fact(self):
        calls = self.record_calls('payroll_processed')
        webhook = self.store(payroll_body('2026012301'))
        Event = self.env['paylocity.event']
        polled = Event._create_from_poll(self.connection, 'payroll_processed', webhook.dedup_key,
                                         {'checkDate': '2026-01-23', 'process': '2026012301'},
                                         process_code='2026012301')
        self.assertRecordValues(polled, [{'state': 'duplicate', 'source': 'poll', 'duplicate_of_id': webhook.id}])
        fresh = Event._create_from_poll(self.connection, 'payroll_processed', 'payroll_processed:W1001:2026013001',
                                        {'checkDate': '2026-01-30'}, process_code='2026013001')
        self.assertRecordValues(fresh, [{'state': 'received', 'source': 'poll', 'process_code': '2026013001'}])
        self.assertEqual(json.loads(fresh.sudo().payload), {'checkDate': '2026-01-30'})
        self.process_events()
        self.assertEqual(sorted(calls), sorted((webhook | fresh).ids))

    # === ABANDONED WORK === #
    def test_claim_of_a_stopped_worker_is_taken_back(self):
        calls = self.record_calls('new_hire')
        started, waiting = self.store(new_hire_body('E209')), self.store(new_hire_body('E210'))
        Event = self.env['paylocity.event']
        # The worker died: one event had its attempt running (a claim starts an attempt), the other was still
        # waiting to be claimed.
        claimed = Event._claim_due(1)
        self.assertEqual(claimed, started)
        long_ago = fields.Datetime.now() - timedelta(hours=2)
        claimed.write({'claimed_at': long_ago})
        self.process_events()
        self.assertEqual(calls, [waiting.id], "the never-started one runs at once")
        self.assertEqual(waiting.state, 'done')
        self.assertRecordValues(started, [{'state': 'retrying', 'attempt_count': 1}])
        self.assertIn('interrupted', started.last_error)
        self.assertEqual(started.attempt_ids.outcome, 'abandoned')
        self.make_due(started)
        self.process_events()
        self.assertEqual(started.state, 'done')

    def test_claimed_events_are_not_claimed_twice(self):
        self.store(new_hire_body('E211'))
        Event = self.env['paylocity.event']
        self.assertEqual(len(Event._claim_due(10)), 1)
        self.assertFalse(Event._claim_due(10))

    # === RETENTION === #
    def test_old_payloads_are_erased_and_metadata_kept(self):
        self.record_calls('payroll_processed')
        self.patch_handler('employee_change', lambda event: 1 / 0)
        old_done = self.store(payroll_body('2025090501'))
        with QUIET:
            old_retrying = self.store(employee_change_body('E212'))
            self.process_events()
        recent = self.store(payroll_body('2026010201'))
        self.process_events()
        self.assertEqual((old_done.state, old_retrying.state, recent.state), ('done', 'retrying', 'done'))
        other = self.store(payroll_body('2025090501'), connection=self.connection_b)
        self.connection_b.sudo().event_retention_days = 0   # keep forever
        self.env.cr.execute("UPDATE paylocity_event SET received_at = received_at - interval '100 days' WHERE id IN %s",
                            [(old_done.id, old_retrying.id, other.id)])
        self.env.invalidate_all()
        self.env['paylocity.event']._cron_purge_payloads()
        self.assertFalse(old_done.sudo().payload)
        self.assertTrue(old_done.payload_purged_at)
        self.assertRecordValues(old_done, [{'event_type': 'payroll_processed', 'process_code': '2025090501',
                                            'remote_addr': '127.0.0.1', 'state': 'done'}])
        self.assertEqual(len(old_done.attempt_ids), 1)
        self.assertTrue(old_retrying.sudo().payload, "pending events keep their payload")
        self.assertTrue(recent.sudo().payload)
        self.assertTrue(other.sudo().payload, "retention 0 keeps payloads")
        # The old key was released too: the same process id is a new delivery again.
        self.assertFalse(old_done.dedup_slot)
        self.assertEqual(self.store(payroll_body('2025090501')).state, 'received')

    def test_every_finished_state_is_purged_and_refused_deliveries_go(self):
        """Unsupported (Time Off Approval has no handler), failed and duplicate events kept their payloads forever,
        and refused deliveries their rows."""
        self.patch_handler('time_off_approval', None)
        self.patch_handler('employee_change', lambda event: 1 / 0)
        self.connection.sudo().event_max_attempts = 1
        unsupported = self.store(time_off_body('E214'))
        with QUIET:
            failed = self.store(employee_change_body('E215'))
            self.process_events()
        duplicate = self.store(time_off_body('E214'))
        Event = self.env['paylocity.event'].sudo()
        old_refusal = Event._record_rejection(self.connection, "missing or wrong Basic auth", 401,
                                              {'remote_addr': '127.0.0.1', 'headers': {}})
        recent_refusal = Event._record_rejection(self.connection, "body is not JSON", 400,
                                                 {'remote_addr': '127.0.0.1', 'headers': {}})
        old = unsupported | failed | duplicate | old_refusal
        self.assertEqual(old.mapped('state'), ['unsupported', 'failed', 'duplicate', 'rejected'])
        self.assertTrue(all((unsupported | failed | duplicate).mapped('payload')))
        self.env.cr.execute("""UPDATE paylocity_event SET received_at = received_at - interval '91 days',
                                      last_refused_at = last_refused_at - interval '91 days' WHERE id IN %s""",
                            [tuple(old.ids)])
        self.env.invalidate_all()
        Event._cron_purge_payloads()
        for event in unsupported | failed | duplicate:
            self.assertFalse(event.payload, "%s events are purged too" % event.state)
            self.assertTrue(event.payload_purged_at)
        self.assertFalse(old_refusal.exists(), "a refused delivery goes after the retention period")
        self.assertTrue(recent_refusal.exists())
        # A row that still counts refusals is not old, whenever its first one came.
        self.env.cr.execute("UPDATE paylocity_event SET received_at = received_at - interval '91 days' WHERE id = %s",
                            [recent_refusal.id])
        self.env.invalidate_all()
        Event._cron_purge_payloads()
        self.assertTrue(recent_refusal.exists())

    # === ACCESS === #
    def test_users_see_their_companies_events_and_only_administrators_the_payload(self):
        mine = self.store(new_hire_body('E213'))
        theirs = self.store(new_hire_body('E213', company='W2002'), connection=self.connection_b)
        Event = self.env['paylocity.event']
        visible = Event.with_user(self.pl_user).search([('id', 'in', (mine | theirs).ids)])
        self.assertEqual(visible, mine)
        self.assertEqual(mine.with_user(self.pl_user).event_type, 'new_hire')
        with self.assertRaises(AccessError):
            mine.with_user(self.pl_user).read(['payload'])
        with self.assertRaises(AccessError):
            mine.with_user(self.pl_user).write({'state': 'done'})
        self.assertIn('E213', mine.with_user(self.admin_user).payload)
        with self.assertRaises(AccessError):
            theirs.with_user(self.admin_user).read(['state'])
