# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Event handlers of the employee sync: New Hire, Termination and Employee Change.

Webhook bodies are partial (Employee Change carries only the two ids), so each handler re-reads the employee's
full record from Paylocity and applies it through the sync engine; all three are therefore the same refresh,
idempotent by the binding's payload hash. A failed read raises before anything is written.

Paylocity's data can lag its doorbell: a New Hire webhook may come before the API shows the person. Such a New Hire
is retried on the connection's schedule (the queue's backoff, up to its *Processing attempts*) before it ends
``done`` with "nothing changed"; the daily reconciliation catches the person later in any case.
"""
from odoo import models

from ..paylocity import directory
from ..paylocity.errors import NotFound
from ..paylocity.webhooks import NEW_HIRE


class EmployeeNotShownYet(Exception):
    """Paylocity does not show the newly hired person yet: the event is retried later."""


class PaylocityEvent(models.Model):
    _inherit = 'paylocity.event'

    def _handle_new_hire(self):
        return self._refresh_paylocity_employee()

    def _handle_termination(self):
        return self._refresh_paylocity_employee()

    def _handle_employee_change(self):
        return self._refresh_paylocity_employee()

    def _refresh_paylocity_employee(self):
        self.ensure_one()
        connection = self.connection_id.sudo()
        employee_id = self.paylocity_employee_code
        if not employee_id:
            raise ValueError("the event names no Paylocity employee")
        if not connection.sync_employees:
            return {'result_message': self.env._("Employee sync is off for this connection: nothing done.")}
        try:
            record = connection._fetch_employee_record(employee_id)
        except NotFound:
            if self._may_wait_for_the_api():
                raise EmployeeNotShownYet(self.env._(
                    "Paylocity does not show employee %(id)s yet (its data can lag the New Hire webhook); tried "
                    "again later.", id=employee_id)) from None
            return {'result_message': self.env._(
                "Paylocity has no employee %(id)s in company %(company)s: nothing changed.",
                id=employee_id, company=connection.paylocity_company_code)}
        entry = directory.entry_from_record(record)
        outcomes = self.env['paylocity.employee']._sync_entries(
            connection, [entry], origin='poll' if self.source == 'poll' else 'webhook', isolate=False)
        outcome = outcomes[entry.employee_id]
        values = {'result_message': outcome.message}
        if outcome.binding:
            values['employee_id'] = outcome.binding.employee_id.id
        return values

    def _may_wait_for_the_api(self):
        """A New Hire webhook whose person the API does not show is worth another attempt, until the last one."""
        return (self.event_type == NEW_HIRE and self.source == 'webhook'
                and self.attempt_count < self._job_max_attempts())
