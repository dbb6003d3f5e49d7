# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Intake of the event store: a webhook delivery or a poll finding becomes an event, once per key.

Every event enters through ``_store`` (de-duplicated on its key, then the processing cron woken) or, refused,
through ``_record_rejection`` (metadata only, like refusals counted on one row).
"""
import json
import logging
import threading
from datetime import timedelta

import psycopg2.errors
from psycopg2.pool import PoolError

from odoo import api, fields, models
from odoo.tools import SQL

from ..paylocity.webhooks import EVENT_TYPES, kept_payload, payload_text
from .paylocity_event import MERGE_TYPES

_logger = logging.getLogger(__name__)

DEDUP_INDEX = 'paylocity_event_dedup_slot_uniq'
# Refused deliveries like one refused in the last hour (same status, reason and sender) are counted on its row
# rather than each adding one; past this many rows in the hour a connection's refusals are counted by status and
# reason alone, so a flood from ever new addresses cannot grow the table either.
REFUSALS_WINDOW = timedelta(hours=1)
REFUSAL_ROWS_PER_WINDOW = 50
WAKE_UP_SHARED_SECONDS = 2   # a pending wake-up younger than this serves later deliveries too
# Counting a refusal takes a second database connection while the request holds its own. A threaded server runs
# as many requests at once as arrive, and Odoo's pool of a process is shared by all of them: a flood of refusals
# would empty it (each request then failing with a 500, its refusal uncounted). So a process counts a few at a
# time; a refusal that cannot have a slot or a connection soon is counted in its request's own transaction.
COUNTING_SLOTS = threading.BoundedSemaphore(2)
COUNTING_WAIT_SECONDS = 5


class PaylocityEvent(models.Model):
    _inherit = 'paylocity.event'

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
        retried), which is what a flood of them would do in the request's REPEATABLE READ transaction. Without a
        free slot or connection (``COUNTING_SLOTS``) it is counted in the request's transaction: correct still,
        at worst the request is retried by Odoo."""
        now = fields.Datetime.now()
        remote_addr = (meta.get('remote_addr') or '')[:64] or None
        self.flush_model(['state', 'reject_count', 'last_refused_at'])
        args = (connection, reason, http_status, remote_addr, now)
        apart = False
        # In tests the transaction belongs to the test: there it is always the request's.
        if self._can_commit() and COUNTING_SLOTS.acquire(timeout=COUNTING_WAIT_SECONDS):
            try:
                row, apart = self._count_refusal_apart(*args), True
            except PoolError:
                _logger.debug("no free database connection to count a refusal apart: counted in its request")
            finally:
                COUNTING_SLOTS.release()
        if not apart:
            row = self._count_refusal(self.env.cr, *args)
        counted = self.browse(row[0] if row else [])
        counted.invalidate_recordset(['reject_count', 'last_refused_at'])
        return counted

    @api.model
    def _count_refusal_apart(self, *args):
        """``_count_refusal`` in a transaction of its own, committed; ``PoolError`` when no connection is free."""
        with self.env.registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return self._count_refusal(cr, *args)

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
