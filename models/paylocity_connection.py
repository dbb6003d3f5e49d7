# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The Paylocity connection: one Paylocity company <-> one Odoo company. This file holds what the connection is
(identity, environment and hosts, journal, general options), the one client it gives every job, "Test
connection", and the one ``create``/``write``. Credentials and secrets, webhooks, employee sync and payroll each
have their own file (``paylocity_connection_*.py``)."""
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from . import server_options
from .access import check_caller
from ..const import ADMIN_GROUP, FAMILY_LABELS, NEXTGEN, SYSTEM_GROUP, WEBLINK
from ..paylocity import errors
from ..paylocity.client import PaylocityClient, RetryPolicy
from ..paylocity.hosts import ENVIRONMENTS, url_problem
from .paylocity_rate_window import DbRateWindows
from .paylocity_token import DbTokenStore

HOST_FIELDS = {
    'weblink_base': 'weblink_base_url',
    'weblink_token': 'weblink_token_url',
    'nextgen_base': 'nextgen_base_url',
    'nextgen_token': 'nextgen_token_url',
}
# The pair (WebLink or NextGen) whose secret and tokens each host field receives.
HOST_FAMILIES = {field_name: host.split('_')[0] for host, field_name in HOST_FIELDS.items()}
# Fields that decide which tokens are valid (secrets clear the cache when they are set; hosts, their pair's).
TOKEN_SCOPE_FIELDS = frozenset({'environment', 'weblink_client_identifier', 'nextgen_client_identifier'})
# Settings that change how pay runs are built: runs waiting for a mapping or review look again.
PAYROLL_BUILD_FIELDS = frozenset({'payroll_net_pay_account_id', 'journal_id', 'payroll_detail_level',
                                  'analytic_level', 'payroll_enabled', 'payroll_posting'})


class PaylocityConnection(models.Model):
    _name = 'paylocity.connection'
    _description = 'Paylocity connection'
    _inherit = ['mail.thread', 'mail.activity.mixin', 'paylocity.cron.mixin']
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

    # Host overrides: only for a Paylocity-compatible local sandbox or a proxy. A host receives its pair's client
    # secret, so only system administrators may change one (``_check_host_rights``), other hosts than
    # Paylocity's only where the server's configuration allows them (``server_options``), and a new host of a
    # pair drops that pair's secret and tokens (``_forget_moved_pairs``).
    weblink_base_url = fields.Char('WebLink API URL', groups=ADMIN_GROUP, tracking=True)
    weblink_token_url = fields.Char('WebLink token URL', groups=ADMIN_GROUP, tracking=True)
    nextgen_base_url = fields.Char('NextGen API URL', groups=ADMIN_GROUP, tracking=True)
    nextgen_token_url = fields.Char('NextGen token URL', groups=ADMIN_GROUP, tracking=True)
    can_edit_hosts = fields.Boolean(compute='_compute_can_edit_hosts')
    host_overrides_allowed = fields.Boolean(
        compute='_compute_can_edit_hosts',
        help="Whether this server's configuration allows hosts other than Paylocity's (README: Configuration).")

    # === ACCOUNTING === #
    journal_id = fields.Many2one(
        'account.journal', string='Journal', check_company=True, tracking=True,
        compute='_compute_journal_id', store=True, readonly=False,
        domain=[('type', '=', 'general')],
        help="Journal of the payroll entries; the company's Miscellaneous Operations journal by default.")

    # === OPTIONS === #
    request_timeout = fields.Integer(
        'Request timeout (s)', default=30, groups=ADMIN_GROUP,
        help="How long to wait for one Paylocity answer before giving up on that attempt.")

    # === LAST TEST === #
    last_test_date = fields.Datetime('Last tested on', readonly=True, copy=False)
    last_test_state = fields.Selection(
        [('ok', 'Succeeded'), ('partial', 'Partly failed'), ('failed', 'Failed')],
        string='Last test', readonly=True, copy=False)
    last_test_message = fields.Text('Last test result', readonly=True, copy=False)

    _paylocity_company_uniq = models.Constraint(
        'UNIQUE (paylocity_company_code, environment)',
        "This Paylocity company is already connected in this environment (perhaps by an archived connection).")
    _request_timeout_positive = models.Constraint(
        'CHECK (request_timeout > 0)', "The request timeout must be at least one second.")

    # === COMPUTES AND CONSTRAINTS === #
    @api.depends('company_id')
    def _compute_journal_id(self):
        for connection in self:
            if connection.company_id and connection.journal_id.company_id != connection.company_id:
                connection.journal_id = self.env['account.journal'].search([
                    *self.env['account.journal']._check_company_domain(connection.company_id),
                    ('type', '=', 'general'),
                ], limit=1)

    @api.depends_context('uid')
    def _compute_can_edit_hosts(self):
        editable = self.env.user.has_group(SYSTEM_GROUP)
        allowed = server_options.host_overrides_allowed()
        for connection in self:
            connection.can_edit_hosts = editable
            connection.host_overrides_allowed = allowed

    @api.constrains('paylocity_company_code')
    def _check_paylocity_company_code(self):
        for connection in self:
            value = connection.paylocity_company_code or ''
            if not value.strip() or any(char.isspace() for char in value.strip()) or '/' in value:
                raise ValidationError(self.env._("The Paylocity company ID must be a single word, like C1001."))

    @api.constrains('weblink_base_url', 'weblink_token_url', 'nextgen_base_url', 'nextgen_token_url')
    def _check_host_urls(self):
        # Module data (the demo's sandbox connection) loads on any server: the client still refuses to send
        # credentials to its hosts where overrides are not allowed.
        allowed = server_options.host_overrides_allowed() or bool(self.env.context.get('install_mode'))
        for connection in self.sudo():
            for field_name in HOST_FIELDS.values():
                url = connection[field_name]
                problem = url and url_problem(url, allowed)
                if problem:
                    raise ValidationError(self.env._("%(field)s %(problem)s.",
                                                     field=self._fields[field_name].string, problem=problem))

    # === CRUD === #
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get('paylocity_company_code'):
                vals['paylocity_company_code'] = vals['paylocity_company_code'].strip()
            if any(vals.get(name) for name in HOST_FIELDS.values()):
                self._check_host_rights()
        connections = super().create(vals_list)
        connections._init_webhook_credentials()
        connections._forget_intake_values()
        return connections

    def write(self, vals):
        if vals.get('paylocity_company_code'):
            vals['paylocity_company_code'] = vals['paylocity_company_code'].strip()
        moved = self._moved_pairs(vals)
        if moved:
            self._check_host_rights()
            old_token_urls = {connection: connection._token_urls() for connection in moved}
            self._forget_moved_pairs(moved)   # before the write: a secret typed in the same write is kept
        result = super().write(vals)
        for connection, families in moved.items():
            new_token_urls = connection._token_urls()
            connection._clear_token_cache({urls[family] for urls in (old_token_urls[connection], new_token_urls)
                                           for family in families})
        self._forget_intake_values(vals)
        if TOKEN_SCOPE_FIELDS.intersection(vals):
            self._clear_token_cache()   # tokens of the old hosts or client ids are of no further use
        if PAYROLL_BUILD_FIELDS.intersection(vals):
            self.env['paylocity.pay.run']._requeue_held(self)
        return result

    def unlink(self):
        self._forget_intake_values()
        return super().unlink()

    # === HOSTS === #
    def _check_host_rights(self):
        if not (self.env.su or self.env.user.has_group(SYSTEM_GROUP)):
            raise AccessError(self.env._(
                "Only administrators of this Odoo server (Settings) can set or change the Paylocity hosts of a "
                "connection: a host receives the client ID and secret. Leave the hosts empty to use Paylocity's."))

    def _moved_pairs(self, vals):
        """``{connection: {family, ...}}``: the pairs whose host ``vals`` changes on each connection."""
        names = [name for name in HOST_FIELDS.values() if name in vals]
        if not names:
            return {}
        moved = {}
        for connection in self.sudo():
            families = {HOST_FAMILIES[name] for name in names if (connection[name] or False) != (vals[name] or False)}
            if families:
                moved[connection.with_env(self.env)] = families
        return moved

    def _forget_moved_pairs(self, moved):
        """A pair's secret was given for its host: a new host gets it only when an administrator types it again."""
        for connection, families in moved.items():
            stored = connection.sudo()
            forgotten = [family for family in sorted(families) if stored._has_secret(family)]
            if not forgotten:
                continue
            values = {}
            for family in forgotten:
                values.update(stored._secret_clearing_values(family))
            stored.write(values)
            connection.message_post(body=self.env._(
                "The %(api)s host changed: the client secret was removed; enter it again for the new host.",
                api=' and '.join(FAMILY_LABELS[family] for family in forgotten)))

    def _token_urls(self):
        self.ensure_one()
        hosts = self._get_hosts()
        return {WEBLINK: hosts.weblink_token, NEXTGEN: hosts.nextgen_token}

    # === CLIENT === #
    def _get_hosts(self):
        self.ensure_one()
        stored = self.sudo()
        return ENVIRONMENTS[self.environment].with_overrides(
            **{host: stored[field_name] for host, field_name in HOST_FIELDS.items()})

    def _get_client(self, **options):
        """The ``PaylocityClient`` of this connection, for every job. ``paylocity_client_options`` in the
        context tunes it (tests, benchmarks); explicit ``options`` (timeout, retry...) take precedence."""
        self.ensure_one()
        stored = self.sudo()
        options = {**dict(self.env.context.get('paylocity_client_options') or {}), **options}
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
            allow_host_overrides=server_options.host_overrides_allowed(),
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
        """A headline for the kind of failure (decided by the core), followed by the core's own explanation."""
        _ = self.env._
        company = self.paylocity_company_code
        heads = {
            errors.WRONG_ENVIRONMENT: _("Wrong environment: Paylocity issued a token but refused it for this API; "
                                        "the credentials belong to the other environment (test vs production) or "
                                        "were revoked."),
            errors.BAD_CREDENTIALS: _("Bad credentials: Paylocity refused this client ID and secret."),
            errors.NO_PERMISSION: _("No permission: the credentials are valid but not allowed to read company "
                                    "%(company)s.", company=company),
            errors.NOT_FOUND: _("Not found: Paylocity does not know company %(company)s here (check the company ID "
                                "and the environment).", company=company),
            errors.TIMEOUT: _("Timeout: Paylocity did not answer in time."),
            errors.UNREACHABLE: _("Host unreachable: no connection could be made to Paylocity."),
            errors.RATE_LIMITED: _("Rate limited: Paylocity asks to slow down; try again in a minute."),
            errors.SERVER_ERROR: _("Paylocity server error: try again later."),
            errors.CONFIGURATION: _("Configuration problem:"),
            errors.UNEXPECTED: _("Unexpected answer from Paylocity:"),
        }
        return '%s %s' % (heads[errors.failure_kind(exc)], str(exc))

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

    # === COUNTS === #
    def _fill_counts(self, count_models):
        """Set each count field of ``count_models`` (field name -> model) to the number of this connection's
        records of that model, one grouped query per model."""
        for field_name, model_name in count_models.items():
            counts = dict(self.env[model_name]._read_group(
                [('connection_id', 'in', self.ids)], ['connection_id'], ['__count']))
            for connection in self:
                connection[field_name] = counts.get(connection, 0)

    # === SCREENS === #
    def _records_action(self, xmlid, domain=(), name=None, **context):
        """The window action ``xmlid`` on this connection's records (``domain`` narrows them, ``name`` titles the
        window after the connection), for a caller who may read the connection; what is created there is
        created for it."""
        self.ensure_one()
        check_caller(self)
        action = self.env['ir.actions.act_window']._for_xml_id(xmlid)
        action['domain'] = [('connection_id', '=', self.id), *domain]
        action['context'] = {'default_connection_id': self.id, **context}
        if name:
            action['name'] = '%s: %s' % (self.name, name)
        return action

    def _notify(self, message, kind):
        """A notification of ``kind`` (success, info, warning, danger) that reloads the form behind it."""
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {'message': message, 'type': kind, 'sticky': False,
                       'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'}},
        }
