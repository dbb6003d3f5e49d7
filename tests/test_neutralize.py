# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64

from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged

from .common import PaylocityCase, new_hire_body


@tagged('post_install', '-at_install')
class TestNeutralize(PaylocityCase):

    def test_neutralize_disarms_every_connection(self):
        self.connection.with_user(self.admin_user).action_test_connection()   # caches two tokens
        wizard = self.env['paylocity.webhook.credentials'].browse(
            self.connection.with_user(self.admin_user).action_new_webhook_credentials()['res_id'])
        header = 'Basic ' + base64.b64encode(('%s:%s' % (wizard.username, wizard.password)).encode()).decode()
        self.assertTrue(self.connection._check_webhook_authorization(header))
        old_token = self.connection.sudo().webhook_token
        archived = self.make_connection('C2002', company_id=self.other_company.id, active=False)
        self.env.flush_all()

        # exactly what `odoo-bin neutralize` runs for this module
        queries = list(get_neutralization_queries(['paylocity_connector']))
        self.assertEqual(len(queries), 1)
        self.env.cr.execute(queries[0])
        self.env.invalidate_all()

        for connection in (self.connection, archived):
            row = self.raw_row(connection)
            self.assertFalse(row['active'])
            self.assertIsNone(row['weblink_secret_encrypted'])
            self.assertIsNone(row['nextgen_secret_encrypted'])
            self.assertIsNone(connection._get_credentials('weblink'))
        self.env.cr.execute('SELECT count(*) FROM paylocity_token')
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        # the copy can be reached neither at the old URL nor with the old webhook password
        self.assertNotEqual(self.connection.sudo().webhook_token, old_token)
        self.assertTrue(self.connection._webhook_auth_required())
        self.assertFalse(self.connection._check_webhook_authorization(header))
        # and the expiry cron leaves archived connections alone
        self.connection.sudo().weblink_secret_expiry = '2000-01-01'
        self.env['paylocity.connection']._cron_warn_expiring_secrets()
        self.assertFalse(self.connection.activity_ids)

    def test_neutralize_erases_event_payloads(self):
        body = new_hire_body('E900', company=self.connection.paylocity_company_code)
        event = self.store(body)
        self.assertTrue(event.sudo().payload)
        self.env.flush_all()
        self.env.cr.execute(next(iter(get_neutralization_queries(['paylocity_connector']))))
        self.env.invalidate_all()
        self.env.cr.execute("SELECT count(*) FROM paylocity_event WHERE payload IS NOT NULL")
        self.assertEqual(self.env.cr.fetchone()[0], 0, "a database copy keeps no webhook body")
        self.assertTrue(event.payload_purged_at)
        self.assertRecordValues(event, [{'event_type': 'new_hire', 'paylocity_employee_code': 'E900'}])
