# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The durable event store and its background processing (webhooks and poll findings alike).

Life of an event::

    intake ──▶ received ──claim──▶ processing ──▶ done
                  ▲                    │ └────▶ unsupported (no handler yet; re-queued when one appears)
                  │                    ▼
                  └──── retrying ◀── error ──▶ failed (after the connection's maximum attempts)
    intake ──▶ duplicate (same key within the window; never processed)
    intake ──▶ rejected  (refused delivery: metadata and reason only)

Handlers: an event of type ``T`` is processed by ``_handle_T(self)`` on ``paylocity.event`` (added by other
features with ``_inherit``). It runs as superuser in the event's company, inside a savepoint, must be idempotent
(replays and retries call it again) and must not commit. It returns ``None`` or a dict of values to write on the
event (links such as ``employee_id``, ``move_id``, and ``result_message``); it raises to fail.
"""
import json
import logging
import time
import uuid
from datetime import timedelta

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..paylocity import payroll
from ..paylocity.webhooks import EMPLOYEE_CHANGE, EVENT_TYPES

_logger = logging.getLogger(__name__)

ADMIN = 'paylocity_connector.group_paylocity_admin'
CRON_XMLID = 'paylocity_connector.ir_cron_paylocity_event_process'

EVENT_TYPE_SELECTION = [
    ('new_hire', 'New Hire'),
    ('termination', 'Termination'),
    ('employee_change', 'Employee Change'),
    ('payroll_processed', 'Payroll Processed'),
    ('time_off_approval', 'Time Off Approval'),
]
assert {key for key, _label in EVENT_TYPE_SELECTION} == set(EVENT_TYPES)

STATES = [
    ('received', 'Received'),
    ('processing', 'Processing'),
    ('done', 'Done'),
    ('retrying', 'Retrying'),
    ('failed', 'Failed'),
    ('duplicate', 'Duplicate'),
    ('rejected', 'Rejected'),
    ('unsupported', 'Unsupported'),
]
PENDING_STATES = ('received', 'retrying')
REPLAYABLE_STATES = ('done', 'failed', 'retrying', 'unsupported')
# Payloads of these are purged after the retention period; pending ones still need theirs (rejected
# deliveries never keep one).
PURGEABLE_STATES = ('done', 'failed', 'duplicate')
# Their key means "a refresh of this employee is pending": it is held only until the refresh starts, so a
# change arriving during or after the refresh gets an event of its own and is never lost.
MERGE_TYPES = frozenset((EMPLOYEE_CHANGE,))

DEDUP_INDEX = 'paylocity_event_dedup_slot_uniq'

# System parameters (``paylocity_connector.<name>``) and their defaults.
PARAMETERS = {
    'event_batch_size': 10,              # events claimed per batch (each may call Paylocity)
    'event_retry_base_seconds': 60,      # first retry delay; doubles with each attempt
    'event_retry_max_seconds': 6 * 3600,
    'event_lease_minutes': 60,           # a claimed event not locked by a live worker after this is reclaimed
    'webhook_max_bytes': 64 * 1024,      # Paylocity bodies are well under 2 KiB
}

# Values a handler may not set: the spine owns them.
_SPINE_FIELDS = frozenset((
    'state', 'connection_id', 'company_id', 'event_type', 'dedup_key', 'dedup_slot', 'attempt_count',
    'next_try_at', 'claim_token', 'claimed_at', 'payload', 'source', 'received_at', 'attempt_ids',
))
_ERROR_MAX = 500


class PaylocityEvent(models.Model):
    _name = 'paylocity.event'
    _description = 'Paylocity event'
    _inherit = ['mail.thread', 'mail.activity.mixin', 'paylocity.job.mixin']
    _paylocity_parameters = PARAMETERS
    _order = 'received_at desc, id desc'
    _check_company_auto = True

    # === IDENTITY === #
    name = fields.Char(compute='_compute_name', store=True)
    connection_id = fields.Many2one(
        'paylocity.connection', required=True, index=True, ondelete='restrict', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    source = fields.Selection([('webhook', 'Webhook'), ('poll', 'Poll')], required=True, default='webhook',
                              readonly=True)
    event_type = fields.Selection(EVENT_TYPE_SELECTION, string='Type', index=True, readonly=True)
    state = fields.Selection(STATES, required=True, default='received', index=True, readonly=True)
    received_at = fields.Datetime(required=True, default=fields.Datetime.now, index=True, readonly=True)

    # === WHAT PAYLOCITY SAID (non-personal identifiers only) === #
    paylocity_company_id = fields.Char('Paylocity company', readonly=True)
    paylocity_employee_id = fields.Char('Paylocity employee', index='btree_not_null', readonly=True)
    process_id = fields.Char('Process ID', index='btree_not_null', readonly=True,
                             help="Payroll Processed: check date (YYYYMMDD) and two-digit run id.")
    check_date = fields.Date(readonly=True)
    run_id = fields.Integer('Run', readonly=True)
    summary = fields.Text(readonly=True, help="Non-personal fields of the body (dates, cost-center codes).")

    # === DELIVERY === #
    payload = fields.Text(groups=ADMIN, readonly=True, prefetch=False,
                          help="Raw body as received; erased after the connection's retention period.")
    payload_size = fields.Integer('Body size (bytes)', readonly=True)
    payload_purged_at = fields.Datetime('Payload erased on', readonly=True)
    request_headers = fields.Text('Request headers', readonly=True,
                                  help="The few useful headers of the delivery; never its credentials.")
    remote_addr = fields.Char('Sender address', readonly=True)
    http_status = fields.Integer('Answered', readonly=True, help="HTTP status Odoo answered the delivery with.")
    reject_reason = fields.Char(readonly=True)

    # === DE-DUPLICATION === #
    dedup_key = fields.Char('De-duplication key', index='btree_not_null', readonly=True)
    # Technical: the key while this event holds it (see DEDUP_INDEX); NULL once released.
    dedup_slot = fields.Char(readonly=True, copy=False)
    duplicate_of_id = fields.Many2one('paylocity.event', string='Duplicate of', readonly=True, index='btree_not_null',
                                      ondelete='set null')

    # === PROCESSING === #
    attempt_count = fields.Integer('Attempts', readonly=True, default=0)
    next_try_at = fields.Datetime('Next try', readonly=True)
    claim_token = fields.Char(readonly=True, copy=False)
    claimed_at = fields.Datetime(readonly=True, copy=False)
    processed_at = fields.Datetime('Processed on', readonly=True)
    last_error = fields.Text(readonly=True)
    result_message = fields.Text('Result', readonly=True)
    replay_requested = fields.Boolean(readonly=True, copy=False)
    replayed_by_id = fields.Many2one('res.users', string='Last replayed by', readonly=True)
    attempt_ids = fields.One2many('paylocity.event.attempt', 'event_id', string='Processing attempts')

    # === WHAT IT PRODUCED === #
    employee_id = fields.Many2one('hr.employee', string='Employee', index='btree_not_null', ondelete='set null',
                                  readonly=True)
    move_id = fields.Many2one('account.move', string='Journal entry', index='btree_not_null', ondelete='set null',
                              readonly=True)

    _dedup_slot_uniq = models.UniqueIndex(
        '(connection_id, dedup_slot) WHERE dedup_slot IS NOT NULL',
        "Two live events cannot share a de-duplication key.")
    _pending_idx = models.Index("(next_try_at, id) WHERE state IN ('received', 'retrying')")

    @api.depends('event_type', 'paylocity_company_id', 'paylocity_employee_id', 'process_id')
    def _compute_name(self):
        labels = dict(EVENT_TYPE_SELECTION)
        for event in self:
            label = labels.get(event.event_type) or self.env._("Delivery")
            subject = event.process_id or event.paylocity_employee_id
            parts = [label, '/'.join(p for p in (event.paylocity_company_id, subject) if p)]
            if event.state == 'rejected':
                parts.insert(0, self.env._("Rejected"))
            event.name = ' '.join(p for p in parts if p)

    # === PARAMETERS === #
    @api.model
    def _trigger_processing(self, at=None):
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    # === INTAKE === #
    @api.model
    def _store_delivery(self, connection, webhook_event, raw_body, meta):
        """Store a classified webhook delivery (``received``, or ``duplicate``) and wake the processor."""
        vals = {
            'connection_id': connection.id,
            'source': 'webhook',
            'event_type': webhook_event.event_type,
            'dedup_key': webhook_event.dedup_key,
            'paylocity_company_id': webhook_event.company_id,
            'paylocity_employee_id': webhook_event.employee_id or False,
            'process_id': webhook_event.process_id or False,
            'check_date': webhook_event.check_date or False,
            'run_id': webhook_event.run_id or 0,
            'summary': json.dumps(webhook_event.summary, sort_keys=True) if webhook_event.summary else False,
            'payload': raw_body.decode('utf-8', 'replace'),
            'payload_size': len(raw_body),
            'http_status': 200,
            **self._meta_vals(meta),
        }
        return self._store(vals)

    @api.model
    def _create_from_poll(self, connection, event_type, key, payload, *, employee_id=None, process_id=None,
                          check_date=None, run_id=None, summary=None):
        """Record a poll finding as an event that goes through the same de-duplication and processing.

        ``key`` must be built like the webhook's key for the same fact (see ``paylocity/webhooks.py``, e.g.
        ``payroll_processed:<company>:<processId>``) so that a webhook and a poll of one fact meet.
        Returns the stored event: ``received``, or ``duplicate`` when that key is already live.
        """
        if event_type not in EVENT_TYPES:
            raise ValueError("unknown Paylocity event type %r" % (event_type,))
        if not key:
            raise ValueError("a poll event needs a de-duplication key")
        body = json.dumps(payload, sort_keys=True, default=str) if not isinstance(payload, str) else payload
        vals = {
            'connection_id': connection.id,
            'source': 'poll',
            'event_type': event_type,
            'dedup_key': key,
            'paylocity_company_id': connection.sudo().paylocity_company_id,
            'paylocity_employee_id': employee_id or False,
            'process_id': process_id or False,
            'check_date': check_date or False,
            'run_id': run_id or 0,
            'summary': json.dumps(summary, sort_keys=True, default=str) if summary else False,
            'payload': body,
            'payload_size': len(body.encode('utf-8')),
            'received_at': fields.Datetime.now(),
        }
        return self._store(vals)

    @api.model
    def _record_rejection(self, connection, reason, http_status, meta, payload_size=0, webhook_event=None):
        """Keep a refused delivery's metadata (never its body or credentials) for administrators."""
        vals = {
            'connection_id': connection.id,
            'source': 'webhook',
            'state': 'rejected',
            'reject_reason': (reason or '')[:200],
            'http_status': http_status,
            'payload_size': payload_size,
            **self._meta_vals(meta),
        }
        if webhook_event is not None:
            vals.update(event_type=webhook_event.event_type, paylocity_company_id=webhook_event.company_id,
                        paylocity_employee_id=webhook_event.employee_id or False,
                        process_id=webhook_event.process_id or False)
        return self._sudo_quiet().create(vals)

    @api.model
    def _meta_vals(self, meta):
        headers = meta.get('headers') or {}
        return {
            'remote_addr': (meta.get('remote_addr') or '')[:64] or False,
            'request_headers': json.dumps(headers, sort_keys=True) if headers else False,
            'received_at': meta.get('received_at') or fields.Datetime.now(),
        }

    def _sudo_quiet(self):
        return self.sudo().with_context(mail_create_nolog=True, mail_create_nosubscribe=True,
                                        tracking_disable=True)

    @api.model
    def _store(self, vals):
        vals = dict(vals, state='received', next_try_at=vals.get('received_at') or fields.Datetime.now())
        event = self._sudo_quiet().create(vals)
        holder = event._take_dedup_slot()
        if holder is True:
            self._trigger_processing()
            return event
        event.write({'state': 'duplicate', 'next_try_at': False, 'duplicate_of_id': holder.id or False})
        return event

    def _take_dedup_slot(self):
        """Hold this event's key, or return the live event holding it (possibly empty: a concurrent twin
        committed after this transaction's snapshot, so it cannot be read here).

        Race safety comes from the partial unique index on (connection, key): of two concurrent
        deliveries of one key, PostgreSQL makes the second wait for the first to commit and then refuses
        it, whatever either transaction can see.
        """
        self.ensure_one()
        cr = self.env.cr
        for first_try in (True, False):
            try:
                with cr.savepoint():
                    cr.execute(SQL("UPDATE paylocity_event SET dedup_slot = %s WHERE id = %s",
                                   self.dedup_key, self.id), log_exceptions=False)
            except psycopg2.errors.UniqueViolation as exc:
                if exc.diag.constraint_name != DEDUP_INDEX:
                    raise
            else:
                self.invalidate_recordset(['dedup_slot'])
                return True
            holder = self.search([('connection_id', '=', self.connection_id.id),
                                  ('dedup_slot', '=', self.dedup_key)], limit=1)
            if first_try and holder and holder._dedup_expired():
                # Outside the window: release the old holder's key and take it.
                cr.execute(SQL("UPDATE paylocity_event SET dedup_slot = NULL WHERE id = %s AND dedup_slot = %s",
                               holder.id, self.dedup_key), log_exceptions=False)
                holder.invalidate_recordset(['dedup_slot'])
                continue
            return holder
        return self.browse()

    def _dedup_expired(self):
        self.ensure_one()
        if self.event_type in MERGE_TYPES:
            return False  # released when its refresh starts, not by age
        window = timedelta(hours=self.connection_id.sudo().webhook_dedup_hours)
        return self.received_at <= fields.Datetime.now() - window

    # === PROCESSING === #
    @api.model
    def _cron_process_events(self, batch_size=None):
        """Claim one batch of due events and process each in its own transaction.

        The progress API tells the scheduler whether work remains, so it runs again at once until the
        queue is empty; events waiting for a retry wake it at their next try.
        """
        events = self._claim_batch(batch_size or self._param('event_batch_size'))
        for event in events:
            event._process_claimed()
            self._commit_step(processed=1)
        remaining = self._count_due() if events else 0
        self._commit_step(remaining=remaining)
        return len(events)

    @api.model
    def _count_due(self):
        return self.sudo().search_count([('state', 'in', PENDING_STATES),
                                         ('next_try_at', '<=', fields.Datetime.now())])

    @api.model
    def _claim_batch(self, batch_size):
        """Mark up to ``batch_size`` due events ``processing`` under a fresh claim token, and commit.

        ``FOR UPDATE SKIP LOCKED`` in a READ COMMITTED transaction: two claimers never take the same row
        and never fail on one the other has just claimed.
        """
        cr = self.env.cr
        if self._can_commit():
            cr.commit()
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        else:
            self.env.flush_all()  # the raw queries below must see pending ORM writes
        now = fields.Datetime.now()
        self._requeue_unsupported(now)
        self._reclaim_abandoned(now)
        self.env.flush_all()
        cr.execute(SQL("""
            SELECT id FROM paylocity_event
             WHERE state IN %s AND next_try_at <= %s
             ORDER BY next_try_at, id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
        """, PENDING_STATES, now, batch_size))
        events = self.sudo().browse([row[0] for row in cr.fetchall()])
        if events:
            events.write({'state': 'processing', 'claim_token': uuid.uuid4().hex, 'claimed_at': now})
            events.filtered(lambda e: e.event_type in MERGE_TYPES and e.dedup_slot).write({'dedup_slot': False})
        self._commit_step(remaining=len(events))
        return events

    @api.model
    def _requeue_unsupported(self, now):
        """Events that waited for a handler go back in the queue once their type has one."""
        waiting_types = [event_type for [event_type] in self.sudo()._read_group(
            [('state', '=', 'unsupported')], ['event_type'])]
        handled = [t for t in waiting_types if t and callable(getattr(type(self), '_handle_%s' % t, None))]
        if handled:
            self.sudo().search([('state', '=', 'unsupported'), ('event_type', 'in', handled)]).write(
                {'state': 'received', 'next_try_at': now})

    @api.model
    def _reclaim_abandoned(self, now):
        """Claimed events whose worker died (no row lock held) past the lease are retried."""
        cutoff = now - timedelta(minutes=self._param('event_lease_minutes'))
        self.env.cr.execute(SQL("""
            SELECT id FROM paylocity_event
             WHERE state = 'processing' AND claimed_at < %s
               FOR UPDATE SKIP LOCKED
        """, cutoff))
        for event in self.sudo().browse([row[0] for row in self.env.cr.fetchall()]):
            open_attempts = event.attempt_ids.filtered(lambda a: a.outcome == 'running')
            error = self.env._("Processing was interrupted (worker stopped or timed out).")
            if open_attempts:
                open_attempts.write({'outcome': 'abandoned', 'finished_at': now, 'message': error})
                event._schedule_retry_or_fail(error, retry_after=None)
            else:  # claimed but never started: no attempt was spent
                event.write({'state': 'received', 'next_try_at': now, 'claim_token': False})

    def _lock_claimed(self, token):
        """Lock this claimed event for the current transaction; False if it is no longer ours."""
        self.ensure_one()
        try:
            self.env.cr.execute(SQL("""
                SELECT id FROM paylocity_event
                 WHERE id = %s AND state = 'processing' AND claim_token = %s
                   FOR UPDATE SKIP LOCKED
            """, self.id, token), log_exceptions=False)
        except psycopg2.errors.SerializationFailure:
            if not self._can_commit():
                raise
            self.env.cr.rollback()  # reclaimed concurrently: leave it to its new owner
            return False
        return bool(self.env.cr.fetchone())

    def _get_handler(self):
        """The bound ``_handle_<event_type>`` method, or None when no feature handles this type yet."""
        self.ensure_one()
        if not self.event_type:
            return None
        handler = getattr(self, '_handle_%s' % self.event_type, None)
        return handler if callable(handler) else None

    def _process_claimed(self):
        """Run one attempt of a claimed event: the attempt is committed before the handler runs, so even a
        crash mid-handler leaves a trace; the handler's effects and the outcome commit together."""
        self.ensure_one()
        event = self.sudo()
        token = event.claim_token
        if not token or not event._lock_claimed(token):
            return
        event = event.with_company(event.company_id)
        handler = event._get_handler()
        origin = 'replay' if event.replay_requested else ('retry' if event.attempt_count else 'first')
        user = event.replayed_by_id if origin == 'replay' else self.env.user
        now = fields.Datetime.now()
        attempts = self.env['paylocity.event.attempt'].sudo()
        if handler is None:
            message = self.env._(
                "No handler for %(type)s events is installed yet. The event waits and is processed as soon as "
                "one is (after an upgrade, or on replay).",
                type=dict(EVENT_TYPE_SELECTION).get(event.event_type, event.event_type))
            attempts.create({'event_id': event.id, 'origin': origin, 'user_id': user.id, 'started_at': now,
                             'finished_at': now, 'outcome': 'unsupported', 'message': message})
            event.write({'state': 'unsupported', 'claim_token': False, 'next_try_at': False,
                         'replay_requested': False, 'result_message': message})
            return
        attempt = attempts.create({'event_id': event.id, 'origin': origin, 'user_id': user.id, 'started_at': now})
        event.write({'attempt_count': event.attempt_count + 1, 'replay_requested': False})
        self._commit_step()  # the attempt is on record before anything can go wrong
        if not event._lock_claimed(token):
            return
        started = time.monotonic()
        try:
            with self.env.cr.savepoint():
                vals = event._handler_values(handler())
                # Inside the savepoint: links the database refuses fail the attempt, not the whole run.
                event.write({**vals, 'state': 'done', 'processed_at': fields.Datetime.now(), 'last_error': False,
                             'next_try_at': False, 'claim_token': False})
        except Exception as exc:  # noqa: BLE001 - any handler failure is recorded and retried
            duration = int((time.monotonic() - started) * 1000)
            error = event._error_text(exc)
            _logger.info("Paylocity event %s (%s) attempt %s failed: %s",
                         event.id, event.event_type, event.attempt_count, type(exc).__name__)
            attempt.write({'finished_at': fields.Datetime.now(), 'duration_ms': duration, 'message': error,
                           'outcome': 'failed' if event.attempt_count >= event._max_attempts() else 'retrying'})
            event._schedule_retry_or_fail(error, retry_after=getattr(exc, 'retry_after', None))
            return
        duration = int((time.monotonic() - started) * 1000)
        attempt.write({'outcome': 'done', 'finished_at': fields.Datetime.now(), 'duration_ms': duration,
                       'message': vals.get('result_message') or False})

    def _handler_values(self, result):
        if result is None:
            return {}
        if not isinstance(result, dict):
            raise TypeError("a Paylocity event handler must return a dict or None")
        forbidden = set(result) & _SPINE_FIELDS
        unknown = set(result) - set(self._fields)
        if forbidden or unknown:
            raise ValueError("handler returned values it may not write: %s" % ', '.join(sorted(forbidden | unknown)))
        return result

    def _max_attempts(self):
        return max(self.connection_id.sudo().event_max_attempts, 1)

    @api.model
    def _error_text(self, exc):
        return payroll.error_text(exc, _ERROR_MAX)

    def _schedule_retry_or_fail(self, error, retry_after=None):
        self.ensure_one()
        now = fields.Datetime.now()
        if self.attempt_count >= self._max_attempts():
            self.write({'state': 'failed', 'last_error': error, 'next_try_at': False, 'claim_token': False})
            self._notify_failure(error)
            return
        base = self._param('event_retry_base_seconds')
        delay = min(base * 2 ** max(self.attempt_count - 1, 0), self._param('event_retry_max_seconds'))
        if isinstance(retry_after, (int, float)) and retry_after > delay:
            delay = min(retry_after, self._param('event_retry_max_seconds'))
        next_try = now + timedelta(seconds=delay)
        self.write({'state': 'retrying', 'last_error': error, 'next_try_at': next_try, 'claim_token': False})
        self._trigger_processing(next_try)

    def _notify_failure(self, error):
        connection = self.connection_id.sudo()
        self.message_post(body=Markup('<p>%s</p><p>%s</p>') % (
            self.env._("Processing failed after %(count)s attempts; nothing more is tried until it is replayed.",
                       count=self.attempt_count), error))
        self.activity_schedule(
            'mail.mail_activity_data_warning',
            summary=self.env._("Paylocity event failed"),
            note=self.env._("Fix the cause shown on the event, then press Replay."),
            user_id=(connection.user_id or connection.create_uid or self.env.ref('base.user_admin')).id,
        )

    # === REPLAY === #
    def action_replay(self):
        """Queue the events again through the same idempotent handlers (administrators only)."""
        if not self.env.user.has_group(ADMIN):
            raise AccessError(self.env._("Only Paylocity administrators can replay events."))
        replayable = self.filtered(lambda e: e.state in REPLAYABLE_STATES)
        if replayable:
            replayable.sudo().write({
                'state': 'received', 'attempt_count': 0, 'next_try_at': fields.Datetime.now(),
                'last_error': False, 'claim_token': False, 'replay_requested': True,
                'replayed_by_id': self.env.user.id,
            })
            for event in replayable:
                event.sudo().message_post(body=self.env._("Replay requested by %(user)s.", user=self.env.user.name))
            self._trigger_processing()
        skipped = len(self) - len(replayable)
        message = self.env._("%(count)s event(s) queued for replay.", count=len(replayable))
        if skipped:
            message += ' ' + self.env._(
                "%(count)s skipped: duplicates, rejected deliveries and events already queued or running "
                "are not replayed.", count=skipped)
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {
                'message': message,
                'type': 'success' if replayable else 'warning',
                'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'},
            },
        }

    def action_view_duplicate_of(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'paylocity.event',
            'res_id': self.duplicate_of_id.id,
            'view_mode': 'form',
        }

    # === HANDLER HELPERS === #
    def _payload_json(self):
        """The stored body parsed as JSON ({} once purged or unreadable). Handlers re-read Paylocity anyway."""
        self.ensure_one()
        try:
            data = json.loads(self.sudo().payload or '{}')
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    # === RETENTION === #
    @api.model
    def _cron_purge_payloads(self, batch_size=1000):
        """Erase bodies of finished events older than each connection's retention (metadata stays), and
        release de-duplication keys older than each connection's window."""
        now = fields.Datetime.now()
        connections = self.env['paylocity.connection'].sudo().with_context(active_test=False).search([])
        purged = 0
        for connection in connections:
            window_start = now - timedelta(hours=connection.webhook_dedup_hours)
            self.env.cr.execute(SQL("""
                UPDATE paylocity_event SET dedup_slot = NULL
                 WHERE connection_id = %s AND dedup_slot IS NOT NULL AND event_type NOT IN %s
                   AND received_at < %s
            """, connection.id, tuple(MERGE_TYPES), window_start))
            if connection.event_retention_days <= 0:
                continue
            cutoff = now - timedelta(days=connection.event_retention_days)
            domain = [('connection_id', '=', connection.id), ('received_at', '<', cutoff),
                      ('payload_purged_at', '=', False), ('payload_size', '>', 0), ('state', 'in', PURGEABLE_STATES)]
            while True:
                events = self.sudo().search(domain, limit=batch_size)
                if not events:
                    break
                events.write({'payload': False, 'payload_purged_at': now})
                purged += len(events)
                self._commit_step(processed=len(events))
        self.invalidate_model(['dedup_slot'])
        self._commit_step()
        return purged
