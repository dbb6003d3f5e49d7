# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Screenshots of the addon's main screens, taken from a running demo (tools/demo) by headless Chromium.

First it plays the demo's story through Odoo's JSON-RPC and the sandbox's control calls (the ones README
describes), so that every screen shows real records: a connection tested, employees synced, webhooks
delivered (one twice), a payroll posted, one held for a code without mapping, one event failed. Then it opens
each screen as the demo's administrator and saves a PNG into static/description/.

Run through tools/screenshots, which starts a demo when none answers.
"""
import argparse
import base64
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import requests
import websocket

WIDTH, HEIGHT = 1366, 820


class Odoo:
    """A logged-in JSON-RPC session on the demo."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip('/')
        self.http = requests.Session()
        self._rpc('/web/session/authenticate', {'db': db, 'login': login, 'password': password})
        self.session_id = self.http.cookies.get('session_id')

    def _rpc(self, path, params):
        answer = self.http.post(self.url + path, json={'jsonrpc': '2.0', 'method': 'call', 'params': params},
                                timeout=120).json()
        if answer.get('error'):
            raise RuntimeError('%s: %s' % (path, answer['error'].get('data', {}).get('message') or answer['error']))
        return answer['result']

    def call(self, model, method, *args, **kwargs):
        return self._rpc('/web/dataset/call_kw/%s/%s' % (model, method),
                         {'model': model, 'method': method, 'args': list(args), 'kwargs': kwargs})

    def wait_for(self, what, check, seconds=180):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(2)
        raise RuntimeError('the demo never got there: %s' % what)


class Sandbox:
    def __init__(self, url):
        self.url = url.rstrip('/')

    def post(self, path, body=None):
        answer = requests.post(self.url + '/_sandbox' + path, json=body or {}, timeout=60)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def clear_faults(self):
        requests.delete(self.url + '/_sandbox/faults', timeout=30).raise_for_status()


def play_the_story(odoo, sandbox):
    """Records for every screen; returns the ids the screenshots open."""
    connection_id = odoo.call('paylocity.connection', 'search', [('paylocity_company_code', '=', 'C1001')], limit=1)[0]
    read = lambda *names: odoo.call('paylocity.connection', 'read', [connection_id], list(names))[0]  # noqa: E731
    odoo.call('paylocity.connection', 'action_test_connection', [connection_id])
    if not read('employee_poll_done_at')['employee_poll_done_at']:
        odoo.call('paylocity.connection', 'action_import_reference_data', [connection_id])
        odoo.call('paylocity.connection', 'action_sync_employees_now', [connection_id])
        odoo.wait_for('employees synced', lambda: read('employee_poll_done_at')['employee_poll_done_at'])

    # Webhook credentials, as the administrator gets them from New webhook password.
    action = odoo.call('paylocity.connection', 'action_new_webhook_credentials', [connection_id])
    wizard = odoo.call('paylocity.webhook.credentials', 'read', [action['res_id']],
                       ['webhook_url', 'username', 'password'])[0]
    odoo.call('paylocity.webhook.credentials', 'action_done', [action['res_id']])
    hook = {'url': wizard['webhook_url'], 'auth': [wizard['username'], wizard['password']], 'company_id': 'C1001'}

    # A new hire, delivered twice as Paylocity re-sends; a payroll that posts.
    employee = sandbox.post('/companies/C1001/hire')['employeeId']
    sandbox.post('/webhooks', dict(hook, event_type='new_hire', employee_id=employee, copies=2))
    today = datetime.date.today()
    posted = sandbox.post('/companies/C1001/payroll', {'check_date': today.isoformat()})['processId']
    sandbox.post('/webhooks', dict(hook, event_type='payroll_processed', process_id=posted))

    # A bonus run while the BONUS code has no mapping: it waits in Needs mapping with the code named.
    bonus_rules = odoo.call('paylocity.gl.rule', 'search', [('connection_id', '=', connection_id),
                                                           ('code', '=', 'BONUS')])
    odoo.call('paylocity.gl.rule', 'write', bonus_rules, {'active': False})
    held = sandbox.post('/companies/C1001/payroll', {'check_date': today.isoformat(), 'off_cycle': True})['processId']
    sandbox.post('/webhooks', dict(hook, event_type='payroll_processed', process_id=held))

    # A hire Paylocity cannot serve for a while: its event fails (one attempt) and waits for Replay.
    odoo.call('paylocity.connection', 'write', [connection_id], {'event_max_attempts': 1})
    unlucky = sandbox.post('/companies/C1001/hire')['employeeId']
    sandbox.post('/faults', {'kind': 'status', 'status': 503, 'count': 50, 'path': '/employees/%s' % unlucky})
    sandbox.post('/webhooks', dict(hook, event_type='new_hire', employee_id=unlucky))

    def event_states():
        events = odoo.call('paylocity.event', 'search_read', [('connection_id', '=', connection_id)],
                           ['state', 'paylocity_employee_code'])
        return not any(e['state'] in ('received', 'processing', 'retrying') for e in events) and events
    events = odoo.wait_for('events processed', event_states)
    failed = [e['id'] for e in events if e['state'] == 'failed' and e['paylocity_employee_code'] == unlucky]
    sandbox.clear_faults()

    def runs():
        found = odoo.call('paylocity.pay.run', 'search_read', [('connection_id', '=', connection_id),
                                                              ('process_code', 'in', [posted, held])],
                          ['process_code', 'state'])
        states = {run['process_code']: run for run in found}
        if states.get(posted, {}).get('state') == 'posted' and states.get(held, {}).get('state') == 'needs_mapping':
            return states
        return None
    states = odoo.wait_for('pay runs posted and held', runs)
    return {'connection': connection_id, 'failed_event': failed[0] if failed else None,
            'posted_run': states[posted]['id'], 'held_run': states[held]['id']}


class Chromium:
    """Headless Chromium driven over the DevTools protocol (the websocket-client Odoo's tours use)."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix='paylocity-shots-')
        self.process = subprocess.Popen(
            [binary, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars',
             '--no-first-run', '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
             '--user-data-dir=%s' % self.profile, '--window-size=%d,%d' % (WIDTH, HEIGHT), 'about:blank'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, 'DevToolsActivePort')
        for _ in range(100):
            if os.path.exists(port_file) and os.path.getsize(port_file) > 2:
                break
            time.sleep(0.1)
        port = int(open(port_file).readline())
        targets = json.load(urllib.request.urlopen('http://127.0.0.1:%d/json/list' % port))
        page = next(t for t in targets if t['type'] == 'page')
        self.ws = websocket.create_connection(page['webSocketDebuggerUrl'], suppress_origin=True)
        self.next_id = 0
        self.send('Emulation.setDeviceMetricsOverride',
                  width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({'id': self.next_id, 'method': method, 'params': params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get('id') == self.next_id:
                if 'error' in message:
                    raise RuntimeError('%s: %s' % (method, message['error']))
                return message.get('result', {})

    def evaluate(self, expression):
        return self.send('Runtime.evaluate', expression=expression, returnByValue=True)['result'].get('value')

    def shoot(self, url, ready, path, prepare=None):
        self.send('Page.navigate', url=url)
        deadline = time.monotonic() + 60
        while not self.evaluate('!!document.querySelector(%s)' % json.dumps(ready)):
            if time.monotonic() > deadline:
                raise RuntimeError('%s never showed %s (now at %s)' % (url, ready, self.evaluate('location.href')))
            time.sleep(0.3)
        if prepare:
            self.evaluate(prepare)
        time.sleep(1.5)   # fonts, avatars and the last rendering pass
        if self.evaluate('!!document.querySelector(".oe_login_form")'):
            raise RuntimeError('%s showed the login page' % url)
        png = base64.b64decode(self.send('Page.captureScreenshot', format='png')['data'])
        with open(path, 'wb') as handle:
            handle.write(png)
        print('screenshots: %s (%d KiB)' % (path, len(png) // 1024))

    def close(self):
        try:
            self.send('Browser.close')
        except Exception:  # noqa: BLE001 - it is going away anyway
            pass
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def write_index_html(root):
    """static/description/index.html, the Apps page, rendered from README.rst as OCA addons do (Odoo serves
    the pictures beside it: their paths are made relative to static/description/)."""
    from docutils.core import publish_string
    with open(os.path.join(root, 'README.rst'), encoding='utf-8') as handle:
        source = handle.read()
    html = publish_string(source=source, writer_name='html5', settings_overrides={
        'embed_stylesheet': False, 'stylesheet_path': '', 'output_encoding': 'unicode', 'xml_declaration': False,
        'report_level': 5, 'halt_level': 5, 'file_insertion_enabled': False, 'raw_enabled': False})
    html = html.replace('src="static/description/', 'src="')
    path = os.path.join(root, 'static', 'description', 'index.html')
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(html)
    print('screenshots: %s rendered from README.rst' % path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--odoo', default='http://127.0.0.1:8069')
    parser.add_argument('--sandbox', default='http://127.0.0.1:8090')
    parser.add_argument('--db', default='paylocity_demo')
    parser.add_argument('--root', required=True, help="the addon's folder")
    parser.add_argument('--index-only', action='store_true', help="only render index.html from README.rst")
    parser.add_argument('--chromium', default=shutil.which('chromium') or shutil.which('chromium-browser'))
    args = parser.parse_args()
    out = os.path.join(args.root, 'static', 'description')
    if args.index_only:
        return write_index_html(args.root)
    if not args.chromium:
        sys.exit('screenshots: no chromium on the PATH (tools/bootstrap installs it)')

    odoo = Odoo(args.odoo, args.db, 'admin', 'admin')
    ids = play_the_story(odoo, Sandbox(args.sandbox))
    browser = Chromium(args.chromium)
    try:
        browser.send('Network.enable')
        host = args.odoo.split('//', 1)[1].split(':')[0].split('/')[0]
        browser.send('Network.setCookie', name='session_id', value=odoo.session_id, domain=host, path='/')
        base = args.odoo.rstrip('/') + '/odoo/'
        action = 'action-paylocity_connector.'
        form = '.o_form_view .o_form_sheet_bg'
        shots = [
            ('overview', 'paylocity', '.o_kanban_renderer .o_kanban_record', None),
            ('connection', '%saction_paylocity_connection/%d' % (action, ids['connection']), form, None),
            ('events', action + 'action_paylocity_event', '.o_list_renderer .o_data_row', None),
            ('pay_run', '%saction_paylocity_pay_run/%d' % (action, ids['posted_run']), form, None),
            ('pay_run_needs_mapping', '%saction_paylocity_pay_run/%d' % (action, ids['held_run']), form, None),
            ('mappings', action + 'action_paylocity_gl_rule', '.o_list_renderer .o_data_row', None),
        ]
        if ids['failed_event']:
            shots.append(('event_failed', '%saction_paylocity_event/%d' % (action, ids['failed_event']), form, None))
        for name, path, ready, prepare in shots:
            browser.shoot(base + path, ready, os.path.join(out, 'screenshot_%s.png' % name), prepare)
    finally:
        browser.close()
    write_index_html(args.root)


if __name__ == '__main__':
    main()
