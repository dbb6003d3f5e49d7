"""Bench, issue 11: the daily verification of a month of posted pay runs for 2,000 employees when nothing changed,
beside today's daily pay-run discovery alone, in a real Odoo 19.0 against the sandbox at Paylocity's rate limit.

On one throw-away database: the sandbox's pay runs of the last month (biweekly regular runs and an off-cycle run)
are fetched and posted by the connector's own processing cron (quickly: no rate limit during set-up); then the daily
discovery (``paylocity.connection._poll_pay_runs``) is run at 25 calls/s, alternately with verification off
(``payroll_verify_days`` 0: today's discovery alone) and on (every posted run watched), and its API calls and seconds
are counted; a void is then made in the sandbox and the next round's extra calls and its one correction recorded.

    /opt/paylocity-venv/bin/python bench/bench_verification.py [--employees 2000] [--rate 25] [--rounds 2] [--write]
"""
import json

import benchlib

HEADING = "## Verification of posted pay runs (issue 11)"
DB = "bench_verification"

# Runs inside `odoo-bin shell` (``env`` is given); prints one line "RESULT <json>".
MEASURE = r'''
import datetime, json, time
from odoo import Command
from odoo.addons.paylocity_connector.sandbox import SandboxServer
from odoo_setup import accounting_company, bind_people, fetch_run, sandbox_connection

N, RATE, ROUNDS = %(employees)d, %(rate)s, %(rounds)d
FAST = {'weblink_rate': 1000.0}
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
cr = env.cr
result = {'employees': N}
srv = SandboxServer(seed=11, employees=N, companies=('C1001',), weblink_rate_limit=None, history_runs=3).start()
data = srv.company('C1001')
today = srv.today
month_ago = today - datetime.timedelta(days=31)
runs_to_post = [run for run in data.pay_runs if run.check_date >= month_ago]

company, env, acc = accounting_company(env, 'Bench Verification Co', (
    ('wages', 'V6101', 'expense'), ('er_tax', 'V6104', 'expense'), ('withheld', 'V2301', 'liability_current'),
    ('net', 'V2309', 'liability_current')))
connection = sandbox_connection(env, srv, company, 'Bench verification', payroll_net_pay_account_id=acc['net'].id,
                                payroll_correction_posting='post')
for resource, code_type in (('earnings', 'earning'), ('deductions', 'deduction'), ('taxes', 'tax')):
    for code, name in data.codes(resource):
        rule_code = env['paylocity.code'].create({'connection_id': connection.id, 'code_type': code_type,
                                                  'code': code, 'name': name})
        employer = code in ('FICA-ER', 'MEDI-ER', 'FUTA', 'SUTA')
        env['paylocity.gl.rule'].create({
            'connection_id': connection.id, 'code_id': rule_code.id,
            'debit_account_id': (acc['wages'] if code_type == 'earning' else acc['er_tax']).id
            if code_type == 'earning' or employer else False,
            'credit_account_id': acc['withheld'].id if code_type != 'earning' else False})
bind_people(env, connection, company, data.sorted_employees())
cr.commit()

# --- set-up: the month's runs fetched and posted by the processing cron, without a rate limit -------------
fast = env(context=dict(env.context, paylocity_client_options=FAST))
started = time.perf_counter()
for sandbox_run in runs_to_post:
    fetch_run(fast, connection, sandbox_run, 'webhook')
PayRun = env['paylocity.pay.run']
posted = PayRun.search([('connection_id', '=', connection.id)])
result['setup_seconds'] = time.perf_counter() - started
result['runs'] = [{'process': r.process_code, 'state': r.state, 'paid': r.paid_count} for r in posted]
result['paid_statements'] = sum(len(r.statement_ids) for r in posted)

# --- the daily discovery at Paylocity's pace, with and without verification --------------------------------
srv.weblink_rate_limit = RATE
paced = env(context=dict(env.context, paylocity_client_options={'weblink_rate': RATE}))
paced_connection = paced['paylocity.connection'].browse(connection.id)


def daily_round(verify_days):
    paced_connection.payroll_verify_days = verify_days
    cr.commit()
    srv.reset_calls()
    started = time.perf_counter()
    paced_connection._poll_pay_runs(today=today)
    seconds = time.perf_counter() - started
    cr.rollback()   # the poll events of runs outside the month are not kept, so every round sees the same
    calls = srv.calls
    return {'seconds': seconds, 'calls': len(calls),
            'summary': sum(1 for c in calls if '/paystatement/summary/' in c.path),
            'details': sum(1 for c in calls if '/paystatement/details/' in c.path),
            'token': sum(1 for c in calls if c.family == 'token'), 'http_429': sum(1 for c in calls if c.status == 429)}


rounds = {'alone': [], 'verify': []}
for _round in range(ROUNDS):
    rounds['alone'].append(daily_round(0))
    rounds['verify'].append(daily_round(35))
result['rounds'] = rounds
posted.invalidate_recordset()
result['corrections_when_unchanged'] = env['account.move'].search_count(
    [('paylocity_pay_run_id', 'in', posted.ids), ('paylocity_fingerprint', '!=', False)])

# --- one void after posting: the next round's extra calls and its one correction ----------------------------
target = runs_to_post[-1]
victim = target.statements[0].employee_id
srv.void_check('C1001', target.process_id, victim)
paced_connection.payroll_verify_days = 35
cr.commit()
srv.reset_calls()
started = time.perf_counter()
paced_connection._poll_pay_runs(today=today)
void_seconds = time.perf_counter() - started
cr.commit()
calls = srv.calls
result['void_round'] = {'seconds': void_seconds, 'calls': len(calls),
                        'details': sum(1 for c in calls if '/paystatement/details/' in c.path),
                        'corrections': env['account.move'].search_count(
                            [('paylocity_pay_run_id', 'in', posted.ids), ('paylocity_fingerprint', '!=', False)])}
cr.execute('SELECT version()')
result['postgres'] = cr.fetchone()[0].split(',')[0]
srv.stop()
print('RESULT ' + json.dumps(result, default=str))
'''


def render(args, r, info):
    alone, verify = r["rounds"]["alone"], r["rounds"]["verify"]

    def mean(rows, key):
        return sum(row[key] for row in rows) / len(rows)

    def answered(row):
        return row["calls"] - row["http_429"]

    calls_alone = sum(answered(row) for row in alone) / len(alone)
    calls_verify = sum(answered(row) for row in verify) / len(verify)
    lines = [
        HEADING,
        "",
        "`/opt/paylocity-venv/bin/python bench/bench_verification.py --employees %d --rate %s --rounds %d` — a real "
        "Odoo 19.0 (`odoo-bin shell`) on a throw-away PostgreSQL (fsync off), the sandbox in the same process on "
        "127.0.0.1 with %d employees. The pay runs of the last month (%s) are fetched and posted first by the "
        "connector's processing cron (%d pay statements stored; no rate limit during this set-up, %.0f s). Then the "
        "daily discovery (`_poll_pay_runs`, the daily cron's method) runs at Paylocity's WebLink limit of %s calls/s, "
        "alternately with verification off (today's discovery alone) and on (every posted run watched, nothing "
        "changed in Paylocity); each round is rolled back, so every round starts from the same data." % (
            args.employees, args.rate, args.rounds, r["employees"],
            ", ".join("%s %s" % (run["process"], run["state"]) for run in r["runs"]), r["paid_statements"],
            r["setup_seconds"], args.rate),
        "",
        "| daily round | API calls answered (summaries + details + token) | answered 429 (retried) | seconds |",
        "| --- | --- | --- | --- |",
    ]
    for index, (a, v) in enumerate(zip(alone, verify), 1):
        lines.append("| %d. discovery alone | %d (%d + %d + %d) | %d | %.1f |" % (
            index, answered(a), a["summary"] - a["http_429"], a["details"], a["token"], a["http_429"], a["seconds"]))
        lines.append("| %d. discovery + verification of %d posted runs | %d (%d + %d + %d) | %d | %.1f |" % (
            index, len(r["runs"]), answered(v), v["summary"] - v["http_429"], v["details"], v["token"],
            v["http_429"], v["seconds"]))
    lines += [
        "",
        "Verification when nothing changed: **%+.1f %% calls** (%.0f vs %.0f answered per day; the limit is +5 %%), "
        "%+.1f %% seconds (%.1f s vs %.1f s; the rounds are paced by the rate limit, and the calls Paylocity answers "
        "429 are the client's pacing meeting the sandbox's window, retried); correcting entries made: %d. The "
        "summaries the discovery reads already carry what verification compares (amounts, check numbers, the direct "
        "deposit / check split, the period); details are read again only for a statement that is new or changed. "
        "In December the discovery reads two years (its window looks 31 days ahead), hence about two calls per "
        "employee." % (
            100.0 * (calls_verify - calls_alone) / calls_alone, calls_verify, calls_alone,
            100.0 * (mean(verify, "seconds") - mean(alone, "seconds")) / mean(alone, "seconds"),
            mean(verify, "seconds"), mean(alone, "seconds"), r["corrections_when_unchanged"]),
        "",
        "One check voided in the sandbox after posting: the next round made %d call(s) (%d of them detail reads) in "
        "%.1f s and %d correcting entry." % (
            r["void_round"]["calls"], r["void_round"]["details"], r["void_round"]["seconds"],
            r["void_round"]["corrections"]),
        "",
        benchlib.machine_line(info, r.get("postgres", "PostgreSQL")),
        "",
    ]
    return "\n".join(lines)


def options(parser):
    benchlib.add_payroll_options(parser)
    parser.add_argument("--rounds", type=int, default=2, help="daily rounds of each kind, alternated")
    parser.add_argument("--render", metavar="JSON", help="render a result saved from an earlier run, measure nothing")


def main():
    args = benchlib.parse_args(__doc__, options)
    info = benchlib.machine_info()
    script = MEASURE % {"employees": args.employees, "rate": args.rate, "rounds": args.rounds}
    if args.render:   # the section again from a saved result (the JSON this script prints on stderr)
        with open(args.render, encoding="utf-8") as saved:
            result = json.load(saved)
    else:
        result = benchlib.measure_in_odoo("paylocity-bench-verification.", DB, script, keep=args.keep)
    result.setdefault("machine", info)   # the machine as it was when measured, also when rendered again
    benchlib.report(args, HEADING, result, render(args, result, result["machine"]))


if __name__ == "__main__":
    main()
