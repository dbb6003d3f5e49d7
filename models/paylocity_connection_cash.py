# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Cash lines of a connection's pay runs: the accounts the entry's credit side is split on, the way the money
leaves the bank (direct deposits, paper checks, the tax impound, garnishments). The split itself is
``paylocity.cash``; this holds the options and their checks."""
from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..paylocity.cash import CashAccounts

ACCOUNTANT_GROUP = 'account.group_account_manager'
# Options that change what a run's entry is, or how it is matched and accrued: accounting managers only.
CASH_FIELDS = frozenset({
    'payroll_cash_lines', 'payroll_direct_deposit_account_id', 'payroll_check_account_id',
    'payroll_tax_impound_account_id', 'payroll_garnishment_account_id', 'payroll_garnishment_codes',
    'payroll_cash_partner_id', 'payroll_bank_words'})
CLEARING_FIELDS = ('payroll_direct_deposit_account_id', 'payroll_check_account_id',
                   'payroll_tax_impound_account_id', 'payroll_garnishment_account_id')


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    payroll_cash_lines = fields.Boolean(
        'Split net pay and taxes by payment', tracking=True,
        help="Credit each pay run's direct deposits, paper checks, tax impound and garnishments to clearing "
             "accounts, one line per bank debit, so the bank statement lines can be matched to them. When off, "
             "the net pay goes to the net pay account in one line and taxes stay as mapped.")
    payroll_direct_deposit_account_id = fields.Many2one(
        'account.account', string='Direct deposit clearing', check_company=True, tracking=True,
        ondelete='restrict', help="Credited with the run's net pay paid by direct deposit (Σ directDepositAmount).")
    payroll_check_account_id = fields.Many2one(
        'account.account', string='Paper checks clearing', check_company=True, tracking=True, ondelete='restrict',
        help="Credited with each paper check's net pay (netCheck), one line per check number.")
    payroll_tax_impound_account_id = fields.Many2one(
        'account.account', string='Tax impound clearing', check_company=True, tracking=True, ondelete='restrict',
        help="Credited with every tax of the run (employee withholding and employer taxes) in one line: what "
             "Paylocity's tax impound takes from the bank. Empty: taxes stay on the accounts their mappings name.")
    payroll_garnishment_account_id = fields.Many2one(
        'account.account', string='Garnishments clearing', check_company=True, tracking=True, ondelete='restrict',
        help="Credited with the garnishment deductions (codes below) in one line. Empty: they stay as mapped.")
    payroll_garnishment_codes = fields.Char(
        'Garnishment codes', default='GARN', tracking=True,
        help="Deduction codes Paylocity remits itself (comma separated).")
    payroll_cash_partner_id = fields.Many2one(
        'res.partner', string='Cash lines partner', check_company=True, tracking=True,
        help="Put on every cash line (e.g. Paylocity as a vendor).")
    payroll_bank_words = fields.Char(
        'Bank line words', default='PAYLOCITY', tracking=True,
        help="Words (space separated) the label or partner of a bank line must contain to match a direct "
             "deposit, tax impound or garnishment line; the first is also the first word of the cash lines' "
             "labels. Check lines ask for their check number instead.")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_cash_rights(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._check_cash_rights(vals)
        result = super().write(vals)
        if CASH_FIELDS.intersection(vals):
            self.env['paylocity.pay.run']._requeue_held(self)
        return result

    def _check_cash_rights(self, vals, creating=False):
        """Where and how entries post, cash, matching and accrual options move money between accounts:
        accounting managers only. A new connection may carry the values it would get by itself (a form sends its
        defaults, and the journal its company gives it)."""
        names = set(vals) & self._accounting_option_fields()
        if self.env.su or not names:
            return
        if creating:
            defaults = self.default_get(list(names))
            names = {name for name in names if vals[name] and vals[name] != defaults.get(name, False)
                     and name != 'journal_id'}
            if not names:
                return
        if not self.env.user.has_group(ACCOUNTANT_GROUP):
            raise AccessError(self.env._(
                "Only accounting managers can change where and how pay runs post: %(fields)s.",
                fields=', '.join(sorted(self._fields[name].string for name in names))))

    def _accounting_option_fields(self):
        return super()._accounting_option_fields() | CASH_FIELDS

    def _payroll_cash_accounts(self):
        """The ``CashAccounts`` of the entry's split, or None when the split is off (or misses an account: the
        set-up problems then hold the run)."""
        self.ensure_one()
        if not (self.payroll_cash_lines and self.payroll_direct_deposit_account_id and self.payroll_check_account_id):
            return None
        words = (self.payroll_bank_words or '').split()
        return CashAccounts(
            direct_deposit=self.payroll_direct_deposit_account_id.id or None,
            check=self.payroll_check_account_id.id or None,
            tax_impound=self.payroll_tax_impound_account_id.id or None,
            garnishment=self.payroll_garnishment_account_id.id or None,
            garnishment_codes=frozenset(c.strip() for c in (self.payroll_garnishment_codes or '').split(',')),
            partner=self.payroll_cash_partner_id.id or None,
            label_prefix=words[0] if words else 'PAYLOCITY',
            bank_words=tuple(words))

    def _payroll_setup_problems(self):
        problems = super()._payroll_setup_problems()
        if not self.payroll_cash_lines:
            return problems
        names = {name: self._fields[name].string for name in CLEARING_FIELDS}
        for name in ('payroll_direct_deposit_account_id', 'payroll_check_account_id'):
            if not self[name]:
                problems.append(self.env._("Set the %(account)s account on the connection (cash lines are on).",
                                           account=names[name]))
        used = {}
        for name in CLEARING_FIELDS:
            account = self[name]
            if not account:
                continue
            problems += [self.env._("%(account)s account: %(problem)s", account=names[name], problem=problem)
                         for problem in self.env['paylocity.gl.rule']._account_problems(account, self.company_id)]
            if not account.reconcile:
                problems.append(self.env._(
                    "%(account)s account %(code)s must allow reconciliation: its lines are matched with the bank.",
                    account=names[name], code=account.code))
            if account == self.payroll_net_pay_account_id:
                problems.append(self.env._("%(account)s account cannot be the net pay account.",
                                           account=names[name]))
            used.setdefault(account, []).append(name)
        for account, fields_ in used.items():
            # Direct deposits and checks may share one account (their lines keep their own match keys); a tax or
            # garnishment clearing account merges every line on it, so it must be its own.
            if len(fields_) > 1 and {'payroll_tax_impound_account_id', 'payroll_garnishment_account_id'} & set(fields_):
                problems.append(self.env._("%(names)s use the same account %(code)s: the tax impound and garnishment "
                                           "clearing accounts need their own.",
                                           names=', '.join(names[f] for f in fields_), code=account.code))
        return problems

    # === DEMO === #
    _DEMO_CLEARING = (
        ('payroll_direct_deposit_account_id', 'PL2101', 'Payroll direct deposit clearing'),
        ('payroll_check_account_id', 'PL2102', 'Payroll checks clearing'),
        ('payroll_tax_impound_account_id', 'PL2103', 'Payroll tax impound clearing'),
        ('payroll_garnishment_account_id', 'PL2104', 'Payroll garnishments clearing'),
        ('payroll_accrued_wages_account_id', 'PL2105', 'Accrued wages'),
    )

    def _payroll_demo_setup(self):
        """Demo data: reconcilable clearing accounts for the cash lines and the accrual, cash lines and month-end
        accrual on, so a sandbox pay run's bank debits can be imported and matched."""
        result = super()._payroll_demo_setup()
        for connection in self.sudo().filtered('payroll_net_pay_account_id'):
            company = connection.company_id
            Account = self.env['account.account'].sudo().with_company(company)
            vals = {'payroll_cash_lines': True, 'payroll_accrue_month_end': True}
            for field, code, name in self._DEMO_CLEARING:
                account = Account.search([('code', '=', code), ('company_ids', 'in', company.ids)], limit=1) \
                    or Account.create({'code': code, 'name': name, 'account_type': 'liability_current',
                                       'reconcile': True, 'company_ids': [fields.Command.set(company.ids)]})
                vals[field] = account.id
            connection.write(vals)
        return result
