"""Bench, issue 5: employee sync of 2,000 employees in a real Odoo 19.0 against the sandbox.

Measures, on one throw-away database:

* the Odoo floor: creating the same number of employees directly (one ``create`` call for all, and one call per
  employee), then writing one field on each, with the same values the sync writes, in a company of their own;
* the first reconciliation of a connection (WebLink: list + one GET per employee through the client's fan-out;
  and NextGen: the coreHr batch), and a re-sync with nothing changed, each with API calls, seconds and the rows
  it wrote (hr_employee, hr_version, paylocity_employee, res_partner by write_date; mail_message by id).

    /opt/paylocity-venv/bin/python bench/bench_employee_sync.py [--employees 2000] [--rate 25]
        [--nextgen-rate 3] [--families weblink,nextgen] [--write]   # --write updates bench/RESULTS.md

It starts its own PostgreSQL (tools/lib/odoo_env.sh: fsync off, as the tests run it) and runs the measurement in
``odoo-bin shell`` (a real registry and cursor; the sync commits after each chunk as its cron does), with the
sandbox in the same process on 127.0.0.1 at Paylocity's rate limits, and stops everything at the end.
"""

import benchlib

HEADING = "## Employee sync (issue 5)"
DB = "bench_employees"

# Runs inside `odoo-bin shell` (``env`` is given); prints one line "RESULT <json>".
MEASURE = r'''
import json, time
from odoo import Command
from odoo.addons.paylocity_connector.sandbox import SandboxServer
from odoo.addons.paylocity_connector.paylocity.hosts import sandbox_hosts

N, RATE, NG_RATE, FAMILIES = %(employees)d, %(rate)s, %(nextgen_rate)s, %(families)r
env = env(context=dict(env.context, tracking_disable=False))
cr = env.cr
srv = SandboxServer(seed=5, employees=N, companies=('C1001', 'C2002'), weblink_rate_limit=RATE,
                    nextgen_rate_limit=NG_RATE, history_runs=1).start()
hosts = sandbox_hosts(srv.base_url)
result = {'employees': N}


def counts(since, message_id):
    out = {}
    for table in ('hr_employee', 'hr_version', 'paylocity_employee', 'res_partner'):
        cr.execute('SELECT count(*) FROM %%s WHERE write_date >= %%%%s' %% table, (since,))
        out[table] = cr.fetchone()[0]
    cr.execute('SELECT count(*) FROM mail_message WHERE id > %%s', (message_id,))
    out['mail_message'] = cr.fetchone()[0]
    return out


def mark():
    cr.commit()
    cr.execute("SELECT now() AT TIME ZONE 'UTC', (SELECT coalesce(max(id), 0) FROM mail_message)")
    since, message_id = cr.fetchone()
    cr.commit()
    return since, message_id, len(srv.calls)


def api_calls(start):
    calls = srv.calls[start:]
    return {'total': len(calls), 'weblink': sum(1 for c in calls if c.family == 'weblink'),
            'nextgen': sum(1 for c in calls if c.family == 'nextgen'),
            'token': sum(1 for c in calls if c.family == 'token'),
            'http_429': sum(1 for c in calls if c.status == 429)}


# --- Odoo floor: the same people created and written directly ---------------------------------------
people = srv.company('C1001').sorted_employees()
floor_company = env['res.company'].create({'name': 'Floor Co'})
E = env['hr.employee'].with_company(floor_company)
departments = {code: env['hr.department'].create({'name': 'Floor %%s' %% code, 'company_id': floor_company.id})
               for code in {p.cost_center2 for p in people}}
jobs = {code: env['hr.job'].create({'name': 'Floor %%s' %% code, 'company_id': floor_company.id})
        for code in {p.position_code for p in people}}
locations = {code: env['hr.work.location'].create({'name': code, 'company_id': floor_company.id,
                                                   'address_id': floor_company.partner_id.id})
             for code in {p.work_location for p in people}}
cr.commit()


def vals(p):
    return {'name': '%%s %%s' %% (p.preferred_name or p.first_name, p.last_name), 'company_id': floor_company.id,
            'work_email': p.work_email, 'work_phone': p.work_phone, 'mobile_phone': p.work_mobile_phone,
            'job_title': p.job_title, 'department_id': departments[p.cost_center2].id,
            'job_id': jobs[p.position_code].id, 'work_location_id': locations[p.work_location].id,
            'employee_type': 'employee'}


started = time.perf_counter()
batch = E.create([vals(p) for p in people])
env.flush_all()
result['floor_create_batch'] = time.perf_counter() - started
cr.rollback()
started = time.perf_counter()
single = E.browse()
for p in people:
    single |= E.create(vals(p))
env.flush_all()
result['floor_create_single'] = time.perf_counter() - started
cr.commit()
started = time.perf_counter()
for employee in single:
    employee.write({'job_title': 'Floor title %%d' %% employee.id})
env.flush_all()
result['floor_write_single'] = time.perf_counter() - started
cr.rollback()

# --- the sync, per API family ------------------------------------------------------------------------
companies = {'weblink': env.company, 'nextgen': env['res.company'].create({'name': 'NextGen Co'})}
paylocity = {'weblink': 'C1001', 'nextgen': 'C2002'}
for family in FAMILIES:
    pid = paylocity[family]
    connection = env['paylocity.connection'].create({
        'name': 'Bench %%s' %% family, 'paylocity_company_code': pid, 'company_id': companies[family].id,
        'weblink_base_url': hosts.weblink_base, 'weblink_token_url': hosts.weblink_token,
        'nextgen_base_url': hosts.nextgen_base, 'nextgen_token_url': hosts.nextgen_token,
        'department_level': '2'}).with_context(
            paylocity_client_options={'weblink_rate': RATE, 'nextgen_rate': NG_RATE})
    creds = srv.credentials(pid)
    connection._set_credentials('weblink', creds.weblink_client_id, creds.weblink_client_secret)
    if family == 'nextgen':
        connection._set_credentials('nextgen', creds.nextgen_client_id, creds.nextgen_client_secret)
    cr.commit()
    started_at, message_id, call_mark = mark()
    started = time.perf_counter()
    summary = connection._import_reference_data()
    result['%%s_reference' %% family] = {'seconds': time.perf_counter() - started, 'api': api_calls(call_mark),
                                          'summary': summary}
    for run in ('first', 'resync'):
        started_at, message_id, call_mark = mark()
        started = time.perf_counter()
        done = connection._poll_employees()
        seconds = time.perf_counter() - started
        cr.commit()
        result['%%s_%%s' %% (family, run)] = {
            'seconds': seconds, 'done': done, 'api': api_calls(call_mark),
            'writes': counts(started_at, message_id), 'summary': connection.employee_poll_message}
    result['%%s_bound' %% family] = env['paylocity.employee'].search_count([('connection_id', '=', connection.id)])
    result['%%s_active' %% family] = env['hr.employee'].search_count([('company_id', '=', companies[family].id)])
    result['%%s_departments' %% family] = env['hr.department'].search_count(
        [('company_id', '=', companies[family].id)])
cr.execute('SELECT version()')
result['postgres'] = cr.fetchone()[0].split(',')[0]
srv.stop()
print('RESULT ' + json.dumps(result, default=str))
'''


def render(args, r, info):
    n = r["employees"]
    rows = []
    labels = {"weblink": "WebLink (list + GET each, fan-out)", "nextgen": "NextGen (coreHr batch, 20 per page)"}
    for family in args.families.split(","):
        for run, label in (("first", "first sync"), ("resync", "re-sync, nothing changed")):
            m = r["%s_%s" % (family, run)]
            w = m["writes"]
            api = m["api"]
            rows.append("| %s | %s | %.1f | %.1f | %d (%d WebLink, %d NextGen, %d token; %d × 429) | %d / %d / %d / %d "
                        "/ %d |" % (
                            labels[family], label, m["seconds"], 1000.0 * m["seconds"] / n, api["total"],
                            api["weblink"], api["nextgen"], api["token"], api["http_429"], w["hr_employee"],
                            w["hr_version"], w["paylocity_employee"], w["res_partner"], w["mail_message"]))
    floor = [
        "| Odoo floor: `create` of all %d in one call | %.1f | %.1f |" % (n, r["floor_create_batch"],
                                                                           1000.0 * r["floor_create_batch"] / n),
        "| Odoo floor: `create` one employee per call | %.1f | %.1f |" % (r["floor_create_single"],
                                                                          1000.0 * r["floor_create_single"] / n),
        "| Odoo floor: `write` of one tracked field, one employee per call | %.1f | %.1f |" % (
            r["floor_write_single"], 1000.0 * r["floor_write_single"] / n),
    ]
    rates = {"weblink": args.rate, "nextgen": args.nextgen_rate}
    paces = []
    for family in args.families.split(","):
        first = r["%s_first" % family]
        calls = first["api"]["weblink"] if family == "weblink" else first["api"]["nextgen"]
        paces.append("%s: %d calls at %g/s take at least %.1f s; the first sync took %.1f s more (%d employees "
                     "created), the re-sync %.1f s more" % (
                         {"weblink": "WebLink", "nextgen": "NextGen"}[family], calls, rates[family],
                         calls / rates[family], first["seconds"] - calls / rates[family],
                         first["writes"]["paylocity_employee"],
                         r["%s_resync" % family]["seconds"] - calls / rates[family]))
    notes = []
    for family in args.families.split(","):
        notes.append("%s: %s bindings, %s employees in the company, %s departments; reference data %.1f s (%d "
                     "calls: %s); first run: %s" % (
                         family, r["%s_bound" % family], r["%s_active" % family], r["%s_departments" % family],
                         r["%s_reference" % family]["seconds"], r["%s_reference" % family]["api"]["total"],
                         r["%s_reference" % family]["summary"], r["%s_first" % family]["summary"]))
    return "\n".join([
        HEADING,
        "",
        "`/opt/paylocity-venv/bin/python bench/bench_employee_sync.py --employees %d --rate %g --nextgen-rate %g` — "
        "a real Odoo 19.0 (`odoo-bin shell`: real registry and cursor; the reconciliation commits after each chunk "
        "of 100 as its cron does) on a throw-away PostgreSQL (fsync off, as the test command runs it), against the "
        "sandbox in the same process on 127.0.0.1 with %d employees per company, rate-limited like Paylocity "
        "(WebLink %g calls/s, NextGen %g calls/s; the client paces itself to the same limits). Each sandbox company "
        "has its own Odoo company and connection; departments from cost-center level 2." % (
            n, args.rate, args.nextgen_rate, n, args.rate, args.nextgen_rate),
        "",
        "| path | run | seconds | ms / employee | API calls | rows written: hr_employee / hr_version / "
        "paylocity_employee / res_partner / mail_message |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "| Odoo floor, same %d people and values (departments, jobs, work locations, phones, e-mails) | seconds | "
        "ms / employee |" % n,
        "| --- | --- | --- |",
        *floor,
        "",
        "Rate-limit floor — " + "; ".join(paces) + ". WebLink reads the next chunk of 100 while Odoo applies the "
        "current one, so its Odoo work hides behind the API pace; NextGen reads every page first (its cursor needs "
        "the full, sorted list), then applies. New employees of a chunk are created in one `create` call, which is "
        "why the sync's Odoo time per employee is near the floor's batch figure and far below one call each.",
        "",
        "Rows written = rows whose `write_date` is inside the run (created or updated), and messages created. "
        "The re-sync's only writes are the connection's own run state (cursor, last-run summary), not counted "
        "above. " + " ".join(notes),
        "",
        benchlib.machine_line(info, r.get("postgres", "PostgreSQL")),
        "",
    ])


def options(parser):
    benchlib.add_payroll_options(parser)
    parser.add_argument("--nextgen-rate", type=float, default=3, help="NextGen calls per second")
    parser.add_argument("--families", default="weblink,nextgen")


def main():
    args = benchlib.parse_args(__doc__, options)
    info = benchlib.machine_info()
    script = MEASURE % {"employees": args.employees, "rate": args.rate, "nextgen_rate": args.nextgen_rate,
                        "families": tuple(args.families.split(","))}
    result = benchlib.measure_in_odoo("paylocity-bench-employees.", DB, script, keep=args.keep)
    benchlib.report(args, HEADING, result, render(args, result, info))


if __name__ == "__main__":
    main()
