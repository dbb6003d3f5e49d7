# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Payroll Processed events (webhook or poll finding) → the pay run they announce."""
import json

from odoo import fields, models

from ..paylocity.webhooks import parse_process_id


class PaylocityEvent(models.Model):
    _inherit = 'paylocity.event'

    pay_run_id = fields.Many2one('paylocity.pay.run', string='Pay run', readonly=True, index='btree_not_null',
                                 ondelete='set null')

    def _handle_payroll_processed(self):
        """Find or create the pay run (connection, check date, run) and have it processed.

        Idempotent: a duplicate delivery, the poll's finding of the same run and a replay all meet on the run's
        unique key; a run that already has its entry is left as it is.
        """
        self.ensure_one()
        connection = self.connection_id.sudo()
        check_date, run_number = parse_process_id(
            self.process_code, check_date=self.check_date or None, run_id=self.run_number or None)
        process_date = False
        summary = self._summary_json()
        if summary.get('process_date'):
            process_date = fields.Datetime.to_datetime(summary['process_date'][:19].replace('T', ' '))
        PayRun = self.env['paylocity.pay.run']
        run, created = PayRun._get_or_create(connection, check_date, run_number, source=self.source or 'webhook',
                                             process_date=process_date)
        if not run:
            reason = (self.env._("payroll posting is off for this connection") if not connection.payroll_enabled
                      else self.env._("its check date is before the connection's start date %(date)s",
                                      date=connection.payroll_start_date))
            return {'result_message': self.env._("Pay run %(process)s ignored: %(reason)s.",
                                                 process=self.process_code, reason=reason)}
        queued = run._request_processing()
        if created:
            message = self.env._("Pay run %(run)s recorded; fetching its statements.", run=run.name)
        elif queued:
            message = self.env._("Pay run %(run)s already known (%(state)s); processing it again.", run=run.name,
                                 state=dict(run._fields['state'].selection)[run.state])
        else:
            message = self.env._("Pay run %(run)s already known (%(state)s); nothing to do.", run=run.name,
                                 state=dict(run._fields['state'].selection)[run.state])
        return {'pay_run_id': run.id, 'move_id': run.move_id.id, 'result_message': message}

    def _summary_json(self):
        try:
            data = json.loads(self.summary or '{}')
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
