# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The durable event store and its background processing (webhooks and poll findings alike).

Life of an event::

    intake ──▶ received ──claim──▶ processing ──▶ done
                  ▲                    │ └────▶ unsupported (no handler yet; re-queued when one appears)
                  │                    ▼
                  └──── retrying ◀── error ──▶ failed (after the connection's maximum attempts)
    intake ──▶ duplicate (same key within the window; never processed)
    intake ──▶ rejected  (refused delivery: metadata and reason only)

Intake (storing, de-duplication, refusals, the wake-up) is ``paylocity_event_intake.py``.
Of a body only the allow-listed fields of its type are stored (``paylocity/webhooks.py``, ``kept_fields``):
identifiers, dates and cost centers, never what it says about the person. Handlers re-read the person from the API.

Handlers: an event of type ``T`` is processed by ``_handle_T(self)`` on ``paylocity.event`` (added by other
features with ``_inherit``). It runs as superuser in the event's company, isolated by the queue
(``paylocity.job.mixin``: a failure undoes its work only), must be idempotent (replays and retries call it
again) and must not commit. It returns ``None`` or a dict of values to write on the event (links such as
``employee_id``, ``move_id``, and ``result_message``); it raises to fail.
"""
from odoo import api, fields, models

from ..const import ADMIN_GROUP
from ..paylocity.webhooks import EMPLOYEE_CHANGE, EVENT_TYPES
from .access import check_caller
from .paylocity_job_mixin import JobQueue

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
    _connector_fields = frozenset({'move_id'})   # the entry its handler or the posting found
    _job_queue = JobQueue(cron='paylocity_connector.ir_cron_paylocity_event_process', prefix='event',
                          due_states=PENDING_STATES, claimed_states=('processing',), retry_state='retrying')
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
    # Technical: the key while this event holds it (see DEDUP_INDEX, paylocity_event_intake.py); NULL once released.
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
