"""Pay statements for the close tests (cash lines, verification, accrual): Paylocity-shaped summaries and
details whose amounts agree, paid by direct deposit or by check, and voids of them."""
import datetime
from decimal import Decimal as D

from paylocity.cash import build_entry
from paylocity.journal import EmployeePay, GlRule
from paylocity.models import PayStatementDetail, PayStatementSummary
from paylocity.payroll import fetch_run_statements

CHECK = "2026-11-20"
CHECK_DATE = datetime.date(2026, 11, 20)
BEGIN, END = "2026-10-31", "2026-11-13"
NET = "2000-net"
DD, CHK, IMPOUND, GARN_CLEARING = "1010-dd", "1020-chk", "2300-impound", "2400-garn"

RULES = [
    GlRule("REG", debit_account="6000", analytic="employee"),
    GlRule("OT", debit_account="6010", analytic="employee"),
    GlRule("401K", credit_account="2100", partner="fidelity"),
    GlRule("MED", credit_account="2110", partner="carrier"),
    GlRule("GARN", det="D", credit_account="2120", partner="court"),
    GlRule("FITW", det="T", credit_account="2200", partner="irs"),
    GlRule("SITW", det="T", credit_account="2220", partner="state"),
    GlRule("FICA", det="T", credit_account="2210", partner="irs"),
    GlRule("FICA-ER", det="T", debit_account="6100", credit_account="2210", partner="irs", analytic="employee"),
    GlRule("SUTA", debit_account="6110", credit_account="2230", partner="state", analytic="employee"),
]
EMPLOYER = {"FICA-ER", "SUTA"}
ANALYTICS = {"100": "an-100", "200": "an-200"}
# The sandbox's own pay codes, mapped the plainest way (for tests that read a sandbox run through the client).
SANDBOX_RULES = [GlRule(code, debit_account="6000") for code in ("REG", "OT")] + [
    GlRule(code, credit_account="2100") for code in ("401K", "MED", "DEN")] + [
    GlRule(code, det="T", credit_account="2200") for code in ("FITW", "SITW", "FICA", "MEDI")] + [
    GlRule(code, det="T", debit_account="6100", credit_account="2210") for code in ("FICA-ER", "MEDI-ER", "FUTA",
                                                                                      "SUTA")]


def sandbox_entry(client, run, accounts):
    """The cash entry of the sandbox's pay run ``run``, from the statements ``client`` reads for it."""
    pays = []
    for employee_id in sorted({s.employee_id for s in run.statements}):
        got = fetch_run_statements(client, employee_id, run.check_date, run.run_id)
        pays.append(EmployeePay(employee_id, None, got.summaries, got.details))
    return build_entry(pays, SANDBOX_RULES, run_id=run.run_id, check_date=run.check_date, net_pay_account=NET,
                       accounts=accounts)


def summary(tn, gross, net, *, deposit=True, check_number=0, process=1, check=CHECK, begin=BEGIN, end=END):
    net = D(str(net))
    return PayStatementSummary.model_validate({
        "year": int(check[:4]), "checkDate": check + "T00:00:00", "beginDate": begin + "T00:00:00",
        "endDate": end + "T00:00:00", "transactionNumber": tn, "process": process, "grossPay": str(gross),
        "netPay": str(net), "netCheck": "0" if deposit else str(net), "directDepositAmount": str(net) if deposit
        else "0", "checkNumber": check_number, "autoPay": True,
    })


def detail(tn, det, code, amount, check=CHECK, transaction_type="Regular"):
    return PayStatementDetail.model_validate({
        "year": int(check[:4]), "checkDate": check + "T00:00:00", "transactionNumber": tn,
        "transactionType": transaction_type, "det": det, "detCode": code, "amount": str(amount),
    })


def statement(tn, lines, *, deposit=True, check_number=0, process=1, check=CHECK, transaction_type="Regular",
              begin=BEGIN, end=END):
    """(summary, details) of one statement; ``lines`` are (det, code, amount)."""
    amounts = [(det, code, D(str(amount))) for det, code, amount in lines]
    gross = sum((a for det, _c, a in amounts if det == "E"), D(0))
    withheld = sum((a for det, code, a in amounts if det in "DT" and code not in EMPLOYER), D(0))
    return (summary(tn, gross, gross - withheld, deposit=deposit, check_number=check_number, process=process,
                    check=check, begin=begin, end=end),
            [detail(tn, det, code, a, check, transaction_type) for det, code, a in amounts])


def pay(employee_id, cost_center, *statements):
    """An ``EmployeePay`` of (summary, details) statements."""
    return EmployeePay(employee_id, cost_center, [s for s, _d in statements], [d for _s, ds in statements for d in ds])


def standard_lines(gross, k401="0", garnishment="0"):
    """Lines of a plausible statement of ``gross`` (every amount in cents)."""
    gross = D(str(gross))
    cents = D("0.01")
    k401 = D(str(k401))
    fitw = (gross * D("0.1")).quantize(cents)
    fica = (gross * D("0.062")).quantize(cents)
    lines = [("E", "REG", gross), ("D", "401K", k401), ("T", "FITW", fitw), ("T", "SITW", (gross * D("0.0495"))
             .quantize(cents)), ("T", "FICA", fica), ("T", "FICA-ER", fica), ("T", "SUTA", (gross * D("0.027"))
             .quantize(cents))]
    if D(str(garnishment)):
        lines.append(("D", "GARN", D(str(garnishment))))
    return [line for line in lines if line[2]]


def void_of(new_tn, lines, *, deposit=True, check_number=0):
    """The void of a statement of ``lines``: the lines negated, its own transaction number, the same check number."""
    return statement(new_tn, [(det, code, -D(str(a))) for det, code, a in lines], deposit=deposit,
                     check_number=check_number, transaction_type="Void")
