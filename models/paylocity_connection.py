# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from . import encryption
from .paylocity_rate_window import DbRateWindows
from .paylocity_token import DbTokenStore
from ..paylocity import errors
from ..paylocity.auth import Credentials
from ..paylocity.client import PaylocityClient, RetryPolicy
from ..paylocity.hosts import ENVIRONMENTS
from ..paylocity.secure_content import load_public_key
from ..paylocity.webhooks import (
    DEFAULT_SENDER_CIDRS, check_webhook_authorization, hash_webhook_password, ip_allowed, parse_cidrs,
)

_logger = logging.getLogger(__name__)

ADMIN = 'paylocity_connector.group_paylocity_admin'
SYSTEM = 'base.group_system'

DEFAULT_ALLOWED_NETWORKS = ', '.join(DEFAULT_SENDER_CIDRS)   # Paylocity's published sender ranges

WEBLINK = 'weblink'
NEXTGEN = 'nextgen'
FAMILY_LABELS = {WEBLINK: 'WebLink', NEXTGEN: 'NextGen'}
# Ciphertext column of each secret; only this model's helpers read or write them, always as superuser.
SECRET_FIELDS = {
    WEBLINK: 'weblink_secret_encrypted',
    NEXTGEN: 'nextgen_secret_encrypted',
}
HOST_FIELDS = {
    'weblink_base': 'weblink_base_url',
    'weblink_token': 'weblink_token_url',
    'nextgen_base': 'nextgen_base_url',
    'nextgen_token': 'nextgen_token_url',
}
LOCAL_HOSTS = ('127.0.0.1', 'localhost', '::1')
# Fields that decide which tokens are valid (secrets clear the cache when they are set).
TOKEN_SCOPE_FIELDS = {'environment', 'weblink_client_identifier', 'nextgen_client_identifier', *HOST_FIELDS.values()}


class PaylocityConnection(models.Model):
    _name = 'paylocity.connection'
    _description = 'Paylocity connection'
    _inherit = ['mail.thread', 'mail.activity.mixin']
    _order = 'name, id'
    _check_company_auto = True

    # === IDENTITY === #
    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        'res.company', string='Company', required=True, index=True, tracking=True,
        default=lambda self: self.env.company,
        help="The Odoo company that receives this Paylocity company's employees and journal entries.")
    paylocity_company_code = fields.Char(
        string='Paylocity Company ID', required=True, tracking=True,
        help="The company ID Paylocity gave you (shown in Paylocity and in its webhook bodies).")
    environment = fields.Selection(
        [('test', 'Test (Paylocity sandbox)'), ('production', 'Production')],
        required=True, default='test', tracking=True,
        help="Which Paylocity hosts to call. Credentials and tokens of one environment do not work in the other.")
    user_id = fields.Many2one(
        'res.users', string='Responsible', tracking=True, domain=[('share', '=', False)],
        default=lambda self: self.env.user,
        help="Receives the activities about this connection (expiring secrets, failed tests).")

    # Host overrides: only for a Paylocity-compatible local sandbox or a proxy.
    weblink_base_url = fields.Char('WebLink API URL', groups=ADMIN, tracking=True)
    weblink_token_url = fields.Char('WebLink token URL', groups=ADMIN, tracking=True)
    nextgen_base_url = fields.Char('NextGen API URL', groups=ADMIN, tracking=True)
    nextgen_token_url = fields.Char('NextGen token URL', groups=ADMIN, tracking=True)

    # === CREDENTIALS === #
    weblink_client_identifier = fields.Char(
        'WebLink client ID', groups=ADMIN, tracking=True, copy=False,
        help="WebLink unlocks: employee reads and updates (GET/PATCH), company codes (earnings, deductions, "
             "taxes, cost centers), and pay statements, which the payroll journal entries are built from.")
    weblink_client_secret = fields.Char(
        'WebLink client secret', groups=ADMIN, compute='_compute_secret_inputs',
        inverse='_inverse_weblink_client_secret',
        help="Write-only: type a new secret to replace the stored one. It is encrypted and never shown again.")
    weblink_secret_encrypted = fields.Text(groups=SYSTEM, copy=False, prefetch=False)
    weblink_secret_set = fields.Boolean('WebLink secret set', groups=ADMIN, compute='_compute_secret_set')
    weblink_secret_expiry = fields.Date(
        'WebLink secret expires on', groups=ADMIN, tracking=True, copy=False,
        help="Paylocity client secrets last 365 days; you are warned before this date.")

    nextgen_client_identifier = fields.Char(
        'NextGen client ID', groups=ADMIN, tracking=True, copy=False,
        help="NextGen unlocks: batch employee reads, cost-center levels, work locations, positions and pay grades.")
    nextgen_client_secret = fields.Char(
        'NextGen client secret', groups=ADMIN, compute='_compute_secret_inputs',
        inverse='_inverse_nextgen_client_secret',
        help="Write-only: type a new secret to replace the stored one. It is encrypted and never shown again.")
    nextgen_secret_encrypted = fields.Text(groups=SYSTEM, copy=False, prefetch=False)
    nextgen_secret_set = fields.Boolean('NextGen secret set', groups=ADMIN, compute='_compute_secret_set')
    nextgen_secret_expiry = fields.Date(
        'NextGen secret expires on', groups=ADMIN, tracking=True, copy=False,
        help="Paylocity client secrets last 365 days; you are warned before this date.")

    public_key = fields.Text(
        'Paylocity RSA public key', groups=ADMIN, copy=False,
        help="The public key Paylocity sent with your credentials, as PEM or as .NET XML (<RSAKeyValue>).")
    encrypt_writes = fields.Boolean(
        'Encrypt writes (secureContent)', groups=ADMIN, tracking=True,
        help="Send employee updates to WebLink encrypted with Paylocity's public key, as your Paylocity "
             "setup requires unless you opted out.")

    # === WEBHOOKS === #
    webhook_token = fields.Char(
        groups=ADMIN, required=True, copy=False, readonly=True,
        default=lambda self: secrets.token_urlsafe(24),
        help="Random part of the webhook URL that identifies this connection.")
    webhook_url = fields.Char('Webhook URL', groups=ADMIN, compute='_compute_webhook_url',
                              help="Paste this URL into Paylocity's webhook set-up.")
    webhook_username = fields.Char(
        'Webhook user name', groups=ADMIN, copy=False, readonly=True, tracking=True,
        help="Basic-auth user name Paylocity sends with each webhook.")
    webhook_password_hash = fields.Char(groups=SYSTEM, copy=False, prefetch=False)
    webhook_password_set = fields.Boolean('Webhook password set', groups=ADMIN, compute='_compute_secret_set')
    webhook_allowed_networks = fields.Char(
        'Allowed webhook senders', groups=ADMIN, tracking=True, default=DEFAULT_ALLOWED_NETWORKS,
        help="Networks (CIDR) webhooks may come from, comma-separated; Paylocity's ranges by default. "
             "Empty accepts any sender (Basic auth still applies).")

    # === ACCOUNTING === #
    journal_id = fields.Many2one(
        'account.journal', string='Journal', check_company=True, tracking=True,
        compute='_compute_journal_id', store=True, readonly=False,
        domain=[('type', '=', 'general')],
        help="Journal of the payroll entries; the company's Miscellaneous Operations journal by default.")

    # === OPTIONS === #
    request_timeout = fields.Integer(
        'Request timeout (s)', default=30, groups=ADMIN,
        help="How long to wait for one Paylocity answer before giving up on that attempt.")
    secret_warning_days = fields.Integer(
        'Warn before secret expiry (days)', default=21, groups=ADMIN,
        help="An activity is scheduled this many days before a client secret expires.")

    # === LAST TEST === #
    last_test_date = fields.Datetime('Last tested on', readonly=True, copy=False)
    last_test_state = fields.Selection(
        [('ok', 'Succeeded'), ('partial', 'Partly failed'), ('failed', 'Failed')],
        string='Last test', readonly=True, copy=False)
    last_test_message = fields.Text('Last test result', readonly=True, copy=False)

    _paylocity_company_uniq = models.Constraint(
        'UNIQUE (paylocity_company_code, environment)',
        "This Paylocity company is already connected in this environment (perhaps by an archived connection).")
    _company_active_uniq = models.UniqueIndex(
        '(company_id) WHERE active IS TRUE',
        "An Odoo company can have only one active Paylocity connection.")
    _webhook_token_uniq = models.Constraint('UNIQUE (webhook_token)', "Webhook tokens must be unique.")
    _request_timeout_positive = models.Constraint(
        'CHECK (request_timeout > 0)', "The request timeout must be at least one second.")

    # === COMPUTES === #
    def _compute_secret_inputs(self):
        # Write-only inputs: reading one never returns the secret.
        for connection in self:
            connection.weblink_client_secret = False
            connection.nextgen_client_secret = False

    @api.depends('weblink_secret_encrypted', 'nextgen_secret_encrypted', 'webhook_password_hash')
    def _compute_secret_set(self):
        for connection in self:
            stored = connection.sudo()
            connection.weblink_secret_set = bool(stored.weblink_secret_encrypted)
            connection.nextgen_secret_set = bool(stored.nextgen_secret_encrypted)
            connection.webhook_password_set = bool(stored.webhook_password_hash)

    @api.depends('webhook_token')
    def _compute_webhook_url(self):
        base_url = self.env['ir.config_parameter'].sudo().get_param('web.base.url', '').rstrip('/')
        for connection in self:
            token = connection.sudo().webhook_token
            connection.webhook_url = token and '%s/paylocity/webhook/%s' % (base_url, token)

    @api.depends('company_id')
    def _compute_journal_id(self):
        for connection in self:
            if connection.company_id and connection.journal_id.company_id != connection.company_id:
                connection.journal_id = self.env['account.journal'].search([
                    *self.env['account.journal']._check_company_domain(connection.company_id),
                    ('type', '=', 'general'),
                ], limit=1)

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

    # === CONSTRAINTS === #
    @api.constrains('paylocity_company_code')
    def _check_paylocity_company_code(self):
        for connection in self:
            value = connection.paylocity_company_code or ''
            if not value.strip() or any(char.isspace() for char in value.strip()) or '/' in value:
                raise ValidationError(self.env._("The Paylocity company ID must be a single word, like C1001."))

    @api.constrains('weblink_base_url', 'weblink_token_url', 'nextgen_base_url', 'nextgen_token_url')
    def _check_host_urls(self):
        for connection in self.sudo():
            for field_name in HOST_FIELDS.values():
                url = connection[field_name]
                if not url:
                    continue
                parts = urlsplit(url)
                local = parts.hostname in LOCAL_HOSTS
                if parts.scheme not in ('https', 'http') or not parts.hostname or (parts.scheme == 'http' and not local):
                    raise ValidationError(self.env._(
                        "%(field)s must be an https:// URL (plain http only for a sandbox on this machine).",
                        field=self._fields[field_name].string))

    @api.constrains('webhook_allowed_networks')
    def _check_webhook_allowed_networks(self):
        for connection in self.sudo():
            try:
                parse_cidrs(connection.webhook_allowed_networks or "")
            except errors.ConfigurationError as exc:
                raise ValidationError(str(exc)) from None

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

    # === CRUD === #
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get('paylocity_company_code'):
                vals['paylocity_company_code'] = vals['paylocity_company_code'].strip()
        connections = super().create(vals_list)
        for connection in connections:
            # Secure from the start: nobody knows this password until an administrator asks for a new one.
            connection.sudo().write({
                'webhook_username': connection.sudo().webhook_username or 'paylocity-%s' % secrets.token_hex(4),
                'webhook_password_hash': hash_webhook_password(secrets.token_urlsafe(32)),
            })
        return connections

    def write(self, vals):
        if vals.get('paylocity_company_code'):
            vals['paylocity_company_code'] = vals['paylocity_company_code'].strip()
        result = super().write(vals)
        if TOKEN_SCOPE_FIELDS.intersection(vals):
            self._clear_token_cache()   # tokens of the old hosts or client ids are of no further use
        return result

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
        client_id = (self.sudo()['%s_client_identifier' % family] or '').strip()
        secret = self._get_secret(family)
        if not client_id or not secret:
            return None
        return Credentials(client_id, secret)

    def _set_credentials(self, family, client_id, client_secret, expiry=None):
        """Set a whole pair at once (demo data, scripts); the secret is encrypted like one typed in the form."""
        self.ensure_one()
        self.sudo().write({'%s_client_identifier' % family: client_id, '%s_secret_expiry' % family: expiry or False})
        self._set_secret(family, client_secret)

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

    def _clear_token_cache(self):
        if self.ids:
            self.env.flush_all()
            self.env.cr.execute('DELETE FROM paylocity_token WHERE connection_id IN %s', (tuple(self.ids),))

    # === CLIENT === #
    def _get_hosts(self):
        self.ensure_one()
        stored = self.sudo()
        return ENVIRONMENTS[self.environment].with_overrides(
            **{host: stored[field_name] for host, field_name in HOST_FIELDS.items()})

    def _get_client(self, **options):
        """A ``PaylocityClient`` for this connection; ``options`` go to its constructor (timeout, retry...)."""
        self.ensure_one()
        stored = self.sudo()
        options.setdefault('timeout', float(stored.request_timeout or 30))
        options.setdefault('rate_windows', DbRateWindows(self.env.cr.dbname))  # one pace for every worker
        return PaylocityClient(
            self.paylocity_company_code,
            self._get_hosts(),
            weblink=self._get_credentials(WEBLINK),
            nextgen=self._get_credentials(NEXTGEN),
            public_key=stored.public_key or None,
            encrypt_writes=stored.encrypt_writes,
            token_store=DbTokenStore(self.env.registry, self.id),
            **options,
        )

    # === TEST CONNECTION === #
    def action_test_connection(self):
        """Get a token and make one harmless call with each configured pair; say exactly what is wrong."""
        self.ensure_one()
        self.check_access('write')
        try:
            credentials = {family: self._get_credentials(family) for family in FAMILY_LABELS}
        except errors.ConfigurationError as exc:
            raise UserError(self.env._("The stored secrets cannot be read: %(reason)s", reason=str(exc))) from None
        if not any(credentials.values()):
            raise UserError(self.env._("Enter a WebLink or a NextGen client ID and secret first."))
        timeout = float(self.sudo().request_timeout or 30)
        try:
            # One quick retry at most: an administrator is waiting for the answer.
            client = self._get_client(retry=RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=1.0,
                                                        max_total=2 * timeout + 5))
        except errors.ConfigurationError as exc:
            raise UserError(str(exc)) from None
        results = []
        try:
            for family, label in FAMILY_LABELS.items():
                if not credentials[family]:
                    continue
                check = client.check_weblink if family == WEBLINK else client.check_nextgen
                try:
                    check()
                except errors.PaylocityError as exc:
                    results.append((label, False, self._describe_failure(exc)))
                else:
                    results.append((label, True, self.env._("connected to company %(company)s.",
                                                            company=self.paylocity_company_code)))
        finally:
            close = getattr(client, 'close', None)
            if close:
                close()
        return self._record_test_results(results)

    def _describe_failure(self, exc):
        """What went wrong, by error class, followed by the core's own explanation."""
        _ = self.env._
        if isinstance(exc, errors.AuthenticationError):
            if exc.reason == errors.TOKEN_REFUSED:
                head = _("Wrong environment: Paylocity issued a token but refused it for this API; the "
                         "credentials belong to the other environment (test vs production) or were revoked.")
            else:
                head = _("Bad credentials: Paylocity refused this client ID and secret.")
        elif isinstance(exc, errors.PermissionDenied):
            head = _("No permission: the credentials are valid but not allowed to read company %(company)s.",
                     company=self.paylocity_company_code)
        elif isinstance(exc, errors.NotFound):
            head = _("Not found: Paylocity does not know company %(company)s here (check the company ID "
                     "and the environment).", company=self.paylocity_company_code)
        elif isinstance(exc, errors.TransportError):
            if exc.reason == errors.TIMEOUT:
                head = _("Timeout: Paylocity did not answer in time.")
            else:
                head = _("Host unreachable: no connection could be made to Paylocity.")
        elif isinstance(exc, errors.RateLimited):
            head = _("Rate limited: Paylocity asks to slow down; try again in a minute.")
        elif isinstance(exc, errors.ServerError):
            head = _("Paylocity server error: try again later.")
        elif isinstance(exc, errors.ConfigurationError):
            head = _("Configuration problem:")
        else:
            head = _("Unexpected answer from Paylocity:")
        return '%s %s' % (head, str(exc))

    def _record_test_results(self, results):
        failures = [r for r in results if not r[1]]
        state = 'ok' if not failures else ('failed' if len(failures) == len(results) else 'partial')
        lines = ['%s: %s' % (label, text) for label, _ok, text in results]
        self.sudo().write({
            'last_test_date': fields.Datetime.now(),
            'last_test_state': state,
            'last_test_message': '\n'.join(lines),
        })
        body = Markup('<p>%s</p><ul>%s</ul>') % (
            self.env._("Connection test: %(result)s", result=dict(self._fields['last_test_state'].selection)[state]),
            Markup('').join(Markup('<li>%s</li>') % line for line in lines))
        self.message_post(body=body)
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {
                'title': self.env._("Paylocity connection test"),
                'message': '\n'.join(lines),
                'type': {'ok': 'success', 'partial': 'warning', 'failed': 'danger'}[state],
                'sticky': state != 'ok',
                'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'},
            },
        }

    # === WEBHOOK CREDENTIALS === #
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

    # === ACTIONS === #
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
