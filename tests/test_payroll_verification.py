# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Posted pay runs stay in agreement with Paylocity: what the sandbox changes after posting (a void, a manual check)
becomes one correcting entry equal to the change, computed here from the sandbox's own statements; nothing changed
costs no extra call; draft corrections wait for the accountant; locked periods move entries to the first open day."""
import datetime
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import release_test_lock

from .common import PayrollCase


@tagged('post_install', '-at_install')
class TestPayrollVerification(PayrollCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.next_offset = 0

    # === HELPERS === #
    def next_check_date(self):
        """A check date of its own for a run the test adds to the sandbox (the sandbox outlives each test)."""
        type(self).next_offset += 7
        return self.history_date + datetime.timedelta(days=self.next_offset)

    def add_run(self, check_date, **connection_values):
        """A regular run added to the sandbox on ``check_date``, announced and processed: (sandbox run, pay run)."""
        self.connection.write(dict({'payroll_posting': 'post'}, **connection_values))
        process_id = self.sandbox.run_payroll('C1001', check_date.isoformat())
        self.deliver_payroll(process_id)
        self.process_all()
        sandbox_run = self.data().run(process_id)
        return sandbox_run, self.run_of(sandbox_run)

    def new_posted_run(self, **connection_values):
        """A regular run added to the sandbox on a check date of its own, announced, fetched and posted."""
        sandbox_run, run = self.add_run(self.next_check_date(), **connection_values)
        self.assertEqual(run.state, 'posted', run.hold_reason or run.last_error)
        return sandbox_run, run

    def verify(self, sandbox_run):
        with release_test_lock():
            self.connection._poll_pay_runs(today=sandbox_run.check_date)
        self.env.invalidate_all()

    def statements_of(self, sandbox_run, *numbers):
        return SimpleNamespace(statements=[s for s in sandbox_run.statements if s.transaction_number in numbers])

    def corrections(self, run):
        return self.moves_of(run).filtered('paylocity_fingerprint')

    def balances_of(self, moves):
        total = defaultdict(Decimal)
        for move in moves:
            for key, value in self.posted_balances(move).items():
                total[key] += value
        return {key: value for key, value in total.items() if value}

    def payruns_view(self, process_id):
        """The run's totals as the sandbox's own control route reports them."""
        import json
        import urllib.request
        with urllib.request.urlopen('%s/_sandbox/companies/C1001/payruns' % self.sandbox.base_url) as answer:
            runs = json.load(answer, parse_float=Decimal)
        return next(run for run in runs if run['processId'] == process_id)

    # === TESTS === #
    def test_a_voided_check_gives_one_correction_equal_to_minus_its_lines(self):
        sandbox_run, run = self.new_posted_run(payroll_correction_posting='post')
        original = run.move_id
        voided = sandbox_run.statements[2]
        check_lines = self.expected(self.statements_of(sandbox_run, voided.transaction_number))

        void_number = self.sandbox.void_check('C1001', sandbox_run.process_id, voided.employee_id)
        self.verify(sandbox_run)

        correction = self.corrections(run)
        self.assertEqual(len(correction), 1)
        self.assertEqual(correction.state, 'posted')
        self.assertEqual(correction.paylocity_pay_run_id, run)
        self.assertEqual(correction.paylocity_entry_kind, 'correction')
        self.assertEqual(self.posted_balances(correction), {key: -value for key, value in check_lines.items()})
        self.assertEqual(self.posted_balances(correction),
                         self.expected(self.statements_of(sandbox_run, void_number)))
        self.assertIn(str(void_number), correction.paylocity_reason)
        self.assertIn(voided.employee_id, correction.paylocity_reason)
        self.assertIn('void', correction.paylocity_reason)
        self.assertEqual(original.state, 'posted', "the original entry is never edited")
        self.assertEqual(self.posted_balances(original), self.expected(self.statements_of(
            sandbox_run, *[s.transaction_number for s in sandbox_run.statements if s.transaction_number != void_number])))

        # The run's entries now add up to the sandbox's current run, per account and analytic, and in total.
        self.assertEqual(self.balances_of(self.moves_of(run)), self.expected(sandbox_run))
        view = self.payruns_view(sandbox_run.process_id)
        self.assertEqual(Decimal(str(run.posted_gross)).quantize(Decimal('0.01')), Decimal(view['grossPay']))
        self.assertEqual(Decimal(str(run.posted_net)).quantize(Decimal('0.01')), Decimal(view['netPay']))
        self.assertEqual(Decimal(str(run.paylocity_net)).quantize(Decimal('0.01')), Decimal(view['netPay']))
        self.assertEqual(run.agreement, 'agreed')
        self.assertIn('In agreement with Paylocity as of', run.agreement_label)
        # The void is stored as the run's statement now, and traces to the entry that booked it.
        stored = run.statement_ids.filtered(lambda s: s.transaction_number == void_number)
        self.assertEqual(stored.correction_move_id, correction)
        self.assertEqual(stored.transaction_type, 'Void')

    def test_a_manual_check_added_to_a_posted_run_gives_its_correction(self):
        sandbox_run, run = self.new_posted_run(payroll_correction_posting='post')
        employee = sandbox_run.statements[0].employee_id
        number = self.sandbox.manual_check('C1001', sandbox_run.process_id, employee, '812.40')
        self.verify(sandbox_run)
        correction = self.corrections(run)
        self.assertEqual(len(correction), 1)
        self.assertEqual(self.posted_balances(correction), self.expected(self.statements_of(sandbox_run, number)))
        self.assertIn('manual check %s added' % number, correction.paylocity_reason)
        self.assertEqual(self.balances_of(self.moves_of(run)), self.expected(sandbox_run))

    def test_nothing_changed_makes_no_entry_costs_no_call_and_moves_the_agreement_time(self):
        sandbox_run, run = self.new_posted_run()
        # Today's discovery alone (verification off) ...
        self.connection.payroll_verify_days = 0
        self.sandbox.reset_calls()
        self.verify(sandbox_run)
        discovery_calls = len(self.statement_calls())
        self.assertFalse(run.verified_at)
        # ... and with verification of the posted run.
        self.connection.payroll_verify_days = 35
        run.sudo().verified_at = '2020-01-01 00:00:00'
        self.sandbox.reset_calls()
        self.verify(sandbox_run)
        with_verification = len(self.statement_calls())
        self.assertGreater(discovery_calls, 0)
        self.assertLessEqual(with_verification, discovery_calls * 1.05)
        self.assertFalse([c for c in self.statement_calls() if '/details' in c.path],
                         "nothing changed: no detail is read again")
        self.assertEqual(self.moves_of(run), run.move_id)
        self.assertGreater(run.verified_at, datetime.datetime(2020, 1, 2))
        self.assertEqual(run.agreement, 'agreed')

    def test_the_same_change_seen_by_two_rounds_makes_one_correction(self):
        sandbox_run, run = self.new_posted_run(payroll_correction_posting='post')
        self.sandbox.void_check('C1001', sandbox_run.process_id, sandbox_run.statements[1].employee_id)
        self.verify(sandbox_run)
        self.verify(sandbox_run)
        self.assertEqual(len(self.corrections(run)), 1)
        # A round that booked the difference but stopped before storing the statements (undone by hand here) finds
        # the same difference again: it only catches up, no second entry.
        correction = self.corrections(run)
        Statement = self.env['paylocity.pay.run.statement'].with_context(active_test=False)
        Line = self.env['paylocity.pay.run.line'].with_context(active_test=False)
        for model in (Statement, Line):
            model.search([('correction_move_id', '=', correction.id)]).unlink()
            model.search([('superseded_by_move_id', '=', correction.id)]).write({'active': True})
        self.verify(sandbox_run)
        self.assertEqual(self.corrections(run), correction)
        self.assertEqual(self.balances_of(self.moves_of(run)), self.expected(sandbox_run))

    def test_draft_corrections_post_nothing_until_the_accountant_posts_them(self):
        sandbox_run, run = self.new_posted_run()
        self.assertEqual(self.connection.payroll_correction_posting, 'draft', "draft is the default")
        before = self.balances_of(self.moves_of(run).filtered(lambda m: m.state == 'posted'))
        posted_net = run.posted_net
        self.sandbox.void_check('C1001', sandbox_run.process_id, sandbox_run.statements[0].employee_id)
        self.verify(sandbox_run)
        correction = self.corrections(run)
        self.assertEqual((len(correction), correction.state), (1, 'draft'))
        self.assertEqual(self.balances_of(self.moves_of(run).filtered(lambda m: m.state == 'posted')), before)
        self.assertEqual(run.posted_net, posted_net)
        self.assertEqual(run.agreement, 'differs')
        self.assertIn(correction.display_name, run.agreement_label)
        self.assertIn(run, self.env['paylocity.pay.run'].search([('agreement', '=', 'differs')]))
        self.assertTrue(run.activity_ids.filtered(lambda a: a.summary == 'Review the Paylocity correction'))
        # Another round does not add a second draft.
        self.verify(sandbox_run)
        self.assertEqual(self.corrections(run), correction)

        correction.action_post()
        self.env.invalidate_all()
        self.assertEqual(run.agreement, 'agreed')
        self.assertNotIn(run, self.env['paylocity.pay.run'].search([('agreement', '=', 'differs')]))
        self.assertFalse(run.activity_ids.filtered(lambda a: a.summary == 'Review the Paylocity correction'))
        self.assertEqual(self.balances_of(self.moves_of(run)), self.expected(sandbox_run))

    def test_a_deleted_draft_correction_opens_the_difference_again(self):
        sandbox_run, run = self.new_posted_run()
        self.sandbox.void_check('C1001', sandbox_run.process_id, sandbox_run.statements[0].employee_id)
        self.verify(sandbox_run)
        self.corrections(run).unlink()
        self.verify(sandbox_run)
        correction = self.corrections(run)
        self.assertEqual(len(correction), 1)
        correction.action_post()
        self.assertEqual(self.balances_of(self.moves_of(run)), self.expected(sandbox_run))

    def test_a_change_needing_an_unmapped_code_opens_a_difference_and_is_corrected_once_mapped(self):
        sandbox_run, run = self.new_posted_run(payroll_correction_posting='post')
        self.setup['C1001']['rules'].filtered(lambda r: r.code_id.code == 'SUTA').unlink()
        self.sandbox.void_check('C1001', sandbox_run.process_id, sandbox_run.statements[0].employee_id)
        self.verify(sandbox_run)
        self.assertFalse(self.corrections(run))
        self.assertEqual(run.agreement, 'differs')
        self.assertIn('SUTA', run.open_difference)
        self.assertIn(run, self.env['paylocity.pay.run'].search([('agreement', '=', 'differs')]))
        self.verify(sandbox_run)   # still unmapped: still nothing, no error
        self.assertFalse(self.corrections(run))

        self._make_rule(self.setup['C1001'], 'SUTA')
        self.verify(sandbox_run)
        self.assertEqual(len(self.corrections(run)), 1)
        self.assertFalse(run.open_difference)
        self.assertEqual(run.agreement, 'agreed')
        self.assertEqual(self.balances_of(self.moves_of(run)), self.expected(sandbox_run))

    def test_paylocity_failing_during_verification_leaves_the_run_as_posted_until_the_next_round(self):
        sandbox_run, run = self.new_posted_run(payroll_correction_posting='post')
        employee = sandbox_run.statements[0].employee_id
        self.sandbox.void_check('C1001', sandbox_run.process_id, employee)
        # The changed employee's details cannot be read today: nothing is corrected, nothing fails.
        self.sandbox.inject('status', count=20, status=500, path='/employees/%s/paystatement/details' % employee)
        self.verify(sandbox_run)
        self.sandbox.clear_faults()
        self.assertFalse(self.corrections(run))
        self.assertEqual(run.state, 'posted')
        # Nor when the summaries cannot be read.
        self.sandbox.inject('status', count=20, status=500, path='/employees/%s/paystatement/summary' % employee)
        self.verify(sandbox_run)
        self.sandbox.clear_faults()
        self.assertFalse(self.corrections(run))
        # The next round reads them and books the void once.
        self.verify(sandbox_run)
        self.assertEqual(len(self.corrections(run)), 1)
        self.assertEqual(self.balances_of(self.moves_of(run)), self.expected(sandbox_run))

    def test_a_check_date_in_a_locked_period_is_posted_on_the_first_open_day_and_says_so(self):
        check_date = self.next_check_date()
        self.company_a.sudo().fiscalyear_lock_date = check_date
        try:
            sandbox_run, run = self.add_run(check_date, payroll_correction_posting='post')
            move = run.move_id
            self.assertEqual((run.state, move.state), ('posted', 'posted'), run.last_error)
            first_open = check_date + datetime.timedelta(days=1)
            self.assertGreaterEqual(move.date, first_open)
            self.assertEqual((move.date.year, move.date.month), (first_open.year, first_open.month))
            self.assertEqual(move.paylocity_moved_from, check_date)
            self.assertIn('first open day', ' '.join(run.message_ids.mapped('body')))
            self.assertEqual(self.posted_balances(move), self.expected(sandbox_run))

            # A correction of that run goes to an open day too.
            self.sandbox.void_check('C1001', sandbox_run.process_id, sandbox_run.statements[0].employee_id)
            self.verify(sandbox_run)
            correction = self.corrections(run)
            self.assertEqual((len(correction), correction.state), (1, 'posted'))
            self.assertGreater(correction.date, check_date)
            self.assertEqual(correction.paylocity_moved_from, check_date)
        finally:
            self.company_a.sudo().fiscalyear_lock_date = False

    def test_waiting_for_the_accountant_in_a_locked_period(self):
        check_date = self.next_check_date()
        self.company_a.sudo().fiscalyear_lock_date = check_date
        try:
            _sandbox_run, run = self.add_run(check_date, payroll_locked_period='wait')
            self.assertEqual((run.state, run.move_id.state, run.move_id.date), ('posted', 'draft', check_date))
            self.assertTrue(run.activity_ids.filtered(lambda a: a.summary == 'Entry date in a locked period'))
            # Processing again never loops or errs.
            run.sudo().next_try_at = self.now()
            self.process_runs()
            self.assertEqual(self.moves_of(run), run.move_id)
            run.move_id.action_post()
            self.assertGreater(run.move_id.date, check_date)
            self.assertEqual(run.move_id.paylocity_moved_from, check_date)
        finally:
            self.company_a.sudo().fiscalyear_lock_date = False

    def test_checking_posted_runs_needs_accounting_rights(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.pl_user).action_verify_pay_runs()

    def test_the_monthly_reconciliation_shows_paylocity_beside_the_books(self):
        sandbox_run, run = self.new_posted_run()
        month = sandbox_run.check_date.replace(day=1)
        Reconciliation = self.env['paylocity.reconciliation']

        def row():
            self.env.flush_all()
            self.env.invalidate_all()
            found = Reconciliation.search([('connection_id', '=', self.connection.id), ('month', '=', month)])
            self.assertEqual(len(found), 1)
            return found

        view = self.payruns_view(sandbox_run.process_id)
        self.assertTrue(row().in_agreement)
        self.assertEqual(Decimal(str(row().net_pay_balance)).quantize(Decimal('0.01')), view['netPay'])

        voided = sandbox_run.statements[3]
        self.sandbox.void_check('C1001', sandbox_run.process_id, voided.employee_id)
        self.verify(sandbox_run)
        # The correction waits in draft: Paylocity's side moved, the books did not.
        current = self.payruns_view(sandbox_run.process_id)
        self.assertFalse(row().in_agreement)
        self.assertEqual(Decimal(str(row().paylocity_net)).quantize(Decimal('0.01')), current['netPay'])
        self.assertEqual(Decimal(str(row().net_pay_balance_difference)).quantize(Decimal('0.01')), -voided.net)
        self.assertEqual(Decimal(str(row().gross_difference)).quantize(Decimal('0.01')), -voided.gross)

        self.corrections(run).action_post()
        self.env.invalidate_all()
        self.assertTrue(row().in_agreement)
        self.assertEqual(Decimal(str(row().posted_gross)).quantize(Decimal('0.01')), current['grossPay'])
        self.assertEqual(Decimal(str(row().posted_employee_taxes)).quantize(Decimal('0.01')), current['employeeTaxes'])
        self.assertEqual(Decimal(str(row().posted_deductions)).quantize(Decimal('0.01')), current['deductions'])
        self.assertEqual(Decimal(str(row().net_pay_balance)).quantize(Decimal('0.01')), current['netPay'])
        # Balances per account are exactly the sandbox's current run.
        accounts = self.env['paylocity.reconciliation.account'].search(
            [('connection_id', '=', self.connection.id), ('month', '=', month)])
        expected = defaultdict(Decimal)
        for (account, _analytic), value in self.expected(sandbox_run).items():
            expected[account] += value
        self.assertEqual({a.account_id.id: Decimal(str(a.balance)).quantize(Decimal('0.01')) for a in accounts
                          if a.balance}, {k: v for k, v in expected.items() if v})

        # A posted reversal of the correction undoes it in the reconciliation.
        self.corrections(run)._reverse_moves(cancel=True)
        self.assertFalse(row().in_agreement)

    def test_reconciliation_amounts_are_for_accountants_only(self):
        with self.assertRaises(AccessError):
            self.env['paylocity.reconciliation'].with_user(self.pl_user).search([])
        with self.assertRaises(AccessError):
            self.env['paylocity.reconciliation.account'].with_user(self.admin_user).search([])

    def test_a_repost_beside_live_corrections_is_refused_until_they_are_reversed(self):
        """A re-post is built from the statements as corrected: beside a live correction it would book that change
        twice. It is refused (naming the corrections), and a confirmed re-post that meets one later waits."""
        sandbox_run, run = self.new_posted_run(payroll_correction_posting='post')
        original = run.move_id
        self.sandbox.void_check('C1001', sandbox_run.process_id, sandbox_run.statements[2].employee_id)
        self.verify(sandbox_run)
        correction = self.corrections(run)
        self.assertEqual(correction.state, 'posted')
        original._reverse_moves([{'date': original.date, 'ref': 'Reversal'}], cancel=True)
        self.assertEqual(run.entry_status, 'reversed')
        with self.assertRaises(UserError) as refused:
            run.with_user(self.accountant)._repost('Mapping fixed')
        self.assertIn('reverse %s' % correction.display_name, str(refused.exception))
        self.assertIn('count them twice', str(refused.exception))
        self.assertEqual(self.moves_of(run), original | correction)
        self.assertFalse(run.repost_confirmed)

        # Reversed, the correction no longer books: the re-post is confirmed, but the build waits for a mapping.
        correction._reverse_moves([{'date': correction.date, 'ref': 'Reversal'}], cancel=True)
        self.rule_of('FITW').unlink()
        run.with_user(self.accountant)._repost('Mapping fixed')
        self.assertEqual((run.state, run.repost_confirmed), ('needs_mapping', True))
        # Meanwhile the correction's reversal is taken back: the correction books again, so the re-post waits.
        correction.reversal_move_ids.button_draft()
        self.assertEqual(run._live_corrections(), correction)
        self._make_rule(self.setup['C1001'], 'FITW')
        run.sudo().next_try_at = self.now()
        self.process_runs()
        self.assertEqual(run.state, 'needs_review')
        self.assertIn(correction.display_name, run.hold_reason)
        self.assertEqual(self.moves_of(run), original | correction)

        # Reversed for good: the waiting re-post is made, and the books hold Paylocity's run once.
        correction.reversal_move_ids.action_post()
        run.sudo().next_try_at = self.now()
        self.process_runs()
        self.assertEqual((run.state, run.move_id.paylocity_generation, run.entry_status), ('posted', 2, 'posted'))
        books = self.moves_of(run) | original.reversal_move_ids | correction.reversal_move_ids
        self.assertEqual(self.balances_of(books.filtered(lambda m: m.state == 'posted')), self.expected(sandbox_run))

    def test_no_correction_is_made_in_a_journal_not_in_us_dollars(self):
        sandbox_run, run = self.new_posted_run(payroll_correction_posting='post')
        euro = self.env.ref('base.EUR')
        euro.active = True
        journal = run.move_id.journal_id
        journal.currency_id = euro
        self.sandbox.void_check('C1001', sandbox_run.process_id, sandbox_run.statements[1].employee_id)
        self.verify(sandbox_run)
        self.assertFalse(self.corrections(run))
        self.assertEqual(run.agreement, 'differs')
        self.assertIn('journal %s is in EUR' % journal.display_name, run.open_difference)

        journal.currency_id = False
        self.verify(sandbox_run)
        self.assertEqual(len(self.corrections(run)), 1)
        self.assertEqual(self.balances_of(self.moves_of(run)), self.expected(sandbox_run))

    def rule_of(self, code):
        return self.setup['C1001']['rules'].filtered(lambda r: r.code == code)
