# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The whole chain over real HTTP: the sandbox delivers Paylocity's Payroll Processed webhook (twice, as Paylocity
re-sends) to Odoo's webhook route; the run is fetched from the sandbox and posted once."""
from odoo.tests import HttpCase, tagged

from ..paylocity.webhooks import hash_webhook_password
from .common import PayrollCase

USER, PASSWORD = 'payroll-hooks', 'a long webhook password'


@tagged('post_install', '-at_install')
class TestPayrollWebhookHttp(HttpCase, PayrollCase):
    registry_test_mode = False   # PayrollCase puts the registry in test mode itself

    def test_payroll_processed_delivered_twice_over_http_posts_one_entry(self):
        self.connection.sudo().write({'webhook_allowed_networks': '127.0.0.1/32', 'webhook_username': USER,
                                      'webhook_password_hash': hash_webhook_password(PASSWORD)})
        regular, _off = self.latest_runs()
        url = '%s/paylocity/webhook/%s' % (self.base_url(), self.connection.sudo().webhook_token)
        self.env.flush_all()   # the route reads the connection through its own (test) cursor
        with self.allow_requests(all_requests=True):
            statuses = self.sandbox.send_webhook(url, 'payroll_processed', 'C1001', process_id=regular.process_id,
                                                 auth=(USER, PASSWORD), copies=2)
        self.assertEqual(statuses, [200, 200])
        events = self.env['paylocity.event'].search([('connection_id', '=', self.connection.id),
                                                     ('process_code', '=', regular.process_id)])
        self.assertEqual(sorted(events.mapped('state')), ['duplicate', 'received'])
        self.process_all()
        run = self.run_of(regular)
        self.assertEqual((run.state, run.source), ('posted', 'webhook'))
        self.assertEqual(len(self.moves_of(run)), 1)
        self.assertEqual(self.posted_balances(run.move_id), self.expected(regular))
        self.assertEqual(events.filtered(lambda e: e.state == 'done').move_id, run.move_id)
