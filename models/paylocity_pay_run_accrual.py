# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Month-end accrual of a pay run: when its pay period crosses a month end and its check date falls after it, the
closing month's share of the run's cost (by days, per expense account and analytic) is accrued on that month end
and reversed on the first of the next month (Odoo's reversal). The rule and the cents are ``paylocity.accrual``."""
import logging

from odoo import fields, models

from ..paylocity import accrual, payroll

_logger = logging.getLogger(__name__)

ACCRUAL_KINDS = [('accrual', 'Month-end accrual'), ('reversal', 'Reversal of a month-end accrual')]


class AccountMove(models.Model):
    _inherit = 'account.move'

    paylocity_accrual = fields.Selection(
        ACCRUAL_KINDS, string='Paylocity accrual', readonly=True, copy=False,
        help="Set on the month-end accrual of a pay run's cost and on its reversal.")


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    payroll_accrue_month_end = fields.Boolean(
        'Accrue wages at month end', tracking=True,
        help="When a pay run's period crosses a month end and its check date falls after it, post the closing "
             "month's share of its cost (by days) on that month end against the accrued wages account, reversed "
             "on the first day of the next month.")
    payroll_accrued_wages_account_id = fields.Many2one(
        'account.account', string='Accrued wages', check_company=True, tracking=True, ondelete='restrict',
        help="The liability the month-end accrual credits (and its reversal debits).")

    def _accounting_option_fields(self):
        return super()._accounting_option_fields() | {'payroll_accrue_month_end',
                                                       'payroll_accrued_wages_account_id'}

    def _payroll_setup_problems(self):
        problems = super()._payroll_setup_problems()
        if self.payroll_accrue_month_end:
            account = self.payroll_accrued_wages_account_id
            if not account:
                problems.append(self.env._("Set the accrued wages account on the connection (month-end accrual "
                                           "is on)."))
            problems += [self.env._("Accrued wages account: %(problem)s", problem=problem)
                         for problem in self.env['paylocity.gl.rule']._account_problems(account, self.company_id)]
        return problems


class PaylocityPayRun(models.Model):
    _inherit = 'paylocity.pay.run'

    accrual_move_id = fields.Many2one('account.move', string='Month-end accrual', readonly=True, copy=False,
                                      ondelete='set null')
    accrual_reversal_move_id = fields.Many2one('account.move', string='Accrual reversal', readonly=True,
                                               copy=False, ondelete='set null')
    accrual_note = fields.Char('Accrual', readonly=True, copy=False,
                               help="Why this run accrued nothing at month end, when it could have.")

    def _post_entry(self, result):
        move = super()._post_entry(result)
        if move and move.state == 'posted' and move == self.move_id and not self.accrual_move_id:
            self._accrue_month_end(result)
        return move

    def _accrue_month_end(self, result):
        """Post this run's month-end accrual and its reversal from ``result`` (the entry's built lines), when the
        connection asks and the period calls for one; otherwise say why, when it matters."""
        self.ensure_one()
        connection = self.connection_id
        if not connection.payroll_accrue_month_end:
            return
        begin, end, _consistent = accrual.run_period(self._employee_pays(), run_id=self.run_number,
                                                     check_date=self.check_date)
        if begin is None:
            self.accrual_note = self.env._("No pay period on the run's statements: nothing accrued.")
            return
        period = accrual.accrual_period(begin, end, self.check_date, whole_period=False)
        if period is None:
            return      # the period does not cross the month end before the check date
        journal = connection.journal_id
        locks = self.company_id._get_violated_lock_dates(period.month_end, False, journal)
        if locks:
            self.accrual_note = self.env._(
                "Not accrued: %(date)s is in a period closed by the lock dates (%(locks)s).", date=period.month_end,
                locks=self.env['res.company']._format_lock_dates(locks))
            self._note(self.accrual_note)
            return
        rules, _problems = self.env['paylocity.gl.rule'].sudo()._builder_rules(connection)
        built = accrual.build_accrual(result.lines, period, cost_accounts=accrual.cost_accounts_of(rules),
                                      accrued_wages_account=connection.payroll_accrued_wages_account_id.id,
                                      precision=self.currency_id.decimal_places)
        if built.is_empty:
            return
        try:
            with self.env.cr.savepoint():
                move, reversal = self._post_accrual_moves(built, journal)
        except Exception as exc:  # noqa: BLE001 - the run's entry stands; the savepoint removed the accrual
            self.accrual_note = self.env._("Not accrued: %(error)s", error=payroll.error_text(exc))
            self._note(self.accrual_note)
            return
        self.write({'accrual_move_id': move.id, 'accrual_reversal_move_id': reversal.id, 'accrual_note': False})
        self._note(self.env._("Month-end accrual %(move)s (%(days)s of %(total)s days) reversed by %(reversal)s.",
                              move=move.display_name, days=period.days_accrued, total=period.days_in_period,
                              reversal=reversal.display_name))

    def _post_accrual_moves(self, built, journal):
        Move = self.env['account.move'].sudo().with_company(self.company_id)
        move = Move.create({
            'move_type': 'entry', 'journal_id': journal.id, 'date': built.date, 'company_id': self.company_id.id,
            'ref': self.env._("Accrued payroll of %(run)s", run=self.name),
            'paylocity_pay_run_id': self.id, 'paylocity_accrual': 'accrual',
            'line_ids': [fields.Command.create({
                'account_id': line.account, 'name': line.label, 'debit': float(line.debit),
                'credit': float(line.credit),
                'analytic_distribution': {str(line.analytic): 100.0} if line.analytic else False,
            }) for line in built.lines],
        })
        move.action_post()
        reversal = move._reverse_moves([{
            'date': built.reversal_date, 'paylocity_pay_run_id': self.id, 'paylocity_accrual': 'reversal',
            'ref': self.env._("Reversal of the accrued payroll of %(run)s", run=self.name)}])
        if built.reversal_date > fields.Date.context_today(self):
            reversal.auto_post = 'at_date'     # Odoo's auto-post cron posts it on its date
        else:
            reversal.action_post()
        return move, reversal
