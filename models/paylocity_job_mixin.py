# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The connector's one job queue, and the helpers every background job shares.

A queue item (an event, a pay run) is due when ``next_try_at`` has passed and its state is one of its model's
``_job_queue.due_states``. One cron run::

    reclaim expired claims ──▶ claim one due item (READ COMMITTED, FOR NO KEY UPDATE SKIP LOCKED, commit)
        ──▶ lock it under its claim token ──▶ _process_one() ──ok──▶ claim released
                                                    └─any exception─▶ rolled back, recorded on the item,
                                                                      retried with backoff, or failed with an
                                                                      activity after the connection's limit
        ──▶ next item, until the batch, the queue or the cron's time runs out

A claim is an attempt: it counts in ``attempt_count`` when it is taken, so a worker that dies on an item (its
claim expires after ``<prefix>_lease_minutes``) has spent one attempt too, and a poison item ends ``failed``.
"""
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..paylocity import payroll

_logger = logging.getLogger(__name__)

ERROR_MAX = 500


class JobBusy(UserError):
    """Another transaction holds or has just changed this item: leave it to that one. (A ``UserError``, so a
    button pressed at that moment says so plainly.)"""


@dataclass(frozen=True)
class JobQueue:
    """How a model uses the queue: its ``_job_queue``."""
    cron: str                    # xmlid of the cron that processes the queue
    prefix: str                  # parameters <prefix>_lease_minutes, _retry_base_seconds, _retry_max_seconds,
                                 # _min_seconds_left
    due_states: tuple            # states in which a due item is claimed
    claimed_states: tuple        # states a claimed item is in while its worker has it
    retry_state: str | None = None   # state of an item waiting for a retry (None: it keeps its state)
    failed_state: str = 'failed'


class PaylocityBackgroundMixin(models.AbstractModel):
    """What every background job of the connector shares: tunable system parameters, committing progress as it
    goes (except inside tests, where the transaction belongs to the test), and running one unit of work so that
    its failure undoes that unit only."""

    _name = 'paylocity.background.mixin'
    _description = 'Paylocity background work helpers'

    # ``paylocity_connector.<name>`` system parameters this model reads, with their defaults.
    _paylocity_parameters = {}

    @api.model
    def _param(self, name):
        """An integer system parameter, or its default when unset or unreadable."""
        default = self._paylocity_parameters[name]
        value = self.env['ir.config_parameter'].sudo().get_param('paylocity_connector.%s' % name)
        try:
            return int(value) if value not in (None, False, '') else default
        except ValueError:
            return default

    @api.model
    def _can_commit(self):
        return not modules.module.current_test

    @api.model
    def _commit_step(self, processed=0, remaining=None):
        """Commit (reporting cron progress) and return the seconds the cron may still run; in tests only
        flush, and there is no time limit."""
        if self._can_commit():
            return self.env['ir.cron']._commit_progress(processed, remaining=remaining)
        self.env.flush_all()
        return float('inf')

    @api.model
    def _run_isolated(self, work):
        """Return ``work()``; when it raises an ``Exception``, undo what it did (to the last commit, or to a
        savepoint in tests, where nothing commits) and raise it again. ``work`` may commit its progress."""
        if self._can_commit():
            try:
                result = work()
                self.env.flush_all()
                return result
            except Exception:
                self.env.cr.rollback()
                raise
        savepoint = self.env.cr.savepoint()
        try:
            result = work()
            savepoint.close(rollback=False)
        except Exception:
            savepoint.close(rollback=True)
            raise
        return result

    @api.model
    def _error_text(self, exc):
        """The class and the message only: no traceback, whose frames could carry personal data."""
        return payroll.error_text(exc, ERROR_MAX)


class PaylocityJobMixin(models.AbstractModel):
    """The queue. A model using it sets ``_job_queue``, declares its ``_state_transitions`` and implements
    ``_process_one``; the hooks (``_job_prepare``, ``_job_begin``, ``_job_attempt_ended``,
    ``_job_alert_failure``) are optional."""

    _name = 'paylocity.job.mixin'
    _inherit = ['paylocity.background.mixin', 'paylocity.state.mixin']
    _description = 'Paylocity job queue'

    _job_queue = None   # a JobQueue

    next_try_at = fields.Datetime('Next try', readonly=True, copy=False,
                                  help="When the item is processed next (empty: nothing is planned).")
    claim_token = fields.Char(readonly=True, copy=False)
    claimed_at = fields.Datetime(readonly=True, copy=False)
    attempt_count = fields.Integer(
        'Attempts', readonly=True, copy=False, default=0,
        help="Processing attempts since the item was last queued; at the connection's maximum it fails.")
    last_error = fields.Text(readonly=True, copy=False)

    _due_idx = models.Index("(next_try_at, id) WHERE next_try_at IS NOT NULL")
    _claimed_idx = models.Index("(claimed_at) WHERE claim_token IS NOT NULL")

    # === QUEUEING === #
    @api.model
    def _job_cron_record(self):
        """The queue's cron (sudo), or an empty recordset if it was deleted. Looked up through the cached xmlid
        table, without ``env.ref``'s query checking the record still exists: intake asks on every delivery."""
        cron_id = self.env['ir.model.data']._xmlid_to_res_id(self._job_queue.cron, raise_if_not_found=False)
        return self.env['ir.cron'].sudo().browse(cron_id or ())

    @api.model
    def _trigger_processing(self, at=None):
        cron = self._job_cron_record()
        if cron:
            cron._trigger(at)

    def _job_queue_values(self, at=None):
        """The values that queue an item anew (now or at ``at``), with a fresh attempt count."""
        return {'next_try_at': at or fields.Datetime.now(), 'attempt_count': 0}

    def _job_enqueue(self, at=None):
        """Queue these items anew and wake the cron."""
        if self:
            self.write(self._job_queue_values(at))
            self._trigger_processing(at)
        return self

    @api.model
    def _count_due(self):
        return self.sudo().search_count([('next_try_at', '<=', fields.Datetime.now()), ('claim_token', '=', False),
                                         ('state', 'in', list(self._job_queue.due_states))])

    def _job_param(self, name):
        return self._param('%s_%s' % (self._job_queue.prefix, name))

    def _job_max_attempts(self):
        return max(self.connection_id.sudo().event_max_attempts, 1)

    def _job_retry_at(self, attempt, retry_after=None):
        """When retry number ``attempt`` is due: the core's doubling backoff, or later if Paylocity said so."""
        limit = self._job_param('retry_max_seconds')
        delay = payroll.retry_delay(attempt, self._job_param('retry_base_seconds'), limit)
        if isinstance(retry_after, (int, float)) and retry_after > delay:
            delay = min(retry_after, limit)
        return fields.Datetime.now() + timedelta(seconds=delay)

    # === THE RUN === #
    @api.model
    def _run_due(self, limit=None):
        """Process due items one at a time, each in isolation, until ``limit`` items, the queue or the cron's time
        runs out. Returns the number of items taken. The progress API tells the scheduler whether work remains,
        so it runs again at once; items waiting for a retry wake it at their next try."""
        self._job_reclaim_expired()
        self._job_prepare(fields.Datetime.now())
        taken = 0
        while limit is None or taken < limit:
            item = self._claim_due(1)
            if not item:
                break
            taken += 1
            item._run_claimed()
            if self._commit_step(processed=1) <= self._job_param('min_seconds_left'):
                break
        self._commit_step(remaining=self._count_due() if taken else 0)
        return taken

    @api.model
    def _claim_due(self, limit=1):
        """Claim up to ``limit`` due items under a fresh token (each claim is an attempt) and commit.

        ``FOR NO KEY UPDATE SKIP LOCKED`` in a READ COMMITTED transaction: two claimers never take the same row
        and never fail on one the other has just claimed. Returns the claimed items (one that ``_job_begin``
        settled without processing has no claim left)."""
        cr = self.env.cr
        if self._can_commit():
            cr.commit()
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        else:
            self.env.flush_all()   # the raw query below must see pending ORM writes
        now = fields.Datetime.now()
        cr.execute(SQL("""
            SELECT id FROM %s
             WHERE next_try_at <= %s AND claim_token IS NULL AND state IN %s
             ORDER BY next_try_at, id
             LIMIT %s
               FOR NO KEY UPDATE SKIP LOCKED
        """, SQL.identifier(self._table), now, tuple(self._job_queue.due_states), limit))
        items = self.sudo().browse([row[0] for row in cr.fetchall()])
        lease_end = now + timedelta(minutes=self._job_param('lease_minutes'))
        for item in items:
            item.write({'claim_token': uuid.uuid4().hex, 'claimed_at': now, 'next_try_at': lease_end,
                        'attempt_count': item.attempt_count + 1})
        for item in items:
            item._job_begin()
        self._commit_step()
        return items

    def _run_claimed(self):
        """One attempt of this claimed item: processed under its row lock; any exception rolls back what the
        attempt did and is recorded on the item."""
        self.ensure_one()
        item = self.sudo()
        token = item.claim_token
        if not token or not item._job_lock(token):
            return   # its claim expired and another worker took it, or someone else holds it
        lease_end = item.next_try_at
        started = time.monotonic()
        try:
            result = item._run_isolated(item._process_one)
        except JobBusy:
            _logger.info("%s %s is busy elsewhere; left to its owner", item._name, item.id)
            if item._job_lock(token):
                item._job_release(lease_end, busy=True)
            return
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on its item, the next items proceed
            if item._job_lock(token):
                item._job_failed(exc, int((time.monotonic() - started) * 1000))
            return
        item._job_release(lease_end)
        item._job_attempt_ended('done', result, int((time.monotonic() - started) * 1000))

    def _job_renew_lease(self):
        """A long attempt is still alive (call it under the item's lock, before committing its progress): its
        claim counts from now, so the reclaim of expired claims does not take an item its worker still holds."""
        if self.claim_token:
            self.write({'claimed_at': fields.Datetime.now()})

    def _job_release(self, lease_end, busy=False):
        """End this item's claim. A next try still equal to the lease means nothing asked for one; a busy item
        was not really attempted and comes back soon."""
        vals = {'claim_token': False}
        if self.next_try_at == lease_end:
            vals['next_try_at'] = self._job_retry_at(1) if busy else False
        if busy:
            vals['attempt_count'] = max(self.attempt_count - 1, 0)
        self.write(vals)

    def _job_lock(self, token=None):
        """Lock this item's row for the current transaction. False when another transaction holds it or changed it
        after this transaction's snapshot, or (with ``token``) when its claim is no longer that one."""
        self.ensure_one()
        self.env.flush_all()
        query = SQL("SELECT id FROM %s WHERE id = %s", SQL.identifier(self._table), self.id)
        if token:
            query = SQL("%s AND claim_token = %s", query, token)
        # The holder of its own claim waits a little: another claimer's scan can hold the row for an instant on its
        # way past (until it commits its own claim), and giving up then would leave the item claimed until its
        # lease ends. Without a claim, someone else holding the row is a real owner: do not wait.
        lock = SQL("%s FOR NO KEY UPDATE", query) if token else SQL("%s FOR NO KEY UPDATE NOWAIT", query)
        try:
            with self.env.cr.savepoint(flush=False):
                if token:
                    self.env.cr.execute("SET LOCAL lock_timeout = '10s'")
                self.env.cr.execute(lock, log_exceptions=False)
                found = bool(self.env.cr.fetchone())
                if token:
                    self.env.cr.execute("SET LOCAL lock_timeout = DEFAULT")
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure):
            return False
        self.invalidate_recordset()
        return found

    # === FAILURES === #
    def _job_failed(self, exc, duration_ms=0):
        """Record a failed attempt: retry later with a growing delay, or give up after the connection's maximum."""
        error = self._error_text(exc)
        _logger.info("%s %s attempt %s failed: %s", self._name, self.id, self.attempt_count, type(exc).__name__)
        self._job_retry_or_give_up(error, getattr(exc, 'retry_after', None), duration_ms)

    def _job_retry_or_give_up(self, error, retry_after=None, duration_ms=0, interrupted=False):
        final = self.attempt_count >= self._job_max_attempts()
        self._job_attempt_ended('abandoned' if interrupted else ('failed' if final else 'retrying'), error,
                                duration_ms)
        if final:
            self._set_state(self._job_queue.failed_state, {'last_error': error, 'next_try_at': False,
                                                     'claim_token': False})
            _logger.warning("%s %s failed after %s attempts", self._name, self.id, self.attempt_count)
            self._job_alert_failure(error)
            return
        next_try = self._job_retry_at(self.attempt_count, retry_after)
        vals = {'last_error': error, 'next_try_at': next_try, 'claim_token': False}
        if self._job_queue.retry_state:
            self._set_state(self._job_queue.retry_state, vals)
        else:
            self.write(vals)
        self._trigger_processing(next_try)

    @api.model
    def _job_reclaim_expired(self):
        """Items whose worker stopped (claim older than the lease, row not locked by a live transaction): that
        attempt counts, and the item is retried later or fails."""
        self.env.flush_all()
        cutoff = fields.Datetime.now() - timedelta(minutes=self._job_param('lease_minutes'))
        self.env.cr.execute(SQL("""
            SELECT id FROM %s WHERE claim_token IS NOT NULL AND claimed_at < %s FOR NO KEY UPDATE SKIP LOCKED
        """, SQL.identifier(self._table), cutoff))
        error = self.env._("Processing was interrupted (worker stopped or timed out).")
        for item in self.sudo().browse([row[0] for row in self.env.cr.fetchall()]):
            if item.state in self._job_queue.claimed_states:
                item._job_retry_or_give_up(error, interrupted=True)
            else:   # settled meanwhile by someone else (a button): only the claim is left to drop
                item.write({'claim_token': False})
        self._commit_step()

    def _job_alert_failure(self, error):
        """Tell the connection's responsible that this item gave up (chatter message and warning activity)."""
        message, summary, note = self._job_alert_texts()
        self.message_post(body=Markup('<p>%s</p><p>%s</p>') % (message, error))
        self.activity_schedule('mail.mail_activity_data_warning', summary=summary, note=note,
                               user_id=self.connection_id.sudo()._responsible_user().id)

    def _job_alert_texts(self):
        """(message, activity summary, activity note) of ``_job_alert_failure``."""
        return (self.env._("Processing failed after %(count)s attempts; nothing more is tried until it is queued "
                           "again.", count=self.attempt_count),
                self.env._("Paylocity processing failed"),
                self.env._("Fix the cause shown on the record, then queue it again."))

    # === HOOKS === #
    def _process_one(self):
        """Do this item's work (as superuser, under its row lock) and return an optional result message. Raise to
        fail the attempt, ``JobBusy`` to leave the item to the transaction that owns it. Must not commit unless
        the work is resumable."""
        raise NotImplementedError

    @api.model
    def _job_prepare(self, now):
        """Before a run's claims (e.g. put back in the queue what can now be processed)."""

    def _job_begin(self):
        """In the claim's transaction, committed before processing starts: what must be on record even if the
        worker dies. An item settled here without processing releases its claim (``claim_token`` False)."""

    def _job_attempt_ended(self, outcome, message, duration_ms):
        """An attempt ended: ``done``, ``retrying``, ``failed`` or ``abandoned`` (its worker stopped)."""
