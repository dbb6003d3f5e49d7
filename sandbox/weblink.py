"""WebLink v2 endpoints under ``/api``: employees, company codes, pay statements, PATCH, secret renewal.

Shapes follow Paylocity's OpenAPI document with the deviations real responses show: the employee GET is a
single object, null keys are omitted, dates are ``YYYY-MM-DDT00:00:00`` strings.
"""
from __future__ import annotations

import datetime as dt
import re

from .crypto import SecureContentError, decrypt_secure_content
from .data import Company, Employee, PayStatement
from .wire import (Request, Response, RouteTable, empty, json_response, parse_bool, parse_int, paylocity_date, prune,
                   weblink_error, weblink_error_item)

ROUTES = RouteTable()
PAY_STATEMENTS = r"/api/v2/companies/{cid}/employees/{eid}/paystatement/(?P<kind>summary|details)/{year}"

# Fields a PATCH may carry (Paylocity's employee model); anything else is a 400.
OBJECT_FIELDS = {
    "status": {"employeeStatus", "statusType", "hireDate", "reHireDate", "terminationDate", "effectiveDate",
               "changeReason", "adjustedSeniorityDate", "isEligibleForRehire"},
    "departmentPosition": {"costCenter1", "costCenter2", "costCenter3", "positionCode", "jobTitle", "employeeType",
                           "payGroup", "supervisorEmployeeId", "supervisorCompanyNumber", "reviewerEmployeeId",
                           "reviewerCompanyNumber", "isSupervisorReviewer", "equalEmploymentOpportunityClass",
                           "clockBadgeNumber", "shift", "tipped", "workersCompensation", "unionCode",
                           "unionPosition", "unionAffiliationDate", "isUnionDuesCollected",
                           "isUnionInitiationCollected", "isMinimumWageExempt", "isOvertimeExempt",
                           "effectiveDate", "changeReason"},
    "primaryPayRate": {"payType", "baseRate", "salary", "annualSalary", "ratePer", "payFrequency", "defaultHours",
                       "isAutoPay", "payGrade", "effectiveDate", "beginCheckDate", "changeReason", "payRateNote"},
    "homeAddress": {"address1", "address2", "city", "state", "postalCode", "country", "county", "emailAddress",
                    "phone", "mobilePhone"},
    "workAddress": {"address1", "address2", "city", "state", "postalCode", "country", "county", "emailAddress",
                    "phone", "phoneExtension", "mobilePhone", "pager", "mailStop", "location"},
    "federalTax": None, "primaryStateTax": None, "nonPrimaryStateTax": None, "taxSetup": None,
    "mainDirectDeposit": None, "benefitSetup": None, "webTime": None, "workEligibility": None,
}
LIST_FIELDS = {"localTax", "additionalDirectDeposit", "additionalRate", "emergencyContacts", "customTextFields",
               "customNumberFields", "customDateFields", "customBooleanFields", "customDropDownFields"}
SCALAR_FIELDS = {"employeeId", "firstName", "lastName", "middleName", "preferredName", "priorLastName",
                 "salutation", "suffix", "birthDate", "gender", "maritalStatus", "ethnicity", "ssn",
                 "veteranDescription", "disabilityDescription", "companyName", "companyFEIN", "currency",
                 "isHighlyCompensated", "isSmoker", "ownerPercent", "coEmpCode"}
# (object, field) -> Employee attribute, for the fields the sandbox applies.
APPLIED = {
    (None, "firstName"): "first_name", (None, "lastName"): "last_name", (None, "middleName"): "middle_name",
    (None, "preferredName"): "preferred_name",
    ("workAddress", "emailAddress"): "work_email", ("workAddress", "phone"): "work_phone",
    ("workAddress", "phoneExtension"): "work_phone_ext", ("workAddress", "mobilePhone"): "work_mobile_phone",
    ("homeAddress", "address1"): "home_address1", ("homeAddress", "city"): "home_city",
    ("homeAddress", "state"): "home_state", ("homeAddress", "postalCode"): "home_postal_code",
    ("homeAddress", "county"): "home_county", ("homeAddress", "emailAddress"): "personal_email",
    ("homeAddress", "phone"): "home_phone", ("homeAddress", "mobilePhone"): "mobile_phone",
    ("departmentPosition", "costCenter1"): "cost_center1", ("departmentPosition", "costCenter2"): "cost_center2",
    ("departmentPosition", "costCenter3"): "cost_center3", ("departmentPosition", "positionCode"): "position_code",
    ("departmentPosition", "jobTitle"): "job_title",
    ("departmentPosition", "supervisorEmployeeId"): "supervisor_id",
}
REQUIRED = {"first_name", "last_name"}
MAX_LENGTH = {"first_name": 40, "last_name": 40, "middle_name": 40, "preferred_name": 40, "work_email": 50,
              "personal_email": 50, "job_title": 50}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9()+\-. ]{7,20}$")


def route(srv, req: Request, token) -> Response:
    found = ROUTES.find(req)
    if found.handler is None:
        if found.allowed:
            return empty(405, {"Allow": ", ".join(found.allowed)})
        return weblink_error(404, "The requested resource does not exist.")
    cid = found.params.pop("cid", None)
    if cid is not None and cid != token.company_id:
        return empty(403)     # this credential pair has no access to that company
    return found.handler(srv, req, token, srv.company(cid) if cid else None, **found.params)


# -- paging --

def _page(req: Request, items: list) -> Response:
    size = parse_int(req.arg("pagesize"), 25, minimum=1)
    number = parse_int(req.arg("pagenumber"), 0, minimum=0)
    include = parse_bool(req.arg("includetotalcount"), True)
    if size is None:
        return weblink_error(400, "pagesize must be a positive integer.", "pagesize", "pagesize")
    if number is None:
        return weblink_error(400, "pagenumber must be a non-negative integer.", "pagenumber", "pagenumber")
    if include is None:
        return weblink_error(400, "includetotalcount must be true or false.", "includetotalcount",
                             "includetotalcount")
    headers = {"X-Pcty-Total-Count": str(len(items))} if include else {}
    return json_response(200, items[number * size:(number + 1) * size], headers)


# -- employees --

@ROUTES.route("GET", r"/api/v2/companies/{cid}/employees/?")
def _list_employees(srv, req, token, company: Company) -> Response:
    return _page(req, [{"employeeId": e.employee_id, "statusCode": e.status, "statusTypeCode": e.status_type}
                       for e in company.api_employees()])


@ROUTES.route("GET", r"/api/v2/companies/{cid}/employees/{eid}")
def _get_employee(srv, req, token, company: Company, eid: str) -> Response:
    emp = company.api_employee(eid)
    if emp is None:
        return weblink_error(404, "The employee does not exist.", "employeeId", "employeeId")
    return json_response(200, render_employee(company, emp))


def render_employee(company: Company, emp: Employee) -> dict:
    location = company.location(emp.work_location)
    current = emp.current
    return prune({
        "employeeId": emp.employee_id, "firstName": emp.first_name, "lastName": emp.last_name,
        "middleName": emp.middle_name, "preferredName": emp.preferred_name,
        "birthDate": paylocity_date(emp.birth_date), "gender": emp.gender, "maritalStatus": emp.marital_status,
        "companyName": company.name, "companyFEIN": company.fein, "currency": "USD",
        "isHighlyCompensated": emp.annual_salary >= 150000, "isSmoker": False,
        "status": {
            "employeeStatus": emp.status, "statusType": emp.status_type,
            "hireDate": paylocity_date(emp.hire_date), "reHireDate": paylocity_date(emp.rehire_date),
            "terminationDate": paylocity_date(emp.termination_date),
            "effectiveDate": paylocity_date(current.date), "changeReason": current.reason,
            "adjustedSeniorityDate": paylocity_date(emp.rehire_date or emp.hire_date),
            "isEligibleForRehire": emp.eligible_for_rehire,
        },
        "departmentPosition": {
            "costCenter1": emp.cost_center1, "costCenter2": emp.cost_center2, "costCenter3": emp.cost_center3,
            "positionCode": emp.position_code, "jobTitle": emp.job_title, "employeeType": emp.employee_type,
            "payGroup": emp.pay_group, "supervisorEmployeeId": emp.supervisor_id,
            "supervisorCompanyNumber": emp.supervisor_company,
            "equalEmploymentOpportunityClass": emp.eeo_class, "clockBadgeNumber": emp.clock_badge,
            "workersCompensation": emp.workers_comp, "isOvertimeExempt": emp.pay_type == "Salary",
            "effectiveDate": paylocity_date(emp.position_effective_date), "changeReason": "Position Change"
            if emp.position_effective_date and emp.position_effective_date > emp.hire_date else "New Hire",
        },
        "primaryPayRate": {
            "payType": emp.pay_type, "baseRate": emp.base_rate,
            "salary": emp.period_salary if emp.pay_type == "Salary" else None,
            "annualSalary": emp.annual_salary, "ratePer": "Hour" if emp.pay_type == "Hourly" else None,
            "payFrequency": "B", "defaultHours": emp.default_hours, "isAutoPay": emp.pay_type == "Salary",
            "payGrade": emp.pay_grade, "effectiveDate": paylocity_date(emp.rate_effective_date),
        },
        "homeAddress": {
            "address1": emp.home_address1, "city": emp.home_city, "state": emp.home_state,
            "postalCode": emp.home_postal_code, "country": "USA", "county": emp.home_county,
            "emailAddress": emp.personal_email, "phone": emp.home_phone, "mobilePhone": emp.mobile_phone,
        },
        "workAddress": {
            "address1": location.address1 if location else None, "city": location.city if location else None,
            "state": location.state if location else None,
            "postalCode": location.postal_code if location else None,
            "country": location.country if location else None, "county": location.county if location else None,
            "emailAddress": emp.work_email, "phone": emp.work_phone, "phoneExtension": emp.work_phone_ext,
            "mobilePhone": emp.work_mobile_phone, "location": location.name if location else None,
        },
        "federalTax": {"filingStatus": "S" if emp.marital_status == "S" else "MFJ", "w4FormYear": 2020,
                       "deductionsAmount": 0, "dependentsAmount": 0, "otherIncomeAmount": 0, "higherRate": False},
        "primaryStateTax": {"taxCode": location.state if location else "IL", "filingStatus": "S",
                            "exemptions": 1, "w4FormYear": 2020, "deductionsAmount": 0, "dependentsAmount": 0,
                            "otherIncomeAmount": 0, "higherRate": False},
        "taxSetup": {"taxForm": "W2", "suiState": location.state if location else "IL", "isEmployee943": False,
                     "isPension": False, "isStatutory": False},
        "webTime": {"badgeNumber": emp.clock_badge, "isTimeLaborEnabled": emp.pay_type == "Hourly"},
    })


@ROUTES.route("PATCH", r"/api/v2/companies/{cid}/employees/{eid}")
def _patch_employee(srv, req, token, company: Company, eid: str) -> Response:
    payload, encrypted, error = read_body(srv, req)
    if error:
        return error
    emp = company.employee(eid)
    if emp is None:
        return weblink_error(404, "The employee does not exist.", "employeeId", "employeeId")
    problems = validate_patch(company, payload) if isinstance(payload, dict) else [
        weblink_error_item("The request body must be an employee object.", "", "$")]
    srv.record_patch(company.company_id, eid, payload, encrypted, 400 if problems else 200)
    if problems:
        return json_response(400, problems)
    apply_patch(emp, payload)
    return empty(200)


def read_body(srv, req: Request):
    """(payload, was_encrypted, error Response or None) for a JSON write body, plain or secureContent."""
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return None, False, weblink_error(400, "The request body is not valid JSON.", "", "$")
    envelope_key = next((k for k in body if k.lower() == "securecontent"), None) if isinstance(body, dict) else None
    if envelope_key:    # Paylocity's own text spells it both "secureContent" and "securecontent"
        try:
            return decrypt_secure_content(body[envelope_key], srv.private_key), True, None
        except SecureContentError as exc:
            return None, True, weblink_error(400, str(exc), "secureContent", "secureContent")
    return body, False, None


def validate_patch(company: Company, payload: dict) -> list:
    problems = []
    for key, value in payload.items():
        if key in SCALAR_FIELDS:
            if key in ("firstName", "lastName", "middleName", "preferredName") and value is not None \
                    and not isinstance(value, str):
                problems.append(weblink_error_item(f"{key} must be a string.", key, key))
            continue
        if key in LIST_FIELDS:
            if value is not None and not isinstance(value, list):
                problems.append(weblink_error_item(f"{key} must be an array.", key, key))
            continue
        if key not in OBJECT_FIELDS:
            problems.append(weblink_error_item(f"{key} is not a valid employee field.", key, key))
            continue
        if value is None:
            continue
        if not isinstance(value, dict):
            problems.append(weblink_error_item(f"{key} must be an object.", key, key))
            continue
        known = OBJECT_FIELDS[key]
        for sub, sub_value in value.items():
            path = f"{key}.{sub}"
            if known is not None and sub not in known:
                problems.append(weblink_error_item(f"{sub} is not a valid field of {key}.", sub, path))
            elif (key, sub) in APPLIED and sub_value is not None and not isinstance(sub_value, str):
                problems.append(weblink_error_item(f"{sub} must be a string.", sub, path))
    if problems:
        return problems
    for (obj, sub), attr in APPLIED.items():
        container = payload if obj is None else payload.get(obj)
        if not isinstance(container, dict) or sub not in container:
            continue
        value = container[sub]
        path = sub if obj is None else f"{obj}.{sub}"
        if value in (None, ""):
            if attr in REQUIRED:
                problems.append(weblink_error_item(f"{sub} is required.", sub, path))
            continue
        if len(value) > MAX_LENGTH.get(attr, 50):
            problems.append(weblink_error_item(f"{sub} is longer than {MAX_LENGTH.get(attr, 50)} characters.",
                                               sub, path))
        elif sub == "emailAddress" and not EMAIL.match(value):
            problems.append(weblink_error_item(f"{sub} is not a valid e-mail address.", sub, path))
        elif sub in ("phone", "mobilePhone") and not PHONE.match(value):
            problems.append(weblink_error_item(f"{sub} is not a valid phone number.", sub, path))
        elif sub.startswith("costCenter") and company.cost_center(int(sub[-1]), value) is None:
            problems.append(weblink_error_item(f"{value} is not a valid {sub}.", sub, path,
                                               company.codes(f"costcenter{sub[-1]}")))
        elif sub == "positionCode" and company.position(value) is None:
            problems.append(weblink_error_item(f"{value} is not a valid position.", sub, path,
                                               company.codes("positions")))
        elif sub == "supervisorEmployeeId" and company.employee(value) is None:
            problems.append(weblink_error_item(f"Supervisor {value} does not exist.", sub, path))
    return problems


def apply_patch(emp: Employee, payload: dict) -> None:
    """Apply the supported fields; hireDate/reHireDate are ignored as Paylocity documents."""
    for (obj, sub), attr in APPLIED.items():
        container = payload if obj is None else payload.get(obj)
        if isinstance(container, dict) and sub in container:
            value = container[sub]
            setattr(emp, attr, value if value != "" else None)


# -- company codes --

@ROUTES.route("GET", r"/api/v2/companies/{cid}/codes/{resource}")
def _codes(srv, req, token, company: Company, resource: str) -> Response:
    codes = company.codes(resource)
    if codes is None:
        return weblink_error(404, "Invalid Code Resource", "codeResource", "codeResource")
    return json_response(200, [{"code": c, "description": d} for c, d in codes])


# -- pay statements --

@ROUTES.route("GET", PAY_STATEMENTS)
@ROUTES.route("GET", PAY_STATEMENTS + "/{date}")
def _pay(srv, req, token, company: Company, eid: str, kind: str, year: str, date: str = None) -> Response:
    if not (year.isdigit() and len(year) == 4):
        return weblink_error(400, "year must be a four-digit year.", "year", "year")
    check_date = None
    if date is not None:
        try:
            check_date = dt.date.fromisoformat(date)
        except ValueError:
            return weblink_error(400, "checkDate must be a date (YYYY-MM-DD).", "checkDate", "checkDate")
    if company.employee(eid) is None:
        return weblink_error(404, "The employee does not exist.", "employeeId", "employeeId")
    statements = company.statements(eid, int(year), check_date)
    if not statements:
        what = "check date" if check_date else "year"
        return weblink_error(404, f"No pay statement data found for the specified {what}.",
                             "checkDate" if check_date else "year", "checkDate" if check_date else "year")
    if kind == "summary":
        return _page(req, [render_summary(st) for st in statements])
    group = (req.arg("codegroup") or "").strip().lower()
    lines = [render_detail(st, line) for st in statements for line in st.lines
             if not group or line.det_code.lower() == group]
    return _page(req, lines)


def render_summary(st: PayStatement) -> dict:
    regular = [l for l in st.lines if l.det_code == "REG"]
    overtime = [l for l in st.lines if l.det_code == "OT"]
    net = st.net

    def hours(lines):
        return sum((l.hours or 0) for l in lines)

    return prune({
        "year": st.check_date.year, "checkDate": paylocity_date(st.check_date),
        "beginDate": paylocity_date(st.begin_date), "endDate": paylocity_date(st.end_date),
        "checkNumber": st.check_number, "voucherNumber": st.voucher_number,
        "transactionNumber": st.transaction_number, "process": st.process,
        "grossPay": st.gross, "netPay": net, "netCheck": st.net_check,
        "directDepositAmount": st.direct_deposit_amount,
        "hours": hours(l for l in st.lines if l.det == "E"), "regularHours": hours(regular),
        "regularDollars": sum((l.amount for l in regular), 0), "overtimeHours": hours(overtime),
        "overtimeDollars": sum((l.amount for l in overtime), 0), "autoPay": st.auto_pay,
        "workersCompCode": st.workers_comp,
    })


def render_detail(st: PayStatement, line) -> dict:
    return prune({
        "year": st.check_date.year, "checkDate": paylocity_date(st.check_date),
        "transactionNumber": st.transaction_number, "transactionType": st.transaction_type,
        "det": line.det, "detCode": line.det_code, "detType": line.det_type, "amount": line.amount,
        "hours": line.hours, "rate": line.rate, "eligibleCompensation": line.eligible_compensation,
    })


# -- client secret renewal --

@ROUTES.route("POST", r"/api/v2/credentials/secrets")
def _renew_secret(srv, req, token, company) -> Response:
    payload, _encrypted, error = read_body(srv, req)
    if error:
        return error
    code = payload.get("code") if isinstance(payload, dict) else None
    if not isinstance(code, str) or not code.strip():
        return weblink_error(400, "The code field is required.", "code", "code")
    try:
        secret, expires = srv.tokens.renew_secret(token.client_id, code.strip())
    except ValueError:
        return weblink_error(400, "The code is invalid or has expired.", "code", "code")
    return json_response(200, [{"clientSecret": secret, "clientSecretExpirationDate": paylocity_date(expires)}])
