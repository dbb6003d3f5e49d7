"""Bench, issue 9: two Odoo servers in workers mode, one database, drain a queue of events; none is processed twice.

One throw-away database with the addon and a throw-away bench addon (written into this bench's temp dir, never
part of the addon) that gives Time Off Approval events a handler whose only work is a side effect: one row
(event, the server's HTTP port, the worker's process id, when the handler started and ended) in a table without
any unique constraint, so an event processed twice leaves two rows. The bench addon also adds more crons running
the same event processing (``--processors`` in all, as many as the two servers' cron workers), so that several
jobs claim from the queue at the same time (Odoo runs one job at a time per cron; with one cron the servers would
only take turns). Then ``--events`` events are queued (the poll path: ``_create_from_poll``) and two ``odoo-bin``
servers, each with ``--workers 2 --max-cron-threads 2``, are started on the database; the bench waits until no
event is pending and counts, per event: handler side effects, processing attempts, final state, and how many
handler runs overlapped one in another process.

    /opt/paylocity-venv/bin/python bench/bench_event_drain.py [--events 2000] [--processors 4] [--write]

The servers run with ``ODOO_NOTIFY_CRON_CHANGES=1`` (Odoo's switch that notifies cron workers when a job
reschedules itself), so a job that stopped after its ten rounds is taken up again at once instead of at the
workers' next one-minute poll, and with ``--limit-time-real-cron 0``: a cron worker runs every ready job of the
database in one go (each event processor for its ten-second slot, and Odoo's own jobs of a fresh database), which on
two loaded cores takes longer than the default 120 s, after which the server kills the worker; an event it held
then waits for its lease (an hour) before it is taken again, which is the queue's promise but not this bench's
subject. Killed workers are counted all the same.
"""
import argparse
import os
import subprocess
import sys
import textwrap
import time

import psycopg2
import requests

import benchlib
from benchlib import ODOO_TREE, PY

HEADING = "## Two servers drain the event queue (issue 9)"
DB = "bench_drain"

CRON = """\
    <record id="ir_cron_bench_processor_%(n)d" model="ir.cron">
        <field name="name">Bench: event processor %(n)d</field>
        <field name="model_id" ref="paylocity_connector.model_paylocity_event"/>
        <field name="state">code</field>
        <field name="code">model._cron_process_events()</field>
        <field name="user_id" ref="base.user_root"/>
        <field name="interval_number">1</field>
        <field name="interval_type">minutes</field>
    </record>
"""

MODELS = textwrap.dedent("""\
    import os
    import time

    from odoo import fields, models
    from odoo.tools import config


    class PaylocityBenchEffect(models.Model):
        _name = 'paylocity.bench.effect'
        _description = 'Bench: one row per handler run (no unique constraint on purpose)'
        _log_access = False

        event_id = fields.Integer(index=True)
        server_port = fields.Integer()
        pid = fields.Integer()
        started = fields.Float(digits=(16, 6))
        ended = fields.Float(digits=(16, 6))


    class PaylocityEvent(models.Model):
        _inherit = 'paylocity.event'

        def _handle_time_off_approval(self):
            started = time.time()
            time.sleep(0.005)   # a little work, so claims overlap
            self.env['paylocity.bench.effect'].sudo().create({
                'event_id': self.id, 'server_port': config['http_port'], 'pid': os.getpid(),
                'started': started, 'ended': time.time()})
            return {'result_message': 'bench handler ran'}
""")


def drain_addon(processors):
    """The bench addon's files: the handler with its side effect, and ``processors - 1`` more processing crons."""
    crons = "".join(CRON % {"n": n} for n in range(2, processors + 1))
    return {
        "__init__.py": "from . import models\n",
        "__manifest__.py": "{'name': 'Paylocity bench drain', 'version': '19.0.0.0.1', 'depends': ['paylocity_connector'],\n"
                           " 'author': 'paylocity_connector bench', 'data': ['ir.model.access.csv', 'cron.xml'],\n"
                           " 'license': 'LGPL-3', 'installable': True}\n",
        "ir.model.access.csv": "id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink\n"
                               "access_effect,effect,model_paylocity_bench_effect,base.group_system,1,1,1,1\n",
        "cron.xml": "<odoo>\n%s</odoo>\n" % crons,
        "models.py": MODELS,
    }


QUEUE = textwrap.dedent("""\
    connection = env['paylocity.connection'].create({
        'name': 'Bench drain', 'paylocity_company_code': 'C1001', 'environment': 'test',
        'company_id': env.ref('base.main_company').id})
    Event = env['paylocity.event']
    for start in range(0, %(events)d, 500):
        for n in range(start, min(start + 500, %(events)d)):
            Event._create_from_poll(connection, 'time_off_approval', 'time_off_approval:C1001:bench-%%d' %% n,
                                    {'companyId': 'C1001', 'n': n})
        env.cr.commit()
    processors = env['ir.cron'].search([('ir_actions_server_id.code', '=', 'model._cron_process_events()')])
    env.cr.execute("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' WHERE id IN %%s", (tuple(processors.ids),))
    env.cr.commit()
""")


class DrainStack(benchlib.Stack):
    def __init__(self):
        super().__init__(prefix="paylocity-bench-drain.", db=DB)
        self.servers = []

    def start(self, processors):
        super().start()
        addon = os.path.join(self.work, "addons", "paylocity_bench_drain")
        os.makedirs(addon)
        for name, text in drain_addon(processors).items():
            with open(os.path.join(addon, name), "w") as handle:
                handle.write(text)

    def serve(self, port, gevent_port, index):
        env = dict(self.env, ODOO_NOTIFY_CRON_CHANGES="1")
        self.servers.append(subprocess.Popen(
            [PY, os.path.join(ODOO_TREE, "odoo-bin"), "-c", self.conf, "-d", DB, "--db-filter", "^%s$" % DB,
             "--http-port", str(port), "--gevent-port", str(gevent_port), "--workers", "2",
             "--max-cron-threads", "2", "--limit-time-real-cron", "0",
             "--logfile", os.path.join(self.work, "server-%d.log" % index)],
            env=env, stderr=subprocess.DEVNULL))

    def wait_up(self, port):
        for _second in range(180):
            try:
                if requests.get("http://127.0.0.1:%d/web/login" % port, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError("server on port %d did not start" % port)

    def connect(self):
        return psycopg2.connect(host="127.0.0.1", port=self.pg_port, user="odoo", password="odoo", dbname=DB)

    def close(self, keep=False):
        for server in self.servers:
            server.terminate()
        for server in self.servers:
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
        super().close(keep)


def one(db, sql, *args):
    with db.cursor() as cr:
        cr.execute(sql, args)
        return cr.fetchone()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--processors", type=int, default=4,
                        help="crons processing the queue (the addon's and bench copies; default 4, the two servers' "
                             "cron workers)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait for the queue to drain")
    benchlib.add_stack_options(parser)
    args = parser.parse_args()
    benchlib.require_odoo_tree()
    stack = DrainStack()
    try:
        stack.start(args.processors)
        stack.install("paylocity_connector,paylocity_bench_drain")
        info = benchlib.machine_info()
        stack.odoo("--no-http", "--logfile", os.path.join(stack.work, "queue.log"), command=("shell",),
                   input=QUEUE % {"events": args.events}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   text=True)
        db = stack.connect()
        db.autocommit = True
        postgres = one(db, "SELECT version()")[0].split(",")[0]
        queued = one(db, "SELECT count(*) FROM paylocity_event WHERE state = 'received'")[0]
        ports = [int(stack.shell("free_port")) for _ in range(2)]
        gevent_ports = [int(stack.shell("free_port")) for _ in range(2)]
        started = time.perf_counter()
        for index, port in enumerate(ports):
            stack.serve(port, gevent_ports[index], index)
        for port in ports:
            stack.wait_up(port)
        up = time.perf_counter() - started
        first_done = None
        while time.perf_counter() - started < args.timeout:
            pending, done = one(db, "SELECT count(*) FILTER (WHERE state IN ('received', 'retrying', 'processing')),"
                                    " count(*) FILTER (WHERE state = 'done') FROM paylocity_event")
            if done and first_done is None:
                first_done = time.perf_counter()
            if not pending:
                break
            time.sleep(0.5)
        drained = time.perf_counter()
        result = collect(db)
        result["killed"] = sum(open(os.path.join(stack.work, "server-%d.log" % index)).read().count("timeout after")
                               for index in range(2))
        result.update(queued=queued, up_seconds=up, drain_seconds=drained - (first_done or drained),
                      timed_out=bool(pending))
        db.close()
    finally:
        stack.close(keep=args.keep)
    result["by_server"] = {("server %d" % ports.index(port) if port in ports else str(port)): n
                           for port, n in result["by_server"].items()}
    section = render(args, result, info, postgres)
    print(section)
    if args.write:
        benchlib.write_section(HEADING, section)


def collect(db):
    """What the database says after the drain: final states, handler side effects, attempts, overlaps."""
    result = {
        "states": dict(rows(db, "SELECT state, count(*) FROM paylocity_event GROUP BY state")),
        "not_done": one(db, "SELECT count(*) FROM paylocity_event WHERE state != 'done'")[0],
        "effects": one(db, "SELECT count(*) FROM paylocity_bench_effect")[0],
        "events_with_effects": one(db, "SELECT count(DISTINCT event_id) FROM paylocity_bench_effect")[0],
        "done_without_effect": one(db, "SELECT count(*) FROM paylocity_event e WHERE state = 'done' AND NOT EXISTS "
                                       "(SELECT 1 FROM paylocity_bench_effect f WHERE f.event_id = e.id)")[0],
        "twice": one(db, "SELECT count(*) FROM (SELECT event_id FROM paylocity_bench_effect GROUP BY event_id "
                         "HAVING count(*) > 1) t")[0],
        "attempts": one(db, "SELECT count(*) FROM paylocity_event_attempt")[0],
        "attempts_over_one": one(db, "SELECT count(*) FROM (SELECT event_id FROM paylocity_event_attempt "
                                     "GROUP BY event_id HAVING count(*) > 1) t")[0],
        "attempt_count_over_one": one(db, "SELECT count(*) FROM paylocity_event WHERE attempt_count > 1")[0],
        "by_server": dict(rows(db, "SELECT server_port, count(*) FROM paylocity_bench_effect GROUP BY 1")),
        "processes": one(db, "SELECT count(DISTINCT pid) FROM paylocity_bench_effect")[0],
        "outcomes": dict(rows(db, "SELECT outcome, count(*) FROM paylocity_event_attempt GROUP BY 1")),
    }
    runs = rows(db, "SELECT started, ended, pid FROM paylocity_bench_effect ORDER BY started")
    result["overlapping"] = overlapping(runs)
    return result


def overlapping(runs):
    """How many handler runs (started, ended, pid), sorted by start, overlapped a run of another process."""
    overlapped = set()
    for index, (started, ended, pid) in enumerate(runs):
        for other in range(index + 1, len(runs)):
            other_started, _other_ended, other_pid = runs[other]
            if other_started >= ended:
                break
            if other_pid != pid:
                overlapped.update((index, other))
    return len(overlapped)


def rows(db, sql):
    with db.cursor() as cr:
        cr.execute(sql)
        return cr.fetchall()


def render(args, r, info, postgres):
    states = ", ".join("%s %d" % item for item in sorted(r["states"].items()))
    servers = ", ".join("%s %d" % item for item in sorted(r["by_server"].items()))
    outcomes = ", ".join("%s %d" % item for item in sorted(r["outcomes"].items()))
    rate = r["queued"] / r["drain_seconds"] if r["drain_seconds"] else 0
    return "\n".join([
        HEADING,
        "",
        "`/opt/paylocity-venv/bin/python bench/bench_event_drain.py --events %d --processors %d` — %s" % (
            args.events, args.processors, __doc__.split("\n\n")[1].replace("\n", " ")),
        "",
        "| measure | value |",
        "| --- | --- |",
        "| events queued | %d |" % r["queued"],
        "| events by final state | %s |" % states,
        "| events lost (not `done` at the end%s) / `done` without a handler side effect | **%d** / **%d** |" % (
            ", timed out" if r["timed_out"] else "", r["not_done"], r["done_without_effect"]),
        "| handler side effects (rows) / events with one | %d / %d |" % (r["effects"], r["events_with_effects"]),
        "| events whose handler ran more than once | **%d** |" % r["twice"],
        "| processing attempts (rows) / events with more than one / events counting more than one | %d / **%d** / "
        "**%d** (%s) |" % (r["attempts"], r["attempts_over_one"], r["attempt_count_over_one"], outcomes),
        "| events processed per server / worker processes that processed some | %s / %d |" % (
            servers, r["processes"]),
        "| handler runs that overlapped a run in another process | %d of %d |" % (r["overlapping"], r["effects"]),
        "| cron workers killed by the server's time limit | %d |" % r["killed"],
        "| servers up (both answering HTTP) | %.1f s |" % r["up_seconds"],
        "| drain time (first event done → queue empty) | **%.1f s** (%.0f events/s) |" % (r["drain_seconds"], rate),
        "",
        benchlib.machine_line(info, postgres, note=" The queue is drained by real cron worker processes of two "
                                                   "servers, both on this machine's 2 cores."),
        "",
    ])


if __name__ == "__main__":
    main()
