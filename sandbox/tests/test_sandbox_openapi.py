"""Every WebLink response the sandbox gives validates against Paylocity's OpenAPI document.

Allowed deviations, and only these (tests/data/PROVENANCE.md): the employee GET may be a single object where the
document declares an array; null keys are omitted (nothing in the document requires them); ``paylocity-date`` is
Paylocity's own format name, so formats are not checked.
"""
import copy
import json
import os

import pytest
from jsonschema import Draft4Validator

from sandbox.tests.helpers import DATA, encrypt

with open(os.path.join(DATA, "weblink-v2.openapi.json"), encoding="utf-8") as fh:
    SPEC = json.load(fh)


def to_json_schema(node):
    """OpenAPI 3.0 schema object -> JSON Schema (draft 4): ``nullable: true`` becomes a "null" type."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else out["type"] + ["null"]
        if "enum" in out:
            out["enum"] = out["enum"] + [None]
    return out


COMPONENTS = to_json_schema(SPEC["components"])


def validator(template: str, method: str, status: int) -> Draft4Validator:
    response = SPEC["paths"][template][method]["responses"][str(status)]
    schema = copy.deepcopy(to_json_schema(response["content"]["application/json"]["schema"]))
    schema["components"] = COMPONENTS
    return Draft4Validator(schema)


def check(resp, template, method="get", status=200):
    assert resp.status_code == status, resp.text
    body = resp.json()
    v = validator(template, method, status)
    if v.schema.get("type") == "array" and isinstance(body, dict):
        body = [body]           # known deviation: the employee GET answers one object
    errors = sorted(v.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{template} {status}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5])
    return body


EMP = "/v2/companies/{companyId}/employees/{employeeId}"
LIST = "/v2/companies/{companyId}/employees/"
CODES = "/v2/companies/{companyId}/codes/{codeResource}"
SUMMARY_YEAR = "/v2/companies/{companyId}/employees/{employeeId}/paystatement/summary/{year}"
SUMMARY_DATE = SUMMARY_YEAR + "/{checkDate}"
DETAILS_YEAR = "/v2/companies/{companyId}/employees/{employeeId}/paystatement/details/{year}"
DETAILS_DATE = DETAILS_YEAR + "/{checkDate}"


def test_the_schemas_are_strict_enough_to_catch_mistakes():
    v = validator(EMP, "get", 200)
    assert list(v.iter_errors({"employeeId": "1", "unexpected": 1}))
    assert list(v.iter_errors({"status": {"hireDate": 20260101}}))
    assert not list(v.iter_errors({"status": {"hireDate": None}}))


def test_employee_list_and_every_employee(shared, weblink):
    api = weblink(shared)
    rows = check(api.get("/v2/companies/C1001/employees/", params={"pagesize": 100}), LIST)
    assert len(rows) == 40
    check(api.get("/v2/companies/C1001/employees", params={"pagesize": 100}), LIST)
    for row in rows:
        check(api.get(f"/v2/companies/C1001/employees/{row['employeeId']}"), EMP)
    check(api.get("/v2/companies/C1001/employees/nobody"), EMP, status=404)


@pytest.mark.parametrize("resource", ["costcenter1", "costcenter2", "costcenter3", "deductions", "earnings",
                                      "taxes", "paygrade", "positions"])
def test_company_codes(shared, weblink, resource):
    check(weblink(shared).get(f"/v2/companies/C1001/codes/{resource}"), CODES)


def test_unknown_code_resource(shared, weblink):
    check(weblink(shared).get("/v2/companies/C1001/codes/location"), CODES, status=404)


def test_every_pay_statement(shared, weblink):
    api = weblink(shared)
    company = shared.company("C1001")
    checked = 0
    for emp in company.sorted_employees():
        statements = company.statements(emp.employee_id)
        for year in sorted({s.check_date.year for s in statements}):
            base = f"/v2/companies/C1001/employees/{emp.employee_id}/paystatement"
            check(api.get(f"{base}/summary/{year}", params={"pagesize": 500}), SUMMARY_YEAR)
            check(api.get(f"{base}/details/{year}", params={"pagesize": 500}), DETAILS_YEAR)
        for day in sorted({s.check_date for s in statements}):
            base = f"/v2/companies/C1001/employees/{emp.employee_id}/paystatement"
            check(api.get(f"{base}/summary/{day.year}/{day}"), SUMMARY_DATE)
            check(api.get(f"{base}/details/{day.year}/{day}", params={"pagesize": 500}), DETAILS_DATE)
            checked += 1
    assert checked >= 100
    paid = company.pay_runs[0].statements[0].employee_id
    check(api.get(f"/v2/companies/C1001/employees/{paid}/paystatement/summary/1999"), SUMMARY_YEAR, status=404)
    check(api.get(f"/v2/companies/C1001/employees/{paid}/paystatement/details/2026/2026-01-01"), DETAILS_DATE,
          status=404)


def test_patch_errors_and_secret_renewal(fresh, weblink):
    api = weblink(fresh)
    check(api.patch("/v2/companies/C1001/employees/1003", json={"workAddress": {"emailAddress": "bad"}}),
          EMP, "patch", 400)
    check(api.patch("/v2/companies/C1001/employees/1003",
                    json=encrypt({"departmentPosition": {"costCenter1": "77"}}, fresh.public_key_pem)),
          EMP, "patch", 400)
    code = fresh.credentials("C1001").weblink_secret_code
    check(api.post("/v2/credentials/secrets", json={"code": code}), "/v2/credentials/secrets", "post", 200)
    check(api.post("/v2/credentials/secrets", json={"code": "wrong"}), "/v2/credentials/secrets", "post", 400)


def test_injected_500(fresh, weblink):
    api = weblink(fresh)
    fresh.inject("status", status=500)
    check(api.get("/v2/companies/C1001/employees/"), LIST, status=500)


def test_pay_statements_after_voids_manual_checks_and_corrections(fresh, weblink):
    """Negative (void) statements, manual checks, changed amounts and garnishments keep the documented shapes."""
    api = weblink(fresh)
    company = fresh.company("C1001")
    run = company.run("2026112001")
    first, second, third = (st.employee_id for st in run.statements[:3])
    fresh.void_check("C1001", run.process_id, first)
    fresh.manual_check("C1001", run.process_id, second, "640.00")
    fresh.change_amount("C1001", run.process_id, third, "FITW", "0.00")
    fresh.garnish("C1001", third, "75.00")
    fresh.run_payroll("C1001", "2026-12-04")
    for eid in (first, second, third):
        base = f"/v2/companies/C1001/employees/{eid}/paystatement"
        for day in ("2026-11-20", "2026-12-04"):
            summaries = check(api.get(f"{base}/summary/{day[:4]}/{day}"), SUMMARY_DATE)
            assert summaries
            check(api.get(f"{base}/details/{day[:4]}/{day}", params={"pagesize": 500}), DETAILS_DATE)
        check(api.get(f"{base}/summary/2026", params={"pagesize": 500}), SUMMARY_YEAR)
    check(api.get("/v2/companies/C1001/codes/deductions"), CODES)
