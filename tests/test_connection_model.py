# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import PaylocityCase
from ..paylocity.hosts import ENVIRONMENTS, sandbox_hosts
from ..sandbox import SandboxServer


@tagged('post_install', '-at_install')
class TestInstallation(PaylocityCase):

    def test_installed_pieces(self):
        module = self.env['ir.module.module'].search([('name', '=', 'paylocity_connector')])
        self.assertEqual(module.state, 'installed')
        self.assertTrue(module.application)
        root = self.env.ref('paylocity_connector.menu_paylocity_root')
        self.assertEqual(root.web_icon, 'paylocity_connector,static/description/icon.png')
        self.assertEqual(
            self.env.ref('paylocity_connector.menu_paylocity_connection').parent_id,
            self.env.ref('paylocity_connector.menu_paylocity_configuration'))
        self.assertTrue(self.env.ref('paylocity_connector.ir_cron_paylocity_secret_expiry').active)
        admin_group = self.env.ref('paylocity_connector.group_paylocity_admin')
        self.assertIn(self.env.ref('paylocity_connector.group_paylocity_user'), admin_group.implied_ids)
        self.assertEqual(admin_group.full_name, 'Paylocity / Administrator')
        self.assertIn(self.env.ref('base.user_admin'), admin_group.all_user_ids)

    def test_menus_per_group(self):
        root = self.env.ref('paylocity_connector.menu_paylocity_root')
        for user in (self.user, self.admin_user):
            visible = self.env['ir.ui.menu'].with_user(user)._visible_menu_ids()
            self.assertIn(root.id, visible)
            self.assertIn(self.env.ref('paylocity_connector.menu_paylocity_connection').id, visible)
        plain = self.env['res.users'].create({'name': 'No Paylocity', 'login': 'pl_none'})
        self.assertNotIn(root.id, self.env['ir.ui.menu'].with_user(plain)._visible_menu_ids())

    def test_default_journal_is_miscellaneous(self):
        journal = self.env['account.journal'].search([
            *self.env['account.journal']._check_company_domain(self.company), ('type', '=', 'general')], limit=1)
        self.assertEqual(self.connection.journal_id, journal)
        if journal:
            self.assertEqual(self.connection.journal_id.type, 'general')

    def test_hosts_from_environment_and_overrides(self):
        connection = self.env['paylocity.connection'].create({
            'name': 'Production', 'paylocity_company_code': 'P1', 'environment': 'production',
            'company_id': self.other_company.id})
        self.assertEqual(connection._get_hosts(), ENVIRONMENTS['production'])
        connection.write({'environment': 'test'})
        self.assertEqual(connection._get_hosts(), ENVIRONMENTS['test'])
        self.assertEqual(self.connection._get_hosts(), sandbox_hosts(self.sandbox.base_url))
        client = self.connection._get_client()
        self.assertEqual(client.company_id, 'C1001')
        self.assertEqual(client.hosts, sandbox_hosts(self.sandbox.base_url))
        client.close()

    def test_host_urls_validated(self):
        with self.assertRaises(ValidationError):
            self.connection.write({'weblink_base_url': 'http://paylocity.example.com/api'})
        with self.assertRaises(ValidationError):
            self.connection.write({'nextgen_token_url': 'ftp://127.0.0.1/token'})
        self.connection.write({'weblink_base_url': 'https://proxy.example.com/api'})

    def test_company_id_validated(self):
        with self.assertRaises(ValidationError):
            self.connection.write({'paylocity_company_code': 'C1 001'})

    def test_public_key_validated(self):
        with self.assertRaises(ValidationError):
            self.connection.write({'public_key': 'not a key'})
        with self.assertRaises(ValidationError):
            self.connection.write({'encrypt_writes': True})
        self.connection.write({'public_key': self.sandbox.public_key_xml, 'encrypt_writes': True})
        self.connection.write({'public_key': self.sandbox.public_key_pem})
        client = self.connection._get_client()
        self.assertTrue(client.encrypt_writes)
        client.close()

    @mute_logger('odoo.sql_db')
    def test_one_connection_per_paylocity_company(self):
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env['paylocity.connection'].create({
                'name': 'Twice', 'paylocity_company_code': 'C1001', 'environment': 'test',
                'company_id': self.other_company.id, 'active': False})
        # the same company ID in the other environment is another Paylocity company
        self.env['paylocity.connection'].create({
            'name': 'Production', 'paylocity_company_code': 'C1001', 'environment': 'production',
            'company_id': self.other_company.id})

    @mute_logger('odoo.sql_db')
    def test_several_paylocity_companies_in_one_odoo_company_but_each_connected_once(self):
        # Company Sets: a second Paylocity company may be connected, active, in the same Odoo company...
        second = self.env['paylocity.connection'].create({
            'name': 'Second', 'paylocity_company_code': 'C2002', 'company_id': self.company.id})
        self.assertTrue(second.active)
        self.assertEqual(second.company_id, self.connection.company_id)
        # ... but one Paylocity company is connected once per environment, archived or not.
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env['paylocity.connection'].create({
                'name': 'Again', 'paylocity_company_code': 'C2002', 'company_id': self.company.id, 'active': False})


@tagged('post_install', '-at_install')
class TestSecretExpiry(PaylocityCase):

    def test_activity_before_expiry_once(self):
        today = fields.Date.context_today(self.connection)
        self.connection.sudo().write({
            'weblink_secret_expiry': today + timedelta(days=10),   # inside the 21-day warning window
            'nextgen_secret_expiry': today + timedelta(days=200),  # far away
            'user_id': self.admin_user.id,
        })
        Connection = self.env['paylocity.connection']
        Connection._cron_warn_expiring_secrets()
        Connection._cron_warn_expiring_secrets()
        activities = self.connection.activity_ids
        self.assertEqual(len(activities), 1)
        self.assertIn('WebLink', activities.summary)
        self.assertEqual(activities.user_id, self.admin_user)
        self.assertEqual(activities.date_deadline, today + timedelta(days=10))

    def test_expired_secret_warns_now(self):
        today = fields.Date.context_today(self.connection)
        self.connection.sudo().write({'nextgen_secret_expiry': today - timedelta(days=3)})
        self.env['paylocity.connection']._cron_warn_expiring_secrets()
        self.assertEqual(len(self.connection.activity_ids), 1)
        self.assertIn('NextGen', self.connection.activity_ids.summary)
        self.assertLessEqual(self.connection.activity_ids.date_deadline, today + timedelta(days=1))

    def test_no_warning_without_credentials(self):
        today = fields.Date.context_today(self.connection)
        self.connection.sudo().write({'weblink_secret_expiry': today + timedelta(days=1)})
        self.connection._set_credentials('weblink', False, False, expiry=today + timedelta(days=1))
        self.env['paylocity.connection']._cron_warn_expiring_secrets()
        self.assertFalse(self.connection.activity_ids)


@tagged('post_install', '-at_install')
class TestDemoData(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry_enter_test_mode_cls()

    def test_demo_connection_works_with_the_seed_1_sandbox(self):
        demo = self.env.ref('paylocity_connector.demo_connection_sandbox', raise_if_not_found=False)
        if not demo:
            self.skipTest("installed without demo data")
        self.assertEqual(demo._get_hosts(), sandbox_hosts('http://127.0.0.1:8090'))
        self.assertTrue(demo.weblink_secret_expiry)
        with SandboxServer(seed=1, employees=3, companies=('C1001',)) as sandbox:
            # the demo points at port 8090; the same seed on any port issues the same credentials
            hosts = sandbox_hosts(sandbox.base_url)
            demo.write({'weblink_base_url': hosts.weblink_base, 'weblink_token_url': hosts.weblink_token,
                        'nextgen_base_url': hosts.nextgen_base, 'nextgen_token_url': hosts.nextgen_token})
            # a new host drops its pair's secret: the seed's secrets are typed again for the sandbox's port
            creds = sandbox.credentials('C1001')
            demo._set_secret('weblink', creds.weblink_client_secret)
            demo._set_secret('nextgen', creds.nextgen_client_secret)
            demo.action_test_connection()
        self.assertEqual(demo.last_test_state, 'ok', demo.last_test_message)
