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
import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..const import PAY_DATA_GROUPS
from ..paylocity import payroll
from ..paylocity.models import parse_date
from .paylocity_job_mixin import JobBusy, JobQueue

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
# Where each state may lead (rebuilding a run re-decides among needs_mapping, needs_review and ready).
_BUILT = ('needs_mapping', 'needs_review', 'ready')
TRANSITIONS = {
    'new': ('fetched', 'failed', 'cancelled'),
    'fetched': _BUILT + ('failed', 'new', 'cancelled'),
    'needs_mapping': _BUILT + ('fetched', 'failed', 'new', 'cancelled'),
    'needs_review': _BUILT + ('fetched', 'failed', 'new', 'cancelled'),
    'ready': _BUILT + ('posted', 'fetched', 'failed', 'new', 'cancelled'),
    # Once its entry is gone (deleted, reversed, cancelled): re-posted, fetched again or cancelled.
    'posted': ('fetched', 'new', 'cancelled'),
    'failed': _BUILT + ('new', 'fetched', 'cancelled'),
    'cancelled': ('new', 'fetched'),
}
ENTRY_STATUSES = [
    ('none', 'No entry'),
    ('draft', 'Draft'),
    ('posted', 'Posted'),
    ('reversed', 'Reversed'),
    ('cancelled', 'Cancelled'),
    ('deleted', 'Deleted'),
]
GONE_STATUSES = ('reversed', 'cancelled', 'deleted')
# What the never-twice guard reads: written only by the connector's own code, which runs as superuser (a client's
# write or create, whatever its context, never runs as superuser).
ENTRY_GUARD_FIELDS = frozenset({'move_id', 'post_count', 'repost_confirmed'})

# System parameters (``paylocity_connector.<name>``) and their defaults.
PARAMETERS = {
    'payroll_fetch_batch': 200,          # employees per fan-out batch (progress is committed after each)
    'payroll_fetch_attempts': 5,         # fetch rounds with errors before the run fails
    'payroll_retry_base_seconds': 300,   # first retry delay; doubles with each round
    'payroll_retry_max_seconds': 6 * 3600,
    'payroll_min_seconds_left': 60,      # stop fetching when the cron has less time than this left
    'payroll_lease_minutes': 30,         # a claimed run whose worker died is taken again after this
}


def _pay_total(string, **kwargs):
    """A total of the run's statements or entry: pay data."""
    return fields.Monetary(string, readonly=True, groups=PAY_DATA_GROUPS, **kwargs)


class RunBusy(JobBusy):
    """Another transaction holds or has just changed this pay run: leave it to that one, try again later."""


class PaylocityPayRun(models.Model):
    _name = 'paylocity.pay.run'
    _description = 'Paylocity pay run'
    _inherit = ['mail.thread', 'mail.activity.mixin', 'paylocity.job.mixin', 'paylocity.connector.fields.mixin']
    _paylocity_parameters = PARAMETERS
    _connector_fields = ENTRY_GUARD_FIELDS
    _job_queue = JobQueue(cron='paylocity_connector.ir_cron_paylocity_pay_run_process', prefix='payroll',
                          due_states=OPEN_STATES, claimed_states=OPEN_STATES)
    _state_transitions = TRANSITIONS
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
    process_code = fields.Char('Process ID', compute='_compute_name', store=True, index=True,
                               help="Paylocity's processId: check date (YYYYMMDD) and two-digit run id.")
    source = fields.Selection([('webhook', 'Webhook'), ('poll', 'Poll'), ('manual', 'Manual')],
                              string='Found by', readonly=True, default='manual')
    process_date = fields.Datetime('Processed in Paylocity', readonly=True)
    state = fields.Selection(STATES, required=True, default='new', index=True, readonly=True, tracking=True)
    event_ids = fields.One2many('paylocity.event', 'pay_run_id', string='Events', readonly=True)

    # === PROCESSING === #
    fetch_attempts = fields.Integer('Fetch rounds with errors', readonly=True, copy=False)
    # Name employees and amounts: pay data.
    hold_reason = fields.Text('Why it waits', readonly=True, copy=False, groups=PAY_DATA_GROUPS)
    build_warnings = fields.Text('Builder notes', readonly=True, copy=False, groups=PAY_DATA_GROUPS)
    accepted_differences = fields.Text(readonly=True, copy=False, groups=PAY_DATA_GROUPS,
                                       help="The differences with Paylocity's totals an accountant accepted.")
    repost_confirmed = fields.Boolean(readonly=True, copy=False,
                                      help="An accountant confirmed that a new entry may be made for this run.")

    # === FETCH === #
    employees_listed = fields.Boolean(readonly=True, copy=False)
    employee_ids = fields.One2many('paylocity.pay.run.employee', 'run_id', string='Employees asked', readonly=True)
    statement_ids = fields.One2many('paylocity.pay.run.statement', 'run_id', string='Pay statements', readonly=True,
                                    groups=PAY_DATA_GROUPS)
    line_ids = fields.One2many('paylocity.pay.run.line', 'run_id', string='Source lines', readonly=True,
                               groups=PAY_DATA_GROUPS)
    unmapped_ids = fields.One2many('paylocity.pay.run.unmapped', 'run_id', string='Unmapped codes', readonly=True)
    fetch_total = fields.Integer('Employees to ask', readonly=True)
    fetch_done = fields.Integer('Employees answered', readonly=True)
    fetch_errors = fields.Integer('Employees failing', readonly=True)
    paid_count = fields.Integer('Employees paid', readonly=True)
    fetched_at = fields.Datetime(readonly=True, copy=False)

    # === TOTALS (pay data: a run of one employee is that employee's pay) === #
    paylocity_gross = _pay_total("Paylocity gross", help="Σ grossPay of the run's statements.")
    paylocity_net = _pay_total("Paylocity net", help="Σ netPay of the run's statements.")
    gross = _pay_total('Gross (lines)', help="Σ earnings of the detail lines.")
    deductions = _pay_total('Deductions (lines)')
    employee_taxes = _pay_total('Employee taxes (lines)')
    employer_cost = _pay_total('Employer cost (lines)',
                               help="Employer taxes and contributions (mappings with a debit and a credit).")
    net = _pay_total('Net (lines)', help="Gross − deductions − employee taxes.")
    entry_total = _pay_total('Entry total', help="Total debit of the entry as built.")
    entry_net_pay = _pay_total('Entry net pay', help="Credited to the net pay account by the entry as built.")
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

    @api.depends('connection_id.paylocity_company_code', 'check_date', 'run_number')
    def _compute_name(self):
        for run in self:
            if run.check_date and run.run_number:
                run.process_code = payroll.process_id(run.check_date, run.run_number)
                run.name = '%s %s run %d' % (run.connection_id.paylocity_company_code or '',
                                             run.check_date.isoformat(), run.run_number)
            else:
                run.process_code = run.name = False

    @api.depends('post_count', 'move_id.state', 'move_ids.state', 'move_ids.reversal_move_ids.state')
    def _compute_entry_status(self):
        for run in self:
            run.entry_status = run._entry_status()

    def _live_moves(self):
        """Every entry this run made (original, re-posts, corrections) that books something or may still: in draft,
        or posted without a posted reversal."""
        run = self.sudo()
        return (run.move_ids | run.move_id).filtered(lambda m: m.state == 'draft' or (
            m.state == 'posted' and not m.reversal_move_ids.filtered(lambda r: r.state == 'posted')))

    def _live_corrections(self):
        return self._live_moves().filtered('paylocity_fingerprint')

    def _entry_status(self):
        """The status of the run's entry, over every entry it ever made: posted (or draft) while any original or
        re-post still books, so an earlier entry put back (its reversal reset or deleted) counts as much as the
        latest; once none does, what became of the latest (``move_id``)."""
        if not self.post_count:
            return 'none'
        live = self._live_moves().filtered(lambda m: not m.paylocity_fingerprint)
        if live.filtered(lambda m: m.state == 'posted'):
            return 'posted'
        if live:
            return 'draft'
        move = self.move_id
        if not move:
            return 'deleted'
        return 'cancelled' if move.state == 'cancel' else 'reversed'

    def _search_entry_status(self, operator, value):
        if operator not in ('=', 'in'):
            raise UserError(self.env._("Unsupported search on the entry status."))
        values = [value] if operator == '=' else list(value)
        # The same partition as _entry_status, over the run's originals and re-posts.
        posted = [('state', '=', 'posted'), ('reversal_move_ids', 'not any', [('state', '=', 'posted')])]
        entry = [('paylocity_fingerprint', '=', False)]
        live_posted = Domain('move_ids', 'any', entry + posted) | Domain('move_id', 'any', posted)
        live_draft = (Domain('move_ids', 'any', entry + [('state', '=', 'draft')])
                      | Domain('move_id.state', '=', 'draft'))
        made = Domain('post_count', '>', 0)
        gone = made & ~live_posted & ~live_draft
        parts = {
            'none': Domain('post_count', '=', 0),
            'posted': made & live_posted,
            'draft': made & ~live_posted & live_draft,
            'deleted': gone & Domain('move_id', '=', False),
            'cancelled': gone & Domain('move_id.state', '=', 'cancel'),
            'reversed': gone & Domain('move_id', '!=', False) & Domain('move_id.state', '!=', 'cancel'),
        }
        domain = Domain.OR(parts[v] for v in values if v in parts)
        # Through the entries as superuser (the record rules on pay runs still apply to the result).
        return [('id', 'in', self.sudo().with_context(active_test=False)._search(domain))]

    # === LOCKING === #
    def _lock_or_raise(self):
        """Lock this run's row for the current transaction, or raise ``RunBusy``: another transaction owns it."""
        if not self._job_lock():
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
        return self.filtered(lambda r: r.state in OPEN_STATES).sudo()._job_enqueue(at)

    @api.model
    def _requeue_held(self, connections):
        """Runs waiting for a mapping or a review are built again (mappings or settings changed)."""
        held = self.sudo().search([('connection_id', 'in', connections.ids), ('state', 'in', HELD_STATES)])
        return held._request_processing()

    # === PROCESSING (the queue's hooks) === #
    @api.model
    def _cron_process_pay_runs(self):
        """Take due runs one at a time and advance each as far as it goes: fetch (committing after each batch, so a
        stopped job resumes where it was), build, then post or hold."""
        return self._run_due()

    def _process_one(self):
        """Advance this run: fetch what is missing, then build and post or hold. Raises ``RunBusy`` when another
        transaction owns the run."""
        self.ensure_one()
        run = self.sudo().with_company(self.company_id)
        run._lock_or_raise()
        if run.state in OPEN_STATES and (run.state != 'new' or run._fetch()):
            run._build_and_post()

    def _job_alert_failure(self, error):
        self._note_and_alert(self.env._("Processing the pay run failed after %(count)s attempts",
                                        count=self.attempt_count), error)

    # === MESSAGES AND ACTIVITIES === #
    def _note(self, body):
        self.message_post(body=body, subtype_xmlid='mail.mt_note')

    def _note_and_alert(self, summary, detail):
        self._note(Markup('<p>%s</p><p>%s</p>') % (summary, detail or ''))
        self._schedule_todo(summary, detail)

    def _alert_held(self, state, notice):
        """``notice``: why, without names or amounts (whoever reads the run reads its activities; the full reason
        is the run's ``hold_reason``, for pay data readers)."""
        summary = (self.env._("Pay run needs mapping") if state == 'needs_mapping'
                   else self.env._("Pay run needs review"))
        self._schedule_todo(summary, notice)

    def _schedule_todo(self, summary, note):
        """One open activity per subject for the accountant (not one per retry)."""
        if self.activity_ids.filtered(lambda a: a.summary == summary):
            return
        self.activity_schedule(TODO, summary=summary, note=note or '',
                               user_id=self.connection_id._payroll_accountant().id)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_entry(self):
        if any(run.post_count for run in self):
            raise UserError(self.env._("A pay run that made a journal entry is kept for the audit trail; cancel it "
                                       "instead."))
