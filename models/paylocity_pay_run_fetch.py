# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Fetching a pay run: who could have been paid, their statements batch by batch (resumable), and what a
round with errors leads to."""
from odoo import api, fields, models

from ..paylocity import payroll
from ..paylocity.errors import PaylocityError
from ..paylocity.fanout import FATAL_ERRORS


class EmployeeListUnread(Exception):
    """Paylocity's employee list of a pay run could not be read: the run is not fetched (its attempt fails)."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class PaylocityPayRun(models.Model):
    _inherit = 'paylocity.pay.run'

    @api.model
    def _fetch_candidates(self, connection):
        """The connection's bindings as ``payroll.Candidate`` (archived employees included: final checks)."""
        bindings = self.env['paylocity.employee'].sudo().with_context(active_test=False).search_read(
            [('connection_id', '=', connection.id)], ['paylocity_employee_code', 'status_type', 'termination_date'])
        return [payroll.Candidate(b['paylocity_employee_code'], b['status_type'] or None, b['termination_date'] or None)
                for b in bindings]

    def _list_employees(self, client):
        """Create one row per employee who could have been paid (the fetch's to-do list and resume point): the
        bound ones, and those Paylocity lists as active or on leave that the employee sync has not bound yet (a
        hire whose sync lags must not leave their pay out of the entry). False when the run failed instead.

        Without Paylocity's list the to-do list would be incomplete, so nothing is asked: ``EmployeeListUnread``
        fails the attempt and the job queue retries it on its schedule (the run stays unlisted, and fails with an
        activity after the connection's maximum attempts)."""
        connection = self.connection_id
        candidates = self._fetch_candidates(connection)
        try:
            listed = client.list_employees()
        except PaylocityError as exc:
            error = self.env._(
                "Paylocity's employee list could not be read (%(error)s). Nothing is fetched until it is: an "
                "employee the sync has not bound yet would be left out of the entry.", error=payroll.error_text(exc))
            if isinstance(exc, FATAL_ERRORS):   # refused credentials or rights: asking again will not help
                self._set_state('failed', {'last_error': error, 'next_try_at': False})
                self._note_and_alert(self.env._("Fetching the pay statements failed"), error)
                return False
            raise EmployeeListUnread(error, retry_after=getattr(exc, 'retry_after', None)) from exc
        candidates += payroll.unbound_candidates(listed, [c.employee_id for c in candidates])
        ids = payroll.employees_to_fetch(candidates, self.check_date, max(connection.payroll_lookback_days, 0))
        asked = set(self.employee_ids.mapped('paylocity_employee_code'))   # rows of an earlier, partial listing
        ids = [employee for employee in ids if employee not in asked]
        bindings = {b.paylocity_employee_code: b for b in self.env['paylocity.employee'].sudo().with_context(
            active_test=False).search([('connection_id', '=', connection.id), ('paylocity_employee_code', 'in', ids)])}
        level_field = 'cost_center%s' % connection.analytic_level
        self.env['paylocity.pay.run.employee'].sudo().create([{
            'run_id': self.id,
            'paylocity_employee_code': employee,
            'binding_id': bindings[employee].id if employee in bindings else False,
            'employee_id': bindings[employee].employee_id.id if employee in bindings else False,
            'cost_center': (bindings[employee][level_field] or False) if employee in bindings else False,
        } for employee in ids])
        self.write({'employees_listed': True, 'fetch_total': len(asked) + len(ids)})
        return True

    def _fetch(self):
        """Ask Paylocity for the statements of every listed employee not yet answered, batch by batch; each
        batch's answers are stored (and committed by the cron) before the next one, so a fetch that stops
        midway resumes without asking again. True when every employee is answered."""
        connection = self.connection_id
        rows_model = self.env['paylocity.pay.run.employee'].sudo()
        batch_size = max(self._param('payroll_fetch_batch'), 1)
        tried = []
        fatal = None
        retry_after = None   # the longest Retry-After Paylocity answered a failed call of this fetch with
        client = connection._get_client()
        try:
            if not self.employees_listed:
                if not self._list_employees(client):
                    return False
                self._job_renew_lease()
                self._commit_step()
                self._lock_or_raise()
            while True:
                rows = rows_model.search([('run_id', '=', self.id), ('fetch_state', 'in', ('pending', 'error')),
                                          ('id', 'not in', tried)], limit=batch_size, order='id')
                if not rows:
                    break
                by_employee = {row.paylocity_employee_code: row for row in rows}
                check_date, run_number = self.check_date, self.run_number
                results = client.fan_out(
                    lambda employee: payroll.fetch_run_statements(client, employee, check_date, run_number),
                    list(by_employee))
                outcome = payroll.sort_fetch_results(results)
                self._store_fetch(by_employee, outcome)
                tried += rows.ids
                fatal = outcome.fatal
                if outcome.retry_after is not None:
                    retry_after = max(retry_after or 0, outcome.retry_after)
                self._update_fetch_counts()
                if fatal:
                    break
                self._job_renew_lease()   # a fetch may outlast the lease: each committed batch renews it
                time_left = self._commit_step(processed=0)
                self._lock_or_raise()
                if time_left < self._param('payroll_min_seconds_left'):
                    self._request_processing()   # the cron's time is up: continue in its next run
                    return False
        finally:
            client.close()
        self._update_fetch_counts()
        if self.fetch_errors:
            return self._fetch_failed(fatal, retry_after)
        self._set_state('fetched', {'fetched_at': fields.Datetime.now(), 'last_error': False,
                    'fetch_attempts': 0})
        return True

    def _store_fetch(self, rows_by_employee, outcome):
        now = fields.Datetime.now()
        statements, lines = [], []
        for run_statements in outcome.paid:
            row = rows_by_employee[run_statements.employee_id]
            common = {'run_id': self.id, 'run_employee_id': row.id,
                      'paylocity_employee_code': row.paylocity_employee_code, 'employee_id': row.employee_id.id}
            for s in run_statements.summaries:
                statements.append({
                    **common, 'check_date': s.check_date or self.check_date, 'process': s.process,
                    'transaction_number': s.transaction_number, 'check_number': s.check_number,
                    'voucher_number': s.voucher_number, 'begin_date': s.begin_date, 'end_date': s.end_date,
                    'gross_pay': s.gross_pay or 0, 'net_pay': s.net_pay or 0, 'net_check': s.net_check or 0,
                    'direct_deposit_amount': s.direct_deposit_amount or 0,
                })
            for d in run_statements.details:
                lines.append({
                    **common, 'cost_center': row.cost_center, 'check_date': d.check_date or self.check_date,
                    'transaction_number': d.transaction_number, 'transaction_type': d.transaction_type,
                    'det': d.det, 'det_code': d.det_code, 'det_type': d.det_type, 'amount': d.amount or 0,
                    'hours': float(d.hours) if d.hours is not None else 0.0,
                    'rate': float(d.rate) if d.rate is not None else 0.0,
                })
            row._set_state('paid', {
                'error': False, 'attempts': row.attempts + 1, 'fetched_at': now,
                'gross_pay': sum((s.gross_pay or 0 for s in run_statements.summaries), 0),
                'net_pay': sum((s.net_pay or 0 for s in run_statements.summaries), 0),
            })
        if statements:
            self.env['paylocity.pay.run.statement'].sudo().create(statements)
        if lines:
            self.env['paylocity.pay.run.line'].sudo().create(lines)
        not_paid = self.env['paylocity.pay.run.employee'].sudo().browse(
            [rows_by_employee[employee].id for employee in outcome.not_paid])
        for row in not_paid:
            row._set_state('not_paid', {'error': False, 'attempts': row.attempts + 1, 'fetched_at': now})
        for employee, exc in outcome.failed:
            row = rows_by_employee[employee]
            row._set_state('error', {'error': payroll.error_text(exc, 200), 'attempts': row.attempts + 1})

    def _update_fetch_counts(self):
        self.env.flush_all()
        counts = dict(self.env['paylocity.pay.run.employee'].sudo()._read_group(
            [('run_id', '=', self.id)], ['fetch_state'], ['__count']))
        self.write({
            'fetch_done': counts.get('paid', 0) + counts.get('not_paid', 0),
            'fetch_errors': counts.get('error', 0),
            'paid_count': counts.get('paid', 0),
        })

    def _fetch_failed(self, fatal, retry_after=None):
        """Some employees could not be read: retry later with a growing delay, not before Paylocity's
        ``retry_after`` (seconds; within the queue's longest delay), or fail after the last round."""
        first = self.env['paylocity.pay.run.employee'].sudo().search(
            [('run_id', '=', self.id), ('fetch_state', '=', 'error')], limit=1)
        error = self.env._("%(count)s of %(total)s employees could not be read (%(error)s).",
                           count=self.fetch_errors, total=self.fetch_total, error=first.error or '')
        attempts = self.fetch_attempts + 1
        if fatal or attempts >= self._param('payroll_fetch_attempts'):
            self._set_state('failed', {'last_error': error, 'fetch_attempts': attempts, 'next_try_at': False})
            self._note_and_alert(self.env._("Fetching the pay statements failed"), error)
            return False
        next_try = self._job_retry_at(attempts, retry_after)
        self.write({'last_error': error, 'fetch_attempts': attempts, 'next_try_at': next_try})
        self._trigger_processing(next_try)
        return False
