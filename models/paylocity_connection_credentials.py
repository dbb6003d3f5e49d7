# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Credentials of a connection: the WebLink and NextGen client pairs (secrets encrypted at rest, write-only in the
form), Paylocity's RSA public key for encrypted writes, the token cache they scope, and the secrets' expiry."""
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from . import encryption
from ..const import ADMIN_GROUP, FAMILY_LABELS, NEXTGEN, SYSTEM_GROUP, WEBLINK
from ..paylocity import errors
from ..paylocity.auth import Credentials
from ..paylocity.secure_content import load_public_key

_logger = logging.getLogger(__name__)

# Ciphertext column of each secret; only this model's helpers read or write them, always as superuser.
SECRET_FIELDS = {
    WEBLINK: 'weblink_secret_encrypted',
    NEXTGEN: 'nextgen_secret_encrypted',
}


def _client_pair_fields(family, unlocks):
    """The fields of one API family's client pair: its client ID (``unlocks`` says what for), the write-only secret
    input, the encrypted secret, whether one is set, and when it expires."""
    label = FAMILY_LABELS[family]
    return (
        fields.Char('%s client ID' % label, groups=ADMIN_GROUP, tracking=True, copy=False, help=unlocks),
        fields.Char('%s client secret' % label, groups=ADMIN_GROUP, compute='_compute_secret_inputs',
                    inverse='_inverse_%s_client_secret' % family,
                    help="Write-only: type a new secret to replace the stored one. It is encrypted and never shown "
                         "again."),
        fields.Text(groups=SYSTEM_GROUP, copy=False, prefetch=False),
        fields.Boolean('%s secret set' % label, groups=ADMIN_GROUP, compute='_compute_secret_set'),
        fields.Date('%s secret expires on' % label, groups=ADMIN_GROUP, tracking=True, copy=False,
                    help="Paylocity client secrets last 365 days; you are warned before this date."),
    )


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    (weblink_client_identifier, weblink_client_secret, weblink_secret_encrypted, weblink_secret_set,
     weblink_secret_expiry) = _client_pair_fields(
        WEBLINK, "WebLink unlocks: employee reads and updates (GET/PATCH), company codes (earnings, deductions, "
                 "taxes, cost centers), and pay statements, which the payroll journal entries are built from.")
    (nextgen_client_identifier, nextgen_client_secret, nextgen_secret_encrypted, nextgen_secret_set,
     nextgen_secret_expiry) = _client_pair_fields(
        NEXTGEN, "NextGen unlocks: batch employee reads, cost-center levels, work locations, positions and pay "
                 "grades.")

    public_key = fields.Text(
        'Paylocity RSA public key', groups=ADMIN_GROUP, copy=False,
        help="The public key Paylocity sent with your credentials, as PEM or as .NET XML (<RSAKeyValue>).")
    encrypt_writes = fields.Boolean(
        'Encrypt writes (secureContent)', groups=ADMIN_GROUP, tracking=True,
        help="Send employee updates to WebLink encrypted with Paylocity's public key, as your Paylocity "
             "setup requires unless you opted out.")
    secret_warning_days = fields.Integer(
        'Warn before secret expiry (days)', default=21, groups=ADMIN_GROUP,
        help="An activity is scheduled this many days before a client secret expires.")

    # === COMPUTES, INVERSES, CONSTRAINTS === #
    def _compute_secret_inputs(self):
        # Write-only inputs: reading one never returns the secret.
        for connection in self:
            connection.weblink_client_secret = False
            connection.nextgen_client_secret = False

    @api.depends('weblink_secret_encrypted', 'nextgen_secret_encrypted')
    def _compute_secret_set(self):
        for connection in self:
            stored = connection.sudo()
            connection.weblink_secret_set = bool(stored.weblink_secret_encrypted)
            connection.nextgen_secret_set = bool(stored.nextgen_secret_encrypted)

    def _inverse_weblink_client_secret(self):
        self._store_typed_secret(WEBLINK, 'weblink_client_secret')

    def _inverse_nextgen_client_secret(self):
        self._store_typed_secret(NEXTGEN, 'nextgen_client_secret')

    def _store_typed_secret(self, family, input_field):
        for connection in self:
            value = (connection[input_field] or '').strip()
            if value:  # an empty input means "keep the stored secret"
                connection._set_secret(family, value)
                connection.message_post(body=self.env._("The %(api)s client secret was updated.",
                                                        api=FAMILY_LABELS[family]))
        # The written value sits in the cache; drop it so that the read-back after saving (web_save) is empty.
        self.invalidate_recordset([input_field])

    @api.constrains('public_key', 'encrypt_writes')
    def _check_public_key(self):
        for connection in self.sudo():
            if connection.public_key:
                try:
                    load_public_key(connection.public_key)
                except errors.ConfigurationError as exc:
                    raise ValidationError(str(exc)) from None
            elif connection.encrypt_writes:
                raise ValidationError(self.env._(
                    "Encrypted writes need Paylocity's RSA public key: paste it first."))

    # === SECRETS === #
    def _set_secret(self, family, plaintext):
        """Encrypt and store the client secret of ``family`` ('weblink' or 'nextgen'); empty clears it."""
        self.ensure_one()
        ciphertext = encryption.secret_box().encrypt(plaintext) if plaintext else False
        self.sudo().write({SECRET_FIELDS[family]: ciphertext})
        self._clear_token_cache()

    def _get_secret(self, family):
        """Decrypted client secret of ``family``, or None. Server side only: never return it to a client."""
        self.ensure_one()
        ciphertext = self.sudo()[SECRET_FIELDS[family]]
        return encryption.secret_box().decrypt(ciphertext) if ciphertext else None

    def _get_credentials(self, family):
        """``Credentials`` of ``family``, or None when that pair is not configured."""
        self.ensure_one()
        identifier = (self.sudo()['%s_client_identifier' % family] or '').strip()
        secret = self._get_secret(family)
        if not identifier or not secret:
            return None
        return Credentials(identifier, secret)

    def _set_credentials(self, family, client_identifier, client_secret, expiry=None):
        """Set a whole pair at once (demo data, scripts); the secret is encrypted like one typed in the form."""
        self.ensure_one()
        self.sudo().write({'%s_client_identifier' % family: client_identifier,
                           '%s_secret_expiry' % family: expiry or False})
        self._set_secret(family, client_secret)

    def _has_secret(self, family):
        self.ensure_one()
        return bool(self.sudo()[SECRET_FIELDS[family]])

    @staticmethod
    def _secret_clearing_values(family):
        """Values that remove the secret of ``family`` and its expiry date (the client ID stays)."""
        return {SECRET_FIELDS[family]: False, '%s_secret_expiry' % family: False}

    def _has_credentials(self, family):
        """Whether the pair of ``family`` is configured (without decrypting the secret)."""
        self.ensure_one()
        stored = self.sudo()
        return bool((stored['%s_client_identifier' % family] or '').strip() and stored[SECRET_FIELDS[family]])

    @api.model
    def _reencrypt_all_secrets(self):
        """Re-encrypt every stored secret with the primary key (after a new key was put first)."""
        box = encryption.secret_box()
        connections = self.sudo().with_context(active_test=False).search([])
        count = 0
        for connection in connections:
            updates = {}
            for field_name in SECRET_FIELDS.values():
                if connection[field_name] and not box.is_current(connection[field_name]):
                    updates[field_name] = box.rotate(connection[field_name])
            if updates:
                connection.write(updates)
                count += len(updates)
        connections._clear_token_cache()
        return count

    def _clear_token_cache(self, token_urls=None):
        """Drop the cached tokens of these connections: all of them, or those issued by one of ``token_urls``
        (a token's key starts with the URL that issued it: ``paylocity.auth.token_key``)."""
        if not self.ids:
            return
        self.env.flush_all()
        if token_urls is None:
            self.env.cr.execute('DELETE FROM paylocity_token WHERE connection_id IN %s', (tuple(self.ids),))
            return
        for url in token_urls:
            self.env.cr.execute('DELETE FROM paylocity_token WHERE connection_id IN %s AND left(key, %s) = %s',
                                (tuple(self.ids), len(url) + 1, url + '|'))

    def action_clear_weblink_credentials(self):
        return self._clear_credentials(WEBLINK)

    def action_clear_nextgen_credentials(self):
        return self._clear_credentials(NEXTGEN)

    def _clear_credentials(self, family):
        self.ensure_one()
        self.check_access('write')
        self._set_credentials(family, False, False)
        self.message_post(body=self.env._("The %(api)s credentials were removed.", api=FAMILY_LABELS[family]))
        return True

    # === SECRET EXPIRY === #
    @api.model
    def _cron_warn_expiring_secrets(self):
        """Schedule one activity per client secret about to expire (or expired), once."""
        for connection in self.sudo().search([]):
            connection._run_cron_job('secret_expiry', connection._warn_expiring_secrets)

    def _warn_expiring_secrets(self):
        today = fields.Date.context_today(self)
        activity_type = self.env.ref('mail.mail_activity_data_warning')
        horizon = today + timedelta(days=max(self.secret_warning_days, 0))
        for family, label in FAMILY_LABELS.items():
            expiry = self['%s_secret_expiry' % family]
            if not expiry or expiry > horizon or not self['%s_client_identifier' % family]:
                continue
            summary = self.env._("Renew the %(api)s client secret (expires %(date)s)",
                                 api=label, date=fields.Date.to_string(expiry))
            if self.activity_ids.filtered(lambda a: a.summary == summary):
                continue
            self.activity_schedule(
                activity_type_id=activity_type.id,
                summary=summary,
                note=self.env._(
                    "Paylocity %(api)s client secrets last 365 days. Renew it in Paylocity (or with the code "
                    "from Paylocity's e-mail), enter the new secret and its new expiry date here.", api=label),
                date_deadline=min(expiry, today + timedelta(days=1)) if expiry <= today else expiry,
                user_id=(self.user_id or self.create_uid or self.env.user).id,
            )
            _logger.info("Paylocity connection %s: %s client secret expires on %s", self.id, label, expiry)
