# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A connection's hosts receive its client secrets: only system administrators change them, only Paylocity's own
hosts are accepted unless the server's configuration allows others, a new host of a pair drops that pair's secret
and tokens, and the client refuses to send credentials elsewhere whatever the row says. A capture server on
127.0.0.1 (started here, recording the raw bytes of every request) stands for an attacker's host."""
import base64
import socket
import threading
from unittest.mock import patch
from urllib.parse import unquote_plus

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged

from .common import PaylocityCase
from ..const import ADMIN_GROUP
from ..models import server_options
from ..paylocity.hosts import ENVIRONMENTS, sandbox_hosts

OVERRIDES_OFF = patch.object(server_options, 'host_overrides_allowed', return_value=False)


class CaptureServer:
    """A TCP server on 127.0.0.1 that keeps the raw bytes of every request it is sent and answers each with a
    token, as a host an attacker controls would."""

    ANSWER = (b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 48'
              b'\r\n\r\n{"access_token": "captured", "expires_in": 3600}')

    def __init__(self):
        self.requests = []
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.url = 'http://127.0.0.1:%d' % self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return   # closed by stop()
            with conn:
                conn.settimeout(5)
                data = b''
                try:
                    while b'\r\n\r\n' not in data or len(data) < self._expected_length(data):
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(self.ANSWER)
                except OSError:
                    pass
                self.requests.append(data.decode('latin-1'))

    @staticmethod
    def _expected_length(data):
        head, _sep, _body = data.partition(b'\r\n\r\n')
        for line in head.split(b'\r\n'):
            if line.lower().startswith(b'content-length:'):
                return len(head) + 4 + int(line.split(b':')[1])
        return len(head) + 4

    def stop(self):
        self.listener.close()

    def saw_any(self, secrets):
        """Whether any recorded request carried one of ``secrets`` (plain, form-encoded or in Basic auth)."""
        seen = []
        for raw in self.requests:
            seen += [raw, unquote_plus(raw)]
            for line in raw.splitlines():
                if line.lower().startswith('authorization: basic '):
                    seen.append(unquote_plus(base64.b64decode(line.split()[-1]).decode('utf-8', 'replace')))
        return any(secret in text for secret in secrets for text in seen)


@tagged('post_install', '-at_install')
class TestConnectionHosts(PaylocityCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.capture = CaptureServer()
        cls.addClassCleanup(cls.capture.stop)
        cls.system_user = new_test_user(
            cls.env, login='pl_system', groups='base.group_user,base.group_system,%s' % ADMIN_GROUP,
            company_id=cls.company.id, company_ids=[(6, 0, [cls.company.id])])
        cls.creds = cls.sandbox.credentials('C1001')
        cls.secrets = (cls.creds.weblink_client_secret, cls.creds.nextgen_client_secret)

    def setUp(self):
        super().setUp()
        self.capture.requests.clear()

    def test_admin_without_system_rights_cannot_point_a_token_url_at_a_capture_server(self):
        connection = self.connection.with_user(self.admin_user)
        for field_name, path in (('weblink_token_url', '/IdentityServer/connect/token'),
                                 ('nextgen_token_url', '/public/security/v1/token'),
                                 ('weblink_base_url', '/api'), ('nextgen_base_url', '')):
            with self.assertRaisesRegex(AccessError, "Only administrators of this Odoo server"):
                connection.write({field_name: self.capture.url + path})
        with self.assertRaisesRegex(AccessError, "Only administrators of this Odoo server"):
            self.env['paylocity.connection'].with_user(self.admin_user).create({
                'name': 'Elsewhere', 'paylocity_company_code': 'C9009', 'company_id': self.company.id,
                'weblink_token_url': self.capture.url + '/token'})
        connection.action_test_connection()
        self.assertEqual(connection.sudo().last_test_state, 'ok', connection.sudo().last_test_message)
        self.assertEqual(self.capture.requests, [])
        self.assertFalse(self.capture.saw_any(self.secrets))
        # without overrides, a Paylocity host is just as refused to them: hosts are the server administrator's
        with OVERRIDES_OFF, self.assertRaises(AccessError):
            connection.write({'weblink_token_url': ENVIRONMENTS['test'].weblink_token})
        # the form shows them the hosts, read-only
        self.assertFalse(connection.can_edit_hosts)
        self.assertTrue(self.connection.with_user(self.system_user).can_edit_hosts)

    def test_a_host_written_behind_the_orm_gets_no_secret_where_overrides_are_off(self):
        # A row changed by SQL (or restored from elsewhere) keeps its secret; the client still refuses.
        self.env.flush_all()
        # WebLink: Paylocity's API host but the capture server as token endpoint; NextGen: the other way round.
        self.env.cr.execute("UPDATE paylocity_connection SET weblink_base_url = %s, weblink_token_url = %s, "
                            "nextgen_base_url = %s WHERE id = %s",
                            (ENVIRONMENTS['test'].weblink_base, self.capture.url + '/token', self.capture.url,
                             self.connection.id))
        self.connection.invalidate_recordset()
        with OVERRIDES_OFF:
            self.connection.with_user(self.admin_user).action_test_connection()
        connection = self.connection.sudo()
        self.assertEqual(connection.last_test_state, 'failed')
        self.assertIn("WebLink: Configuration problem: The WebLink token URL must be one of Paylocity's own hosts "
                      "over https", connection.last_test_message)
        self.assertIn("NextGen: Configuration problem: The NextGen API URL must be one of Paylocity's own hosts",
                      connection.last_test_message)
        self.assertEqual(self.capture.requests, [])
        self.assertEqual(self.sandbox.count(path='/public/security/v1/token'), 0,
                         "no NextGen token is asked for an API host that may not have it")

    def test_system_user_without_overrides_is_refused_other_hosts_than_paylocity(self):
        with OVERRIDES_OFF:
            connection = self.env['paylocity.connection'].with_user(self.system_user).create({
                'name': 'Paylocity hosts', 'paylocity_company_code': 'C9009', 'company_id': self.company.id})
            for url in (self.capture.url + '/token', 'https://proxy.example.com/token',
                        'https://api.paylocity.com.evil.example/token', 'http://api.paylocity.com/token'):
                with self.assertRaisesRegex(ValidationError, "WebLink token URL must be one of Paylocity's own "
                                                             "hosts over https"):
                    connection.write({'weblink_token_url': url})
            self.assertFalse(connection.host_overrides_allowed)
            connection.write({'weblink_token_url': ENVIRONMENTS['test'].weblink_token,
                              'weblink_base_url': ENVIRONMENTS['test'].weblink_base})
        self.assertEqual(connection.sudo().weblink_token_url, ENVIRONMENTS['test'].weblink_token)
        connection.invalidate_recordset(['host_overrides_allowed'])
        self.assertTrue(connection.host_overrides_allowed, "the test server's configuration allows overrides")

    def test_a_new_host_drops_that_pairs_secret_and_tokens_only(self):
        self.connection.with_user(self.admin_user).action_test_connection()
        self.assertEqual(self.cached_token_urls(), {'weblink', 'nextgen'})
        connection = self.connection.with_user(self.system_user)
        connection.sudo().write({'weblink_secret_expiry': '2030-01-01'})
        connection.write({'weblink_token_url': self.capture.url + '/IdentityServer/connect/token'})
        stored = connection.sudo()
        self.assertFalse(stored.weblink_secret_set)
        self.assertFalse(stored.weblink_secret_expiry)
        self.assertEqual(stored.weblink_client_identifier, self.creds.weblink_client_id, "the client ID stays")
        self.assertTrue(stored.nextgen_secret_set, "the other pair keeps its secret")
        self.assertEqual(self.cached_token_urls(), {'nextgen'}, "and its tokens")
        self.assertIn('The WebLink host changed: the client secret was removed', stored.message_ids[0].body)

        # Test connection now: the WebLink pair has no secret to send, the capture server sees nothing.
        self.connection.with_user(self.admin_user).action_test_connection()
        self.assertEqual(self.capture.requests, [])
        self.assertFalse(self.capture.saw_any(self.secrets))
        self.assertIn('NextGen: connected', stored.last_test_message)

        # the same value again changes nothing; a new API URL of NextGen drops NextGen's secret
        connection.write({'weblink_token_url': self.capture.url + '/IdentityServer/connect/token',
                          'nextgen_token_url': stored.nextgen_token_url})
        self.assertTrue(stored.nextgen_secret_set)
        connection.write({'nextgen_base_url': self.capture.url})
        self.assertFalse(stored.nextgen_secret_set)
        self.assertEqual(self.cached_token_urls(), set())

    def test_a_secret_typed_with_the_new_host_is_kept(self):
        other = sandbox_hosts(self.capture.url)
        connection = self.connection.with_user(self.system_user)
        connection.write({'weblink_token_url': other.weblink_token, 'weblink_client_secret': 'typed-for-the-new-host'})
        self.assertEqual(connection.sudo()._get_secret('weblink'), 'typed-for-the-new-host')
        # What the server's operator allowed and a system administrator typed for that host is sent there: the
        # capture server does see what reaches it (so its silence in the other tests means something).
        self.connection.with_user(self.admin_user).action_test_connection()
        self.assertTrue(self.capture.saw_any(['typed-for-the-new-host']))
        self.assertFalse(self.capture.saw_any(self.secrets))

    def cached_token_urls(self):
        """Which of the sandbox's pairs have a cached token (a key starts with the token URL that issued it)."""
        self.env.flush_all()
        self.env.cr.execute('SELECT key FROM paylocity_token WHERE connection_id = %s', (self.connection.id,))
        hosts = sandbox_hosts(self.sandbox.base_url)
        urls = {'weblink': hosts.weblink_token, 'nextgen': hosts.nextgen_token}
        return {next((family for family, url in urls.items() if key.startswith(url + '|')), key)
                for (key,) in self.env.cr.fetchall()}


@tagged('post_install', '-at_install')
class TestWebhookUrlHttps(PaylocityCase):
    """Deliveries carry the webhook password and personal data: Paylocity is only offered an https URL."""

    def webhook_url_with_base(self, base_url):
        self.env['ir.config_parameter'].sudo().set_param('web.base.url', base_url)
        connection = self.connection.with_user(self.admin_user)
        connection.invalidate_recordset(['webhook_url', 'webhook_url_warning'])
        return connection.webhook_url, connection.webhook_url_warning

    def test_no_webhook_url_is_offered_on_plain_http(self):
        token = self.connection.sudo().webhook_token
        with OVERRIDES_OFF:
            url, warning = self.webhook_url_with_base('http://erp.example.com')
            self.assertFalse(url)
            self.assertIn("No webhook URL: this server's address (web.base.url: http://erp.example.com) is not "
                          "https", warning)
            action = self.connection.with_user(self.admin_user).action_new_webhook_credentials()
            wizard = self.env[action['res_model']].with_user(self.admin_user).browse(action['res_id'])
            self.assertFalse(wizard.webhook_url)
            self.assertIn('is not https', wizard.webhook_url_warning)

            url, warning = self.webhook_url_with_base('https://erp.example.com/')
            self.assertEqual(url, 'https://erp.example.com/paylocity/webhook/%s' % token)
            self.assertFalse(warning)

    def test_plain_http_only_where_the_server_allows_overrides(self):
        url, warning = self.webhook_url_with_base('http://127.0.0.1:8069')
        self.assertEqual(url, 'http://127.0.0.1:8069/paylocity/webhook/%s' % self.connection.sudo().webhook_token)
        self.assertFalse(warning)


@tagged('post_install', '-at_install')
class TestConnectionHostsOverRpc(HttpCase, PaylocityCase):
    """The same refusals through the web client's RPC, as a logged-in Paylocity administrator."""
    registry_test_mode = False   # PaylocityCase puts the registry in test mode itself

    def call(self, model, method, *args):
        return self.make_jsonrpc_request('/web/dataset/call_kw', {
            'model': model, 'method': method, 'args': list(args), 'kwargs': {}})

    def test_rpc_write_and_create_of_a_host_are_refused(self):
        self.authenticate('pl_admin', 'pl_admin')
        capture = 'http://127.0.0.1:9/IdentityServer/connect/token'
        with self.assertRaisesRegex(JsonRpcException, 'odoo.exceptions.AccessError'):
            self.call('paylocity.connection', 'write', [self.connection.id], {'weblink_token_url': capture})
        with self.assertRaisesRegex(JsonRpcException, 'odoo.exceptions.AccessError'):
            self.call('paylocity.connection', 'create', [{'name': 'Elsewhere', 'paylocity_company_code': 'C9009',
                                                         'company_id': self.company.id,
                                                         'nextgen_token_url': capture}])
        self.assertEqual(self.connection.sudo().weblink_token_url, sandbox_hosts(self.sandbox.base_url).weblink_token)
        self.assertTrue(self.connection.sudo().weblink_secret_set)
        self.assertFalse(self.env['paylocity.connection'].search([('paylocity_company_code', '=', 'C9009')]))
        # what they may change still saves
        self.call('paylocity.connection', 'write', [self.connection.id], {'name': 'Renamed over RPC'})
        self.assertEqual(self.connection.name, 'Renamed over RPC')
