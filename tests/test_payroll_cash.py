# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Cash lines: a run's entry credits its direct deposits, paper checks and tax impound to clearing accounts, in the
amounts the sandbox's own statements and bank debits show; bad set-up holds the run with a clear reason."""
import datetime
from collections import defaultdict
from decimal import Decimal

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CODE_TYPES, LEVEL, MAPPING, PayrollCase

CENT = Decimal('0.01')


def dec(value):
    return Decimal(str(value)).quantize(CENT)


class CashCase(PayrollCase):
    """Connection A with its cash lines split on three clearing accounts of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clearing = {}
        for paylocity_company in ('C1001', 'C2002'):
            cls.clearing[paylocity_company] = cls._make_clearing(cls.setup[paylocity_company])

    @classmethod
    def _make_clearing(cls, setup):
        company = setup['company']
        prefix = 'Q%s' % setup['connection'].paylocity_company_code[1]
        Account = cls.env['account.account'].with_company(company)
        return {key: Account.create({'code': prefix + code, 'name': name, 'account_type': 'liability_current',
                                     'reconcile': True, 'company_ids': [Command.set([company.id])]})
                for key, code, name in (('dd', '7201', 'Direct deposit clearing'),
                                        ('check', '7202', 'Paper checks clearing'),
                                        ('tax', '7203', 'Tax impound clearing'),
                                        ('accrued', '7204', 'Accrued wages'))}

    def enable_cash(self, paylocity_company='C1001', **extra):
        accounts = self.clearing[paylocity_company]
        self.setup[paylocity_company]['connection'].write({
            'payroll_cash_lines': True,
            'payroll_direct_deposit_account_id': accounts['dd'].id,
            'payroll_check_account_id': accounts['check'].id,
            'payroll_tax_impound_account_id': accounts['tax'].id,
            **extra})

    def bank_debits(self, sandbox_run, paylocity_company='C1001'):
        """The sandbox's own bank debits of the run (its README "Bank debits"), by kind (checks by number)."""
        out = {}
        for debit in self.sandbox.bank_debits(paylocity_company, sandbox_run.process_id):
            key = ('check', debit['checkNumber']) if debit['kind'] == 'check' else debit['kind']
            out[key] = debit
        return out

    def cash_lines(self, move, kind):
        return move.line_ids.filtered(lambda l: l.paylocity_cash_kind == kind)

    def post_latest(self, paylocity_company='C1001'):
        regular, run = self.run_latest(paylocity_company)
        self.assertEqual(run.state, 'posted', run.hold_reason or run.last_error)
        return regular, run


@tagged('post_install', '-at_install')
class TestPayrollCashLines(CashCase):

    def test_entry_credits_direct_deposits_checks_and_tax_impound_as_the_bank_debits_show(self):
        self.enable_cash()
        regular, run = self.post_latest()
        move = run.move_id
        debits = self.bank_debits(regular)
        day = regular.check_date
        accounts = self.clearing['C1001']

        # Independently, from the sandbox's statements: Σ directDepositAmount, each netCheck, Σ every tax.
        deposits = sum((s.direct_deposit_amount for s in regular.statements), Decimal(0))
        checks = {s.check_number: s.net_check for s in regular.statements if s.net_check}
        taxes = sum((s.total('T') for s in regular.statements), Decimal(0))
        self.assertTrue(deposits and checks and taxes, "the sandbox run pays by direct deposit and by check")
        self.assertEqual(-debits['direct_deposit']['amount'], deposits)
        self.assertEqual(-debits['tax_impound']['amount'], taxes)

        deposit = self.cash_lines(move, 'direct_deposit')
        self.assertEqual(len(deposit), 1)
        self.assertEqual((dec(deposit.credit), deposit.account_id), (deposits, accounts['dd']))
        self.assertIn('PAYLOCITY DD %s' % day.isoformat(), deposit.name)
        tax = self.cash_lines(move, 'tax_impound')
        self.assertEqual(len(tax), 1)
        self.assertEqual((dec(tax.credit), tax.account_id), (taxes, accounts['tax']))
        self.assertIn('PAYLOCITY TAX %s' % day.isoformat(), tax.name)
        check_lines = self.cash_lines(move, 'check')
        self.assertEqual({l.paylocity_check_number: dec(l.credit) for l in check_lines}, checks)
        self.assertEqual({l.paylocity_check_number: dec(-l.balance) for l in check_lines},
                         {number: -debits[('check', number)]['amount'] for number in checks})
        self.assertEqual(set(check_lines.account_id), {accounts['check']})
        for line in check_lines:
            self.assertIn('CHECK %s' % line.paylocity_check_number, line.name)
        cash = deposit | tax | check_lines
        self.assertEqual(set(cash.mapped('date_maturity')), {day})
        self.assertEqual(cash.paylocity_cash_run_id, run)
        self.assertEqual(run.cash_line_ids, cash)
        self.assertEqual(run.cash_state, 'open')

        # Nothing is left on the net pay or the mapped tax accounts; other deductions stay as mapped.
        mapped = self.setup['C1001']['accounts']
        self.assertFalse(move.line_ids.filtered(
            lambda l: l.account_id in (mapped['net'] | mapped['federal'] | mapped['state'] | mapped['futa'])))
        expected = self.expected(regular)
        posted = self.posted_balances(move)
        for key in ('k401', 'benefits', 'wages', 'er_tax'):
            for (account, analytic), balance in expected.items():
                if account == mapped[key].id:
                    self.assertEqual(posted[(account, analytic)], balance)
        self.assertEqual(sum(map(dec, move.line_ids.mapped('debit'))), sum(map(dec, move.line_ids.mapped('credit'))))
        self.assertEqual(dec(run.entry_net_pay), sum((s.net for s in regular.statements), Decimal(0)))

    def test_employee_detail_keeps_the_cash_lines(self):
        self.enable_cash(payroll_detail_level='employee')
        regular, run = self.post_latest()
        move = run.move_id
        by_employee = defaultdict(Decimal)
        for statement in regular.statements:
            by_employee[statement.employee_id] += statement.direct_deposit_amount
        deposits = self.cash_lines(move, 'direct_deposit')
        self.assertEqual(len(deposits), len([e for e, amount in by_employee.items() if amount]))
        self.assertEqual(dec(sum(deposits.mapped('credit'))), sum(by_employee.values()))
        # One match key for all of them: the bank shows one direct-deposit debit.
        self.assertEqual(len(set(deposits.mapped('paylocity_match_key'))), 1)
        taxes = sum((s.total('T') for s in regular.statements), Decimal(0))
        self.assertEqual(dec(sum(self.cash_lines(move, 'tax_impound').mapped('credit'))), taxes)
        checks = {s.check_number: s.net_check for s in regular.statements if s.net_check}
        self.assertEqual({l.paylocity_check_number: dec(l.credit) for l in self.cash_lines(move, 'check')}, checks)
        self.assertEqual(sum(map(dec, move.line_ids.mapped('debit'))), sum(map(dec, move.line_ids.mapped('credit'))))

    def test_missing_or_unreconcilable_clearing_account_holds_the_run_saying_which(self):
        accounts = self.clearing['C1001']
        accounts['check'].reconcile = False
        self.connection.write({'payroll_cash_lines': True,
                               'payroll_tax_impound_account_id': accounts['tax'].id,
                               'payroll_check_account_id': accounts['check'].id})
        _regular, run = self.run_latest()
        self.assertEqual(run.state, 'needs_mapping')
        self.assertFalse(self.moves_of(run))
        self.assertIn('Direct deposit clearing', run.hold_reason)
        self.assertIn('must allow reconciliation', run.hold_reason)

        # Fixed on the connection: the held run looks again and posts.
        accounts['check'].reconcile = True
        self.connection.payroll_direct_deposit_account_id = accounts['dd']
        self.process_all()
        self.assertEqual(run.state, 'posted', run.hold_reason)
        self.assertTrue(self.cash_lines(run.move_id, 'direct_deposit'))

    def test_only_accounting_managers_change_the_cash_options(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.admin_user).write({'payroll_cash_lines': True})
        self.assertFalse(self.connection.payroll_cash_lines)


class BankCase(CashCase):

    def bank_journal(self, paylocity_company='C1001'):
        company = self.setup[paylocity_company]['company']
        return self.env['account.journal'].search([('type', '=', 'bank'), ('company_id', '=', company.id)], limit=1)

    def import_bank(self, debits, paylocity_company='C1001'):
        """Bank statement lines as a bank import would make them (the sandbox's debits: date, label, amount)."""
        journal = self.bank_journal(paylocity_company)
        return self.env['account.bank.statement.line'].create([{
            'journal_id': journal.id, 'date': debit['date'], 'payment_ref': debit['label'],
            'amount': float(debit['amount'])} for debit in debits])

    def clearing_balance(self, account, run):
        """What ``account`` holds for ``run``: its cash lines and the bank items reconciled with them."""
        lines = run.cash_line_ids.filtered(lambda l: l.account_id == account)
        partners = lines.matched_debit_ids.debit_move_id | lines.matched_credit_ids.credit_move_id
        return sum((Decimal(str(l.balance)) for l in lines | partners), Decimal(0))


@tagged('post_install', '-at_install')
class TestPayrollBankMatching(BankCase):

    def test_direct_deposit_and_tax_impound_bank_lines_are_reconciled_leaving_the_clearing_accounts_at_zero(self):
        self.enable_cash()
        regular, run = self.post_latest()
        debits = self.bank_debits(regular)
        bank = self.import_bank([debits['direct_deposit'], debits['tax_impound']])
        self.assertFalse(any(bank.mapped('is_reconciled')))
        accountant = self.env['res.users'].create({
            'name': 'Payroll accountant', 'login': 'pay_accountant', 'company_id': self.company_a.id,
            'company_ids': [Command.set([self.company_a.id])],
            'group_ids': [Command.set([self.env.ref('account.group_account_manager').id,
                                       self.env.ref('base.group_user').id])]})
        self.connection.with_user(accountant).action_match_bank_lines()

        self.assertTrue(all(bank.mapped('is_reconciled')))
        accounts = self.clearing['C1001']
        for kind, account in (('direct_deposit', accounts['dd']), ('tax_impound', accounts['tax'])):
            lines = self.cash_lines(run.move_id, kind)
            self.assertTrue(all(lines.mapped('reconciled')), kind)
            self.assertEqual(self.clearing_balance(account, run), 0, kind)
        self.assertEqual(self.cash_lines(run.move_id, 'direct_deposit').full_reconcile_id.reconciled_line_ids
                         .move_id - run.move_id, bank[0].move_id)
        self.assertEqual(run.cash_state, 'partial')     # the paper checks have not cleared yet
        self.assertFalse(run.bank_match_note)

        # The checks clear later, each matched by its number; then every clearing account is empty for the run.
        checks = [debit for key, debit in debits.items() if isinstance(key, tuple)]
        self.assertTrue(checks)
        cleared = self.import_bank(checks)
        self.connection._match_bank_lines()
        self.assertTrue(all(cleared.mapped('is_reconciled')))
        self.assertEqual(run.cash_state, 'matched')
        self.assertEqual(self.clearing_balance(accounts['check'], run), 0)

    def test_a_bank_line_off_by_a_cent_or_outside_the_window_or_without_the_words_stays_open(self):
        self.enable_cash()
        regular, run = self.post_latest()
        debits = self.bank_debits(regular)
        deposit, tax = debits['direct_deposit'], debits['tax_impound']
        bank = self.import_bank([
            dict(deposit, amount=deposit['amount'] + Decimal('0.01')),
            dict(tax, date=regular.check_date + datetime.timedelta(days=6)),
            dict(deposit, label='ACH DEBIT %s' % regular.check_date)])
        self.assertEqual(self.connection._match_bank_lines(), (0, 0))
        self.assertFalse(any(bank.mapped('is_reconciled')))
        self.assertEqual(run.cash_state, 'open')

    def test_two_runs_with_the_same_amount_match_nothing_and_both_are_listed(self):
        self.enable_cash()
        runs = []
        for offset in (40, 41):
            day = self.history_date + datetime.timedelta(days=offset)
            process_id = self.sandbox.run_payroll('C1001', day, off_cycle=True)
            # One identical manual check in each run: the same tax impound, one day apart.
            self.sandbox.manual_check('C1001', process_id, '1001', Decimal('1000.00'))
            sandbox_run = next(r for r in self.data().runs_on(day) if r.process_id == process_id)
            for statement in list(sandbox_run.statements):
                if statement.kind != 'manual':
                    self.sandbox.remove_statement('C1001', process_id, statement.employee_id,
                                                  statement.transaction_number)
            self.deliver_payroll(process_id)
            runs.append(sandbox_run)
        self.process_all()
        first, second = (self.run_of(r) for r in runs)
        self.assertEqual((first.state, second.state), ('posted', 'posted'), first.hold_reason or second.hold_reason)
        tax_first = self.bank_debits(runs[0])['tax_impound']
        self.assertEqual(tax_first['amount'], self.bank_debits(runs[1])['tax_impound']['amount'])
        bank = self.import_bank([tax_first])

        matched, waiting = self.connection._match_bank_lines()
        self.assertEqual((matched, waiting), (0, 1))
        self.assertFalse(bank.is_reconciled)
        self.assertFalse(any((first | second).cash_line_ids.filtered(
            lambda l: l.paylocity_cash_kind == 'tax_impound').mapped('reconciled')))
        for run in (first, second):
            self.assertIn(first.name, run.bank_match_note)
            self.assertIn(second.name, run.bank_match_note)
        self.assertIn(first.name, self.connection.bank_match_waiting)
        self.assertIn(second.name, self.connection.bank_match_waiting)

    def test_only_accounting_managers_match_bank_lines(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.admin_user).action_match_bank_lines()


@tagged('post_install', '-at_install')
class TestPayrollAccrual(CashCase):

    def enable_accrual(self):
        self.enable_cash(payroll_accrue_month_end=True,
                         payroll_accrued_wages_account_id=self.clearing['C1001']['accrued'].id)

    def test_accrual_of_a_period_crossing_the_month_end_equals_the_day_count_and_reverses_on_the_first(self):
        self.enable_accrual()
        regular, run = self.post_latest()
        begin, end, check = regular.begin_date, regular.end_date, regular.check_date
        month_end = check.replace(day=1) - datetime.timedelta(days=1)
        self.assertTrue(begin <= month_end < end < check, "the sandbox's latest period crosses a month end")
        days, length = (month_end - begin).days + 1, (end - begin).days + 1

        # Independently: the run's cost per expense account and analytic, from the sandbox's lines and the mapping.
        mapped = self.setup['C1001']['accounts']
        expense = {mapped[key].id for key in ('wages', 'overtime', 'bonus', 'er_tax')}
        exact = {key: balance * days / length for key, balance in self.expected(regular).items()
                 if key[0] in expense}
        total = sum(exact.values(), Decimal(0)).quantize(CENT, rounding='ROUND_HALF_UP')

        move, reversal = run.accrual_move_id, run.accrual_reversal_move_id
        self.assertEqual((move.state, move.date, move.paylocity_pay_run_id), ('posted', month_end, run))
        self.assertEqual((reversal.state, reversal.date, reversal.paylocity_pay_run_id),
                         ('posted', month_end + datetime.timedelta(days=1), run))
        self.assertEqual(reversal.reversed_entry_id, move)
        posted = self.posted_balances(move)
        accrued = self.clearing['C1001']['accrued']
        self.assertEqual(posted.pop((accrued.id, None)), -total)
        self.assertEqual(set(posted), {key for key, value in exact.items() if value.quantize(CENT)})
        for key, amount in posted.items():
            self.assertLess(abs(amount - exact[key]), CENT, key)
        self.assertEqual(sum(posted.values(), Decimal(0)), total)
        self.assertEqual(self.posted_balances(reversal), {key: -value for key, value in self.posted_balances(move)
                                                          .items()})
        self.assertEqual(self.moves_of(run), run.move_id | move | reversal)

    def test_a_run_in_a_locked_month_accrues_nothing_and_says_why(self):
        self.enable_accrual()
        regular, _off_cycle = self.latest_runs()
        month_end = regular.check_date.replace(day=1) - datetime.timedelta(days=1)
        self.company_a.fiscalyear_lock_date = month_end
        _regular, run = self.post_latest()
        self.assertFalse(run.accrual_move_id)
        self.assertEqual(self.moves_of(run), run.move_id)
        self.assertIn('lock dates', run.accrual_note)

    def test_missing_accrued_wages_account_holds_the_run(self):
        self.enable_cash(payroll_accrue_month_end=True)
        _regular, run = self.run_latest()
        self.assertEqual(run.state, 'needs_mapping')
        self.assertIn('accrued wages account', run.hold_reason)


@tagged('post_install', '-at_install')
class TestSeveralConnectionsInOneCompany(CashCase):
    """Paylocity companies C1001 and C2002 both connected to Odoo company A (a Company Set, two FEINs)."""

    def connect_b_in_company_a(self):
        """C2002 connected in company A as the payroll set-up would do it: codes, bindings and mappings of its own
        on company A's accounts. The C2002 connection of company B is archived and renamed to free the code."""
        self.connection_b.write({'paylocity_company_code': 'C2002-OLD', 'active': False})
        self.env.flush_all()
        env = self.env
        source = self.setup['C2002']['connection']
        setup_a = self.setup['C1001']
        connection = source.copy({'name': 'Payroll C2002 in A', 'paylocity_company_code': 'C2002',
                                  'company_id': self.company_a.id, 'active': True,
                                  'journal_id': self.connection.journal_id.id,
                                  'payroll_net_pay_account_id': setup_a['accounts']['net'].id})
        creds = self.sandbox.credentials('C2002')
        connection._set_credentials('weblink', creds.weblink_client_id, creds.weblink_client_secret)
        data = self.data('C2002')
        codes = {}
        for resource, code_type in CODE_TYPES.items():
            for code, description in data.codes(resource):
                codes[(code_type, code)] = env['paylocity.code'].create({
                    'connection_id': connection.id, 'code_type': code_type, 'code': code, 'name': description})
        analytics = {}
        for code, description in data.codes('costcenter%s' % LEVEL):
            analytic = env['account.analytic.account'].create({
                'name': 'C2002 in A %s' % description, 'plan_id': self.plan.id, 'company_id': self.company_a.id})
            codes[('costcenter%s' % LEVEL, code)].analytic_account_id = analytic
            analytics[code] = analytic.id
        for person in data.sorted_employees():
            employee = env['hr.employee'].create({'name': person.display_name, 'company_id': self.company_a.id})
            env['paylocity.employee'].create({
                'connection_id': connection.id, 'paylocity_employee_code': person.employee_id,
                'employee_id': employee.id, 'status_type': person.status_type,
                'termination_date': person.termination_date or False,
                'cost_center1': person.cost_center1, 'cost_center2': person.cost_center2,
                'cost_center3': person.cost_center3})
        setup = dict(setup_a, connection=connection, codes=codes, analytics=analytics)
        for code in MAPPING:
            self._make_rule(setup, code)
        self.setup['C2002'] = dict(setup, company=self.company_a)
        self.clearing['C2002'] = self.clearing['C1001']
        return connection

    def test_two_connections_in_one_company_post_to_their_own_runs(self):
        connection = self.connect_b_in_company_a()
        self.assertEqual(connection.company_id, self.connection.company_id)
        self.assertTrue(connection.active and self.connection.active)
        self.enable_cash()
        self.enable_cash('C2002')
        regular_a, run_a = self.post_latest('C1001')
        regular_b, run_b = self.post_latest('C2002')
        self.assertNotEqual(run_a, run_b)
        self.assertEqual((run_a.connection_id, run_b.connection_id), (self.connection, connection))
        self.assertEqual(run_a.move_id.company_id, run_b.move_id.company_id)
        # Each entry is its own Paylocity company's statements (same accounts, each its own amounts).
        for regular, run, paylocity_company in ((regular_a, run_a, 'C1001'), (regular_b, run_b, 'C2002')):
            self.assertIn(paylocity_company, run.move_id.ref)
            deposits = sum((s.direct_deposit_amount for s in regular.statements), Decimal(0))
            self.assertEqual(dec(self.cash_lines(run.move_id, 'direct_deposit').credit), deposits)
            self.assertEqual(run.employee_ids.binding_id.connection_id, run.connection_id)
        self.assertFalse(self.env['paylocity.gl.rule'].search_count([
            ('connection_id', '=', connection.id), ('code_id.connection_id', '!=', connection.id)]))
        # The same check date and run number in both: each run's bank debit settles that run's cash line only.
        self.assertEqual((regular_a.check_date, regular_a.run_id), (regular_b.check_date, regular_b.run_id))
        bank = self.env['account.journal'].search([('type', '=', 'bank'), ('company_id', '=', self.company_a.id)],
                                                  limit=1)
        for regular, paylocity_company in ((regular_a, 'C1001'), (regular_b, 'C2002')):
            debit = self.bank_debits(regular, paylocity_company)['direct_deposit']
            self.env['account.bank.statement.line'].create({
                'journal_id': bank.id, 'date': debit['date'], 'payment_ref': debit['label'],
                'amount': float(debit['amount'])})
        self.assertEqual(self.connection._match_bank_lines(), (1, 0))
        self.assertEqual(connection._match_bank_lines(), (1, 0))
        for run in (run_a, run_b):
            deposit = self.cash_lines(run.move_id, 'direct_deposit')
            self.assertTrue(deposit.reconciled)
            counterpart = deposit.full_reconcile_id.reconciled_line_ids - deposit
            self.assertEqual(Decimal(str(counterpart.balance)), -Decimal(str(deposit.balance)))
