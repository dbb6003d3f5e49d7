# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Webhooks of a connection: the URL and its token, the Basic-auth pair (only a hash of the password is kept), the
sender allow-list, and the intake options (de-duplication window, processing attempts, payload retention)."""
import hashlib
import re
import secrets

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from . import encryption, server_options
from ..const import ADMIN_GROUP, SYSTEM_GROUP
from ..paylocity import errors
from ..paylocity.hosts import webhook_base_problem
from ..paylocity.webhooks import (
    DEFAULT_SENDER_CIDRS, check_webhook_authorization, hash_webhook_password, ip_allowed, parse_cidrs,
)

DEFAULT_ALLOWED_NETWORKS = ', '.join(DEFAULT_SENDER_CIDRS)   # Paylocity's published sender ranges
_TOKEN = re.compile(r'^[A-Za-z0-9_-]{16,128}$')
# What intake reads of a connection: cached with its id by token (see ``_webhook_intake_values``), so a change of
# any of these, of the token or of ``active`` drops the cache.
INTAKE_FIELDS = ['company_id', 'paylocity_company_code', 'webhook_allowed_networks', 'webhook_username',
                 'webhook_password_hash', 'webhook_dedup_hours']
INTAKE_CACHE_FIELDS = frozenset(INTAKE_FIELDS + ['webhook_token', 'active'])


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    # === ENDPOINT AND CREDENTIALS === #
    webhook_token = fields.Char(
        groups=ADMIN_GROUP, required=True, copy=False, readonly=True,
        default=lambda self: secrets.token_urlsafe(24),
        help="Random part of the webhook URL that identifies this connection.")
    webhook_url = fields.Char('Webhook URL', groups=ADMIN_GROUP, compute='_compute_webhook_url',
                              help="Paste this URL into Paylocity's webhook set-up.")
    webhook_url_warning = fields.Char('Webhook URL problem', groups=ADMIN_GROUP, compute='_compute_webhook_url',
                                      help="Why no webhook URL is offered.")
    webhook_username = fields.Char(
        'Webhook user name', groups=ADMIN_GROUP, copy=False, readonly=True, tracking=True,
        help="Basic-auth user name Paylocity sends with each webhook.")
    webhook_password_hash = fields.Char(groups=SYSTEM_GROUP, copy=False, prefetch=False)
    webhook_password_set = fields.Boolean('Webhook password set', groups=ADMIN_GROUP,
                                          compute='_compute_webhook_password_set')
    webhook_allowed_networks = fields.Char(
        'Allowed webhook senders', groups=ADMIN_GROUP, tracking=True, default=DEFAULT_ALLOWED_NETWORKS,
        help="Networks (CIDR) webhooks may come from, comma-separated; Paylocity's ranges by default. "
             "Empty accepts any sender (Basic auth still applies).")

    # === INTAKE OPTIONS === #
    webhook_dedup_hours = fields.Integer(
        'De-duplication window (hours)', default=24, groups=ADMIN_GROUP,
        help="A delivery with the same key as one received within this window is recorded as a duplicate "
             "and not processed again (Paylocity re-sends for up to a day).")
    event_max_attempts = fields.Integer(
        'Processing attempts', default=8, groups=ADMIN_GROUP,
        help="An event whose processing keeps failing is retried with growing delays, then marked failed "
             "(with an activity for the responsible) after this many attempts.")
    event_retention_days = fields.Integer(
        'Keep event payloads (days)', default=90, groups=ADMIN_GROUP,
        help="The payloads of finished events older than this (the few fields of each body the connector uses) "
             "are erased, their metadata and audit trail stay; refused deliveries are deleted. 0 keeps them "
             "forever.")
    event_count = fields.Integer('Events', compute='_compute_event_count')

    _webhook_token_uniq = models.Constraint('UNIQUE (webhook_token)', "Webhook tokens must be unique.")
    _webhook_dedup_hours_positive = models.Constraint(
        'CHECK (webhook_dedup_hours >= 0)', "The de-duplication window cannot be negative.")
    _event_max_attempts_positive = models.Constraint(
        'CHECK (event_max_attempts > 0)', "At least one processing attempt is needed.")
    _event_retention_days_positive = models.Constraint(
        'CHECK (event_retention_days >= 0)', "The payload retention cannot be negative.")

    # === COMPUTES AND CONSTRAINTS === #
    @api.depends('webhook_token')
    def _compute_webhook_url(self):
        # Deliveries carry the webhook password and personal data: no URL is offered that is not https (unless
        # the server's configuration allows overrides: the demo and the tests on http://127.0.0.1).
        base_url = self.env['ir.config_parameter'].sudo().get_param('web.base.url', '').rstrip('/')
        problem = webhook_base_problem(base_url, server_options.host_overrides_allowed())
        warning = problem and self.env._(
            "No webhook URL: this server's address (web.base.url: %(base)s) %(problem)s. Serve Odoo over https "
            "and set web.base.url to that address.", base=base_url or '-', problem=problem)
        for connection in self:
            token = connection.sudo().webhook_token
            connection.webhook_url = token and not problem and '%s/paylocity/webhook/%s' % (base_url, token)
            connection.webhook_url_warning = warning or False

    @api.depends('webhook_password_hash')
    def _compute_webhook_password_set(self):
        for connection in self:
            connection.webhook_password_set = bool(connection.sudo().webhook_password_hash)

    def _compute_event_count(self):
        self._fill_counts({'event_count': 'paylocity.event'})

    @api.constrains('webhook_allowed_networks')
    def _check_webhook_allowed_networks(self):
        for connection in self.sudo():
            try:
                parse_cidrs(connection.webhook_allowed_networks or "")
            except errors.ConfigurationError as exc:
                raise ValidationError(str(exc)) from None

    # === CREDENTIALS === #
    def _init_webhook_credentials(self):
        """Secure from the start (called on create): nobody knows this password until an administrator asks for
        a new one."""
        for connection in self.sudo():
            connection.write({
                'webhook_username': connection.webhook_username or 'paylocity-%s' % secrets.token_hex(4),
                'webhook_password_hash': hash_webhook_password(secrets.token_urlsafe(32)),
            })

    def action_new_webhook_credentials(self):
        """Generate a new webhook password (and keep the user name) and show it once in a dialog."""
        self.ensure_one()
        self.check_access('write')
        password = secrets.token_urlsafe(32)
        self.sudo().write({'webhook_password_hash': hash_webhook_password(password)})
        self.message_post(body=self.env._("A new webhook password was generated; the previous one no longer works."))
        wizard = self.env['paylocity.webhook.credentials'].create({
            'connection_id': self.id,
            'password_encrypted': encryption.secret_box().encrypt(password),
        })
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._("Webhook credentials"),
            'res_model': 'paylocity.webhook.credentials',
            'res_id': wizard.id,
            'view_mode': 'form',
            'target': 'new',
        }

    def _webhook_auth_required(self):
        """Whether webhooks must carry Basic auth (always, once a password exists)."""
        self.ensure_one()
        return bool(self.sudo().webhook_password_hash)

    def _check_webhook_authorization(self, authorization_header):
        """True when an HTTP ``Authorization`` header carries this connection's webhook Basic-auth pair (only a
        hash of the password is stored)."""
        self.ensure_one()
        stored = self.sudo()
        return check_webhook_authorization(authorization_header, stored.webhook_username,
                                           stored.webhook_password_hash)

    def _webhook_sender_allowed(self, address):
        """True when ``address`` is in the allow-list (an empty list allows every sender)."""
        self.ensure_one()
        return ip_allowed(address, parse_cidrs(self.sudo().webhook_allowed_networks or ""))

    # === INTAKE === #
    @api.model
    def _find_by_webhook_token(self, token):
        """The active connection whose webhook URL carries ``token`` (sudo), or an empty recordset; what intake
        reads of it is already in the record's cache."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return self.browse()
        found = self._webhook_intake_values(hashlib.sha256(token.encode()).hexdigest(), token)
        if not found:
            return self.sudo().browse()
        connection = self.sudo().browse(found[0])
        for name, value in zip(INTAKE_FIELDS, found[1:]):
            # as a fetch would put it there; never over a value already in this transaction's cache
            self._fields[name]._insert_cache(connection, [value])
        return connection

    @api.model
    @tools.ormcache('token_hash')
    def _webhook_intake_values(self, token_hash, token):
        """``(id, *INTAKE_FIELDS)`` (as the record cache holds them) of the active connection whose token is
        ``token``, or None. Intake answers every delivery, so this is cached, by a hash of the token (the cache
        never holds a token); ``_forget_intake_values`` drops it when any of them changes, and Odoo's cache
        signalling drops it in the other workers and servers."""
        connection = self.sudo().search_fetch([('webhook_token', '=', token), ('active', '=', True)], INTAKE_FIELDS,
                                              limit=1)
        if not connection:
            return None
        return (connection.id, *(connection._fields[name].convert_to_cache(connection[name], connection)
                                 for name in INTAKE_FIELDS))

    def _forget_intake_values(self, field_names=None):
        """Drop the cached intake values when ``field_names`` (None: any field, as on create and unlink) touch
        them."""
        if field_names is None or INTAKE_CACHE_FIELDS.intersection(field_names):
            self.env.registry.clear_cache()

    def action_view_events(self):
        return self._records_action('paylocity_connector.action_paylocity_event', search_default_group_state=1)
