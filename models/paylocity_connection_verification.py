# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Verification of posted pay runs, for a connection: the options, which runs are watched, and one round.

Paylocity sends no event when a processed payroll changes (a void, a manual check, a corrected line), so every
posted run is compared with Paylocity for a window after posting. The round rides on the daily pay-run discovery,
which already reads each relevant employee's summaries for the year: only the statements whose summary is new or
changed have their details read again (``paylocity.verification``), so a day when nothing changed costs no call
beyond the discovery's own (a few more summary reads at most: employees a watched run paid whom the discovery would
not ask, and the previous year in early January).
"""
import datetime
import logging

from odoo import fields, models
from odoo.exceptions import UserError

from ..paylocity import payroll, verification
from ..paylocity.errors import PaylocityError

_logger = logging.getLogger(__name__)


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    payroll_verify_days = fields.Integer(
        'Verify posted runs for (days)', default=35, tracking=True,
        help="After a pay run's entry is made, the daily discovery compares the run with Paylocity for this many "
             "days; what Paylocity changed becomes a correcting entry. 0 turns verification off.")
    payroll_correction_posting = fields.Selection(
        [('draft', 'Leave in draft for the accountant'), ('post', 'Post the correction')],
        string='Corrections', default='draft', required=True, tracking=True,
        help="What happens to a correcting entry made when Paylocity changed a posted run: left in draft with an "
             "activity for the accountant to review and post, or posted at once.")
    payroll_locked_period = fields.Selection(
        [('open_day', 'Date it on the first open day'), ('wait', 'Leave it in draft for the accountant')],
        string='Entry date in a locked period', default='open_day', required=True, tracking=True,
        help="When an entry's date (check date, period end or processing date) falls in a period closed by the "
             "company's lock dates: date it in the first open period the way Odoo does, and say so on the run; or "
             "leave the entry in draft with an activity for the accountant.")
    payroll_verify_last_at = fields.Datetime('Posted runs last verified', readonly=True, copy=False)

    _payroll_verify_days_positive = models.Constraint(
        'CHECK (payroll_verify_days >= 0)', "The verification window cannot be negative.")

    def _accounting_option_fields(self):
        return super()._accounting_option_fields() | {'payroll_correction_posting', 'payroll_locked_period'}

    def _pay_runs_to_verify(self):
        """The connection's runs that made an entry still live, posted within the verification window."""
        self.ensure_one()
        runs = self.env['paylocity.pay.run'].sudo()
        if self.payroll_verify_days <= 0:
            return runs
        since = fields.Datetime.now() - datetime.timedelta(days=self.payroll_verify_days)
        candidates = runs.search([('connection_id', '=', self.id), ('state', '=', 'posted'),
                                  ('posted_at', '>=', since)], order='check_date, run_number')
        return candidates.filtered(lambda run: run._entry_status() in ('draft', 'posted'))

    def _verification_reads(self, runs, employees, years):
        """The discovery's (employees, years) widened to what verifying ``runs`` needs: every employee a run paid
        and the year of every run's check date."""
        self.ensure_one()
        if not runs:
            return employees, years
        paid = set(self.env['paylocity.pay.run.employee'].sudo().search(
            [('run_id', 'in', runs.ids), ('fetch_state', '=', 'paid')]).mapped('paylocity_employee_code'))
        employees = sorted(set(employees) | paid, key=lambda e: (len(e), e))
        years = sorted(set(years) | {run.check_date.year for run in runs})
        return employees, years

    def _verify_pay_runs(self, runs, results):
        """One verification round of ``runs`` from the discovery's fan-out ``results`` (((employee, year),
        summaries or error), ...): details read again only where a summary is new or changed, then each run
        compared and corrected on its own. Returns {'checked': n, 'corrections': moves, 'differences': n}."""
        self.ensure_one()
        outcome = {'checked': 0, 'corrections': self.env['account.move'], 'differences': 0}
        if not runs:
            return outcome
        summaries_now, unreadable = {}, set()
        for (employee, _year), result in results:
            if isinstance(result, BaseException):
                unreadable.add(str(employee))
            else:
                summaries_now.setdefault(str(employee), []).extend(result)
        for employee in unreadable:   # not checked today: stays as posted
            summaries_now.pop(employee, None)
        posted_runs = {(run.check_date, run.run_number): run._employee_pays() for run in runs}
        details_now = self._read_changed_details(verification.details_calls(posted_runs, summaries_now))
        for run in runs:
            pays = posted_runs[(run.check_date, run.run_number)]
            details = details_now.get(run.check_date, {})
            # An employee whose details could not be read is left as posted until the next round.
            summaries = {employee: rows for employee, rows in summaries_now.items()
                         if details.get(employee, ()) is not None}
            try:
                with self.env.cr.savepoint():
                    result = run._verify_against(pays, summaries,
                                                 {k: v for k, v in details.items() if v is not None})
            except Exception as exc:  # noqa: BLE001 - one run's failure leaves the others verified
                _logger.warning("Paylocity pay run %s: verification stopped: %s", run.id, payroll.error_text(exc))
                continue
            outcome['checked'] += 1
            if result:
                outcome['corrections'] |= result
            if run.open_difference:
                outcome['differences'] += 1
        self.sudo().write({'payroll_verify_last_at': fields.Datetime.now()})
        return outcome

    def _read_changed_details(self, calls):
        """{check date: {employee: details, or None when the read failed}} for ``calls`` ((employee, date), ...)."""
        out = {}
        if not calls:
            return out
        client = self._get_client()
        try:
            results = client.fan_out(
                lambda call: client.get_pay_statement_details(call[0], call[1].year, call[1]), calls)
        finally:
            client.close()
        for (employee, check_date), result in results:
            if isinstance(result, BaseException):
                _logger.warning("Paylocity connection %s: details for verification could not be read: %s",
                                self.id, payroll.error_text(result))
                result = None
            out.setdefault(check_date, {})[str(employee)] = result
        return out

    def action_verify_pay_runs(self):
        """Check posted runs now: the discovery's read of the year's summaries, then verification of the watched
        runs (corrections need the same rights as posting)."""
        self.ensure_one()
        self.env['paylocity.pay.run']._check_accountant()
        self.check_access('read')
        runs = self.sudo()._pay_runs_to_verify()
        moves = self.env['account.move'].sudo()
        correction_domain = [('paylocity_pay_run_id.connection_id', '=', self.id), ('paylocity_fingerprint', '!=', False)]
        before = moves.search_count(correction_domain)
        try:
            self.sudo()._poll_pay_runs()
        except PaylocityError as exc:
            raise UserError(self.env._("Paylocity could not be read: %(reason)s", reason=payroll.error_text(exc))) \
                from None
        made = moves.search_count(correction_domain) - before
        open_count = len(runs.filtered('open_difference'))
        return self._notify(self.env._(
            "%(checked)s posted run(s) checked: %(made)s correction(s) made, %(open)s open difference(s).",
            checked=len(runs), made=made, open=open_count), 'warning' if open_count else 'success')
