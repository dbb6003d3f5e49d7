# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Shared set-up of the payroll tests: a real sandbox with two Paylocity companies, two Odoo companies with a chart
of accounts, payroll accounts and analytic accounts of their own, connections, codes and bindings taken from the
sandbox's data, the mapping table, and expected totals computed from the sandbox's own pay statements (never with
the connector's code)."""
import json
from collections import defaultdict
from decimal import Decimal

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user
from odoo.tests.common import release_test_lock

from ..paylocity.hosts import sandbox_hosts
from ..paylocity.transport import RetryPolicy
from ..paylocity.webhooks import classify
from ..sandbox import SandboxServer
from ..sandbox.webhooks import build_bodies

ADMIN_GROUP = 'paylocity_connector.group_paylocity_admin'
USER_GROUP = 'paylocity_connector.group_paylocity_user'
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


class PayrollCase(TransactionCase):
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
    def deliver_payroll(self, process_id, connection=None):
        """Store a Payroll Processed delivery as intake does (classified, de-duplicated); return its event."""
        connection = connection or self.connection
        with self.sandbox.lock:
            body = build_bodies(self.sandbox.company(connection.paylocity_company_code), 'payroll_processed',
                                process_id=process_id)[0]
        return self.env['paylocity.event'].sudo()._store_delivery(
            connection, classify(body), json.dumps(body).encode(), {'remote_addr': '127.0.0.1', 'headers': {}})

    def process_events(self):
        Event = self.env['paylocity.event']
        for _round in range(50):
            if not Event._cron_process_events():
                return
        raise AssertionError("the event queue never drained")

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

    def moves_of(self, run):
        return self.env['account.move'].search([('paylocity_pay_run_id', '=', run.id)])

    def statement_calls(self):
        return [call for call in self.sandbox.calls if '/paystatement/' in call.path]

    def now(self):
        return fields.Datetime.now()
