# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Hold, don't guess: an unmapped code or a difference with Paylocity's totals holds the run, names what is wrong,
asks the accountant, and posts nothing; once fixed, the run posts (once)."""
from decimal import Decimal

from odoo.tests import tagged

from .common import PayrollCase


@tagged('post_install', '-at_install')
class TestPayrollHolds(PayrollCase):

    def rule(self, code):
        return self.setup['C1001']['rules'].filtered(lambda r: r.code == code)

    def test_unmapped_code_holds_the_run_then_it_posts_once_mapped(self):
        _regular, off_cycle = self.latest_runs()
        self.rule('BONUS').unlink()
        self.deliver_payroll(off_cycle.process_id)
        self.process_all()
        run = self.run_of(off_cycle)
        self.assertEqual(run.state, 'needs_mapping')
        self.assertFalse(self.moves_of(run))
        bonus = sum((line.amount for s in off_cycle.statements for line in s.lines if line.det_code == 'BONUS'),
                    Decimal(0))
        self.assertEqual([(u.det, u.code, Decimal(str(u.amount)), u.employee_count) for u in run.unmapped_ids],
                         [('E', 'BONUS', bonus, len(off_cycle.statements))])
        self.assertIn('BONUS', run.hold_reason)
        activity = run.activity_ids
        self.assertEqual(activity.summary, 'Pay run needs mapping')
        self.assertEqual(activity.user_id, self.connection._payroll_accountant())
        self.assertIn('BONUS', activity.note)

        # Processing again does not pile up activities; the draft mapping button lists the code to map.
        run.sudo().next_try_at = self.now()
        self.process_runs()
        self.assertEqual(len(run.activity_ids), 1)
        run.with_user(self.accountant).action_create_draft_rules()
        draft = self.env['paylocity.gl.rule'].search([('connection_id', '=', self.connection.id),
                                                      ('code', '=', 'BONUS')])
        self.assertEqual((draft.posting_sides, draft.det), ('draft', 'E'))
        self.process_runs()
        self.assertEqual(run.state, 'needs_mapping')   # a draft mapping has no account yet

        # The accountant fills it in: the run is built again and posts.
        draft.with_user(self.accountant).write({'debit_account_id': self.setup['C1001']['accounts']['bonus'].id})
        self.process_runs()
        self.assertEqual(run.state, 'posted')
        self.assertEqual(len(self.moves_of(run)), 1)
        self.assertEqual(self.posted_balances(run.move_id), self.expected(off_cycle))
        self.assertFalse(run.unmapped_ids)
        self.assertFalse(run.activity_ids, "the accountant's to-do is done once the run posts")

    def test_a_difference_with_paylocity_totals_holds_for_review(self):
        _regular, run = self.fetched_ready_run()
        # A detail line that disagrees with its summary (as a corrected statement in Paylocity could).
        line = run.line_ids.filtered(lambda l: l.det_code == 'REG')[:1]
        line.sudo().amount = line.amount + 1.0
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'needs_review')
        self.assertFalse(self.moves_of(run))
        self.assertIn('Gross', run.hold_reason)
        self.assertIn('difference 1.00', run.hold_reason)
        self.assertIn(line.paylocity_employee_code, run.hold_reason)
        self.assertEqual(run.activity_ids.summary, 'Pay run needs review')

        # The accountant accepts the listed differences: the entry is built from the detail lines, balanced.
        run.with_user(self.accountant).action_accept_differences()
        self.assertEqual(run.state, 'posted')
        move = run.move_id
        self.assertEqual(sum(Decimal(str(line.debit)) for line in move.line_ids),
                         sum(Decimal(str(line.credit)) for line in move.line_ids))
        self.assertAlmostEqual(run.gross - run.paylocity_gross, 1.0, places=2)
        self.assertIn('Differences accepted', run.message_ids.filtered(
            lambda m: 'Differences accepted' in (m.body or ''))[0].body)

    def fetched_ready_run(self):
        self.connection.payroll_posting = 'manual'
        regular, run = self.run_latest()
        self.assertEqual(run.state, 'ready')
        return regular, run

    def test_a_duplicated_or_missing_employer_line_holds_for_review(self):
        """Paylocity's totals say nothing of employer taxes: the statement's own lines must."""
        _regular, run = self.fetched_ready_run()
        by_employee = {}
        for line in run.line_ids.filtered(lambda l: l.det_code == 'FICA-ER'):
            by_employee.setdefault(line.paylocity_employee_code, line)
        (doubled, doubled_line), (missing, missing_line) = list(by_employee.items())[:2]
        self.assertEqual(doubled_line.det_type, 'ER')
        doubled_line.sudo().copy()
        missing_line.sudo().unlink()
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'needs_review')
        self.assertFalse(self.moves_of(run))
        reasons = run.hold_reason.splitlines()
        self.assertTrue([r for r in reasons if r.startswith(doubled) and
                         'Employer line FICA-ER appears more than once in one statement' in r], reasons)
        self.assertTrue([r for r in reasons if r.startswith(missing) and 'Employer line FICA-ER missing' in r], reasons)
        self.assertEqual(run.activity_ids.summary, 'Pay run needs review')

    def test_fractional_cents_are_kept_and_summed_once(self):
        """Each line is stored as Paylocity sent it; only the entry's lines are rounded (once)."""
        regular, run = self.fetched_ready_run()
        reg = run.line_ids.filtered(lambda l: l.det_code == 'REG')[:1]
        exact = Decimal(str(reg.amount))
        # The same pay as 400 lines of half a cent and the rest: rounded per line, they would add 2.00.
        values = reg.copy_data()[0]
        self.env['paylocity.pay.run.line'].sudo().create([dict(values, amount=Decimal('0.005'))] * 400)
        reg.sudo().amount = exact - Decimal('2.000')
        stored = sum((d.amount for pay in run._employee_pays() if pay.employee_id == reg.paylocity_employee_code
                      for d in pay.details if d.det_code == 'REG'), Decimal(0))
        self.assertEqual(stored, exact)
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'posted')
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))

    def test_statement_and_unmapped_amounts_are_stored_exactly(self):
        """Statement amounts and an unmapped code's total keep Paylocity's fractions of a cent: what is summed is
        what Paylocity sent, and only the entry's own lines are rounded."""
        _regular, run = self.fetched_ready_run()
        statement = run.statement_ids[:1]
        fields_ = ('gross_pay', 'net_pay', 'net_check', 'direct_deposit_amount')
        exact = {name: Decimal(str(statement[name])) + Decimal('0.004') for name in fields_}
        statement.sudo().write(exact)
        (summary,) = [s for pay in run._employee_pays() for s in pay.summaries
                      if s.transaction_number == statement.transaction_number
                      and pay.employee_id == statement.paylocity_employee_code]
        self.assertEqual({name: getattr(summary, name) for name in fields_}, exact)
        self.assertEqual(Decimal(str(statement.gross_pay)), exact['gross_pay'])

        # An unmapped code's total is the exact sum of its lines, not rounded to the cent.
        bonus = run.line_ids.filtered(lambda l: l.det_code == 'REG')[:1]
        self.env['paylocity.pay.run.line'].sudo().create([dict(bonus.copy_data()[0], det_code='TIPS',
                                                               amount=Decimal('0.005'))] * 3)
        run._build()
        self.assertEqual(run.state, 'needs_mapping')
        (unmapped,) = run.unmapped_ids
        self.assertEqual((unmapped.code, Decimal(str(unmapped.amount))), ('TIPS', Decimal('0.015')))

    def test_a_company_or_journal_not_in_us_dollars_gets_no_entry(self):
        """Paylocity's amounts are US dollars and are booked as they are: in another currency the run is held
        with the reason, and Post makes nothing."""
        euro = self.env.ref('base.EUR')
        euro.active = True
        regular, _off = self.latest_runs()
        self.company_a.currency_id = euro
        self.deliver_payroll(regular.process_id)
        self.process_all()
        run = self.run_of(regular)
        self.assertEqual(run.state, 'needs_mapping')
        self.assertIn('Paylocity pays in US dollars, but company %s keeps its books in EUR' % self.company_a.name,
                      run.hold_reason)
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'needs_mapping')
        self.assertFalse(self.moves_of(run))

        self.company_a.currency_id = self.env.ref('base.USD')
        journal = self.connection.journal_id
        journal.currency_id = euro
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'needs_mapping')
        self.assertIn('journal %s is in EUR' % journal.display_name, run.hold_reason)
        self.assertNotIn('keeps its books', run.hold_reason)
        self.assertFalse(self.moves_of(run))

        journal.currency_id = self.env.ref('base.USD')   # a journal in dollars is fine
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'posted')
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))

    def test_missing_net_pay_account_holds_until_set(self):
        net = self.connection.payroll_net_pay_account_id
        self.connection.payroll_net_pay_account_id = False
        regular, run = self.run_latest()
        self.assertEqual(run.state, 'needs_mapping')
        self.assertIn('net pay account', run.hold_reason)
        self.assertFalse(self.moves_of(run))
        self.connection.payroll_net_pay_account_id = net   # settings changed: held runs look again
        self.process_runs()
        self.assertEqual(run.state, 'posted')
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))

    def test_cost_center_mapping_wins_over_the_general_one(self):
        regular, _off = self.latest_runs()
        setup = self.setup['C1001']
        department = '10'
        special = setup['accounts']['overtime']   # any other expense account
        self._make_rule(setup, 'REG', cost_center_id=setup['codes'][('costcenter2', department)].id,
                        debit_account_id=special.id)
        self.deliver_payroll(regular.process_id)
        self.process_all()
        run = self.run_of(regular)
        self.assertEqual(run.state, 'posted')

        def override(person, line):
            if line.det_code == 'REG' and person.cost_center2 == department:
                return ('debit', 'overtime', None, True, None)
            return None

        self.assertTrue(any(self.data().employee(s.employee_id).cost_center2 == department
                            for s in regular.statements))
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular, override=override))
