"""Bench, issue 6: a 2,000-employee pay run end to end in a real Odoo 19.0 against the sandbox at Paylocity's rate
limit, beside the API floor (calls ÷ 25 calls/s) and the Odoo floor (the same entry created and posted directly).

Measures, on one throw-away database:

* the pay run through the connector, as its cron runs it: every bound employee asked for the check date's
  summaries (and the paid ones for their details) through the client's fan-out at 25 calls/s, the statements
  stored batch by batch (committed), the entry built by the journal builder and posted — API calls, seconds per
  phase, and the fraction of the time spent beyond the rate-limit floor;
* the Odoo floor: an ``account.move`` with the same lines (accounts, amounts, analytic accounts, partners)
  created and posted directly, at the aggregate level and at the per-employee level (the connector's own
  build-and-post at that level is measured on the same stored statements through a confirmed re-post).

    /opt/paylocity-venv/bin/python bench/bench_payroll.py [--employees 2000] [--rate 25] [--write]

It starts its own PostgreSQL (tools/lib/odoo_env.sh: fsync off, as the tests run it) and runs the measurement in
``odoo-bin shell`` (a real registry and cursor; the fetch commits after each batch of 200 employees as the cron
does), with the sandbox in the same process on 127.0.0.1, and stops everything at the end.
"""

import benchlib

HEADING = "## Payroll posting (issue 6)"
DB = "bench_payroll"

# Runs inside `odoo-bin shell` (``env`` is given); prints one line "RESULT <json>".
MEASURE = r'''
import json, time
from decimal import Decimal
from odoo import Command
from odoo.addons.paylocity_connector.sandbox import SandboxServer
from odoo_setup import accounting_company, bind_people, fetch_run, sandbox_connection

N, RATE = %(employees)d, %(rate)s
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
cr = env.cr
result = {'employees': N}
started = time.perf_counter()
srv = SandboxServer(seed=6, employees=N, companies=('C1001',), weblink_rate_limit=RATE, history_runs=1).start()
result['sandbox_seconds'] = time.perf_counter() - started
data = srv.company('C1001')
regular = data.runs_on(max(r.check_date for r in data.pay_runs))[0]

# --- accounting set-up: a company with a chart, payroll accounts, analytic accounts per department ------
company, env, acc = accounting_company(env, 'Bench Payroll Co', (
    ('wages', 'B6101', 'expense'), ('overtime', 'B6102', 'expense'), ('bonus', 'B6103', 'expense'),
    ('er_tax', 'B6104', 'expense'), ('k401', 'B2301', 'liability_current'), ('benefits', 'B2302', 'liability_current'),
    ('federal', 'B2303', 'liability_current'), ('state', 'B2304', 'liability_current'),
    ('futa', 'B2305', 'liability_current'), ('net', 'B2309', 'liability_current')))
irs = env['res.partner'].create({'name': 'IRS', 'company_id': company.id})
plan = env['account.analytic.plan'].create({'name': 'Departments'})
connection = sandbox_connection(env, srv, company, 'Bench payroll', payroll_net_pay_account_id=acc['net'].id
                                ).with_context(paylocity_client_options={'weblink_rate': RATE})
Code = env['paylocity.code']
codes = {}
for resource, code_type in (('earnings', 'earning'), ('deductions', 'deduction'), ('taxes', 'tax'),
                            ('costcenter2', 'costcenter2')):
    for code, name in data.codes(resource):
        codes[(code_type, code)] = Code.create({'connection_id': connection.id, 'code_type': code_type,
                                                'code': code, 'name': name})
for code, name in data.codes('costcenter2'):
    codes[('costcenter2', code)].analytic_account_id = env['account.analytic.account'].create(
        {'name': name, 'plan_id': plan.id, 'company_id': company.id})
mapping = {'REG': ('wages', None), 'OT': ('overtime', None), 'BONUS': ('bonus', None),
           '401K': (None, 'k401'), 'MED': (None, 'benefits'), 'DEN': (None, 'benefits'),
           'FITW': (None, 'federal'), 'SITW': (None, 'state'), 'FICA': (None, 'federal'), 'MEDI': (None, 'federal'),
           'FICA-ER': ('er_tax', 'federal'), 'MEDI-ER': ('er_tax', 'federal'), 'FUTA': ('er_tax', 'futa'),
           'SUTA': ('er_tax', 'state')}
for code, (debit, credit) in mapping.items():
    code_type = 'earning' if credit is None else ('deduction' if code in ('401K', 'MED', 'DEN') else 'tax')
    env['paylocity.gl.rule'].create({
        'connection_id': connection.id, 'code_id': codes[(code_type, code)].id,
        'debit_account_id': debit and acc[debit].id, 'credit_account_id': credit and acc[credit].id,
        'analytic_mode': 'employee' if debit else 'none', 'partner_id': irs.id if credit == 'federal' else False})
started = time.perf_counter()
bind_people(env, connection, company, data.sorted_employees())
result['bindings_seconds'] = time.perf_counter() - started
cr.commit()

# Warm-up: the first entry a process makes loads sequences and caches; neither side should pay for it.
warm = env['account.move'].with_company(company).create({
    'move_type': 'entry', 'journal_id': connection.journal_id.id, 'line_ids': [
        Command.create({'account_id': acc['wages'].id, 'debit': 1.0}),
        Command.create({'account_id': acc['net'].id, 'credit': 1.0})]})
warm.action_post()
cr.rollback()

# --- the pay run, as the processing cron runs it ---------------------------------------------------
PayRun = type(env['paylocity.pay.run'])
phases = {'fetch': 0.0, 'build': 0.0, 'post': 0.0}


def timed(name, method):
    def wrapper(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            phases[name] += time.perf_counter() - t
    return wrapper


PayRun._fetch = timed('fetch', PayRun._fetch)
PayRun._build = timed('build', PayRun._build)
PayRun._post_entry = timed('post', PayRun._post_entry)
run, _created = env['paylocity.pay.run']._get_or_create(connection, regular.check_date, regular.run_id,
                                                        source='webhook')
run._request_processing()
cr.commit()
srv.reset_calls()
started = time.perf_counter()
env['paylocity.pay.run']._cron_process_pay_runs()
result['end_to_end_seconds'] = time.perf_counter() - started
cr.commit()
calls = srv.calls
result['api'] = {'total': len(calls), 'token': sum(1 for c in calls if c.family == 'token'),
                 'summary': sum(1 for c in calls if '/paystatement/summary/' in c.path),
                 'details': sum(1 for c in calls if '/paystatement/details/' in c.path),
                 'list': sum(1 for c in calls if c.path.rstrip('/').endswith('/employees')),
                 'http_429': sum(1 for c in calls if c.status == 429)}
if calls:
    result['api']['span_seconds'] = max(c.at for c in calls) - min(c.at for c in calls)
result['phases'] = dict(phases)
run.invalidate_recordset()
move = run.move_id
result['run'] = {'state': run.state, 'asked': run.fetch_total, 'paid': run.paid_count,
                 'statements': len(run.statement_ids), 'source_lines': len(run.line_ids),
                 'entry_lines': len(move.line_ids), 'move_state': move.state,
                 'balanced': str(sum(Decimal(str(l.debit)) - Decimal(str(l.credit)) for l in move.line_ids)),
                 'paylocity_gross': run.paylocity_gross, 'sandbox_gross': str(sum(s.gross for s in regular.statements)),
                 'hold': run.hold_reason, 'error': run.last_error}


def floor(source_move):
    """Create and post an entry with the same lines directly, timed (create, post)."""
    lines = [Command.create({'account_id': l.account_id.id, 'name': l.name, 'debit': l.debit, 'credit': l.credit,
                             'partner_id': l.partner_id.id, 'analytic_distribution': l.analytic_distribution})
             for l in source_move.line_ids]
    vals = {'move_type': 'entry', 'journal_id': source_move.journal_id.id, 'date': source_move.date,
            'ref': 'floor', 'line_ids': lines}
    t = time.perf_counter()
    floor_move = env['account.move'].with_company(company).create(vals)
    env.flush_all()
    created = time.perf_counter() - t
    t = time.perf_counter()
    floor_move.action_post()
    env.flush_all()
    posted = time.perf_counter() - t
    cr.rollback()
    return {'lines': len(lines), 'create': created, 'post': posted}


result['floor_aggregate'] = floor(move)

# --- the per-employee level: the same stored statements, built and posted again (a confirmed re-post) ---
move._reverse_moves([{'date': move.date}], cancel=True)
connection.payroll_detail_level = 'employee'
cr.commit()
for key in phases:
    phases[key] = 0.0
started = time.perf_counter()
run._repost('bench: per-employee entry')
result['employee_level_seconds'] = time.perf_counter() - started
cr.commit()
result['employee_phases'] = dict(phases)
run.invalidate_recordset()
result['employee_run'] = {'state': run.state, 'entry_lines': len(run.move_id.line_ids),
                          'generation': run.move_id.paylocity_generation}
result['floor_employee'] = floor(run.move_id)

# --- never twice, with real concurrent transactions (tests cannot commit, so it is checked here) ----------
import threading
from odoo import SUPERUSER_ID, api
from odoo.addons.paylocity_connector.models.paylocity_pay_run import RunBusy

off_cycle = data.runs_on(regular.check_date)[1]
connection.write({'payroll_posting': 'manual', 'payroll_detail_level': 'aggregate'})
run2 = fetch_run(env, connection, off_cycle, 'poll')
run2.invalidate_recordset()
Move = env['account.move']


def race(work, workers=3):
    """``work(run)`` in ``workers`` threads, each in its own transaction, released together."""
    barrier = threading.Barrier(workers)
    outcomes = []

    def worker():
        with env.registry.cursor() as wcr:
            wenv = api.Environment(wcr, SUPERUSER_ID, {})
            wrun = wenv['paylocity.pay.run'].browse(run2.id)
            barrier.wait()
            try:
                work(wrun)
                wcr.commit()
                outcomes.append('committed')
            except RunBusy:
                wcr.rollback()
                outcomes.append('busy')
            except Exception as exc:  # noqa: BLE001 - reported
                wcr.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cr.commit()
    return sorted(outcomes), Move.search_count([('paylocity_pay_run_id', '=', run2.id)])


# 1. The real path (webhook handler, cron and Post button at once): each takes the run's row lock first.
race_locked = race(lambda wrun: wrun.with_context(paylocity_post_now=True)._process_one())
# 2. Lock bypassed on purpose (a re-post confirmed, then three posts straight away): only the unique index
#    on (run, generation) stands between them.
run2.invalidate_recordset()
run2._set_state('fetched')   # built again from its stored statements, as for a re-post (rolled back)
built = run2._build()
cr.rollback()
run2.move_id._reverse_moves([{'date': run2.move_id.date}], cancel=True)
run2._set_state('fetched', {'repost_confirmed': True})
run2._set_state('ready')
cr.commit()
race_unlocked = race(lambda wrun: wrun._post_entry(built))
run2.invalidate_recordset()
result['race'] = {'locked': race_locked, 'unlocked': race_unlocked, 'generations': sorted(
    Move.search([('paylocity_pay_run_id', '=', run2.id)]).mapped('paylocity_generation')),
    'off_cycle_paid': run2.paid_count}
cr.execute('SELECT version()')
result['postgres'] = cr.fetchone()[0].split(',')[0]
srv.stop()
print('RESULT ' + json.dumps(result, default=str))
'''


def render(args, r, info):
    api, run, phases = r["api"], r["run"], r["phases"]
    calls = api["total"]
    api_floor = calls / args.rate
    total = r["end_to_end_seconds"]
    fetch = phases["fetch"]
    agg, emp = r["floor_aggregate"], r["floor_employee"]
    emp_phases = r["employee_phases"]
    return "\n".join([
        HEADING,
        "",
        "`/opt/paylocity-venv/bin/python bench/bench_payroll.py --employees %d --rate %s` — a real Odoo 19.0 "
        "(`odoo-bin shell`: real registry and cursor; the processing cron's own method, which commits after each "
        "batch of 200 employees) on a throw-away PostgreSQL (fsync off, as the test command runs it), against the "
        "sandbox in the same process on 127.0.0.1 with %d employees, limited like Paylocity's WebLink to %s calls/s "
        "(the client paces itself to the same limit, 8 workers). The run is the sandbox's latest regular pay run; "
        "every employee who could have been paid is asked: the bound ones (active, on leave, terminated within 45 "
        "days) and any that Paylocity's employee list shows active but Odoo has not bound yet." % (
            r["employees"], args.rate, r["employees"], args.rate),
        "",
        "| measure | value |",
        "| --- | --- |",
        "| employees asked / paid / pay statements / detail lines stored | %d / %d / %d / %d |" % (
            run["asked"], run["paid"], run["statements"], run["source_lines"]),
        "| API calls (employee list pages + summaries + details + token) | %d (%d + %d + %d + %d), %d × 429 |" % (
            calls, api.get("list", calls - api["summary"] - api["details"] - api["token"]), api["summary"],
            api["details"], api["token"], api["http_429"]),
        "| rate-limit floor (calls ÷ %s/s) | %.1f s |" % (args.rate, api_floor),
        "| end to end (claim → fetch → build → post) | **%.1f s** |" % total,
        "| of which fetch (API + storing the statements) / build / post | %.1f s / %.2f s / %.2f s |" % (
            fetch, phases["build"], phases["post"]),
        "| time beyond the rate-limit floor, end to end | **%.1f %%** (%.1f s) |" % (
            100.0 * (total - api_floor) / total, total - api_floor),
        "| time beyond the floor, fetch only | %.1f %% |" % (100.0 * (fetch - api_floor) / fetch),
        "| entry | %s, %d lines, balanced (Σ debit − Σ credit = %s), gross %s = sandbox's %s |" % (
            run["move_state"], run["entry_lines"], run["balanced"], run["paylocity_gross"], run["sandbox_gross"]),
        "",
        "| Odoo posting | lines | connector: build + post | Odoo floor: create + post the same entry directly |",
        "| --- | --- | --- | --- |",
        "| aggregate (default) | %d | %.2f s + %.2f s | %.2f s + %.2f s = %.2f s |" % (
            agg["lines"], phases["build"], phases["post"], agg["create"], agg["post"], agg["create"] + agg["post"]),
        "| one set per employee | %d | %.2f s + %.2f s | %.2f s + %.2f s = %.2f s |" % (
            emp["lines"], emp_phases["build"], emp_phases["post"], emp["create"], emp["post"],
            emp["create"] + emp["post"]),
        "",
        "Build = reading the stored statements back (SQL, amounts as text into `Decimal`), the journal builder, and "
        "recording totals and checks on the run; post = the connector's `account.move` create + post (in a savepoint, "
        "with its link back to the run). The per-employee row is the same run re-posted after reversing its "
        "aggregate entry (a confirmed re-post: generation %s, %s). Set-up, not timed above: sandbox generation %.1f s, "
        "%d employees and bindings created %.1f s." % (
            r["employee_run"]["generation"], r["employee_run"]["state"], r["sandbox_seconds"], r["employees"],
            r["bindings_seconds"]),
        "",
        "Never twice, with real concurrent transactions (which the Odoo tests cannot commit): the off-cycle run of "
        "the same check date (%d employees paid) fetched and ready, then processed by three workers released "
        "together, each in its own transaction as a webhook handler, the cron and the Post button would: %s → "
        "**%d entry**. Then, lock bypassed on purpose (entry reversed, re-post confirmed, three workers posting "
        "straight away): %s → %d entries in all, generations %s — the unique index on (run, generation) refused "
        "the others." % (
            r["race"]["off_cycle_paid"], ", ".join(r["race"]["locked"][0]), r["race"]["locked"][1],
            ", ".join(r["race"]["unlocked"][0]), r["race"]["unlocked"][1], r["race"]["generations"]),
        "",
        benchlib.machine_line(info, r.get("postgres", "PostgreSQL")),
        "",
    ])


def main():
    args = benchlib.parse_args(__doc__, benchlib.add_payroll_options)
    info = benchlib.machine_info()
    script = MEASURE % {"employees": args.employees, "rate": args.rate}
    result = benchlib.measure_in_odoo("paylocity-bench-payroll.", DB, script, keep=args.keep)
    benchlib.report(args, HEADING, result, render(args, result, info))


if __name__ == "__main__":
    main()
