# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Monthly reconciliation of a connection with Paylocity (read-only SQL views, exportable like any list).

Per connection and month of check date: Paylocity's totals as last read (the pay runs' stored totals, moved by every
verification that found a change), beside what the connector's posted entries booked (originals, re-posts and
corrections; a posted reversal of one of them cancels it), the balance those entries left on the net pay account,
and the differences. ``paylocity.reconciliation.account`` gives the balances they left on each account.
"""
from odoo import fields, models, tools
from odoo.tools import SQL

from .access import check_caller

# The connector's posted entries, and posted reversals of them (sign -1: they undo their entry's totals).
_MOVES = """
    SELECT m.id AS move_id, m.paylocity_pay_run_id AS run_id, m.id AS source_id, 1 AS sign
      FROM account_move m
     WHERE m.paylocity_pay_run_id IS NOT NULL AND m.state = 'posted'
    UNION ALL
    SELECT rev.id, m.paylocity_pay_run_id, m.id, -1
      FROM account_move rev
      JOIN account_move m ON rev.reversed_entry_id = m.id
     WHERE m.paylocity_pay_run_id IS NOT NULL AND rev.paylocity_pay_run_id IS NULL AND rev.state = 'posted'
"""
_RUNS = """
    SELECT r.id, r.connection_id, r.company_id, date_trunc('month', r.check_date)::date AS month,
           r.paylocity_gross, r.employee_taxes, r.deductions, r.paylocity_net, r.employer_cost
      FROM paylocity_pay_run r
     WHERE r.state != 'cancelled' AND r.fetched_at IS NOT NULL
"""


class PaylocityReconciliationMonth(models.AbstractModel):
    """What the monthly views share: a connection's month of check dates, and a view made from its pay runs
    (``runs``) and the connector's posted entries (``moves``)."""
    _name = 'paylocity.reconciliation.month'
    _description = 'Paylocity reconciliation: a month of a connection'

    connection_id = fields.Many2one('paylocity.connection', readonly=True)
    company_id = fields.Many2one('res.company', readonly=True)
    currency_id = fields.Many2one('res.currency', readonly=True)
    month = fields.Date('Month (check date)', readonly=True)

    def _create_view(self, query):
        """The view of this model: ``query`` follows the common table expressions ``runs`` and ``moves`` (more
        of them after a comma, then its SELECT)."""
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (WITH runs AS (%s), moves AS (%s) %s)",
                                SQL.identifier(self._table), SQL(_RUNS), SQL(_MOVES), query))


class PaylocityReconciliation(models.Model):
    _name = 'paylocity.reconciliation'
    _inherit = ['paylocity.reconciliation.month']
    _description = 'Paylocity reconciliation by month'
    _auto = False
    _order = 'month desc, connection_id'
    _rec_name = 'month'

    run_count = fields.Integer('Pay runs', readonly=True)
    paylocity_gross = fields.Monetary('Paylocity gross', readonly=True)
    paylocity_employee_taxes = fields.Monetary('Paylocity employee taxes', readonly=True)
    paylocity_deductions = fields.Monetary('Paylocity deductions', readonly=True)
    paylocity_net = fields.Monetary('Paylocity net', readonly=True)
    paylocity_employer_cost = fields.Monetary('Paylocity employer cost', readonly=True)
    posted_gross = fields.Monetary('Posted gross', readonly=True)
    posted_employee_taxes = fields.Monetary('Posted employee taxes', readonly=True)
    posted_deductions = fields.Monetary('Posted deductions', readonly=True)
    posted_net = fields.Monetary('Posted net', readonly=True)
    posted_employer_cost = fields.Monetary('Posted employer cost', readonly=True)
    net_pay_balance = fields.Monetary('Net pay account balance', readonly=True,
                                      help="Credit the posted entries left on the connection's net pay account.")
    gross_difference = fields.Monetary(readonly=True, help="Paylocity gross − posted gross.")
    employee_taxes_difference = fields.Monetary(readonly=True)
    deductions_difference = fields.Monetary(readonly=True)
    net_difference = fields.Monetary(readonly=True, help="Paylocity net − posted net.")
    employer_cost_difference = fields.Monetary(readonly=True)
    net_pay_balance_difference = fields.Monetary(readonly=True, help="Paylocity net − net pay account balance.")
    in_agreement = fields.Boolean(readonly=True, help="Every difference is zero.")

    def init(self):
        self._create_view(SQL("""
            , paylocity AS (
                SELECT connection_id, company_id, month, count(*) AS run_count,
                       sum(paylocity_gross) AS gross, sum(employee_taxes) AS employee_taxes,
                       sum(deductions) AS deductions, sum(paylocity_net) AS net, sum(employer_cost) AS employer_cost
                  FROM runs GROUP BY connection_id, company_id, month),
            posted AS (
                SELECT r.connection_id, r.month,
                       sum(mv.sign * coalesce(src.paylocity_gross, 0)) AS gross,
                       sum(mv.sign * coalesce(src.paylocity_employee_taxes, 0)) AS employee_taxes,
                       sum(mv.sign * coalesce(src.paylocity_deductions, 0)) AS deductions,
                       sum(mv.sign * coalesce(src.paylocity_net, 0)) AS net,
                       sum(mv.sign * coalesce(src.paylocity_employer_cost, 0)) AS employer_cost
                  FROM moves mv JOIN runs r ON r.id = mv.run_id JOIN account_move src ON src.id = mv.source_id
                 GROUP BY r.connection_id, r.month),
            net_pay AS (
                SELECT r.connection_id, r.month, -sum(l.balance) AS balance
                  FROM moves mv JOIN runs r ON r.id = mv.run_id
                  JOIN paylocity_connection c ON c.id = r.connection_id
                  JOIN account_move_line l ON l.move_id = mv.move_id AND l.account_id = c.payroll_net_pay_account_id
                 GROUP BY r.connection_id, r.month)
            SELECT row_number() OVER (ORDER BY p.connection_id, p.month) AS id,
                   p.connection_id, p.company_id, company.currency_id, p.month, p.run_count,
                   p.gross AS paylocity_gross, p.employee_taxes AS paylocity_employee_taxes,
                   p.deductions AS paylocity_deductions, p.net AS paylocity_net,
                   p.employer_cost AS paylocity_employer_cost,
                   coalesce(q.gross, 0) AS posted_gross, coalesce(q.employee_taxes, 0) AS posted_employee_taxes,
                   coalesce(q.deductions, 0) AS posted_deductions, coalesce(q.net, 0) AS posted_net,
                   coalesce(q.employer_cost, 0) AS posted_employer_cost,
                   coalesce(n.balance, 0) AS net_pay_balance,
                   p.gross - coalesce(q.gross, 0) AS gross_difference,
                   p.employee_taxes - coalesce(q.employee_taxes, 0) AS employee_taxes_difference,
                   p.deductions - coalesce(q.deductions, 0) AS deductions_difference,
                   p.net - coalesce(q.net, 0) AS net_difference,
                   p.employer_cost - coalesce(q.employer_cost, 0) AS employer_cost_difference,
                   p.net - coalesce(n.balance, 0) AS net_pay_balance_difference,
                   (p.gross = coalesce(q.gross, 0) AND p.employee_taxes = coalesce(q.employee_taxes, 0)
                    AND p.deductions = coalesce(q.deductions, 0) AND p.net = coalesce(q.net, 0)
                    AND p.employer_cost = coalesce(q.employer_cost, 0) AND p.net = coalesce(n.balance, 0))
                       AS in_agreement
              FROM paylocity p
              JOIN res_company company ON company.id = p.company_id
              LEFT JOIN posted q ON q.connection_id = p.connection_id AND q.month = p.month
              LEFT JOIN net_pay n ON n.connection_id = p.connection_id AND n.month = p.month"""))

    def action_view_pay_runs(self):
        self.ensure_one()
        check_caller(self)
        action = self.env['ir.actions.act_window']._for_xml_id('paylocity_connector.action_paylocity_pay_run')
        end = fields.Date.end_of(self.month, 'month')
        action['domain'] = [('connection_id', '=', self.connection_id.id), ('check_date', '>=', self.month),
                            ('check_date', '<=', end)]
        return action

    def action_view_accounts(self):
        self.ensure_one()
        check_caller(self)
        action = self.env['ir.actions.act_window']._for_xml_id(
            'paylocity_connector.action_paylocity_reconciliation_account')
        action['domain'] = [('connection_id', '=', self.connection_id.id), ('month', '=', self.month)]
        return action


class PaylocityReconciliationAccount(models.Model):
    _name = 'paylocity.reconciliation.account'
    _inherit = ['paylocity.reconciliation.month']
    _description = 'Paylocity reconciliation: balance per account and month'
    _auto = False
    _order = 'month desc, connection_id, account_id'
    _rec_name = 'account_id'

    account_id = fields.Many2one('account.account', readonly=True)
    debit = fields.Monetary(readonly=True)
    credit = fields.Monetary(readonly=True)
    balance = fields.Monetary(readonly=True, help="What the connector's posted entries left on the account.")
    correction_balance = fields.Monetary(readonly=True, help="Of which correcting entries.")

    def init(self):
        self._create_view(SQL("""
            SELECT row_number() OVER (ORDER BY r.connection_id, r.month, l.account_id) AS id,
                   r.connection_id, r.company_id, company.currency_id, r.month, l.account_id,
                   sum(l.debit) AS debit, sum(l.credit) AS credit, sum(l.balance) AS balance,
                   sum(CASE WHEN src.paylocity_fingerprint IS NOT NULL THEN l.balance ELSE 0 END)
                       AS correction_balance
              FROM moves mv
              JOIN runs r ON r.id = mv.run_id
              JOIN account_move src ON src.id = mv.source_id
              JOIN account_move_line l ON l.move_id = mv.move_id
              JOIN res_company company ON company.id = r.company_id
             GROUP BY r.connection_id, r.company_id, company.currency_id, r.month, l.account_id"""))
