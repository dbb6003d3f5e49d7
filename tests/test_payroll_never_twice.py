# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""One pay run, one entry: duplicate webhooks, the poll and replays meet on the same run; an entry the accountant
deletes or reverses comes back only through a confirmed re-post; the database refuses a second entry anyway."""
import datetime

import psycopg2.errors

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PayrollCase


@tagged('post_install', '-at_install')
class TestPayrollNeverTwice(PayrollCase):

    def test_duplicate_webhook_poll_and_replay_make_one_entry(self):
        regular, off_cycle = self.latest_runs()
        first = self.deliver_payroll(regular.process_id)
        again = self.deliver_payroll(regular.process_id)
        self.assertEqual((first.state, again.state), ('received', 'duplicate'))

        # The daily poll finds the same run (and the others of its window) before the webhook is processed.
        polled = self.poll(today=regular.check_date)
        by_process = {event.process_code: event for event in polled}
        self.assertEqual(by_process[regular.process_id].state, 'duplicate')
        self.assertEqual(by_process[regular.process_id].duplicate_of_id, first)
        self.assertEqual(by_process[off_cycle.process_id].source, 'poll')
        self.process_all()

        run = self.run_of(regular)
        self.assertEqual(run.state, 'posted')
        self.assertEqual(len(self.moves_of(run)), 1)
        self.assertEqual(self.run_of(off_cycle).state, 'posted')
        on_check_date = regular.check_date.isoformat()
        fetched = len([c for c in self.statement_calls() if on_check_date in c.path])

        # Replay of the processed event, a later poll, another processing round and the Post button: nothing new.
        first.with_user(self.admin_user).action_replay()
        self.process_events()
        self.assertEqual(first.state, 'done')
        self.assertIn('nothing to do', first.result_message)
        self.assertFalse(self.poll(today=regular.check_date).filtered(
            lambda e: e.process_code == regular.process_id))
        run.sudo().next_try_at = self.now()
        self.process_runs()
        run.with_user(self.accountant).action_post()
        found, created = self.env['paylocity.pay.run']._get_or_create(self.connection, regular.check_date,
                                                                       regular.run_id, source='poll')
        self.assertEqual((found, created), (run, False))
        self.assertEqual(self.env['paylocity.pay.run'].search_count([
            ('connection_id', '=', self.connection.id), ('process_code', '=', regular.process_id)]), 1)
        self.assertEqual(len(self.moves_of(run)), 1)
        self.assertEqual(run.post_count, 1)
        # Nothing was fetched again: the statements are stored.
        self.assertEqual(len([c for c in self.statement_calls() if on_check_date in c.path]), fetched)

    def test_the_database_refuses_a_second_entry_for_the_same_run(self):
        regular, run = self.run_latest()
        accounts = self.setup['C1001']['accounts']
        vals = {'move_type': 'entry', 'journal_id': self.connection.journal_id.id, 'date': regular.check_date,
                'paylocity_pay_run_id': run.id, 'paylocity_generation': 1,
                'line_ids': [Command.create({'account_id': accounts['wages'].id, 'debit': 1.0}),
                             Command.create({'account_id': accounts['net'].id, 'credit': 1.0})]}
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger('odoo.sql_db'), self.env.cr.savepoint():
            self.env['account.move'].with_company(self.company_a).create(vals)
        self.assertEqual(len(self.moves_of(run)), 1)

    def test_a_reversed_entry_is_replaced_only_after_a_confirmed_repost(self):
        regular, run = self.run_latest()
        original = run.move_id
        original._reverse_moves([{'date': regular.check_date, 'ref': 'Reversal'}], cancel=True)
        self.assertEqual(run.entry_status, 'reversed')
        self.assertIn('reversed', run.message_ids[0].body)
        self.assertIn(run, self.env['paylocity.pay.run'].search([('entry_status', '=', 'reversed')]))

        # Neither the cron, a replayed webhook nor the Post button makes a new entry on its own.
        run.sudo().next_try_at = self.now()
        self.process_runs()
        self.deliver_payroll(regular.process_id)   # a duplicate within the window: recorded, never processed
        self.process_all()
        run.with_user(self.accountant).action_post()
        self.assertEqual(self.moves_of(run), original)

        wizard = self.env['paylocity.pay.run.repost'].with_user(self.accountant).create(
            {'run_id': run.id, 'reason': 'Reversed to fix the federal tax mapping'})
        with self.assertRaises(UserError):
            wizard.action_repost()   # not confirmed
        wizard.confirm = True
        action = wizard.action_repost()
        self.assertEqual(len(self.moves_of(run)), 2)
        self.assertEqual(action['res_id'], run.move_id.id)
        self.assertEqual((run.move_id.paylocity_generation, run.move_id.state, run.post_count), (2, 'posted', 2))
        self.assertEqual(run.entry_status, 'posted')
        self.assertIn('re-post 2', run.move_id.ref)
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))
        self.assertTrue(run.message_ids.filtered(lambda m: 'Reversed to fix the federal tax mapping' in m.body))
        # Confirmed once means once.
        with self.assertRaises(UserError):
            run.with_user(self.accountant)._repost('again')
        run.sudo().next_try_at = self.now()
        self.process_runs()
        self.assertEqual(len(self.moves_of(run)), 2)

    def test_an_earlier_entry_booking_again_blocks_a_repost(self):
        """The status and the re-post guard look at every entry the run made, not only the latest: an original
        whose reversal is taken back books again, so the run is posted and no third entry is made beside it."""
        regular, _off = self.latest_runs()
        self.deliver_payroll(regular.process_id)
        self.process_all()
        run = self.run_of(regular)
        original = run.move_id
        original._reverse_moves([{'date': regular.check_date, 'ref': 'Reversal'}], cancel=True)
        run.with_user(self.accountant)._repost('Reversed by mistake')
        repost = run.move_id
        repost._reverse_moves([{'date': regular.check_date, 'ref': 'Reversal'}], cancel=True)
        Run = self.env['paylocity.pay.run']
        self.assertEqual(run.entry_status, 'reversed')
        self.assertIn(run, Run.search([('entry_status', '=', 'reversed')]))

        original.reversal_move_ids.button_draft()   # the first reversal is taken back: the original books again
        self.env.invalidate_all()
        self.assertEqual(run.entry_status, 'posted')
        self.assertIn(run, Run.search([('entry_status', '=', 'posted')]))
        self.assertNotIn(run, Run.search([('entry_status', 'in', ('reversed', 'cancelled', 'deleted'))]))
        with self.assertRaises(UserError):
            run.with_user(self.accountant)._repost('Again')
        run.sudo()._set_state('fetched', {'repost_confirmed': True})   # even a confirmation on record
        run.with_user(self.accountant).action_post()
        self.assertEqual(self.moves_of(run), original | repost)
        with self.assertRaises(UserError):
            run.with_user(self.accountant).action_cancel()

        # Its reversal deleted (only a draft can be): the original books, the status stays posted.
        original.reversal_move_ids.unlink()
        self.assertEqual(run.entry_status, 'posted')
        # Both entries gone again: the latest says what happened to them.
        original._reverse_moves([{'date': regular.check_date, 'ref': 'Reversal'}], cancel=True)
        self.assertEqual(run.entry_status, 'reversed')
        repost.reversal_move_ids.button_draft()
        repost.reversal_move_ids.unlink()
        repost.button_draft()
        self.env.invalidate_all()
        self.assertEqual(run.entry_status, 'draft')
        self.assertIn(run, Run.search([('entry_status', '=', 'draft')]))
        repost.unlink()
        self.assertEqual((run.move_id.id, run.entry_status), (False, 'deleted'))
        self.assertIn(run, Run.search([('entry_status', '=', 'deleted')]))

    def test_a_deleted_draft_entry_is_not_recreated_on_its_own(self):
        self.connection.payroll_posting = 'draft'
        _regular, run = self.run_latest()
        run.move_id.unlink()
        self.assertEqual((run.move_id.id, run.entry_status), (False, 'deleted'))
        self.assertIn('was deleted', run.message_ids[0].body)
        run.sudo().next_try_at = self.now()
        self.process_runs()
        self.assertFalse(self.moves_of(run))
        run.with_user(self.accountant)._repost('Deleted by mistake')
        self.assertEqual((run.move_id.state, run.move_id.paylocity_generation), ('draft', 2))
        self.assertEqual(len(self.moves_of(run)), 1)

    def test_poll_finds_a_run_whose_webhook_never_came(self):
        regular, _off = self.latest_runs()
        check_date = regular.check_date + datetime.timedelta(days=28)
        process_id = self.sandbox.run_payroll('C1001', check_date)
        events = self.poll(today=check_date)
        event = events.filtered(lambda e: e.process_code == process_id)
        self.assertEqual((event.source, event.state), ('poll', 'received'))
        self.process_all()
        new_run = self.data().run(process_id)
        run = self.run_of(new_run)
        self.assertEqual((run.source, run.state), ('poll', 'posted'))
        self.assertEqual(event.pay_run_id, run)
        self.assertEqual(self.posted_balances(run.move_id), self.expected(new_run))

    def test_runs_before_the_start_date_are_ignored(self):
        regular, _off = self.latest_runs()
        self.connection.payroll_start_date = regular.check_date + datetime.timedelta(days=1)
        event = self.deliver_payroll(regular.process_id)
        self.process_all()
        self.assertEqual(event.state, 'done')
        self.assertIn('ignored', event.result_message)
        self.assertFalse(self.run_of(regular))
        # (later runs other tests added to the shared sandbox may be found; none before the start date)
        self.assertFalse(self.poll(today=regular.check_date).filtered(
            lambda e: e.check_date < self.connection.payroll_start_date))
