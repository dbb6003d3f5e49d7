# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from unittest.mock import patch

import requests

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import _super_send
from odoo.tools import mute_logger

from .common import PaylocityCase, closed_port_url

TRANSPORT_LOGGER = 'odoo.addons.paylocity_connector.paylocity.transport'  # warns on each retry
from ..paylocity.hosts import sandbox_hosts
from ..sandbox import SandboxServer


@tagged('post_install', '-at_install')
class TestConnectionCheck(PaylocityCase):
    """"Test connection" against the real sandbox: success, and each failure named for what it is."""

    def run_check(self, connection=None):
        connection = (connection or self.connection).with_user(self.admin_user)
        action = connection.action_test_connection()
        return action['params'], connection.sudo()

    def enter_secrets_again(self):
        creds = self.sandbox.credentials('C1001')
        self.connection._set_secret('weblink', creds.weblink_client_secret)
        self.connection._set_secret('nextgen', creds.nextgen_client_secret)

    def messages_of(self, connection):
        return connection.message_ids.mapped('body')

    def test_success_both_pairs(self):
        params, connection = self.run_check()
        self.assertEqual(connection.last_test_state, 'ok')
        self.assertEqual(params['type'], 'success')
        self.assertIn('WebLink: connected to company C1001', connection.last_test_message)
        self.assertIn('NextGen: connected to company C1001', connection.last_test_message)
        self.assertTrue(connection.last_test_date)
        self.assertIn('Connection test', self.messages_of(connection)[0])
        # one token per pair, then one harmless call per pair
        self.assertEqual(self.sandbox.count(path='/IdentityServer/connect/token'), 1)
        self.assertEqual(self.sandbox.count(path='/public/security/v1/token'), 1)
        self.assertEqual(self.sandbox.count(status=200, path='/api/v2/companies/C1001/employees'), 1)

    def test_tokens_are_cached_between_checks(self):
        self.run_check()
        self.run_check()
        # the second check reused both cached tokens (a new client, the same database cache)
        self.assertEqual(self.sandbox.count(path='/IdentityServer/connect/token'), 1)
        self.assertEqual(self.sandbox.count(path='/public/security/v1/token'), 1)
        self.assertEqual(self.sandbox.count(status=200, path='/api/v2/companies/C1001/employees'), 2)

    def test_only_one_pair_configured(self):
        self.connection._set_credentials('weblink', False, False)
        params, connection = self.run_check()
        self.assertEqual(connection.last_test_state, 'ok')
        self.assertNotIn('WebLink', connection.last_test_message)
        self.assertIn('NextGen: connected', connection.last_test_message)

    def test_bad_credentials(self):
        creds = self.sandbox.credentials('C1001')
        self.connection._set_credentials('weblink', creds.weblink_client_id, 'not-the-secret')
        self.connection._set_credentials('nextgen', 'unknown-client', creds.nextgen_client_secret)
        params, connection = self.run_check()
        self.assertEqual(connection.last_test_state, 'failed')
        self.assertEqual(params['type'], 'danger')
        self.assertIn('WebLink: Bad credentials', connection.last_test_message)
        self.assertIn('NextGen: Bad credentials', connection.last_test_message)
        self.assertNotIn('not-the-secret', connection.last_test_message)

    def test_one_pair_fails_the_other_works(self):
        creds = self.sandbox.credentials('C1001')
        self.connection._set_credentials('nextgen', creds.nextgen_client_id, 'wrong')
        params, connection = self.run_check()
        self.assertEqual(connection.last_test_state, 'partial')
        self.assertEqual(params['type'], 'warning')
        self.assertIn('WebLink: connected', connection.last_test_message)
        self.assertIn('NextGen: Bad credentials', connection.last_test_message)

    def test_wrong_environment(self):
        # Tokens from one Paylocity environment are refused by the other: here the token endpoints are another
        # Paylocity-compatible server (same company and credentials) than the API hosts.
        other = SandboxServer(seed=1, employees=2, companies=('C1001',)).start()
        self.addCleanup(other.stop)
        other_hosts = sandbox_hosts(other.base_url)
        self.connection.write({'weblink_token_url': other_hosts.weblink_token,
                               'nextgen_token_url': other_hosts.nextgen_token})
        self.enter_secrets_again()   # a new host of a pair drops that pair's secret
        params, connection = self.run_check()
        self.assertEqual(connection.last_test_state, 'failed')
        self.assertIn('WebLink: Wrong environment', connection.last_test_message)
        self.assertIn('NextGen: Wrong environment', connection.last_test_message)
        self.assertGreaterEqual(self.sandbox.count(status=401), 2)

    def test_no_permission_for_company(self):
        # Valid C1001 credentials used for company C2002, which they are not allowed to read.
        self.connection.write({'paylocity_company_code': 'C2002'})
        params, connection = self.run_check()
        self.assertEqual(connection.last_test_state, 'failed')
        self.assertIn('WebLink: No permission', connection.last_test_message)
        self.assertIn('NextGen: No permission', connection.last_test_message)
        self.assertIn('C2002', connection.last_test_message)

    @mute_logger(TRANSPORT_LOGGER)
    def test_host_unreachable(self):
        hosts = sandbox_hosts(closed_port_url())
        self.connection.write({
            'weblink_base_url': hosts.weblink_base, 'weblink_token_url': hosts.weblink_token,
            'nextgen_base_url': hosts.nextgen_base, 'nextgen_token_url': hosts.nextgen_token,
        })
        self.enter_secrets_again()
        params, connection = self.run_check()
        self.assertEqual(connection.last_test_state, 'failed')
        self.assertIn('WebLink: Host unreachable', connection.last_test_message)
        self.assertIn('NextGen: Host unreachable', connection.last_test_message)

    @mute_logger(TRANSPORT_LOGGER)
    def test_timeout(self):
        self.connection.write({'request_timeout': 1})
        # every WebLink API call is held longer than the timeout (enough faults for the retry too)
        self.sandbox.inject('timeout', count=10, path='/api/v2/', delay=3)
        self.addCleanup(self.sandbox.clear_faults)
        # Odoo's test harness raises every requests timeout below 10 s to 10 s; use the plain send here.
        with patch.object(requests.Session, 'send', _super_send):
            params, connection = self.run_check()
        self.assertIn('WebLink: Timeout', connection.last_test_message)
        self.assertIn('NextGen: connected', connection.last_test_message)
        self.assertEqual(connection.last_test_state, 'partial')

    def test_failure_is_posted_in_chatter(self):
        self.connection.write({'paylocity_company_code': 'C2002'})
        self.run_check()
        body = self.messages_of(self.connection.sudo())[0]
        self.assertIn('Failed', body)
        self.assertIn('No permission', body)

    def test_needs_credentials(self):
        self.connection._set_credentials('weblink', False, False)
        self.connection._set_credentials('nextgen', False, False)
        with self.assertRaises(UserError):
            self.run_check()
        self.assertEqual(len(self.sandbox.calls), 0)

    def test_paylocity_user_cannot_test(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.user).action_test_connection()
        self.assertEqual(len(self.sandbox.calls), 0)
