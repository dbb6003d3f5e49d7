# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The fault matrix (README "Testing"): one row per way Paylocity or the network fails, injected by the sandbox
into a real pay run and real employee sync. Every row ends with what the database shows: at most one entry per
run and the amounts of the sandbox's statements (nothing lost to the fault), every event accounted for, no
employee or statement twice, and the end state the row names (done at once, retried, or failed with an
activity and then retried by the accountant).

The process-killing rows (a worker killed by SIGKILL between creating and committing an entry) and 50
deliveries in parallel to a real threaded server live in bench/bench_fault_matrix.py."""
from collections import Counter

from odoo import fields, sql_db
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..paylocity.transport import RetryPolicy
from .common import FAST, EmployeeSyncCase, PayrollCase

QUIET = mute_logger('odoo.addons.paylocity_connector.paylocity.transport',
                    'odoo.addons.paylocity_connector.models.paylocity_job_mixin')
SUMMARY = '/employees/%s/paystatement/summary'
# A Retry-After above this is not waited for: the call fails at once and its job retries later.
MAX_RETRY_AFTER = 0.2
OPTIONS = dict(FAST, retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, max_total=30.0,
                                       max_retry_after=MAX_RETRY_AFTER))

# Pay-run rows: name -> (faults as sandbox.inject arguments, "%s" in a path standing for the 8th employee;
# the end state of the first processing round: 'posted' (absorbed within the call), 'retrying' (the run comes
# back on its own at next_try_at), 'failed' (an activity for the accountant, who presses Retry)).
PAY_RUN_ROWS = {
    'token_expiry_mid_run': ([dict(kind='expire_tokens', path=SUMMARY)], 'posted'),
    'unauthorized_twice': ([dict(kind='status', status=401, count=2, path=SUMMARY)], 'failed'),
    'rate_limit_storm_retry_after_a_day': ([dict(kind='status', status=429, retry_after=86400, count=8,
                                                 path='/paystatement/')], 'retrying'),
    'gateway_errors': ([dict(kind='status', status=503, path=SUMMARY),
                        dict(kind='status', status=502, path='/paystatement/details/')], 'posted'),
    'timeout': ([dict(kind='timeout', delay=12, path=SUMMARY)], 'posted'),
    'disconnect_before_answer': ([dict(kind='disconnect', path=SUMMARY)], 'posted'),
    'connection_reset': ([dict(kind='reset', path=SUMMARY)], 'posted'),
    'closed_mid_response': ([dict(kind='truncated', path=SUMMARY)], 'posted'),
    'broken_json_body': ([dict(kind='broken_body', path=SUMMARY)], 'retrying'),
}


def _pay_run_row(name):
    faults, first_state = PAY_RUN_ROWS[name]

    def test(self):
        self.check_pay_run_row(faults, first_state)
    test.__name__ = 'test_%s' % name
    test.__doc__ = "Pay run, fault %s: ends %s after the first round, then posted once." % (name, first_state)
    return test


@tagged('post_install', '-at_install')
class TestFaultMatrixPayRun(PayrollCase):
    """A payroll webhook for the latest regular run, with the row's faults on its statement calls."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, paylocity_client_options=OPTIONS))
        cls.connection = cls.connection.with_env(cls.env)

    def setUp(self):
        super().setUp()
        self.sandbox.clear_faults()
        self.sandbox.reset_calls()
        self.env['ir.config_parameter'].sudo().set_param('paylocity_connector.payroll_fetch_batch', '5')

    def check_pay_run_row(self, faults, first_state):
        regular, _off = self.latest_runs()
        target = regular.statements[7].employee_id
        bindings_before = self.env['paylocity.employee'].search_count([('connection_id', '=', self.connection.id)])
        for fault in faults:
            self.sandbox.inject(**dict(fault, path=fault['path'] % target if '%s' in fault['path']
                                       else fault['path']))
        event = self.deliver_payroll(regular.process_id)
        with QUIET:
            self.process_all()
        run = self.run_of(regular)
        self.assertEqual(self.sandbox.faults.pending(), [], "every injected fault was met")
        self.assertEqual((event.state, event.pay_run_id), ('done', run), "the event is accounted for")

        if first_state == 'posted':
            self.assertEqual(run.state, 'posted', run.last_error)
        elif first_state == 'retrying':
            self.assertEqual(run.state, 'new')
            self.assertGreater(run.next_try_at, self.now(), "the run comes back on its own")
            self.assertTrue(run.fetch_errors)
            self.assertFalse(run.activity_ids)
            self.assertFalse(self.moves_of(run))
            run.sudo().next_try_at = self.now()
            self.process_runs()
        else:
            self.assertEqual(run.state, 'failed')
            self.assertEqual(run.activity_ids.summary, 'Fetching the pay statements failed')
            self.assertFalse(self.moves_of(run))
            run.with_user(self.accountant).action_retry()
            self.process_runs()

        # Whatever the fault: one entry, with every statement's amounts; nobody asked for, or stored, twice.
        self.assertEqual(run.state, 'posted', run.last_error)
        self.assertEqual((len(self.moves_of(run)), run.post_count), (1, 1))
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))
        codes = Counter(run.employee_ids.mapped('paylocity_employee_code'))
        self.assertEqual(max(codes.values()), 1, "one row per employee")
        self.assertEqual(sorted(run.statement_ids.mapped('transaction_number')),
                         sorted(s.transaction_number for s in regular.statements), "each statement once")
        self.assertEqual(self.env['paylocity.employee'].search_count([('connection_id', '=', self.connection.id)]),
                         bindings_before, "no employee bound twice")
        # A second round changes nothing.
        run.sudo().next_try_at = self.now()
        self.process_all()
        self.assertEqual(len(self.moves_of(run)), 1)
        return run

    for _name in set(PAY_RUN_ROWS) - {'token_expiry_mid_run', 'rate_limit_storm_retry_after_a_day'}:
        locals()['test_%s' % _name] = _pay_run_row(_name)
    del _name

    # Two rows with more to show than the common checks.
    def test_token_expiry_mid_run_costs_one_new_token(self):
        self.check_pay_run_row(*PAY_RUN_ROWS['token_expiry_mid_run'])
        token_calls = [c for c in self.sandbox.calls if c.family == 'token']
        self.assertEqual(len(token_calls), 2, "the token cached before the expiry, and one after it")
        # The calls of the batch in flight with the expired token are each answered 401 once, then succeed.
        refused = [c.path for c in self.sandbox.calls if c.status == 401]
        self.assertTrue(refused)
        self.assertEqual(Counter(refused).most_common(1)[0][1], 1)
        last_answer = {c.path: c.status for c in self.sandbox.calls}
        self.assertLessEqual({last_answer[path] for path in refused}, {200, 404})   # 404: nothing paid that day

    def test_rate_limit_storm_neither_waits_a_day_nor_stalls_the_window(self):
        self.check_pay_run_row(*PAY_RUN_ROWS['rate_limit_storm_retry_after_a_day'])
        refused = [c for c in self.sandbox.calls if c.status == 429]
        self.assertEqual(len(refused), 8)
        self.assertEqual(len({c.path for c in refused}), 8, "a call told to wait a day is not repeated at once")
        # The shared window was paused at most MAX_RETRY_AFTER, not 86,400 s (read outside the test transaction:
        # the window commits on its own connection).
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("SELECT max(not_before) - extract(epoch FROM clock_timestamp()) FROM paylocity_rate_window")
            ahead = cr.fetchone()[0]
        self.assertLess(ahead, MAX_RETRY_AFTER + 1)


@tagged('post_install', '-at_install')
class TestFaultMatrixEmployees(EmployeeSyncCase):
    """New hires, changes and terminations delivered twice and out of order, and faults on the calls a New Hire
    makes: one employee per person, every event accounted for."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, paylocity_client_options=OPTIONS))
        cls.connection = cls.connection.with_env(cls.env)
        cls.connection._import_reference_data()
        cls.connection._poll_employees()

    def people_bound(self, employee_id):
        """(bindings, employees, archived included) of one Paylocity employee, across the database."""
        Binding = self.env['paylocity.employee'].with_context(active_test=False)
        bindings = Binding.search([('connection_id', '=', self.connection.id),
                                   ('paylocity_employee_code', '=', employee_id)])
        return len(bindings), len(bindings.with_context(active_test=False).employee_id)

    def assert_accounted_for(self, events):
        self.assertEqual(set(events.mapped('state')) - {'done', 'duplicate'}, set(),
                         [(e.event_type, e.state, e.last_error) for e in events])

    def test_duplicate_and_out_of_order_webhooks(self):
        kept, changed, left = (self.hire(first_name=name) for name in ('Kept', 'Changed', 'Left'))
        self.sandbox.change('C1001', changed, job_title='Staff Engineer')
        self.sandbox.terminate('C1001', left, date=self.days_ago(1))
        # Paylocity's order is hire, change, termination; these arrive backwards, and twice.
        order = [('termination', left), ('employee_change', changed), ('new_hire', left), ('new_hire', kept),
                 ('new_hire', changed), ('new_hire', kept), ('termination', left), ('employee_change', changed)]
        events = self.env['paylocity.event']
        for event_type, employee_id in order:
            events |= self.deliver(event_type, employee_id)
        with QUIET:
            self.process_events()
        self.assertEqual(len(events), len(order), "every delivery is on record")
        self.assert_accounted_for(events)
        for employee_id in (kept, changed, left):
            self.assertEqual(self.people_bound(employee_id), (1, 1), employee_id)
        self.assertEqual(self.employee(changed).job_title, 'Staff Engineer')
        left_employee = self.binding(left).with_context(active_test=False).employee_id
        self.assertFalse(left_employee.active, "the person Paylocity says has left is archived")
        self.assertTrue(self.employee(kept).active)

    # Faults on the New Hire's own employee call: name -> (faults, end state of the first round).
    HIRE_ROWS = {
        'reset': ([dict(kind='reset')], 'done'),
        'closed_mid_response': ([dict(kind='truncated')], 'done'),
        'server_error_storm': ([dict(kind='status', status=500, count=2)], 'retrying'),
        'rate_limit_retry_after_a_day': ([dict(kind='status', status=429, retry_after=86400)], 'retrying'),
        'unauthorized_twice': ([dict(kind='status', status=401, count=2)], 'retrying'),
    }

    def test_faults_on_a_new_hire(self):
        for name, (faults, first_state) in self.HIRE_ROWS.items():
            with self.subTest(row=name):
                employee_id = self.hire(first_name='Hire%s' % name.title().replace('_', ''))
                for fault in faults:
                    self.sandbox.inject(path='/employees/%s' % employee_id, **fault)
                event = self.deliver('new_hire', employee_id)
                with QUIET:
                    self.process_events()
                self.assertEqual(self.sandbox.faults.pending(), [])
                self.assertEqual(event.state, first_state, event.last_error)
                if first_state == 'retrying':
                    self.assertEqual(self.people_bound(employee_id), (0, 0), "nothing written by the attempt")
                    self.assertGreater(event.next_try_at, self.now())
                    event.sudo().next_try_at = self.now()
                    self.process_events()
                self.assertEqual(event.state, 'done', event.last_error)
                self.assertEqual(self.people_bound(employee_id), (1, 1))
                self.sandbox.clear_faults()

    def now(self):
        return fields.Datetime.now()
