"""Changes after processing (voids, manual checks, corrected amounts, removed statements), the direct deposit /
check split and the bank debits of a run, through the HTTP controls and the WebLink pay-statement endpoints."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import requests

LATEST = "2026112001"          # the latest regular run of the fixed test data (check date 2026-11-20)


def _control(srv, method, path, **kw):
    return requests.request(method, f"{srv.base_url}/_sandbox/{path}", timeout=5, **kw)


def _runs(srv, cid="C1001"):
    return {run["processId"]: run for run in _control(srv, "GET", f"companies/{cid}/payruns").json()}


def _money(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _pay(api, eid, kind, day="2026-11-20"):
    resp = api.get(f"/v2/companies/C1001/employees/{eid}/paystatement/{kind}/{day[:4]}/{day}",
                   params={"pagesize": 500})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _employee_paid_by(srv, direct_deposit, process_id=LATEST):
    run = srv.company("C1001").run(process_id)
    return next(st.employee_id for st in run.statements if st.direct_deposit == direct_deposit)


# --- what the generated statements already show ---------------------------------------------------

def test_summaries_split_net_pay_between_direct_deposit_and_check(shared, weblink):
    api = weblink(shared)
    company = shared.company("C1001")
    by_check = by_deposit = 0
    for emp in company.sorted_employees():
        if not company.statements(emp.employee_id, 2026):
            continue
        resp = api.get(f"/v2/companies/C1001/employees/{emp.employee_id}/paystatement/summary/2026",
                       params={"pagesize": 500})
        for summary in resp.json():
            net, check, deposit = (_money(summary[k]) for k in ("netPay", "netCheck", "directDepositAmount"))
            assert check + deposit == net
            assert check == 0 or deposit == 0
            by_check += bool(check)
            by_deposit += bool(deposit)
            assert (summary["checkNumber"] != 0) == bool(check)
    assert by_check >= 3 and by_deposit > by_check


def test_a_pay_period_crosses_a_month_end_before_its_check_date(shared):
    crossing = []
    for run in shared.company("C1001").pay_runs:
        month_end = run.check_date.replace(day=1) - dt.timedelta(days=1)
        if run.begin_date <= month_end < run.end_date:
            crossing.append(run.process_id)
        for st in run.statements:
            assert (st.begin_date, st.end_date) == (run.begin_date, run.end_date)
    assert LATEST in crossing       # 2026-10-31 .. 2026-11-13, paid 2026-11-20


# --- void ------------------------------------------------------------------------------------------

def test_void_adds_a_negative_statement_to_the_run(fresh, weblink):
    api = weblink(fresh)
    eid = _employee_paid_by(fresh, direct_deposit=False)
    before = _runs(fresh)[LATEST]
    [original] = _pay(api, eid, "summary")
    original_lines = _pay(api, eid, "details")

    resp = _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/void", json={"employee_id": eid})
    assert resp.status_code == 201, resp.text
    number = resp.json()["transactionNumber"]
    assert number != original["transactionNumber"]

    summaries = _pay(api, eid, "summary")
    assert [s["transactionNumber"] for s in summaries] == [original["transactionNumber"], number]
    void = summaries[1]
    assert void["process"] == original["process"] and void["checkDate"] == original["checkDate"]
    assert void["checkNumber"] == original["checkNumber"]
    for key in ("grossPay", "netPay", "netCheck", "directDepositAmount", "hours"):
        assert _money(void[key]) == -_money(original[key])
    void_lines = [d for d in _pay(api, eid, "details") if d["transactionNumber"] == number]
    assert {d["transactionType"] for d in void_lines} == {"Void"}
    assert sorted((d["det"], d["detCode"], _money(d["amount"])) for d in void_lines) == sorted(
        (d["det"], d["detCode"], -_money(d["amount"])) for d in original_lines)

    after = _runs(fresh)[LATEST]
    for key in ("grossPay", "employeeTaxes", "deductions", "netPay", "employerCost", "netCheck"):
        assert _money(after[key]) == _money(before[key]) - _money(
            next(s for s in before["statements"] if s["employeeId"] == eid)[key])
    assert _money(after["directDeposit"]) == _money(before["directDeposit"])
    rows = {s["transactionNumber"]: s for s in after["statements"]}
    assert rows[number]["kind"] == "void" and rows[number]["voids"] == original["transactionNumber"]
    assert rows[original["transactionNumber"]]["voidedBy"] == number
    assert _money(after["netPay"]) == _money(after["directDeposit"]) + _money(after["netCheck"])


def test_void_refuses_what_cannot_be_voided(fresh):
    eid = _employee_paid_by(fresh, direct_deposit=True)
    path = f"companies/C1001/payruns/{LATEST}/void"
    assert _control(fresh, "POST", path, json={"employee_id": eid}).status_code == 201
    again = _control(fresh, "POST", path, json={"employee_id": eid})
    assert again.status_code == 404 and "no live statement" in again.json()["error"]
    number = fresh.company("C1001").run(LATEST).statements[-1].transaction_number
    twice = _control(fresh, "POST", path, json={"employee_id": eid, "transaction_number": number})
    assert twice.status_code == 400 and "itself a void" in twice.json()["error"]
    assert _control(fresh, "POST", path, json={}).status_code == 400
    assert _control(fresh, "POST", path, json={"employee_id": eid, "colour": "red"}).status_code == 400
    assert _control(fresh, "POST", path, json={"employee_id": "nobody"}).status_code == 404
    assert _control(fresh, "POST", "companies/C1001/payruns/2001010101/void",
                    json={"employee_id": eid}).status_code == 404
    assert _control(fresh, "POST", "companies/C9999/payruns/2026112001/void",
                    json={"employee_id": eid}).status_code == 404


# --- manual check ----------------------------------------------------------------------------------

def test_manual_check_is_taxed_paid_by_check_and_in_the_run(fresh, weblink):
    api = weblink(fresh)
    eid = _employee_paid_by(fresh, direct_deposit=True)
    before = _runs(fresh)[LATEST]
    resp = _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/manual-check",
                    json={"employee_id": eid, "gross": "812.40"})
    assert resp.status_code == 201, resp.text
    number = resp.json()["transactionNumber"]
    summary = next(s for s in _pay(api, eid, "summary") if s["transactionNumber"] == number)
    lines = [d for d in _pay(api, eid, "details") if d["transactionNumber"] == number]
    assert summary["process"] == 1 and summary["checkNumber"] > 0
    assert _money(summary["grossPay"]) == Decimal("812.40")
    assert _money(summary["netCheck"]) == _money(summary["netPay"]) and _money(summary["directDepositAmount"]) == 0
    assert {d["transactionType"] for d in lines} == {"Manual"}
    by = {(d["det"], d["detCode"]): _money(d["amount"]) for d in lines}
    employee_taxes = sum(v for (det, code), v in by.items() if det == "T" and not code.endswith("-ER")
                         and code not in ("FUTA", "SUTA"))
    deductions = sum(v for (det, _code), v in by.items() if det == "D")
    assert by[("T", "FITW")] > 0 and by[("T", "FICA-ER")] == by[("T", "FICA")]
    assert _money(summary["netPay"]) == Decimal("812.40") - deductions - employee_taxes > 0
    after = _runs(fresh)[LATEST]
    assert _money(after["grossPay"]) == _money(before["grossPay"]) + Decimal("812.40")
    assert _money(after["netCheck"]) == _money(before["netCheck"]) + _money(summary["netPay"])
    assert _money(after["directDeposit"]) == _money(before["directDeposit"])
    assert next(s for s in after["statements"] if s["transactionNumber"] == number)["kind"] == "manual"

    # Two live statements now: a void must say which one.
    ambiguous = _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/void", json={"employee_id": eid})
    assert ambiguous.status_code == 400 and "transaction_number" in ambiguous.json()["error"]
    assert _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/void",
                    json={"employee_id": eid, "transaction_number": number}).status_code == 201


@pytest.mark.parametrize("gross", ["-5", "0", "12.345", "abc", None, True])
def test_manual_check_needs_a_positive_amount_in_cents(fresh, gross):
    eid = _employee_paid_by(fresh, direct_deposit=True)
    count = len(fresh.company("C1001").run(LATEST).statements)
    resp = _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/manual-check",
                    json={"employee_id": eid, "gross": gross})
    assert resp.status_code == 400
    assert len(fresh.company("C1001").run(LATEST).statements) == count


# --- corrected amount, removed statement ------------------------------------------------------------

def test_change_amount_and_remove_statement(fresh, weblink):
    api = weblink(fresh)
    eid = _employee_paid_by(fresh, direct_deposit=True)
    [summary] = _pay(api, eid, "summary")
    reg = next(d for d in _pay(api, eid, "details") if d["detCode"] == "REG")
    new = _money(reg["amount"]) + Decimal("100.00")
    resp = _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/change-amount",
                    json={"employee_id": eid, "det_code": "reg", "amount": str(new)})
    assert resp.status_code == 200, resp.text
    [changed] = _pay(api, eid, "summary")
    assert changed["transactionNumber"] == summary["transactionNumber"]
    assert _money(changed["grossPay"]) == _money(summary["grossPay"]) + 100
    assert _money(changed["directDepositAmount"]) == _money(summary["directDepositAmount"]) + 100
    assert _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/change-amount",
                    json={"employee_id": eid, "det_code": "NOPE", "amount": "1"}).status_code == 404
    assert _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/change-amount",
                    json={"employee_id": eid, "det_code": "REG", "amount": "1.001"}).status_code == 400

    before = _runs(fresh)[LATEST]
    resp = _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/remove-statement", json={"employee_id": eid})
    assert resp.status_code == 200 and resp.json()["transactionNumber"] == summary["transactionNumber"]
    gone = api.get(f"/v2/companies/C1001/employees/{eid}/paystatement/summary/2026/2026-11-20")
    assert gone.status_code == 404
    after = _runs(fresh)[LATEST]
    assert eid not in after["employees"]
    assert _money(after["grossPay"]) == _money(before["grossPay"]) - _money(changed["grossPay"])


def test_removing_a_void_makes_its_statement_live_again(fresh):
    eid = _employee_paid_by(fresh, direct_deposit=True)
    number = _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/void",
                      json={"employee_id": eid}).json()["transactionNumber"]
    assert _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/remove-statement",
                    json={"employee_id": eid, "transaction_number": number}).status_code == 200
    assert _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/void",
                    json={"employee_id": eid}).status_code == 201


# --- bank debits -----------------------------------------------------------------------------------

def test_bank_debits_are_what_leaves_the_bank(fresh):
    company = fresh.company("C1001")
    run = company.run(LATEST)
    by_check = [st for st in run.statements if not st.direct_deposit]
    voided = by_check[0]
    _control(fresh, "POST", f"companies/C1001/payruns/{LATEST}/void", json={"employee_id": voided.employee_id})
    debits = _control(fresh, "GET", f"companies/C1001/payruns/{LATEST}/bank-debits").json()
    kinds = {d["kind"]: d for d in debits if d["kind"] != "check"}
    assert set(kinds) == {"direct_deposit", "tax_impound"}

    deposit = sum(st.net for st in run.statements if st.direct_deposit)
    taxes = sum(line.amount for st in run.statements for line in st.lines if line.det == "T")
    assert _money(kinds["direct_deposit"]["amount"]) == -deposit
    assert kinds["direct_deposit"]["date"] == "2026-11-19"
    assert kinds["direct_deposit"]["label"] == "PAYLOCITY DD 2026-11-20"
    assert _money(kinds["tax_impound"]["amount"]) == -taxes
    assert (kinds["tax_impound"]["date"], kinds["tax_impound"]["label"]) == ("2026-11-20", "PAYLOCITY TAX 2026-11-20")

    checks = [d for d in debits if d["kind"] == "check"]
    expected = {st.check_number: st.net for st in by_check[1:]}
    assert {d["checkNumber"]: _money(d["amount"]) for d in checks} == {n: -a for n, a in expected.items()}
    assert all(d["label"] == "CHECK %d" % d["checkNumber"] and d["date"] > "2026-11-20" for d in checks)
    assert voided.check_number not in {d["checkNumber"] for d in checks}

    text = _control(fresh, "GET", f"companies/C1001/payruns/{LATEST}/bank-debits",
                    params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["date"], r["label"], _money(r["amount"])) for r in rows] == [
        (d["date"], d["label"], _money(d["amount"])) for d in debits]
    assert _control(fresh, "GET", f"companies/C1001/payruns/{LATEST}/bank-debits",
                    params={"format": "xml"}).status_code == 400
    assert _control(fresh, "GET", "companies/C1001/payruns/2001010101/bank-debits").status_code == 404


def test_garnishment_is_deducted_after_tax_and_paid_apart(fresh, weblink):
    api = weblink(fresh)
    eid = _employee_paid_by(fresh, direct_deposit=True)
    assert _control(fresh, "POST", f"companies/C1001/employees/{eid}/garnishment",
                    json={"amount": "-1"}).status_code == 400
    assert _control(fresh, "POST", f"companies/C1001/employees/{eid}/garnishment",
                    json={"amount": "125.00"}).status_code == 200
    assert {c["code"] for c in api.get("/v2/companies/C1001/codes/deductions").json()} >= {"GARN"}
    process_id = _control(fresh, "POST", "companies/C1001/payroll", json={"check_date": "2026-12-04"}).json()[
        "processId"]
    run = fresh.company("C1001").run(process_id)
    [st] = [s for s in run.statements if s.employee_id == eid]
    assert st.code_total("GARN") == Decimal("125.00")
    fitw = next(l for l in st.lines if l.det_code == "FITW")
    assert fitw.eligible_compensation == st.gross - st.code_total("401K") - st.code_total("MED") - st.code_total(
        "DEN")                      # GARN does not lower taxable wages
    debits = {d["kind"]: d for d in _control(fresh, "GET",
                                              f"companies/C1001/payruns/{process_id}/bank-debits").json()}
    assert _money(debits["garnishment"]["amount"]) == Decimal("-125.00")
    assert debits["garnishment"]["label"] == "PAYLOCITY GARN 2026-12-04"
    deposit = sum(s.net for s in run.statements if s.direct_deposit)
    assert _money(debits["direct_deposit"]["amount"]) == -deposit
