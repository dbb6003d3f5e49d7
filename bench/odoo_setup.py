"""Set-up the Odoo benchmarks share, for their scripts inside ``odoo-bin shell`` (``Stack.measure`` puts bench/
on their ``sys.path``): a company with a chart of accounts, a connection to the sandbox, bindings of its people."""
from odoo import Command
from odoo.addons.paylocity_connector.paylocity.hosts import sandbox_hosts


def accounting_company(env, name, accounts):
    """A US company with the generic chart and the ``accounts`` ``(key, code, account type)`` created in it;
    returns (company, an env whose allowed company it is, {key: account}). Commits."""
    company = env['res.company'].create({'name': name, 'country_id': env.ref('base.us').id})
    env['account.chart.template'].try_loading('generic_coa', company=company, install_demo=False)
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    env.cr.commit()
    Account = env['account.account'].with_company(company)
    return company, env, {key: Account.create({'code': code, 'name': key, 'account_type': kind,
                                               'company_ids': [Command.set([company.id])]})
                          for key, code, kind in accounts}


def sandbox_connection(env, srv, company, name, **values):
    """A payroll connection of ``company`` to the sandbox's C1001 (no employee sync), with its WebLink pair."""
    hosts = sandbox_hosts(srv.base_url)
    connection = env['paylocity.connection'].create({
        'name': name, 'paylocity_company_code': 'C1001', 'company_id': company.id,
        'weblink_base_url': hosts.weblink_base, 'weblink_token_url': hosts.weblink_token,
        'nextgen_base_url': hosts.nextgen_base, 'nextgen_token_url': hosts.nextgen_token,
        'sync_employees': False, 'analytic_level': '2', 'payroll_start_date': '2020-01-01', **values})
    creds = srv.credentials('C1001')
    connection._set_credentials('weblink', creds.weblink_client_id, creds.weblink_client_secret)
    return connection


def bind_people(env, connection, company, people):
    """An Odoo employee and a binding for each sandbox person, as the employee sync would make them."""
    employees = env['hr.employee'].with_company(company).create(
        [{'name': p.display_name, 'company_id': company.id} for p in people])
    env['paylocity.employee'].create([{
        'connection_id': connection.id, 'paylocity_employee_code': p.employee_id, 'employee_id': e.id,
        'status_type': p.status_type, 'termination_date': p.termination_date or False,
        'cost_center1': p.cost_center1, 'cost_center2': p.cost_center2, 'cost_center3': p.cost_center3}
        for p, e in zip(people, employees)])


def fetch_run(env, connection, sandbox_run, source):
    """The sandbox's ``sandbox_run`` announced (from ``source``) and processed by the pay-run cron, as it would be
    in production; commits. Returns the pay run."""
    PayRun = env['paylocity.pay.run']
    run, _created = PayRun._get_or_create(connection, sandbox_run.check_date, sandbox_run.run_id, source=source)
    run._request_processing()
    env.cr.commit()
    PayRun._cron_process_pay_runs()
    env.cr.commit()
    return run
