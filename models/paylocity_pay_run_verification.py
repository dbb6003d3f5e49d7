# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A posted pay run compared with Paylocity, and what a difference becomes: a correcting entry, never an edit.

What Paylocity changed (a void, a manual check, an amount, a statement removed) becomes one entry linked to the run
(``paylocity_pay_run_id``), exactly the delta per account, analytic account and partner, labelled with what changed
and carrying the difference's fingerprint: the database refuses a second entry with the same fingerprint for the run.
Once the correction is made, the statements as Paylocity has them now become the run's stored ones (the replaced
rows are archived with the entry that replaced them, so every amount still traces back), and the next round starts
from them and finds nothing. When the correction cannot be built (a new code without a mapping) nothing is made and
the run shows the open difference; the next round tries again.
"""
import functools
import logging

from markupsafe import Markup

from odoo import Command, api, fields, models

from ..const import PAY_DATA_GROUPS
from ..paylocity import payroll, verification

_logger = logging.getLogger(__name__)

CORRECTION_SUMMARY = "Review the Paylocity correction"
DIFFERENCE_SUMMARY = "Pay run differs from Paylocity"
AGREEMENT = [('none', 'Not posted'), ('unchecked', 'Not verified yet'), ('agreed', 'In agreement'),
             ('differs', 'Out of agreement')]
TOTALS = ('gross', 'deductions', 'employee_taxes', 'net', 'employer_cost')


class PaylocityPayRunCorrected(models.AbstractModel):
    """What Paylocity sent for a run (a statement, a detail line) as corrections keep it: the correction that added
    it, and the one that replaced it by Paylocity's newer version (then it is archived)."""
    _name = 'paylocity.pay.run.corrected'
    _description = 'Paylocity pay run: record kept by corrections'

    active = fields.Boolean(default=True, readonly=True,
                            help="Archived when a correction replaced it by Paylocity's newer one.")
    correction_move_id = fields.Many2one('account.move', string='Added by correction', readonly=True,
                                         index='btree_not_null', ondelete='cascade')
    superseded_by_move_id = fields.Many2one('account.move', string='Replaced by correction', readonly=True,
                                            index='btree_not_null', ondelete='set null')


class PaylocityPayRunStatement(models.Model):
    _name = 'paylocity.pay.run.statement'
    _inherit = ['paylocity.pay.run.statement', 'paylocity.pay.run.corrected']

    transaction_type = fields.Char(readonly=True, help="Of the statement's detail lines (e.g. Manual, Void).")


class PaylocityPayRunLine(models.Model):
    _name = 'paylocity.pay.run.line'
    _inherit = ['paylocity.pay.run.line', 'paylocity.pay.run.corrected']


class PaylocityPayRun(models.Model):
    _inherit = 'paylocity.pay.run'

    # The entries themselves are for those who may open journal entries.
    move_ids = fields.One2many(groups='account.group_account_readonly,account.group_account_invoice')
    verified_at = fields.Datetime(
        'In agreement as of', readonly=True, copy=False,
        help="The last time Paylocity was read and the run's entries matched it.")
    # What changed names employees and amounts: pay data; whether the run agrees is for everyone.
    open_difference = fields.Text(
        readonly=True, copy=False, groups=PAY_DATA_GROUPS,
        help="What Paylocity changed that no correcting entry books yet, and why.")
    agreement = fields.Selection(AGREEMENT, compute='_compute_agreement', search='_search_agreement',
                                 compute_sudo=True, string='Agreement with Paylocity')
    agreement_label = fields.Char(compute='_compute_agreement', compute_sudo=True, string='Agreement',
                                  groups=PAY_DATA_GROUPS)
    correction_count = fields.Integer(compute='_compute_agreement', compute_sudo=True, string='Corrections')
    posted_gross = fields.Monetary(compute='_compute_posted_totals', compute_sudo=True, groups=PAY_DATA_GROUPS,
                                   help="Gross of the run's posted entries, net of corrections and reversals.")
    posted_deductions = fields.Monetary(compute='_compute_posted_totals', compute_sudo=True, groups=PAY_DATA_GROUPS)
    posted_employee_taxes = fields.Monetary(compute='_compute_posted_totals', compute_sudo=True,
                                            groups=PAY_DATA_GROUPS)
    posted_net = fields.Monetary(compute='_compute_posted_totals', compute_sudo=True, groups=PAY_DATA_GROUPS)
    posted_employer_cost = fields.Monetary(compute='_compute_posted_totals', compute_sudo=True,
                                           groups=PAY_DATA_GROUPS)

    # === AGREEMENT === #
    def _pending_corrections(self):
        return self.move_ids.filtered(lambda m: m.paylocity_fingerprint and m.state != 'posted')

    @api.depends('state', 'post_count', 'verified_at', 'open_difference', 'move_ids.state')
    def _compute_agreement(self):
        for run in self:
            pending = run._pending_corrections()
            run.correction_count = len(run.move_ids.filtered('paylocity_fingerprint'))
            if run.state != 'posted' or not run.post_count:
                run.agreement, run.agreement_label = 'none', False
            elif run.open_difference or pending:
                run.agreement = 'differs'
                parts = [run.open_difference] if run.open_difference else []
                parts += [self.env._("Correction %(move)s is %(state)s: post it to agree with Paylocity.",
                                     move=move.display_name, state=dict(move._fields['state'].selection)[move.state])
                          for move in pending]
                run.agreement_label = '\n'.join(parts)
            elif run.verified_at:
                run.agreement = 'agreed'
                run.agreement_label = self.env._("In agreement with Paylocity as of %(time)s",
                                                 time=fields.Datetime.to_string(run.verified_at))
            else:
                run.agreement, run.agreement_label = 'unchecked', self.env._("Not verified with Paylocity yet")

    def _search_agreement(self, operator, value):
        if operator not in ('=', 'in'):
            return NotImplemented
        values = {value} if operator == '=' else set(value)
        posted = [('state', '=', 'posted'), ('post_count', '>', 0)]
        pending = [('move_ids', 'any', [('paylocity_fingerprint', '!=', False), ('state', '!=', 'posted')])]
        differs = posted + ['|', ('open_difference', '!=', False)] + pending
        parts = {
            'differs': differs,
            'agreed': posted + [('verified_at', '!=', False), ('open_difference', '=', False), '!'] + pending,
            'unchecked': posted + [('verified_at', '=', False), ('open_difference', '=', False), '!'] + pending,
            'none': ['|', ('state', '!=', 'posted'), ('post_count', '=', 0)],
        }
        domains = [parts[v] for v in values if v in parts]
        if not domains:
            return [('id', '=', 0)]
        domain = ['|'] * (len(domains) - 1) + [term for d in domains for term in d]
        return [('id', 'in', self.sudo().with_context(active_test=False)._search(domain))]

    @api.depends('move_ids.state', 'move_ids.reversal_move_ids.state')
    def _compute_posted_totals(self):
        for run in self:
            sums = dict.fromkeys(TOTALS, 0.0)
            for move in run.move_ids.filtered(lambda m: m.state == 'posted'):
                # A posted reversal cancels what its entry booked.
                sign = 0 if move.reversal_move_ids.filtered(lambda m: m.state == 'posted') else 1
                for name in TOTALS:
                    sums[name] += sign * move['paylocity_%s' % name]
            for name in TOTALS:
                run['posted_%s' % name] = sums[name]

    # === ENTRY VALUES === #
    def _move_vals(self, result, generation):
        vals = super()._move_vals(result, generation)
        totals = result.totals
        vals.update({
            'paylocity_gross': float(totals.gross), 'paylocity_deductions': float(totals.deductions),
            'paylocity_employee_taxes': float(totals.employee_taxes), 'paylocity_net': float(totals.net),
            'paylocity_employer_cost': float(totals.employer),
            'paylocity_reason': (self.env._("Pay run processed in Paylocity") if generation == 1 else
                                 self.env._("Re-post %(n)s confirmed by an accountant after the previous entry was "
                                            "deleted, reversed or cancelled", n=generation)),
        })
        return vals

    # === VERIFICATION === #
    def _verification_build(self):
        """The builder of this run's entry, with today's mappings and cash lines (``pays`` → ``JournalResult``)."""
        connection = self.connection_id
        rules, _problems = self.env['paylocity.gl.rule'].sudo()._builder_rules(connection)
        return functools.partial(
            self._build_result, rules=rules, run_id=self.run_number, check_date=self.check_date,
            net_pay_account=connection.payroll_net_pay_account_id.id or 0,
            detail_level=connection.payroll_detail_level, precision=self.currency_id.decimal_places,
            cost_center_analytics=connection._payroll_analytics())

    def _verify_against(self, posted, summaries_now, details_now):
        """Compare this run (``posted``: its stored ``EmployeePay``) with Paylocity's summaries and re-read details;
        record agreement, or make the correction. Returns the correcting entry made, if any."""
        self.ensure_one()
        run = self.sudo().with_company(self.company_id)
        if not run._job_lock():
            _logger.info("Paylocity pay run %s is busy elsewhere; verified next time", run.id)
            return None
        args = {'run_id': run.run_number, 'check_date': run.check_date}
        try:
            current = verification.current_pays(posted, summaries_now, details_now,
                                                 cost_centers=run._cost_centers_now(summaries_now), **args)
        except ValueError as exc:   # a changed statement whose details were not read: next round
            _logger.warning("Paylocity pay run %s: not verified: %s", run.id, exc)
            return None
        # Employees the run never paid and still does not pay need no comparison.
        paid = {pay.employee_id for pay in posted}
        current = [pay for pay in current if pay.summaries or pay.employee_id in paid]
        comparison = verification.compare_run(posted, current, **args)
        if comparison.is_empty:
            run._close_difference(self.env._("In agreement with Paylocity again."))
            return None
        build = run._verification_build()
        fix = verification.correction(posted, current, build, comparison=comparison, **args)
        what = fix.label
        existing = run.move_ids.filtered(lambda m: m.paylocity_fingerprint == comparison.fingerprint)
        if existing:   # this very difference is booked already (a round that stopped midway): only catch up
            run._replace_statements(comparison, current, existing[0])
            return None
        if fix.unmapped:
            codes = ', '.join(sorted({'%s %s' % (u.det or '?', u.code or '?') for u in fix.unmapped}))
            return run._record_difference(self.env._(
                "Paylocity changed this run (%(what)s), but code(s) %(codes)s have no usable mapping: no correction "
                "is made until they are mapped.", what=what, codes=codes))
        changed = set(comparison.employees)
        before = build([p for p in posted if p.employee_id in changed])
        after = build([p for p in current if p.employee_id in changed])
        return run._make_correction(fix, comparison, current, before, after)

    def _close_difference(self, feedback):
        """In agreement as of now: the open difference and its activity are closed."""
        self.write({'verified_at': fields.Datetime.now(), 'open_difference': False})
        self.activity_ids.filtered(lambda a: a.summary == self.env._(DIFFERENCE_SUMMARY)).action_feedback(
            feedback=feedback)

    def _record_difference(self, text):
        # What changed names employees and amounts: on the run (pay data readers), not in its chatter.
        if self.open_difference != text:
            self._note(self.env._("Paylocity changed this run after it was posted: see Agreement with Paylocity."))
        self.write({'open_difference': text})
        self._schedule_todo(self.env._(DIFFERENCE_SUMMARY),
                            self.env._("See Agreement with Paylocity on the pay run."))
        return None

    def _cost_centers_now(self, summaries_now):
        """Cost centers (at the mappings' level) of employees the run did not pay when posted."""
        asked = set(self.employee_ids.filtered(lambda r: r.fetch_state == 'paid').mapped('paylocity_employee_code'))
        new = [employee for employee, rows in summaries_now.items() if employee not in asked and any(
            s.process == self.run_number and s.check_date == self.check_date for s in rows)]
        if not new:
            return {}
        level = 'cost_center%s' % self.connection_id.analytic_level
        bindings = self.env['paylocity.employee'].sudo().with_context(active_test=False).search(
            [('connection_id', '=', self.connection_id.id), ('paylocity_employee_code', 'in', new)])
        return {b.paylocity_employee_code: b[level] or None for b in bindings}

    def _make_correction(self, fix, comparison, current, before, after):
        """The correcting entry (posted or draft as the connection says, in an open period), then the current
        statements stored as the run's."""
        connection = self.connection_id
        lines = [Command.create({
            'account_id': line.account,
            'name': line.label,
            'debit': float(line.debit),
            'credit': float(line.credit),
            'partner_id': line.partner or False,
            'analytic_distribution': {str(line.analytic): 100.0} if line.analytic else False,
            **self._cash_line_vals(line, name=line.label),
        }) for line in fix.lines]
        delta = {
            'paylocity_gross': float(after.totals.gross - before.totals.gross),
            'paylocity_deductions': float(after.totals.deductions - before.totals.deductions),
            'paylocity_employee_taxes': float(after.totals.employee_taxes - before.totals.employee_taxes),
            'paylocity_net': float(after.totals.net - before.totals.net),
            'paylocity_employer_cost': float(after.totals.employer - before.totals.employer),
        }
        journal = self.move_id.journal_id or connection.journal_id
        problems = connection._payroll_currency_problems(journal)
        if problems:
            return self._record_difference(self.env._(
                "Paylocity changed this run (%(what)s); no correcting entry is made: %(problems)s", what=fix.label,
                problems=' '.join(problems)))
        ref = payroll.entry_reference(connection.paylocity_company_code, self.company_id.name, self.check_date,
                                      self.run_number)
        vals = {
            'move_type': 'entry',
            'journal_id': journal.id,
            'date': self._entry_date(),
            'ref': self.env._("Correction of %(ref)s: %(what)s", ref=ref, what=fix.label)[:1000],
            'company_id': self.company_id.id,
            'paylocity_pay_run_id': self.id,
            'paylocity_fingerprint': comparison.fingerprint,
            'paylocity_reason': fix.label,
            'line_ids': lines,
            **delta,
        }
        post = connection.payroll_correction_posting == 'post'
        try:
            move, post = self._create_entry(vals, post)
        except Exception as exc:  # noqa: BLE001 - nothing of the entry is left; the run says why, next round retries
            return self._record_difference(self.env._(
                "Paylocity changed this run (%(what)s); the correcting entry could not be made: %(error)s",
                what=fix.label, error=payroll.error_text(exc)))
        self._replace_statements(comparison, current, move)
        self._add_totals(after.paylocity_totals, before.paylocity_totals, after.totals, before.totals)
        self._close_difference(self.env._("Correction %(move)s made.", move=self._entry_title(move)))
        link = move._get_html_link(title=self._entry_title(move))
        # What changed (employees, amounts) is the entry's reference, for those who open entries.
        if post:
            self._note(Markup("%s %s") % (self.env._("Correction posted:"), link))
        else:
            self._note(Markup("%s %s") % (self.env._("Correction created in draft:"), link))
            self._schedule_todo(self.env._(CORRECTION_SUMMARY), self.env._(
                "Paylocity changed this run after it was posted. Review the correcting entry %(move)s and post it.",
                move=self._entry_title(move)))
        return move

    def _entry_title(self, move):
        """How the run's chatter names an entry: its number, never its reference (what changed, whose pay)."""
        if move.name and move.name != '/':
            return move.name
        return self.env._("draft entry %(id)s", id=move.id)

    def _add_totals(self, paylocity_after, paylocity_before, after, before):
        """Paylocity's totals as last read: the stored ones moved by the changed employees' delta."""
        self.write({
            'paylocity_gross': self.paylocity_gross + float(paylocity_after.gross - paylocity_before.gross),
            'paylocity_net': self.paylocity_net + float(paylocity_after.net - paylocity_before.net),
            'gross': self.gross + float(after.gross - before.gross),
            'deductions': self.deductions + float(after.deductions - before.deductions),
            'employee_taxes': self.employee_taxes + float(after.employee_taxes - before.employee_taxes),
            'employer_cost': self.employer_cost + float(after.employer - before.employer),
            'net': self.net + float(after.net - before.net),
        })

    def _replace_statements(self, comparison, current, move):
        """Store the current statements of the changed transactions as the run's: rows of removed or changed
        statements are archived (``superseded_by_move_id``), rows of added or changed ones created
        (``correction_move_id``)."""
        current = {pay.employee_id: pay for pay in current}
        Statement = self.env['paylocity.pay.run.statement'].sudo()
        Line = self.env['paylocity.pay.run.line'].sudo()
        for employee in comparison.employees:
            numbers = {c.transaction_number for c in comparison.changes if c.employee_id == employee}
            old = [('run_id', '=', self.id), ('paylocity_employee_code', '=', employee),
                   ('transaction_number', 'in', list(numbers))]
            Statement.search(old).write({'active': False, 'superseded_by_move_id': move.id})
            Line.search(old).write({'active': False, 'superseded_by_move_id': move.id})
            pay = current.get(employee)
            if not pay:
                continue
            row = self._run_employee_row(employee, pay)
            common = {'run_id': self.id, 'run_employee_id': row.id, 'paylocity_employee_code': employee,
                      'employee_id': row.employee_id.id, 'correction_move_id': move.id}
            types = {d.transaction_number: getattr(d, 'transaction_type', None) for d in pay.details}
            Statement.create([{
                **common, 'check_date': s.check_date or self.check_date, 'process': s.process,
                'transaction_number': s.transaction_number, 'check_number': getattr(s, 'check_number', None) or 0,
                'voucher_number': getattr(s, 'voucher_number', None) or 0,
                'begin_date': getattr(s, 'begin_date', None), 'end_date': getattr(s, 'end_date', None),
                'gross_pay': s.gross_pay or 0, 'net_pay': s.net_pay or 0,
                'net_check': getattr(s, 'net_check', None) or 0,
                'direct_deposit_amount': getattr(s, 'direct_deposit_amount', None) or 0,
                'transaction_type': types.get(s.transaction_number) or False,
            } for s in pay.summaries if s.transaction_number in numbers])
            Line.create([{
                **common, 'cost_center': row.cost_center, 'check_date': d.check_date or self.check_date,
                'transaction_number': d.transaction_number, 'transaction_type': getattr(d, 'transaction_type', None),
                'det': d.det, 'det_code': d.det_code, 'det_type': getattr(d, 'det_type', None),
                'amount': d.amount or 0,
                'hours': float(d.hours) if getattr(d, 'hours', None) is not None else 0.0,
                'rate': float(d.rate) if getattr(d, 'rate', None) is not None else 0.0,
            } for d in pay.details if d.transaction_number in numbers])
            live = row.statement_ids
            row.write({'gross_pay': sum(live.mapped('gross_pay')), 'net_pay': sum(live.mapped('net_pay'))})

    def _run_employee_row(self, employee, pay):
        """The run's row of ``employee``, made 'paid' (created for an employee the run did not ask)."""
        row = self.employee_ids.filtered(lambda r: r.paylocity_employee_code == employee)
        if row:
            row._set_state('paid', {'error': False})
            return row
        binding = self.env['paylocity.employee'].sudo().with_context(active_test=False).search(
            [('connection_id', '=', self.connection_id.id), ('paylocity_employee_code', '=', employee)], limit=1)
        return self.env['paylocity.pay.run.employee'].sudo().create({
            'run_id': self.id, 'paylocity_employee_code': employee, 'binding_id': binding.id,
            'employee_id': binding.employee_id.id, 'cost_center': pay.cost_center or False,
            'fetch_state': 'paid', 'fetched_at': fields.Datetime.now()})
