"""NextGen endpoints: coreHr employees (``limit`` ≤ 20 + opaque ``nextToken``) and apiHub company data.

Shapes follow the API reference §2.2/§3.2 (observed in real integrations). Where Paylocity publishes no schema the
sandbox chooses one and says so (inferred):
- ``GET .../employees/{id}`` answers the single employee object (same shape as a batch item).
- base employee keys are always present (``id, companyId, relationshipId, lastName, displayName, status,
  statusType``); ``include`` adds ``info`` / ``position`` / ``currentStatus`` (status) / ``currentPayRate``
  (payRate) / ``futurePayRates`` (futurePayRate). ``info.workLocation`` also carries ``code`` and ``name``.
- work location: ``{code, name, address:{address1, city, state, postalCode, country, county}, isActive}``.
- pay grade: ``{code, description, minimumRate, midpointRate, maximumRate, currency}``.
- earning: ``{code, description, isActive}``; positions, pay grades, earnings and work locations page with
  ``limit`` (default 100, max 1000) / ``offset`` / ``includeTotalCount`` (default false).
"""
from __future__ import annotations

import base64
import binascii
import json
import re

from .data import LEVEL_DESCRIPTIONS, Company, Employee, money
from .wire import (Request, Response, RouteTable, empty, iso_z, json_response, nextgen_error, parse_bool,
                   parse_int, prune)

ROUTES = RouteTable(flags=re.IGNORECASE)
INCLUDES = ("info", "position", "status", "payRate", "futurePayRate")
MAX_LIMIT = 20


def route(srv, req: Request, token) -> Response:
    found = ROUTES.find(req)
    if found.handler is None:
        return empty(405) if found.allowed else nextgen_error(404, "Resource not found.")
    cid = found.params.pop("cid")
    if cid != token.company_id:
        return empty(403)
    return found.handler(srv, req, srv.company(cid), **found.params)


# -- employees --

def _includes(req: Request):
    raw = req.arg("include")
    if not raw:
        return set()
    wanted = {part.strip() for part in raw.split(",") if part.strip()}
    lowered = {i.lower(): i for i in INCLUDES}
    unknown = [w for w in wanted if w.lower() not in lowered]
    if unknown:
        return None
    return {lowered[w.lower()] for w in wanted}


@ROUTES.route("GET", r"/coreHr/v1/companies/{cid}/employees/?")
def _employees(srv, req: Request, company: Company) -> Response:
    include = _includes(req)
    if include is None:
        return nextgen_error(400, f"include accepts: {', '.join(INCLUDES)}.", fields="include")
    limit = parse_int(req.arg("limit"), MAX_LIMIT, minimum=1)
    if limit is None or limit > MAX_LIMIT:
        return nextgen_error(400, f"limit must be between 1 and {MAX_LIMIT}.", fields="limit")
    active_only = parse_bool(req.arg("activeOnly"), False)
    if active_only is None:
        return nextgen_error(400, "activeOnly must be true or false.", fields="activeOnly")
    offset = 0
    if req.arg("nextToken"):
        offset = _read_token(req.arg("nextToken"), company.company_id)
        if offset is None:
            return nextgen_error(400, "nextToken is not valid.", fields="nextToken")
    people = [e for e in company.api_employees() if not active_only or e.status_type == "A"]
    page = people[offset:offset + limit]
    supervisors = _supervisors(company)
    body = {"employees": [render_employee(company, e, include, supervisors) for e in page]}
    if offset + limit < len(people):
        body["nextToken"] = _make_token(offset + limit, company.company_id)
    return json_response(200, body)


@ROUTES.route("GET", r"/coreHr/v1/companies/{cid}/employees/{eid}")
def _employee(srv, req: Request, company: Company, eid: str) -> Response:
    include = _includes(req)
    if include is None:
        return nextgen_error(400, f"include accepts: {', '.join(INCLUDES)}.", fields="include")
    emp = company.api_employee(eid)
    if emp is None:
        return nextgen_error(404, "Employee not found.", fields="employeeId")
    return json_response(200, render_employee(company, emp, include))


def _make_token(offset: int, company_id: str) -> str:
    raw = json.dumps({"o": offset, "c": company_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, company_id: str):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        offset = int(data["o"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    if data.get("c") != company_id or offset < 0:
        return None
    return offset


def render_employee(company: Company, emp: Employee, include: set, supervisors=None) -> dict:
    current = emp.current
    out = {"id": emp.employee_id, "companyId": company.company_id, "relationshipId": emp.relationship_id,
           "lastName": emp.last_name, "displayName": emp.display_name, "status": emp.status_description,
           "statusType": emp.status_type}
    if "status" in include:
        out["currentStatus"] = {"status": emp.status, "statusType": emp.status_type,
                                "effectiveDate": iso_z(current.date), "changeReason": current.reason,
                                "changeReasonCode": 0}
    if "info" in include:
        location = company.location(emp.work_location)
        out["info"] = {
            "firstName": emp.first_name, "lastName": emp.last_name, "middleName": emp.middle_name,
            "preferredName": emp.preferred_name, "displayName": emp.display_name,
            "address": {"address1": emp.home_address1, "city": emp.home_city, "state": emp.home_state,
                        "postalCode": emp.home_postal_code, "country": "USA", "county": emp.home_county},
            "homePhone": emp.home_phone, "mobilePhone": emp.mobile_phone, "personalEmail": emp.personal_email,
            "dateOfBirth": iso_z(emp.birth_date), "maritalStatus": emp.marital_status, "gender": emp.gender,
            "hireDate": iso_z(emp.hire_date), "adjustedSeniorityDate": iso_z(emp.rehire_date or emp.hire_date),
            "eligibleForRehire": emp.eligible_for_rehire, "supervisor": emp.supervisor_id,
            "supervisorCo": emp.supervisor_company or (company.company_id if emp.supervisor_id else None),
            "isSupervisor": emp.employee_id in (supervisors if supervisors is not None else _supervisors(company)),
            "jobTitle": emp.job_title, "eeoClass": emp.eeo_class, "wcc": emp.workers_comp,
            "clockBadge": emp.clock_badge, "payGroup": emp.pay_group, "otExempt": emp.pay_type == "Salary",
            "tipped": False, "minWageExempt": False,
            "workLocation": {
                "code": location.code if location else None, "name": location.name if location else None,
                "address": _address(location) if location else None,
                "phone": emp.work_phone, "phoneExt": emp.work_phone_ext, "mobilePhone": emp.work_mobile_phone,
                "email": emp.work_email,
            },
        }
    if "position" in include:
        position = company.position(emp.position_code)
        out["position"] = {
            "effectiveDate": iso_z(emp.position_effective_date), "changeReason": "New Hire",
            "costCenter1": emp.cost_center1, "costCenter2": emp.cost_center2, "costCenter3": emp.cost_center3,
            "employeeType": emp.employee_type, "positionCode": emp.position_code,
            "positionDescription": position.title if position else emp.job_title,
            "careerLevelCode": position.career_level if position else None,
            "careerLevelDescription": position.career_level.title() if position else None,
            "positionFamilies": [{"code": position.family.upper()[:4], "description": position.family}]
            if position else [],
        }
    if "payRate" in include:
        out["currentPayRate"] = {
            "payType": emp.pay_type, "baseRate": emp.base_rate,
            "salary": emp.period_salary if emp.pay_type == "Salary" else None, "annualSalary": emp.annual_salary,
            "ratePer": "Hour" if emp.pay_type == "Hourly" else None, "payFrequency": "B",
            "payGrade": emp.pay_grade, "defaultHours": emp.default_hours, "isAutoPay": emp.pay_type == "Salary",
            "effectiveDate": iso_z(emp.rate_effective_date), "beginCheckDate": iso_z(emp.rate_effective_date),
        }
    if "futurePayRate" in include:
        rates = []
        if emp.future_rate:
            effective, annual, base = emp.future_rate
            rates.append({"payType": emp.pay_type, "salary": money(annual / 26) if emp.pay_type == "Salary" else None,
                          "annualSalary": annual, "payFrequency": "B", "effectiveDate": iso_z(effective),
                          "beginCheckDate": iso_z(effective), "changeReason": "Merit Increase",
                          "payRateDescription": f"Base rate {base}", "isAutoPay": emp.pay_type == "Salary"})
        out["futurePayRates"] = rates
    return prune(out)


def _supervisors(company: Company) -> set:
    return {e.supervisor_id for e in company.employees.values() if e.supervisor_id}


def _address(location) -> dict:
    return {"address1": location.address1, "city": location.city, "state": location.state,
            "postalCode": location.postal_code, "country": location.country, "county": location.county}


# -- company-level data --

def _offset_page(req: Request, items: list) -> Response:
    limit = parse_int(req.arg("limit"), 100, minimum=1)
    offset = parse_int(req.arg("offset"), 0, minimum=0)
    include = parse_bool(req.arg("includeTotalCount"), False)
    if limit is None or limit > 1000:
        return nextgen_error(400, "limit must be between 1 and 1000.", fields="limit")
    if offset is None:
        return nextgen_error(400, "offset must be a non-negative integer.", fields="offset")
    if include is None:
        return nextgen_error(400, "includeTotalCount must be true or false.", fields="includeTotalCount")
    headers = {"X-Pcty-Total-Count": str(len(items))} if include else {}
    return json_response(200, items[offset:offset + limit], headers)


@ROUTES.route("GET", r"/apiHub/corehr/v1/companies/{cid}/costCentersAndLevels")
def _cost_centers(srv, req, company: Company) -> Response:
    return json_response(200, [
        {"level": level, "description": LEVEL_DESCRIPTIONS[level],
         "costCenters": [{"code": c.code, "name": c.name, "isActive": c.is_active} for c in centers]}
        for level, centers in sorted(company.cost_centers.items())])


@ROUTES.route("GET", r"/apiHub/corehr/v1/companies/{cid}/workLocations")
def _work_locations(srv, req, company: Company) -> Response:
    return _offset_page(req, [{"code": w.code, "name": w.name, "address": _address(w), "isActive": w.is_active}
                              for w in company.work_locations])


@ROUTES.route("GET", r"/apiHub/positionmanagement/v1/companies/{cid}/positions")
def _positions(srv, req, company: Company) -> Response:
    return _offset_page(req, [prune({
        "code": p.code, "title": p.title, "effectiveDate": iso_z(p.effective_date),
        "closedDate": iso_z(p.closed_date), "flsaOvertimeExempt": p.exempt, "fte": 1.0,
        "supervisorPosition": p.supervisor_position, "eeoClass": {"code": p.eeo_class, "description": p.eeo_class},
        "workersCompensationCode": {"code": "8810" if p.exempt else "5403",
                                    "description": "Clerical" if p.exempt else "Operations"},
        "careerLevel": {"code": p.career_level, "description": p.career_level.title()},
        "families": [{"code": p.family.upper()[:4], "description": p.family}],
        "payGrade": p.pay_grade, "costCenter2": p.department,
    }) for p in company.positions])


@ROUTES.route("GET", r"/apiHub/positionmanagement/v1/companies/{cid}/paygrades")
def _pay_grades(srv, req, company: Company) -> Response:
    return _offset_page(req, [{"code": g.code, "description": g.description, "minimumRate": g.minimum,
                               "midpointRate": g.midpoint, "maximumRate": g.maximum, "currency": "USD"}
                              for g in company.pay_grades])


@ROUTES.route("GET", r"/apiHub/payroll/v1/companies/{cid}/earnings")
def _earnings(srv, req, company: Company) -> Response:
    return _offset_page(req, [{"code": c, "description": d, "isActive": True} for c, d in company.codes("earnings")])
