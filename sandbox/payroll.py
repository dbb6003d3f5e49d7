"""Pay runs: per-employee pay statements (summary + E/D/T detail lines) that always add up.

Conventions (the sandbox's choice where Paylocity documents none):
- ``det`` E earning, D deduction, T tax; ``detType`` "EE" for employee-side lines and "ER" for employer-paid
  taxes (FICA-ER, MEDI-ER, FUTA, SUTA), which are memo lines: not part of net pay.
- net = gross − D − T(EE), every amount rounded to the cent before it is summed.
- ``process`` on a summary is the run id within its check date (1 regular, 2 off-cycle, ...); the Payroll
  Processed ``processId`` is the check date ``YYYYMMDD`` plus that run id on two digits.
- ``transactionNumber`` is unique within a company, so details join summaries on it (and on checkDate).
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Optional

from .data import CENT, Company, Employee, PayLine, PayRun, PayStatement, as_date, money, pay_period

SITW_RATE = Decimal("0.0495")
FICA_RATE = Decimal("0.062")
MEDI_RATE = Decimal("0.0145")
FUTA_RATE = Decimal("0.006")
SUTA_RATE = Decimal("0.027")
SUPPLEMENTAL_FITW = Decimal("0.22")
FULL_PERIOD_DAYS = 14


def generate_history(company: Company, check_dates: list) -> None:
    """Regular runs on each check date; on the latest, a negative adjustment and an off-cycle bonus run."""
    for i, day in enumerate(check_dates):
        latest = i == len(check_dates) - 1
        run_payroll(company, day, adjust=latest)
        if latest:
            run_payroll(company, day, off_cycle=True)


def run_payroll(company: Company, check_date, off_cycle: bool = False, adjust: bool = False,
                process_date: Optional[dt.datetime] = None) -> PayRun:
    """Create the next run on ``check_date`` (run id = runs already on that date + 1) and store it."""
    day = as_date(check_date)
    run_id = len(company.runs_on(day)) + 1
    begin, end = pay_period(day)
    if process_date is None:
        process_date = dt.datetime.combine(day - dt.timedelta(days=2), dt.time(10, 31, 5, 900000))
    run = PayRun(check_date=day, run_id=run_id, process_date=process_date, begin_date=begin, end_date=end,
                 off_cycle=off_cycle)
    rng = random.Random(f"{company.seed}:{company.company_id}:{run.process_id}")
    people = company.sorted_employees()
    if off_cycle:
        eligible = [e for e in people if e.status_on(day) == "A" and e.hire_date <= end]
        chosen = set(e.employee_id for e in rng.sample(eligible, max(1, len(eligible) // 10))) if eligible else set()
        for emp in eligible:
            if emp.employee_id in chosen:
                bonus = money(rng.choice((250, 500, 750, 1000, 1500, 2000)))
                run.statements.append(_statement(company, run, emp, [PayLine("E", "BONUS", "EE", bonus, None, None,
                                                                             bonus)]))
    else:
        adjusted = None
        for emp in people:
            days = emp.active_days(begin, end)
            if days <= 0:
                continue
            earnings = _regular_earnings(emp, days, rng)
            if adjust and adjusted is None and emp.pay_type == "Hourly" and days == FULL_PERIOD_DAYS:
                # Retro correction of hours overpaid last period: a negative REG line.
                hours = Decimal("-4.00")
                earnings.append(PayLine("E", "REG", "EE", money(hours * emp.base_rate), hours, emp.base_rate,
                                        money(hours * emp.base_rate)))
                adjusted = emp.employee_id
            run.statements.append(_statement(company, run, emp, earnings))
    company.add_run(run)
    return run


def _regular_earnings(emp: Employee, days: int, rng: random.Random) -> list:
    share = Decimal(days) / FULL_PERIOD_DAYS
    hours = (emp.default_hours * share).quantize(CENT)
    if emp.pay_type == "Salary":
        amount = money(emp.period_salary * share)
        lines = [PayLine("E", "REG", "EE", amount, hours, emp.base_rate, amount)]
    else:
        amount = money(hours * emp.base_rate)
        lines = [PayLine("E", "REG", "EE", amount, hours, emp.base_rate, amount)]
        if emp.overtime_likely and days == FULL_PERIOD_DAYS and rng.random() < 0.6:
            ot_hours = Decimal(rng.randint(2, 40)) / 4
            ot_rate = money(emp.base_rate * Decimal("1.5"))
            lines.append(PayLine("E", "OT", "EE", money(ot_hours * ot_rate), ot_hours.quantize(CENT), ot_rate,
                                 money(ot_hours * ot_rate)))
    return lines


def _statement(company: Company, run: PayRun, emp: Employee, earnings: list) -> PayStatement:
    gross = sum((l.amount for l in earnings), Decimal("0.00"))
    lines = list(earnings)
    k401 = money(gross * emp.k401_percent / 100)
    medical = Decimal("0.00") if run.off_cycle else emp.medical
    dental = Decimal("0.00") if run.off_cycle else emp.dental
    for code, amount in (("401K", k401), ("MED", medical), ("DEN", dental)):
        if amount:
            lines.append(PayLine("D", code, "EE", amount, None, None, gross))
    fed_wages = gross - k401 - medical - dental
    fica_wages = gross - medical - dental
    fitw_rate = SUPPLEMENTAL_FITW if run.off_cycle else emp.fitw_rate
    for code, wages, rate in (("FITW", fed_wages, fitw_rate), ("SITW", fed_wages, SITW_RATE),
                              ("FICA", fica_wages, FICA_RATE), ("MEDI", fica_wages, MEDI_RATE)):
        lines.append(PayLine("T", code, "EE", money(wages * rate), None, None, wages))
    for code, wages, rate in (("FICA-ER", fica_wages, FICA_RATE), ("MEDI-ER", fica_wages, MEDI_RATE),
                              ("FUTA", gross, FUTA_RATE), ("SUTA", gross, SUTA_RATE)):
        lines.append(PayLine("T", code, "ER", money(wages * rate), None, None, wages))
    statement = PayStatement(
        employee_id=emp.employee_id, check_date=run.check_date, process=run.run_id,
        transaction_number=company.next_transaction, voucher_number=company.next_voucher,
        check_number=0 if emp.direct_deposit else company.next_check,
        begin_date=run.begin_date, end_date=run.end_date,
        transaction_type="Special" if run.off_cycle else "Regular",
        auto_pay=emp.pay_type == "Salary", workers_comp=emp.workers_comp, direct_deposit=emp.direct_deposit,
        lines=lines,
    )
    company.next_transaction += 1
    company.next_voucher += 1
    if not emp.direct_deposit:
        company.next_check += 1
    return statement
