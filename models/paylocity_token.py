# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

import psycopg2

from odoo import fields, models

from . import encryption
from ..paylocity.errors import ConfigurationError

_logger = logging.getLogger(__name__)


class PaylocityToken(models.Model):
    """Cached Paylocity access tokens, encrypted, shared by every worker.

    Server side only: no group can read this model through the ORM; only ``DbTokenStore`` touches it.
    """
    _name = 'paylocity.token'
    _description = 'Paylocity access token cache'
    _log_access = False

    connection_id = fields.Many2one('paylocity.connection', required=True, ondelete='cascade', index=False)
    key = fields.Char(required=True)
    token_encrypted = fields.Text(required=True)
    expires_at = fields.Float(required=True, help="Expiry as a Unix timestamp")

    _connection_key_uniq = models.Constraint(
        'UNIQUE (connection_id, key)', "One cached token per connection and key.")


class DbTokenStore:
    """The client's TokenStore, backed by ``paylocity_token`` rows.

    Every call runs in its own short transaction on a separate cursor: a token obtained during a business
    transaction that is later rolled back stays cached, and every worker sees it. A failing cache is never
    fatal; the client then simply asks Paylocity for a new token.
    """

    def __init__(self, registry, connection_id):
        self._registry = registry
        self._connection_id = connection_id

    def get(self, key):
        try:
            with self._registry.cursor() as cr:
                cr.execute(
                    "SELECT token_encrypted, expires_at FROM paylocity_token WHERE connection_id = %s AND key = %s",
                    (self._connection_id, key))
                row = cr.fetchone()
            if not row:
                return None
            return encryption.secret_box().decrypt(row[0]), row[1]
        except (psycopg2.Error, ConfigurationError) as exc:
            _logger.info("Paylocity token cache unavailable (%s); a new token will be requested", type(exc).__name__)
            return None

    def set(self, key, token, expires_at):
        try:
            ciphertext = encryption.secret_box().encrypt(token)
            with self._registry.cursor() as cr:
                # Only for a connection other transactions can see (one created in a transaction that is not
                # committed yet simply gets no cached token), so this never fails on the foreign key.
                cr.execute("""
                    INSERT INTO paylocity_token (connection_id, key, token_encrypted, expires_at)
                    SELECT id, %s, %s, %s FROM paylocity_connection WHERE id = %s
                    ON CONFLICT (connection_id, key)
                    DO UPDATE SET token_encrypted = EXCLUDED.token_encrypted, expires_at = EXCLUDED.expires_at
                """, (key, ciphertext, float(expires_at), self._connection_id))
        except (psycopg2.Error, ConfigurationError) as exc:
            _logger.info("Paylocity token not cached (%s)", type(exc).__name__)

    def delete(self, key):
        try:
            with self._registry.cursor() as cr:
                cr.execute("DELETE FROM paylocity_token WHERE connection_id = %s AND key = %s",
                           (self._connection_id, key))
        except psycopg2.Error as exc:
            _logger.info("Paylocity token not removed from the cache (%s)", type(exc).__name__)
