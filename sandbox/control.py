"""``/_sandbox/`` HTTP control routes: the Python API for other processes (demo, Odoo tests, benchmarks).

Unauthenticated (the sandbox binds 127.0.0.1). JSON in, JSON out; bad input answers 400 {"error": ...}.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

from .wire import Request, Response, json_response, paylocity_date

ROUTES = [
    ("GET", r"/_sandbox/info", "info"),
    ("GET", r"/_sandbox/faults", "list_faults"),
    ("POST", r"/_sandbox/faults", "add_fault"),
    ("DELETE", r"/_sandbox/faults", "clear_faults"),
    ("POST", r"/_sandbox/expire-tokens", "expire_tokens"),
    ("POST", r"/_sandbox/settings", "settings"),
    ("GET", r"/_sandbox/calls", "calls"),
    ("DELETE", r"/_sandbox/calls", "reset_calls"),
    ("GET", r"/_sandbox/patches", "patches"),
    ("POST", r"/_sandbox/webhooks", "webhook"),
    ("POST", r"/_sandbox/companies/(?P<cid>[^/]+)/hire", "hire"),
    ("POST", r"/_sandbox/companies/(?P<cid>[^/]+)/payroll", "payroll"),
    ("GET", r"/_sandbox/companies/(?P<cid>[^/]+)/payruns", "payruns"),
    ("POST", r"/_sandbox/companies/(?P<cid>[^/]+)/employees/(?P<eid>[^/]+)/"
             r"(?P<action>terminate|rehire|leave|return|change|transfer)", "employee_action"),
]
_COMPILED = [(m, re.compile("^" + p + "/?$"), h) for m, p, h in ROUTES]


class _BadRequest(Exception):
    pass


def handle(srv, req: Request) -> Response:
    for method, pattern, name in _COMPILED:
        match = pattern.match(req.path)
        if match and method == req.method:
            try:
                body = req.json() if req.body else {}
                if not isinstance(body, dict):
                    raise _BadRequest("the body must be a JSON object")
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                return globals()["_" + name](srv, req, body, **params)
            except KeyError as exc:
                return json_response(404, {"error": str(exc.args[0]) if exc.args else "not found"})
            except (_BadRequest, ValueError, TypeError) as exc:
                return json_response(400, {"error": str(exc)})
    return json_response(404, {"error": f"no control route {req.method} {req.path}"})


def _info(srv, req, body):
    return json_response(200, {
        "base_url": srv.base_url, **srv.urls(), "companies": list(srv.company_ids),
        "credentials": {cid: srv.credentials(cid).as_dict() for cid in srv.company_ids},
        "public_key_pem": srv.public_key_pem, "public_key_xml": srv.public_key_xml,
        "weblink_rate_limit": srv.weblink_rate_limit, "nextgen_rate_limit": srv.nextgen_rate_limit,
        "token_ttl": srv.token_ttl, "today": srv.today.isoformat(),
    })


def _list_faults(srv, req, body):
    return json_response(200, srv.faults.pending())


def _add_fault(srv, req, body):
    allowed = {"kind", "count", "path", "status", "retry_after", "delay"}
    unknown = set(body) - allowed
    if unknown or "kind" not in body:
        raise _BadRequest(f"expected {sorted(allowed)} with kind required")
    return json_response(201, srv.inject(**body).as_dict())


def _clear_faults(srv, req, body):
    srv.clear_faults()
    return json_response(200, {"cleared": True})


def _expire_tokens(srv, req, body):
    srv.expire_tokens()
    return json_response(200, {"expired": True})


def _settings(srv, req, body):
    """Change ``weblink_rate_limit``, ``nextgen_rate_limit`` (null disables) or ``token_ttl`` at run time."""
    for name in body:
        if name not in ("weblink_rate_limit", "nextgen_rate_limit", "token_ttl"):
            raise _BadRequest(f"unknown setting {name}")
        setattr(srv, name, body[name])
    return json_response(200, {n: getattr(srv, n) for n in ("weblink_rate_limit", "nextgen_rate_limit",
                                                            "token_ttl")})


def _calls(srv, req, body):
    status = req.arg("status")
    path = req.arg("path")
    calls = [c for c in srv.calls if (not status or str(c.status) == status) and (not path or path in c.path)]
    return json_response(200, [{"method": c.method, "path": c.path, "query": c.query, "status": c.status,
                                "at": c.at, "family": c.family, "fault": c.fault} for c in calls])


def _reset_calls(srv, req, body):
    srv.reset_calls()
    return json_response(200, {"cleared": True})


def _patches(srv, req, body):
    return json_response(200, [{"company_id": p.company_id, "employee_id": p.employee_id, "body": p.body,
                                "was_encrypted": p.was_encrypted, "status": p.status} for p in srv.patches])


def _webhook(srv, req, body):
    for name in ("url", "event_type", "company_id"):
        if not body.get(name):
            raise _BadRequest(f"{name} is required")
    auth = body.get("auth")
    statuses = srv.send_webhook(body["url"], body["event_type"], body["company_id"],
                                employee_id=body.get("employee_id"), process_id=body.get("process_id"),
                                auth=tuple(auth) if auth else None, copies=int(body.get("copies", 1)),
                                shuffle=bool(body.get("shuffle", False)))
    return json_response(200, {"statuses": statuses})


def _hire(srv, req, body, cid):
    return json_response(201, {"employeeId": srv.hire(cid, **body)})


def _payroll(srv, req, body, cid):
    if not body.get("check_date"):
        raise _BadRequest("check_date is required")
    process_id = srv.run_payroll(cid, body["check_date"], off_cycle=bool(body.get("off_cycle", False)))
    return json_response(201, {"processId": process_id})


def _payruns(srv, req, body, cid):
    """Every run with its totals per (det, detCode, detType), for independent checks in other processes."""
    with srv.lock:
        company = srv.company(cid)
        runs = [{
            "processId": run.process_id, "checkDate": run.check_date.isoformat(), "runId": run.run_id,
            "offCycle": run.off_cycle, "processDate": paylocity_date(run.process_date),
            "employees": [st.employee_id for st in run.statements],
            "grossPay": sum((st.gross for st in run.statements), 0),
            "netPay": sum((st.net for st in run.statements), 0),
            "totals": [{"det": det, "detCode": code, "detType": det_type, "amount": amount}
                       for (det, code, det_type), amount in sorted(run.totals().items())],
        } for run in company.pay_runs]
    return json_response(200, runs)


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
