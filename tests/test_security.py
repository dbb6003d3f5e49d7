# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import PaylocityCase

CREDENTIAL_FIELDS = (
    'weblink_client_identifier', 'weblink_client_secret', 'weblink_secret_set', 'weblink_secret_expiry',
    'nextgen_client_identifier', 'nextgen_client_secret', 'nextgen_secret_set', 'nextgen_secret_expiry',
    'public_key', 'encrypt_writes', 'webhook_token', 'webhook_url', 'webhook_username', 'webhook_password_set',
    'webhook_allowed_networks', 'weblink_base_url', 'weblink_token_url', 'nextgen_base_url', 'nextgen_token_url',
)
CIPHERTEXT_FIELDS = ('weblink_secret_encrypted', 'nextgen_secret_encrypted', 'webhook_password_hash')


@tagged('post_install', '-at_install')
class TestAccessRights(PaylocityCase):

    def test_user_reads_own_company_connection_without_credentials(self):
        connection = self.connection.with_user(self.user)
        values = connection.read(['name', 'paylocity_company_code', 'environment', 'journal_id', 'last_test_state'])[0]
        self.assertEqual(values['paylocity_company_code'], 'C1001')
        for field_name in CREDENTIAL_FIELDS + CIPHERTEXT_FIELDS:
            with self.assertRaises(AccessError, msg=field_name):
                connection.read([field_name])
        # the form the web client gets for this user has no credential field at all
        fields = connection.get_views([(False, 'form')])['models']['paylocity.connection']['fields']
        self.assertIn('paylocity_company_code', fields)
        self.assertFalse(set(fields) & set(CREDENTIAL_FIELDS + CIPHERTEXT_FIELDS))

    def test_user_cannot_write(self):
        connection = self.connection.with_user(self.user)
        with self.assertRaises(AccessError):
            connection.write({'name': 'renamed'})
        with self.assertRaises(AccessError):
            connection.write({'weblink_client_secret': 'attempt'})
        with self.assertRaises(AccessError):
            connection.write({'weblink_client_identifier': 'attempt'})
        with self.assertRaises(AccessError):
            self.env['paylocity.connection'].with_user(self.user).create({
                'name': 'x', 'paylocity_company_code': 'C9', 'company_id': self.company.id})

    def test_user_cannot_see_other_company_connection(self):
        other = self.make_connection('C2002', company_id=self.other_company.id)
        Connection = self.env['paylocity.connection'].with_user(self.user)
        self.assertEqual(Connection.search([]), self.connection.with_user(self.user))
        with self.assertRaises(AccessError):
            other.with_user(self.user).read(['name'])
        # the administrator of the first company does not see it either
        with self.assertRaises(AccessError):
            other.with_user(self.admin_user).read(['name'])
        # once allowed in that company, the user sees it
        self.user.company_ids = [(4, self.other_company.id)]
        visible = Connection.with_context(allowed_company_ids=[self.company.id, self.other_company.id]).search([])
        self.assertEqual(set(visible.ids), {self.connection.id, other.id})

    def test_admin_configures_but_never_reads_ciphertext(self):
        connection = self.connection.with_user(self.admin_user)
        # as the form's Save does: write, then read back what the form shows
        values = connection.web_save(
            {'weblink_client_identifier': 'wl-new', 'weblink_client_secret': 'wl-secret-new',
             'webhook_allowed_networks': '10.0.0.0/8'},
            {'weblink_client_identifier': {}, 'weblink_client_secret': {}, 'weblink_secret_set': {}})[0]
        self.assertEqual(connection._get_secret('weblink'), 'wl-secret-new')
        self.assertEqual(values['weblink_client_identifier'], 'wl-new')
        self.assertFalse(values['weblink_client_secret'])
        self.assertTrue(values['weblink_secret_set'])
        self.assertFalse(connection.read(['weblink_client_secret'])[0]['weblink_client_secret'])
        for field_name in CIPHERTEXT_FIELDS:
            with self.assertRaises(AccessError, msg=field_name):
                connection.read([field_name])
        fields = connection.get_views([(False, 'form')])['models']['paylocity.connection']['fields']
        self.assertIn('weblink_client_secret', fields)
        self.assertFalse(set(fields) & set(CIPHERTEXT_FIELDS))

    def test_admin_creates_connection(self):
        connection = self.env['paylocity.connection'].with_user(self.admin_user).create({
            'name': 'Other sandbox company', 'paylocity_company_code': ' C2002 ', 'company_id': self.company.id,
            'active': False, 'nextgen_client_identifier': 'ng', 'nextgen_client_secret': 'ng-secret'})
        self.assertEqual(connection.paylocity_company_code, 'C2002')
        self.assertEqual(connection._get_secret('nextgen'), 'ng-secret')

    def test_token_cache_has_no_orm_access(self):
        for user in (self.user, self.admin_user):
            with self.assertRaises(AccessError):
                self.env['paylocity.token'].with_user(user).search([])
