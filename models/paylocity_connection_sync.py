# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Employee and reference-data sync of a connection: options, buttons, crons and their cursors.

- Reference data: ``_import_reference_data`` (button, weekly cron, and on demand when a sync meets an unknown
  code).
- Reconciliation poll: ``_poll_employees`` reads every employee (NextGen batch when that pair is configured,
  else the WebLink list + one GET each through the client's bounded fan-out), applies them in chunks through the
  same engine as the webhook handlers, commits after each chunk and keeps a cursor so a stopped run resumes.
- Push: ``_push_owned_fields`` sends the fields Odoo owns, changed in Odoo by HR since the last run, to Paylocity.
"""
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import NEXTGEN, WEBLINK
from ..paylocity import directory, sync_plan
from ..paylocity.errors import NotFound, PaylocityError
from ..paylocity.fanout import FATAL_ERRORS
from ..paylocity.webhooks import EMPLOYEE_CHANGE, dedup_key

_logger = logging.getLogger(__name__)

POLL_CRON = 'paylocity_connector.ir_cron_paylocity_employee_poll'
LEVELS = [('1', 'Cost center 1'), ('2', 'Cost center 2'), ('3', 'Cost center 3')]
NEXTGEN_INCLUDE = ('info', 'position', 'status')   # never payRate: pay data has no place in the directory
REFERENCE_REFRESH = timedelta(minutes=10)           # at most one on-demand refresh per this period
POLL_INTERVAL = timedelta(hours=20)                 # the daily cron re-polls a connection after this


def _fetched_in_order(fetch, chunks, ahead):
    """Yield ``(chunk, fetch(chunk))`` in order; with ``ahead``, the next chunk is fetched in a background thread
    while the caller applies the current one."""
    if not ahead or len(chunks) < 2:
        for chunk in chunks:
            yield chunk, fetch(chunk)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix='paylocity-prefetch') as pool:
        future = pool.submit(fetch, chunks[0])
        for index, chunk in enumerate(chunks):
            fetched = future.result()
            if index + 1 < len(chunks):
                future = pool.submit(fetch, chunks[index + 1])
            yield chunk, fetched


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    # === OPTIONS === #
    sync_employees = fields.Boolean(
        'Sync employees', default=True, tracking=True,
        help="Keep Odoo's employees in step with Paylocity (webhooks and the daily reconciliation).")
    department_level = fields.Selection(
        LEVELS + [('none', 'None')], string='Departments from', default='1', required=True, tracking=True,
        help="Which Paylocity cost-center level is the department (tenants use the levels differently).")
    analytic_plan_id = fields.Many2one(
        'account.analytic.plan', string='Analytic plan', tracking=True,
        help="When set, each cost center of the analytic level gets an analytic account in this plan.")
    analytic_level = fields.Selection(
        LEVELS, string='Analytic accounts from', default='1', required=True, tracking=True,
        help="Cost-center level whose codes become analytic accounts (payroll entries use them by default).")
    match_by_work_email = fields.Boolean(
        'Bind existing employees by work email', default=True,
        help="A Paylocity employee with the work email of an unbound Odoo employee is bound to it, not created. "
             "An employee with a login can edit their own work email: such a match waits to be bound by hand.")
    match_identifier = fields.Selection(
        [('none', 'No other identifier'), ('barcode', 'Badge ID'), ('identification_id', 'Identification No')],
        string='Or by Paylocity ID in', default='none', required=True,
        help="An Odoo employee field that holds the Paylocity employee ID, to bind employees created before. "
             "Employees with a login can edit their own badge ID: such a match waits to be bound by hand.")
    terminated_lookback_days = fields.Integer(
        'Import leavers of the last (days)', default=365,
        help="People who left Paylocity before this many days and are not in Odoo are not created. 0: all.")
    own_work_email = fields.Boolean('Odoo owns the work email', default=True)
    own_work_phone = fields.Boolean('Odoo owns the work phone', default=True)
    own_mobile_phone = fields.Boolean('Odoo owns the work mobile', default=True)
    own_job_title = fields.Boolean('Odoo owns the job title', default=False)
    push_owned_fields = fields.Boolean(
        'Send Odoo-owned fields to Paylocity', default=True,
        help="Changes to the fields Odoo owns are sent to Paylocity (WebLink) by a cron. Paylocity owns every "
             "other synced field: an Odoo edit to one is replaced at the next sync and noted on the employee.")

    # === STATE OF THE RUNS === #
    reference_import_date = fields.Datetime('Reference data imported on', readonly=True, copy=False)
    reference_import_message = fields.Text('Last reference import', readonly=True, copy=False)
    employee_poll_requested = fields.Boolean(readonly=True, copy=False)
    employee_poll_started_at = fields.Datetime('Reconciliation started on', readonly=True, copy=False)
    employee_poll_cursor = fields.Char(
        readonly=True, copy=False,
        help="Last Paylocity employee ID done by the running reconciliation; it resumes after it.")
    employee_poll_done_at = fields.Datetime('Last reconciliation', readonly=True, copy=False)
    employee_poll_message = fields.Text('Last reconciliation result', readonly=True, copy=False)
    employee_push_cursor = fields.Datetime(
        'Odoo changes sent up to', readonly=True, copy=False,
        help="Employees written in Odoo after this moment are compared with Paylocity at the next push.")
    employee_push_message = fields.Text('Last push result', readonly=True, copy=False)
    binding_count = fields.Integer('Employees', compute='_compute_sync_counts')
    code_count = fields.Integer('Codes', compute='_compute_sync_counts')

    _terminated_lookback_positive = models.Constraint(
        'CHECK (terminated_lookback_days >= 0)', "The leavers' look-back cannot be negative.")

    def _compute_sync_counts(self):
        self._fill_counts({'binding_count': 'paylocity.employee', 'code_count': 'paylocity.code'})

    # === OPTIONS AS THE ENGINE SEES THEM === #
    def _owned_field_names(self):
        self.ensure_one()
        return directory.owned_fields({name: self['own_%s' % name] for name in directory.OWNABLE_FIELDS})

    def _sync_salt(self):
        """Options that change what Odoo should hold: changing one makes every employee compared again."""
        self.ensure_one()
        return '|'.join((self.department_level or '', ','.join(self._owned_field_names())))

    # === REFERENCE DATA === #
    def _reference_import_due(self):
        self.ensure_one()
        last = self.sudo().reference_import_date
        return not last or last < fields.Datetime.now() - REFERENCE_REFRESH

    def _import_reference_data(self, raise_errors=True):
        """Import and align the codes; returns a short summary. Errors: raised, or recorded when not
        ``raise_errors`` (an on-demand refresh during a sync must not stop the sync)."""
        self.ensure_one()
        connection = self.sudo()
        try:
            client = connection._get_client()
            try:
                counts, errors = self.env['paylocity.code']._import_for(connection, client)
            finally:
                client.close()
        except PaylocityError as exc:
            connection.write({'reference_import_message': str(exc)[:500],
                              'reference_import_date': fields.Datetime.now()})
            if raise_errors:
                raise
            return str(exc)
        created = sum(c['created'] for c in counts.values())
        renamed = sum(c['renamed'] for c in counts.values())
        deactivated = sum(c['deactivated'] for c in counts.values())
        summary = self.env._(
            "%(types)s code types read: %(created)s new, %(renamed)s renamed, %(gone)s no longer listed.",
            types=len(counts), created=created, renamed=renamed, gone=deactivated)
        if errors:
            summary += ' ' + self.env._("Not read: %(errors)s", errors='; '.join(
                '%s (%s)' % (code_type, text[:120]) for code_type, text in sorted(errors.items())))
        connection.write({'reference_import_message': summary, 'reference_import_date': fields.Datetime.now()})
        return summary

    def action_import_reference_data(self):
        self.ensure_one()
        self.check_access('write')
        try:
            summary = self._import_reference_data()
        except PaylocityError as exc:
            raise UserError(self.env._("Importing Paylocity's reference data failed: %(error)s", error=exc)) \
                from None
        return self._notify(summary, 'success')

    @api.model
    def _cron_import_reference_data(self):
        for connection in self.sudo().search([('sync_employees', '=', True)]):
            connection._run_cron_job('reference_import', connection._import_reference_data, 'reference_import_message')

    # === RECONCILIATION POLL === #
    def action_sync_employees_now(self):
        """Ask the reconciliation cron to run for this connection now (it can take minutes: not in the request)."""
        self.ensure_one()
        self.check_access('write')
        if not self.sync_employees:
            raise UserError(self.env._("Employee sync is off for this connection (Options)."))
        self.sudo().write({'employee_poll_requested': True})
        cron = self.env.ref(POLL_CRON, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
        return self._notify(self.env._(
            "Employee sync started in the background; the result shows on the connection when it is done."), 'info')

    @api.model
    def _cron_poll_employees(self):
        due = fields.Datetime.now() - POLL_INTERVAL
        connections = self.sudo().search([('sync_employees', '=', True)]).filtered(
            lambda c: c.employee_poll_requested or c.employee_poll_cursor or not c.employee_poll_done_at
            or c.employee_poll_done_at < due)
        for connection in connections:
            done = connection._run_cron_job('employee_poll', connection._poll_employees, 'employee_poll_message')
            if done is False:
                return   # out of time: the cron runs again at once and resumes at the cursor

    def _poll_employees(self, chunk_size=100):
        """Reconcile every employee of the connection. Returns True when the run finished, False when it stopped
        for lack of time (the cursor keeps its place). Raises on errors that concern the whole run."""
        self.ensure_one()
        connection = self.sudo()
        company_id = connection.paylocity_company_code
        resumed_after = connection.employee_poll_cursor
        if not resumed_after:
            connection.write({'employee_poll_started_at': fields.Datetime.now()})
        if not connection.reference_import_date:
            connection._import_reference_data(raise_errors=False)
        client = connection._get_client()
        try:
            if connection._has_credentials(NEXTGEN):
                records = {employee.id: employee.to_record(company_id)
                           for employee in client.iter_nextgen_employees(include=NEXTGEN_INCLUDE)}
                ids = directory.after_cursor(records, connection.employee_poll_cursor)

                def fetch(chunk):
                    return [(eid, records[eid]) for eid in chunk]
            else:
                ids = directory.after_cursor([info.employee_id for info in client.list_employees()],
                                             connection.employee_poll_cursor)

                def fetch(chunk):
                    return client.fan_out(lambda eid: client.get_employee(eid).to_record(company_id), chunk)

            stats = Counter()
            chunks = [ids[start:start + chunk_size] for start in range(0, len(ids), chunk_size)]
            remaining = len(ids)
            # Reading chunk n+1 from Paylocity overlaps applying chunk n (not in tests: the test cursor is shared).
            ahead = self._can_commit() and not connection._has_credentials(NEXTGEN)
            for index, (chunk, fetched) in enumerate(_fetched_in_order(fetch, chunks, ahead)):
                connection._poll_chunk(fetched, stats)
                connection.write({'employee_poll_cursor': chunk[-1]})
                remaining -= len(chunk)
                if connection._commit_step(len(chunk), remaining=remaining) <= 0 and index + 1 < len(chunks):
                    _logger.info("Paylocity connection %s: reconciliation paused after %s", connection.id, chunk[-1])
                    return False
        finally:
            client.close()
        summary = self.env._(
            "%(read)s employees read: %(created)s created, %(bound)s bound to existing employees, %(updated)s "
            "updated, %(terminated)s archived, %(rehired)s restored, %(unchanged)s unchanged, %(skipped)s "
            "skipped (left long ago), %(failed)s to retry.",
            read=sum(stats.values()), **{key: stats.get(key, 0) for key in (
                'created', 'bound', 'updated', 'terminated', 'rehired', 'unchanged', 'skipped', 'failed')})
        if resumed_after:
            summary = self.env._("Resumed after employee %(id)s: %(summary)s", id=resumed_after, summary=summary)
        connection.write({'employee_poll_cursor': False, 'employee_poll_requested': False,
                          'employee_poll_done_at': fields.Datetime.now(), 'employee_poll_message': summary})
        connection._commit_step()
        return True

    def _poll_chunk(self, fetched, stats):
        """Apply one chunk of ``[(employee id, EmployeeRecord | exception)]``; what fails goes to the event
        queue as an employee refresh, which retries it with backoff."""
        entries = []
        failed = []
        for employee_id, result in fetched:
            if isinstance(result, FATAL_ERRORS):
                raise result
            if isinstance(result, NotFound):
                stats['skipped'] += 1   # listed a moment ago, gone now: nothing to reconcile
            elif isinstance(result, Exception):
                failed.append((employee_id, result))
            else:
                entries.append(directory.entry_from_record(result))
        outcomes = self.env['paylocity.employee']._sync_entries(self, entries, origin='poll', isolate=True)
        for employee_id, outcome in outcomes.items():
            if outcome.error is not None:
                failed.append((employee_id, outcome.error))
            else:
                stats[outcome.action] += 1
        for employee_id, error in failed:
            stats['failed'] += 1
            self._queue_employee_refresh(employee_id, error)

    def _queue_employee_refresh(self, employee_id, error):
        """An employee the poll could not reconcile becomes an Employee Change event (merged with any pending
        refresh of that employee), processed with retries like a webhook."""
        company_id = self.sudo().paylocity_company_code
        self.env['paylocity.event']._create_from_poll(
            self, EMPLOYEE_CHANGE, dedup_key(EMPLOYEE_CHANGE, company_id, employee_id),
            {'companyId': company_id, 'employeeId': employee_id}, employee_code=employee_id,
            summary={'found_by': 'reconciliation', 'error': type(error).__name__})

    def _fetch_employee_record(self, employee_id):
        """The full current record of one employee (WebLink GET; NextGen batch when WebLink is absent)."""
        self.ensure_one()
        connection = self.sudo()
        client = connection._get_client()
        try:
            if connection._has_credentials(WEBLINK) or not connection._has_credentials(NEXTGEN):
                return client.get_employee(employee_id).to_record(connection.paylocity_company_code)
            for employee in client.iter_nextgen_employees(include=NEXTGEN_INCLUDE):
                if employee.id == str(employee_id):
                    return employee.to_record(connection.paylocity_company_code)
            raise NotFound("Paylocity company %s has no employee %s." % (connection.paylocity_company_code,
                                                                          employee_id), status=404)
        finally:
            client.close()

    # === ODOO → PAYLOCITY === #
    @api.model
    def _cron_push_employees(self):
        for connection in self.sudo().search([('sync_employees', '=', True), ('push_owned_fields', '=', True)]):
            connection._run_cron_job('employee_push', connection._push_owned_fields, 'employee_push_message')

    def _push_owned_fields(self):
        """PATCH to Paylocity the Odoo-owned fields of employees changed since the last run whose value differs
        from what Paylocity last gave and is the one HR wrote (``sync_plan.values_to_push``: what employees
        change about themselves stays in Odoo). Returns the number of employees updated in Paylocity."""
        self.ensure_one()
        connection = self.sudo()
        owned = connection._owned_field_names()
        if not owned or not connection._has_credentials(WEBLINK):
            return 0
        since = connection.employee_push_cursor or fields.Datetime.to_datetime('1970-01-01')
        started = self.env.cr.now().replace(microsecond=0)
        Binding = self.env['paylocity.employee'].sudo().with_context(active_test=False)
        bindings = Binding.search([
            ('connection_id', '=', connection.id), ('status_type', '!=', directory.TERMINATED),
            '|', '|', ('write_date', '>=', since), ('employee_id.write_date', '>=', since),
            ('employee_id.work_contact_id.write_date', '>=', since),
        ])
        work = []
        kept = 0   # employees whose own changes stay in Odoo
        for binding in bindings:
            employee = binding.employee_id
            known = binding.paylocity_values or {}
            odoo_values = {name: employee[name] for name in owned}
            changed = sync_plan.values_to_push(owned, odoo_values, known, binding.hr_values or {})
            if set(directory.changed_values(known, odoo_values)) - set(changed):
                kept += 1
            body = directory.patch_body(changed)
            if body:
                work.append((binding, changed, body))
        kept_note = self.env._(" %(kept)s employee(s) with changes not written by HR (such as their own): kept in "
                               "Odoo, not sent.", kept=kept) if kept else ''
        if not work:
            vals = {'employee_push_cursor': started}
            if kept:
                vals['employee_push_message'] = self.env._("Nothing sent to Paylocity.") + kept_note
            connection.write(vals)
            return 0
        client = connection._get_client()
        try:
            results = client.fan_out(lambda item: client.patch_employee(item[0].paylocity_employee_code, item[2]),
                                     work)
        finally:
            client.close()
        failures = 0
        for (binding, changed, _body), result in results:
            if isinstance(result, Exception):
                failures += 1
                _logger.info("Paylocity connection %s: sending employee %s failed (%s)", connection.id,
                             binding.paylocity_employee_code, type(result).__name__)
                continue
            values = dict(binding.paylocity_values or {})
            values.update({name: value for name, value in changed.items() if directory.normalize(value)})
            binding.write({'paylocity_values': values})
        sent = len(work) - failures
        message = self.env._("%(sent)s employee(s) updated in Paylocity, %(failed)s failed (retried at the next "
                             "run).", sent=sent, failed=failures) + kept_note
        vals = {'employee_push_message': message}
        if not failures:
            vals['employee_push_cursor'] = started   # a failure keeps the window open: retried next run
        connection.write(vals)
        return sent

    # === SCREENS === #
    def action_view_bindings(self):
        return self._records_action('paylocity_connector.action_paylocity_employee')

    def action_view_codes(self):
        return self._records_action('paylocity_connector.action_paylocity_code', search_default_group_type=1)
