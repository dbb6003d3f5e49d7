"""Bench, issue 9: a pay run and an employee sync in two Odoo processes at once, on one Paylocity credential,
stay within Paylocity's per-credential rate limit together, and still use most of it.

One throw-away database, one sandbox (in this process, on 127.0.0.1, enforcing 25 calls/s per credential in a
sliding 1-second window with 429 beyond it: ``sandbox/ratelimit.py``), one connection. Phases, each in real
``odoo-bin shell`` processes (a real registry and cursors; the jobs commit as their crons do):

0. set-up (not judged): the first employee sync, which creates and binds the employees;
1. **alone**: one process reading every employee through the connection's client fan-out (8 threads), pacing
   through the database's window; and, as its floor, the same with the in-process window of before;
2. **together**: another pay run's fetch in one process and a re-sync (list + one GET per employee) in
   another, released together, both pacing through the database's rate window;
3. **control**: the same two jobs (a third pay run) with each process pacing in its own memory only, as
   before the shared window: what two uncoordinated processes do to the limit.

For each phase: calls the sandbox answered, 429s, the busiest sliding 1-second window the sandbox saw, and the
rate while both ran (calls ÷ seconds of overlap) as a fraction of 25/s.

    /opt/paylocity-venv/bin/python bench/bench_shared_rate_limit.py [--employees 500] [--rate 25] [--write]
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

import psycopg2

import benchlib
from benchlib import ODOO_TREE, PY, ROOT

sys.path.insert(0, ROOT)
from sandbox import SandboxServer  # noqa: E402  (the repository root, after benchlib found it)
from sandbox.ratelimit import busiest_window  # noqa: E402

HEADING = "## Shared rate limit across processes (issue 9)"
DB = "bench_ratelimit"
COMPANY = "C1001"

SETUP = r'''
import json
from odoo import Command
company = env['res.company'].create({'name': 'Bench Rate Co', 'country_id': env.ref('base.us').id})
env['account.chart.template'].try_loading('generic_coa', company=company, install_demo=False)
env = env(context=dict(env.context, allowed_company_ids=[company.id]))
env.cr.commit()
net = env['account.account'].with_company(company).create({
    'code': 'B2309', 'name': 'Net pay', 'account_type': 'liability_current', 'company_ids': [Command.set([company.id])]})
connection = env['paylocity.connection'].create({
    'name': 'Bench rate', 'paylocity_company_code': %(company)r, 'company_id': company.id,
    'weblink_base_url': %(weblink_base)r, 'weblink_token_url': %(weblink_token)r,
    'nextgen_base_url': %(nextgen_base)r, 'nextgen_token_url': %(nextgen_token)r,
    'department_level': '2', 'payroll_net_pay_account_id': net.id, 'payroll_start_date': '2020-01-01'})
connection._set_credentials('weblink', %(client_id)r, %(client_secret)r)
env.cr.commit()
print('RESULT ' + json.dumps({'connection': connection.id, 'company': company.id}))
'''

# Each job waits for the go file, runs, and prints RESULT. ``local`` = pace in this process's memory only.
JOB = r'''
import json, os, time
import requests
from odoo.addons.paylocity_connector.paylocity.ratelimit import LocalWindows
# When this process sends each WebLink API call (the system-wide monotonic clock, comparable across processes).
sends = []
_request = requests.Session.request
def request(session, method, url, *args, **kwargs):
    if '/api/' in url:
        sends.append(time.monotonic())
    return _request(session, method, url, *args, **kwargs)
requests.Session.request = request
ctx = dict(env.context, allowed_company_ids=[%(company_id)d], tracking_disable=True, mail_notrack=True)
if %(local)r:
    ctx['paylocity_client_options'] = {'rate_windows': LocalWindows()}
env = env(context=ctx)
connection = env['paylocity.connection'].browse(%(connection_id)d)
open(%(ready)r, 'w').close()
while not os.path.exists(%(go)r):
    time.sleep(0.01)
started = time.time()
if %(job)r == 'sync':
    done = connection._poll_employees()
    outcome = connection.employee_poll_message
elif %(job)r == 'fanout':
    client = connection._get_sync_client()
    ids = [info.employee_id for info in client.list_employees()]
    answers = client.fan_out(client.get_employee, ids)
    outcome = '%%d employees read, %%d errors' %% (len(answers), sum(1 for _i, r in answers if isinstance(r, Exception)))
else:
    run = env['paylocity.pay.run'].browse(%(run_id)d)
    run._request_processing()
    env.cr.commit()
    env['paylocity.pay.run']._cron_process_pay_runs()
    run.invalidate_recordset()
    outcome = '%%s: %%s asked, %%s paid' %% (run.state, run.fetch_total, run.paid_count)
env.cr.commit()
print('RESULT ' + json.dumps({'job': %(job)r, 'started': started, 'ended': time.time(), 'outcome': outcome,
                              'sends': sends}))
'''

NEW_RUN = r'''
import json
connection = env['paylocity.connection'].browse(%(connection_id)d)
run, _created = env['paylocity.pay.run']._get_or_create(connection, %(check_date)r, %(run_number)d, source='poll')
env.cr.commit()
print('RESULT ' + json.dumps({'run': run.id}))
'''


class RateStack(benchlib.Stack):
    def shell_result(self, script, log):
        out = self.odoo("--no-http", "--logfile", os.path.join(self.work, log), command=("shell",), input=script,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
        return _result(out, os.path.join(self.work, log))

    def start_job(self, script, log):
        return subprocess.Popen([PY, os.path.join(ODOO_TREE, "odoo-bin"), "shell", "-c", self.conf, "-d", self.db,
                                 "--no-http", "--logfile", os.path.join(self.work, log)],
                                env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True), script


def _result(out, log):
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError("no result; see %s" % log)


def run_jobs(stack, jobs, tag):
    """Start every job's process, release them together once all are loaded; their results."""
    go = os.path.join(stack.work, "go-%s" % tag)
    started = []
    for index, (job, values) in enumerate(jobs):
        ready = os.path.join(stack.work, "ready-%s-%d" % (tag, index))
        script = JOB % dict(values, job=job, ready=ready, go=go)
        started.append((ready, *stack.start_job(script, "%s-%d.log" % (tag, index))))
    outputs = [None] * len(started)

    def talk(index, process, script):
        outputs[index] = process.communicate(script)[0]

    threads = [threading.Thread(target=talk, args=(index, process, script))
               for index, (_ready, process, script) in enumerate(started)]
    for thread in threads:
        thread.start()
    while not all(os.path.exists(ready) for ready, _p, _s in started):
        time.sleep(0.05)
    open(go, "w").close()
    released = time.time()
    for thread in threads:
        thread.join()
    return released, [_result(out or "", os.path.join(stack.work, "%s-%d.log" % (tag, index)))
                      for index, out in enumerate(outputs)]



def kind(call):
    if "/paystatement/" in call.path:
        return "payrun"
    if call.path.rstrip("/").endswith("/employees"):
        return "list"
    if "/employees/" in call.path:
        return "sync"
    return "other"


class ArrivalLog:
    """Wraps the sandbox's WebLink limiter: when each call reached it (accepted or answered 429)."""

    def __init__(self, limiter):
        self.accepted = []
        self._allow = limiter.allow
        limiter.allow = self.allow

    def allow(self, key):
        self.accepted.append(time.monotonic())
        return self._allow(key)


def phase_figures(calls, rate, arrivals):
    figures = {"calls": len(calls), "http_429": sum(1 for c in calls if c.status == 429),
               "busiest": busiest_window(arrivals),
               "by_kind": {k: sum(1 for c in calls if kind(c) == k) for k in ("payrun", "sync", "list", "other")}}
    if calls:
        span = max(c.at for c in calls) - min(c.at for c in calls)
        figures["span"] = span
        figures["rate"] = len(calls) / span if span else 0.0
    payrun = [c.at for c in calls if kind(c) == "payrun"]
    sync = [c.at for c in calls if kind(c) == "sync"]
    if payrun and sync:
        lo, hi = max(min(payrun), min(sync)), min(max(payrun), max(sync))
        inside = [c for c in calls if lo <= c.at <= hi]
        figures["overlap_seconds"] = hi - lo
        figures["overlap_calls"] = len(inside)
        figures["overlap_rate"] = len(inside) / (hi - lo) if hi > lo else 0.0
        figures["overlap_busiest"] = busiest_window([t for t in arrivals if lo - 1 <= t <= hi + 1])
    base = figures.get("overlap_rate", figures.get("rate", 0.0))
    figures["fraction"] = base / rate
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=500)
    parser.add_argument("--rate", type=int, default=25)
    parser.add_argument("--skip-control", action="store_true")
    benchlib.add_stack_options(parser)
    args = parser.parse_args()
    benchlib.require_odoo_tree()
    srv = SandboxServer(seed=9, employees=args.employees, companies=(COMPANY,), weblink_rate_limit=args.rate,
                        history_runs=2).start()
    stack = RateStack("paylocity-bench-ratelimit.", DB)
    results = {}
    try:
        stack.start()
        stack.install()
        info = benchlib.machine_info()
        db = psycopg2.connect(host="127.0.0.1", port=stack.pg_port, user="odoo", password="odoo", dbname=DB)
        with db.cursor() as cr:
            cr.execute("SELECT version()")
            postgres = cr.fetchone()[0].split(",")[0]
        db.close()
        urls = srv.urls()
        creds = srv.credentials(COMPANY)
        setup = stack.shell_result(SETUP % dict(
            company=COMPANY, client_id=creds.weblink_client_id, client_secret=creds.weblink_client_secret, **urls),
            "setup.log")
        base = {"connection_id": setup["connection"], "company_id": setup["company"], "run_id": 0}
        runs = sorted(srv.company(COMPANY).pay_runs, key=lambda r: r.check_date)
        regular = [r for r in runs if r.run_id == 1]

        arrivals = ArrivalLog(srv.weblink_limiter)

        def phase(tag, jobs):
            time.sleep(1.2)                   # the sandbox's window empties
            srv.reset_calls()
            arrivals.accepted.clear()
            released, outputs = run_jobs(stack, jobs, tag)
            figures = phase_figures(srv.calls, args.rate, list(arrivals.accepted))
            figures["sent_busiest"] = busiest_window(t for job in outputs for t in job.pop("sends"))
            results[tag] = {"figures": figures, "jobs": outputs}
            print(tag, json.dumps(results[tag]["figures"]), file=sys.stderr)

        phase("setup", [("sync", dict(base, local=False))])
        phase("alone", [("fanout", dict(base, local=False))])
        phase("alone-floor", [("fanout", dict(base, local=True))])
        for tag, pay_run, local in (("together", regular[-1], False), ("control", regular[-2], True)):
            if tag == "control" and args.skip_control:
                continue
            run = stack.shell_result(NEW_RUN % dict(base, check_date=pay_run.check_date.isoformat(),
                                                    run_number=pay_run.run_id), "run-%s.log" % tag)
            phase(tag, [("payrun", dict(base, run_id=run["run"], local=local)), ("sync", dict(base, local=local))])
    finally:
        srv.stop()
        stack.close(keep=args.keep)
    section = render(args, results, info, postgres)
    print(section)
    if args.write:
        benchlib.write_section(HEADING, section)


def render(args, results, info, postgres):
    labels = {"setup": "set-up: first employee sync, one process (creates the employees; Odoo-bound, not judged)",
              "alone": "alone: one process reading every employee (fan-out), database window",
              "alone-floor": "floor of alone: the same, in-process window (as before)",
              "together": "together: pay run + re-sync, two processes, shared window (database)",
              "control": "control: pay run + re-sync, two processes, each its own window (memory)"}
    rows = []
    for tag, result in results.items():
        f = result["figures"]
        rows.append("| %s | %d (%d pay statements, %d employee GETs, %d list pages) | %d | %d | %d | %s | %s | "
                    "**%.3f** |" % (
            labels[tag], f["calls"], f["by_kind"]["payrun"], f["by_kind"]["sync"], f["by_kind"]["list"],
            f["http_429"], f["sent_busiest"], f.get("overlap_busiest", f["busiest"]),
            "%.1f s" % f.get("overlap_seconds", f.get("span", 0)),
            "%.2f" % f.get("overlap_rate", f.get("rate", 0)), f["fraction"]))
    jobs = []
    for tag, result in results.items():
        jobs.append("%s — %s" % (tag, "; ".join("%s: %s (%.1f s)" % (j["job"], j["outcome"], j["ended"] - j["started"])
                                               for j in result["jobs"])))
    return "\n".join([
        HEADING,
        "",
        "`/opt/paylocity-venv/bin/python bench/bench_shared_rate_limit.py --employees %d --rate %d` — one "
        "throw-away database, one connection (one WebLink credential), the sandbox in the bench's process on "
        "127.0.0.1 enforcing %d calls/s per credential (sliding 1-second window, 429 beyond it). Each job runs in "
        "its own `odoo-bin shell` process (real registry and cursors, committing as its cron does); the two jobs "
        "of a phase are released together once both processes are loaded. Rate = calls the sandbox answered "
        "while both jobs were calling ÷ those seconds (for the single job: all its calls ÷ its span); busiest = "
        "most calls in any sliding second, as the job processes sent them (their monotonic clock, shared by the "
        "processes of one machine) and as they reached the sandbox's limiter (accepted or refused)." % (
            args.employees, args.rate, args.rate),
        "",
        "| phase | calls answered | 429 | busiest second, sent | busiest second, arrived | seconds | calls/s | "
        "fraction of %d/s |" % args.rate,
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Jobs: " + " · ".join(jobs) + ".",
        "",
        benchlib.machine_line(info, postgres),
        "",
    ])


if __name__ == "__main__":
    main()
