"""Bench (b) of issue 2: the journal builder on 100,000 pay-statement detail lines.

    /opt/paylocity-venv/bin/python bench/bench_journal.py [--employees 5000] [--lines 100000] [--repeat 5]

Generates a seeded pay run shaped like a real one (earnings, deductions, employee and employer taxes, a
memo line, negative adjustments, an off-cycle second run on the same check date for some employees,
cost-center specific rules), turns it into the pydantic models the client returns, then times
``build_journal`` alone at both detail levels (median of ``--repeat`` runs). Target: ≤ 2 s.
Besides wall time it reports the process's CPU time, which other work on a shared machine disturbs far less:
compare two versions of the builder by it, run alternately.
"""
import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from paylocity.journal import EmployeePay, GlRule, build_journal  # noqa: E402
from paylocity.models import PayStatementDetail, PayStatementSummary  # noqa: E402

import benchlib  # noqa: E402  (bench/ is on sys.path)

CHECK_DATE = "2026-01-15T00:00:00"
# The codes of a typical US bi-weekly statement.
EARNINGS = ["REG", "OT", "HOL", "PTO", "SHIFT"]
DEDUCTIONS = ["401K", "MED", "DEN", "VIS", "HSA"]
EMPLOYEE_TAXES = ["FITW", "SITW", "LOCAL", "FICA", "MEDI", "SDI"]
EMPLOYER_TAXES = ["ERFICA", "ERMEDI", "FUTA", "SUTA"]
MEMO = ["GTL"]
COST_CENTERS = ["%03d" % (100 + i) for i in range(40)]


def make_rules():
    rules = [GlRule(code, det="E", debit_account=6000 + i, analytic="employee", label=code)
             for i, code in enumerate(EARNINGS + ["BONUS"])]
    rules += [GlRule(code, det="D", credit_account=2100 + i, partner=500 + i) for i, code in enumerate(DEDUCTIONS)]
    rules += [GlRule(code, det="T", credit_account=2200 + i, partner=600) for i, code in enumerate(EMPLOYEE_TAXES)]
    rules += [GlRule(code, det="T", debit_account=6100 + i, credit_account=2300 + i, partner=600, analytic="employee")
              for i, code in enumerate(EMPLOYER_TAXES)]
    rules += [GlRule("GTL", ignore=True)]
    # Cost-center overrides: production cost centers book wages to cost of goods sold.
    rules += [GlRule("REG", det="E", cost_center=cc, debit_account=5000, analytic="employee")
              for cc in COST_CENTERS[:10]]
    return rules


def _money(rng, low, high):
    return Decimal(rng.randint(int(low * 100), int(high * 100))).scaleb(-2)


def _statement(rng, transaction, process, lines_wanted):
    """JSON-shaped summary + details for one check; amounts agree (gross - deductions - taxes = net)."""
    earnings = [("E", "REG", _money(rng, 1200, 4200))]
    for code in EARNINGS[1:]:
        earnings.append(("E", code, _money(rng, 10, 600)))
    if rng.random() < 0.03:
        earnings.append(("E", "BONUS", _money(rng, -300, -10)))          # a reversed bonus (negative adjustment)
    gross = sum(amount for _, _, amount in earnings)
    deductions = [("D", code, _money(rng, 5, 150)) for code in DEDUCTIONS]
    employee_taxes = [("T", code, (gross * Decimal(rate)).quantize(Decimal("0.01")))
                      for code, rate in zip(EMPLOYEE_TAXES, ("0.12", "0.04", "0.01", "0.062", "0.0145", "0.009"))]
    employer_taxes = [("T", code, (gross * Decimal(rate)).quantize(Decimal("0.01")))
                      for code, rate in zip(EMPLOYER_TAXES, ("0.062", "0.0145", "0.006", "0.027"))]
    memo = [("E", "GTL", _money(rng, 1, 20))]
    # Employer twins (ERFICA, ERMEDI) before the employee taxes, so a statement cut short never keeps FICA
    # without ERFICA (which the builder rightly flags); with 20 lines the set is the same as before.
    lines = (earnings + memo + deductions + employer_taxes[:2] + employee_taxes + employer_taxes[2:])[:lines_wanted]
    gross = sum(a for d, c, a in lines if d == "E" and c != "GTL")
    net = gross - sum(a for d, c, a in lines if d in ("D", "T") and c not in EMPLOYER_TAXES)
    summary = {"year": 2026, "checkDate": CHECK_DATE, "beginDate": "2026-01-01T00:00:00",
               "endDate": "2026-01-14T00:00:00", "checkNumber": 0, "voucherNumber": 10000 + transaction,
               "transactionNumber": transaction, "process": process, "grossPay": float(gross), "netPay": float(net),
               "netCheck": 0.0, "directDepositAmount": float(net), "autoPay": True}
    details = [{"year": 2026, "checkDate": CHECK_DATE, "transactionNumber": transaction, "transactionType": "Regular",
                "det": det, "detCode": code, "detType": code, "amount": float(amount)} for det, code, amount in lines]
    return summary, details


def make_run(employees, total_lines, seed=1):
    """JSON-shaped (employee id, cost center, summaries, details) with exactly ``total_lines`` detail lines."""
    rng = random.Random(seed)
    per_employee = total_lines // employees
    raw = []
    transaction = 0
    for number in range(employees):
        wanted = per_employee + (1 if number < total_lines - per_employee * employees else 0)
        statements = []
        if rng.random() < 0.05 and wanted >= 8:
            # Off-cycle second run on the same check date: some of this employee's lines belong to process 2.
            regular = wanted - 4
            transaction += 1
            statements.append(_statement(rng, transaction, 1, regular))
            transaction += 1
            statements.append(_statement(rng, transaction, 2, 4))
        else:
            transaction += 1
            statements.append(_statement(rng, transaction, 1, wanted))
        summaries = [s for s, _ in statements]
        details = [d for _, ds in statements for d in ds]
        raw.append(("%06d" % (number + 1), rng.choice(COST_CENTERS), summaries, details))
    return raw


def to_models(raw):
    return [EmployeePay(employee_id, cost_center,
                        [PayStatementSummary.model_validate(s) for s in summaries],
                        [PayStatementDetail.model_validate(d) for d in details])
            for employee_id, cost_center, summaries, details in raw]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    raw = make_run(args.employees, args.lines, args.seed)
    started = time.perf_counter()
    pays = to_models(raw)
    model_seconds = time.perf_counter() - started
    detail_lines = sum(len(p.details) for p in pays)
    rules = make_rules()
    analytics = {cc: 9000 + i for i, cc in enumerate(COST_CENTERS)}

    print("machine: %(nproc)s cores, %(cpu)s, Python %(python)s, %(platform)s" % benchlib.machine_info())
    print("input: %d employees, %d detail lines (%d summaries); pydantic parsing %.3f s (not part of the builder)"
          % (len(pays), detail_lines, sum(len(p.summaries) for p in pays), model_seconds))
    for level in ("aggregate", "employee"):
        times, cpu_times = [], []
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = build_journal(pays, rules, run_id=1, check_date="2026-01-15", net_pay_account=2000,
                                   detail_level=level, cost_center_analytics=analytics)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
        assert result.is_balanced and not result.unmapped and not result.differences, (result.unmapped,
                                                                                       result.differences[:3])
        print("build_journal detail_level=%-9s median %.3f s (min %.3f, max %.3f, %d runs; CPU median %.3f s, "
              "min %.3f): %d employees, %d journal lines, debit = credit = %s"
              % (level, statistics.median(times), min(times), max(times), len(times), statistics.median(cpu_times),
                 min(cpu_times), result.employees, len(result.lines), result.total_debit))


if __name__ == "__main__":
    main()
