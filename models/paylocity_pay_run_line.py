# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What a pay run fetched, kept so an auditor can trace every amount of the entry back to Paylocity:
one row per employee asked (and the answer), their pay-statement summaries and detail lines, and the codes
a build found unmapped."""
from odoo import fields, models

from ..const import PAY_DATA_GROUPS

FETCH_STATES = [
    ('pending', 'To fetch'),
    ('paid', 'Paid'),
    ('not_paid', 'Not paid'),
    ('error', 'Error'),
]
# Paylocity's ``det``: E earning, D deduction, T tax (inferred; kept as text so an unknown kind is still stored).
DET_HELP = "E earning, D deduction, T tax."


class PaylocityPayRunEmployee(models.Model):
    """One employee asked for a pay run's statements, and what Paylocity answered (resume point of the fetch)."""
    _name = 'paylocity.pay.run.employee'
    _inherit = ['paylocity.state.mixin']
    _description = 'Paylocity pay run: employee fetched'
    _state_field = 'fetch_state'
    # An answer is final (asking again means discarding the rows: Fetch again); an error is asked again. Only
    # verification of a posted run turns "not paid" into "paid": Paylocity added a statement (a manual check).
    _state_transitions = {'pending': ('paid', 'not_paid', 'error'), 'error': ('paid', 'not_paid', 'error'),
                          'not_paid': ('paid',)}
    _order = 'run_id, id'
    _rec_name = 'paylocity_employee_code'

    run_id = fields.Many2one('paylocity.pay.run', required=True, ondelete='cascade', index=True, readonly=True)
    company_id = fields.Many2one(related='run_id.company_id', store=True, index=True)
    currency_id = fields.Many2one(related='run_id.currency_id')
    paylocity_employee_code = fields.Char('Paylocity ID', required=True, readonly=True)
    binding_id = fields.Many2one('paylocity.employee', string='Binding', readonly=True, ondelete='set null')
    employee_id = fields.Many2one('hr.employee', string='Employee', readonly=True, ondelete='set null',
                                  context={'active_test': False})
    cost_center = fields.Char(
        readonly=True, help="The employee's cost center (at the level the mappings use) when the run was fetched.")
    fetch_state = fields.Selection(FETCH_STATES, string='Fetch', required=True, default='pending', readonly=True,
                                   index=True)
    error = fields.Char(readonly=True)
    attempts = fields.Integer(readonly=True)
    fetched_at = fields.Datetime(readonly=True)
    # Who was asked is for every Paylocity user (the fetch's progress); what they were paid is pay data.
    gross_pay = fields.Monetary(readonly=True, groups=PAY_DATA_GROUPS,
                                help="Σ grossPay of the employee's summaries in this run.")
    net_pay = fields.Monetary(readonly=True, groups=PAY_DATA_GROUPS,
                              help="Σ netPay of the employee's summaries in this run.")
    statement_ids = fields.One2many('paylocity.pay.run.statement', 'run_employee_id', string='Pay statements',
                                    groups=PAY_DATA_GROUPS)
    line_ids = fields.One2many('paylocity.pay.run.line', 'run_employee_id', string='Detail lines',
                               groups=PAY_DATA_GROUPS)

    _run_employee_uniq = models.Constraint(
        'UNIQUE (run_id, paylocity_employee_code)', "An employee is fetched once per pay run.")


class PaylocityPayRunAnswer(models.AbstractModel):
    """Part of what Paylocity answered for one employee of a run (a pay-statement summary, a detail line)."""
    _name = 'paylocity.pay.run.answer'
    _description = "Paylocity pay run: part of an employee's answer"

    run_id = fields.Many2one('paylocity.pay.run', required=True, ondelete='cascade', index=True, readonly=True)
    run_employee_id = fields.Many2one('paylocity.pay.run.employee', required=True, ondelete='cascade', index=True,
                                      readonly=True)
    company_id = fields.Many2one(related='run_id.company_id', store=True)
    currency_id = fields.Many2one(related='run_id.currency_id')
    paylocity_employee_code = fields.Char('Paylocity ID', readonly=True)
    employee_id = fields.Many2one('hr.employee', string='Employee', readonly=True, ondelete='set null',
                                  context={'active_test': False})


class PaylocityPayRunStatement(models.Model):
    """A pay-statement summary of the run, as Paylocity returned it (pay data: readable only by the payroll group
    and accountants, security/ir.model.access.csv)."""
    _name = 'paylocity.pay.run.statement'
    _inherit = ['paylocity.pay.run.answer']
    _description = 'Paylocity pay run: pay statement'
    _order = 'run_id, transaction_number, id'
    _rec_name = 'transaction_number'

    check_date = fields.Date(readonly=True)
    process = fields.Integer('Paylocity run id', readonly=True)
    transaction_number = fields.Integer(readonly=True)
    check_number = fields.Integer(readonly=True)
    voucher_number = fields.Integer(readonly=True)
    begin_date = fields.Date('Period start', readonly=True)
    end_date = fields.Date('Period end', readonly=True)
    # Exact, as Paylocity sent them (see ``paylocity.pay.run.line.amount``).
    gross_pay = fields.Float(readonly=True, min_display_digits=2)
    net_pay = fields.Float(readonly=True, min_display_digits=2)
    net_check = fields.Float(readonly=True, min_display_digits=2)
    direct_deposit_amount = fields.Float(readonly=True, min_display_digits=2)


class PaylocityPayRunLine(models.Model):
    """A pay-statement detail line of the run (earning, deduction or tax), as Paylocity returned it (pay data, as
    the statements)."""
    _name = 'paylocity.pay.run.line'
    _inherit = ['paylocity.pay.run.answer']
    _description = 'Paylocity pay run: pay statement line'
    _order = 'run_id, run_employee_id, id'
    _rec_name = 'det_code'

    connection_id = fields.Many2one(related='run_id.connection_id', store=True)
    cost_center = fields.Char(readonly=True)
    check_date = fields.Date(readonly=True, index=True)
    transaction_number = fields.Integer(readonly=True)
    transaction_type = fields.Char(readonly=True)
    det = fields.Char('Code type', readonly=True, help=DET_HELP)
    det_code = fields.Char('Code', readonly=True, index=True)
    det_type = fields.Char('Side', readonly=True, help="Paylocity's detType (e.g. EE employee, ER employer).")
    # Exact, as Paylocity sent it: a numeric column without fixed scale (Float with no digits), shown with at
    # least the cents. Monetary would round every line to cents before the entry sums them; the entry rounds
    # once, per journal line. Same column type as before (numeric), so nothing to migrate.
    amount = fields.Float(readonly=True, min_display_digits=2)
    hours = fields.Float(readonly=True)
    rate = fields.Float(readonly=True, digits=(16, 4))


class PaylocityPayRunUnmapped(models.Model):
    """A code (and cost center) the last build of the run could not map, with its exact amount."""
    _name = 'paylocity.pay.run.unmapped'
    _description = 'Paylocity pay run: unmapped code'
    _order = 'run_id, det, code, cost_center'
    _rec_name = 'code'

    run_id = fields.Many2one('paylocity.pay.run', required=True, ondelete='cascade', index=True, readonly=True)
    company_id = fields.Many2one(related='run_id.company_id', store=True)
    currency_id = fields.Many2one(related='run_id.currency_id')
    det = fields.Char('Code type', readonly=True, help=DET_HELP)
    code = fields.Char(readonly=True)
    cost_center = fields.Char(readonly=True, help="Set when the code is mapped for other cost centers only.")
    # The exact sum of the code's lines (see ``paylocity.pay.run.line.amount``).
    amount = fields.Float(readonly=True, min_display_digits=2, groups=PAY_DATA_GROUPS)
    employee_count = fields.Integer('Employees', readonly=True)
    reason = fields.Char(readonly=True, help="Why the mapping is missing or cannot be used.")
