"""WebLink v2 reads: employee list paging, employee GET, company codes, pay statements."""
import pytest

CODE_RESOURCES = ("costcenter1", "costcenter2", "costcenter3", "deductions", "earnings", "taxes", "paygrade",
                  "positions")


def _nulls(value, path="$"):
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


def test_employee_list_pages_with_total_count(shared, weblink):
    api = weblink(shared)
    first = api.get("/v2/companies/C1001/employees")
    assert first.status_code == 200
    assert first.headers["X-Pcty-Total-Count"] == "40"
    assert len(first.json()) == 25                      # default pagesize
    second = api.get("/v2/companies/C1001/employees/", params={"pagenumber": 1})
    assert len(second.json()) == 15
    ids = [e["employeeId"] for e in first.json() + second.json()]
    assert ids == [e.employee_id for e in shared.company("C1001").sorted_employees()]
    assert set(first.json()[0]) == {"employeeId", "statusCode", "statusTypeCode"}
    small = api.get("/v2/companies/C1001/employees", params={"pagesize": 7, "pagenumber": 2})
    assert [e["employeeId"] for e in small.json()] == ids[14:21]
    beyond = api.get("/v2/companies/C1001/employees", params={"pagesize": 50, "pagenumber": 3})
    assert beyond.status_code == 200 and beyond.json() == []
    no_count = api.get("/v2/companies/C1001/employees", params={"includetotalcount": "false"})
    assert "X-Pcty-Total-Count" not in no_count.headers
    assert len(api.get("/v2/companies/C1001/employees", params={"PageSize": 3}).json()) == 3   # any case


@pytest.mark.parametrize("params", [{"pagesize": "0"}, {"pagesize": "x"}, {"pagenumber": "-1"},
                                    {"includetotalcount": "maybe"}])
def test_bad_paging_is_a_400_error_array(shared, weblink, params):
    resp = weblink(shared).get("/v2/companies/C1001/employees", params=params)
    assert resp.status_code == 400
    [error] = resp.json()
    assert set(error) == {"field", "message", "path", "options"} and error["field"] in params


def test_list_shows_terminated_leave_and_transferred_statuses(shared, weblink):
    rows = weblink(shared).get("/v2/companies/C1001/employees", params={"pagesize": 100}).json()
    pairs = {(r["statusCode"], r["statusTypeCode"]) for r in rows}
    assert {("A", "A"), ("L", "L"), ("T", "T"), ("XT", "T")} <= pairs


def test_employee_get_is_a_single_object_without_null_keys(shared, weblink):
    company = shared.company("C1001")
    api = weblink(shared)
    for emp in company.sorted_employees()[:10]:
        body = api.get(f"/v2/companies/C1001/employees/{emp.employee_id}").json()
        assert isinstance(body, dict)
        assert _nulls(body) == []
        assert body["employeeId"] == emp.employee_id
        assert body["firstName"] == emp.first_name and body["lastName"] == emp.last_name
        assert body["workAddress"]["emailAddress"] == emp.work_email
        assert body["workAddress"]["location"] == company.location(emp.work_location).name
        assert body["status"]["employeeStatus"] == emp.status
        assert body["departmentPosition"]["costCenter2"] == emp.cost_center2
        assert "ssn" not in body


def test_terminated_employee_shows_termination_fields(shared, weblink):
    company = shared.company("C1001")
    leaver = next(e for e in company.sorted_employees() if e.status == "T")
    status = weblink(shared).get(f"/v2/companies/C1001/employees/{leaver.employee_id}").json()["status"]
    assert status["employeeStatus"] == "T" and status["statusType"] == "T"
    assert status["terminationDate"] == f"{leaver.termination_date}T00:00:00" == status["effectiveDate"]
    assert status["changeReason"] == leaver.current.reason


def test_rehired_employee_shows_rehire_date(shared, weblink):
    company = shared.company("C1001")
    rehired = next(e for e in company.sorted_employees() if e.rehire_date)
    status = weblink(shared).get(f"/v2/companies/C1001/employees/{rehired.employee_id}").json()["status"]
    assert status["employeeStatus"] == "A"
    assert status["reHireDate"] == f"{rehired.rehire_date}T00:00:00"
    assert status["hireDate"] == f"{rehired.hire_date}T00:00:00"
    assert "terminationDate" not in status


def test_unknown_employee_is_404_error_array(shared, weblink):
    resp = weblink(shared).get("/v2/companies/C1001/employees/999999")
    assert resp.status_code == 404
    assert resp.json()[0]["message"] == "The employee does not exist."


def test_unknown_route_and_method(shared, weblink):
    api = weblink(shared)
    assert api.get("/v2/companies/C1001/nothing").status_code == 404
    assert api.post("/v2/companies/C1001/codes/earnings", json={}).status_code == 405


@pytest.mark.parametrize("resource", CODE_RESOURCES)
def test_company_codes(shared, weblink, resource):
    resp = weblink(shared).get(f"/v2/companies/C1001/codes/{resource}")
    assert resp.status_code == 200
    codes = resp.json()
    assert codes and all(set(c) == {"code", "description"} for c in codes)
    assert [(c["code"], c["description"]) for c in codes] == shared.company("C1001").codes(resource)


def test_code_lists_name_every_pay_code(shared, weblink):
    api = weblink(shared)
    codes = {r: {c["code"] for c in api.get(f"/v2/companies/C1001/codes/{r}").json()}
             for r in ("earnings", "deductions", "taxes")}
    assert codes["earnings"] == {"REG", "OT", "BONUS"}
    assert codes["deductions"] == {"401K", "MED", "DEN"}
    assert codes["taxes"] == {"FITW", "SITW", "FICA", "MEDI", "FICA-ER", "MEDI-ER", "FUTA", "SUTA"}


def test_unknown_code_resource_is_404(shared, weblink):
    resp = weblink(shared).get("/v2/companies/C1001/codes/department")
    assert resp.status_code == 404
    assert resp.json() == [{"field": "codeResource", "message": "Invalid Code Resource", "path": "codeResource",
                            "options": []}]


def _paid(shared, run_index=-2):
    company = shared.company("C1001")
    run = company.pay_runs[run_index]
    return company, run, run.statements[0]


def test_pay_statement_summary_for_check_date(shared, weblink):
    company, run, st = _paid(shared)
    resp = weblink(shared).get(f"/v2/companies/C1001/employees/{st.employee_id}/paystatement/summary/"
                               f"{run.check_date.year}/{run.check_date}")
    assert resp.status_code == 200 and resp.headers["X-Pcty-Total-Count"] == str(len(resp.json()))
    summary = next(s for s in resp.json() if s["transactionNumber"] == st.transaction_number)
    assert summary["checkDate"] == f"{run.check_date}T00:00:00"
    assert summary["process"] == run.run_id
    assert summary["grossPay"] == float(st.gross)
    assert summary["netPay"] == float(st.net)


def test_pay_statement_details_for_check_date(shared, weblink):
    company, run, st = _paid(shared)
    resp = weblink(shared).get(f"/v2/companies/C1001/employees/{st.employee_id}/paystatement/details/"
                               f"{run.check_date.year}/{run.check_date}", params={"pagesize": 100})
    lines = [d for d in resp.json() if d["transactionNumber"] == st.transaction_number]
    assert [(d["det"], d["detCode"], d["detType"], d["amount"]) for d in lines] == \
           [(l.det, l.det_code, l.det_type, float(l.amount)) for l in st.lines]


def test_pay_statement_year_lists_every_run_and_pages(shared, weblink):
    company = shared.company("C1001")
    emp_id = company.pay_runs[0].statements[0].employee_id
    year = company.pay_runs[-1].check_date.year
    expected = company.statements(emp_id, year)
    api = weblink(shared)
    summaries = api.get(f"/v2/companies/C1001/employees/{emp_id}/paystatement/summary/{year}").json()
    assert [s["transactionNumber"] for s in summaries] == [s.transaction_number for s in expected]
    total_lines = sum(len(s.lines) for s in expected)
    page0 = api.get(f"/v2/companies/C1001/employees/{emp_id}/paystatement/details/{year}")
    assert page0.headers["X-Pcty-Total-Count"] == str(total_lines)
    assert len(page0.json()) == min(25, total_lines)
    pages = [api.get(f"/v2/companies/C1001/employees/{emp_id}/paystatement/details/{year}",
                     params={"pagesize": 10, "pagenumber": n}).json() for n in range((total_lines + 9) // 10)]
    assert sum(len(p) for p in pages) == total_lines


def test_pay_statement_codegroup_filters_details(shared, weblink):
    company, run, st = _paid(shared)
    resp = weblink(shared).get(f"/v2/companies/C1001/employees/{st.employee_id}/paystatement/details/"
                               f"{run.check_date.year}/{run.check_date}", params={"codegroup": "fitw"})
    assert resp.status_code == 200 and {d["detCode"] for d in resp.json()} == {"FITW"}


def test_pay_statements_404_and_400(shared, weblink):
    company = shared.company("C1001")
    api = weblink(shared)
    emp = company.pay_runs[-2].statements[0].employee_id
    no_year = api.get(f"/v2/companies/C1001/employees/{emp}/paystatement/summary/2001")
    assert no_year.status_code == 404 and no_year.json()[0]["field"] == "year"
    no_date = api.get(f"/v2/companies/C1001/employees/{emp}/paystatement/details/2026/2026-01-02")
    assert no_date.status_code == 404 and no_date.json()[0]["field"] == "checkDate"
    unknown = api.get("/v2/companies/C1001/employees/424242/paystatement/summary/2026")
    assert unknown.status_code == 404
    recent_hire = max(company.employees.values(), key=lambda e: e.hire_date)
    unpaid = api.get(f"/v2/companies/C1001/employees/{recent_hire.employee_id}/paystatement/summary/2026")
    assert unpaid.status_code == 404
    bad_date = api.get(f"/v2/companies/C1001/employees/{emp}/paystatement/summary/2026/11-20-2026")
    assert bad_date.status_code == 400 and bad_date.json()[0]["field"] == "checkDate"
    bad_year = api.get(f"/v2/companies/C1001/employees/{emp}/paystatement/summary/26")
    assert bad_year.status_code == 400
