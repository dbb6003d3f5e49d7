# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Retention of the event store, per connection: after its retention period the payloads of finished events are
erased (their metadata and audit trail stay) and refused deliveries are deleted; de-duplication keys are released
after its window."""
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .paylocity_event import MERGE_TYPES, PURGEABLE_STATES


class PaylocityEvent(models.Model):
    _inherit = 'paylocity.event'

    @api.model
    def _cron_purge_payloads(self, batch_size=1000):
        """Purge every connection's old payloads, refused deliveries and keys, one connection at a time (isolated,
        committed). Returns the number of payloads erased and refused deliveries deleted."""
        now = fields.Datetime.now()
        purged = 0
        for connection in self.env['paylocity.connection'].sudo().with_context(active_test=False).search([]):
            purged += connection._run_cron_job(
                'event_purge', lambda connection=connection: self._purge_connection(connection, now, batch_size)) or 0
        self.invalidate_model(['dedup_slot'])
        return purged

    @api.model
    def _purge_connection(self, connection, now, batch_size):
        window_start = now - timedelta(hours=connection.webhook_dedup_hours)
        self.env.cr.execute(SQL("""
            UPDATE paylocity_event SET dedup_slot = NULL
             WHERE connection_id = %s AND dedup_slot IS NOT NULL AND event_type NOT IN %s
               AND received_at < %s
        """, connection.id, tuple(MERGE_TYPES), window_start))
        if connection.event_retention_days <= 0:
            return 0
        cutoff = now - timedelta(days=connection.event_retention_days)
        domain = [('connection_id', '=', connection.id), ('received_at', '<', cutoff),
                  ('payload_purged_at', '=', False), ('payload_size', '>', 0), ('state', 'in', PURGEABLE_STATES)]
        purged = 0
        while events := self.sudo().search(domain, limit=batch_size):
            events.write({'payload': False, 'payload_purged_at': now})
            purged += len(events)
            self._commit_step(processed=len(events))
        rejected = [('connection_id', '=', connection.id), ('state', '=', 'rejected'), ('received_at', '<', cutoff),
                    '|', ('last_refused_at', '=', False), ('last_refused_at', '<', cutoff)]
        while events := self.sudo().search(rejected, limit=batch_size):
            events.unlink()
            purged += len(events)
            self._commit_step(processed=len(events))
        return purged
