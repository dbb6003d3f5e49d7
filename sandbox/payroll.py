"""Pay runs: per-employee pay statements (summary + E/D/T detail lines) that always add up.

Conventions (the sandbox's choice where Paylocity documents none):
- ``det`` E earning, D deduction, T tax; ``detType`` "EE" for employee-side lines and "ER" for employer-paid
  taxes (FICA-ER, MEDI-ER, FUTA, SUTA), which are memo lines: not part of net pay.
- net = gross − D − T(EE), every amount rounded to the cent before it is summed.
- ``process`` on a summary is the run id within its check date (1 regular, 2 off-cycle, ...); the Payroll
  Processed ``processId`` is the check date ``YYYYMMDD`` plus that run id on two digits.
- ``transactionNumber`` is unique within a company, so details join summaries on it (and on checkDate).
- After processing (README "Changes after processing", inferred): a void is a new, negated statement in the same
  run; a manual check a new statement paid by check; amounts can be changed and statements removed in place.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Optional

from .data import CENT, Company, Employee, PayLine, PayRun, PayStatement, as_date, as_money, money, pay_period

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


def _statement(company: Company, run: PayRun, emp: Employee, earnings: list, kind: Optional[str] = None) -> PayStatement:
    """A statement of ``earnings`` with deductions and taxes computed on them, numbered in the company's sequence.

    ``kind``: "regular", "off_cycle" (bonus: no benefits, supplemental FITW) or "manual" (a manual check added to
    the run: taxed like an off-cycle check, always paid by paper check); default from the run."""
    kind = kind or ("off_cycle" if run.off_cycle else "regular")
    supplemental = kind != "regular"
    gross = sum((l.amount for l in earnings), Decimal("0.00"))
    lines = list(earnings)
    k401 = money(gross * emp.k401_percent / 100)
    medical = Decimal("0.00") if supplemental else emp.medical
    dental = Decimal("0.00") if supplemental else emp.dental
    for code, amount in (("401K", k401), ("MED", medical), ("DEN", dental)):
        if amount:
            lines.append(PayLine("D", code, "EE", amount, None, None, gross))
    fed_wages = gross - k401 - medical - dental
    fica_wages = gross - medical - dental
    fitw_rate = SUPPLEMENTAL_FITW if supplemental else emp.fitw_rate
    for code, wages, rate in (("FITW", fed_wages, fitw_rate), ("SITW", fed_wages, SITW_RATE),
                              ("FICA", fica_wages, FICA_RATE), ("MEDI", fica_wages, MEDI_RATE)):
        lines.append(PayLine("T", code, "EE", money(wages * rate), None, None, wages))
    if emp.garnishment and not supplemental:
        # Post-tax: taken from what is left after taxes, never more than that.
        left = gross - sum((l.amount for l in lines if l.det in ("D", "T") and l.det_type == "EE"), Decimal("0"))
        garnished = min(emp.garnishment, max(left, Decimal("0.00")))
        if garnished:
            lines.append(PayLine("D", "GARN", "EE", garnished, None, None, left))
    for code, wages, rate in (("FICA-ER", fica_wages, FICA_RATE), ("MEDI-ER", fica_wages, MEDI_RATE),
                              ("FUTA", gross, FUTA_RATE), ("SUTA", gross, SUTA_RATE)):
        lines.append(PayLine("T", code, "ER", money(wages * rate), None, None, wages))
    by_check = kind == "manual" or not emp.direct_deposit
    statement = PayStatement(
        employee_id=emp.employee_id, check_date=run.check_date, process=run.run_id,
        transaction_number=company.next_transaction, voucher_number=company.next_voucher,
        check_number=company.next_check if by_check else 0,
        begin_date=run.begin_date, end_date=run.end_date,
        transaction_type={"regular": "Regular", "off_cycle": "Special", "manual": "Manual"}[kind],
        auto_pay=emp.pay_type == "Salary" and kind != "manual", workers_comp=emp.workers_comp,
        direct_deposit=not by_check, lines=lines, kind=kind,
    )
    company.next_transaction += 1
    company.next_voucher += 1
    if by_check:
        company.next_check += 1
    return statement


# ----------------------------------------------------------------------------------------------------------
# after processing: voids, manual checks, corrections (see README "Changes after processing", inferred)

def find_run(company: Company, process_id) -> PayRun:
    run = company.run(str(process_id))
    if run is None:
        raise KeyError(f"no pay run {process_id} in {company.company_id}")
    return run


def pick_statement(run: PayRun, employee_id, transaction_number=None, *, live_only: bool = True) -> PayStatement:
    """The employee's statement of ``run``: the one with ``transaction_number``, or the only one (voids and
    voided statements excluded when ``live_only``). ValueError when it is not one."""
    employee_id = str(employee_id)
    mine = [st for st in run.statements if st.employee_id == employee_id]
    if transaction_number is not None:
        found = [st for st in mine if st.transaction_number == int(transaction_number)]
        if not found:
            raise KeyError(f"employee {employee_id} has no statement {transaction_number} in run {run.process_id}")
        return found[0]
    live = [st for st in mine if not live_only or (st.kind != "void" and st.voided_by is None)]
    if not live:
        raise KeyError(f"employee {employee_id} has no {'live ' if live_only else ''}statement in run "
                       f"{run.process_id}")
    if len(live) > 1:
        raise ValueError(f"employee {employee_id} has statements {[st.transaction_number for st in live]} in run "
                         f"{run.process_id}: give transaction_number")
    return live[0]


def void_statement(company: Company, run: PayRun, employee_id, transaction_number=None) -> PayStatement:
    """Add to ``run`` a void of the employee's statement: every line negated, its own transaction and voucher
    numbers, the voided check's number, ``transactionType`` "Void". The voided statement stays."""
    original = pick_statement(run, employee_id, transaction_number)
    if original.kind == "void":
        raise ValueError(f"statement {original.transaction_number} is itself a void")
    if original.voided_by is not None:
        raise ValueError(f"statement {original.transaction_number} is already voided by {original.voided_by}")
    lines = [PayLine(l.det, l.det_code, l.det_type, -l.amount, -l.hours if l.hours is not None else None, l.rate,
                     -l.eligible_compensation if l.eligible_compensation is not None else None)
             for l in original.lines]
    void = PayStatement(
        employee_id=original.employee_id, check_date=run.check_date, process=run.run_id,
        transaction_number=company.next_transaction, voucher_number=company.next_voucher,
        check_number=original.check_number, begin_date=original.begin_date, end_date=original.end_date,
        transaction_type="Void", auto_pay=False, workers_comp=original.workers_comp,
        direct_deposit=original.direct_deposit, lines=lines, kind="void", voids=original.transaction_number,
    )
    company.next_transaction += 1
    company.next_voucher += 1
    original.voided_by = void.transaction_number
    company.add_statement(run, void)
    return void


def manual_check(company: Company, run: PayRun, employee_id, gross) -> PayStatement:
    """Add to ``run`` a manual (paper) check of ``gross`` regular earnings for the employee, taxed like an
    off-cycle check (supplemental FITW, no benefit deductions)."""
    emp = company.employee(str(employee_id))
    if emp is None:
        raise KeyError(f"unknown employee {employee_id!r} in {company.company_id}")
    amount = as_money(gross)
    if amount <= 0:
        raise ValueError(f"a manual check's gross must be positive, not {gross!r}")
    statement = _statement(company, run, emp, [PayLine("E", "REG", "EE", amount, None, None, amount)], "manual")
    company.add_statement(run, statement)
    return statement


def change_amount(company: Company, run: PayRun, employee_id, det_code: str, amount,
                  transaction_number=None) -> PayStatement:
    """Set the amount of the first ``det_code`` line of the employee's statement (nothing else is recomputed:
    grossPay and netPay follow the lines)."""
    statement = pick_statement(run, employee_id, transaction_number, live_only=transaction_number is None)
    value = as_money(amount)
    line = next((l for l in statement.lines if l.det_code.upper() == str(det_code).strip().upper()), None)
    if line is None:
        raise KeyError(f"statement {statement.transaction_number} has no {det_code} line")
    line.amount = value
    return statement


def remove_statement(company: Company, run: PayRun, employee_id, transaction_number=None) -> PayStatement:
    """Take a statement out of ``run`` (and of the employee's pay statements)."""
    statement = pick_statement(run, employee_id, transaction_number, live_only=transaction_number is None)
    company.remove_statement(run, statement)
    return statement


def bank_debits(run: PayRun) -> list:
    """What leaves the company's bank account for ``run``, as the run stands now (README "Bank debits").

    Negative amounts are money out, as on a bank statement. Direct deposits the day before the check date, the tax
    impound (employee + employer taxes) and garnishments on the check date, then each paper check that was not
    voided when it clears, 2 to 9 days after the check date."""
    day = run.check_date
    live = run.statements
    direct = sum((st.direct_deposit_amount for st in live), Decimal("0.00"))
    taxes = sum((st.total("T") for st in live), Decimal("0.00"))
    garnished = sum((st.code_total("GARN") for st in live), Decimal("0.00"))
    out = []
    for kind, when, label, amount in (
            ("direct_deposit", day - dt.timedelta(days=1), f"PAYLOCITY DD {day.isoformat()}", direct),
            ("tax_impound", day, f"PAYLOCITY TAX {day.isoformat()}", taxes),
            ("garnishment", day, f"PAYLOCITY GARN {day.isoformat()}", garnished)):
        if amount:
            out.append({"kind": kind, "date": when, "label": label, "amount": -amount, "processId": run.process_id,
                        "checkNumber": None})
    for st in sorted(live, key=lambda s: s.check_number):
        if st.kind == "void" or st.voided_by is not None or not st.net_check:
            continue
        out.append({"kind": "check", "date": day + dt.timedelta(days=2 + st.check_number % 8),
                    "label": f"CHECK {st.check_number}", "amount": -st.net_check, "processId": run.process_id,
                    "checkNumber": st.check_number})
    return out
