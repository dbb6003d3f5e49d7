# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A pay run's cash lines: the entry's credit side split the way the money leaves the bank (``paylocity.cash``),
each journal item knowing which bank debit settles it; the run shows them matched or open."""
import dataclasses

from odoo import api, fields, models

from ..const import PAY_DATA_GROUPS
from ..paylocity.cash import CASH_KINDS, CHECK, DIRECT_DEPOSIT, GARNISHMENT, NET_PAY, TAX_IMPOUND, build_entry

# Who may read journal items (account.move.line's own access rules).
JOURNAL_ITEM_READERS = 'account.group_account_readonly,account.group_account_invoice'
CASH_KIND_SELECTION = [(DIRECT_DEPOSIT, 'Direct deposit'), (CHECK, 'Paper check'), (TAX_IMPOUND, 'Tax impound'),
                       (GARNISHMENT, 'Garnishments')]


class AccountMoveLine(models.Model):
    _inherit = 'account.move.line'

    paylocity_cash_run_id = fields.Many2one(
        'paylocity.pay.run', string='Paylocity cash of pay run', readonly=True, copy=False, index='btree_not_null',
        ondelete='set null', help="The pay run whose bank debit this journal item waits for.")
    paylocity_cash_kind = fields.Selection(CASH_KIND_SELECTION, string='Paylocity cash', readonly=True, copy=False)
    paylocity_match_key = fields.Char(
        'Bank match key', readonly=True, copy=False,
        help="Items of one run with the same key are settled by one bank statement line together.")
    paylocity_bank_words = fields.Char(
        'Bank words', readonly=True, copy=False, help="Words the bank line must contain to match this item.")
    paylocity_check_number = fields.Integer('Check number', readonly=True, copy=False)


class PaylocityPayRun(models.Model):
    _inherit = 'paylocity.pay.run'

    cash_line_ids = fields.One2many('account.move.line', 'paylocity_cash_run_id', string='Cash lines',
                                    readonly=True, groups=JOURNAL_ITEM_READERS)
    cash_state = fields.Selection(
        [('none', 'No cash lines'), ('open', 'Waiting for the bank'), ('partial', 'Partly matched'),
         ('matched', 'Matched with the bank')],
        string='Bank', compute='_compute_cash_state', compute_sudo=True,
        help="Whether the bank statement lines of this run's direct deposits, checks and tax impound were "
             "matched with its cash lines.")
    bank_match_note = fields.Text(
        'Bank matching', readonly=True, copy=False, groups=PAY_DATA_GROUPS,   # bank amounts of the run
        help="Why some of this run's cash lines are not matched: bank lines that could belong to several runs "
             "wait for a person.")

    @api.depends('cash_line_ids.reconciled', 'cash_line_ids.parent_state')
    def _compute_cash_state(self):
        for run in self:
            lines = run.cash_line_ids.filtered(lambda l: l.parent_state == 'posted')
            if not lines:
                run.cash_state = 'none'
            elif all(lines.mapped('reconciled')):
                run.cash_state = 'matched'
            elif any(lines.mapped('reconciled')):
                run.cash_state = 'partial'
            else:
                run.cash_state = 'open'

    def _build_result(self, pays, rules, **options):
        """The journal builder's result for ``pays``, its lines split into cash lines when the connection asks
        (``cash.build_entry``): the lines then carry their cash fields and the split's warnings are added."""
        accounts = self.connection_id._payroll_cash_accounts()
        entry = build_entry(pays, rules, accounts=accounts, **options)
        journal = entry.journal
        if accounts is None or not entry.lines:
            return journal
        return dataclasses.replace(journal, lines=entry.lines, warnings=list(journal.warnings) + entry.warnings,
                                   is_balanced=journal.is_balanced and entry.is_balanced)

    @staticmethod
    def _net_pay_of(result, net_account):
        """Σ net pay of built lines: the net pay account's, and the direct-deposit and check lines'."""
        return sum((line.credit - line.debit for line in result.lines
                    if line.account == net_account or getattr(line, 'cash_kind', None) in (DIRECT_DEPOSIT, CHECK,
                                                                                            NET_PAY)), 0)

    def _cash_line_vals(self, line, name=None):
        """What a cash line adds to its journal item: the check date, a label the bank statement shows (or
        ``name``), and the key and words the bank matching uses."""
        if getattr(line, 'cash_kind', None) not in CASH_KINDS:
            return {}
        return {
            'name': name or ('%s — %s' % (line.bank_label, line.label) if line.bank_label else line.label),
            'date_maturity': line.date,
            'paylocity_cash_run_id': self.id,
            'paylocity_cash_kind': line.cash_kind,
            'paylocity_match_key': '|'.join(str(part) for part in line.match_key),
            'paylocity_bank_words': ' '.join(line.bank_words),
            'paylocity_check_number': line.check_number or 0,
        }
