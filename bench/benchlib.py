"""What the benchmark scripts share: a throw-away PostgreSQL + Odoo stack, machine facts, bench/RESULTS.md sections.

The scripts run as ``python bench/<script>.py``, so this directory is on ``sys.path`` and ``import benchlib`` works.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODOO_TREE = os.environ.get("ODOO_TREE", "/opt/odoo19")
PY = os.environ.get("PAYLOCITY_VENV") and os.path.join(os.environ["PAYLOCITY_VENV"], "bin", "python") \
    or sys.executable
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")


class Stack:
    """Throw-away PostgreSQL and Odoo configuration from tools/lib/odoo_env.sh, with one database ``db``."""

    def __init__(self, prefix, db):
        self.db = db
        self.work = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.work, 0o755)
        self.env = dict(os.environ, ROOT=ROOT, WORK=self.work, PY=PY, ODOO_TREE=ODOO_TREE)

    def shell(self, script):
        done = subprocess.run(["bash", "-c", 'source "$ROOT/tools/lib/odoo_env.sh"\n' + script],
                              env=self.env, stdout=subprocess.PIPE, text=True, check=True)
        return done.stdout.strip()

    def start(self):
        out = self.shell('pg_start && odoo_prepare && echo "$PG_PORT $ODOO_CONF $PGDATA_DIR"')
        self.pg_port, self.conf, self.pgdata = out.split()[-3:]
        self.env.update(PG_PORT=self.pg_port, PGDATA_DIR=self.pgdata)

    def odoo(self, *args, command=(), **kwargs):
        return subprocess.run([PY, os.path.join(ODOO_TREE, "odoo-bin"), *command, "-c", self.conf, "-d", self.db,
                               *args], env=self.env, check=True, **kwargs)

    def install(self, modules="paylocity_connector"):
        self.odoo("-i", modules, "--stop-after-init", "--logfile", os.path.join(self.work, "install.log"),
                  stderr=subprocess.DEVNULL)

    def measure(self, script):
        """Run ``script`` in ``odoo-bin shell``; it prints one line ``RESULT <json>``, returned decoded."""
        script = "import sys\nsys.path.insert(0, %r)  # bench/: odoo_setup\n" % os.path.join(ROOT, "bench") + script
        out = self.odoo("--no-http", "--logfile", os.path.join(self.work, "measure.log"), command=("shell",),
                        input=script, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
        match = re.search(r"^RESULT (.*)$", out, re.M)
        if not match:
            raise RuntimeError("the measurement printed no result; see %s/measure.log" % self.work)
        return json.loads(match.group(1))

    def close(self, keep=False):
        try:
            self.shell('PG_PID_DIR="$PGDATA_DIR"; pg_stop')
        finally:
            if not keep:
                shutil.rmtree(self.work, ignore_errors=True)
        if keep:
            print("logs kept in %s" % self.work, file=sys.stderr)


def measure_in_odoo(prefix, db, script, keep=False):
    """Fresh stack, addon installed, ``script`` run by ``Stack.measure``, stack stopped: the decoded result."""
    stack = Stack(prefix, db)
    try:
        stack.start()
        stack.install()
        return stack.measure(script)
    finally:
        stack.close(keep=keep)


def parse_args(doc, add_options):
    """The command line of an Odoo bench: its own options (``add_options(parser)``), then --keep and --write.
    Exits when there is no Odoo tree to run it with."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    add_options(parser)
    add_stack_options(parser)
    args = parser.parse_args()
    require_odoo_tree()
    return args


def add_payroll_options(parser):
    """--employees and --rate, the size and pace of the sandbox company an Odoo bench measures."""
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=25, help="WebLink calls per second (sandbox and client)")


def report(args, heading, result, section):
    """The measured ``result`` on stderr (JSON), the ``section`` on stdout; with --write also in bench/RESULTS.md."""
    print(json.dumps(result, indent=1, default=str), file=sys.stderr)
    print(section)
    if args.write:
        write_section(heading, section)


def require_odoo_tree():
    if not os.path.isfile(os.path.join(ODOO_TREE, "odoo-bin")):
        sys.exit("no Odoo 19.0 tree at %s (set ODOO_TREE)" % ODOO_TREE)


def machine_info():
    """CPU count and model, Python, platform and load average, for the "Machine:" line of a section."""
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "load": "%.2f %.2f %.2f" % os.getloadavg()}


def machine_line(info, postgres, note=""):
    """The closing "Machine: ..." sentence of an Odoo bench's section; ``note`` goes before the date."""
    quiet = float(info["load"].split()[0]) < (info["nproc"] or 1) / 2
    return ("Machine: %(nproc)s CPU(s), %(cpu)s; Python %(python)s; %(postgres)s; %(platform)s; load average before "
            "the run %(load)s (%(company)s).%(note)s Measured %(date)s." % dict(
                info, postgres=postgres, note=note, date=datetime.date.today().isoformat(),
                company="the machine was otherwise quiet" if quiet else "other work shares the machine"))


def add_stack_options(parser):
    """--keep and --write, last in an Odoo bench's options."""
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs) at the end")
    parser.add_argument("--write", action="store_true", help="update this bench's section of bench/RESULTS.md")


def write_section(heading, section):
    """Replace the section of bench/RESULTS.md that starts with ``heading`` (or append it); returns the path."""
    text = open(RESULTS, encoding="utf-8").read() if os.path.exists(RESULTS) else "# Benchmark results\n\n"
    pattern = re.compile(r"^%s\n.*?(?=^## |\Z)" % re.escape(heading), re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(RESULTS, "w", encoding="utf-8") as out:
        out.write(text.rstrip("\n") + "\n")
    return RESULTS
