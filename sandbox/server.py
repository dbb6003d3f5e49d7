"""SandboxServer: a Paylocity-compatible HTTP server on 127.0.0.1 with test controls.

Request pipeline (``handle``): /_sandbox/ control routes are answered directly; every other call may first be
taken by an injected fault, then token endpoints issue tokens, and API calls are authenticated (401), rate
limited per client credential (429), checked for company access (403) and routed to the WebLink (``/api``) or
NextGen (``/coreHr``, ``/apiHub``) handlers. Every non-control call is recorded in ``calls``.
"""
from __future__ import annotations

import datetime as dt
import logging
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import urlsplit

from . import control, nextgen, weblink
from .auth import NEXTGEN, WEBLINK, TokenAuthority
from .crypto import load_private_key, public_key_pem, public_key_xml, shared_private_key
from .data import (Company, StatusEvent, as_date, as_money, generate_companies, make_person, transfer_person)
from .faults import TOKEN_PATHS, Fault, FaultBook
from . import payroll
from .payroll import run_payroll as _run_payroll
from .ratelimit import SlidingWindowLimiter
from .webhooks import build_bodies, deliver
from .wire import Request, Response, empty, json_response, nextgen_error, weblink_error

_log = logging.getLogger(__name__)

WEBLINK_TOKEN_PATH, NEXTGEN_TOKEN_PATH = TOKEN_PATHS


@dataclass(frozen=True)
class Call:
    """One recorded request (control routes excluded)."""
    method: str
    path: str
    query: dict
    status: int            # 0 when the connection was dropped on purpose
    at: float              # time.monotonic() when answered
    family: str            # "weblink", "nextgen", "token" or "other"
    client_id: Optional[str] = None
    fault: Optional[str] = None


class PatchRecord(tuple):
    """(employee_id, decrypted body, was_encrypted) plus ``company_id`` and the answered ``status``."""

    def __new__(cls, employee_id, body, was_encrypted, company_id, status):
        record = super().__new__(cls, (employee_id, body, was_encrypted))
        record.company_id = company_id
        record.status = status
        return record

    employee_id = property(lambda self: self[0])
    body = property(lambda self: self[1])
    was_encrypted = property(lambda self: self[2])



def _forwarded(part, name, doc):
    """A read-write attribute of the server that is its ``part``'s ``name``."""
    return property(lambda self: getattr(getattr(self, part), name),
                    lambda self, value: setattr(getattr(self, part), name, value), doc=doc)

class SandboxServer:
    """A Paylocity stand-in for tests, demos and benchmarks (see sandbox/README.md)."""

    def __init__(self, seed=1, employees=50, companies=("C1001",), weblink_rate_limit=25,
                 nextgen_rate_limit=None, token_ttl=3600, host="127.0.0.1", port=0, *, today=None,
                 history_runs=3, private_key_pem=None):
        if isinstance(companies, str):
            companies = tuple(c.strip() for c in companies.split(",") if c.strip())
        self.seed = seed
        self.host = host
        self.port = port
        self.today = as_date(today) if today else dt.date.today()
        self.lock = threading.RLock()      # guards company data
        self._companies = generate_companies(tuple(companies), seed, int(employees), self.today, history_runs)
        self.tokens = TokenAuthority(token_ttl, self.today)
        for cid in self._companies:
            self.tokens.register_company(cid, seed)
        self.weblink_limiter = SlidingWindowLimiter(weblink_rate_limit)
        self.nextgen_limiter = SlidingWindowLimiter(nextgen_rate_limit)
        self.faults = FaultBook()
        self.private_key = load_private_key(private_key_pem) if private_key_pem else shared_private_key()
        self._calls: list = []
        self._patches: list = []
        self._record_lock = threading.Lock()
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self._connections: set = set()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "SandboxServer":
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.sandbox = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"paylocity-sandbox-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()           # releases responses held by "timeout" faults
        httpd.shutdown()
        with self._record_lock:
            connections = list(self._connections)
        for conn in connections:       # keep-alive connections must not outlive the server
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serve_forever(self) -> None:
        """Start (if needed) and block until interrupted (the CLI)."""
        self.start()
        try:
            while self._thread and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # ------------------------------------------------------------------ addresses and keys
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def urls(self) -> dict:
        base = self.base_url
        return {"weblink_base": f"{base}/api", "weblink_token": f"{base}{WEBLINK_TOKEN_PATH}",
                "nextgen_base": base, "nextgen_token": f"{base}{NEXTGEN_TOKEN_PATH}"}

    @property
    def public_key_pem(self) -> str:
        return public_key_pem(self.private_key)

    @property
    def public_key_xml(self) -> str:
        return public_key_xml(self.private_key)

    def credentials(self, company_id: str):
        return self.tokens.credentials(company_id)

    @property
    def company_ids(self) -> tuple:
        return tuple(self._companies)

    def company(self, company_id: str) -> Company:
        try:
            return self._companies[company_id]
        except KeyError:
            raise KeyError(f"unknown company {company_id!r}") from None

    # ------------------------------------------------------------------ limits and faults
    # Calls a second per credential (None: no limit).
    weblink_rate_limit = _forwarded("weblink_limiter", "limit", "WebLink calls a second per credential")
    nextgen_rate_limit = _forwarded("nextgen_limiter", "limit", "NextGen calls a second per credential")
    token_ttl = _forwarded("tokens", "token_ttl", "seconds a new access token lives")

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    def inject(self, kind, count=1, path=None, status=None, retry_after=None, delay=None) -> Fault:
        return self.faults.add(kind, count, path, status, retry_after, delay)

    def clear_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------------------ recordings
    @property
    def calls(self) -> list:
        with self._record_lock:
            return list(self._calls)

    def count(self, status=None, path=None) -> int:
        return sum(1 for c in self.calls
                   if (status is None or c.status == status) and (path is None or path in c.path))

    def reset_calls(self) -> None:
        with self._record_lock:
            self._calls.clear()

    @property
    def patches(self) -> list:
        with self._record_lock:
            return list(self._patches)

    def record_patch(self, company_id, employee_id, body, was_encrypted, status) -> None:
        with self._record_lock:
            self._patches.append(PatchRecord(employee_id, body, was_encrypted, company_id, status))

    def _record(self, req: Request, resp: Response, family: str, client_id, fault) -> None:
        call = Call(req.method, req.path, req.query, 0 if resp.disconnect else resp.status, time.monotonic(),
                    family, client_id, fault.kind if fault else None)
        with self._record_lock:
            self._calls.append(call)

    # ------------------------------------------------------------------ data events
    def hire(self, company_id: str, **fields) -> str:
        """Hire a generated person (fields override Employee attributes, e.g. first_name, hire_date).
        ``hidden_reads=N``: the API answers the next N reads of the person as if they were not hired yet (and leaves
        them out of listings until then), the way Paylocity's data can lag its New Hire webhook."""
        hidden_reads = int(fields.pop("hidden_reads", 0) or 0)
        if hidden_reads < 0:
            raise ValueError("hidden_reads cannot be negative")
        with self.lock:
            company = self.company(company_id)
            rng = company.rng
            eid = str(fields.pop("employee_id", None) or company.new_employee_id())
            if eid in company.employees:
                raise ValueError(f"employee {eid} already exists in {company_id}")
            department = fields.get("cost_center2") or rng.choice([c.code for c in company.cost_centers[2]])
            prefix = next((p.code[:-1] for p in company.positions
                           if p.department == department and p.code.endswith("1")), "OPS")
            position = company.position(fields.get("position_code") or f"{prefix}1") or company.positions[-2]
            managers = [e.employee_id for e in company.sorted_employees()
                        if e.cost_center2 == department and e.status == "A" and e.position_code.endswith("MGR")]
            hire_date = as_date(fields.pop("hire_date", None) or self.today)
            emp = make_person(company, rng, eid, department=department, position=position, hire_date=hire_date,
                              supervisor_id=managers[0] if managers else None)
            _set_fields(emp, fields)
            company.employees[eid] = emp
            if hidden_reads:
                company.hidden_reads[eid] = hidden_reads
            return eid

    def set_status(self, company_id, employee_id, status, date=None, reason=None) -> None:
        with self.lock:
            emp = self._employee(company_id, employee_id)
            day = as_date(date) if date else self.today
            emp.history.append(StatusEvent(day, status, reason or {"A": "Rehire", "L": "Leave of Absence",
                                                                   "T": "Terminated"}.get(status, status)))
            emp.history.sort(key=lambda e: e.date)

    def terminate(self, company_id, employee_id, date=None, reason=None) -> None:
        self.set_status(company_id, employee_id, "T", date, reason or "Resigned - Personal")
        with self.lock:
            self._employee(company_id, employee_id).eligible_for_rehire = True

    def rehire(self, company_id, employee_id, date=None, reason=None) -> None:
        emp = self._employee(company_id, employee_id)
        if emp.status_type != "T":
            raise ValueError(f"employee {employee_id} is not terminated")
        self.set_status(company_id, employee_id, "A", date, reason or "Rehire")

    def leave(self, company_id, employee_id, date=None, reason=None) -> None:
        self.set_status(company_id, employee_id, "L", date, reason or "Leave of Absence")

    def return_from_leave(self, company_id, employee_id, date=None) -> None:
        self.set_status(company_id, employee_id, "A", date, "Return from Leave")

    def change(self, company_id, employee_id, **fields) -> None:
        """Change Employee attributes (e.g. job_title, cost_center2, work_email, supervisor_id)."""
        with self.lock:
            _set_fields(self._employee(company_id, employee_id), fields)

    def transfer(self, from_company, employee_id, to_company, date=None) -> str:
        """Move a person to another company: ``XT`` in the source, a new hire in the target; new id."""
        with self.lock:
            self._employee(from_company, employee_id)
            day = as_date(date) if date else self.today
            return transfer_person(self.company(from_company), str(employee_id), self.company(to_company),
                                   day).employee_id

    def run_payroll(self, company_id, check_date, off_cycle=False) -> str:
        """Process a pay run on ``check_date``; returns its processId (YYYYMMDD + 2-digit run id)."""
        with self.lock:
            process_date = dt.datetime.now().replace(microsecond=900000)
            return _run_payroll(self.company(company_id), check_date, off_cycle=off_cycle,
                                process_date=process_date).process_id

    # ------------------------------------------------------------------ changes after processing (README)
    def void_check(self, company_id, process_id, employee_id, transaction_number=None) -> int:
        """Void the employee's statement in run ``process_id``: a negative statement is added. -> its number."""
        with self.lock:
            company = self.company(company_id)
            return payroll.void_statement(company, payroll.find_run(company, process_id), employee_id,
                                          transaction_number).transaction_number

    def manual_check(self, company_id, process_id, employee_id, gross) -> int:
        """Add a manual check of ``gross`` for the employee to run ``process_id``. -> its transaction number."""
        with self.lock:
            company = self.company(company_id)
            return payroll.manual_check(company, payroll.find_run(company, process_id), employee_id,
                                        gross).transaction_number

    def change_amount(self, company_id, process_id, employee_id, det_code, amount, transaction_number=None) -> int:
        """Change one line's amount of the employee's statement in run ``process_id``. -> its transaction number."""
        with self.lock:
            company = self.company(company_id)
            return payroll.change_amount(company, payroll.find_run(company, process_id), employee_id, det_code,
                                         amount, transaction_number).transaction_number

    def remove_statement(self, company_id, process_id, employee_id, transaction_number=None) -> int:
        """Take the employee's statement out of run ``process_id``. -> its transaction number."""
        with self.lock:
            company = self.company(company_id)
            return payroll.remove_statement(company, payroll.find_run(company, process_id), employee_id,
                                            transaction_number).transaction_number

    def garnish(self, company_id, employee_id, amount) -> None:
        """Deduct a post-tax garnishment (GARN) of ``amount`` from the employee's next regular checks (0 stops)."""
        value = as_money(amount)
        if value < 0:
            raise ValueError("a garnishment cannot be negative")
        with self.lock:
            self._employee(company_id, employee_id).garnishment = value
            self.company(company_id).garnishments = True

    def bank_debits(self, company_id, process_id) -> list:
        """What Paylocity takes from the bank for run ``process_id`` (and the checks clearing), README "Bank debits"."""
        with self.lock:
            company = self.company(company_id)
            return payroll.bank_debits(payroll.find_run(company, process_id))

    def _employee(self, company_id, employee_id):
        emp = self.company(company_id).employee(str(employee_id))
        if emp is None:
            raise KeyError(f"unknown employee {employee_id!r} in {company_id}")
        return emp

    # ------------------------------------------------------------------ webhooks
    def send_webhook(self, url, event_type, company_id, *, employee_id=None, process_id=None, auth=None,
                     copies=1, shuffle=False, timeout=10.0, expect_continue=True, parallel=1) -> list:
        """POST Paylocity legacy webhook bodies; ``employee_id``/``process_id`` may be lists. -> statuses."""
        with self.lock:
            bodies = build_bodies(self.company(company_id), event_type, employee_id=employee_id,
                                  process_id=process_id)
        return deliver(url, bodies, auth=auth, copies=copies, shuffle=shuffle, timeout=timeout,
                       expect_continue=expect_continue, seed=f"{self.seed}:{company_id}:{event_type}",
                       parallel=parallel)

    # ------------------------------------------------------------------ request pipeline
    def handle(self, req: Request) -> Response:
        if req.path == "/_sandbox" or req.path.startswith("/_sandbox/"):
            return control.handle(self, req)
        fault = self.faults.take(req.path)
        family = _family(req.path)
        client_id = None
        if fault and fault.kind == "status":
            resp = _fault_response(fault, family)
        elif fault and fault.kind in ("disconnect", "reset"):
            resp = Response(0, disconnect=True, reset=fault.kind == "reset")
        else:
            if fault and fault.kind == "expire_tokens":
                self.expire_tokens()   # the token this call carries has just expired, for real
            resp, client_id = self._serve(req, family)
            if fault and fault.kind == "broken_body":
                resp = _broken(resp)
            elif fault and fault.kind == "truncated":
                resp.truncate = True
        self._record(req, resp, family, client_id, fault)
        if fault and fault.kind == "timeout":
            self._stopping.wait(fault.delay)
        return resp

    def _serve(self, req: Request, family: str):
        if family == "token":
            if req.method != "POST":
                return empty(405, {"Allow": "POST"}), None
            if req.path == WEBLINK_TOKEN_PATH:
                return self.tokens.weblink_token(req), None
            return self.tokens.nextgen_token(req), None
        if family == "other":
            return json_response(404, {"message": "Not found"}), None
        token = self.tokens.validate(req.header("authorization"), WEBLINK if family == "weblink" else NEXTGEN)
        if token is None:
            return empty(401, {"WWW-Authenticate": "Bearer"}), None
        limiter = self.weblink_limiter if family == "weblink" else self.nextgen_limiter
        if not limiter.allow(token.client_id):
            return empty(429, {"Retry-After": "1"}), token.client_id
        module = weblink if family == "weblink" else nextgen
        with self.lock:
            return module.route(self, req, token), token.client_id


def _set_fields(emp, fields: dict) -> None:
    for name, value in fields.items():
        if name in ("history", "employee_id") or name not in emp.__dataclass_fields__:
            raise TypeError(f"cannot set {name!r} on an employee")
        if name.endswith("_date") and value is not None:
            value = as_date(value)
        setattr(emp, name, value)


def _family(path: str) -> str:
    if path in TOKEN_PATHS:
        return "token"
    if path == "/api" or path.startswith("/api/"):
        return "weblink"
    lowered = path.lower()
    if lowered.startswith(("/corehr/", "/apihub/")):
        return "nextgen"
    return "other"


def _fault_response(fault: Fault, family: str) -> Response:
    status = fault.status
    headers = {}
    if status == 429 or (status == 503 and fault.retry_after is not None):
        headers["Retry-After"] = _seconds(fault.retry_after if fault.retry_after is not None else 1)
    if status in (401, 403, 429):
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return empty(status, headers)
    if status in (502, 503, 504):
        # Gateways in front of Paylocity answer these with an HTML page, not the API's JSON.
        body = f"<html><body><h1>{status} Service Unavailable</h1></body></html>".encode()
        return Response(status, body, headers, "text/html")
    if family == "nextgen":
        resp = nextgen_error(status, "An error has occurred.")
    else:
        resp = weblink_error(status, "An error has occurred.")
    resp.headers.update(headers)
    return resp


def _seconds(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _broken(resp: Response) -> Response:
    body = resp.body or b'{"employeeId":"'
    cut = body[:max(1, len(body) // 2)]
    if cut == body:
        cut = body[:-1] or b"{"
    return Response(200, cut, dict(resp.headers), "application/json; charset=utf-8")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sandbox: SandboxServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PaylocitySandbox/1.0"
    timeout = 120    # idle keep-alive connections are dropped after this
    # One buffered write per response, no Nagle: otherwise headers and body leave as two small segments and
    # the client's delayed ACK adds ~40 ms to every call, which would distort rate-limit benchmarks.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        with self.server.sandbox._record_lock:
            self.server.sandbox._connections.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.server.sandbox._record_lock:
                self.server.sandbox._connections.discard(self.connection)

    def _handle(self):
        sandbox = self.server.sandbox
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        req = Request(self.command, split.path, split.query, {k.lower(): v for k, v in self.headers.items()},
                      body, self.client_address[0])
        try:
            resp = sandbox.handle(req)
        except Exception:   # a sandbox bug must still answer like a server, and show in the test log
            _log.exception("sandbox failed on %s %s", req.method, req.path)
            resp = weblink_error(500, "An error has occurred.")
        if resp.disconnect:
            self.close_connection = True
            try:
                if resp.reset:   # SO_LINGER 0: close() sends RST, the client reads "connection reset by peer"
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        try:
            self.send_response(resp.status)
            for name, value in resp.headers.items():
                self.send_header(name, value)
            if resp.content_type:
                self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if self.command != "HEAD":
                # A truncated answer promises the whole body and stops halfway (the line closes mid-response).
                self.wfile.write(resp.body[:len(resp.body) // 2] if resp.truncate else resp.body)
            self.wfile.flush()
            if resp.truncate:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True   # the client gave up (e.g. after a timeout fault)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, format, *args):
        _log.debug("%s - %s", self.address_string(), format % args)
