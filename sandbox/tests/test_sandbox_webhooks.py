"""The webhook sender: Paylocity's legacy bodies, Basic auth, duplicates and out-of-order delivery."""
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests


class _Server(ThreadingHTTPServer):
    request_queue_size = 64   # a burst of 50 connections must not overflow the listen backlog


class Receiver:
    """A tiny HTTP receiver on 127.0.0.1 that records deliveries and answers a chosen status."""

    def __init__(self, status=200):
        self.deliveries = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append((dict(self.headers.items()), json.loads(body)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/paylocity/webhook/abc"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def bodies(self):
        return [b for _, b in self.deliveries]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_new_hire_body_and_headers(shared, receiver):
    company = shared.company("C1001")
    emp = company.sorted_employees()[5]
    statuses = shared.send_webhook(receiver.url, "New Hire", "C1001", employee_id=emp.employee_id,
                                   auth=("hook", "s3cret"))
    assert statuses == [200]
    [(headers, body)] = receiver.deliveries
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"hook:s3cret").decode()
    assert headers["Connection"] == "close"
    assert body["companyId"] == "C1001" and body["employeeId"] == emp.employee_id
    assert body["employeeFirstName"] == emp.first_name and body["employeeLastName"] == emp.last_name
    assert body["employeeHireDate"] == f"{emp.hire_date}T00:00:00Z"
    assert body["employeeWorkEMailAddress"] == emp.work_email
    center = company.cost_center(2, emp.cost_center2)
    assert body["employeeCostCenter2"] == f"{center.code} - {center.name}"
    assert body["employeeType"] in ("Regular Full Time", "Regular Part Time")


def test_termination_change_and_time_off_bodies(shared, receiver):
    company = shared.company("C1001")
    leaver = next(e for e in company.sorted_employees() if e.status == "T")
    shared.send_webhook(receiver.url, "termination", "C1001", employee_id=leaver.employee_id)
    shared.send_webhook(receiver.url, "employee_change", "C1001", employee_id="1003")
    shared.send_webhook(receiver.url, "time_off_approval", "C1001", employee_id="1004")
    termination, change, time_off = receiver.bodies
    assert termination["employeeId"] == leaver.employee_id
    assert termination["employeeTerminationDate"] == f"{leaver.termination_date}T00:00:00Z"
    assert change == {"companyId": "C1001", "employeeId": "1003"}
    assert {"employeeName", "supervisorWorkEmail", "hoursPerDay", "isAllDayEvent", "timeOffStartDate",
            "timeOffEndDate"} <= set(time_off)
    assert "Authorization" not in receiver.deliveries[0][0]


def test_payroll_processed_body(shared, receiver):
    run = shared.company("C1001").pay_runs[-1]
    shared.send_webhook(receiver.url, "payroll_processed", "C1001", process_id=run.process_id)
    [body] = receiver.bodies
    assert body == {"companyId": "C1001", "processId": run.process_id, "checkDate": run.check_date.isoformat(),
                    "runId": str(run.run_id), "processDate": body["processDate"], "status": "Processed"}
    assert body["processId"] == run.check_date.strftime("%Y%m%d") + "02"
    assert body["processDate"].startswith(run.process_date.strftime("%Y-%m-%dT%H:%M:%S."))


def test_copies_and_shuffle(shared, receiver):
    ids = ["1003", "1004", "1005", "1006"]
    statuses = shared.send_webhook(receiver.url, "employee_change", "C1001", employee_id=ids, copies=2,
                                   shuffle=True)
    assert statuses == [200] * 8
    got = [b["employeeId"] for b in receiver.bodies]
    assert sorted(got) == sorted(ids * 2)
    assert got != [i for i in ids for _ in range(2)]           # not in the original order


def test_parallel_delivery_sends_every_copy_at_once(shared, receiver):
    ids = ["1003", "1004", "1005", "1006", "1007"]
    statuses = shared.send_webhook(receiver.url, "employee_change", "C1001", employee_id=ids, copies=10,
                                   parallel=50)
    assert statuses == [200] * 50
    assert sorted(b["employeeId"] for b in receiver.bodies) == sorted(ids * 10)


def test_statuses_report_receiver_answers(shared):
    failing = Receiver(status=503)
    try:
        assert shared.send_webhook(failing.url, "employee_change", "C1001", employee_id="1003",
                                   copies=2) == [503, 503]
    finally:
        failing.close()
    assert shared.send_webhook("http://127.0.0.1:9/nothing", "employee_change", "C1001", employee_id="1003",
                               timeout=1) == [0]


def test_bad_requests(shared, receiver):
    with pytest.raises(ValueError):
        shared.send_webhook(receiver.url, "payday", "C1001", employee_id="1003")
    with pytest.raises(ValueError):
        shared.send_webhook(receiver.url, "new_hire", "C1001")
    with pytest.raises(KeyError):
        shared.send_webhook(receiver.url, "new_hire", "C1001", employee_id="0")
    assert receiver.deliveries == []


def test_send_over_the_control_api(shared, receiver):
    resp = requests.post(f"{shared.base_url}/_sandbox/webhooks", json={
        "url": receiver.url, "event_type": "employee_change", "company_id": "C1001", "employee_id": "1003",
        "auth": ["u", "p"], "copies": 3}, timeout=10)
    assert resp.status_code == 200 and resp.json() == {"statuses": [200, 200, 200]}
    assert len(receiver.deliveries) == 3
    bad = requests.post(f"{shared.base_url}/_sandbox/webhooks", json={"url": receiver.url}, timeout=5)
    assert bad.status_code == 400
