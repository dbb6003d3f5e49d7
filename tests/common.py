# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the Odoo test modules share, in one place.

- ``PaylocityCase``: a real sandbox (seed 1, 5 people, C1001 and C2002), two companies, a Paylocity user and
  administrator, one connection (``make_connection``).
- ``EmployeeSyncCase``: ``PaylocityCase`` with the employee-sync helpers (the sandbox's people, bindings,
  reconciliation, a spy on writes).
- ``EventSetupMixin``: connections W1001 and W2002 with known webhook credentials and test-only handlers.
- ``PayrollCase``: its own sandbox (seed 3, 20 people) with charts, accounts, codes, bindings and mappings, and the
  expected totals computed from the sandbox's own statements (never with the connector's code).
- ``EventQueueMixin`` (in all of them): deliveries stored the way intake stores them, and the event queue drained.
"""
import base64
import datetime
import json
import logging
import socket
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user
from odoo.tests.common import release_test_lock

from ..const import ACCOUNTANT_GROUP, ADMIN_GROUP, USER_GROUP
from ..paylocity.webhooks import hash_webhook_password
from ..paylocity.hosts import sandbox_hosts
from ..paylocity.transport import RetryPolicy
from ..paylocity.webhooks import classify
from ..sandbox import SandboxServer
from ..sandbox.webhooks import build_bodies


# === CONSTANTS === #
WEBHOOK_USER = 'paylocity-hooks'
WEBHOOK_PASSWORD = 'correct horse battery staple'
FAST_RETRY = {'retry': RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, max_total=2.0)}
SPIED_MODELS = ('hr.employee', 'hr.version', 'paylocity.employee', 'res.partner')
COMPANIES = ('C1001', 'C2002')
LEVEL = '2'   # the sandbox's level 2 is "Department": analytic accounts and cost-center rules use it
# Tests do not wait for Paylocity's pace (the bench does): no limit in the sandbox, a fast client, quick retries.
# 10 s is the shortest timeout Odoo's test harness accepts without noting it on every request.
FAST = {'retry': RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, max_total=30.0),
        'weblink_rate': 500.0, 'timeout': 10.0}

# code -> (kind, debit account key, credit account key, analytic on the expense side, partner key)
MAPPING = {
    'REG': ('debit', 'wages', None, True, None),
    'OT': ('debit', 'overtime', None, True, None),
    'BONUS': ('debit', 'bonus', None, True, None),
    '401K': ('credit', None, 'k401', False, 'fund'),
    'MED': ('credit', None, 'benefits', False, 'carrier'),
    'DEN': ('credit', None, 'benefits', False, 'carrier'),
    'FITW': ('credit', None, 'federal', False, 'irs'),
    'SITW': ('credit', None, 'state', False, 'state'),
    'FICA': ('credit', None, 'federal', False, 'irs'),
    'MEDI': ('credit', None, 'federal', False, 'irs'),
    'FICA-ER': ('both', 'er_tax', 'federal', True, 'irs'),
    'MEDI-ER': ('both', 'er_tax', 'federal', True, 'irs'),
    'FUTA': ('both', 'er_tax', 'futa', True, 'irs'),
    'SUTA': ('both', 'er_tax', 'state', True, 'state'),
}
ACCOUNTS = {  # key -> (code suffix, name, type); codes are made unique per company (see _setup_company)
    'wages': ('9101', 'Wages', 'expense'),
    'overtime': ('9102', 'Overtime', 'expense'),
    'bonus': ('9103', 'Bonuses', 'expense'),
    'er_tax': ('9104', 'Employer payroll taxes', 'expense'),
    'k401': ('8101', '401(k) payable', 'liability_current'),
    'benefits': ('8102', 'Benefits payable', 'liability_current'),
    'federal': ('8103', 'Federal taxes payable', 'liability_current'),
    'state': ('8104', 'State taxes payable', 'liability_current'),
    'futa': ('8105', 'FUTA payable', 'liability_current'),
    'net': ('8109', 'Net pay clearing', 'liability_current'),
}
CODE_TYPES = {'earnings': 'earning', 'deductions': 'deduction', 'taxes': 'tax',
              'costcenter1': 'costcenter1', 'costcenter2': 'costcenter2', 'costcenter3': 'costcenter3'}


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


def accountant_user(env, login, company):
    """An accounting manager who is a Paylocity user of ``company`` only (no Paylocity administration): who maps,
    posts and re-posts pay runs."""
    return new_test_user(env, login=login, name='Payroll Accountant',
                         groups='base.group_user,%s,%s' % (ACCOUNTANT_GROUP, USER_GROUP),
                         company_id=company.id, company_ids=[Command.set([company.id])])


def basic_auth(user=WEBHOOK_USER, password=WEBHOOK_PASSWORD):
    return 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()


def closed_port_url():
    """An http URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return 'http://127.0.0.1:%d' % port


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a broken log call must not break the capture
            self.lines.append(str(record.msg))


class EventQueueMixin:
    """Deliveries stored the way intake stores them (classified, de-duplicated, without HTTP), and the event
    processor run until nothing due is left."""

    def store(self, body, connection=None):
        """Store the webhook ``body`` for ``connection`` (the test's own by default); return its event."""
        raw = json.dumps(body).encode()
        return self.env['paylocity.event'].sudo()._store_delivery(
            connection or self.connection, classify(body), raw, {'remote_addr': '127.0.0.1', 'headers': {}})

    def deliver(self, event_type, employee_id=None, connection=None, **fields):
        """Store the delivery the sandbox would send for ``event_type`` (of ``employee_id``, or with ``fields``
        such as ``process_id``) to ``connection``; return its event."""
        connection = connection or self.connection
        if employee_id is not None:
            fields['employee_id'] = employee_id
        with self.sandbox.lock:
            body = build_bodies(self.sandbox.company(connection.paylocity_company_code), event_type, **fields)[0]
        return self.store(body, connection)

    def deliver_payroll(self, process_id, connection=None):
        """Store a Payroll Processed delivery of the sandbox's run ``process_id``; return its event."""
        return self.deliver('payroll_processed', connection=connection, process_id=process_id)

    def process_events(self):
        """Run the event processor until nothing due is left (what the cron's progress loop does)."""
        Event = self.env['paylocity.event']
        for _round in range(100):
            if not Event._cron_process_events():
                return
        raise AssertionError("the event queue never drained")

    @contextmanager
    def threads_may_use_cursors(self):
        """The client's fan-out threads read the token cache through their own (test) cursors; in a test the
        main thread holds the registry's test lock, so it is released while they run (as HttpCase does)."""
        with release_test_lock():
            yield


class PaylocityCase(EventQueueMixin, TransactionCase):
    """A real sandbox on 127.0.0.1, two companies, a Paylocity user and administrator, and one connection.

    The registry is in test mode, so the token cache's separate cursors work inside the test transaction.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry_enter_test_mode_cls()
        cls.sandbox = SandboxServer(seed=1, employees=5, companies=('C1001', 'C2002'))
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)

        # Start from no connection at all (the demo one would collide with the unique constraints).
        cls.env['paylocity.connection'].with_context(active_test=False).search([]).unlink()

        cls.company = cls.env.company
        cls.other_company = cls.env['res.company'].create({'name': 'Paylocity Other Co'})
        cls.admin_user = new_test_user(
            cls.env, login='pl_admin', groups='base.group_user,%s' % ADMIN_GROUP,
            company_id=cls.company.id, company_ids=[(6, 0, [cls.company.id])])
        cls.user = new_test_user(
            cls.env, login='pl_user', groups='base.group_user,%s' % USER_GROUP,
            company_id=cls.company.id, company_ids=[(6, 0, [cls.company.id])])
        cls.connection = cls.make_connection()

    def setUp(self):
        super().setUp()
        self.sandbox.reset_calls()
        self.sandbox.clear_faults()

    @classmethod
    def make_connection(cls, paylocity_company='C1001', credentials_of=None, sandbox=None,
                        families=('weblink', 'nextgen'), **values):
        """A connection to the sandbox company ``paylocity_company``; ``credentials_of`` picks whose sandbox
        credentials it gets; ``values`` override the rest (e.g. ``company_id``)."""
        sandbox = sandbox or cls.sandbox
        hosts = sandbox_hosts(sandbox.base_url)
        vals = {
            'name': 'Sandbox %s' % paylocity_company,
            'paylocity_company_code': paylocity_company,
            'environment': 'test',
            'company_id': cls.company.id,
            'weblink_base_url': hosts.weblink_base,
            'weblink_token_url': hosts.weblink_token,
            'nextgen_base_url': hosts.nextgen_base,
            'nextgen_token_url': hosts.nextgen_token,
            'request_timeout': 10,  # Odoo's test harness raises shorter ones to 10 s anyway
        }
        vals.update(values)
        connection = cls.env['paylocity.connection'].create(vals)
        creds = sandbox.credentials(credentials_of or paylocity_company)
        if 'weblink' in families:
            connection._set_credentials('weblink', creds.weblink_client_id, creds.weblink_client_secret)
        if 'nextgen' in families:
            connection._set_credentials('nextgen', creds.nextgen_client_id, creds.nextgen_client_secret)
        return connection

    def raw_row(self, connection):
        """The connection's row as PostgreSQL holds it (no ORM, no decryption)."""
        self.env.flush_all()
        self.env.cr.execute('SELECT * FROM paylocity_connection WHERE id = %s', (connection.id,))
        columns = [desc[0] for desc in self.env.cr.description]
        return dict(zip(columns, self.env.cr.fetchone()))

    @contextmanager
    def capture_logs(self):
        """Every log line emitted (at the loggers' own levels) while the block runs."""
        handler = _Capture()
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            yield handler.lines
        finally:
            root.removeHandler(handler)


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

    def hire_announced(self):
        """A person hired in the sandbox, announced by a New Hire delivery and processed: (employee code, employee)."""
        eid = self.hire()
        self.deliver('new_hire', eid)
        self.process_events()
        return eid, self.employee(eid)

    @staticmethod
    def days_ago(days):
        """A date relative to today (the sandbox orders each person's status history by date)."""
        return datetime.date.today() - datetime.timedelta(days=days)

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


class EventSetupMixin(EventQueueMixin):
    """Connections W1001 (company A) and W2002 (company B), both accepting 127.0.0.1 with a known password."""

    @classmethod
    def setup_event_fixtures(cls):
        env = cls.env
        # Events already in this database (a developer's or a demo's) are not these tests' to process: set
        # aside in SQL, as no transition of theirs would (a state changes only through its declared moves).
        env.flush_all()
        env.cr.execute("""UPDATE paylocity_event SET state = 'failed', claim_token = NULL
                           WHERE state IN ('received', 'processing', 'retrying', 'unsupported')""")
        env.invalidate_all()
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
        cls.accountant = accountant_user(env, 'ev_accountant', cls.company_a)
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


class PayrollCase(EventQueueMixin, TransactionCase):
    """Sandbox companies C1001 (Odoo company A) and C2002 (company B), 20 people each, three regular check dates;
    the latest carries a negative adjustment, a terminated employee's final check and an off-cycle bonus run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry_enter_test_mode_cls()
        cls.sandbox = SandboxServer(seed=3, employees=20, companies=COMPANIES, weblink_rate_limit=None)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.env = cls.env(context=dict(cls.env.context, paylocity_client_options=FAST, tracking_disable=True))
        cls.env['paylocity.connection'].with_context(active_test=False).search([]).unlink()
        cls.env['ir.config_parameter'].sudo().set_param('paylocity_connector.event_retry_base_seconds', '60')

        cls.plan = cls.env['account.analytic.plan'].create({'name': 'Payroll departments'})
        cls.setup = {}
        for paylocity_company, name in zip(COMPANIES, ('Payroll Co A', 'Payroll Co B')):
            cls.setup[paylocity_company] = cls._setup_company(paylocity_company, name)
        # The sandbox outlives each test's transaction: tests that add pay runs use dates after this one.
        cls.history_date = max(run.check_date for run in cls.sandbox.company('C1001').pay_runs)
        cls.company_a = cls.setup['C1001']['company']
        cls.company_b = cls.setup['C2002']['company']
        cls.connection = cls.setup['C1001']['connection']
        cls.connection_b = cls.setup['C2002']['connection']
        cls.admin_user = new_test_user(
            cls.env, login='pay_admin', groups='base.group_user,%s' % ADMIN_GROUP,
            company_id=cls.company_a.id, company_ids=[Command.set([cls.company_a.id])])
        cls.pl_user = new_test_user(
            cls.env, login='pay_user', groups='base.group_user,%s' % USER_GROUP,
            company_id=cls.company_a.id, company_ids=[Command.set([cls.company_a.id])])
        cls.accountant = accountant_user(cls.env, 'pay_accountant_a', cls.company_a)

    @classmethod
    def _setup_company(cls, paylocity_company, name):
        env = cls.env
        company = env['res.company'].create({'name': name, 'country_id': env.ref('base.us').id})
        env['account.chart.template'].try_loading('generic_coa', company=company, install_demo=False)
        Account = env['account.account'].with_company(company)
        prefix = 'P%s' % paylocity_company[1]   # Odoo 19 refuses a code another company's chart already uses
        accounts = {key: Account.create({'code': prefix + code, 'name': label, 'account_type': kind,
                                         'company_ids': [Command.set([company.id])]})
                    for key, (code, label, kind) in ACCOUNTS.items()}
        partners = {key: env['res.partner'].create({'name': '%s %s' % (label, paylocity_company),
                                                    'company_id': company.id})
                    for key, label in (('irs', 'IRS'), ('state', 'State revenue'), ('fund', '401k fund'),
                                       ('carrier', 'Benefits carrier'))}
        hosts = sandbox_hosts(cls.sandbox.base_url)
        connection = env['paylocity.connection'].create({
            'name': 'Payroll %s' % paylocity_company,
            'paylocity_company_code': paylocity_company,
            'environment': 'test',
            'company_id': company.id,
            'weblink_base_url': hosts.weblink_base,
            'weblink_token_url': hosts.weblink_token,
            'nextgen_base_url': hosts.nextgen_base,
            'nextgen_token_url': hosts.nextgen_token,
            'request_timeout': 10,
            'sync_employees': False,
            'analytic_level': LEVEL,
            'payroll_net_pay_account_id': accounts['net'].id,
            'payroll_start_date': '2020-01-01',
        })
        creds = cls.sandbox.credentials(paylocity_company)
        connection._set_credentials('weblink', creds.weblink_client_id, creds.weblink_client_secret)
        data = cls.sandbox.company(paylocity_company)

        # Paylocity codes as the reference-data import would bring them, with an analytic account per department.
        Code = env['paylocity.code']
        codes = {}
        for resource, code_type in CODE_TYPES.items():
            for code, description in data.codes(resource):
                codes[(code_type, code)] = Code.create({'connection_id': connection.id, 'code_type': code_type,
                                                        'code': code, 'name': description})
        analytics = {}
        for code, description in data.codes('costcenter%s' % LEVEL):
            analytic = env['account.analytic.account'].create({
                'name': '%s %s' % (paylocity_company, description), 'plan_id': cls.plan.id,
                'company_id': company.id})
            codes[('costcenter%s' % LEVEL, code)].analytic_account_id = analytic
            analytics[code] = analytic.id

        # Bindings as the employee sync would make them.
        bindings = {}
        for person in data.sorted_employees():
            employee = env['hr.employee'].create({'name': person.display_name, 'company_id': company.id})
            bindings[person.employee_id] = env['paylocity.employee'].create({
                'connection_id': connection.id, 'paylocity_employee_code': person.employee_id,
                'employee_id': employee.id, 'status_type': person.status_type,
                'termination_date': person.termination_date or False,
                'cost_center1': person.cost_center1, 'cost_center2': person.cost_center2,
                'cost_center3': person.cost_center3,
            })
        setup = {'company': company, 'accounts': accounts, 'partners': partners, 'connection': connection,
                 'codes': codes, 'analytics': analytics, 'bindings': bindings}
        rules = env['paylocity.gl.rule']
        for code in MAPPING:
            rules |= cls._make_rule(setup, code)
        setup['rules'] = rules
        return setup

    @classmethod
    def _make_rule(cls, setup, code, **overrides):
        kind, debit, credit, analytic, partner = MAPPING[code]
        code_type = 'earning' if kind == 'debit' else ('deduction' if code in ('401K', 'MED', 'DEN') else 'tax')
        vals = {
            'connection_id': setup['connection'].id,
            'code_id': setup['codes'][(code_type, code)].id,
            'debit_account_id': setup['accounts'][debit].id if debit else False,
            'credit_account_id': setup['accounts'][credit].id if credit else False,
            'analytic_mode': 'employee' if analytic else 'none',
            'partner_id': setup['partners'][partner].id if partner else False,
        }
        vals.update(overrides)
        return cls.env['paylocity.gl.rule'].create(vals)

    # === PAYLOCITY SIDE === #
    def data(self, paylocity_company='C1001'):
        return self.sandbox.company(paylocity_company)

    def latest_runs(self, paylocity_company='C1001'):
        """(regular run, off-cycle run) of the latest check date in the sandbox's history."""
        return tuple(self.data(paylocity_company).runs_on(self.history_date))

    def expected(self, sandbox_run, paylocity_company='C1001', mapping=MAPPING, override=None):
        """{(account id, analytic id or None): balance} for a sandbox pay run, from the sandbox's own lines and the
        mapping table above (net pay = Σ earnings − deductions − employee taxes, to the net pay account).
        ``override(person, line)`` may return another mapping tuple for one line (cost-center rules)."""
        setup = self.setup[paylocity_company]
        data = self.data(paylocity_company)
        accounts, analytics = setup['accounts'], setup['analytics']
        balances = defaultdict(Decimal)
        for statement in sandbox_run.statements:
            person = data.employee(statement.employee_id)
            analytic = analytics.get(getattr(person, 'cost_center%s' % LEVEL))
            net = Decimal(0)
            for line in statement.lines:
                kind, debit, credit, with_analytic, _partner = (override and override(person, line)) \
                    or mapping[line.det_code]
                if kind in ('debit', 'both'):
                    balances[(accounts[debit].id, analytic if with_analytic else None)] += line.amount
                if kind in ('credit', 'both'):
                    balances[(accounts[credit].id, None)] -= line.amount
                if kind == 'debit':
                    net += line.amount
                elif kind == 'credit':
                    net -= line.amount
            balances[(accounts['net'].id, None)] -= net
        return {key: value for key, value in balances.items() if value}

    def posted_balances(self, move):
        balances = defaultdict(Decimal)
        for line in move.line_ids:
            analytic = None
            if line.analytic_distribution:
                (key, share), = line.analytic_distribution.items()
                self.assertEqual(share, 100.0)
                analytic = int(key)
            balances[(line.account_id.id, analytic)] += Decimal(str(line.balance))
        return {key: value.quantize(Decimal('0.01')) for key, value in balances.items() if value}

    # === WEBHOOKS, POLLS AND PROCESSING === #
    def process_runs(self):
        # The fan-out's threads read the token cache through test cursors: let them take the test lock.
        with release_test_lock():
            return self.env['paylocity.pay.run']._cron_process_pay_runs()

    def poll(self, today, connection=None):
        with release_test_lock():
            return (connection or self.connection)._poll_pay_runs(today=today)

    def process_all(self):
        self.process_events()
        self.process_runs()

    def run_of(self, sandbox_run, connection=None):
        return self.env['paylocity.pay.run'].search([
            ('connection_id', '=', (connection or self.connection).id),
            ('check_date', '=', sandbox_run.check_date), ('run_number', '=', sandbox_run.run_id)])

    def run_latest(self, paylocity_company='C1001'):
        """The latest regular run of the sandbox, delivered by webhook and processed: (sandbox run, pay run)."""
        regular, _off_cycle = self.latest_runs(paylocity_company)
        connection = self.setup[paylocity_company]['connection']
        self.deliver_payroll(regular.process_id, connection=connection)
        self.process_all()
        return regular, self.run_of(regular, connection=connection)

    def run_held_for_mapping(self):
        """The latest off-cycle (bonus) run, delivered and processed with BONUS unmapped: (sandbox run, pay run)."""
        _regular, off_cycle = self.latest_runs()
        self.setup['C1001']['rules'].filtered(lambda rule: rule.code == 'BONUS').unlink()
        self.deliver_payroll(off_cycle.process_id)
        self.process_all()
        return off_cycle, self.run_of(off_cycle)

    def moves_of(self, run):
        return self.env['account.move'].search([('paylocity_pay_run_id', '=', run.id)])

    def statement_calls(self):
        return [call for call in self.sandbox.calls if '/paystatement/' in call.path]

    def now(self):
        return fields.Datetime.now()
