# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A Paylocity pay run and its one journal entry.

Life of a run::

    webhook / poll / replay ──▶ new ──fetch──▶ fetched ──build──┬──▶ needs_mapping ──┐ once fixed: Post,
                                 │ (resumable, retried)         ├──▶ needs_review ───┤ or the cron after
                                 └──▶ failed                    └──▶ ready ──────────┴──▶ posted (a change)
    a run without a live entry ──▶ cancelled (by the accountant)

Nothing twice:
- one record per (connection, check date, run): the unique constraint is where webhook, poll and replay meet;
- the run's row is locked (``FOR NO KEY UPDATE NOWAIT``) while it is fetched, built or posted; a transaction
  that cannot take the lock, or finds the row changed since its snapshot, leaves the run to the other one;
- the entry carries (run, generation) under a unique index, so even a transaction that bypassed the lock could
  not commit a second entry; the connector makes generation 1 on its own and a later one only after an
  accountant confirmed a re-post (entry deleted, reversed or cancelled in Odoo);
- the entry is created and posted inside a savepoint: it exists whole, or not at all;
- the connector never writes to an entry once made.
"""
import logging
from datetime import timedelta
from decimal import Decimal

import psycopg2.errors
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount

from ..paylocity import payroll
from ..paylocity.errors import PaylocityError
from ..paylocity.journal import DETAIL_EMPLOYEE, EmployeePay, build_journal
from ..paylocity.models import parse_date

_logger = logging.getLogger(__name__)

ADMIN = 'paylocity_connector.group_paylocity_admin'
ACCOUNTANT = 'account.group_account_manager'
CRON_XMLID = 'paylocity_connector.ir_cron_paylocity_pay_run_process'
TODO = 'mail.mail_activity_data_todo'

STATES = [
    ('new', 'New'),
    ('fetched', 'Fetched'),
    ('needs_mapping', 'Needs mapping'),
    ('needs_review', 'Needs review'),
    ('ready', 'Ready to post'),
    ('posted', 'Posted'),
    ('failed', 'Failed'),
    ('cancelled', 'Cancelled'),
]
# States the processing cron works on (held runs only when something changed: next_try_at set).
OPEN_STATES = ('new', 'fetched', 'needs_mapping', 'needs_review', 'ready')
HELD_STATES = ('needs_mapping', 'needs_review')
ENTRY_STATUSES = [
    ('none', 'No entry'),
    ('draft', 'Draft'),
    ('posted', 'Posted'),
    ('reversed', 'Reversed'),
    ('cancelled', 'Cancelled'),
    ('deleted', 'Deleted'),
]
GONE_STATUSES = ('reversed', 'cancelled', 'deleted')
LEASE_MINUTES = 30   # a claimed run whose worker died is taken again after this

# System parameters (``paylocity_connector.<name>``) and their defaults.
PARAMETERS = {
    'payroll_fetch_batch': 200,          # employees per fan-out batch (progress is committed after each)
    'payroll_fetch_attempts': 5,         # fetch rounds with errors before the run fails
    'payroll_retry_base_seconds': 300,   # first retry delay; doubles with each round
    'payroll_retry_max_seconds': 6 * 3600,
    'payroll_min_seconds_left': 60,      # stop fetching when the cron has less time than this left
}


class RunBusy(UserError):
    """Another transaction holds or has just changed this pay run: leave it to that one, try again later.
    (A ``UserError``, so a button pressed at that moment says so plainly.)"""


class PaylocityPayRun(models.Model):
    _name = 'paylocity.pay.run'
    _description = 'Paylocity pay run'
    _inherit = ['mail.thread', 'mail.activity.mixin', 'paylocity.job.mixin']
    _paylocity_parameters = PARAMETERS
    _order = 'check_date desc, run_number desc, id desc'
    _check_company_auto = True

    # === IDENTITY === #
    name = fields.Char(compute='_compute_name', store=True)
    connection_id = fields.Many2one('paylocity.connection', required=True, index=True, ondelete='restrict',
                                    readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    check_date = fields.Date(required=True, readonly=True, index=True)
    run_number = fields.Integer('Run', required=True, readonly=True,
                                help="Paylocity's run id within the check date: 1 the regular run, 2+ off-cycle runs.")
    process_id = fields.Char('Process ID', compute='_compute_name', store=True, index=True,
                             help="Paylocity's processId: check date (YYYYMMDD) and two-digit run id.")
    source = fields.Selection([('webhook', 'Webhook'), ('poll', 'Poll'), ('manual', 'Manual')],
                              string='Found by', readonly=True, default='manual')
    process_date = fields.Datetime('Processed in Paylocity', readonly=True)
    state = fields.Selection(STATES, required=True, default='new', index=True, readonly=True, tracking=True)
    event_ids = fields.One2many('paylocity.event', 'pay_run_id', string='Events', readonly=True)

    # === PROCESSING === #
    next_try_at = fields.Datetime('Next try', readonly=True, index=True, copy=False)
    fetch_attempts = fields.Integer('Fetch rounds with errors', readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    hold_reason = fields.Text('Why it waits', readonly=True, copy=False)
    build_warnings = fields.Text('Builder notes', readonly=True, copy=False)
    accepted_differences = fields.Text(readonly=True, copy=False,
                                       help="The differences with Paylocity's totals an accountant accepted.")
    repost_confirmed = fields.Boolean(readonly=True, copy=False,
                                      help="An accountant confirmed that a new entry may be made for this run.")

    # === FETCH === #
    employees_listed = fields.Boolean(readonly=True, copy=False)
    employee_ids = fields.One2many('paylocity.pay.run.employee', 'run_id', string='Employees asked', readonly=True)
    statement_ids = fields.One2many('paylocity.pay.run.statement', 'run_id', string='Pay statements', readonly=True)
    line_ids = fields.One2many('paylocity.pay.run.line', 'run_id', string='Source lines', readonly=True)
    unmapped_ids = fields.One2many('paylocity.pay.run.unmapped', 'run_id', string='Unmapped codes', readonly=True)
    fetch_total = fields.Integer('Employees to ask', readonly=True)
    fetch_done = fields.Integer('Employees answered', readonly=True)
    fetch_errors = fields.Integer('Employees failing', readonly=True)
    paid_count = fields.Integer('Employees paid', readonly=True)
    fetched_at = fields.Datetime(readonly=True, copy=False)

    # === TOTALS === #
    paylocity_gross = fields.Monetary("Paylocity gross", readonly=True, help="Σ grossPay of the run's statements.")
    paylocity_net = fields.Monetary("Paylocity net", readonly=True, help="Σ netPay of the run's statements.")
    gross = fields.Monetary('Gross (lines)', readonly=True, help="Σ earnings of the detail lines.")
    deductions = fields.Monetary('Deductions (lines)', readonly=True)
    employee_taxes = fields.Monetary('Employee taxes (lines)', readonly=True)
    employer_cost = fields.Monetary('Employer cost (lines)', readonly=True,
                                    help="Employer taxes and contributions (mappings with a debit and a credit).")
    net = fields.Monetary('Net (lines)', readonly=True, help="Gross − deductions − employee taxes.")
    entry_total = fields.Monetary('Entry total', readonly=True, help="Total debit of the entry as built.")
    entry_net_pay = fields.Monetary('Entry net pay', readonly=True,
                                    help="Credited to the net pay account by the entry as built.")
    entry_line_count = fields.Integer('Entry lines', readonly=True)

    # === ENTRY === #
    journal_id = fields.Many2one('account.journal', readonly=True, check_company=True)
    move_id = fields.Many2one('account.move', string='Journal entry', readonly=True, copy=False, index='btree_not_null',
                              ondelete='set null', check_company=True)
    move_ids = fields.One2many('account.move', 'paylocity_pay_run_id', string='Entries', readonly=True)
    post_count = fields.Integer('Entries made', readonly=True, copy=False,
                                help="Entries the connector made for this run; more than one only after confirmed "
                                     "re-posts.")
    posted_at = fields.Datetime(readonly=True, copy=False)
    # As superuser: Paylocity users who are not accountants see the status of an entry they cannot open.
    entry_status = fields.Selection(ENTRY_STATUSES, compute='_compute_entry_status', search='_search_entry_status',
                                    compute_sudo=True)

    _run_uniq = models.Constraint(
        'UNIQUE (connection_id, check_date, run_number)',
        "This pay run (check date and run) is already recorded for this connection.")
    _run_number_range = models.Constraint(
        'CHECK (run_number BETWEEN 1 AND 99)', "Paylocity run ids go from 1 to 99.")
    _due_idx = models.Index("(next_try_at, id) WHERE next_try_at IS NOT NULL")

    @api.depends('connection_id.paylocity_company_id', 'check_date', 'run_number')
    def _compute_name(self):
        for run in self:
            if run.check_date and run.run_number:
                run.process_id = payroll.process_id(run.check_date, run.run_number)
                run.name = '%s %s run %d' % (run.connection_id.paylocity_company_id or '',
                                             run.check_date.isoformat(), run.run_number)
            else:
                run.process_id = run.name = False

    @api.depends('post_count', 'move_id.state', 'move_id.reversal_move_ids.state')
    def _compute_entry_status(self):
        for run in self:
            run.entry_status = run._entry_status()

    def _entry_status(self):
        move = self.move_id
        if not self.post_count:
            return 'none'
        if not move:
            return 'deleted'
        if move.state == 'cancel':
            return 'cancelled'
        if move.reversal_move_ids.filtered(lambda m: m.state == 'posted'):
            return 'reversed'
        return move.state

    def _search_entry_status(self, operator, value):
        if operator not in ('=', 'in'):
            raise UserError(self.env._("Unsupported search on the entry status."))
        values = [value] if operator == '=' else list(value)
        reversed_domain = [('move_id.reversal_move_ids.state', '=', 'posted')]
        parts = {
            'none': [('post_count', '=', 0)],
            'deleted': [('post_count', '>', 0), ('move_id', '=', False)],
            'cancelled': [('move_id.state', '=', 'cancel')],
            'reversed': reversed_domain,
            'draft': [('move_id.state', '=', 'draft')],
            'posted': ['&', ('move_id.state', '=', 'posted'), '!', *reversed_domain],
        }
        domains = [parts[v] for v in values if v in parts]
        if not domains:
            return [('id', '=', 0)]
        domain = ['|'] * (len(domains) - 1) + [term for domain in domains for term in domain]
        # Through the entries as superuser (the record rules on pay runs still apply to the result).
        return [('id', 'in', self.sudo().with_context(active_test=False)._search(domain))]

    # === PARAMETERS AND PLUMBING === #
    @api.model
    def _trigger_processing(self, at=None):
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    def _try_lock(self):
        """Lock this run's row for the current transaction. False when another transaction holds it, or changed it
        after this transaction's snapshot (REPEATABLE READ): that transaction owns the run for now."""
        self.ensure_one()
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL("SELECT id FROM paylocity_pay_run WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                                        self.id), log_exceptions=False)
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure):
            return False
        self.invalidate_recordset()
        return True

    def _lock_or_raise(self):
        if not self._try_lock():
            raise RunBusy(self.env._("Pay run %(run)s is being processed by another job; try again in a moment.",
                                     run=self.name))

    # === DISCOVERY === #
    @api.model
    def _get_or_create(self, connection, check_date, run_number, source='manual', process_date=None):
        """The run (connection, check date, run), found or created: ``(run, created)``. ``(empty, False)`` when
        the connection does not post payroll or the check date is before its start date.

        Two transactions creating the same run at once: PostgreSQL makes the second wait on the unique
        constraint and then refuses it; that one raises ``RunBusy`` and its caller retries (and finds the run).
        """
        connection = connection.sudo()
        check_date = parse_date(check_date)
        run_number = int(run_number)
        runs = self.sudo().with_context(active_test=False)
        run = runs.search([('connection_id', '=', connection.id), ('check_date', '=', check_date),
                           ('run_number', '=', run_number)], limit=1)
        if run:
            if process_date and not run.process_date:
                run.process_date = process_date
            return run, False
        if not connection.payroll_enabled or (connection.payroll_start_date
                                              and check_date < connection.payroll_start_date):
            return runs.browse(), False
        vals = {'connection_id': connection.id, 'check_date': check_date, 'run_number': run_number,
                'source': source, 'process_date': process_date or False}
        try:
            with self.env.cr.savepoint():
                run = runs.with_context(mail_create_nosubscribe=True).create(vals)
        except psycopg2.errors.UniqueViolation:
            raise RunBusy(self.env._("Pay run %(process)s was recorded by another job at the same time.",
                                     process=payroll.process_id(check_date, run_number))) from None
        return run, True

    def _request_processing(self, at=None):
        """Have the processing cron look at these runs (now, or at ``at``)."""
        todo = self.filtered(lambda r: r.state in OPEN_STATES)
        if todo:
            todo.sudo().write({'next_try_at': at or fields.Datetime.now()})
            self._trigger_processing(at)
        return todo

    @api.model
    def _requeue_held(self, connections):
        """Runs waiting for a mapping or a review are built again (mappings or settings changed)."""
        held = self.sudo().search([('connection_id', 'in', connections.ids), ('state', 'in', HELD_STATES)])
        return held._request_processing()

    # === CRON === #
    @api.model
    def _cron_process_pay_runs(self):
        """Take due runs one at a time and advance each as far as it goes: fetch (committing after each batch, so a
        stopped job resumes where it was), build, then post or hold."""
        processed = 0
        while True:
            run = self._claim_due()
            if not run:
                break
            try:
                run._process()
            except RunBusy:
                _logger.info("Paylocity pay run %s is busy elsewhere; skipped for now", run.id)
                if self._can_commit():
                    self.env.cr.rollback()   # keep nothing of a half-done step; its owner finishes it
            except Exception as exc:  # noqa: BLE001 - one broken run must not stop the others
                if not self._can_commit():
                    raise
                self.env.cr.rollback()
                run._record_crash(exc)
            processed += 1
            if self._commit_step(processed=1) < self._param('payroll_min_seconds_left'):
                break
        self._commit_step(remaining=self._count_due())
        return processed

    @api.model
    def _claim_due(self):
        """The next due run no other transaction holds. Its next try moves one lease ahead (committed), so a worker
        that dies on it leaves it to be taken again later; processing sets the real next try."""
        now = fields.Datetime.now()
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            SELECT id FROM paylocity_pay_run
             WHERE next_try_at <= %s AND state IN %s
             ORDER BY next_try_at, id
             LIMIT 1
               FOR NO KEY UPDATE SKIP LOCKED
        """, now, OPEN_STATES))
        row = self.env.cr.fetchone()
        run = self.sudo().browse(row[0] if row else [])
        if run:
            run.write({'next_try_at': now + timedelta(minutes=LEASE_MINUTES)})
            self._commit_step()
        return run

    @api.model
    def _count_due(self):
        return self.sudo().search_count([('next_try_at', '<=', fields.Datetime.now()),
                                         ('state', 'in', OPEN_STATES)])

    def _record_crash(self, exc):
        """After a rollback: keep the error on the run; it is taken again when its lease ends."""
        error = payroll.error_text(exc)
        _logger.warning("Paylocity pay run %s: processing stopped: %s", self.id, error)
        self.sudo().write({'last_error': error})

    # === PROCESSING === #
    def _process(self):
        """Advance this run: fetch what is missing, then build and post or hold. Raises ``RunBusy`` when another
        transaction owns the run."""
        self.ensure_one()
        run = self.sudo().with_company(self.company_id)
        run._lock_or_raise()
        lease = run.next_try_at
        if run.state in OPEN_STATES and (run.state != 'new' or run._fetch()):
            run._build_and_post()
        if run.next_try_at and run.next_try_at == lease:
            run.next_try_at = False   # nothing asked for another try

    # --- fetch ---
    @api.model
    def _fetch_candidates(self, connection):
        """The connection's bindings as ``payroll.Candidate`` (archived employees included: final checks)."""
        bindings = self.env['paylocity.employee'].sudo().with_context(active_test=False).search_read(
            [('connection_id', '=', connection.id)], ['paylocity_employee_id', 'status_type', 'termination_date'])
        return [payroll.Candidate(b['paylocity_employee_id'], b['status_type'] or None, b['termination_date'] or None)
                for b in bindings]

    def _list_employees(self, client):
        """Create one row per employee who could have been paid (the fetch's to-do list and resume point): the
        bound ones, and those Paylocity lists as active or on leave that the employee sync has not bound yet (a
        hire whose sync lags must not leave their pay out of the entry)."""
        connection = self.connection_id
        candidates = self._fetch_candidates(connection)
        try:
            candidates += payroll.unbound_candidates(client.list_employees(), [c.employee_id for c in candidates])
        except PaylocityError as exc:
            self._note(self.env._("Paylocity's employee list could not be read (%(error)s): only the employees "
                                  "bound in Odoo are asked.", error=payroll.error_text(exc)))
        ids = payroll.employees_to_fetch(candidates, self.check_date, max(connection.payroll_lookback_days, 0))
        bindings = {b.paylocity_employee_id: b for b in self.env['paylocity.employee'].sudo().with_context(
            active_test=False).search([('connection_id', '=', connection.id), ('paylocity_employee_id', 'in', ids)])}
        level_field = 'cost_center%s' % connection.analytic_level
        self.env['paylocity.pay.run.employee'].sudo().create([{
            'run_id': self.id,
            'paylocity_employee_id': employee,
            'binding_id': bindings[employee].id if employee in bindings else False,
            'employee_id': bindings[employee].employee_id.id if employee in bindings else False,
            'cost_center': (bindings[employee][level_field] or False) if employee in bindings else False,
        } for employee in ids])
        self.write({'employees_listed': True, 'fetch_total': len(ids)})

    def _fetch(self):
        """Ask Paylocity for the statements of every listed employee not yet answered, batch by batch; each
        batch's answers are stored (and committed by the cron) before the next one, so a fetch that stops
        midway resumes without asking again. True when every employee is answered."""
        connection = self.connection_id
        rows_model = self.env['paylocity.pay.run.employee'].sudo()
        batch_size = max(self._param('payroll_fetch_batch'), 1)
        tried = []
        fatal = None
        client = connection._payroll_client()
        try:
            if not self.employees_listed:
                self._list_employees(client)
                self._commit_step()
                self._lock_or_raise()
            while True:
                rows = rows_model.search([('run_id', '=', self.id), ('fetch_state', 'in', ('pending', 'error')),
                                          ('id', 'not in', tried)], limit=batch_size, order='id')
                if not rows:
                    break
                by_employee = {row.paylocity_employee_id: row for row in rows}
                check_date, run_number = self.check_date, self.run_number
                results = client.fan_out(
                    lambda employee: payroll.fetch_run_statements(client, employee, check_date, run_number),
                    list(by_employee))
                outcome = payroll.sort_fetch_results(results)
                self._store_fetch(by_employee, outcome)
                tried += rows.ids
                fatal = outcome.fatal
                self._update_fetch_counts()
                if fatal:
                    break
                time_left = self._commit_step(processed=0)
                self._lock_or_raise()
                if time_left < self._param('payroll_min_seconds_left'):
                    self._request_processing()   # the cron's time is up: continue in its next run
                    return False
        finally:
            client.close()
        self._update_fetch_counts()
        if self.fetch_errors:
            return self._fetch_failed(fatal)
        self.write({'state': 'fetched', 'fetched_at': fields.Datetime.now(), 'last_error': False,
                    'fetch_attempts': 0})
        return True

    def _store_fetch(self, rows_by_employee, outcome):
        now = fields.Datetime.now()
        statements, lines = [], []
        for run_statements in outcome.paid:
            row = rows_by_employee[run_statements.employee_id]
            common = {'run_id': self.id, 'run_employee_id': row.id, 'paylocity_employee_id': row.paylocity_employee_id,
                      'employee_id': row.employee_id.id}
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
            row.write({
                'fetch_state': 'paid', 'error': False, 'attempts': row.attempts + 1, 'fetched_at': now,
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
            row.write({'fetch_state': 'not_paid', 'error': False, 'attempts': row.attempts + 1, 'fetched_at': now})
        for employee, exc in outcome.failed:
            row = rows_by_employee[employee]
            row.write({'fetch_state': 'error', 'error': payroll.error_text(exc, 200), 'attempts': row.attempts + 1})

    def _update_fetch_counts(self):
        self.env.flush_all()
        counts = dict(self.env['paylocity.pay.run.employee'].sudo()._read_group(
            [('run_id', '=', self.id)], ['fetch_state'], ['__count']))
        self.write({
            'fetch_done': counts.get('paid', 0) + counts.get('not_paid', 0),
            'fetch_errors': counts.get('error', 0),
            'paid_count': counts.get('paid', 0),
        })

    def _fetch_failed(self, fatal):
        """Some employees could not be read: retry later with a growing delay, or fail after the last round."""
        first = self.env['paylocity.pay.run.employee'].sudo().search(
            [('run_id', '=', self.id), ('fetch_state', '=', 'error')], limit=1)
        error = self.env._("%(count)s of %(total)s employees could not be read (%(error)s).",
                           count=self.fetch_errors, total=self.fetch_total, error=first.error or '')
        attempts = self.fetch_attempts + 1
        if fatal or attempts >= self._param('payroll_fetch_attempts'):
            self.write({'state': 'failed', 'last_error': error, 'fetch_attempts': attempts, 'next_try_at': False})
            self._note_and_alert(self.env._("Fetching the pay statements failed"), error)
            return False
        delay = payroll.retry_delay(attempts, self._param('payroll_retry_base_seconds'),
                                    self._param('payroll_retry_max_seconds'))
        next_try = fields.Datetime.now() + timedelta(seconds=delay)
        self.write({'last_error': error, 'fetch_attempts': attempts, 'next_try_at': next_try})
        self._trigger_processing(next_try)
        return False

    # --- build ---
    def _employee_pays(self):
        """The stored statements as the journal builder's ``EmployeePay`` inputs (amounts exact, via text)."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL("""
            SELECT e.id, e.paylocity_employee_id, e.cost_center
              FROM paylocity_pay_run_employee e WHERE e.run_id = %s AND e.fetch_state = 'paid' ORDER BY e.id
        """, self.id))
        employees = {row_id: (employee, cost_center, [], []) for row_id, employee, cost_center in cr.fetchall()}
        cr.execute(SQL("""
            SELECT run_employee_id, check_date, process, transaction_number, gross_pay::text, net_pay::text, end_date
              FROM paylocity_pay_run_statement WHERE run_id = %s ORDER BY id
        """, self.id))
        for row_id, check_date, process, number, gross, net, end_date in cr.fetchall():
            employees[row_id][2].append(payroll.StoredSummary(check_date, process, number, _decimal(gross),
                                                              _decimal(net), end_date))
        cr.execute(SQL("""
            SELECT run_employee_id, check_date, transaction_number, det, det_code, amount::text
              FROM paylocity_pay_run_line WHERE run_id = %s ORDER BY id
        """, self.id))
        for row_id, check_date, number, det, code, amount in cr.fetchall():
            employees[row_id][3].append(payroll.StoredDetail(check_date, number, det, code, _decimal(amount)))
        return [EmployeePay(employee, cost_center or None, summaries, details)
                for employee, cost_center, summaries, details in employees.values()]

    def _build(self):
        """Build the entry's lines from the stored statements and the mappings, record what was found and move to
        ``needs_mapping``, ``needs_review`` or ``ready``. Returns the builder's result."""
        connection = self.connection_id
        problems = connection._payroll_setup_problems()
        rules, rule_problems = self.env['paylocity.gl.rule'].sudo()._builder_rules(connection)
        net_account = connection.payroll_net_pay_account_id
        result = build_journal(
            self._employee_pays(), rules, run_id=self.run_number, check_date=self.check_date,
            net_pay_account=net_account.id or 0, detail_level=connection.payroll_detail_level,
            precision=self.currency_id.decimal_places, cost_center_analytics=connection._payroll_analytics())

        self.unmapped_ids.unlink()
        unmapped_vals = []
        for item in result.unmapped:
            reason = rule_problems.get((item.det, (item.code or '').upper(), item.cost_center)) \
                or rule_problems.get((item.det, (item.code or '').upper(), None))
            unmapped_vals.append({'run_id': self.id, 'det': item.det, 'code': item.code,
                                  'cost_center': item.cost_center, 'amount': item.amount,
                                  'employee_count': item.employees, 'reason': reason or False})
        self.env['paylocity.pay.run.unmapped'].sudo().create(unmapped_vals)

        differences = self._describe_differences(result)
        if not result.employees:
            differences.append(self.env._("No pay statement of this run was found for any employee asked."))
        if result.lines and not result.is_balanced:   # impossible by construction; never posted if it happens
            differences.append(self.env._("The built lines do not balance (debit %(debit)s, credit %(credit)s).",
                                          debit=result.total_debit, credit=result.total_credit))
        accepted = bool(differences) and self.accepted_differences == '\n'.join(differences)
        hold = []
        if problems or result.unmapped:
            state = 'needs_mapping'
            hold += problems
            if result.unmapped:
                hold.append(self.env._("%(count)s code(s) have no usable mapping: %(codes)s.",
                                       count=len(result.unmapped),
                                       codes=', '.join(self._unmapped_label(u) for u in result.unmapped)))
        elif differences and not accepted:
            state = 'needs_review'
        else:
            state = 'ready'
        if differences:
            hold.append(self.env._("Differences with Paylocity's totals:") + '\n' + '\n'.join(differences))
        net_pay = sum((line.credit - line.debit for line in result.lines if line.account == net_account.id), 0)
        warnings = list(result.warnings)
        unbound = self.employee_ids.filtered(lambda r: r.fetch_state == 'paid' and not r.binding_id)
        if unbound:
            warnings.append(self.env._(
                "%(count)s employee(s) paid by this run are not bound in Odoo yet (Paylocity %(ids)s): their amounts "
                "are in the entry, without the analytic account of their cost center.", count=len(unbound),
                ids=', '.join(unbound.mapped('paylocity_employee_id'))))
        self.write({
            'state': state,
            'hold_reason': '\n'.join(hold) or False,
            'build_warnings': '\n'.join(warnings) or False,
            'paylocity_gross': result.paylocity_totals.gross,
            'paylocity_net': result.paylocity_totals.net,
            'gross': result.totals.gross,
            'deductions': result.totals.deductions,
            'employee_taxes': result.totals.employee_taxes,
            'employer_cost': result.totals.employer,
            'net': result.totals.net,
            'entry_total': result.total_debit,
            'entry_net_pay': net_pay,
            'entry_line_count': len(result.lines),
            'last_error': False,
        })
        if state in HELD_STATES:
            self._alert_held(state)
        return result

    def _unmapped_label(self, item):
        label = '%s %s' % (item.det or '?', item.code or '?')
        if item.cost_center:
            label += ' (cost center %s)' % item.cost_center
        return '%s = %s' % (label, format_amount(self.env, float(item.amount), self.currency_id))

    def _describe_differences(self, result):
        names = {row.paylocity_employee_id: row.employee_id.name for row in self.employee_ids if row.employee_id}
        labels = {'gross': self.env._("Gross"), 'net': self.env._("Net"),
                  'net_pay_line': self.env._("Net pay line vs. net (a mapping's debit/credit disagrees with its code)")}
        out = []
        for diff in result.differences:
            who = self.env._("Whole run") if diff.employee_id is None else ('%s %s' % (
                diff.employee_id, names.get(diff.employee_id, ''))).strip()
            out.append('%s — %s: Paylocity %s, detail lines %s, difference %s' % (
                who, labels.get(diff.kind, diff.kind), diff.expected, diff.actual, diff.difference))
        return out

    def _build_and_post(self):
        """Build; post when ready (and the connection wants it); otherwise hold with an activity."""
        previous = self.state
        try:
            result = self._build()
        except ValueError as exc:   # bad rules or inputs the builder refuses: nothing guessed
            self.write({'state': 'failed', 'last_error': payroll.error_text(exc)})
            self._note_and_alert(self.env._("The entry could not be built"), self.last_error)
            return
        if self.state != 'ready':
            return
        if self.connection_id.payroll_posting == 'manual' and not self.env.context.get('paylocity_post_now'):
            if previous != 'ready':
                self._note(self.env._("Ready: mapped and in agreement with Paylocity; it waits for the Post button."))
            return
        self._post_entry(result)

    # --- post ---
    def _post_entry(self, result):
        """Make the run's entry (posted, or draft if the connection says so) from ``result``, at most once."""
        self.ensure_one()
        if self.post_count and (not self.repost_confirmed or self._entry_status() not in GONE_STATUSES):
            # Never a second entry without an accountant's confirmation (and never beside a live one).
            self.write({'state': 'posted', 'repost_confirmed': False})
            return self.move_id
        generation = self.post_count + 1
        move_vals = self._move_vals(result, generation)
        post = self.connection_id.payroll_posting != 'draft'
        try:
            with self.env.cr.savepoint():
                move = self.env['account.move'].sudo().with_company(self.company_id).create(move_vals)
                if post:
                    move.action_post()
        except psycopg2.errors.UniqueViolation:
            # (run, generation) is taken: another transaction made this entry. Leave the run to it.
            raise RunBusy(self.env._("Pay run %(run)s got its entry from another job.", run=self.name)) from None
        except Exception as exc:  # noqa: BLE001 - the savepoint removed every trace of the entry; say why
            error = payroll.error_text(exc)
            _logger.info("Paylocity pay run %s: entry not made: %s", self.id, error)
            self.write({'state': 'failed', 'last_error': error})
            self._note_and_alert(self.env._("The journal entry could not be made"), error)
            return self.env['account.move']
        self.write({'state': 'posted', 'move_id': move.id, 'post_count': generation, 'repost_confirmed': False,
                    'posted_at': fields.Datetime.now(), 'journal_id': move.journal_id.id, 'last_error': False,
                    'hold_reason': False})
        self.event_ids.filtered(lambda e: not e.move_id).sudo().write({'move_id': move.id})
        self.activity_feedback([TODO], feedback=self.env._("Entry %(move)s made.", move=move.display_name))
        self._note(Markup("%s %s") % (
            self.env._("Entry posted:") if post else self.env._("Entry created in draft:"), move._get_html_link()))
        return move

    def _entry_date(self):
        source = self.connection_id.payroll_date_source
        if source == 'period_end':
            ends = [d for d in self.statement_ids.mapped('end_date') if d]
            return max(ends) if ends else self.check_date
        if source == 'process' and self.process_date:
            return self.process_date.date()
        return self.check_date

    def _move_vals(self, result, generation):
        connection = self.connection_id
        names = {}
        if connection.payroll_detail_level == DETAIL_EMPLOYEE:
            names = {row.paylocity_employee_id: row.employee_id.name or row.paylocity_employee_id
                     for row in self.employee_ids}
        lines = []
        for line in result.lines:
            label = line.label or (self.env._("Payroll %(codes)s", codes=', '.join(line.codes)) if line.codes
                                   else self.env._("Payroll"))
            if line.employee_id:
                label = '%s — %s' % (names.get(line.employee_id, line.employee_id), label)
            lines.append(Command.create({
                'account_id': line.account,
                'name': label,
                'debit': float(line.debit),
                'credit': float(line.credit),
                'partner_id': line.partner or False,
                'analytic_distribution': {str(line.analytic): 100.0} if line.analytic else False,
            }))
        ref = payroll.entry_reference(connection.paylocity_company_id, self.company_id.name, self.check_date,
                                      self.run_number)
        if generation > 1:
            ref += self.env._(" — re-post %(n)s", n=generation)
        return {
            'move_type': 'entry',
            'journal_id': connection.journal_id.id,
            'date': self._entry_date(),
            'ref': ref,
            'company_id': self.company_id.id,
            'paylocity_pay_run_id': self.id,
            'paylocity_generation': generation,
            'line_ids': lines,
        }

    # === MESSAGES AND ACTIVITIES === #
    def _note(self, body):
        self.message_post(body=body, subtype_xmlid='mail.mt_note')

    def _note_and_alert(self, summary, detail):
        self._note(Markup('<p>%s</p><p>%s</p>') % (summary, detail or ''))
        self._schedule_todo(summary, detail)

    def _alert_held(self, state):
        summary = (self.env._("Pay run needs mapping") if state == 'needs_mapping'
                   else self.env._("Pay run needs review"))
        self._schedule_todo(summary, self.hold_reason)

    def _schedule_todo(self, summary, note):
        """One open activity per subject for the accountant (not one per retry)."""
        if self.activity_ids.filtered(lambda a: a.summary == summary):
            return
        self.activity_schedule(TODO, summary=summary, note=note or '',
                               user_id=self.connection_id._payroll_accountant().id)

    # === ACTIONS === #
    def _check_accountant(self):
        if not (self.env.user.has_group(ADMIN) or self.env.user.has_group(ACCOUNTANT) or self.env.su):
            raise AccessError(self.env._("Only Paylocity administrators and accounting managers can do this."))
        self.check_access('write')

    def action_post(self):
        """Post now: build from the stored statements and post if everything is mapped and agrees (a run still
        fetching is queued instead)."""
        self._check_accountant()
        queued = self.env['paylocity.pay.run']
        for run in self.sudo():
            run._lock_or_raise()
            if run.state == 'new':
                queued |= run._request_processing()
            elif run.state in ('fetched', 'needs_mapping', 'needs_review', 'ready', 'failed') and run.fetched_at:
                run.with_context(paylocity_post_now=True)._build_and_post()
            elif run.state == 'failed':
                run.write({'state': 'new', 'fetch_attempts': 0})
                queued |= run._request_processing()
        if queued:
            return self._notify(self.env._("The statements are still being fetched; the run posts when complete."),
                                'info')
        return True

    def action_retry(self):
        """Fetch again what failed (stored answers are kept) and carry on."""
        self._check_accountant()
        for run in self.sudo().filtered(lambda r: r.state in ('failed', 'new')):
            run._lock_or_raise()
            values = {'fetch_attempts': 0, 'last_error': False}
            if not run.fetched_at:
                values['state'] = 'new'
            else:
                values['state'] = 'fetched'
            run.write(values)
            run._request_processing()
        return True

    def action_refetch(self):
        """Forget the stored statements and ask Paylocity again (only while the run has no live entry)."""
        self._check_accountant()
        for run in self.sudo():
            run._lock_or_raise()
            if run.post_count and run._entry_status() not in GONE_STATUSES:
                raise UserError(self.env._("Pay run %(run)s has an entry: it is not fetched again.", run=run.name))
            run.employee_ids.unlink()
            run.unmapped_ids.unlink()
            run.write({'state': 'new', 'employees_listed': False, 'fetch_total': 0, 'fetch_done': 0,
                       'fetch_errors': 0, 'paid_count': 0, 'fetched_at': False, 'fetch_attempts': 0,
                       'last_error': False, 'accepted_differences': False})
            run._note(self.env._("Statements discarded by %(user)s; fetching again.", user=self.env.user.name))
            run._request_processing()
        return True

    def action_accept_differences(self):
        """The accountant accepts the listed differences with Paylocity's totals: the run may post as built."""
        self._check_accountant()
        for run in self.sudo().filtered(lambda r: r.state == 'needs_review'):
            run._lock_or_raise()
            result = run._build()
            differences = run._describe_differences(result)
            if not result.employees:
                raise UserError(self.env._("Pay run %(run)s has no statement: there is nothing to post.",
                                           run=run.name))
            run.write({'accepted_differences': '\n'.join(differences)})
            run._note(Markup('<p>%s</p><pre>%s</pre>') % (
                self.env._("Differences accepted by %(user)s:", user=self.env.user.name), '\n'.join(differences)))
            run.with_context(paylocity_post_now=True)._build_and_post()
        return True

    def action_cancel(self):
        """Never post this run (e.g. entered by hand before the connector)."""
        self._check_accountant()
        for run in self.sudo():
            run._lock_or_raise()
            if run.post_count and run._entry_status() not in GONE_STATUSES:
                raise UserError(self.env._("Pay run %(run)s has an entry: delete or reverse it in Accounting first.",
                                           run=run.name))
            run.write({'state': 'cancelled', 'next_try_at': False})
            run.activity_unlink([TODO])
            run._note(self.env._("Cancelled by %(user)s.", user=self.env.user.name))
        return True

    def action_reset(self):
        """Bring a cancelled run back."""
        self._check_accountant()
        for run in self.sudo().filtered(lambda r: r.state == 'cancelled'):
            run._lock_or_raise()
            run.write({'state': 'fetched' if run.fetched_at else 'new'})
            run._note(self.env._("Reopened by %(user)s.", user=self.env.user.name))
            run._request_processing()
        return True

    def action_open_repost_wizard(self):
        self.ensure_one()
        self._check_accountant()
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._("Re-post pay run"),
            'res_model': 'paylocity.pay.run.repost',
            'view_mode': 'form',
            'target': 'new',
            'context': {'default_run_id': self.id},
        }

    def _repost(self, reason):
        """An accountant confirmed a new entry for a run whose entry was deleted, reversed or cancelled."""
        self.ensure_one()
        self._check_accountant()
        run = self.sudo()
        run._lock_or_raise()
        status = run._entry_status()
        if status not in GONE_STATUSES:
            raise UserError(self.env._("Pay run %(run)s still has its entry (%(status)s): nothing to re-post.",
                                       run=run.name, status=dict(ENTRY_STATUSES)[status]))
        run.write({'repost_confirmed': True, 'state': 'fetched'})
        run._note(Markup('<p>%s</p><p>%s</p>') % (
            self.env._("Re-post confirmed by %(user)s (previous entry %(status)s).", user=self.env.user.name,
                       status=dict(ENTRY_STATUSES)[status]), reason or ''))
        run.with_context(paylocity_post_now=True)._build_and_post()
        return run.move_id

    def action_view_entry(self):
        self.ensure_one()
        return {'type': 'ir.actions.act_window', 'res_model': 'account.move', 'res_id': self.move_id.id,
                'view_mode': 'form'}

    def action_view_entries(self):
        self.ensure_one()
        return {'type': 'ir.actions.act_window', 'name': self.env._("Entries"), 'res_model': 'account.move',
                'domain': [('paylocity_pay_run_id', '=', self.id)], 'view_mode': 'list,form'}

    def action_create_draft_rules(self):
        """Draft mappings for the codes this run found unmapped."""
        self.ensure_one()
        self.env['paylocity.gl.rule'].check_access('create')
        rules = self.env['paylocity.gl.rule']._create_draft_rules(self.connection_id, runs=self,
                                                                  include_imported=False)
        return self._notify(self.env._("%(count)s draft mapping(s) created: fill in their accounts.",
                                       count=len(rules)), 'success' if rules else 'info')

    def _notify(self, message, kind):
        return {'type': 'ir.actions.client', 'tag': 'display_notification',
                'params': {'message': message, 'type': kind,
                           'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'}}}

    @api.ondelete(at_uninstall=False)
    def _unlink_except_entry(self):
        if any(run.post_count for run in self):
            raise UserError(self.env._("A pay run that made a journal entry is kept for the audit trail; cancel it "
                                       "instead."))


def _decimal(text):
    return Decimal(text) if text is not None else Decimal(0)
