"""Fault matrix, issue 10: the rows that need real processes. A worker killed (SIGKILL) between creating and
committing a pay run's entry, and one killed mid-fetch after committing two batches, each resumed by another
process; 50 New Hire deliveries (30 people, 20 duplicates, shuffled) sent at once to a threaded server; and 60
deliveries with a wrong password sent at once, whose refusals are counted in transactions of their own.

One throw-away database; the sandbox runs in this script's process, so it outlives every Odoo process; each
step is its own `odoo-bin shell` (real registry, real commits), and deliveries go over HTTP to an
`odoo-bin` server (threaded, no cron threads). The sandbox's faults and the job queue's clock (`claimed_at`,
`next_try_at`) drive each row: nothing waits for a lease to run out, no assertion depends on timing. Every
row is checked in PostgreSQL: entries per run, events per delivery, employees per person, the end state.

    /opt/paylocity-venv/bin/python bench/bench_fault_matrix.py [--write]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import psycopg2
import requests

import benchlib
from benchlib import ODOO_TREE, PY

sys.path.insert(0, benchlib.ROOT)
from sandbox import SandboxServer  # noqa: E402 - the sandbox shares no code with the addon's client

HEADING = "## Fault matrix: killed workers and a burst of webhooks (issue 10)"
DB = "bench_faults"
# The shells rebuild the same data (same seed and day) to set up the connections; the URL is this process's.
SANDBOX = dict(seed=3, employees=20, companies=('C1001', 'C2002'), weblink_rate_limit=None)
HOOK_USER, HOOK_PASSWORD = 'paylocity-hooks', 'correct horse battery staple'
BURST_PEOPLE, BURST_DUPLICATES = 30, 20
REFUSED_DELIVERIES = 60

PRELUDE = r'''
import json, os, signal
from odoo import fields
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
def result(**values):
    print("RESULT " + json.dumps(values, default=str), flush=True)
'''

# Payroll connection C1001 exactly as the Odoo tests set it up (tests/common.py PayrollCase), and an employee
# sync connection C2002; both take webhooks from 127.0.0.1.
SETUP = PRELUDE + r'''
from odoo.addons.paylocity_connector.sandbox import SandboxServer
from odoo.addons.paylocity_connector.paylocity.webhooks import hash_webhook_password
from odoo.addons.paylocity_connector.paylocity.hosts import sandbox_hosts
from odoo.addons.paylocity_connector.tests.common import PayrollCase

class Data(SandboxServer):
    base_url = %(base_url)r

class Setup:
    sandbox = Data(**%(sandbox)r)
# (no localization installed and loaded at the commit, over the chart the tests' set-up loads)
Setup.env = env(context=dict(env.context, chart_template_load=True))
Setup.plan = env['account.analytic.plan'].create({'name': 'Payroll departments'})
Setup._make_rule = classmethod(PayrollCase._make_rule.__func__)
env['paylocity.connection'].with_context(active_test=False).search([]).unlink()   # a demo one would collide
company_b = env['res.company'].create({'name': 'Fault Co B'})   # before A: A's chart is loaded last
env.cr.commit()
payroll = PayrollCase._setup_company.__func__(Setup, 'C1001', 'Fault Co A')['connection']
hosts = sandbox_hosts(%(base_url)r)
sync = env['paylocity.connection'].create({
    'name': 'Sync C2002', 'paylocity_company_code': 'C2002', 'environment': 'test', 'company_id': company_b.id,
    'weblink_base_url': hosts.weblink_base, 'weblink_token_url': hosts.weblink_token,
    'nextgen_base_url': hosts.nextgen_base, 'nextgen_token_url': hosts.nextgen_token,
    'department_level': '2', 'payroll_enabled': False})
creds = Setup.sandbox.credentials('C2002')
sync._set_credentials('weblink', creds.weblink_client_id, creds.weblink_client_secret)
sync._set_credentials('nextgen', creds.nextgen_client_id, creds.nextgen_client_secret)
for connection in payroll | sync:
    connection.sudo().write({'webhook_allowed_networks': '127.0.0.1/32', 'webhook_username': %(user)r,
                             'webhook_password_hash': hash_webhook_password(%(password)r)})
env['ir.config_parameter'].sudo().set_param('paylocity_connector.payroll_fetch_batch', '5')
env.cr.commit()
sync._import_reference_data()
sync._poll_employees()
env.cr.commit()
result(payroll=payroll.id, sync=sync.id,
       tokens={c.paylocity_company_code: c.sudo().webhook_token for c in payroll | sync})
'''

# Process the queued events and pay runs; at the hook point the process kills itself (SIGKILL: no handler,
# no rollback, no cleanup runs; PostgreSQL drops the open transaction when the connection dies).
KILLED = PRELUDE + r'''
PayRun = type(env['paylocity.pay.run'])
Move = type(env['account.move'])
point = %(point)r
result(events=env['paylocity.event']._cron_process_events())
env.cr.commit()
run = env['paylocity.pay.run'].search([('connection_id', '=', %(connection_id)s), ('check_date', '=', %(check_date)r),
                                       ('run_number', '=', %(run_number)s)])
if point == 'entry_created':
    post = Move.action_post
    def action_post(moves):
        if moves.paylocity_pay_run_id:
            moves.env.flush_all()   # the entry's rows are in PostgreSQL, not committed
            result(killed_at=point, move_ids=moves.ids)
            os.kill(os.getpid(), signal.SIGKILL)
        return post(moves)
    Move.action_post = action_post
else:
    commit_step = PayRun._commit_step
    def after_commit(model, processed=0, remaining=None):
        seconds_left = commit_step(model, processed=processed, remaining=remaining)
        model.env.cr.execute("SELECT count(*) FROM paylocity_pay_run_employee WHERE run_id = %%s AND "
                             "fetch_state != 'pending'", [run.id])
        answered = model.env.cr.fetchone()[0]
        if answered >= 10:
            result(killed_at=point, answered=answered)
            os.kill(os.getpid(), signal.SIGKILL)
        return seconds_left
    PayRun._commit_step = after_commit
env['paylocity.pay.run']._cron_process_pay_runs()
result(killed_at=None)
'''

PROCESS_EVENTS = PRELUDE + r'''
Event = env['paylocity.event']
rounds = 0
while Event._cron_process_events() and rounds < 100:
    rounds += 1
env.cr.commit()
result(rounds=rounds)
'''

# Another process takes the run over: first while the dead worker's claim still looks alive, then with the
# queue's clock moved past the lease, then once its retry is due.
RESUME = PRELUDE + r'''
PayRun = env['paylocity.pay.run']
run = PayRun.browse(%(run_id)s)
seen = {'taken_while_leased': PayRun._cron_process_pay_runs()}
env.cr.commit()
env.cr.execute("UPDATE paylocity_pay_run SET claimed_at = claimed_at - interval '1 day' WHERE id = %%s", [run.id])
env.cr.commit()
PayRun._cron_process_pay_runs()
env.cr.commit()
run.invalidate_recordset()
seen.update(after_lease=run.state, retry_planned=bool(run.next_try_at and run.next_try_at > fields.Datetime.now()),
            interrupted='interrupted' in (run.last_error or ''), claimed=bool(run.claim_token))
run.next_try_at = fields.Datetime.now()
env.cr.commit()
PayRun._cron_process_pay_runs()
env.cr.commit()
result(**seen)
'''


class FaultStack(benchlib.Stack):
    def __init__(self):
        super().__init__(prefix="paylocity-bench-faults.", db=DB)
        self.server = None
        self.port = None

    def run_shell(self, script, name):
        """``script`` in `odoo-bin shell`: (exit code, the RESULT lines decoded, in order)."""
        done = subprocess.run(
            [PY, os.path.join(ODOO_TREE, "odoo-bin"), "shell", "-c", self.conf, "-d", DB, "--no-http",
             "--logfile", os.path.join(self.work, "%s.log" % name)],
            env=self.env, input=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        with open(os.path.join(self.work, "%s.out" % name), "w") as out:
            out.write(done.stdout)
        return done.returncode, [json.loads(m) for m in re.findall(r"^RESULT (.*)$", done.stdout, re.M)]

    def serve(self):
        self.port = int(self.shell("free_port"))
        self.server = subprocess.Popen(
            [PY, os.path.join(ODOO_TREE, "odoo-bin"), "-c", self.conf, "-d", DB, "--db-filter", "^%s$" % DB,
             "--http-port", str(self.port), "--gevent-port", self.shell("free_port"),
             "--logfile", os.path.join(self.work, "server.log")], env=self.env, stderr=subprocess.DEVNULL)
        for _second in range(180):
            try:
                if requests.get("http://127.0.0.1:%d/web/login" % self.port, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError("the Odoo server did not start")

    def connect(self):
        db = psycopg2.connect(host="127.0.0.1", port=self.pg_port, user="odoo", password="odoo", dbname=DB)
        db.autocommit = True
        return db

    def close(self, keep=False):
        if self.server:
            self.server.terminate()
            try:
                self.server.wait(60)
            except subprocess.TimeoutExpired:
                self.server.kill()
        super().close(keep)


def rows(db, sql, *args):
    with db.cursor() as cr:
        cr.execute(sql, args)
        return cr.fetchall()


def one(db, sql, *args):
    return rows(db, sql, *args)[0]


def run_state(db, connection_id, sandbox_run):
    """What PostgreSQL holds about one pay run: the run, its entries, statements, rows and events."""
    run = one(db, "SELECT id, state, post_count, attempt_count, claim_token IS NOT NULL FROM paylocity_pay_run "
                  "WHERE connection_id = %s AND check_date = %s AND run_number = %s",
              connection_id, sandbox_run.check_date, sandbox_run.run_id)
    run_id = run[0]
    moves = rows(db, "SELECT id, state FROM account_move WHERE paylocity_pay_run_id = %s", run_id)
    balance = one(db, "SELECT coalesce(sum(l.debit) - sum(l.credit), 0) FROM account_move_line l "
                      "JOIN account_move m ON m.id = l.move_id WHERE m.paylocity_pay_run_id = %s", run_id)[0]
    net = one(db, "SELECT coalesce(sum(l.credit) - sum(l.debit), 0) FROM account_move_line l JOIN account_move m "
                  "ON m.id = l.move_id WHERE m.paylocity_pay_run_id = %s AND l.account_id = "
                  "(SELECT payroll_net_pay_account_id FROM paylocity_connection WHERE id = %s)",
              run_id, connection_id)[0]
    numbers = sorted(r[0] for r in rows(db, "SELECT transaction_number FROM paylocity_pay_run_statement "
                                            "WHERE run_id = %s", run_id))
    rows_twice = one(db, "SELECT count(*) FROM (SELECT 1 FROM paylocity_pay_run_employee WHERE run_id = %s "
                         "GROUP BY paylocity_employee_code HAVING count(*) > 1) t", run_id)[0]
    events = dict(rows(db, "SELECT state, count(*) FROM paylocity_event WHERE connection_id = %s AND "
                           "process_code = %s GROUP BY state", connection_id, sandbox_run.process_id))
    return {
        "run_id": run_id, "state": run[1], "post_count": run[2], "attempts": run[3], "claimed": run[4],
        "moves": len(moves), "move_states": sorted(m[1] for m in moves), "balanced": balance == 0,
        "net_ok": net == sum(s.net for s in sandbox_run.statements) if moves else None,
        "statements_ok": numbers == sorted(s.transaction_number for s in sandbox_run.statements),
        "rows_twice": rows_twice, "events": events,
    }


def summary_calls(srv, sandbox_run):
    """Summary calls of the run's check date, per employee."""
    per = {}
    for call in srv.calls:
        if '/paystatement/summary/' in call.path and sandbox_run.check_date.isoformat() in call.path:
            employee = call.path.split('/employees/')[1].split('/')[0]
            per[employee] = per.get(employee, 0) + 1
    return per


def killed_row(stack, srv, db, setup, sandbox_run, point):
    url = "http://127.0.0.1:%d/paylocity/webhook/%s" % (stack.port, setup["tokens"]["C1001"])
    statuses = srv.send_webhook(url, "payroll_processed", "C1001", process_id=sandbox_run.process_id,
                                auth=(HOOK_USER, HOOK_PASSWORD), copies=2)
    srv.reset_calls()
    code, said = stack.run_shell(KILLED % {"point": point, "connection_id": setup["payroll"],
                                           "check_date": sandbox_run.check_date.isoformat(),
                                           "run_number": int(sandbox_run.run_id)}, "killed-%s" % point)
    killed = next((r for r in said if "killed_at" in r), {})
    after_kill = run_state(db, setup["payroll"], sandbox_run)
    asked_before = summary_calls(srv, sandbox_run)
    srv.reset_calls()
    resume_code, resumed = stack.run_shell(RESUME % {"run_id": after_kill["run_id"]}, "resume-%s" % point)
    final = run_state(db, setup["payroll"], sandbox_run)
    asked_after = summary_calls(srv, sandbox_run)
    return {
        "point": point, "deliveries": statuses, "exit_code": code, "killed": killed, "after_kill": after_kill,
        "resume_exit_code": resume_code, "resume": resumed[-1] if resumed else {}, "final": final,
        "asked_before": len(asked_before), "asked_again": sorted(set(asked_before) & set(asked_after)),
    }


def burst_row(stack, srv, db, setup):
    hired = [srv.hire("C2002", cost_center2="10", first_name="Burst%02d" % n) for n in range(BURST_PEOPLE)]
    ids = hired + hired[:BURST_DUPLICATES]
    url = "http://127.0.0.1:%d/paylocity/webhook/%s" % (stack.port, setup["tokens"]["C2002"])
    statuses = srv.send_webhook(url, "new_hire", "C2002", employee_id=ids, auth=(HOOK_USER, HOOK_PASSWORD),
                                shuffle=True, parallel=len(ids), timeout=60)
    stored = dict(rows(db, "SELECT state, count(*) FROM paylocity_event WHERE connection_id = %s AND "
                           "event_type = 'new_hire' GROUP BY state", setup["sync"]))
    code, _said = stack.run_shell(PROCESS_EVENTS, "burst-process")
    processed = dict(rows(db, "SELECT state, count(*) FROM paylocity_event WHERE connection_id = %s AND "
                              "event_type = 'new_hire' GROUP BY state", setup["sync"]))
    bound = dict(rows(db, "SELECT paylocity_employee_code, count(*) FROM paylocity_employee WHERE connection_id = %s "
                          "AND paylocity_employee_code IN %s GROUP BY 1", setup["sync"], tuple(hired)))
    employees = one(db, "SELECT count(DISTINCT employee_id), count(*) FROM paylocity_employee WHERE "
                        "connection_id = %s AND paylocity_employee_code IN %s", setup["sync"], tuple(hired))
    return {
        "deliveries": len(ids), "statuses": {str(s): statuses.count(s) for s in set(statuses)},
        "stored": stored, "process_exit_code": code, "processed": processed, "people": len(hired),
        "bound_once": sum(1 for n in bound.values() if n == 1), "bound_twice": sum(1 for n in bound.values() if n > 1),
        "employees": employees[0], "bindings": employees[1],
    }


def refusals_row(stack, srv, db, setup):
    """Like refusals (same sender, status and reason) arriving at once: every one answered 401 and counted, none
    lost to a conflict between the counting transactions; rows stay few (one per like refusal, a handful where
    the first ones raced)."""
    people = list(srv.company("C2002").employees)[:REFUSED_DELIVERIES]
    ids = (people * (REFUSED_DELIVERIES // len(people) + 1))[:REFUSED_DELIVERIES]
    url = "http://127.0.0.1:%d/paylocity/webhook/%s" % (stack.port, setup["tokens"]["C2002"])
    statuses = srv.send_webhook(url, "employee_change", "C2002", employee_id=ids,
                                auth=(HOOK_USER, HOOK_PASSWORD + " (wrong)"), parallel=len(ids), timeout=60)
    counted = rows(db, "SELECT count(*), coalesce(sum(reject_count), 0) FROM paylocity_event WHERE connection_id = %s "
                       "AND state = 'rejected' AND http_status = 401", setup["sync"])[0]
    with open(os.path.join(stack.work, "server.log")) as log:
        conflicts = sum(1 for line in log if "could not serialize" in line or "deadlock detected" in line)
    return {"deliveries": len(ids), "statuses": {str(s): statuses.count(s) for s in set(statuses)},
            "rows": counted[0], "counted": counted[1], "conflicts_logged": conflicts}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    benchlib.add_stack_options(parser)
    args = parser.parse_args()
    benchlib.require_odoo_tree()
    stack = FaultStack()
    srv = SandboxServer(**SANDBOX).start()
    try:
        stack.start()
        stack.install()
        info = benchlib.machine_info()
        code, said = stack.run_shell(SETUP % {"base_url": srv.base_url, "sandbox": SANDBOX, "user": HOOK_USER,
                                              "password": HOOK_PASSWORD}, "setup")
        if code or not said:
            raise RuntimeError("set-up failed (exit %s); see %s/setup.log" % (code, stack.work))
        setup = said[-1]
        stack.serve()
        db = stack.connect()
        postgres = one(db, "SELECT version()")[0].split(",")[0]
        data = srv.company("C1001")
        dates = sorted({r.check_date for r in data.pay_runs})
        result = {
            "entry_created": killed_row(stack, srv, db, setup, data.runs_on(dates[-1])[0], "entry_created"),
            "mid_fetch": killed_row(stack, srv, db, setup, data.runs_on(dates[-2])[0], "mid_fetch"),
            "burst": burst_row(stack, srv, db, setup),
            "refusals": refusals_row(stack, srv, db, setup),
        }
        db.close()
    finally:
        srv.stop()
        stack.close(keep=args.keep)
    print(json.dumps(result, indent=1, default=str), file=sys.stderr)
    section = render(result, info, postgres)
    print(section)
    if args.write:
        benchlib.write_section(HEADING, section)
    if not all(ok for _row, ok in verdicts(result)):
        sys.exit(1)


def verdicts(r):
    """(row, every check held) for the exit code."""
    out = []
    for point in ("entry_created", "mid_fetch"):
        row, final = r[point], r[point]["final"]
        out.append((point, row["exit_code"] == -9 and row["after_kill"]["moves"] == 0 and final["moves"] == 1
                    and final["state"] == "posted" and final["post_count"] == 1 and final["balanced"]
                    and final["net_ok"] and final["statements_ok"] and not final["rows_twice"]
                    and not row["asked_again"] and final["events"] == {"done": 1, "duplicate": 1}))
    burst = r["burst"]
    out.append(("burst", burst["statuses"] == {"200": burst["deliveries"]} and burst["bound_twice"] == 0
                and burst["bound_once"] == burst["people"] == burst["employees"]
                and burst["processed"] == {"done": burst["people"], "duplicate": burst["deliveries"] - burst["people"]}))
    refused = r["refusals"]
    out.append(("refusals", refused["statuses"] == {"401": refused["deliveries"]}
                and refused["counted"] == refused["deliveries"] and 1 <= refused["rows"] <= 50))
    return out


def render(r, info, postgres):
    entry, fetch, burst, refused = r["entry_created"], r["mid_fetch"], r["burst"], r["refusals"]
    ok = dict(verdicts(r))

    def events(states):
        return ", ".join("%s %d" % item for item in sorted(states.items()))

    def killed_line(name, row, where):
        after, final, resume = row["after_kill"], row["final"], row["resume"]
        return ("| %s | SIGKILL %s (exit %s); another process resumes | after the kill: %d entries, run `%s`, "
                "claimed %s; while the claim looked alive the other process took %s; past the lease: `%s`, retry "
                "planned %s, \"interrupted\" noted %s; then: **%d entry** (`%s`), post count %d, attempts %d, "
                "balanced %s, net pay = Paylocity's %s, statements as Paylocity's %s, rows twice %d, "
                "employees asked again %d; events %s | %s |" % (
                    name, where, row["exit_code"], after["moves"], after["state"], after["claimed"],
                    resume.get("taken_while_leased"), resume.get("after_lease"), resume.get("retry_planned"),
                    resume.get("interrupted"), final["moves"], ", ".join(final["move_states"]), final["post_count"],
                    final["attempts"], final["balanced"], final["net_ok"], final["statements_ok"],
                    final["rows_twice"], len(row["asked_again"]), events(final["events"]),
                    "posted once" if ok[name] else "**FAILED**"))

    return "\n".join([
        HEADING,
        "",
        "`/opt/paylocity-venv/bin/python bench/bench_fault_matrix.py` — %s The fast rows run in `tools/test` "
        "(tests/test_fault_matrix.py; README \"Testing\")." % __doc__.split("\n\n")[1].replace("\n", " "),
        "",
        "| row | fault | checked in PostgreSQL | end state |",
        "| --- | --- | --- | --- |",
        killed_line("entry_created", entry, "after the entry is created and flushed, before the commit"),
        killed_line("mid_fetch", fetch, "after the second batch of statements is committed (%s answered)"
                    % fetch["killed"].get("answered")),
        "| burst | %d New Hire deliveries (%d people, %d duplicates, shuffled) from %d threads at once to a threaded "
        "`odoo-bin` server | answers %s; stored %s; after processing %s; people bound once %d of %d, twice %d; "
        "employees %d for %d bindings | %s |" % (
            burst["deliveries"], burst["people"], burst["deliveries"] - burst["people"], burst["deliveries"],
            events(burst["statuses"]), events(burst["stored"]), events(burst["processed"]), burst["bound_once"],
            burst["people"], burst["bound_twice"], burst["employees"], burst["bindings"],
            "done, none lost or twice" if ok["burst"] else "**FAILED**"),
        "| refusals | %d Employee Change deliveries with a wrong password, from one address, from %d threads at once "
        "(each refusal counted in a transaction of its own) | answers %s; rejected rows %d counting %d refusals; "
        "serialization failures or deadlocks in the server's log %d | %s |" % (
            refused["deliveries"], refused["deliveries"], events(refused["statuses"]), refused["rows"],
            refused["counted"], refused["conflicts_logged"],
            "every refusal counted" if ok["refusals"] else "**FAILED**"),
        "",
        benchlib.machine_line(info, postgres),
        "",
    ])


if __name__ == "__main__":
    main()
