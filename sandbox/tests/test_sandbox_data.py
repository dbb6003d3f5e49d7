"""Generated company data: reproducible, consistent pay statements, the special cases, and the mutators."""
import datetime as dt
from decimal import Decimal

import pytest

from sandbox import SandboxServer
from sandbox.tests.helpers import TODAY

EMPLOYER_TAXES = {"FICA-ER", "MEDI-ER", "FUTA", "SUTA"}


def _get_all(api, path):
    rows, page = [], 0
    while True:
        resp = api.get(path, params={"pagesize": 100, "pagenumber": page})
        assert resp.status_code == 200, resp.text
        rows += resp.json()
        if len(rows) >= int(resp.headers["X-Pcty-Total-Count"]):
            return rows
        page += 1


def _snapshot(srv):
    out = {}
    for cid in srv.company_ids:
        company = srv.company(cid)
        out[cid] = (
            [(e.employee_id, e.first_name, e.last_name, e.status, e.hire_date, e.work_email, e.supervisor_id,
              e.annual_salary) for e in company.sorted_employees()],
            [(r.process_id, [(s.employee_id, s.transaction_number, [(l.det_code, l.amount) for l in s.lines])
                             for s in r.statements]) for r in company.pay_runs])
    return out


def test_same_seed_same_data_other_seed_other_data():
    one = SandboxServer(seed=11, employees=30, companies=("C1001", "C1002"), today=TODAY)
    two = SandboxServer(seed=11, employees=30, companies=("C1001", "C1002"), today=TODAY)
    three = SandboxServer(seed=12, employees=30, companies=("C1001", "C1002"), today=TODAY)
    assert _snapshot(one) == _snapshot(two)
    assert _snapshot(one) != _snapshot(three)
    snap = _snapshot(one)
    assert snap["C1001"][0] != snap["C1002"][0]           # companies differ
    assert one.company("C1001").name != one.company("C1002").name


def test_net_equals_gross_minus_deductions_minus_employee_taxes_over_http(shared, weblink):
    api = weblink(shared)
    company = shared.company("C1001")
    year = company.pay_runs[-1].check_date.year
    paid = sorted({s.employee_id for r in company.pay_runs for s in r.statements})
    assert len(paid) > 20
    for eid in paid:
        summaries = _get_all(api, f"/v2/companies/C1001/employees/{eid}/paystatement/summary/{year}")
        details = _get_all(api, f"/v2/companies/C1001/employees/{eid}/paystatement/details/{year}")
        for summary in summaries:
            lines = [d for d in details if d["transactionNumber"] == summary["transactionNumber"]
                     and d["checkDate"] == summary["checkDate"]]
            assert lines, "every summary has its detail lines"

            def total(det, codes=None, exclude=()):
                return sum((Decimal(str(d["amount"])) for d in lines if d["det"] == det
                            and d["detCode"] not in exclude and (codes is None or d["detCode"] in codes)),
                           Decimal("0"))
            gross = total("E")
            net = gross - total("D") - total("T", exclude=EMPLOYER_TAXES)
            assert Decimal(str(summary["grossPay"])) == gross
            assert Decimal(str(summary["netPay"])) == net
            assert Decimal(str(summary["regularDollars"])) == total("E", {"REG"})
            assert all(d["detType"] == ("ER" if d["detCode"] in EMPLOYER_TAXES else "EE") for d in lines)
            assert all(Decimal(str(d["amount"])) == Decimal(str(d["amount"])).quantize(Decimal("0.01"))
                       for d in lines)
        assert {d["transactionNumber"] for d in details} == {s["transactionNumber"] for s in summaries}


def test_pay_history_special_cases(shared):
    company = shared.company("C1001")
    runs = company.pay_runs
    assert len(runs) == 4
    latest_date = runs[-1].check_date
    assert [(r.check_date, r.run_id) for r in runs[-2:]] == [(latest_date, 1), (latest_date, 2)]
    assert runs[-1].process_id == f"{latest_date:%Y%m%d}02" and runs[-1].off_cycle
    assert {l.det_code for s in runs[-1].statements for l in s.lines if l.det == "E"} == {"BONUS"}
    negative = [l for s in runs[-2].statements for l in s.lines if l.amount < 0]
    assert negative and negative[0].det_code == "REG" and negative[0].hours < 0
    final = [s for s in runs[-2].statements if company.employee(s.employee_id).status == "T"]
    assert final, "a terminated employee's final check is in the latest regular run"
    leaver = company.employee(final[0].employee_id)
    assert runs[-2].begin_date <= leaver.termination_date <= runs[-2].end_date
    assert final[0].code_total("REG", "hours") < Decimal("80")
    on_leave = next(e for e in company.employees.values() if e.status == "L")
    assert on_leave.employee_id in {s.employee_id for s in runs[0].statements}
    assert on_leave.employee_id not in {s.employee_id for s in runs[-2].statements}
    rehired = next(e for e in company.employees.values() if e.rehire_date)
    assert [h.status for h in rehired.history] == ["A", "T", "A"]
    for st in (s for r in runs for s in r.statements):
        assert st.net == st.gross - st.deductions - st.employee_taxes and st.net > 0


def test_org_structure_and_no_real_pii(shared):
    company = shared.company("C1001")
    people = company.sorted_employees()
    ceo = people[0]
    assert ceo.supervisor_id is None
    ids = {e.employee_id for e in people}
    assert all(e.supervisor_id in ids for e in people[1:])
    for emp in people:               # the supervisor tree has no cycle and ends at the CEO
        seen, cur = set(), emp
        while cur.supervisor_id:
            assert cur.employee_id not in seen
            seen.add(cur.employee_id)
            cur = company.employee(cur.supervisor_id)
        assert cur is ceo
    assert {e.cost_center2 for e in people} <= {c.code for c in company.cost_centers[2]}
    assert len({e.cost_center2 for e in people}) >= 4 and len({e.work_location for e in people}) >= 2
    assert all(e.work_email.endswith("@c1001.example.com") for e in people)
    assert all("555-01" in e.work_phone for e in people)
    assert not hasattr(people[0], "ssn")


def test_transfer_at_startup_puts_one_person_in_both_companies(shared):
    one, two = shared.company("C1001"), shared.company("C1002")
    moved = [e for e in one.employees.values() if e.status == "XT"]
    assert len(moved) == 1
    twin = [e for e in two.employees.values() if e.relationship_id == moved[0].relationship_id]
    assert len(twin) == 1
    assert (twin[0].first_name, twin[0].last_name, twin[0].birth_date) == \
           (moved[0].first_name, moved[0].last_name, moved[0].birth_date)
    assert twin[0].status == "A" and twin[0].hire_date > moved[0].termination_date
    assert len(one.employees) == len(two.employees) == 40


def test_run_payroll_creates_a_new_run(fresh, weblink):
    company = fresh.company("C1001")
    check_date = company.pay_runs[-1].check_date + dt.timedelta(days=14)
    process_id = fresh.run_payroll("C1001", check_date)
    assert process_id == f"{check_date:%Y%m%d}01"
    off_cycle = fresh.run_payroll("C1001", check_date.isoformat(), off_cycle=True)
    assert off_cycle == f"{check_date:%Y%m%d}02"
    run = company.run(process_id)
    assert run.statements and not run.off_cycle
    eid = run.statements[0].employee_id
    summaries = weblink(fresh).get(f"/v2/companies/C1001/employees/{eid}/paystatement/summary/"
                                   f"{check_date.year}/{check_date}").json()
    assert {s["process"] for s in summaries} <= {1, 2} and 1 in {s["process"] for s in summaries}


def test_hire_terminate_rehire_leave_change_show_in_the_api(fresh, weblink, nextgen):
    api, ng = weblink(fresh), nextgen(fresh)
    eid = fresh.hire("C1001", first_name="Testy", last_name="Newhire", cost_center2="20",
                     work_email="testy@c1001.example.com", hire_date="2026-11-20")
    body = api.get(f"/v2/companies/C1001/employees/{eid}").json()
    assert (body["firstName"], body["status"]["employeeStatus"], body["status"]["hireDate"]) == \
           ("Testy", "A", "2026-11-20T00:00:00")
    assert body["departmentPosition"]["costCenter2"] == "20" and body["departmentPosition"]["supervisorEmployeeId"]
    listed = {r["employeeId"]: r for r in _get_all(api, "/v2/companies/C1001/employees")}
    assert listed[eid]["statusCode"] == "A"

    fresh.terminate("C1001", eid, date="2026-11-24", reason="Resigned - Personal")
    status = api.get(f"/v2/companies/C1001/employees/{eid}").json()["status"]
    assert (status["employeeStatus"], status["terminationDate"], status["changeReason"]) == \
           ("T", "2026-11-24T00:00:00", "Resigned - Personal")

    fresh.rehire("C1001", eid, date="2026-12-01")
    status = api.get(f"/v2/companies/C1001/employees/{eid}").json()["status"]
    assert (status["employeeStatus"], status["reHireDate"]) == ("A", "2026-12-01T00:00:00")

    fresh.leave("C1001", eid, date="2026-12-05")
    assert ng.get(f"/coreHr/v1/companies/C1001/employees/{eid}").json()["statusType"] == "L"
    fresh.return_from_leave("C1001", eid, date="2026-12-10")
    assert ng.get(f"/coreHr/v1/companies/C1001/employees/{eid}").json()["statusType"] == "A"

    fresh.change("C1001", eid, job_title="Senior Tester", cost_center3="WE")
    position = api.get(f"/v2/companies/C1001/employees/{eid}").json()["departmentPosition"]
    assert (position["jobTitle"], position["costCenter3"]) == ("Senior Tester", "WE")
    with pytest.raises(TypeError):
        fresh.change("C1001", eid, shoe_size=42)
    with pytest.raises(ValueError):
        fresh.rehire("C1001", eid)


def test_a_hire_can_stay_hidden_from_the_api_for_a_few_reads(fresh, weblink, nextgen):
    """Paylocity's data can lag its New Hire webhook: the next reads answer "no such employee"."""
    api, ng = weblink(fresh), nextgen(fresh)
    eid = fresh.hire("C1001", hidden_reads=2)
    assert eid not in {r["employeeId"] for r in _get_all(api, "/v2/companies/C1001/employees")}
    assert api.get(f"/v2/companies/C1001/employees/{eid}").status_code == 404
    assert ng.get(f"/coreHr/v1/companies/C1001/employees/{eid}").status_code == 404
    assert api.get(f"/v2/companies/C1001/employees/{eid}").status_code == 200, "two reads spent: shown"
    assert ng.get(f"/coreHr/v1/companies/C1001/employees/{eid}").status_code == 200
    assert eid in {r["employeeId"] for r in _get_all(api, "/v2/companies/C1001/employees")}
    listed = ng.get("/coreHr/v1/companies/C1001/employees", params={"limit": 20}).json()["employees"]
    assert listed, "a listing still works"
    with pytest.raises(ValueError):
        fresh.hire("C1001", hidden_reads=-1)


def test_transfer_moves_a_person_between_companies(fresh, weblink):
    source = fresh.company("C1001")
    eid = next(e.employee_id for e in source.sorted_employees()
               if e.status == "A" and not any(x.supervisor_id == e.employee_id for x in source.employees.values()))
    new_id = fresh.transfer("C1001", eid, "C1002", date="2026-12-01")
    old = weblink(fresh, "C1001").get(f"/v2/companies/C1001/employees/{eid}").json()
    new = weblink(fresh, "C1002").get(f"/v2/companies/C1002/employees/{new_id}").json()
    assert old["status"]["employeeStatus"] == "XT" and old["status"]["statusType"] == "T"
    assert new["status"]["employeeStatus"] == "A" and new["status"]["hireDate"] == "2026-12-01T00:00:00"
    assert (new["firstName"], new["lastName"]) == (old["firstName"], old["lastName"])
    assert new["workAddress"]["emailAddress"].endswith("@c1002.example.com")


def test_new_hire_is_paid_in_the_next_run(fresh):
    eid = fresh.hire("C1001", hire_date=TODAY)
    check_date = fresh.company("C1001").pay_runs[-1].check_date + dt.timedelta(days=28)
    run = fresh.company("C1001").run(fresh.run_payroll("C1001", check_date))
    assert eid in {s.employee_id for s in run.statements}


def test_large_company_for_benchmarks():
    srv = SandboxServer(seed=1, employees=2000, today=TODAY)
    company = srv.company("C1001")
    assert len(company.employees) == 2000
    assert len(company.pay_runs[-2].statements) > 1500
