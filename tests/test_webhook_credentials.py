# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import ADMIN_GROUP, PaylocityCase


def basic(username, password):
    return 'Basic ' + base64.b64encode(('%s:%s' % (username, password)).encode()).decode()


@tagged('post_install', '-at_install')
class TestWebhookCredentials(PaylocityCase):

    def new_credentials(self, user=None):
        action = self.connection.with_user(user or self.admin_user).action_new_webhook_credentials()
        return self.env[action['res_model']].with_user(user or self.admin_user).browse(action['res_id'])

    def test_generated_on_create_and_url(self):
        connection = self.connection.sudo()
        self.assertTrue(connection.webhook_username.startswith('paylocity-'))
        self.assertTrue(connection.webhook_password_set)
        self.assertTrue(connection._webhook_auth_required())
        base_url = self.env['ir.config_parameter'].get_param('web.base.url')
        self.assertEqual(connection.webhook_url, '%s/paylocity/webhook/%s' % (base_url, connection.webhook_token))
        self.assertGreaterEqual(len(connection.webhook_token), 32)
        other = self.make_connection('C2002', company_id=self.other_company.id).sudo()
        self.assertNotEqual(other.webhook_token, connection.webhook_token)
        self.assertNotEqual(other.webhook_username, connection.webhook_username)

    def test_new_password_shown_once_and_checked(self):
        wizard = self.new_credentials()
        password = wizard.password
        username = wizard.username
        self.assertGreaterEqual(len(password), 40)
        self.assertEqual(wizard.webhook_url, self.connection.sudo().webhook_url)
        self.assertTrue(self.connection._check_webhook_authorization(basic(username, password)))
        self.assertFalse(self.connection._check_webhook_authorization(basic(username, password + 'x')))
        self.assertFalse(self.connection._check_webhook_authorization(basic('someone', password)))
        self.assertFalse(self.connection._check_webhook_authorization('Bearer ' + password))
        self.assertFalse(self.connection._check_webhook_authorization('Basic !!notbase64'))
        self.assertFalse(self.connection._check_webhook_authorization(None))

        # stored only as a hash on the connection and encrypted in the wizard row
        row = self.raw_row(self.connection)
        self.assertNotIn(password, repr(row))
        self.env.cr.execute('SELECT * FROM paylocity_webhook_credentials WHERE id = %s', (wizard.id,))
        self.assertNotIn(password, repr(self.env.cr.fetchone()))

        # closing the dialog deletes it: the password cannot be shown again
        wizard.action_done()
        self.assertFalse(wizard.exists())

        # a newer password replaces it
        newer = self.new_credentials()
        self.assertFalse(self.connection._check_webhook_authorization(basic(username, password)))
        self.assertTrue(self.connection._check_webhook_authorization(basic(username, newer.password)))
        self.assertIn('new webhook password', self.connection.sudo().message_ids[0].body)

    def test_only_the_generating_admin_sees_it(self):
        wizard = self.new_credentials()
        other_admin = new_test_user(self.env, login='pl_admin2', groups='base.group_user,%s' % ADMIN_GROUP,
                                    company_id=self.company.id, company_ids=[(6, 0, [self.company.id])])
        with self.assertRaises(AccessError):
            wizard.with_user(other_admin).read(['password'])
        with self.assertRaises(AccessError):
            self.new_credentials(user=self.user)

    def test_sender_allow_list(self):
        connection = self.connection.sudo()
        self.assertEqual(connection.webhook_allowed_networks, '198.245.157.0/24, 192.40.49.0/24')
        self.assertTrue(connection._webhook_sender_allowed('198.245.157.20'))
        self.assertTrue(connection._webhook_sender_allowed('192.40.49.1'))
        self.assertFalse(connection._webhook_sender_allowed('127.0.0.1'))
        self.assertFalse(connection._webhook_sender_allowed('not an ip'))
        connection.write({'webhook_allowed_networks': '127.0.0.1, 10.0.0.0/8'})
        self.assertTrue(connection._webhook_sender_allowed('127.0.0.1'))
        self.assertTrue(connection._webhook_sender_allowed('10.1.2.3'))
        connection.write({'webhook_allowed_networks': ''})
        self.assertTrue(connection._webhook_sender_allowed('8.8.8.8'), "an empty list allows every sender")
        connection.write({'webhook_allowed_networks': False})   # what the form sends for a cleared field
        self.assertTrue(connection._webhook_sender_allowed('8.8.8.8'), "a cleared list allows every sender")
        with self.assertRaises(ValidationError):
            connection.write({'webhook_allowed_networks': '198.245.157.0/24, 300.1.1.1'})
