# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The health overview: its figures for a known set of events and pay runs, what each one opens, who sees them,
and that the Paylocity app opens on it."""
from datetime import date, datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

ADMIN_GROUP = 'paylocity_connector.group_paylocity_admin'
USER_GROUP = 'paylocity_connector.group_paylocity_user'


@tagged('post_install', '-at_install')
class TestOverview(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company_a = env['res.company'].create({'name': 'Overview Co A'})
        cls.company_b = env['res.company'].create({'name': 'Overview Co B'})
        Connection = env['paylocity.connection']
        cls.connection = Connection.create({'name': 'Overview A', 'paylocity_company_code': 'OV1001',
                                            'company_id': cls.company_a.id})
        cls.connection_b = Connection.create({'name': 'Overview B', 'paylocity_company_code': 'OV2002',
                                              'company_id': cls.company_b.id})
        today = fields.Date.context_today(Connection)
        cls.connection.write({'weblink_secret_expiry': today + timedelta(days=10),
                              'nextgen_secret_expiry': today + timedelta(days=200),
                              'secret_warning_days': 21})
        cls.connection_b.write({'nextgen_secret_expiry': today + timedelta(days=90)})

        def event(connection, state, source='webhook', at='2026-03-01 10:00:00', **values):
            return env['paylocity.event'].sudo().create({
                'connection_id': connection.id, 'state': state, 'source': source, 'event_type': 'new_hire',
                'received_at': at, **values})

        cls.failed = event(cls.connection, 'failed') | event(cls.connection, 'failed', source='poll')
        cls.retrying = event(cls.connection, 'retrying')
        event(cls.connection, 'done', at='2026-03-05 08:30:00')
        cls.latest_webhook = event(cls.connection, 'duplicate', at='2026-03-06 09:00:00')
        event(cls.connection, 'rejected', at='2026-03-07 12:00:00')   # refused: not "received"
        event(cls.connection, 'done', source='poll', at='2026-03-08 12:00:00')   # not a webhook
        event(cls.connection_b, 'failed', at='2026-03-09 12:00:00')

        def run(connection, state, day, **values):
            return env['paylocity.pay.run'].sudo().create({
                'connection_id': connection.id, 'check_date': date(2026, 3, day), 'run_number': 1,
                'state': state, **values})

        cls.needs_mapping = run(cls.connection, 'needs_mapping', 2) | run(cls.connection, 'needs_mapping', 3)
        cls.needs_review = run(cls.connection, 'needs_review', 4)
        cls.failed_run = run(cls.connection, 'failed', 5)
        run(cls.connection, 'posted', 6, post_count=1, move_id=False)  # its entry was deleted in Odoo
        cls.entry_gone = cls.env['paylocity.pay.run'].sudo().search([('check_date', '=', date(2026, 3, 6))])
        run(cls.connection, 'new', 7)
        run(cls.connection_b, 'needs_mapping', 8)

        cls.user = new_test_user(env, login='ov_user', groups='base.group_user,%s' % USER_GROUP,
                                 company_id=cls.company_a.id, company_ids=[(6, 0, [cls.company_a.id])])
        cls.admin = new_test_user(env, login='ov_admin', groups='base.group_user,%s' % ADMIN_GROUP,
                                  company_id=cls.company_a.id, company_ids=[(6, 0, [cls.company_a.id])])

    def figures(self, connection):
        return connection.read([
            'last_webhook_at', 'event_failed_count', 'event_retrying_count', 'run_needs_mapping_count',
            'run_needs_review_count', 'run_failed_count', 'run_out_of_agreement_count', 'weblink_secret_days',
            'nextgen_secret_days', 'weblink_expiry_known', 'nextgen_expiry_known', 'secret_expiry_warning',
            'needs_attention'])[0]

    def test_figures_for_a_known_setup(self):
        values = self.figures(self.connection.with_user(self.user))
        self.assertEqual(values['last_webhook_at'], datetime(2026, 3, 6, 9, 0))
        self.assertEqual((values['event_failed_count'], values['event_retrying_count']), (2, 1))
        self.assertEqual((values['run_needs_mapping_count'], values['run_needs_review_count'],
                          values['run_failed_count'], values['run_out_of_agreement_count']), (2, 1, 1, 1))
        self.assertEqual((values['weblink_secret_days'], values['nextgen_secret_days']), (10, 200))
        self.assertTrue(values['weblink_expiry_known'] and values['nextgen_expiry_known'])
        self.assertTrue(values['secret_expiry_warning'])   # 10 days left, warned 21 days ahead
        self.assertTrue(values['needs_attention'])

    def test_a_quiet_connection_is_healthy(self):
        quiet = self.env['paylocity.connection'].create({
            'name': 'Quiet', 'paylocity_company_code': 'OV3003', 'company_id': self.env['res.company'].create(
                {'name': 'Overview Co C'}).id})
        values = self.figures(quiet)
        self.assertFalse(values['last_webhook_at'])
        self.assertEqual([values[name] for name in (
            'event_failed_count', 'event_retrying_count', 'run_needs_mapping_count', 'run_needs_review_count',
            'run_failed_count', 'run_out_of_agreement_count')], [0] * 6)
        self.assertFalse(values['weblink_expiry_known'] or values['nextgen_expiry_known'])
        self.assertFalse(values['secret_expiry_warning'])
        self.assertFalse(values['needs_attention'])

    def test_other_connections_records_are_not_counted(self):
        values = self.figures(self.connection_b)
        self.assertEqual((values['event_failed_count'], values['run_needs_mapping_count']), (1, 1))
        self.assertEqual(values['last_webhook_at'], datetime(2026, 3, 9, 12, 0))
        self.assertEqual(values['weblink_expiry_known'], False)
        self.assertEqual(values['nextgen_secret_days'], 90)
        self.assertFalse(values['secret_expiry_warning'])

    def test_each_figure_opens_the_records_behind_it(self):
        connection = self.connection.with_user(self.user)
        expected = {
            'action_overview_failed_events': ('paylocity.event', self.failed),
            'action_overview_retrying_events': ('paylocity.event', self.retrying),
            'action_overview_runs_needs_mapping': ('paylocity.pay.run', self.needs_mapping),
            'action_overview_runs_needs_review': ('paylocity.pay.run', self.needs_review),
            'action_overview_runs_failed': ('paylocity.pay.run', self.failed_run),
            'action_overview_runs_out_of_agreement': ('paylocity.pay.run', self.entry_gone),
        }
        for method, (model, records) in expected.items():
            with self.subTest(method):
                action = getattr(connection, method)()
                self.assertEqual(action['res_model'], model)
                found = self.env[model].with_user(self.user).search(action['domain'])
                self.assertEqual(found, records.with_user(self.user))
                self.assertEqual(action['context']['default_connection_id'], self.connection.id)
        # "Last webhook" opens this connection's webhook deliveries (refused ones included), not the polls
        action = connection.action_overview_webhooks()
        webhooks = self.env['paylocity.event'].search(action['domain'])
        self.assertEqual(set(webhooks.mapped('source')), {'webhook'})
        self.assertEqual(webhooks.connection_id, self.connection)
        self.assertEqual(len(webhooks), 5)

    def test_who_sees_the_connection_sees_its_figures(self):
        """An accountant reads connections (for pay runs) but not events: the figures are counted for them
        anyway, behind the connection they may read."""
        accountant = new_test_user(self.env, login='ov_accountant',
                                   groups='base.group_user,account.group_account_manager',
                                   company_id=self.company_a.id, company_ids=[(6, 0, [self.company_a.id])])
        with self.assertRaises(AccessError):
            self.env['paylocity.event'].with_user(accountant).search([])
        values = self.figures(self.connection.with_user(accountant))
        self.assertEqual((values['event_failed_count'], values['run_needs_mapping_count']), (2, 2))

    def test_users_of_another_company_see_neither_connection_nor_figures(self):
        with self.assertRaises(AccessError):
            self.connection_b.with_user(self.user).read(['event_failed_count'])
        visible = self.env['paylocity.connection'].with_user(self.user).search([])
        self.assertEqual(visible, self.connection.with_user(self.user))

    def test_the_app_opens_on_the_overview(self):
        root = self.env.ref('paylocity_connector.menu_paylocity_root')
        overview = self.env.ref('paylocity_connector.action_paylocity_overview')
        self.assertEqual(root.action, overview)
        self.assertEqual((overview.res_model, overview.view_mode.split(',')[0]), ('paylocity.connection', 'kanban'))
        # the kanban the web client gets for a Paylocity user holds the figures, and no credential
        views = self.env['paylocity.connection'].with_user(self.user).get_views(
            [(overview.view_ids[0].view_id.id, 'kanban')])
        fields_seen = set(views['models']['paylocity.connection']['fields'])
        self.assertLessEqual({'event_failed_count', 'run_needs_mapping_count', 'last_webhook_at',
                              'weblink_secret_days'}, fields_seen)
        self.assertNotIn('weblink_secret_expiry', fields_seen)

    def test_a_difference_found_by_verification_counts_as_out_of_agreement(self):
        journal = self.env['account.journal'].create({
            'name': 'Overview payroll', 'code': 'OVP', 'type': 'general', 'company_id': self.company_a.id})
        entry = self.env['account.move'].create({'journal_id': journal.id, 'company_id': self.company_a.id})
        differs = self.env['paylocity.pay.run'].sudo().create({
            'connection_id': self.connection.id, 'check_date': date(2026, 3, 20), 'run_number': 1,
            'state': 'posted', 'post_count': 1, 'move_id': entry.id,
            'open_difference': 'Void of check 10005, employee 1003'})
        self.assertEqual(differs.agreement, 'differs')
        self.assertNotIn(differs.entry_status, ('reversed', 'cancelled', 'deleted'))
        connection = self.connection.with_user(self.user)
        self.assertEqual(self.figures(connection)['run_out_of_agreement_count'], 2)
        action = connection.action_overview_runs_out_of_agreement()
        found = self.env['paylocity.pay.run'].search(action['domain'])
        self.assertEqual(found, self.entry_gone | differs)
