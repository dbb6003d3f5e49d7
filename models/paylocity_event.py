# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The durable event store and its background processing (webhooks and poll findings alike).

Life of an event::

    intake ──▶ received ──claim──▶ processing ──▶ done
                  ▲                    │ └────▶ unsupported (no handler yet; re-queued when one appears)
                  │                    ▼
                  └──── retrying ◀── error ──▶ failed (after the connection's maximum attempts)
    intake ──▶ duplicate (same key within the window; never processed)
    intake ──▶ rejected  (refused delivery: metadata and reason only)

Of a body only the allow-listed fields of its type are stored (``paylocity/webhooks.py``, ``kept_fields``):
identifiers, dates and cost centers, never what it says about the person. Handlers re-read the person from the API.

Handlers: an event of type ``T`` is processed by ``_handle_T(self)`` on ``paylocity.event`` (added by other
features with ``_inherit``). It runs as superuser in the event's company, isolated by the queue
(``paylocity.job.mixin``: a failure undoes its work only), must be idempotent (replays and retries call it
again) and must not commit. It returns ``None`` or a dict of values to write on the event (links such as
``employee_id``, ``move_id``, and ``result_message``); it raises to fail.
"""
import json
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import ADMIN_GROUP
from ..paylocity.webhooks import EMPLOYEE_CHANGE, EVENT_TYPES, kept_payload, payload_text
from .access import check_caller

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
TRANSITIONS = {
    'received': ('processing', 'unsupported', 'duplicate'),
    'retrying': ('processing', 'unsupported', 'received'),      # received: replayed
    'processing': ('done', 'retrying', 'failed'),
    'done': ('received',),                                      # replayed
    'failed': ('received',),                                    # replayed
    'unsupported': ('received',),                               # a handler appeared, or replayed
    'duplicate': (),
    'rejected': (),
}
REPLAYABLE_STATES = ('done', 'failed', 'retrying', 'unsupported')
# Every finished state: their payloads are erased after the retention period (pending events keep theirs until
# they finish; handlers never read it, it is kept for troubleshooting). Rejected deliveries never keep a body; their
# rows go after the retention period.
PURGEABLE_STATES = ('done', 'failed', 'duplicate', 'unsupported')
# Their key means "a refresh of this employee is pending": it is held only until the refresh starts, so a
# change arriving during or after the refresh gets an event of its own and is never lost.
MERGE_TYPES = frozenset((EMPLOYEE_CHANGE,))

DEDUP_INDEX = 'paylocity_event_dedup_slot_uniq'
# Refused deliveries like one refused in the last hour (same status, reason and sender) are counted on its row
# rather than each adding one; past this many rows in the hour a connection's refusals are counted by status and
# reason alone, so a flood from ever new addresses cannot grow the table either.
REFUSALS_WINDOW = timedelta(hours=1)
REFUSAL_ROWS_PER_WINDOW = 50
WAKE_UP_SHARED_SECONDS = 2   # a pending wake-up younger than this serves later deliveries too

# System parameters (``paylocity_connector.<name>``) and their defaults.
PARAMETERS = {
    'event_batch_size': 10,              # events claimed per batch (each may call Paylocity)
    'event_retry_base_seconds': 60,      # first retry delay; doubles with each attempt
    'event_retry_max_seconds': 6 * 3600,
    'event_lease_minutes': 60,           # a claimed event not locked by a live worker after this is reclaimed
    # Stop taking events when the cron run has this many seconds left or fewer. Odoo 19 gives a run a slot of
    # about ten seconds (then lets other jobs run, and runs this one again at once while events remain): 0 takes
    # events until the slot is used up; anything above the slot would stop after every single event.
    'event_min_seconds_left': 0,
    'webhook_max_bytes': 64 * 1024,      # Paylocity bodies are well under 2 KiB
}

# Values a handler may not set: the spine owns them.
_SPINE_FIELDS = frozenset((
    'state', 'connection_id', 'company_id', 'event_type', 'dedup_key', 'dedup_slot', 'attempt_count',
    'next_try_at', 'claim_token', 'claimed_at', 'payload', 'source', 'received_at', 'attempt_ids',
))


class PaylocityEvent(models.Model):
    _name = 'paylocity.event'
    _description = 'Paylocity event'
    _inherit = ['mail.thread', 'mail.activity.mixin', 'paylocity.job.mixin', 'paylocity.connector.fields.mixin']
    _paylocity_parameters = PARAMETERS
    _job_cron = 'paylocity_connector.ir_cron_paylocity_event_process'
    _connector_fields = frozenset({'move_id'})   # the entry its handler or the posting found
    _job_prefix = 'event'
    _job_states = PENDING_STATES
    _job_claimed_states = ('processing',)
    _job_retry_state = 'retrying'
    _state_transitions = TRANSITIONS
    _order = 'received_at desc, id desc'
    _check_company_auto = True

    # === IDENTITY === #
    # Precomputed: written by the intake's INSERT itself, not by a second UPDATE.
    name = fields.Char(compute='_compute_name', store=True, precompute=True)
    connection_id = fields.Many2one(
        'paylocity.connection', required=True, index=True, ondelete='restrict', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True, precompute=True)
    source = fields.Selection([('webhook', 'Webhook'), ('poll', 'Poll')], required=True, default='webhook',
                              readonly=True)
    event_type = fields.Selection(EVENT_TYPE_SELECTION, string='Type', index=True, readonly=True)
    state = fields.Selection(STATES, required=True, default='received', index=True, readonly=True)
    received_at = fields.Datetime(required=True, default=fields.Datetime.now, index=True, readonly=True)

    # === WHAT PAYLOCITY SAID (non-personal identifiers only) === #
    paylocity_company_code = fields.Char('Paylocity company', readonly=True)
    paylocity_employee_code = fields.Char('Paylocity employee', index='btree_not_null', readonly=True)
    process_code = fields.Char('Process ID', index='btree_not_null', readonly=True,
                               help="Payroll Processed: check date (YYYYMMDD) and two-digit run id.")
    check_date = fields.Date(readonly=True)
    run_number = fields.Integer('Run', readonly=True)
    summary = fields.Text(readonly=True, help="Non-personal fields of the body (dates, cost-center codes).")

    # === DELIVERY === #
    payload = fields.Text(groups=ADMIN_GROUP, readonly=True, prefetch=False,
                          help="The fields of the body the connector uses (identifiers, dates, cost centers; nothing "
                               "about the person); erased after the connection's retention period.")
    payload_size = fields.Integer('Body size (bytes)', readonly=True, help="Size of the body as received.")
    payload_purged_at = fields.Datetime('Payload erased on', readonly=True)
    request_headers = fields.Text('Request headers', readonly=True,
                                  help="The few useful headers of the delivery; never its credentials.")
    remote_addr = fields.Char('Sender address', readonly=True)
    http_status = fields.Integer('Answered', readonly=True, help="HTTP status Odoo answered the delivery with.")
    reject_reason = fields.Char(readonly=True)
    reject_count = fields.Integer('Refusals', readonly=True, default=1,
                                  help="Refused deliveries counted on this row: like ones within an hour share it.")
    last_refused_at = fields.Datetime('Last refused on', readonly=True)

    # === DE-DUPLICATION === #
    dedup_key = fields.Char('De-duplication key', index='btree_not_null', readonly=True)
    # Technical: the key while this event holds it (see DEDUP_INDEX); NULL once released.
    dedup_slot = fields.Char(readonly=True, copy=False)
    duplicate_of_id = fields.Many2one('paylocity.event', string='Duplicate of', readonly=True, index='btree_not_null',
                                      ondelete='set null')

    # === PROCESSING (next_try_at, attempt_count, last_error and the claim come from the queue) === #
    processed_at = fields.Datetime('Processed on', readonly=True)
    result_message = fields.Text('Result', readonly=True)
    replay_requested = fields.Boolean(readonly=True, copy=False)
    replayed_by_id = fields.Many2one('res.users', string='Last replayed by', readonly=True)
    attempt_ids = fields.One2many('paylocity.event.attempt', 'event_id', string='Processing attempts')

    # === WHAT IT PRODUCED === #
    employee_id = fields.Many2one('hr.employee', string='Employee', index='btree_not_null', ondelete='set null',
                                  readonly=True)
    move_id = fields.Many2one('account.move', string='Journal entry', index='btree_not_null', ondelete='set null',
                              readonly=True)

    _refusals_idx = models.Index("(connection_id, received_at) WHERE state = 'rejected'")
    _dedup_slot_uniq = models.UniqueIndex(
        '(connection_id, dedup_slot) WHERE dedup_slot IS NOT NULL',
        "Two live events cannot share a de-duplication key.")

    @api.depends('event_type', 'paylocity_company_code', 'paylocity_employee_code', 'process_code')
    def _compute_name(self):
        labels = dict(EVENT_TYPE_SELECTION)
        for event in self:
            label = labels.get(event.event_type) or self.env._("Delivery")
            subject = event.process_code or event.paylocity_employee_code
            parts = [label, '/'.join(p for p in (event.paylocity_company_code, subject) if p)]
            if event.state == 'rejected':
                parts.insert(0, self.env._("Rejected"))
            event.name = ' '.join(p for p in parts if p)

    # === INTAKE === #
    @api.model
    def _store_delivery(self, connection, webhook_event, raw_body, meta):
        """Store a classified webhook delivery (``received``, or ``duplicate``) and wake the processor."""
        vals = {
            'connection_id': connection.id,
            'source': 'webhook',
            'event_type': webhook_event.event_type,
            'dedup_key': webhook_event.dedup_key,
            'paylocity_company_code': webhook_event.company_id,
            'paylocity_employee_code': webhook_event.employee_id or False,
            'process_code': webhook_event.process_id or False,
            'check_date': webhook_event.check_date or False,
            'run_number': webhook_event.run_id or 0,
            'summary': json.dumps(webhook_event.summary, sort_keys=True) if webhook_event.summary else False,
            'payload': payload_text(webhook_event.kept),
            'payload_size': len(raw_body),
            'http_status': 200,
            **self._meta_vals(meta),
        }
        return self._store(vals)

    @api.model
    def _create_from_poll(self, connection, event_type, key, payload, *, employee_code=None, process_code=None,
                          check_date=None, run_number=None, summary=None):
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
        # One allow-list for polls and webhooks alike.
        vals = {
            'connection_id': connection.id,
            'source': 'poll',
            'event_type': event_type,
            'dedup_key': key,
            'paylocity_company_code': connection.sudo().paylocity_company_code,
            'paylocity_employee_code': employee_code or False,
            'process_code': process_code or False,
            'check_date': check_date or False,
            'run_number': run_number or 0,
            'summary': json.dumps(summary, sort_keys=True, default=str) if summary else False,
            'payload': kept_payload(event_type, body) or False,
            'payload_size': len(body.encode('utf-8')),
            'received_at': fields.Datetime.now(),
        }
        return self._store(vals)

    @api.model
    def _record_rejection(self, connection, reason, http_status, meta, payload_size=0, webhook_event=None):
        """Keep a refused delivery's metadata (never its body or credentials) for administrators: on a row of its
        own, or counted on the row of a like refusal of the last hour (see ``REFUSALS_WINDOW``). A refusal naming
        an event (an authenticated sender's body for another company) always has its own row. Returns the row."""
        reason = (reason or '')[:200]
        if webhook_event is None:
            counted = self._count_on_like_refusal(connection, reason, http_status, meta)
            if counted:
                return counted
        vals = {
            'connection_id': connection.id,
            'source': 'webhook',
            'state': 'rejected',
            'reject_reason': reason,
            'http_status': http_status,
            'payload_size': payload_size,
            **self._meta_vals(meta),
        }
        vals['last_refused_at'] = vals['received_at']
        if webhook_event is not None:
            vals.update(event_type=webhook_event.event_type, paylocity_company_code=webhook_event.company_id,
                        paylocity_employee_code=webhook_event.employee_id or False,
                        process_code=webhook_event.process_id or False)
        return self._sudo_quiet().create(vals)

    @api.model
    def _count_on_like_refusal(self, connection, reason, http_status, meta):
        """Count this refusal on the latest like one of the window (same status and reason; same sender too while
        the connection has fewer than ``REFUSAL_ROWS_PER_WINDOW`` rows in it); the row counted on, or empty.

        Counted in a transaction of its own at READ COMMITTED, committed at once: parallel refusals then wait for
        each other's increment of the row instead of failing on it (a serialization error, then the whole request
        retried), which is what a flood of them would do in the request's REPEATABLE READ transaction."""
        now = fields.Datetime.now()
        remote_addr = (meta.get('remote_addr') or '')[:64] or None
        self.flush_model(['state', 'reject_count', 'last_refused_at'])
        if not self._can_commit():   # in tests the transaction belongs to the test
            row = self._count_refusal(self.env.cr, connection, reason, http_status, remote_addr, now)
        else:
            with self.env.registry.cursor() as cr:
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                row = self._count_refusal(cr, connection, reason, http_status, remote_addr, now)
        counted = self.browse(row[0] if row else [])
        counted.invalidate_recordset(['reject_count', 'last_refused_at'])
        return counted

    @api.model
    def _count_refusal(self, cr, connection, reason, http_status, remote_addr, now):
        cr.execute(SQL("""
            WITH recent AS (
                SELECT id, remote_addr, http_status, reject_reason FROM paylocity_event
                 WHERE connection_id = %(connection)s AND state = 'rejected' AND received_at >= %(since)s
            )
            UPDATE paylocity_event SET reject_count = reject_count + 1, last_refused_at = %(now)s
             WHERE id = (SELECT id FROM recent
                          WHERE http_status = %(status)s AND reject_reason = %(reason)s
                            AND (remote_addr IS NOT DISTINCT FROM %(addr)s
                                 OR (SELECT count(*) FROM recent) >= %(rows)s)
                          ORDER BY remote_addr IS NOT DISTINCT FROM %(addr)s DESC, id DESC LIMIT 1)
            RETURNING id
        """, connection=connection.id, since=now - REFUSALS_WINDOW, now=now, status=http_status, reason=reason,
            addr=remote_addr, rows=REFUSAL_ROWS_PER_WINDOW))
        return cr.fetchone()

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
            self._wake_for_delivery()
            return event
        event._set_state('duplicate', {'next_try_at': False, 'duplicate_of_id': holder.id or False})
        return event

    @api.model
    def _wake_for_delivery(self):
        """Wake the processing cron for a new event, unless a wake-up made in the last seconds is pending that
        no run has started on.

        A run starts by deleting the pending wake-ups; the lock taken here makes that wait for this transaction,
        so the run it starts sees this event. A wake-up a run is already deleting is locked, hence skipped, and
        a new one is made; so is one when the pending wake-up is older (its cron workers may be busy elsewhere or
        missed its notification). Under a burst this spares most deliveries a wake-up of their own (a row, and a
        NOTIFY on a second connection, which PostgreSQL serializes), the main cost of intake.
        """
        cron = self._job_cron_record()
        if not cron:
            return
        now = fields.Datetime.now()
        # Only an immediate wake-up made through ``_trigger`` (it notified the cron workers): not the row a run
        # that stopped early adds for itself (no create_date, no notification), nor a retry that came due.
        self.env.cr.execute(SQL("""
            SELECT 1 FROM ir_cron_trigger
             WHERE cron_id = %s AND create_date >= %s AND call_at <= create_date + interval '1 second'
               AND call_at <= %s
             LIMIT 1 FOR KEY SHARE SKIP LOCKED
        """, cron.id, now - timedelta(seconds=WAKE_UP_SHARED_SECONDS), now))
        if not self.env.cr.fetchone():
            self._trigger_processing()

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

    # === PROCESSING (the queue's hooks) === #
    @api.model
    def _cron_process_events(self, batch_size=None):
        """Process one batch of due events, each in its own transaction; returns how many were taken."""
        return self._run_due(batch_size or self._param('event_batch_size'))

    @api.model
    def _job_prepare(self, now):
        """Events that waited for a handler go back in the queue once their type has one."""
        waiting_types = [event_type for [event_type] in self.sudo()._read_group(
            [('state', '=', 'unsupported')], ['event_type'])]
        handled = [t for t in waiting_types if t and callable(getattr(type(self), '_handle_%s' % t, None))]
        if handled:
            self.sudo().search([('state', '=', 'unsupported'), ('event_type', 'in', handled)])._set_state(
                'received', {'next_try_at': now})

    def _get_handler(self):
        """The bound ``_handle_<event_type>`` method, or None when no feature handles this type yet."""
        self.ensure_one()
        if not self.event_type:
            return None
        handler = getattr(self, '_handle_%s' % self.event_type, None)
        return handler if callable(handler) else None

    def _job_begin(self):
        """The attempt is on record (committed with the claim) before the handler runs, so even a crash
        mid-handler leaves a trace. An event without a handler waits as ``unsupported`` (not an attempt)."""
        origin = 'replay' if self.replay_requested else ('retry' if self.attempt_count > 1 else 'first')
        user = self.replayed_by_id if origin == 'replay' else self.env.user
        now = fields.Datetime.now()
        attempt = {'event_id': self.id, 'origin': origin, 'user_id': user.id, 'started_at': now}
        if self._get_handler() is None:
            message = self.env._(
                "No handler for %(type)s events is installed yet. The event waits and is processed as soon as "
                "one is (after an upgrade, or on replay).",
                type=dict(EVENT_TYPE_SELECTION).get(self.event_type, self.event_type))
            self.env['paylocity.event.attempt'].sudo().create(
                dict(attempt, finished_at=now, outcome='unsupported', message=message))
            self._set_state('unsupported', {'claim_token': False, 'next_try_at': False, 'replay_requested': False,
                                            'result_message': message, 'attempt_count': self.attempt_count - 1})
            return
        self.env['paylocity.event.attempt'].sudo().create(attempt)
        values = {'replay_requested': False}
        if self.event_type in MERGE_TYPES:
            values['dedup_slot'] = False   # the refresh starts: a change arriving from now on is an event of its own
        self._set_state('processing', values)

    def _process_one(self):
        """Run the handler in the event's company; its values and ``done`` are written together."""
        event = self.with_company(self.company_id)
        handler = event._get_handler()
        if handler is None:
            raise RuntimeError("the handler of %s events went away" % event.event_type)
        vals = event._handler_values(handler())
        event._set_state('done', {**vals, 'processed_at': fields.Datetime.now(), 'last_error': False,
                                  'next_try_at': False})
        return vals.get('result_message')

    def _job_attempt_ended(self, outcome, message, duration_ms):
        running = self.attempt_ids.filtered(lambda a: a.outcome == 'running')
        running.write({'outcome': outcome, 'finished_at': fields.Datetime.now(), 'message': message or False,
                       **({'duration_ms': duration_ms} if outcome != 'abandoned' else {})})

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

    def _job_alert_texts(self):
        return (self.env._("Processing failed after %(count)s attempts; nothing more is tried until it is replayed.",
                           count=self.attempt_count),
                self.env._("Paylocity event failed"),
                self.env._("Fix the cause shown on the event, then press Replay."))

    # === REPLAY === #
    def action_replay(self):
        """Queue the events again through the same idempotent handlers (administrators only)."""
        check_caller(self, 'write', (ADMIN_GROUP,), self.env._("Only Paylocity administrators can replay events."))
        replayable = self.filtered(lambda e: e.state in REPLAYABLE_STATES)
        if replayable:
            replayable.sudo()._set_state('received', {
                **replayable._job_queue_values(), 'last_error': False, 'replay_requested': True,
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
        check_caller(self)
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'paylocity.event',
            'res_id': self.duplicate_of_id.id,
            'view_mode': 'form',
        }
