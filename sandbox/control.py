"""``/_sandbox/`` HTTP control routes: the Python API for other processes (demo, Odoo tests, benchmarks).

Unauthenticated (the sandbox binds 127.0.0.1). JSON in, JSON out; bad input answers 400 {"error": ...}.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from .wire import Request, Response, RouteTable, json_response, paylocity_date

ROUTES = RouteTable(tail="/?")


class _BadRequest(Exception):
    pass


def handle(srv, req: Request) -> Response:
    found = ROUTES.find(req)
    if found.handler is None:
        return json_response(404, {"error": f"no control route {req.method} {req.path}"})
    try:
        body = req.json() if req.body else {}
        if not isinstance(body, dict):
            raise _BadRequest("the body must be a JSON object")
        return found.handler(srv, req, body, **found.params)
    except KeyError as exc:
        return json_response(404, {"error": str(exc.args[0]) if exc.args else "not found"})
    except (_BadRequest, ValueError, TypeError) as exc:
        return json_response(400, {"error": str(exc)})


@ROUTES.route("GET", r"/_sandbox/info")
def _info(srv, req, body):
    return json_response(200, {
        "base_url": srv.base_url, **srv.urls(), "companies": list(srv.company_ids),
        "credentials": {cid: srv.credentials(cid).as_dict() for cid in srv.company_ids},
        "public_key_pem": srv.public_key_pem, "public_key_xml": srv.public_key_xml,
        "weblink_rate_limit": srv.weblink_rate_limit, "nextgen_rate_limit": srv.nextgen_rate_limit,
        "token_ttl": srv.token_ttl, "today": srv.today.isoformat(),
    })


def _command(method, path, action, done):
    """A route that calls the server's ``action`` and answers ``{done: true}``."""
    @ROUTES.route(method, path)
    def handler(srv, req, body):
        getattr(srv, action)()
        return json_response(200, {done: True})
    return handler


_command("DELETE", r"/_sandbox/faults", "clear_faults", "cleared")
_command("POST", r"/_sandbox/expire-tokens", "expire_tokens", "expired")
_command("DELETE", r"/_sandbox/calls", "reset_calls", "cleared")


@ROUTES.route("GET", r"/_sandbox/faults")
def _list_faults(srv, req, body):
    return json_response(200, srv.faults.pending())


@ROUTES.route("POST", r"/_sandbox/faults")
def _add_fault(srv, req, body):
    allowed = {"kind", "count", "path", "status", "retry_after", "delay"}
    unknown = set(body) - allowed
    if unknown or "kind" not in body:
        raise _BadRequest(f"expected {sorted(allowed)} with kind required")
    return json_response(201, srv.inject(**body).as_dict())


@ROUTES.route("POST", r"/_sandbox/settings")
def _settings(srv, req, body):
    """Change ``weblink_rate_limit``, ``nextgen_rate_limit`` (null disables) or ``token_ttl`` at run time."""
    for name in body:
        if name not in ("weblink_rate_limit", "nextgen_rate_limit", "token_ttl"):
            raise _BadRequest(f"unknown setting {name}")
        setattr(srv, name, body[name])
    return json_response(200, {n: getattr(srv, n) for n in ("weblink_rate_limit", "nextgen_rate_limit",
                                                            "token_ttl")})


@ROUTES.route("GET", r"/_sandbox/calls")
def _calls(srv, req, body):
    status = req.arg("status")
    path = req.arg("path")
    calls = [c for c in srv.calls if (not status or str(c.status) == status) and (not path or path in c.path)]
    return json_response(200, [{"method": c.method, "path": c.path, "query": c.query, "status": c.status,
                                "at": c.at, "family": c.family, "fault": c.fault} for c in calls])


@ROUTES.route("GET", r"/_sandbox/patches")
def _patches(srv, req, body):
    return json_response(200, [{"company_id": p.company_id, "employee_id": p.employee_id, "body": p.body,
                                "was_encrypted": p.was_encrypted, "status": p.status} for p in srv.patches])


@ROUTES.route("POST", r"/_sandbox/webhooks")
def _webhook(srv, req, body):
    for name in ("url", "event_type", "company_id"):
        if not body.get(name):
            raise _BadRequest(f"{name} is required")
    auth = body.get("auth")
    statuses = srv.send_webhook(body["url"], body["event_type"], body["company_id"],
                                employee_id=body.get("employee_id"), process_id=body.get("process_id"),
                                auth=tuple(auth) if auth else None, copies=int(body.get("copies", 1)),
                                shuffle=bool(body.get("shuffle", False)), parallel=int(body.get("parallel", 1)))
    return json_response(200, {"statuses": statuses})


@ROUTES.route("POST", r"/_sandbox/companies/{cid}/hire")
def _hire(srv, req, body, cid):
    return json_response(201, {"employeeId": srv.hire(cid, **body)})


@ROUTES.route("POST", r"/_sandbox/companies/{cid}/payroll")
def _payroll(srv, req, body, cid):
    if not body.get("check_date"):
        raise _BadRequest("check_date is required")
    process_id = srv.run_payroll(cid, body["check_date"], off_cycle=bool(body.get("off_cycle", False)))
    return json_response(201, {"processId": process_id})


@ROUTES.route("GET", r"/_sandbox/companies/{cid}/payruns")
def _payruns(srv, req, body, cid):
    """Every run as it stands now: totals, the direct deposit / check split, each statement (voids and manual
    checks included) and the totals per (det, detCode, detType), for independent checks in other processes."""
    with srv.lock:
        company = srv.company(cid)
        runs = [_run_view(run) for run in company.pay_runs]
    return json_response(200, runs)


def _run_view(run) -> dict:
    statements = run.statements

    def total(attribute):
        return sum((getattr(st, attribute) for st in statements), Decimal("0.00"))

    return {
        "processId": run.process_id, "checkDate": run.check_date.isoformat(), "runId": run.run_id,
        "offCycle": run.off_cycle, "processDate": paylocity_date(run.process_date),
        "beginDate": run.begin_date.isoformat(), "endDate": run.end_date.isoformat(),
        "employees": sorted({st.employee_id for st in statements}, key=lambda e: (len(e), e)),
        "grossPay": total("gross"), "employeeTaxes": total("employee_taxes"), "deductions": total("deductions"),
        "netPay": total("net"), "employerCost": total("employer_taxes"),
        "directDeposit": total("direct_deposit_amount"), "netCheck": total("net_check"),
        "statements": [{
            "transactionNumber": st.transaction_number, "employeeId": st.employee_id, "kind": st.kind,
            "transactionType": st.transaction_type, "checkNumber": st.check_number,
            "beginDate": st.begin_date.isoformat(), "endDate": st.end_date.isoformat(),
            "grossPay": st.gross, "employeeTaxes": st.employee_taxes, "deductions": st.deductions,
            "netPay": st.net, "employerCost": st.employer_taxes, "directDepositAmount": st.direct_deposit_amount,
            "netCheck": st.net_check, "voids": st.voids, "voidedBy": st.voided_by,
        } for st in statements],
        "totals": [{"det": det, "detCode": code, "detType": det_type, "amount": amount}
                   for (det, code, det_type), amount in sorted(run.totals().items())],
    }


@ROUTES.route("POST", r"/_sandbox/companies/{cid}/payruns/{pid}/"
              r"(?P<action>void|manual-check|change-amount|remove-statement)")
def _run_action(srv, req, body, cid, pid, action):
    """void / manual-check / change-amount / remove-statement on one employee's statement of the run."""
    allowed = {"void": {"employee_id", "transaction_number"}, "manual-check": {"employee_id", "gross"},
               "change-amount": {"employee_id", "det_code", "amount", "transaction_number"},
               "remove-statement": {"employee_id", "transaction_number"}}[action]
    required = {"void": ("employee_id",), "manual-check": ("employee_id", "gross"),
                "change-amount": ("employee_id", "det_code", "amount"), "remove-statement": ("employee_id",)}[action]
    unknown = set(body) - allowed
    if unknown:
        raise _BadRequest(f"unknown field(s) {sorted(unknown)}; expected {sorted(allowed)}")
    for name in required:
        if body.get(name) in (None, ""):
            raise _BadRequest(f"{name} is required")
    employee_id = str(body["employee_id"])
    number = body.get("transaction_number")
    if number is not None and not (isinstance(number, int) or str(number).isdigit()):
        raise _BadRequest("transaction_number must be an integer")
    if action == "void":
        made = srv.void_check(cid, pid, employee_id, number)
    elif action == "manual-check":
        made = srv.manual_check(cid, pid, employee_id, body["gross"])
    elif action == "change-amount":
        made = srv.change_amount(cid, pid, employee_id, body["det_code"], body["amount"], number)
    else:
        made = srv.remove_statement(cid, pid, employee_id, number)
    with srv.lock:
        run = next(r for r in srv.company(cid).pay_runs if r.process_id == pid)
        view = _run_view(run)
    created = action in ("void", "manual-check")
    return json_response(201 if created else 200, {"transactionNumber": made, "run": view})


@ROUTES.route("GET", r"/_sandbox/companies/{cid}/payruns/{pid}/bank-debits")
def _bank_debits(srv, req, body, cid, pid):
    """JSON list, or ``?format=csv``: date,label,amount,kind,processId,checkNumber (a bank statement to import)."""
    debits = srv.bank_debits(cid, pid)
    fmt = (req.arg("format") or "json").lower()
    if fmt == "json":
        return json_response(200, debits)
    if fmt != "csv":
        raise _BadRequest("format is json or csv")
    out = io.StringIO()
    columns = ["date", "label", "amount", "kind", "processId", "checkNumber"]
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for row in debits:
        writer.writerow({k: row[k].isoformat() if k == "date" else ("" if row[k] is None else row[k])
                         for k in columns})
    return Response(200, out.getvalue().encode("utf-8"), {}, "text/csv; charset=utf-8")


@ROUTES.route("POST", r"/_sandbox/companies/{cid}/employees/{eid}/garnishment")
def _garnishment(srv, req, body, cid, eid):
    if body.get("amount") in (None, ""):
        raise _BadRequest("amount is required")
    srv.garnish(cid, eid, body["amount"])
    return json_response(200, {"employeeId": eid, "amount": srv.company(cid).employee(eid).garnishment})


@ROUTES.route("POST", r"/_sandbox/companies/{cid}/employees/{eid}/"
              r"(?P<action>terminate|rehire|leave|return|change|transfer)")
def _employee_action(srv, req, body, cid, eid, action):
    if action == "change":
        srv.change(cid, eid, **body)
        return json_response(200, {"employeeId": eid})
    if action == "transfer":
        if not body.get("to_company"):
            raise _BadRequest("to_company is required")
        return json_response(201, {"employeeId": srv.transfer(cid, eid, body["to_company"], body.get("date"))})
    if action == "return":
        srv.return_from_leave(cid, eid, body.get("date"))
    else:
        getattr(srv, action)(cid, eid, date=body.get("date"), reason=body.get("reason"))
    return json_response(200, {"employeeId": eid})
