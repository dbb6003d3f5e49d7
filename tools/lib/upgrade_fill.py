# Run by tools/test-upgrade inside `odoo-bin shell` of the BASE revision: fills the database through that
# revision's own code paths (crons and intake), so the upgrade meets data as production makes it.
# Only cron methods and the demo connection are relied upon, with a field name looked up where it was renamed.
import datetime
import json
import os

import requests

SANDBOX = os.environ['SANDBOX_URL']
connection = env.ref('paylocity_connector.demo_connection_sandbox')
# Since 19.0.2.1.0 a new host forgets the secret given for the old one: the demo's pairs are set again after.
pairs = {family: connection._get_credentials(family) for family in ('weblink', 'nextgen')}
expiry = {family: connection['%s_secret_expiry' % family] for family in pairs}
connection.write({
    'weblink_base_url': SANDBOX + '/api',
    'weblink_token_url': SANDBOX + '/IdentityServer/connect/token',
    'nextgen_base_url': SANDBOX,
    'nextgen_token_url': SANDBOX + '/public/security/v1/token',
})
for family, pair in pairs.items():
    if pair and not connection._get_credentials(family):
        connection._set_credentials(family, pair.client_id, pair.client_secret, expiry[family])


def field(model, *names):
    return next(name for name in names if name in env[model]._fields)


# A tracked change of the company identifier, and back: chatter tracking values point at the renamed field.
company_field = field('paylocity.connection', 'paylocity_company_code', 'paylocity_company_id')
connection.write({company_field: 'C1001X'})
connection.write({company_field: 'C1001'})
env.cr.commit()

Connection = env['paylocity.connection']
Connection._cron_import_reference_data()
Connection._cron_poll_employees()
env.cr.commit()

today = datetime.date.today()
requests.post(SANDBOX + '/_sandbox/companies/C1001/payroll', json={'check_date': today.isoformat()},
              timeout=30).raise_for_status()
Connection._cron_poll_pay_runs()
env.cr.commit()
Event, PayRun = env['paylocity.event'], env['paylocity.pay.run']
for _round in range(20):
    Event._cron_process_events()
    PayRun._cron_process_pay_runs()
    env.cr.commit()
    if not Event.search_count([('state', 'in', ('received', 'retrying'))]) and \
            not PayRun.search_count([('next_try_at', '!=', False)]):
        break

# A webhook delivery of an employee change, stored and processed like intake does.
from odoo.addons.paylocity_connector.paylocity.webhooks import classify  # noqa: E402
employee_field = field('paylocity.employee', 'paylocity_employee_code', 'paylocity_employee_id')
binding = env['paylocity.employee'].search([('connection_id', '=', connection.id)], limit=1)
body = {'companyId': 'C1001', 'employeeId': binding[employee_field]}
Event._store_delivery(connection, classify(body), json.dumps(body).encode(),
                      {'remote_addr': '127.0.0.1', 'headers': {}})
# A New Hire delivery as Paylocity sends it, personal fields included (fictitious values): the upgrade reduces its
# stored payload to the allow-list.
hired = requests.post(SANDBOX + '/_sandbox/companies/C1001/hire', json={}, timeout=30).json()['employeeId']
body = {'companyId': 'C1001', 'employeeId': hired, 'employeeFirstName': 'Ada', 'employeeLastName': 'Lovelace',
        'employeeGender': 'F', 'employeeMaritalStatus': 'S', 'employeeAddressLine1': '1 Main St',
        'employeeCity': 'Springfield', 'employeeZip': '62701', 'employeeEEOClass': '2',
        'employeeHireDate': today.isoformat() + 'T00:00:00Z', 'employeeType': 'Regular Full Time',
        'employeeCostCenter1': '11 - Software Development'}
Event._store_delivery(connection, classify(body), json.dumps(body).encode(),
                      {'remote_addr': '127.0.0.1', 'headers': {}})
Event._cron_process_events()
env.cr.commit()

counts = {model: env[model].sudo().with_context(active_test=False).search_count([]) for model in (
    'paylocity.employee', 'paylocity.code', 'paylocity.event', 'paylocity.pay.run', 'paylocity.pay.run.employee',
    'paylocity.pay.run.statement', 'paylocity.pay.run.line', 'paylocity.gl.rule', 'account.move')}
posted = PayRun.search_count([('move_id', '!=', False)])
print('FILLED', json.dumps(counts, sort_keys=True), 'pay runs with an entry:', posted, flush=True)
if not all(counts[m] for m in ('paylocity.employee', 'paylocity.event', 'paylocity.pay.run.line',
                               'paylocity.gl.rule')) or not posted:
    raise SystemExit("the base revision did not produce the data the upgrade test needs")
