"""Paylocity's legacy webhook bodies (API reference §5.1) and a sender with duplicates and reordering.

Bodies are built from the company's current data. Termination carries ``employeeTerminationDate`` and
``employeeTerminationReason`` and Time Off Approval uses generated dates: both are inferred, as Paylocity's
pages list those bodies only in part.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import random
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from .data import Company, Employee

EVENT_TYPES = ("new_hire", "termination", "employee_change", "payroll_processed", "time_off_approval")
EMPLOYEE_TYPES = {"RFT": "Regular Full Time", "RPT": "Regular Part Time", "TMP": "Temporary"}


def normalize_event_type(event_type: str) -> str:
    key = str(event_type).strip().lower().replace(" ", "_").replace("-", "_")
    if key not in EVENT_TYPES:
        raise ValueError(f"unknown webhook type {event_type!r}; expected one of {', '.join(EVENT_TYPES)}")
    return key


def _ids(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    return [str(value)]


def build_bodies(company: Company, event_type: str, *, employee_id=None, process_id=None) -> list:
    """One body per employee id (or per process id for Payroll Processed)."""
    kind = normalize_event_type(event_type)
    if kind == "payroll_processed":
        ids = _ids(process_id) or ([company.pay_runs[-1].process_id] if company.pay_runs else [])
        if not ids:
            raise ValueError(f"{company.company_id} has no pay run yet")
        return [payroll_processed(company, pid) for pid in ids]
    ids = _ids(employee_id)
    if not ids:
        raise ValueError(f"a {kind} webhook needs employee_id")
    bodies = []
    for eid in ids:
        emp = company.employee(eid)
        if emp is None:
            raise KeyError(f"unknown employee {eid!r} in {company.company_id}")
        bodies.append(BUILDERS[kind](company, emp))
    return bodies


def _cost_center(company: Company, level: int, code: Optional[str]) -> Optional[str]:
    center = company.cost_center(level, code) if code else None
    return f"{code} - {center.name}" if center else code


def _stamp(day) -> Optional[str]:
    return f"{day.isoformat()}T00:00:00Z" if day else None


def new_hire(company: Company, emp: Employee) -> dict:
    supervisor = company.employee(emp.supervisor_id) if emp.supervisor_id else None
    position = company.position(emp.position_code)
    return {
        "companyId": company.company_id, "companyName": company.name, "employeeId": emp.employee_id,
        "employeeFirstName": emp.first_name, "employeeLastName": emp.last_name,
        "employeeMiddleInitial": (emp.middle_name or "")[:1] or None, "employeeGender": emp.gender,
        "employeeMaritalStatus": emp.marital_status, "employeeAddressLine1": emp.home_address1,
        "employeeAddressLine2": None, "employeeCity": emp.home_city, "employeeState": emp.home_state,
        "employeeZip": emp.home_postal_code, "employeeWorkPhone": emp.work_phone,
        "employeeWorkEMailAddress": emp.work_email, "employeeHireDate": _stamp(emp.hire_date),
        "employeeJobTitle": emp.job_title, "employeePosition": position.title if position else emp.position_code,
        "employeeEEOClass": emp.eeo_class, "employeeType": EMPLOYEE_TYPES.get(emp.employee_type, emp.employee_type),
        "employeePayFrequency": "B", "employeePayType": emp.pay_type, "employeeBadgeClockNumber": emp.clock_badge,
        "employeeCostCenter1": _cost_center(company, 1, emp.cost_center1),
        "employeeCostCenter2": _cost_center(company, 2, emp.cost_center2),
        "employeeCostCenter3": _cost_center(company, 3, emp.cost_center3),
        "employeeSupervisor": f"{supervisor.first_name} {supervisor.last_name}" if supervisor else None,
        "employeeSupervisorId": emp.supervisor_id, "employeeTaxForm": "W2",
    }


def termination(company: Company, emp: Employee) -> dict:
    return {
        "companyId": company.company_id, "employeeId": emp.employee_id, "employeeFirstName": emp.first_name,
        "employeeMiddleInitial": (emp.middle_name or "")[:1] or None, "employeeLastName": emp.last_name,
        "employeeCostCenter1": _cost_center(company, 1, emp.cost_center1),
        "employeeCostCenter2": _cost_center(company, 2, emp.cost_center2),
        "employeeCostCenter3": _cost_center(company, 3, emp.cost_center3),
        "employeeWorkEMailAddress": emp.work_email,
        "employeeTerminationDate": _stamp(emp.termination_date),
        "employeeTerminationReason": emp.current.reason if emp.status_type == "T" else None,
    }


def employee_change(company: Company, emp: Employee) -> dict:
    return {"companyId": company.company_id, "employeeId": emp.employee_id}


def time_off_approval(company: Company, emp: Employee) -> dict:
    supervisor = company.employee(emp.supervisor_id) if emp.supervisor_id else None
    start = company.today + dt.timedelta(days=14)
    return {
        "companyId": company.company_id, "employeeId": emp.employee_id,
        "employeeName": f"{emp.first_name} {emp.last_name}",
        "employeeCostCenter1": _cost_center(company, 1, emp.cost_center1),
        "employeeCostCenter2": _cost_center(company, 2, emp.cost_center2),
        "employeeCostCenter3": _cost_center(company, 3, emp.cost_center3),
        "employeeWorkEMailAddress": emp.work_email,
        "supervisorWorkEmail": supervisor.work_email if supervisor else None,
        "hoursPerDay": 8.0, "isAllDayEvent": True,
        "timeOffStartDate": _stamp(start), "timeOffEndDate": _stamp(start + dt.timedelta(days=2)),
    }


def payroll_processed(company: Company, process_id: str) -> dict:
    run = company.run(process_id)
    if run is None:
        raise KeyError(f"unknown pay run {process_id!r} in {company.company_id}")
    stamp = run.process_date.strftime("%Y-%m-%dT%H:%M:%S.") + f"{run.process_date.microsecond // 10000:02d}"
    return {"companyId": company.company_id, "processId": run.process_id, "checkDate": run.check_date.isoformat(),
            "runId": str(run.run_id), "processDate": stamp, "status": "Processed"}


BUILDERS = {"new_hire": new_hire, "termination": termination, "employee_change": employee_change,
            "time_off_approval": time_off_approval}


def deliver(url: str, bodies: list, *, auth=None, copies: int = 1, shuffle: bool = False, timeout: float = 10.0,
            expect_continue: bool = True, seed=None, parallel: int = 1) -> list:
    """POST each body ``copies`` times (optionally shuffled); returns the HTTP statuses in sending order.

    ``parallel`` > 1 sends from that many threads, which all start together (a burst, as Paylocity sends after a
    mass change). A delivery that gets no HTTP answer is reported as status 0.
    """
    queue = [b for b in bodies for _ in range(max(1, int(copies)))]
    if shuffle:
        rng = random.Random(seed)
        original = list(queue)
        rng.shuffle(queue)
        if len(queue) > 1 and queue == original:   # make "out of order" observable
            queue.reverse()
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if expect_continue:
        headers["Expect"] = "100-continue"
    if auth:
        user, password = auth
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # never via a proxy

    def post(body):
        request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers,
                                         method="POST")
        try:
            with opener.open(request, timeout=timeout) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            exc.read()
            return exc.code
        except (urllib.error.URLError, OSError):
            return 0

    workers = max(1, min(int(parallel), len(queue)))
    if workers == 1:
        return [post(body) for body in queue]
    start = threading.Barrier(workers)

    def post_together(body):
        try:
            start.wait(timeout)
        except threading.BrokenBarrierError:   # fewer bodies left than threads: no one waits for ever
            pass
        return post(body)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(post_together, queue))
