# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A Paylocity pay run becomes one balanced journal entry whose totals per account and analytic account are the
sandbox's own; off-cycle runs get their own; draft and auto-post modes; two companies stay apart."""
from decimal import Decimal

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MAPPING, PayrollCase


@tagged('post_install', '-at_install')
class TestPayrollPosting(PayrollCase):

    def test_regular_run_posts_one_entry_equal_to_the_sandbox_totals(self):
        regular, _off_cycle = self.latest_runs()
        event = self.deliver_payroll(regular.process_id)
        self.process_all()

        run = self.run_of(regular)
        self.assertEqual(run.state, 'posted', run.hold_reason or run.last_error)
        self.assertEqual(event.state, 'done')
        self.assertEqual((event.pay_run_id, event.move_id), (run, run.move_id))
        move = run.move_id
        self.assertEqual(self.moves_of(run), move)
        self.assertEqual((move.state, move.move_type, move.journal_id.type), ('posted', 'entry', 'general'))
        self.assertEqual(move.company_id, self.company_a)
        self.assertEqual(move.date, regular.check_date)
        self.assertIn('C1001', move.ref)
        self.assertIn(regular.check_date.isoformat(), move.ref)
        self.assertIn(regular.process_id, move.ref)
        debit = sum((Decimal(str(line.debit)) for line in move.line_ids), Decimal(0))
        self.assertEqual(debit, sum((Decimal(str(line.credit)) for line in move.line_ids), Decimal(0)))
        self.assertEqual(Decimal(str(run.entry_total)), debit)

        # Per account and analytic account, exactly what the sandbox's own statements add up to.
        self.assertEqual(self.posted_balances(move), self.expected(regular))
        gross = sum((s.gross for s in regular.statements), Decimal(0))
        net = sum((s.net for s in regular.statements), Decimal(0))
        self.assertEqual(Decimal(str(run.paylocity_gross)), gross)
        self.assertEqual(Decimal(str(run.paylocity_net)), net)
        self.assertEqual(Decimal(str(run.entry_net_pay)), net)
        net_account = self.setup['C1001']['accounts']['net']
        self.assertEqual(Decimal(str(-sum(move.line_ids.filtered(lambda l: l.account_id == net_account)
                                          .mapped('balance')))).quantize(Decimal('0.01')), net)
        # Liabilities carry the partner owed; analytic lines exist for the expense side.
        irs = self.setup['C1001']['partners']['irs']
        federal = self.setup['C1001']['accounts']['federal']
        self.assertEqual(move.line_ids.filtered(lambda l: l.account_id == federal).partner_id, irs)
        self.assertTrue(move.line_ids.analytic_line_ids)

        # The negative adjustment and the terminated employee's final check are in it.
        adjusted = [s for s in regular.statements if any(l.amount < 0 for l in s.lines)]
        self.assertEqual(len(adjusted), 1)
        self.assertTrue(run.line_ids.filtered(lambda l: l.amount < 0 and l.det_code == 'REG'))
        data = self.data()
        final = [s for s in regular.statements if data.employee(s.employee_id).status_type == 'T']
        self.assertEqual(len(final), 1, "the sandbox pays one terminated employee's final check")
        row = run.employee_ids.filtered(lambda r: r.paylocity_employee_code == final[0].employee_id)
        self.assertEqual(row.fetch_state, 'paid')
        self.assertEqual(Decimal(str(row.net_pay)), final[0].net)

        # Every employee paid by the run was asked and answered; long-gone leavers were not asked at all.
        paid = {s.employee_id for s in regular.statements}
        self.assertEqual(set(run.employee_ids.filtered(lambda r: r.fetch_state == 'paid')
                             .mapped('paylocity_employee_code')), paid)
        self.assertEqual(run.paid_count, len(paid))
        asked = set(run.employee_ids.mapped('paylocity_employee_code'))
        gone = {p.employee_id for p in data.employees.values()
                if p.status_type == 'T' and (regular.check_date - p.termination_date).days > 45}
        self.assertTrue(gone)
        self.assertFalse(asked & gone)
        # Source lines trace every amount: the stored details add up to Paylocity's gross.
        self.assertEqual(Decimal(str(sum(run.line_ids.filtered(lambda l: l.det == 'E').mapped('amount'))))
                         .quantize(Decimal('0.01')), gross)

    def test_off_cycle_run_on_the_same_check_date_posts_a_second_entry(self):
        regular, off_cycle = self.latest_runs()
        self.deliver_payroll(regular.process_id)
        self.deliver_payroll(off_cycle.process_id)
        self.process_all()
        run, bonus_run = self.run_of(regular), self.run_of(off_cycle)
        self.assertEqual((run.state, bonus_run.state), ('posted', 'posted'))
        self.assertNotEqual(run.move_id, bonus_run.move_id)
        self.assertEqual(run.check_date, bonus_run.check_date)
        self.assertEqual(self.posted_balances(bonus_run.move_id), self.expected(off_cycle))
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))
        self.assertEqual(bonus_run.paid_count, len(off_cycle.statements))
        self.assertEqual(set(bonus_run.line_ids.filtered(lambda l: l.det == 'E').mapped('det_code')), {'BONUS'})

    def test_draft_mode_leaves_the_entry_for_review_and_never_adds_one(self):
        self.connection.payroll_posting = 'draft'
        regular, run = self.run_latest()
        self.assertEqual((run.state, run.entry_status, run.move_id.state), ('posted', 'draft', 'draft'))
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))
        # Processing the run again (a retry, the hourly cron) changes nothing.
        run.sudo().next_try_at = self.now()
        self.process_runs()
        run.action_post()
        self.assertEqual(self.moves_of(run), run.move_id)
        self.assertEqual(run.move_id.state, 'draft')

    def test_a_paid_employee_the_sync_has_not_bound_yet_is_still_in_the_entry(self):
        regular, _off = self.latest_runs()
        late = regular.statements[3].employee_id
        self.setup['C1001']['bindings'][late].unlink()
        self.deliver_payroll(regular.process_id)
        self.process_all()
        run = self.run_of(regular)
        self.assertEqual(run.state, 'posted')
        row = run.employee_ids.filtered(lambda r: r.paylocity_employee_code == late)
        self.assertEqual((row.fetch_state, row.binding_id.id, row.cost_center), ('paid', False, False))
        self.assertIn(late, run.build_warnings)

        def no_analytic_for_late(person, line):
            if person.employee_id == late:
                kind, debit, credit, _analytic, partner = MAPPING[line.det_code]
                return (kind, debit, credit, False, partner)
            return None

        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular, override=no_analytic_for_late))

    def test_entry_date_can_be_the_pay_period_end(self):
        self.connection.payroll_date_source = 'period_end'
        regular, run = self.run_latest()
        self.assertEqual(run.move_id.date, regular.end_date)
        self.assertLess(run.move_id.date, regular.check_date)

    def test_manual_mode_waits_for_the_post_button(self):
        self.connection.payroll_posting = 'manual'
        regular, run = self.run_latest()
        self.assertEqual(run.state, 'ready')
        self.assertFalse(self.moves_of(run))
        with self.assertRaises(AccessError):
            run.with_user(self.pl_user).action_post()
        run.with_user(self.accountant).action_post()
        self.assertEqual((run.state, run.move_id.state), ('posted', 'posted'))
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))

    def test_employee_detail_level_posts_one_set_of_lines_per_employee(self):
        self.connection.payroll_detail_level = 'employee'
        regular, run = self.run_latest()
        self.assertEqual(run.state, 'posted')
        move = run.move_id
        self.assertEqual(self.posted_balances(move), self.expected(regular))
        net_account = self.setup['C1001']['accounts']['net']
        net_lines = move.line_ids.filtered(lambda l: l.account_id == net_account)
        self.assertEqual(len(net_lines), len(regular.statements))
        binding = self.setup['C1001']['bindings'][regular.statements[0].employee_id]
        self.assertTrue(move.line_ids.filtered(lambda l: l.name.startswith(binding.employee_id.name)))

    def test_two_companies_stay_apart(self):
        regular_a, _ = self.latest_runs('C1001')
        regular_b, _ = self.latest_runs('C2002')
        self.deliver_payroll(regular_a.process_id)
        self.deliver_payroll(regular_b.process_id, connection=self.connection_b)
        self.process_all()
        run_a, run_b = self.run_of(regular_a), self.run_of(regular_b, self.connection_b)
        self.assertEqual((run_a.state, run_b.state), ('posted', 'posted'))
        self.assertEqual(run_b.move_id.company_id, self.company_b)
        self.assertEqual(run_b.move_id.journal_id.company_id, self.company_b)
        self.assertEqual(self.posted_balances(run_b.move_id), self.expected(regular_b, 'C2002'))
        self.assertFalse(set(run_b.move_id.line_ids.account_id.ids) & set(run_a.move_id.line_ids.account_id.ids))
        # Company B's employees were asked only for company B.
        employees_b = set(self.data('C2002').employees)
        self.assertTrue(set(run_b.employee_ids.mapped('paylocity_employee_code')) <= employees_b)
        self.assertTrue(all('/companies/C2002/' in call.path for call in self.statement_calls()
                            if any(r.paylocity_employee_code in call.path for r in run_b.employee_ids)
                            and '/companies/C1001/' not in call.path))
        # A Paylocity user of company A sees A's pay run, not B's.
        runs = self.env['paylocity.pay.run'].with_user(self.pl_user).search([])
        self.assertIn(run_a, runs)
        self.assertNotIn(run_b, runs)
        with self.assertRaises(AccessError):
            run_b.with_user(self.pl_user).read(['name'])

    def test_a_paylocity_user_reads_the_pay_run_screens(self):
        _regular, run = self.run_latest()
        run = run.with_user(self.pl_user)
        PayRun = self.env['paylocity.pay.run'].with_user(self.pl_user)
        self.env.invalidate_all()   # read as a fresh request would, not from this test's cache
        for view_type in ('form', 'list', 'pivot', 'graph', 'search'):
            views = PayRun.get_views([(False, view_type)])
            names = [name for name in views['models']['paylocity.pay.run']['fields'] if name in PayRun._fields]
            if view_type in ('form', 'list'):
                values = run.read(names)[0]
                self.assertEqual(values['entry_status'], 'posted')
        self.assertEqual(PayRun.search([('entry_status', '=', 'posted')]), run)
        rules = self.env['paylocity.gl.rule'].with_user(self.pl_user)
        rules.get_views([(False, 'list'), (False, 'form')])
        self.assertEqual(len(rules.search([('connection_id', '=', self.connection.id)])), len(
            self.setup['C1001']['rules']))
