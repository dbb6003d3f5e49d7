# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The webhook route over real HTTP against Odoo's test server: every answer, what is stored, and when."""
import json
import logging
import random
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import patch

import requests
from psycopg2.pool import PoolError
from werkzeug.formparser import FormDataParser

from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger

from ..controllers import webhook as webhook_controller
from ..models import paylocity_event_intake as intake_model
from ..models.paylocity_event_intake import REFUSAL_ROWS_PER_WINDOW
from ..paylocity.log_throttle import LogThrottle
from ..paylocity.webhooks import hash_webhook_password
from .common import (
    WEBHOOK_PASSWORD, WEBHOOK_USER, EventSetupMixin, basic_auth, employee_change_body, new_hire_body, payroll_body,
    time_off_body,
)

QUIET = mute_logger('odoo.addons.paylocity_connector.controllers.webhook')
# What is stored of a New Hire body: its identifiers, hire date, type and cost centers; not the person's name.
NEW_HIRE_KEPT = ('companyId', 'employeeId', 'employeeHireDate', 'employeeCostCenter1', 'employeeType')


def kept_of_new_hire(body):
    return {key: body[key] for key in NEW_HIRE_KEPT}


class WebhookHttpMixin(EventSetupMixin):
    """Deliveries over real HTTP to the route of Odoo's test server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_event_fixtures()

    def url(self, connection=None):
        return '/paylocity/webhook/%s' % (connection or self.connection).sudo().webhook_token

    def post(self, body=None, *, url=None, auth=True, headers=None, data=None):
        all_headers = {'Content-Type': 'application/json', 'User-Agent': 'Paylocity-Webhooks-Test'}
        if auth:
            all_headers['Authorization'] = basic_auth() if auth is True else auth
        all_headers.update(headers or {})
        payload = data if data is not None else json.dumps(body).encode()
        return self.url_open(url or self.url(), data=payload, headers=all_headers, method='POST')

    def events(self, connection=None):
        return self.env['paylocity.event'].search(
            [('connection_id', '=', (connection or self.connection).id)], order='id')

    def assert_rejected(self, response, status, reason_part, remote_addr='127.0.0.1'):
        self.assertEqual(response.status_code, status)
        self.assertIn(reason_part, response.json()['error'])
        event = self.events()[-1:]
        self.assertRecordValues(event, [{'state': 'rejected', 'http_status': status, 'remote_addr': remote_addr}])
        self.assertIn(reason_part, event.reject_reason)
        self.assertFalse(event.sudo().payload, "a refused body is never kept")
        self.assertFalse(event.attempt_ids)
        return event


@tagged('post_install', '-at_install')
class TestWebhookIntake(WebhookHttpMixin, HttpCase):

    # === ACCEPTED === #
    def test_valid_delivery_is_stored_then_answered(self):
        body = new_hire_body('E100')
        raw = json.dumps(body).encode()
        response = self.post(data=raw)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {'status': 'received'})
        event = self.events()
        self.assertRecordValues(event, [{
            'state': 'received', 'source': 'webhook', 'event_type': 'new_hire', 'http_status': 200,
            'paylocity_company_code': 'W1001', 'paylocity_employee_code': 'E100', 'remote_addr': '127.0.0.1',
            'dedup_key': 'new_hire:W1001:E100:2026-01-05', 'company_id': self.company_a.id,
            'payload_size': len(raw), 'attempt_count': 0,
        }])
        self.assertEqual(json.loads(event.sudo().payload), {
            'companyId': 'W1001', 'employeeId': 'E100', 'employeeHireDate': '2026-01-05T00:00:00Z',
            'employeeCostCenter1': '11 - Software Development', 'employeeType': 'Regular Full Time'})
        self.env.cr.execute("SELECT payload, summary, request_headers FROM paylocity_event WHERE id = %s", [event.id])
        stored = json.dumps(self.env.cr.fetchone())
        for personal in ('Person', 'employeeFirstName', 'employeeLastName', 'Webhook Test Co'):
            self.assertNotIn(personal, stored, "nothing about the person is stored")
        headers = json.loads(event.request_headers)
        self.assertEqual(headers['User-Agent'], 'Paylocity-Webhooks-Test')
        self.assertNotIn('Authorization', headers)
        self.assertFalse(event.attempt_ids, "nothing is processed during the request")
        cron = self.env.ref('paylocity_connector.ir_cron_paylocity_event_process')
        self.assertTrue(self.env['ir.cron.trigger'].search([('cron_id', '=', cron.id)]),
                        "intake wakes the processor")

    def test_nothing_is_processed_before_it_is_stored(self):
        seen = []

        def handler(event):
            # What the database holds when the handler starts, read with plain SQL.
            self.env.cr.execute("SELECT state, payload, http_status FROM paylocity_event WHERE id = %s", [event.id])
            seen.append(self.env.cr.fetchone())
            self.env.cr.execute("SELECT outcome FROM paylocity_event_attempt WHERE event_id = %s", [event.id])
            seen.append(self.env.cr.fetchall())
        self.patch_handler('new_hire', handler)
        raw = json.dumps(new_hire_body('E101')).encode()
        response = self.post(data=raw)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(seen, [], "the handler has not run when the delivery is acknowledged")
        event = self.events()
        self.assertEqual(event.state, 'received')
        self.process_events()
        self.assertEqual(seen, [('processing', json.dumps(kept_of_new_hire(new_hire_body('E101')), sort_keys=True,
                                                           separators=(',', ':')), 200), [('running',)]])
        self.assertEqual(event.state, 'done')

    def test_chunked_body_within_limit_is_accepted(self):
        raw = json.dumps(new_hire_body('E102')).encode()
        response = self.post(data=iter([raw[:10], raw[10:]]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(json.loads(self.events().sudo().payload), kept_of_new_hire(new_hire_body('E102')))

    # === DUPLICATES === #
    def test_duplicate_within_window_is_recorded_and_processed_once(self):
        calls = self.record_calls('payroll_processed')
        first = self.post(payroll_body('2026011601'))
        second = self.post(payroll_body('2026011601'))
        self.assertEqual((first.status_code, second.status_code), (200, 200))
        self.assertEqual(second.json(), {'status': 'duplicate'})
        original, duplicate = self.events()
        self.assertRecordValues(duplicate, [{'state': 'duplicate', 'duplicate_of_id': original.id,
                                             'dedup_key': original.dedup_key}])
        self.process_events()
        self.assertEqual(calls, [original.id])
        self.assertEqual(duplicate.state, 'duplicate')
        # A re-send after the processing is still a duplicate within the window...
        self.assertEqual(self.post(payroll_body('2026011601')).json(), {'status': 'duplicate'})
        # ...but the same key once the window has passed is a new delivery.
        self.env.cr.execute("UPDATE paylocity_event SET received_at = received_at - interval '25 hours'")
        self.env.invalidate_all()
        self.assertEqual(self.post(payroll_body('2026011601')).json(), {'status': 'received'})
        self.process_events()
        self.assertEqual(len(calls), 2)

    def test_window_is_configurable(self):
        self.connection.sudo().webhook_dedup_hours = 0
        self.post(payroll_body('2026011601'))
        self.assertEqual(self.post(payroll_body('2026011601')).json(), {'status': 'received'})

    def test_employee_change_burst_merges_into_one_pending_refresh(self):
        calls = self.record_calls('employee_change')
        statuses = [self.post(employee_change_body('E7')).json()['status'] for _i in range(5)]
        self.assertEqual(statuses, ['received'] + ['duplicate'] * 4)
        pending = self.events().filtered(lambda e: e.state == 'received')
        self.assertEqual(self.events().filtered(lambda e: e.state == 'duplicate').duplicate_of_id, pending)
        # Once the refresh has started, a new change is not merged: the refresh may already have read Paylocity.
        claimed = self.env['paylocity.event']._claim_due(10)
        self.assertEqual(claimed, pending)
        self.assertEqual(self.post(employee_change_body('E7')).json(), {'status': 'received'})
        for event in claimed:
            event._run_claimed()
        self.process_events()
        self.assertEqual(len(calls), 2)
        self.assertEqual(calls[0], pending.id)
        # Another employee's change is its own event.
        self.assertEqual(self.post(employee_change_body('E8')).json(), {'status': 'received'})

    def test_parallel_deliveries_with_duplicates(self):
        calls = self.record_calls('new_hire')
        distinct = [new_hire_body('P%02d' % i) for i in range(30)]
        bodies = distinct + [distinct[i % 30] for i in range(0, 60, 3)]   # 20 duplicates among them
        random.Random(4).shuffle(bodies)
        url = self.base_url() + self.url()
        headers = {'Content-Type': 'application/json', 'Authorization': basic_auth()}

        def send(body):
            return requests.post(url, data=json.dumps(body), headers=headers, timeout=60).status_code

        with self.allow_requests(all_requests=True), ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(send, bodies))
        self.env.invalidate_all()
        self.assertEqual(statuses, [200] * 50)
        events = self.events()
        self.assertEqual(len(events), 50, "every delivery is stored")
        received = events.filtered(lambda e: e.state == 'received')
        self.assertEqual(len(received), 30)
        self.assertEqual(len(events.filtered(lambda e: e.state == 'duplicate')), 20)
        self.assertEqual(set(received.mapped('dedup_key')), set(events.mapped('dedup_key')))
        self.process_events()
        self.assertEqual(sorted(calls), sorted(received.ids), "each distinct event processed exactly once")
        self.assertEqual(set(received.mapped('state')), {'done'})

    # === REFUSED === #
    def test_unknown_or_archived_token_is_404_and_not_recorded(self):
        before = self.env['paylocity.event'].search_count([])
        with QUIET:
            response = self.post(new_hire_body(), url='/paylocity/webhook/%s' % ('x' * 32))
            self.assertEqual(response.status_code, 404)
            self.connection.active = False
            response = self.post(new_hire_body())
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.env['paylocity.event'].search_count([]), before)

    def test_a_change_of_the_connection_applies_from_the_next_delivery(self):
        # Intake keeps what it reads of a connection between deliveries: every change must reach the next one.
        connection = self.connection.sudo()
        self.assertEqual(self.post(new_hire_body('C1')).status_code, 200)
        with QUIET:
            connection.webhook_allowed_networks = '198.245.157.0/24'
            self.assertEqual(self.post(new_hire_body('C2')).status_code, 403)
            connection.webhook_allowed_networks = '127.0.0.0/8'
            self.assertEqual(self.post(new_hire_body('C3')).status_code, 200)
            connection.webhook_password_hash = hash_webhook_password('a-newer-password')
            self.assertEqual(self.post(new_hire_body('C4')).status_code, 401)
            self.assertEqual(self.post(new_hire_body('C5'), auth=basic_auth(password='a-newer-password')).status_code,
                             200)
            connection.webhook_username = 'someone-else'
            self.assertEqual(self.post(new_hire_body('C6'), auth=basic_auth(password='a-newer-password')).status_code,
                             401)
            connection.webhook_username = WEBHOOK_USER
            connection.paylocity_company_code = 'W9999'
            self.assertEqual(self.post(new_hire_body('C7'), auth=basic_auth(password='a-newer-password')).status_code,
                             403)
            old_url = self.url()
            connection.webhook_token = 'a-new-token-' + 'x' * 20
            self.assertEqual(self.post(new_hire_body('C8', company='W9999'), url=old_url,
                                       auth=basic_auth(password='a-newer-password')).status_code, 404)
            self.assertEqual(self.post(new_hire_body('C9', company='W9999'),
                                       auth=basic_auth(password='a-newer-password')).status_code, 200)
            connection.active = False
            self.assertEqual(self.post(new_hire_body('C10', company='W9999'),
                                       auth=basic_auth(password='a-newer-password')).status_code, 404)
        self.assertEqual(self.events().filtered(lambda e: e.state == 'received').mapped('paylocity_employee_code'),
                         ['C1', 'C3', 'C5', 'C9'])

    def test_body_over_the_limit_is_413(self):
        big = json.dumps(dict(new_hire_body(), padding='x' * 5000)).encode()
        with QUIET:
            response = self.post(data=big)
        event = self.assert_rejected(response, 413, 'larger than 4096 bytes')
        self.assertEqual(event.payload_size, len(big))

    def test_chunked_body_over_the_limit_is_413(self):
        big = json.dumps(dict(new_hire_body(), padding='x' * 5000)).encode()
        with QUIET:
            response = self.post(data=iter([big[:3000], big[3000:]]))
        self.assert_rejected(response, 413, 'larger than 4096 bytes')

    def test_missing_or_wrong_basic_auth_is_401(self):
        with QUIET:
            missing = self.post(new_hire_body(), auth=False)
        self.assertIn('Basic', missing.headers['WWW-Authenticate'])
        self.assert_rejected(missing, 401, 'Basic auth')
        with QUIET:
            wrong = self.post(new_hire_body(), auth=basic_auth(password='not-the-password'))
        self.assertIn('Basic', wrong.headers['WWW-Authenticate'])
        event = self.assert_rejected(wrong, 401, 'Basic auth')
        stored = json.dumps(event.sudo().read()[0], default=str)
        self.assertNotIn('not-the-password', stored)
        self.assertNotIn(WEBHOOK_PASSWORD, stored)
        self.assertNotIn('Authorization', stored)

    def test_sender_outside_the_allow_list_is_403(self):
        self.connection.sudo().webhook_allowed_networks = '198.245.157.0/24'
        with QUIET:
            response = self.post(new_hire_body())
        self.assert_rejected(response, 403, 'sender address')
        # Outside proxy mode a forwarding header proves nothing.
        with QUIET:
            response = self.post(new_hire_body(), headers={'X-Forwarded-For': '198.245.157.10'})
        self.assert_rejected(response, 403, 'sender address')

    def test_proxy_mode_takes_the_sender_from_the_proxy_header(self):
        self.connection.sudo().webhook_allowed_networks = '198.245.157.0/24'
        with patch.dict(config.options, {'proxy_mode': True}):
            # The way Odoo expects its proxy (ProxyFix, X-Forwarded-Host present)...
            response = self.post(new_hire_body('E1'), headers={
                'X-Forwarded-For': '198.245.157.10', 'X-Forwarded-Host': '127.0.0.1', 'X-Forwarded-Proto': 'http'})
            self.assertEqual(response.status_code, 200)
            # ...and a proxy that only sets X-Forwarded-For.
            response = self.post(new_hire_body('E2'), headers={'X-Forwarded-For': '198.245.157.11'})
            self.assertEqual(response.status_code, 200)
            # Only the hop the proxy added counts, not what the client claimed before it.
            with QUIET:
                response = self.post(new_hire_body('E3'), headers={'X-Forwarded-For': '198.245.157.12, 10.1.2.3'})
        self.assertEqual(self.events().mapped('remote_addr'), ['198.245.157.10', '198.245.157.11', '10.1.2.3'])
        self.assert_rejected(response, 403, 'sender address', remote_addr='10.1.2.3')

    def test_not_json_or_unknown_shape_is_400_with_a_short_reason(self):
        with QUIET:
            response = self.post(data=b'{"companyId": "W1001", ')
        self.assert_rejected(response, 400, 'not JSON')
        with QUIET:
            response = self.post(data=b'[1, 2]')
        self.assert_rejected(response, 400, 'not a JSON object')
        with QUIET:
            response = self.post({'companyId': 'W1001', 'something': 'else'})
        self.assert_rejected(response, 400, 'employeeId missing')
        with QUIET:
            response = self.post({'companyId': 'W1001', 'processId': '20261301xx'})
        self.assert_rejected(response, 400, 'processId')

    def test_deeply_nested_body_is_400_with_a_clear_reason(self):
        """~990 levels used to pass json.loads and then exhaust the stack (a 500 with a traceback)."""
        for depth in (40, 990, 1000):
            raw = json.dumps(new_hire_body('E7')).encode()[:-1] + b', "x": ' + b'[' * depth + b']' * depth + b'}'
            with QUIET:
                response = self.post(data=raw)
            self.assert_rejected(response, 400, 'nested more than 32 levels')

    def test_bodies_json_allows_but_paylocity_never_sends_are_400(self):
        """A lone surrogate escape used to fail while hashed (a 500); NaN and 1e400 were stored in the summary."""
        base = json.dumps(time_off_body('E8')).encode()[:-1]
        for extra, reason in ((b', "note": "\\ud800"}', 'not valid Unicode'),
                              (b', "employeeFirstName": "\\udfff"}', 'not valid Unicode'),
                              (b', "hoursPerDay": NaN}', 'NaN'), (b', "hoursPerDay": 1e400}', 'not finite')):
            with QUIET:
                response = self.post(data=base + extra)
            self.assert_rejected(response, 400, reason)

    def test_body_for_another_company_is_403(self):
        with QUIET:
            response = self.post(new_hire_body('E9', company='W2002'))
        event = self.assert_rejected(response, 403, "companyId is not this connection's company")
        self.assertRecordValues(event, [{'event_type': 'new_hire', 'paylocity_company_code': 'W2002'}])
        self.assertFalse(self.events(self.connection_b), "nothing reaches the other company's connection")

    def test_refusals_are_visible_to_administrators_by_day(self):
        with QUIET:
            self.post(new_hire_body(), auth=False)
        groups = self.env['paylocity.event'].with_user(self.admin_user)._read_group(
            [('state', '=', 'rejected')], ['received_at:day', 'connection_id'], ['__count'])
        self.assertEqual(groups[0][1], self.connection)
        self.assertEqual(groups[0][2], 1)

    # === EDGES: FORMS, FLOODS === #
    def test_a_form_body_is_never_parsed_by_odoo(self):
        """Odoo's dispatcher parsed form-encoded and multipart bodies (up to 10 MB in memory) before the route
        ran, for unknown tokens too."""
        parsed = []
        original = FormDataParser.parse

        def recording_parse(parser, *args, **kwargs):
            parsed.append(args[1])
            return original(parser, *args, **kwargs)
        form = {'Content-Type': 'application/x-www-form-urlencoded'}
        megabyte = b'a=' + b'x' * (1024 * 1024)
        with patch.object(FormDataParser, 'parse', recording_parse), QUIET:
            unknown = self.post(url='/paylocity/webhook/%s' % ('x' * 32), data=megabyte, headers=form)
            too_big = self.post(data=megabyte, headers=form)
            self.assert_rejected(too_big, 413, 'larger than 4096 bytes')
            small = self.post(data=b'companyId=W1001&employeeId=E1', headers=form)
            self.assert_rejected(small, 400, 'not JSON')
            multipart = self.post(data=b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n',
                                  headers={'Content-Type': 'multipart/form-data; boundary=b'})
            self.assert_rejected(multipart, 400, 'not JSON')
        self.assertEqual(unknown.status_code, 404)
        self.assertEqual(parsed, [], "no form was parsed")

    def test_a_flood_of_refusals_adds_a_row_and_a_few_log_lines(self):
        marker = 'SECRET-MARKER-%d' % random.randrange(10 ** 6)
        wrong = basic_auth(password=marker)
        body = json.dumps(dict(new_hire_body('E30'), employeeFirstName=marker)).encode()
        with patch.object(webhook_controller, '_log_throttle', LogThrottle(interval=60, burst=3)), \
                self.assertLogs('odoo.addons.paylocity_connector.controllers.webhook', logging.INFO) as logs:
            for _n in range(30):
                self.assertEqual(self.post(data=body, auth=wrong).status_code, 401)
            self.assertEqual(self.post(data=b'{', auth=True).status_code, 400)
        rows = self.events().filtered(lambda event: event.state == 'rejected')
        self.assertEqual(len(rows), 2, "like refusals share a row")
        self.assertEqual(rows.mapped('reject_count'), [30, 1])
        self.assertEqual(len(logs.output), 4, "three lines for the 401 flood, one for the 400")
        self.assertNotIn(marker, '\n'.join(logs.output))
        self.assertNotIn(marker, json.dumps(rows.sudo().read(), default=str))

    def test_a_refusal_is_counted_even_without_a_connection_to_spare(self):
        """A refusal is counted on a connection of its own; when the process has none to spare (a threaded server
        running as many requests as its pool has connections) or every counting slot is busy, it is counted in
        its request's transaction instead of the request failing."""
        Event = self.env['paylocity.event']
        meta = {'remote_addr': '127.0.0.1', 'headers': {}}
        first = Event._record_rejection(self.connection, 'wrong password', 401, meta)
        with patch.object(type(Event), '_can_commit', lambda _self: True):
            with patch.object(self.env.registry, 'cursor', side_effect=PoolError('The Connection Pool Is Full')):
                pool_full = Event._record_rejection(self.connection, 'wrong password', 401, meta)
            slots = intake_model.COUNTING_SLOTS
            held = [slots.acquire(blocking=False) for _slot in range(2)]
            try:
                with patch.object(intake_model, 'COUNTING_WAIT_SECONDS', 0.01):
                    busy = Event._record_rejection(self.connection, 'wrong password', 401, meta)
            finally:
                for taken in held:
                    if taken:
                        slots.release()
        self.assertTrue(all(held))
        self.assertEqual(pool_full, first)
        self.assertEqual(busy, first)
        self.assertEqual(first.reject_count, 3)
        self.assertEqual(len(self.events().filtered(lambda event: event.state == 'rejected')), 1)

    def test_a_flood_of_knocks_on_unknown_urls_logs_a_few_lines(self):
        before = self.env['paylocity.event'].search_count([])
        with patch.object(webhook_controller, '_log_throttle', LogThrottle(interval=60, burst=3)), \
                self.assertLogs('odoo.addons.paylocity_connector.controllers.webhook', logging.INFO) as logs:
            for n in range(20):
                url = '/paylocity/webhook/%032d' % n
                self.assertEqual(self.post(new_hire_body(), url=url).status_code, 404)
        self.assertEqual(len(logs.output), 3)
        self.assertTrue(all('unknown or archived connection' in line for line in logs.output))
        self.assertEqual(self.env['paylocity.event'].search_count([]), before, "knocks are not recorded")

    def test_refusals_from_ever_new_addresses_cannot_grow_the_table(self):
        self.connection.sudo().webhook_allowed_networks = '198.245.157.0/24'
        count = REFUSAL_ROWS_PER_WINDOW + 15
        with patch.dict(config.options, {'proxy_mode': True}), QUIET:
            for n in range(count):
                response = self.post(new_hire_body(), headers={'X-Forwarded-For': '10.0.%d.%d' % (n // 250, n % 250)})
                self.assertEqual(response.status_code, 403)
        rows = self.events()
        self.assertEqual(len(rows), REFUSAL_ROWS_PER_WINDOW, "one row per address up to the cap, then counted")
        self.assertEqual(sum(rows.mapped('reject_count')), count)
        self.assertEqual(set(rows.mapped('state')), {'rejected'})
