# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Bank matching: bank statement lines that settle a pay run's open cash lines are reconciled with them, through
Odoo's own reconciliation of journal items (Community has no bank reconciliation screen): the statement line's
suspense item moves to the cash line's clearing account and the two are reconciled. Which line settles which is
``paylocity.bank_matching``: only mutual single candidates, never a guess; the rest wait, listed."""
import datetime
import logging
from decimal import Decimal
from typing import Any, NamedTuple, Optional, Tuple

from odoo import api, fields, models

from ..const import PAY_DATA_GROUPS
from ..paylocity import bank_matching
from .access import check_caller
from .paylocity_connection_cash import ACCOUNTANT_GROUP

_logger = logging.getLogger(__name__)


class _CashItem(NamedTuple):
    """A posted cash journal item as ``bank_matching.open_items`` reads one (its open residual as debit/credit)."""

    debit: Decimal
    credit: Decimal
    date: Any
    bank_label: Optional[str]
    bank_words: Tuple[str, ...]
    match_key: Any
    cash_kind: str
    partner: Optional[str]


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    payroll_bank_journal_id = fields.Many2one(
        'account.journal', string='Bank journal', check_company=True, domain="[('type', '=', 'bank')]",
        tracking=True, help="Where the bank debits of the pay runs are imported. Empty: every bank journal of the "
                            "company.")
    payroll_match_days_before = fields.Integer(
        'Bank line from (days before)', default=3, tracking=True,
        help="A bank line may be dated this many days before the check date (direct deposits leave earlier).")
    payroll_match_days_after = fields.Integer(
        'Bank line until (days after)', default=5, tracking=True,
        help="A bank line may be dated this many days after the check date.")
    payroll_check_days_after = fields.Integer(
        'Checks clear within (days)', default=45, tracking=True,
        help="A paper check may clear this many days after the check date.")
    bank_match_last_at = fields.Datetime('Bank lines last matched', readonly=True, copy=False)
    bank_match_waiting = fields.Text(
        'Waiting for a person', readonly=True, copy=False, groups=PAY_DATA_GROUPS,   # bank amounts of runs
        help="Bank lines and cash lines the last matching could not pair without guessing.")

    _payroll_match_days_positive = models.Constraint(
        'CHECK (payroll_match_days_before >= 0 AND payroll_match_days_after >= 0 AND payroll_check_days_after >= 0)',
        "The bank matching windows cannot be negative.")

    def _accounting_option_fields(self):
        return super()._accounting_option_fields() | {
            'payroll_bank_journal_id', 'payroll_match_days_before', 'payroll_match_days_after',
            'payroll_check_days_after'}

    # === ACTIONS AND CRON === #
    def action_match_bank_lines(self):
        """Reconcile the bank statement lines that settle this connection's open cash lines, now."""
        self.ensure_one()
        check_caller(self, 'read', (ACCOUNTANT_GROUP,),
                     self.env._("Only accounting managers can match bank lines with pay runs."))
        matched, waiting = self.sudo()._match_bank_lines()
        if waiting:
            return self._notify(self.env._(
                "%(matched)s bank line(s) matched; %(waiting)s group(s) could belong to several pay runs and wait "
                "for you (see the connection and the pay runs).", matched=matched, waiting=waiting), 'warning')
        return self._notify(self.env._("%(count)s bank line(s) matched.", count=matched),
                            'success' if matched else 'info')

    @api.model
    def _cron_match_bank_lines(self):
        """Daily: match bank lines for every connection whose runs have cash lines."""
        for connection in self.sudo().search([('payroll_cash_lines', '=', True)]):
            connection._run_cron_job('bank_matching', connection._match_bank_lines)

    # === MATCHING === #
    def _match_bank_lines(self):
        """Match this connection's open cash lines with the company's unreconciled bank lines. Every connection of
        the company takes part in deciding (a bank line two connections' runs could claim is nobody's), but only
        this connection's items are reconciled. Returns (bank lines matched, groups waiting)."""
        self.ensure_one()
        company = self.company_id
        MoveLine = self.env['account.move.line'].with_company(company)
        cash = MoveLine.search([
            ('company_id', '=', company.id), ('paylocity_cash_run_id', '!=', False),
            ('parent_state', '=', 'posted'), ('reconciled', '=', False), ('paylocity_match_key', '!=', False)])
        cash = cash.filtered(lambda l: l.account_id.reconcile)
        lines_of = {line.id: line for line in cash}
        items = bank_matching.open_items([(line.id, self._cash_item(line)) for line in cash],
                                         check_days_after=self.payroll_check_days_after)
        mine = {item.key for item in items if lines_of[item.key[0]].paylocity_cash_run_id.connection_id == self}
        self._settle_zero_items([item for item in items if item.key in mine and not item.amount], lines_of)
        items = [item for item in items if item.amount]
        statement_lines = self._bank_candidates(items)
        bank_lines = [bank_matching.BankLine(st.id, Decimal(str(st.amount)), st.date, st.payment_ref,
                                             st.partner_id.name or None) for st in statement_lines]
        result = bank_matching.match_bank_lines(
            items, bank_lines, days_before=self.payroll_match_days_before,
            days_after=self.payroll_match_days_after, words=())
        by_id = {st.id: st for st in statement_lines}
        matched = 0
        for match in result.matched:
            if match.item.key not in mine:
                continue
            cash_lines = MoveLine.browse(match.item.key)
            self._reconcile_with_statement_line(by_id[match.bank_line.key], cash_lines)
            matched += 1
        waiting = [group for group in result.ambiguous if any(item.key in mine for item in group.items)]
        self._note_waiting(waiting, lines_of)
        return matched, len(waiting)

    @api.model
    def _cash_item(self, line):
        residual = Decimal(str(line.amount_residual))
        return _CashItem(max(residual, Decimal(0)), max(-residual, Decimal(0)), line.date_maturity or line.date,
                         line.name, tuple((line.paylocity_bank_words or '').split()),
                         (line.paylocity_cash_run_id.id, line.paylocity_match_key), line.paylocity_cash_kind,
                         line.partner_id.name or None)

    def _bank_candidates(self, items):
        """Unreconciled bank statement lines of the company within the widest window of ``items``."""
        if not items:
            return self.env['account.bank.statement.line']
        low = min(item.date for item in items) - _days(self.payroll_match_days_before)
        high = max(item.date for item in items) + _days(max(self.payroll_match_days_after,
                                                            self.payroll_check_days_after))
        domain = [('company_id', '=', self.company_id.id), ('is_reconciled', '=', False),
                  ('move_id.state', '=', 'posted'), ('date', '>=', low), ('date', '<=', high)]
        if self.payroll_bank_journal_id:
            domain.append(('journal_id', '=', self.payroll_bank_journal_id.id))
        else:
            domain.append(('journal_id.type', '=', 'bank'))
        return self.env['account.bank.statement.line'].search(domain, order='date, id')

    def _reconcile_with_statement_line(self, st_line, cash_lines):
        """The statement line's suspense item takes the cash lines' clearing account (and partner) and is
        reconciled with them: the bank line is then reconciled and the clearing account holds nothing for it."""
        _liquidity, suspense, other = st_line._seek_for_lines()
        if len(suspense) != 1 or other:
            _logger.info("Bank statement line %s is already being reconciled by hand; skipped", st_line.id)
            return
        move = st_line.move_id
        move.button_draft()
        suspense.write({'account_id': cash_lines.account_id.id,
                        'partner_id': cash_lines.partner_id[:1].id or suspense.partner_id.id,
                        'name': cash_lines[0].name})
        move.action_post()
        (suspense + cash_lines).reconcile()
        for run in cash_lines.paylocity_cash_run_id:
            run._note(self.env._("Bank line %(line)s of %(date)s matched with the cash line(s) %(label)s.",
                                 line=st_line.payment_ref or st_line.id, date=st_line.date,
                                 label=', '.join(cash_lines.mapped('name'))))

    def _settle_zero_items(self, items, lines_of):
        """A paper check and its void: their lines settle each other, no bank line is needed."""
        for item in items:
            lines = self.env['account.move.line'].browse(item.key)
            if len(lines) > 1:
                lines.reconcile()

    def _note_waiting(self, groups, lines_of):
        """List on the connection and on each run what could not be matched without guessing; clear the rest."""
        texts, per_run = [], {}
        for group in groups:
            runs = self.env['paylocity.pay.run'].browse(
                sorted({lines_of[key].paylocity_cash_run_id.id for item in group.items for key in item.key}))
            bank = ', '.join('%s %s %s' % (line.date, line.label or '', line.amount) for line in group.bank_lines)
            text = self.env._("%(what)s — pay runs %(runs)s; bank lines %(bank)s",
                              what=group.describe(), runs=', '.join(runs.mapped('name')), bank=bank)
            texts.append(text)
            for run in runs:
                per_run.setdefault(run, []).append(text)
        runs = self.env['paylocity.pay.run'].search([('connection_id', '=', self.id),
                                                     ('bank_match_note', '!=', False)])
        for run in runs - self.env['paylocity.pay.run'].browse([r.id for r in per_run]):
            run.bank_match_note = False
        for run, notes in per_run.items():
            if run.connection_id == self:
                run.bank_match_note = '\n'.join(notes)
        self.write({'bank_match_last_at': fields.Datetime.now(), 'bank_match_waiting': '\n'.join(texts) or False})


def _days(count):
    return datetime.timedelta(days=max(count or 0, 0))
