"""Bench (a), issue 2: pay-statement details for N employees against the sandbox limited to 25 calls/s.

Fetches one check date's details for every employee through ``PaylocityClient.fan_out`` (bounded pool, the
client's sliding-window limiter sets the pace) and reports calls, seconds, the achieved rate as a fraction of
the limit, the busiest 1-second window the server saw, and how many 429s it sent (target: ≥ 0.90, zero 429).

    /opt/paylocity-venv/bin/python bench/bench_paystatements.py [--employees 1000] [--rate 25] [--workers 8]
                                                                [--write]   # update bench/RESULTS.md

The token is fetched before the clock starts (one call an hour in production; not what is measured).
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# `paylocity` and `sandbox` as top-level packages; the repository root itself is the Odoo addon.
sys.path.insert(0, ROOT)

from paylocity.auth import Credentials  # noqa: E402
from paylocity.client import PaylocityClient  # noqa: E402
from paylocity.hosts import sandbox_hosts  # noqa: E402
from sandbox import SandboxServer  # noqa: E402
from sandbox.ratelimit import busiest_window  # noqa: E402

import benchlib  # noqa: E402  (bench/ is on sys.path)

HEADING = "## Pay-statement fetch (issue 2, bench a)"
COMPANY = "C1001"



def run(employees, rate, workers):
    srv = SandboxServer(seed=1, employees=employees, companies=(COMPANY,), weblink_rate_limit=rate).start()
    try:
        creds = srv.credentials(COMPANY)
        company = srv.company(COMPANY)
        pay_run = [r for r in company.pay_runs if not r.off_cycle][-1]
        ids = [e.employee_id for e in company.sorted_employees()]
        client = PaylocityClient(COMPANY, sandbox_hosts(srv.base_url),
                                 weblink=Credentials(creds.weblink_client_id, creds.weblink_client_secret),
                                 weblink_rate=rate, max_workers=workers, share_limiters=False,
                                 allow_host_overrides=True)
        client._provider("weblink").token()
        time.sleep(1.2)          # let the token call leave the limiter's window
        srv.reset_calls()

        def fetch(employee_id):
            return client.get_pay_statement_details(employee_id, pay_run.check_date.year, pay_run.check_date)

        started = time.perf_counter()
        results = client.fan_out(fetch, ids)
        seconds = time.perf_counter() - started
        client.close()
        calls = srv.calls
        failures = [r for _, r in results if isinstance(r, Exception)]
        detail_calls = [c for c in calls if "/paystatement/details/" in c.path]
        return {
            "employees": len(ids),
            "check_date": pay_run.check_date.isoformat(),
            "paid_employees": sum(1 for _, r in results if r and not isinstance(r, Exception)),
            "detail_lines": sum(len(r) for _, r in results if r and not isinstance(r, Exception)),
            "calls": len(detail_calls),
            "seconds": seconds,
            "rate": len(detail_calls) / seconds,
            "limit": rate,
            "fraction": len(detail_calls) / seconds / rate,
            "busiest_second": busiest_window(c.at for c in calls),
            "status_429": sum(1 for c in calls if c.status == 429),
            "failures": len(failures),
            "workers": workers,
        }
    finally:
        srv.stop()


def render(result, info):
    return "\n".join([
        HEADING,
        "",
        "`bench/bench_paystatements.py --employees %d --rate %g --workers %d` — one check date's pay-statement "
        "details per employee through `PaylocityClient.fan_out`, sandbox limited to %g calls/s (sliding 1 s "
        "window, 429 beyond it); client limiter at the same %g calls/s with its default 50 ms guard."
        % (result["employees"], result["limit"], result["workers"], result["limit"], result["limit"]),
        "",
        "| measure | value |",
        "| --- | --- |",
        "| employees (check date %s; %d paid, %d detail lines) | %d |"
        % (result["check_date"], result["paid_employees"], result["detail_lines"], result["employees"]),
        "| API calls | %d |" % result["calls"],
        "| seconds | %.2f |" % result["seconds"],
        "| achieved rate | %.2f calls/s |" % result["rate"],
        "| fraction of the %g calls/s limit | **%.3f** (target ≥ 0.90) |" % (result["limit"], result["fraction"]),
        "| busiest 1-second window seen by the server | %d calls |" % result["busiest_second"],
        "| 429 answers | %d |" % result["status_429"],
        "| failed calls | %d |" % result["failures"],
        "",
        "Rate = calls / wall seconds from the first call to the last answer. The limiter books start times so that "
        "call n starts at least 1.05 s after call n-%g: steady pace %g / 1.05 = %.1f calls/s (%.0f %%), and a fresh "
        "window admits one full bunch at once, which lifts short runs a little above that."
        % (result["limit"], result["limit"], result["limit"] / 1.05, 100 / 1.05),
        "",
        "Machine: %s CPU(s), %s; Python %s; %s. Measured %s."
        % (info["nproc"], info["cpu"], info["python"], info["platform"], time.strftime("%Y-%m-%d")),
        "",
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="update this bench's section of bench/RESULTS.md")
    args = parser.parse_args(argv)
    result = run(args.employees, args.rate, args.workers)
    section = render(result, benchlib.machine_info())
    print(section)
    if args.write:
        print("written to", benchlib.write_section(HEADING, section))
    ok = result["fraction"] >= 0.90 and result["status_429"] == 0 and result["failures"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
