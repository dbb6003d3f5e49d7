"""NextGen: coreHr employees (limit ≤ 20, opaque nextToken, include, activeOnly) and apiHub company data."""
import pytest

ALL = "info,position,status,payRate,futurePayRate"


def _all_pages(api, **params):
    pages, token = [], None
    while True:
        query = dict(params, **({"nextToken": token} if token else {}))
        resp = api.get("/coreHr/v1/companies/C1001/employees", params=query)
        assert resp.status_code == 200, resp.text
        pages.append(resp.json()["employees"])
        token = resp.json().get("nextToken")
        if not token:
            return pages


def test_employees_page_by_20_with_next_token(shared, nextgen):
    pages = _all_pages(nextgen(shared))
    assert [len(p) for p in pages] == [20, 20]
    ids = [e["id"] for p in pages for e in p]
    assert ids == [e.employee_id for e in shared.company("C1001").sorted_employees()]
    assert set(pages[0][0]) == {"id", "companyId", "relationshipId", "lastName", "displayName", "status",
                                "statusType"}


def test_limit_is_capped_at_20(shared, nextgen):
    api = nextgen(shared)
    assert len(api.get("/coreHr/v1/companies/C1001/employees", params={"limit": 7}).json()["employees"]) == 7
    over = api.get("/coreHr/v1/companies/C1001/employees", params={"limit": 21})
    assert over.status_code == 400 and over.json()[0]["fields"] == "limit"
    assert api.get("/coreHr/v1/companies/C1001/employees", params={"limit": 0}).status_code == 400


def test_bad_next_token_and_include_are_400(shared, nextgen):
    api = nextgen(shared)
    assert api.get("/coreHr/v1/companies/C1001/employees", params={"nextToken": "garbage!"}).status_code == 400
    assert api.get("/coreHr/v1/companies/C1001/employees", params={"include": "salary"}).status_code == 400


def test_include_adds_sections(shared, nextgen):
    company = shared.company("C1001")
    emp = next(e for e in company.sorted_employees() if e.future_rate)
    body = nextgen(shared).get(f"/coreHr/v1/companies/C1001/employees/{emp.employee_id}",
                               params={"include": ALL}).json()
    assert body["id"] == emp.employee_id and body["statusType"] == "A"
    assert body["info"]["firstName"] == emp.first_name
    assert body["info"]["workLocation"]["email"] == emp.work_email
    assert body["info"]["workLocation"]["code"] == emp.work_location
    assert body["info"]["supervisor"] == emp.supervisor_id
    assert body["position"]["costCenter2"] == emp.cost_center2
    assert body["position"]["positionCode"] == emp.position_code
    assert body["currentStatus"]["statusType"] == "A"
    assert body["currentPayRate"]["annualSalary"] == float(emp.annual_salary)
    assert body["futurePayRates"][0]["effectiveDate"] == f"{emp.future_rate[0]}T00:00:00Z"
    only_status = nextgen(shared).get(f"/coreHr/v1/companies/C1001/employees/{emp.employee_id}",
                                      params={"include": "status"}).json()
    assert "currentStatus" in only_status and "info" not in only_status and "position" not in only_status


def test_active_only_keeps_status_type_a(shared, nextgen):
    pages = _all_pages(nextgen(shared), activeOnly="true", include="status")
    people = [e for p in pages for e in p]
    expected = [e.employee_id for e in shared.company("C1001").sorted_employees() if e.status_type == "A"]
    assert [e["id"] for e in people] == expected and {e["statusType"] for e in people} == {"A"}


def test_unknown_employee_is_404(shared, nextgen):
    resp = nextgen(shared).get("/coreHr/v1/companies/C1001/employees/31337")
    assert resp.status_code == 404 and resp.json()[0]["code"] == "404"


def test_cost_centers_and_levels(shared, nextgen):
    levels = nextgen(shared).get("/apiHub/corehr/v1/companies/C1001/costCentersAndLevels").json()
    assert [level["level"] for level in levels] == [1, 2, 3]
    for level in levels:
        assert level["description"] and level["costCenters"]
        assert all(set(c) == {"code", "name", "isActive"} for c in level["costCenters"])
    assert any(not c["isActive"] for c in levels[0]["costCenters"])
    assert {"code": "10", "name": "Engineering", "isActive": True} in levels[1]["costCenters"]


@pytest.mark.parametrize("path, key", [
    ("/apiHub/corehr/v1/companies/C1001/workLocations", "code"),
    ("/apiHub/positionmanagement/v1/companies/C1001/positions", "code"),
    ("/apiHub/positionmanagement/v1/companies/C1001/paygrades", "code"),
    ("/apiHub/payroll/v1/companies/C1001/earnings", "code"),
])
def test_company_lists_page_with_limit_offset(shared, nextgen, path, key):
    api = nextgen(shared)
    everything = api.get(path, params={"includeTotalCount": "true"})
    assert everything.status_code == 200
    items = everything.json()
    assert everything.headers["X-Pcty-Total-Count"] == str(len(items)) and len(items) >= 3
    assert "X-Pcty-Total-Count" not in api.get(path).headers
    page = api.get(path, params={"limit": 2, "offset": 1}).json()
    assert [i[key] for i in page] == [i[key] for i in items[1:3]]
    assert api.get(path, params={"limit": 0}).status_code == 400


def test_company_list_shapes(shared, nextgen):
    api = nextgen(shared)
    location = api.get("/apiHub/corehr/v1/companies/C1001/workLocations").json()[0]
    assert set(location) == {"code", "name", "address", "isActive"}
    assert {"address1", "city", "state", "postalCode", "country"} <= set(location["address"])
    positions = api.get("/apiHub/positionmanagement/v1/companies/C1001/positions").json()
    assert {"code", "title", "effectiveDate", "flsaOvertimeExempt"} <= set(positions[0])
    assert any("closedDate" in p for p in positions)
    grade = api.get("/apiHub/positionmanagement/v1/companies/C1001/paygrades").json()[0]
    assert grade["minimumRate"] < grade["midpointRate"] < grade["maximumRate"]
    earnings = api.get("/apiHub/payroll/v1/companies/C1001/earnings").json()
    assert {e["code"] for e in earnings} == {"REG", "OT", "BONUS"}


def test_nextgen_reflects_weblink_patch(fresh, weblink, nextgen):
    weblink(fresh).patch("/v2/companies/C1001/employees/1003",
                         json={"workAddress": {"emailAddress": "moved@c1001.example.com"}})
    body = nextgen(fresh).get("/coreHr/v1/companies/C1001/employees/1003", params={"include": "info"}).json()
    assert body["info"]["workLocation"]["email"] == "moved@c1001.example.com"
