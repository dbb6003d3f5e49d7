# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from ..models import encryption


class PaylocityWebhookCredentials(models.TransientModel):
    """Shows a freshly generated webhook password once.

    The connection keeps only a hash of it; this record keeps it encrypted just long enough to show it to the
    administrator who generated it (a record rule hides it from everyone else) and is deleted when closed.
    """
    _name = 'paylocity.webhook.credentials'
    _description = 'New Paylocity webhook credentials'

    connection_id = fields.Many2one('paylocity.connection', required=True, ondelete='cascade', readonly=True)
    webhook_url = fields.Char(related='connection_id.webhook_url')
    webhook_url_warning = fields.Char(related='connection_id.webhook_url_warning')
    username = fields.Char(related='connection_id.webhook_username')
    password_encrypted = fields.Text(required=True)  # Fernet token; useless without the key
    password = fields.Char(compute='_compute_password')

    @api.depends('password_encrypted')
    def _compute_password(self):
        box = encryption.secret_box()
        for wizard in self:
            wizard.password = box.decrypt(wizard.password_encrypted) if wizard.password_encrypted else False

    def action_done(self):
        self.check_access('unlink')
        self.unlink()
        return {'type': 'ir.actions.act_window_close'}
