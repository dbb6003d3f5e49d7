# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The three jobs done by clicking, in real Chromium against the sandbox (tours under static/tests/tours/):
the administrator connects a Paylocity company, the accountant maps and posts a held pay run, the HR
administrator replays a failed event. Each tour fails when a screen it relies on is missing."""
import json
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests import common as odoo_common

from ..paylocity.hosts import sandbox_hosts
from .common import EmployeeSyncCase, PaylocityCase, PayrollCase

TOUR_DATA_KEY = 'paylocity_connector.tour_data'   # static/tests/tours/paylocity_tour_data.js


class TourMixin:
    registry_test_mode = False   # the Paylocity cases put the registry in test mode themselves

    def require_browser(self):
        """Odoo skips browser tests when Chromium or websocket-client is missing; the project installs both
        (tools/bootstrap), so their absence is a failure here, never a silent skip."""
        self.assertIsNotNone(odoo_common.websocket, "websocket-client is not installed (run tools/bootstrap)")
        try:
            odoo_common._find_executable()
        except Exception:  # noqa: BLE001 - SkipTest or OSError alike
            self.fail("no Chromium found for the tours (run tools/bootstrap, which installs Debian's chromium)")

    def run_tour(self, tour, data, login, url='/odoo/paylocity', timeout=120):
        """Start ``tour`` as ``login`` with ``data`` in the page's sessionStorage (see paylocity_tour_data.js)."""
        self.require_browser()
        self.env.flush_all()   # the browser's requests read through the test cursor
        options = {'stepDelay': 0, 'keepWatchBrowser': False, 'debug': False, 'startUrl': url,
                   'delayToCheckUndeterminisms': 0}
        code = 'window.sessionStorage.setItem(%s, %s); odoo.startTour(%s, %s);' % (
            json.dumps(TOUR_DATA_KEY), json.dumps(json.dumps(data)), json.dumps(tour), json.dumps(options))
        self.start_tour(url, tour, login=login, code=code, timeout=timeout)


@tagged('post_install', '-at_install')
class TestAdministratorTour(TourMixin, HttpCase, PaylocityCase):

    def test_admin_connects_a_company_tests_it_and_sees_the_webhook_password_once(self):
        self.connection.unlink()   # the administrator connects C1001 through the screens instead
        self.env['account.account'].create({'code': 'PLTOUR1', 'name': 'Tour net pay clearing',
                                            'account_type': 'liability_current',
                                            'company_ids': [Command.set([self.company.id])]})
        creds = self.sandbox.credentials('C1001')
        hosts = sandbox_hosts(self.sandbox.base_url)
        self.run_tour('paylocity_admin_tour', {
            'name': 'Paylocity C1001', 'company': 'C1001',
            'weblink_client_identifier': creds.weblink_client_id, 'weblink_client_secret': creds.weblink_client_secret,
            'nextgen_client_identifier': creds.nextgen_client_id, 'nextgen_client_secret': creds.nextgen_client_secret,
            'weblink_base_url': hosts.weblink_base, 'weblink_token_url': hosts.weblink_token,
            'nextgen_base_url': hosts.nextgen_base, 'nextgen_token_url': hosts.nextgen_token,
            'net_pay_account': 'Tour net pay clearing',
        }, login='admin', url='/odoo/settings')

        connection = self.env['paylocity.connection'].search([('paylocity_company_code', '=', 'C1001')])
        self.assertEqual((connection.name, connection.last_test_state), ('Paylocity C1001', 'ok'))
        self.assertEqual(connection._get_credentials('weblink').client_secret, creds.weblink_client_secret)
        self.assertEqual(connection._get_credentials('nextgen').client_secret, creds.nextgen_client_secret)
        self.assertTrue(connection.webhook_password_set)
        # the shown password was kept nowhere but in the dialog, which is gone
        self.assertFalse(self.env['paylocity.webhook.credentials'].search([('connection_id', '=', connection.id)]))


@tagged('post_install', '-at_install')
class TestAccountantTour(TourMixin, HttpCase, PayrollCase):

    def test_accountant_maps_the_held_code_posts_and_opens_the_entry(self):
        off_cycle, run = self.run_held_for_mapping()
        self.assertEqual(run.state, 'needs_mapping')
        accountant = self.accountant   # an accounting manager, not a Paylocity administrator
        bonus_account = self.setup['C1001']['accounts']['bonus']

        self.run_tour('paylocity_accountant_tour', {
            'connection': self.connection.name, 'code': 'BONUS', 'account': bonus_account.name,
            'reference': run.process_code,
        }, login=accountant.login)

        self.assertEqual(run.state, 'posted')
        self.assertEqual(run.move_id.state, 'posted')
        self.assertEqual(len(self.moves_of(run)), 1)
        self.assertEqual(self.posted_balances(run.move_id), self.expected(off_cycle))
        rule = self.env['paylocity.gl.rule'].search([('connection_id', '=', self.connection.id),
                                                     ('code', '=', 'BONUS')])
        self.assertEqual((rule.debit_account_id, rule.create_uid), (bonus_account, accountant))


@tagged('post_install', '-at_install')
class TestEventTour(TourMixin, HttpCase, EmployeeSyncCase):

    def test_hr_admin_replays_a_failed_event_and_opens_its_employee(self):
        self.connection.write({'event_max_attempts': 1})
        employee_id = self.hire(first_name='Avery', last_name='Tourist')
        self.sandbox.inject('status', count=10, path='/employees/%s' % employee_id, status=500)
        event = self.deliver('new_hire', employee_id)
        self.process_events()
        self.assertEqual(event.state, 'failed')
        self.assertIn('server error', event.last_error)
        self.sandbox.clear_faults()   # Paylocity is back
        hr_admin = new_test_user(
            self.env, login='pl_hr_admin', name='HR Administrator',
            groups='base.group_user,hr.group_hr_user,paylocity_connector.group_paylocity_admin',
            company_id=self.company.id, company_ids=[Command.set([self.company.id])])

        # No scheduler runs in tests: what Replay asks of the event cron happens at once, in the same request.
        Event = type(self.env['paylocity.event'])

        def process_now(events, at=None):
            for _round in range(10):
                if not events.env['paylocity.event'].sudo()._cron_process_events():
                    return

        with patch.object(Event, '_trigger_processing', process_now):
            self.run_tour('paylocity_event_tour', {'error': 'server error', 'employee': 'Tourist'},
                          login=hr_admin.login)

        self.assertEqual(event.state, 'done')
        self.assertEqual(event.replayed_by_id, hr_admin)
        self.assertEqual(event.employee_id, self.employee(employee_id))
        self.assertIn('Tourist', event.employee_id.name)
