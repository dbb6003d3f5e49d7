# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Shared set-up of the webhook and event tests: a connection on its own company, known webhook credentials,
Paylocity-shaped bodies, and test-only handlers patched onto ``paylocity.event``."""
import base64
import json
from unittest.mock import patch

from odoo.tests import new_test_user

from ..paylocity.webhooks import hash_webhook_password

ADMIN_GROUP = 'paylocity_connector.group_paylocity_admin'
USER_GROUP = 'paylocity_connector.group_paylocity_user'
WEBHOOK_USER = 'paylocity-hooks'
WEBHOOK_PASSWORD = 'correct horse battery staple'


def new_hire_body(employee_id='E100', company='W1001', hire_date='2026-01-05T00:00:00Z'):
    return {
        'companyId': company, 'companyName': 'Webhook Test Co', 'employeeId': employee_id,
        'employeeFirstName': 'Test', 'employeeLastName': 'Person', 'employeeHireDate': hire_date,
        'employeeCostCenter1': '11 - Software Development', 'employeeType': 'Regular Full Time',
    }


def employee_change_body(employee_id='E100', company='W1001'):
    return {'companyId': company, 'employeeId': employee_id}


def payroll_body(process_id='2026011601', company='W1001'):
    return {'companyId': company, 'processId': process_id, 'checkDate': '%s-%s-%s' % (
        process_id[:4], process_id[4:6], process_id[6:8]), 'runId': str(int(process_id[8:])),
        'status': 'Processed'}


def time_off_body(employee_id='E100', company='W1001'):
    return {'companyId': company, 'employeeId': employee_id, 'timeOffStartDate': '2026-02-02T00:00:00Z',
            'timeOffEndDate': '2026-02-03T00:00:00Z', 'hoursPerDay': 8.0, 'isAllDayEvent': True}


def basic_auth(user=WEBHOOK_USER, password=WEBHOOK_PASSWORD):
    return 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()


class EventSetupMixin:
    """Connections W1001 (company A) and W2002 (company B), both accepting 127.0.0.1 with a known password."""

    @classmethod
    def setup_event_fixtures(cls):
        env = cls.env
        # Events already in this database (a developer's or a demo's) are not these tests' to process.
        env['paylocity.event'].search([('state', 'in', ('received', 'processing', 'retrying', 'unsupported'))]).write(
            {'state': 'failed', 'claim_token': False})
        cls.company_a = env['res.company'].create({'name': 'Webhook Co A'})
        cls.company_b = env['res.company'].create({'name': 'Webhook Co B'})
        cls.connection = cls.make_event_connection('W1001', cls.company_a)
        cls.connection_b = cls.make_event_connection('W2002', cls.company_b)
        cls.admin_user = new_test_user(
            env, login='ev_admin', groups='base.group_user,%s' % ADMIN_GROUP,
            company_id=cls.company_a.id, company_ids=[(6, 0, [cls.company_a.id])])
        cls.pl_user = new_test_user(
            env, login='ev_user', groups='base.group_user,%s' % USER_GROUP,
            company_id=cls.company_a.id, company_ids=[(6, 0, [cls.company_a.id])])
        # Short, deterministic retry timing for the tests.
        params = env['ir.config_parameter'].sudo()
        params.set_param('paylocity_connector.event_retry_base_seconds', '60')
        params.set_param('paylocity_connector.webhook_max_bytes', '4096')

    @classmethod
    def make_event_connection(cls, paylocity_company, company, **values):
        connection = cls.env['paylocity.connection'].create({
            'name': 'Webhooks %s' % paylocity_company,
            'paylocity_company_code': paylocity_company,
            'environment': 'test',
            'company_id': company.id,
            'webhook_allowed_networks': '127.0.0.1/32',
            **values,
        })
        connection.sudo().write({'webhook_username': WEBHOOK_USER,
                                 'webhook_password_hash': hash_webhook_password(WEBHOOK_PASSWORD)})
        return connection

    # === HANDLERS === #
    def patch_handler(self, event_type, function):
        """Install ``function(event)`` as ``_handle_<event_type>`` for this test (None removes any handler)."""
        event_class = type(self.env['paylocity.event'])
        patcher = patch.object(event_class, '_handle_%s' % event_type, function, create=True)
        patcher.start()
        self.addCleanup(patcher.stop)

    def record_calls(self, event_type, result=None):
        """A handler that records the ids of the events it processed and returns ``result``."""
        calls = []

        def handler(event):
            calls.append(event.id)
            return result
        self.patch_handler(event_type, handler)
        return calls

    def process(self):
        """Run the processor until nothing due is left (what the cron's progress loop does)."""
        Event = self.env['paylocity.event']
        for _round in range(100):
            if not Event._cron_process_events():
                return
        raise AssertionError("the event queue never drained")

    # === STORAGE === #
    def store(self, body, connection=None):
        """Store a delivery the way intake does, without HTTP (for processing tests)."""
        from ..paylocity.webhooks import classify
        raw = json.dumps(body).encode()
        return self.env['paylocity.event'].sudo()._store_delivery(
            connection or self.connection, classify(body), raw, {'remote_addr': '127.0.0.1', 'headers': {}})
