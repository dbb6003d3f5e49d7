"""Bench, issue 4: webhook intake against a real Odoo 19.0, beside the same server's floor.

For each server mode (threaded, and prefork with ``--workers 2``) it sends the same number of deliveries from
the same number of concurrent senders to

* the floor: a bare public route that stores one record (a throw-away addon written into this bench's temp
  dir, never part of the addon), and
* ``/paylocity/webhook/<token>``: the real intake (token, size, allow-list, Basic auth, classification,
  company check, de-duplication, store, cron trigger), with 20 % re-sent duplicates among the bodies,

in ``--rounds`` slices in which the two routes take turns (a shared machine's load changes during a run: both
routes see it alike), and reports latency p50/p95/p99, throughput, non-200 answers and the rows found in the
database afterwards (zero lost: every delivery stored, every distinct key stored once as ``received``).

Then, with the cron running (two cron threads), it delivers Employee Change webhooks at a steady rate (default
5 per second) and measures, for each, the time from sending it to its event being seen ``done`` in the
database (employee sync off on the connection: the handler has nothing to do, so the wake-up path is measured).

    /opt/paylocity-venv/bin/python bench/bench_webhook_intake.py [--deliveries 2000] [--senders 20]
        [--modes threaded,prefork] [--rounds 4] [--steady-rate 5] [--steady-seconds 30] [--write]
        # --write updates this bench's section of bench/RESULTS.md

It starts its own PostgreSQL (tools/lib/odoo_env.sh, then restarted with durable commits: fsync and
synchronous_commit on, as in production) and Odoo (cron threads off, so only intake is measured), all on
127.0.0.1, and stops them at the end. Needs an Odoo 19.0 tree at $ODOO_TREE (default /opt/odoo19).
"""
import argparse
import base64
import datetime
import itertools
import json
import os
import random
import re
import subprocess
import sys
import textwrap
import threading
import time

import psycopg2
import requests

import benchlib
from benchlib import ODOO_TREE, PY, ROOT

sys.path.insert(0, ROOT)
from sandbox import SandboxServer  # noqa: E402  (the repository root, after benchlib found it)

HEADING = "## Webhook intake (issue 4)"
DB = "bench_intake"
COMPANY = "C1001"
HOOK_USER, HOOK_PASSWORD = "bench", "bench-webhook-password"

FLOOR_ADDON = {
    "__init__.py": "from . import models, controllers\n",
    "__manifest__.py": "{'name': 'Paylocity bench floor', 'version': '19.0.0.0.1', 'depends': ['base'],\n"
                       " 'author': 'paylocity_connector bench', 'data': ['ir.model.access.csv'],\n"
                       " 'license': 'LGPL-3', 'installable': True}\n",
    "ir.model.access.csv": "id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\n"
                           "access_floor,floor,model_paylocity_bench_floor,base.group_system,1,1,1,1\n",
    "models.py": textwrap.dedent("""\
        from odoo import fields, models


        class PaylocityBenchFloor(models.Model):
            _name = 'paylocity.bench.floor'
            _description = 'Bench floor: one stored record per request'

            body = fields.Text()
    """),
    "controllers.py": textwrap.dedent("""\
        from odoo import http
        from odoo.http import request


        class Floor(http.Controller):
            @http.route('/paylocity_bench/floor', type='http', auth='public', methods=['POST'], csrf=False,
                        save_session=False)
            def floor(self, **_params):
                request.env['paylocity.bench.floor'].sudo().create({'body': request.httprequest.get_data(as_text=True)})
                return request.make_json_response({'status': 'stored'})
    """),
}

SETUP_CONNECTION = textwrap.dedent("""\
    from odoo.addons.paylocity_connector.paylocity.webhooks import hash_webhook_password
    connection = env['paylocity.connection'].create({
        'name': 'Bench', 'paylocity_company_code': %(company)r, 'environment': 'test',
        'company_id': env.ref('base.main_company').id, 'webhook_allowed_networks': '127.0.0.1/32'})
    connection.write({'webhook_username': %(user)r, 'webhook_password_hash': hash_webhook_password(%(password)r)})
    env.cr.commit()
    print('TOKEN=' + connection.webhook_token)
""")

# The same connection, pointed at the sandbox for the processing phase (its handlers read Paylocity).
CONNECT_SANDBOX = textwrap.dedent("""\
    connection = env['paylocity.connection'].search([('name', '=', 'Bench')])
    connection.write({'weblink_base_url': %(weblink_base)r, 'weblink_token_url': %(weblink_token)r,
                      'nextgen_base_url': %(nextgen_base)r, 'nextgen_token_url': %(nextgen_token)r,
                      'sync_employees': False})
    connection._set_credentials('weblink', %(client_id)r, %(client_secret)r)
    env.cr.commit()
""")


# === ENVIRONMENT === #
class IntakeStack(benchlib.Stack):
    """The shared throw-away stack with durable commits and the floor addon, and Odoo servers on demand."""

    def __init__(self):
        super().__init__(prefix="paylocity-bench-intake.", db=DB)
        self.server = None

    def start(self):
        super().start()
        # odoo_env.sh tunes its cluster for tests (no fsync); intake's promise is "stored before 200", so measure
        # with durable commits as a production server has them.
        self.shell('as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -w -m fast restart '
                   '-o "-h 127.0.0.1 -p $PG_PORT -k $WORK/pgsock -c max_connections=200" >/dev/null')
        addon = os.path.join(self.work, "addons", "paylocity_bench_floor")
        os.makedirs(addon)
        for name, text in FLOOR_ADDON.items():
            with open(os.path.join(addon, name), "w") as handle:
                handle.write(text)

    def install(self):
        super().install("paylocity_connector,paylocity_bench_floor")
        out = self.odoo("--no-http", command=("shell",), input=SETUP_CONNECTION % {
            "company": COMPANY, "user": HOOK_USER, "password": HOOK_PASSWORD},
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
        return re.search(r"TOKEN=(\S+)", out).group(1)

    def settle_backlog(self):
        """The throughput phases ran without cron: their events and wake-ups are still pending. The steady phase
        starts from an empty queue, as a server whose cron keeps up has."""
        db = self.connect()
        with db, db.cursor() as cr:
            cr.execute("UPDATE paylocity_event SET state = 'done', next_try_at = NULL, dedup_slot = NULL "
                       "WHERE state = 'received'")
            cr.execute("DELETE FROM ir_cron_trigger")
        db.close()

    def connect_sandbox(self, srv):
        creds = srv.credentials(COMPANY)
        self.odoo("--no-http", command=("shell",), input=CONNECT_SANDBOX % dict(
            srv.urls(), client_id=creds.weblink_client_id, client_secret=creds.weblink_client_secret),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)

    def serve(self, mode, port, cron_threads=0, log=None):
        args = ["--db-filter", "^%s$" % DB, "--http-port", str(port), "--max-cron-threads", str(cron_threads),
                "--logfile", os.path.join(self.work, log or "odoo-%s.log" % mode)]
        if mode == "prefork":
            args += ["--workers", "2"]
        self.server = subprocess.Popen([PY, os.path.join(ODOO_TREE, "odoo-bin"), "-c", self.conf, "-d", DB, *args],
                                       env=self.env, stderr=subprocess.DEVNULL)
        for _second in range(120):
            try:
                if requests.get("http://127.0.0.1:%d/web/login" % port, timeout=5).status_code == 200:
                    return "http://127.0.0.1:%d" % port
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError("Odoo did not start in %s mode" % mode)

    def stop_server(self):
        if self.server:
            self.server.terminate()
            self.server.wait(60)
            self.server = None

    def connect(self):
        return psycopg2.connect(host="127.0.0.1", port=self.pg_port, user="odoo", password="odoo", dbname=DB)

    def close(self, keep=False):
        self.stop_server()
        super().close(keep)


# === LOAD === #
def webhook_bodies(run_tag, deliveries, duplicate_share, seed):
    """Paylocity-shaped bodies with unique keys for this run, plus re-sent duplicates, shuffled."""
    distinct = []
    first_check = datetime.date(2030 + run_tag, 1, 1)
    for i in range(int(deliveries * (1 - duplicate_share))):
        kind = i % 10
        if kind < 5:
            distinct.append({"companyId": COMPANY, "employeeId": "R%dN%d" % (run_tag, i), "companyName": "Bench Co",
                             "employeeFirstName": "Bench", "employeeLastName": "Hire%d" % i,
                             "employeeHireDate": "2026-01-05T00:00:00Z", "employeeType": "Regular Full Time",
                             "employeeCostCenter1": "11 - Software Development"})
        elif kind < 8:
            distinct.append({"companyId": COMPANY, "employeeId": "R%dC%d" % (run_tag, i)})
        elif kind == 8:
            distinct.append({"companyId": COMPANY, "employeeId": "R%dT%d" % (run_tag, i),
                             "employeeTerminationDate": "2026-02-27T00:00:00Z",
                             "employeeTerminationReason": "Resigned"})
        else:
            check = first_check + datetime.timedelta(days=i // 90)
            distinct.append({"companyId": COMPANY, "processId": "%s%02d" % (check.strftime("%Y%m%d"), i % 90 + 1),
                             "checkDate": check.isoformat(), "runId": str(i % 90 + 1), "status": "Processed"})
    rng = random.Random(seed)
    bodies = distinct + [rng.choice(distinct) for _ in range(deliveries - len(distinct))]
    rng.shuffle(bodies)
    return [json.dumps(body).encode() for body in bodies], len(distinct)


def blast(url, bodies, senders):
    """POST every body from ``senders`` threads (keep-alive sessions); latencies in seconds, statuses, wall time."""
    headers = {"Content-Type": "application/json", "User-Agent": "paylocity-bench",
               "Authorization": "Basic " + base64.b64encode(("%s:%s" % (HOOK_USER, HOOK_PASSWORD)).encode()).decode()}
    latencies, statuses = [None] * len(bodies), [None] * len(bodies)
    counter, lock = itertools.count(), threading.Lock()
    barrier = threading.Barrier(senders + 1)

    def sender():
        session = requests.Session()
        session.trust_env = False
        barrier.wait()
        while True:
            with lock:
                index = next(counter)
            if index >= len(bodies):
                return
            started = time.perf_counter()
            try:
                statuses[index] = session.post(url, data=bodies[index], headers=headers, timeout=120).status_code
            except requests.RequestException:
                statuses[index] = 0
            latencies[index] = time.perf_counter() - started

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def summarize(latencies, statuses, wall):
    ms = [value * 1000 for value in latencies]
    return {"n": len(ms), "p50": percentile(ms, 0.50), "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99),
            "mean": sum(ms) / len(ms), "rps": len(ms) / wall, "bad": sum(1 for s in statuses if s != 200),
            "wall": wall}


def count(db, sql, *args):
    with db.cursor() as cr:
        cr.execute(sql, args)
        return cr.fetchone()[0]


def alternate(floor_url, hook_url, floor_bodies, hook_bodies, senders, rounds):
    """Send both routes their bodies in ``rounds`` alternating slices (floor first, then webhook first, ...), so
    that a change in the machine's load during the run weighs on both alike; per route, the latencies and
    statuses of all its slices and the sum of their wall times."""
    results = {"floor": ([], [], 0.0), "webhook": ([], [], 0.0)}
    for index in range(rounds):
        order = (("floor", floor_url, floor_bodies), ("webhook", hook_url, hook_bodies))
        for route, url, bodies in (order if index % 2 == 0 else order[::-1]):
            part = bodies[index * len(bodies) // rounds:(index + 1) * len(bodies) // rounds]
            latencies, statuses, wall = blast(url, part, senders)
            done_latencies, done_statuses, done_wall = results[route]
            results[route] = (done_latencies + latencies, done_statuses + statuses, done_wall + wall)
    return {route: summarize(*sent) for route, sent in results.items()}


def run_mode(stack, mode, token, args, run_tag):
    base = stack.serve(mode, args.port)
    floor_url = base + "/paylocity_bench/floor"
    hook_url = base + "/paylocity/webhook/" + token
    try:
        warm, _distinct = webhook_bodies(run_tag + 50, 100, 0.0, seed=run_tag)
        blast(floor_url, warm, 4)
        blast(hook_url, warm, 4)
        db = stack.connect()
        db.autocommit = True
        # One sender alone: the latency without queueing.
        floor_alone, _distinct = webhook_bodies(run_tag + 70, args.alone, 0.0, seed=run_tag)
        hook_alone, _distinct = webhook_bodies(run_tag + 80, args.alone, 0.0, seed=run_tag)
        alone = alternate(floor_url, hook_url, floor_alone, hook_alone, 1, args.rounds)
        # Concurrent senders.
        bodies, distinct = webhook_bodies(run_tag, args.deliveries, args.duplicates, seed=run_tag)
        floor_before = count(db, "SELECT count(*) FROM paylocity_bench_floor")
        last_id = count(db, "SELECT coalesce(max(id), 0) FROM paylocity_event")
        results = alternate(floor_url, hook_url, bodies, bodies, args.senders, args.rounds)
        results.update({"floor alone": alone["floor"], "webhook alone": alone["webhook"]})
        results["floor"]["stored"] = count(db, "SELECT count(*) FROM paylocity_bench_floor") - floor_before
        hook = results["webhook"]
        hook["distinct"] = distinct
        hook["stored"] = count(db, "SELECT count(*) FROM paylocity_event WHERE id > %s", last_id)
        hook["received_rows"] = count(db, "SELECT count(*) FROM paylocity_event WHERE id > %s AND state = 'received'",
                                      last_id)
        hook["received_keys"] = count(db, "SELECT count(DISTINCT dedup_key) FROM paylocity_event "
                                          "WHERE id > %s AND state = 'received'", last_id)
        db.close()
    finally:
        stack.stop_server()
    for route, path in (("floor", "/paylocity_bench/floor"), ("webhook", "/paylocity/webhook/")):
        results[route].update(server_side(os.path.join(stack.work, "odoo-%s.log" % mode), path))
    return results


def run_steady(stack, mode, token, args, employee_ids):
    """Employee Change deliveries at ``args.steady_rate`` per second with the cron running: for each, the
    seconds from sending it to its event being seen ``done`` (the database polled every 20 ms)."""
    base = stack.serve(mode, args.port, cron_threads=2, log="odoo-%s-steady.log" % mode)
    url = base + "/paylocity/webhook/" + token
    headers = {"Content-Type": "application/json", "User-Agent": "paylocity-bench",
               "Authorization": "Basic " + base64.b64encode(("%s:%s" % (HOOK_USER, HOOK_PASSWORD)).encode()).decode()}
    count_to_send = int(args.steady_rate * args.steady_seconds)
    ids = employee_ids[:count_to_send]
    sent, done, statuses = {}, {}, []
    db = stack.connect()
    db.autocommit = True
    last_id = count(db, "SELECT coalesce(max(id), 0) FROM paylocity_event")
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            with db.cursor() as cr:
                cr.execute("SELECT paylocity_employee_code FROM paylocity_event WHERE id > %s AND state = 'done'",
                           (last_id,))
                seen = time.perf_counter()
                for (employee_id,) in cr.fetchall():
                    done.setdefault(employee_id, seen)
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    session = requests.Session()
    session.trust_env = False
    try:
        started = time.perf_counter()
        for index, employee_id in enumerate(ids):
            time.sleep(max(0.0, started + index / args.steady_rate - time.perf_counter()))
            body = json.dumps({"companyId": COMPANY, "employeeId": employee_id}).encode()
            sent[employee_id] = time.perf_counter()
            statuses.append(session.post(url, data=body, headers=headers, timeout=60).status_code)
        deadline = time.perf_counter() + 60
        while len(done) < len(ids) and time.perf_counter() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        poller.join()
        states = dict(stack_states(db, last_id))
        db.close()
        stack.stop_server()
    latencies = sorted(done[e] - sent[e] for e in ids if e in done)
    return {"sent": len(ids), "rate": args.steady_rate, "done": len(latencies), "bad": sum(1 for s in statuses
                                                                                          if s != 200),
            "p50": percentile(latencies, 0.50) if latencies else None,
            "p95": percentile(latencies, 0.95) if latencies else None,
            "max": latencies[-1] if latencies else None, "states": states}


def stack_states(db, last_id):
    with db.cursor() as cr:
        cr.execute("SELECT state, count(*) FROM paylocity_event WHERE id > %s GROUP BY state", (last_id,))
        return cr.fetchall()


def server_side(log_path, path):
    """Mean queries, SQL time and other server time per request of ``path``, from Odoo's request log lines
    (``"POST <path> HTTP/1.1" 200 - <queries> <sql s> <other s>``)."""
    pattern = re.compile(r'"POST %s\S* HTTP/1\.1" \d+ - (\d+) ([\d.]+) ([\d.]+)' % re.escape(path))
    rows = []
    with open(log_path) as log:
        for line in log:
            match = pattern.search(line)
            if match:
                rows.append((int(match.group(1)), float(match.group(2)), float(match.group(3))))
    if not rows:
        return {}
    return {"queries": sum(r[0] for r in rows) / len(rows), "sql_ms": 1000 * sum(r[1] for r in rows) / len(rows),
            "other_ms": 1000 * sum(r[2] for r in rows) / len(rows)}


# === REPORT === #
def machine(stack):
    db = stack.connect()
    version = count(db, "SELECT version()").split(",")[0]
    db.close()
    return dict(benchlib.machine_info(), postgres=version)


def render_steady(args, steady):
    if not steady:
        return []
    rows = []
    for mode, r in steady.items():
        states = ", ".join("%s %d" % (state, n) for state, n in sorted(r["states"].items()))
        rows.append("| %s | %g/s | %d | %d | %s | %s | %s | %s |" % (
            mode, r["rate"], r["sent"], r["done"], _ms(r["p50"]), _ms(r["p95"]), _ms(r["max"]), states))
    return [
        "Processed while delivered at a steady rate (same run, cron running: two cron threads, Odoo's default; "
        "Employee Change for %d distinct employees, on a connection whose employee sync is off, so the handler "
        "only records that there is nothing to do: what is measured is intake, wake-up, claim and the queue's "
        "transactions): time from sending a delivery to its event seen `done` (database polled every 20 ms)."
        % int(args.steady_rate * args.steady_seconds),
        "",
        "| mode | rate | delivered | done | p50 | p95 | max | events by state |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def _ms(seconds):
    return "—" if seconds is None else "%.0f ms" % (seconds * 1000)


def render(args, results, info, floor_note, steady=None):
    rows = []
    for mode, result in results.items():
        for label in ("floor alone", "webhook alone", "floor", "webhook"):
            r = result[label]
            senders = 1 if "alone" in label else args.senders
            stored = r.get("stored", "")
            rows.append("| %s | %s | %d | %d | %.1f | %.1f | %.1f | %.0f | %d | %s |" % (
                mode, label.replace(" alone", ""), r["n"], senders, r["p50"], r["p95"], r["p99"], r["rps"], r["bad"],
                stored))
    server = []
    for mode, result in results.items():
        for route in ("floor", "webhook"):
            r = result[route]
            if "queries" in r:
                server.append("%s %s: %.1f queries, %.1f ms SQL, %.1f ms other" % (
                    mode, route, r["queries"], r["sql_ms"], r["other_ms"]))
    checks = []
    for mode, result in results.items():
        hook = result["webhook"]
        checks.append("%s: %d deliveries → %d rows stored; %d `received` rows for %d distinct keys (%d distinct "
                      "bodies sent), the rest `duplicate`; %d answers other than 200" % (
                          mode, hook["n"], hook["stored"], hook["received_rows"], hook["received_keys"],
                          hook["distinct"], hook["bad"]))
    return "\n".join([
        HEADING,
        "",
        "`/opt/paylocity-venv/bin/python bench/bench_webhook_intake.py --deliveries %d --senders %d` — a real Odoo "
        "19.0 (`odoo-bin`, cron threads off so only intake is measured) on a throw-away PostgreSQL with durable "
        "commits (fsync and synchronous_commit on), everything on 127.0.0.1. **floor** is a bare public route of a "
        "throw-away bench addon that stores one record per request; **webhook** is `/paylocity/webhook/<token>` "
        "(token, size, allow-list, Basic auth, classification, company check, de-duplication, store, cron "
        "trigger) with %d %% re-sent duplicates among the bodies (New Hire, Employee Change, Termination, Payroll "
        "Processed). Both get the same bodies, in %d slices in which the two routes take turns (floor first, then "
        "webhook first, ...), so that a change of the machine's load weighs on both alike. \"alone\" = one "
        "sender, %d requests; otherwise %d concurrent keep-alive senders (Python threads on the same machine)." % (
            args.deliveries, args.senders, round(args.duplicates * 100), args.rounds, args.alone, args.senders),
        "",
        "| mode | route | requests | senders | p50 ms | p95 ms | p99 ms | req/s | non-200 | rows stored |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Zero lost events — " + "; ".join(checks) + ".",
        "",
        "Server side, mean per request over the whole run (Odoo's request log): " + "; ".join(server) + ".",
        "",
        floor_note,
        "",
        *render_steady(args, steady),
        benchlib.machine_line(info, info["postgres"],
                              note=" The senders run on the same 2 cores as Odoo and PostgreSQL."),
        "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--duplicates", type=float, default=0.2, help="share of re-sent bodies (default 0.2)")
    parser.add_argument("--alone", type=int, default=200, help="requests sent by a single sender first")
    parser.add_argument("--rounds", type=int, default=4,
                        help="slices in which the floor and the webhook take turns (default 4)")
    parser.add_argument("--modes", default="threaded,prefork")
    parser.add_argument("--port", type=int, default=0, help="Odoo HTTP port (default: a free one)")
    parser.add_argument("--steady-rate", type=float, default=5.0, help="deliveries per second, cron running")
    parser.add_argument("--steady-seconds", type=float, default=30.0, help="0 skips the steady phase")
    benchlib.add_stack_options(parser)
    args = parser.parse_args()
    benchlib.require_odoo_tree()
    stack = IntakeStack()
    srv = SandboxServer(seed=4, employees=max(50, int(args.steady_rate * args.steady_seconds) * 2 + 10),
                        companies=(COMPANY,), history_runs=1).start()
    steady = {}
    try:
        stack.start()
        if not args.port:
            args.port = int(stack.shell("free_port"))
        token = stack.install()
        info = machine(stack)
        results = {}
        for run_tag, mode in enumerate(args.modes.split(",")):
            print("running %s..." % mode, file=sys.stderr)
            results[mode] = run_mode(stack, mode, token, args, run_tag)
        if args.steady_seconds > 0:
            stack.connect_sandbox(srv)
            stack.settle_backlog()
            people = [e.employee_id for e in srv.company(COMPANY).sorted_employees() if e.status_type == "A"]
            per_mode = int(args.steady_rate * args.steady_seconds)
            for index, mode in enumerate(args.modes.split(",")):
                print("running %s at a steady %g/s..." % (mode, args.steady_rate), file=sys.stderr)
                steady[mode] = run_steady(stack, mode, token, args, people[index * per_mode:])
                print(json.dumps(steady[mode]), file=sys.stderr)
    finally:
        srv.stop()
        stack.close(keep=args.keep)
    floor_note = floor_comparison(results)
    section = render(args, results, info, floor_note, steady)
    print(section)
    if args.write:
        benchlib.write_section(HEADING, section)


def floor_comparison(results):
    parts = []
    for mode, result in results.items():
        floor, hook = result["floor"], result["webhook"]
        parts.append("%s: webhook p99 %.1f ms vs floor %.1f ms (**×%.2f**; p50 ×%.2f), throughput %.0f vs %.0f "
                     "req/s (**%.0f %%** of the floor)" % (
                         mode, hook["p99"], floor["p99"], hook["p99"] / floor["p99"], hook["p50"] / floor["p50"],
                         hook["rps"], floor["rps"], 100 * hook["rps"] / floor["rps"]))
    return "Against the floor (20 senders) — " + "; ".join(parts) + "."


if __name__ == "__main__":
    main()
