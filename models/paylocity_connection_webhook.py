# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import re

from odoo import api, fields, models

ADMIN = 'paylocity_connector.group_paylocity_admin'
_TOKEN = re.compile(r'^[A-Za-z0-9_-]{16,128}$')


class PaylocityConnection(models.Model):
    """Event-spine options of a connection: de-duplication window, retries, payload retention."""

    _inherit = 'paylocity.connection'

    webhook_dedup_hours = fields.Integer(
        'De-duplication window (hours)', default=24, groups=ADMIN,
        help="A delivery with the same key as one received within this window is recorded as a duplicate "
             "and not processed again (Paylocity re-sends for up to a day).")
    event_max_attempts = fields.Integer(
        'Processing attempts', default=8, groups=ADMIN,
        help="An event whose processing keeps failing is retried with growing delays, then marked failed "
             "(with an activity for the responsible) after this many attempts.")
    event_retention_days = fields.Integer(
        'Keep event payloads (days)', default=90, groups=ADMIN,
        help="Raw bodies of finished events older than this are erased; their metadata and audit trail stay. "
             "0 keeps them forever.")
    event_count = fields.Integer('Events', compute='_compute_event_count')

    _webhook_dedup_hours_positive = models.Constraint(
        'CHECK (webhook_dedup_hours >= 0)', "The de-duplication window cannot be negative.")
    _event_max_attempts_positive = models.Constraint(
        'CHECK (event_max_attempts > 0)', "At least one processing attempt is needed.")
    _event_retention_days_positive = models.Constraint(
        'CHECK (event_retention_days >= 0)', "The payload retention cannot be negative.")

    def _compute_event_count(self):
        counts = dict(self.env['paylocity.event']._read_group(
            [('connection_id', 'in', self.ids)], ['connection_id'], ['__count']))
        for connection in self:
            connection.event_count = counts.get(connection, 0)

    @api.model
    def _find_by_webhook_token(self, token):
        """The active connection whose webhook URL carries ``token`` (sudo), or an empty recordset."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return self.browse()
        return self.sudo().search([('webhook_token', '=', token), ('active', '=', True)], limit=1)

    def action_view_events(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('paylocity_connector.action_paylocity_event')
        action['domain'] = [('connection_id', '=', self.id)]
        action['context'] = {'default_connection_id': self.id, 'search_default_group_state': 1}
        return action
