"""The /_sandbox/ HTTP control API (for other processes) and the command line."""
import os
import signal
import subprocess
import sys

import requests

from sandbox.tests.helpers import weblink_token

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _control(srv, method, path, **kw):
    return requests.request(method, f"{srv.base_url}/_sandbox/{path}", timeout=5, **kw)


def test_info_lists_urls_credentials_and_key(fresh):
    info = _control(fresh, "GET", "info").json()
    assert info["weblink_base"] == f"{fresh.base_url}/api"
    assert info["nextgen_token"] == f"{fresh.base_url}/public/security/v1/token"
    assert info["companies"] == ["C1001", "C1002"]
    assert info["credentials"]["C1002"]["nextgen_client_id"] == fresh.credentials("C1002").nextgen_client_id
    assert info["public_key_pem"] == fresh.public_key_pem


def test_faults_over_http(fresh, weblink):
    api = weblink(fresh)
    created = _control(fresh, "POST", "faults", json={"kind": "status", "status": 500, "count": 2})
    assert created.status_code == 201 and created.json()["count"] == 2
    assert _control(fresh, "GET", "faults").json()[0]["status"] == 500
    assert api.get("/v2/companies/C1001/employees").status_code == 500
    assert _control(fresh, "DELETE", "faults").status_code == 200
    assert api.get("/v2/companies/C1001/employees").status_code == 200
    assert _control(fresh, "POST", "faults", json={"kind": "nope"}).status_code == 400
    assert _control(fresh, "POST", "faults", json={"status": 500}).status_code == 400


def test_expire_tokens_settings_calls_and_patches_over_http(fresh, weblink):
    api = weblink(fresh)
    api.patch("/v2/companies/C1001/employees/1003", json={"workAddress": {"phone": "(312) 555-0100"}})
    assert _control(fresh, "POST", "expire-tokens").status_code == 200
    assert api.get("/v2/companies/C1001/employees").status_code == 401
    calls = _control(fresh, "GET", "calls", params={"status": "401"}).json()
    assert [c["path"] for c in calls] == ["/api/v2/companies/C1001/employees"]
    patches = _control(fresh, "GET", "patches").json()
    assert patches == [{"company_id": "C1001", "employee_id": "1003", "status": 200, "was_encrypted": False,
                        "body": {"workAddress": {"phone": "(312) 555-0100"}}}]
    settings = _control(fresh, "POST", "settings", json={"weblink_rate_limit": 2, "token_ttl": 60}).json()
    assert settings["weblink_rate_limit"] == 2 and fresh.weblink_rate_limit == 2 and fresh.token_ttl == 60
    assert _control(fresh, "POST", "settings", json={"colour": "blue"}).status_code == 400
    assert _control(fresh, "DELETE", "calls").status_code == 200 and fresh.calls == []


def test_data_events_over_http(fresh):
    hired = _control(fresh, "POST", "companies/C1001/hire", json={"first_name": "Remote", "hire_date": "2026-11-02"})
    assert hired.status_code == 201
    eid = hired.json()["employeeId"]
    assert fresh.company("C1001").employee(eid).first_name == "Remote"
    assert _control(fresh, "POST", f"companies/C1001/employees/{eid}/change",
                    json={"job_title": "Remote Worker"}).status_code == 200
    assert _control(fresh, "POST", f"companies/C1001/employees/{eid}/leave", json={"date": "2026-11-10"}).ok
    assert _control(fresh, "POST", f"companies/C1001/employees/{eid}/return", json={"date": "2026-11-15"}).ok
    assert _control(fresh, "POST", f"companies/C1001/employees/{eid}/terminate",
                    json={"date": "2026-11-20", "reason": "Dismissed - Attendance"}).ok
    emp = fresh.company("C1001").employee(eid)
    assert (emp.status, emp.job_title, emp.current.reason) == ("T", "Remote Worker", "Dismissed - Attendance")
    assert _control(fresh, "POST", f"companies/C1001/employees/{eid}/rehire", json={"date": "2026-11-23"}).ok
    moved = _control(fresh, "POST", f"companies/C1001/employees/{eid}/transfer", json={"to_company": "C1002"})
    assert moved.status_code == 201 and fresh.company("C1002").employee(moved.json()["employeeId"])
    run = _control(fresh, "POST", "companies/C1001/payroll", json={"check_date": "2026-12-04"})
    assert run.status_code == 201 and run.json() == {"processId": "2026120401"}
    runs = _control(fresh, "GET", "companies/C1001/payruns").json()
    assert runs[-1]["processId"] == "2026120401"
    totals = {(t["det"], t["detCode"]): t["amount"] for t in runs[-1]["totals"]}
    assert round(totals[("E", "REG")] + totals.get(("E", "OT"), 0), 2) == runs[-1]["grossPay"]
    assert _control(fresh, "GET", "companies/C9999/payruns").status_code == 404
    assert _control(fresh, "POST", "companies/C1001/employees/0/terminate", json={}).status_code == 404
    assert _control(fresh, "POST", "companies/C1001/payroll", json={}).status_code == 400
    assert _control(fresh, "GET", "nothing").status_code == 404


def test_cli_prints_urls_and_credentials_and_serves():
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", "0", "--employees", "12", "--seed", "5",
                             "--companies", "C1001,C1002", "--rate-limit", "none"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("-----END PUBLIC KEY"):
                break
        text = "\n".join(lines)
        base = next(l.split()[-1] for l in lines if "WebLink base:" in l).rsplit("/api", 1)[0]
        assert base.startswith("http://127.0.0.1:")
        for label in ("WebLink token:", "NextGen base:", "NextGen token:", "Company C1002",
                      "WebLink client id/secret:", "NextGen client id/secret:", "BEGIN PUBLIC KEY"):
            assert label in text

        class Remote:
            def __init__(self):
                info = requests.get(f"{base}/_sandbox/info", timeout=5).json()
                self.creds = info["credentials"]
                self._urls = {k: info[k] for k in ("weblink_base", "weblink_token", "nextgen_base",
                                                   "nextgen_token")}

            def urls(self):
                return self._urls

            def credentials(self, cid):
                return type("C", (), self.creds[cid])

        remote = Remote()
        assert remote.creds["C1001"]["weblink_client_id"] in text
        token = weblink_token(remote, "C1001")
        resp = requests.get(f"{base}/api/v2/companies/C1001/employees", headers={"Authorization": f"Bearer {token}"},
                            timeout=5)
        assert resp.status_code == 200 and resp.headers["X-Pcty-Total-Count"] == "12"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)   # a loaded machine can take seconds to start and stop a Python process
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == 0
