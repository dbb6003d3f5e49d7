# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models
from odoo.exceptions import UserError

from ..const import SYSTEM_GROUP
from ..paylocity.errors import ConfigurationError
from . import encryption
from .access import check_caller


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    paylocity_key_source = fields.Char(
        string='Paylocity encryption key', compute='_compute_paylocity_key_source',
        help="Where the key that encrypts Paylocity secrets comes from. It is never stored in the database.")
    paylocity_key_file_source = fields.Boolean(compute='_compute_paylocity_key_source')
    paylocity_connection_count = fields.Integer(compute='_compute_paylocity_connection_count')

    def _compute_paylocity_key_source(self):
        try:
            source, _text = encryption.key_source()
            description = encryption.describe_key_source()
        except (ConfigurationError, OSError) as exc:
            source, description = None, self.env._("Not usable: %(reason)s", reason=str(exc))
        for settings in self:
            settings.paylocity_key_source = description
            settings.paylocity_key_file_source = source == encryption.SOURCE_FILE

    def _compute_paylocity_connection_count(self):
        Connection = self.env['paylocity.connection']
        for settings in self:
            settings.paylocity_connection_count = Connection.search_count(
                [('company_id', '=', settings.company_id.id)]) if Connection.has_access('read') else 0

    def action_paylocity_reencrypt_secrets(self):
        """Re-encrypt every stored Paylocity secret with the primary (first) key."""
        self._check_paylocity_key_rights()
        try:
            count = self.env['paylocity.connection']._reencrypt_all_secrets()
        except ConfigurationError as exc:
            raise UserError(str(exc)) from None
        return self._paylocity_notify(self.env._("%(count)s secret(s) re-encrypted with the primary key.",
                                                 count=count))

    def action_paylocity_new_key(self):
        """Put a new key first in the key file, then re-encrypt every secret with it."""
        self._check_paylocity_key_rights()
        try:
            encryption.add_key_to_file()
            count = self.env['paylocity.connection']._reencrypt_all_secrets()
        except (ConfigurationError, OSError) as exc:
            raise UserError(str(exc)) from None
        return self._paylocity_notify(self.env._(
            "A new encryption key was added to the key file and %(count)s secret(s) re-encrypted with it. "
            "Older keys stay in the file so other databases using it can still read their secrets.",
            count=count))

    def _check_paylocity_key_rights(self):
        """The encryption key is the server's: system administrators only (they may write every connection)."""
        check_caller(self, 'write', (SYSTEM_GROUP,))
        self.env['paylocity.connection'].check_access('write')

    def _paylocity_notify(self, message):
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {'message': message, 'type': 'success',
                       'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'}},
        }
