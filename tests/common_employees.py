# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Shared set-up of the employee-sync tests: the foundation's sandbox and connection, Paylocity-shaped webhook
deliveries stored the way intake stores them, the event processor, and a spy on every write."""
import datetime
import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests.common import release_test_lock

from ..paylocity.transport import RetryPolicy
from ..paylocity.webhooks import classify
from ..sandbox.webhooks import build_bodies
from .common import PaylocityCase

FAST_RETRY = {'retry': RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, max_total=2.0)}
SPIED_MODELS = ('hr.employee', 'hr.version', 'paylocity.employee', 'res.partner')


class EmployeeSyncCase(PaylocityCase):
    """The sandbox company C1001 (5 people: a CEO and four department managers reporting to them) behind the
    foundation's connection, with departments taken from cost-center level 2 ("Department" in the sandbox)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, paylocity_client_options=FAST_RETRY))
        cls.connection = cls.connection.with_env(cls.env)
        cls.connection.write({'department_level': '2'})
        cls.env['ir.config_parameter'].sudo().set_param('paylocity_connector.event_retry_base_seconds', '60')

    # === PAYLOCITY SIDE === #
    def company_data(self, paylocity_company='C1001'):
        return self.sandbox.company(paylocity_company)

    def person(self, employee_id, paylocity_company='C1001'):
        return self.company_data(paylocity_company).employee(employee_id)

    def hire(self, paylocity_company='C1001', **fields):
        """A new person in the sandbox (department 10, so that a manager exists), hired 300 days ago."""
        fields.setdefault('cost_center2', '10')
        fields.setdefault('hire_date', self.days_ago(300))
        return self.sandbox.hire(paylocity_company, **fields)

    @staticmethod
    def days_ago(days):
        """A date relative to today (the sandbox orders each person's status history by date)."""
        return datetime.date.today() - datetime.timedelta(days=days)

    # === WEBHOOKS AND EVENTS === #
    def deliver(self, event_type, employee_id, connection=None):
        """Store a Paylocity-shaped delivery as intake does (classified, de-duplicated) and return its event."""
        connection = connection or self.connection
        with self.sandbox.lock:
            body = build_bodies(self.sandbox.company(connection.paylocity_company_code), event_type,
                                employee_id=employee_id)[0]
        raw = json.dumps(body).encode()
        return self.env['paylocity.event'].sudo()._store_delivery(
            connection, classify(body), raw, {'remote_addr': '127.0.0.1', 'headers': {}})

    def process(self):
        """Run the event processor until nothing due is left."""
        Event = self.env['paylocity.event']
        for _round in range(50):
            if not Event._cron_process_events():
                return
        raise AssertionError("the event queue never drained")

    # === ODOO SIDE === #
    def binding(self, employee_id, connection=None):
        return self.env['paylocity.employee'].search([
            ('connection_id', '=', (connection or self.connection).id),
            ('paylocity_employee_code', '=', employee_id)])

    def employee(self, employee_id, connection=None):
        return self.binding(employee_id, connection).employee_id

    def code(self, code_type, code, connection=None):
        return self.env['paylocity.code'].with_context(active_test=False).search([
            ('connection_id', '=', (connection or self.connection).id), ('code_type', '=', code_type),
            ('code', '=', code)])

    def sync(self, connection=None, **kwargs):
        """One complete reconciliation of the connection."""
        with self.threads_may_use_cursors():
            done = (connection or self.connection)._poll_employees(**kwargs)
        self.assertTrue(done)
        return (connection or self.connection).employee_poll_message

    @contextmanager
    def threads_may_use_cursors(self):
        """The client's fan-out threads read the token cache through their own (test) cursors; in a test the
        main thread holds the registry's test lock, so it is released while they run (as HttpCase does)."""
        with release_test_lock():
            yield

    @contextmanager
    def spy_writes(self, models=SPIED_MODELS):
        """Records ``(model, ids, vals)`` of every create and write on ``models`` (behaviour unchanged)."""
        calls = []
        patchers = []
        for model in models:
            model_class = type(self.env[model])

            def write(records, vals, _original=model_class.write, _model=model):
                calls.append((_model, 'write', tuple(records.ids), dict(vals)))
                return _original(records, vals)

            def create(records, vals_list, _original=model_class.create, _model=model):
                calls.append((_model, 'create', (), vals_list))
                return _original(records, vals_list)

            patchers += [patch.object(model_class, 'write', write), patch.object(model_class, 'create', create)]
        for patcher in patchers:
            patcher.start()
        try:
            yield calls
        finally:
            for patcher in reversed(patchers):
                patcher.stop()

    def messages(self, record):
        return self.env['mail.message'].search([('model', '=', record._name), ('res_id', '=', record.id)])
