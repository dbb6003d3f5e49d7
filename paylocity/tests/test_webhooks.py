"""Legacy webhook classification, de-duplication keys, Basic auth and sender allow-lists."""
import base64
import datetime
import ipaddress
import json
from collections import defaultdict

import pydantic
import pytest

from paylocity.errors import ConfigurationError
from paylocity.webhooks import (
    DEFAULT_SENDER_CIDRS,
    EMPLOYEE_CHANGE,
    NEW_HIRE,
    PAYROLL_PROCESSED,
    TERMINATION,
    TIME_OFF_APPROVAL,
    KEPT_KEYS,
    WebhookEvent,
    WebhookShapeError,
    basic_auth_credentials,
    check_basic_auth,
    check_webhook_authorization,
    classify,
    dedup_key,
    hash_webhook_password,
    ip_allowed,
    kept_fields,
    kept_payload,
    payload_text,
    parse_cidrs,
    parse_process_id,
)
from paylocity.payroll import process_id

PAYROLL = {
    "companyId": "C01", "processId": "2022012701", "checkDate": "2022-01-27", "runId": "1",
    "processDate": "2022-01-25T10:31:05.90", "status": "Processed",
}
# The full New Hire example of the reference (values are fictitious).
NEW_HIRE_BODY = {
    "companyId": "C01", "companyName": "Example Co", "employeeId": "1234", "employeeFirstName": "Ada",
    "employeeLastName": "Lovelace", "employeeMiddleInitial": "B", "employeeGender": "F",
    "employeeMaritalStatus": "S", "employeeAddressLine1": "1 Main St", "employeeAddressLine2": None,
    "employeeCity": "Springfield", "employeeState": "IL", "employeeZip": "62701",
    "employeeWorkPhone": "555-0100", "employeeWorkEMailAddress": "ada@example.com",
    "employeeHireDate": "2015-10-14T00:00:00Z", "employeeJobTitle": "Engineer", "employeePosition": "ENG",
    "employeeEEOClass": "2", "employeeType": "Regular Full Time", "employeePayFrequency": "B",
    "employeePayType": "Salary", "employeeBadgeClockNumber": "77", "employeeCostCenter1": "11 - Software Development",
    "employeeCostCenter2": "200 - Chicago", "employeeCostCenter3": None, "employeeSupervisor": "Grace Hopper",
    "employeeSupervisorId": "1000", "employeeTaxForm": "W2",
}
TERMINATION_BODY = {
    "companyId": "C01", "employeeId": "1234", "employeeFirstName": "Ada", "employeeMiddleInitial": "B",
    "employeeLastName": "Lovelace", "employeeCostCenter1": "11 - Software Development",
    "employeeWorkEMailAddress": "ada@example.com", "terminationDate": "2024-03-01T00:00:00Z",
    "terminationReason": "Relocation",
}
CHANGE_BODY = {"companyId": "C01", "employeeId": "1234"}
TIME_OFF_BODY = {
    "companyId": "C01", "employeeId": "1234", "employeeName": "Ada Lovelace",
    "employeeCostCenter1": "11 - Software Development", "employeeWorkEMailAddress": "ada@example.com",
    "supervisorWorkEmail": "grace@example.com", "hoursPerDay": 8.0, "isAllDayEvent": True,
    "timeOffStartDate": "2024-07-01T00:00:00", "timeOffEndDate": "2024-07-03T00:00:00",
}
PERSONAL_VALUES = ("Ada", "Lovelace", "ada@example.com", "grace@example.com", "1 Main St", "Relocation", "Grace Hopper",
                   "Springfield", "62701", "555-0100", "Salary")
PERSONAL_KEYS = ("employeeGender", "employeeMaritalStatus", "employeeEEOClass", "employeeAddressLine1", "employeeCity",
                 "employeeZip", "employeeFirstName", "employeeSupervisor", "employeePayType", "terminationReason",
                 "employeeName", "supervisorWorkEmail", "employeeBadgeClockNumber")


def _assert_no_personal_data(event):
    dumped = json.dumps(event.summary) + event.dedup_key + payload_text(event.kept)
    for value in PERSONAL_VALUES + PERSONAL_KEYS:
        assert value not in dumped


# --- classification ---------------------------------------------------------------------------------

def test_payroll_processed():
    event = classify(PAYROLL)
    assert event.event_type == PAYROLL_PROCESSED
    assert (event.company_id, event.employee_id, event.process_id) == ("C01", None, "2022012701")
    assert (event.check_date, event.run_id) == (datetime.date(2022, 1, 27), 1)
    assert event.dedup_key == "payroll_processed:C01:2022012701"
    assert event.summary == {
        "check_date": "2022-01-27", "run_id": 1, "status": "Processed",
        "process_date": "2022-01-25T10:31:05.900000+00:00",
    }


def test_payroll_processed_minimal_and_numeric_process_id():
    event = classify({"companyId": "C01", "processId": 2022012702})
    assert (event.check_date, event.run_id, event.process_id) == (datetime.date(2022, 1, 27), 2, "2022012702")


def test_new_hire():
    event = classify(NEW_HIRE_BODY)
    assert event.event_type == NEW_HIRE
    assert (event.company_id, event.employee_id) == ("C01", "1234")
    assert event.dedup_key == "new_hire:C01:1234:2015-10-14"
    assert event.summary == {
        "hire_date": "2015-10-14", "employee_type": "Regular Full Time", "cost_center1": "11", "cost_center2": "200",
    }
    assert event.process_id is None and event.check_date is None and event.run_id is None
    _assert_no_personal_data(event)


def test_new_hire_without_hire_date_is_still_a_new_hire():
    body = {k: v for k, v in NEW_HIRE_BODY.items() if k != "employeeHireDate"}
    event = classify(body)
    assert event.event_type == NEW_HIRE
    assert event.dedup_key.startswith("new_hire:C01:1234:body-")
    assert "hire_date" not in event.summary


def test_termination_with_date():
    event = classify(TERMINATION_BODY)
    assert event.event_type == TERMINATION
    assert event.dedup_key == "termination:C01:1234:2024-03-01"
    assert event.summary == {"termination_date": "2024-03-01", "cost_center1": "11"}
    _assert_no_personal_data(event)


@pytest.mark.parametrize("key", ["employeeTerminationDate", "termDate", "employeeTermDate", "TERMINATIONDATE"])
def test_termination_date_spellings(key):
    body = dict(CHANGE_BODY, **{key: "03/01/2024"})
    event = classify(body)
    assert event.event_type == TERMINATION
    assert event.dedup_key == "termination:C01:1234:2024-03-01"


def test_termination_without_date_keys_on_body_hash():
    body = {k: v for k, v in TERMINATION_BODY.items() if not k.startswith("termination")}
    event = classify(body)
    assert event.event_type == TERMINATION
    assert event.dedup_key.startswith("termination:C01:1234:body-")
    assert classify(dict(reversed(list(body.items())))).dedup_key == event.dedup_key   # key order irrelevant
    assert classify(dict(body, employeeCostCenter1="12 - Sales")).dedup_key != event.dedup_key


def test_a_termination_that_also_sends_the_hire_date_is_a_termination():
    event = classify(dict(TERMINATION_BODY, employeeHireDate="2015-10-14"))
    assert event.event_type == TERMINATION


def test_employee_change_is_only_company_and_employee():
    event = classify(CHANGE_BODY)
    assert event.event_type == EMPLOYEE_CHANGE
    assert event.dedup_key == "employee_change:C01:1234"
    assert event.summary == {}
    # Unknown extra keys are tolerated; numeric ids are read as text.
    event2 = classify({"companyId": "C01", "employeeId": 1234, "somethingNew": {"x": 1}})
    assert (event2.event_type, event2.employee_id, event2.dedup_key) == (EMPLOYEE_CHANGE, "1234", event.dedup_key)


def test_time_off_approval():
    event = classify(TIME_OFF_BODY)
    assert event.event_type == TIME_OFF_APPROVAL
    assert event.dedup_key.startswith("time_off_approval:C01:1234:")
    assert event.summary == {
        "start_date": "2024-07-01", "end_date": "2024-07-03", "hours_per_day": 8.0, "all_day": True,
    }
    _assert_no_personal_data(event)


def test_time_off_key_without_start_date_is_refused():
    body = {k: v for k, v in TIME_OFF_BODY.items() if k != "timeOffStartDate"}
    with pytest.raises(WebhookShapeError, match="timeOffStartDate"):
        classify(body)


def test_raw_json_bytes_and_text_are_accepted():
    assert classify(json.dumps(PAYROLL).encode("utf-8")).dedup_key == classify(PAYROLL).dedup_key
    assert classify("\ufeff" + json.dumps(CHANGE_BODY)).event_type == EMPLOYEE_CHANGE
    assert classify(b"\xef\xbb\xbf" + json.dumps(CHANGE_BODY).encode()).event_type == EMPLOYEE_CHANGE


def test_field_names_are_matched_case_insensitively():
    event = classify({"CompanyID": "C01", "EmployeeId": "9", "EmployeeHireDate": "2020-02-02"})
    assert (event.event_type, event.dedup_key) == (NEW_HIRE, "new_hire:C01:9:2020-02-02")


# --- what is kept of a body -------------------------------------------------------------------------

def test_of_a_new_hire_only_identifiers_dates_and_cost_centers_are_kept():
    event = classify(NEW_HIRE_BODY)
    assert event.kept == {
        "companyId": "C01", "employeeId": "1234", "employeeHireDate": "2015-10-14T00:00:00Z",
        "employeeType": "Regular Full Time", "employeeCostCenter1": "11 - Software Development",
        "employeeCostCenter2": "200 - Chicago", "employeeCostCenter3": None,
    }


def test_of_a_termination_the_date_is_kept_not_the_reason():
    event = classify(dict(TERMINATION_BODY, employeeTermDate="03/01/2024", terminationType="Voluntary"))
    assert event.kept == {"companyId": "C01", "employeeId": "1234", "employeeCostCenter1": "11 - Software Development",
                          "terminationDate": "2024-03-01T00:00:00Z", "employeeTermDate": "03/01/2024"}
    _assert_no_personal_data(event)


def test_of_the_other_types_what_the_classifier_reads():
    assert classify(PAYROLL).kept == PAYROLL
    assert classify(dict(CHANGE_BODY, somethingNew="x")).kept == CHANGE_BODY
    assert classify(TIME_OFF_BODY).kept == {
        "companyId": "C01", "employeeId": "1234", "hoursPerDay": 8.0, "isAllDayEvent": True,
        "timeOffStartDate": "2024-07-01T00:00:00", "timeOffEndDate": "2024-07-03T00:00:00",
    }


def test_kept_values_are_scalars_and_short():
    kept = kept_fields(NEW_HIRE, dict(CHANGE_BODY, employeeType="x" * 500, employeeCostCenter1={"name": "Ada"},
                                      employeeCostCenter2=["Ada"], employeeHireDate=20150101))
    assert kept == {"companyId": "C01", "employeeId": "1234", "employeeType": "x" * 100,
                    "employeeHireDate": 20150101}


def test_every_type_has_an_allow_list_without_personal_keys():
    assert set(KEPT_KEYS) == {NEW_HIRE, TERMINATION, EMPLOYEE_CHANGE, PAYROLL_PROCESSED, TIME_OFF_APPROVAL}
    personal = {key.lower() for key in PERSONAL_KEYS}
    for keys in KEPT_KEYS.values():
        assert not keys & personal


def test_a_stored_payload_is_reduced_like_intake_reduces_a_body():
    """What the upgrade does to payloads stored whole before the allow-list."""
    stored = json.dumps(NEW_HIRE_BODY)
    assert kept_payload(NEW_HIRE, stored) == payload_text(classify(NEW_HIRE_BODY).kept)
    assert kept_payload(NEW_HIRE, kept_payload(NEW_HIRE, stored)) == kept_payload(NEW_HIRE, stored)   # idempotent
    for broken in ("not json", "[1, 2]", "", None, "[" * 5000):
        assert kept_payload(NEW_HIRE, broken) is None
    assert kept_payload("no_such_type", stored) is None


def test_the_event_is_frozen_and_typed():
    event = classify(PAYROLL)
    with pytest.raises(pydantic.ValidationError):
        event.company_id = "C02"
    with pytest.raises(pydantic.ValidationError):
        WebhookEvent(event_type="something_else", company_id="C01", dedup_key="x")


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"{not json", "body is not JSON"),
        (b"[" * 100000 + b"]" * 100000, "body is nested more than 32 levels deep"),
        (b"\xff\xfe\x00", "body is not UTF-8"),
        ("[1, 2]", "body is not a JSON object"),
        ([CHANGE_BODY], "body is not a JSON object"),
        ("null", "body is not a JSON object"),
        ({}, "companyId missing"),
        ({"employeeId": "1"}, "companyId missing"),
        ({"companyId": "  "}, "companyId missing"),
        ({"companyId": {"a": 1}}, "companyId is not a string"),
        ({"companyId": "C01"}, "employeeId missing"),
        ({"companyId": "C01", "employeeId": True}, "employeeId missing"),
        ({"companyId": "C01", "employeeId": "a:b"}, "employeeId is not a valid id"),
        ({"companyId": "C" * 65, "employeeId": "1"}, "companyId is not a valid id"),
        ({"companyId": "C01", "processId": "20220127"}, "10 digits"),
        ({"companyId": "C01", "processId": None}, "10 digits"),
        ({"companyId": "C01", "processId": "2022023101"}, "valid date"),
        ({"companyId": "C01", "processId": "2022012700"}, "run id 00"),
        ({"companyId": "C01", "processId": "2022012701", "checkDate": "2022-01-28"}, "disagrees with checkDate"),
        ({"companyId": "C01", "processId": "2022012701", "checkDate": "soon"}, "checkDate is not a date"),
        ({"companyId": "C01", "processId": "2022012701", "runId": "2"}, "disagrees with runId"),
        ({"companyId": "C01", "processId": "2022012701", "runId": "one"}, "runId is not a number"),
        ({"companyId": "C01", "employeeId": "1", "employeeHireDate": "yesterday"}, "employeeHireDate is not a date"),
        ({"companyId": "C01", "employeeId": "1", "terminationDate": 5}, "termination date is not a date"),
    ],
)
def test_bad_shapes_have_short_reasons_without_the_payload(body, reason):
    with pytest.raises(WebhookShapeError) as caught:
        classify(body)
    message = str(caught.value)
    assert reason in message
    assert len(message) < 80
    assert isinstance(caught.value, ValueError)
    for secret_looking in ("CCCCCCCCCC", "yesterday", "soon", "a:b"):
        assert secret_looking not in message


# --- de-duplication ---------------------------------------------------------------------------------

def test_dedup_keys_are_stable_across_redeliveries():
    for body in (PAYROLL, NEW_HIRE_BODY, TERMINATION_BODY, CHANGE_BODY, TIME_OFF_BODY):
        shuffled = dict(sorted(body.items(), reverse=True))
        assert classify(body).dedup_key == classify(json.loads(json.dumps(shuffled))).dedup_key


def test_dedup_keys_keep_real_later_changes_apart():
    keys = [
        classify(PAYROLL).dedup_key,
        classify(dict(PAYROLL, processId="2022012702", runId="2")).dedup_key,       # off-cycle run, same date
        classify(dict(PAYROLL, companyId="C02")).dedup_key,                          # other company
        classify(NEW_HIRE_BODY).dedup_key,
        classify(dict(NEW_HIRE_BODY, employeeHireDate="2023-05-01")).dedup_key,      # rehire
        classify(dict(NEW_HIRE_BODY, employeeId="1235")).dedup_key,
        classify(TERMINATION_BODY).dedup_key,
        classify(dict(TERMINATION_BODY, terminationDate="2025-01-31")).dedup_key,    # terminated again after rehire
        classify(CHANGE_BODY).dedup_key,
        classify(dict(CHANGE_BODY, employeeId="1235")).dedup_key,
        classify(TIME_OFF_BODY).dedup_key,
        classify(dict(TIME_OFF_BODY, timeOffStartDate="2024-08-01")).dedup_key,     # another approval
    ]
    assert len(set(keys)) == len(keys)


def test_employee_change_shares_one_key_per_employee_for_merging():
    assert classify(CHANGE_BODY).dedup_key == classify({"companyId": "C01", "employeeId": 1234}).dedup_key


def test_payroll_key_ignores_status_and_process_date_noise():
    later = dict(PAYROLL, processDate="2022-01-25T11:00:00", status="Processed")
    assert classify(later).dedup_key == classify(PAYROLL).dedup_key


# --- processId ------------------------------------------------------------------------------------------

def test_parse_process_id():
    assert parse_process_id("2022012701") == (datetime.date(2022, 1, 27), 1)
    assert parse_process_id(" 2024022912 ") == (datetime.date(2024, 2, 29), 12)
    assert parse_process_id("2022012701", check_date="2022-01-27T00:00:00", run_id=1) == (datetime.date(2022, 1, 27), 1)
    assert parse_process_id("2022012701", check_date=datetime.date(2022, 1, 27), run_id="01")[1] == 1
    with pytest.raises(ValueError):
        parse_process_id("2023022901")   # not a leap year
    with pytest.raises(WebhookShapeError):
        parse_process_id("20220127x1")
    with pytest.raises(WebhookShapeError):
        parse_process_id(True)


# --- Basic auth ---------------------------------------------------------------------------------------

def _basic(user, password, encoding="utf-8"):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode(encoding)).decode("ascii")


def test_basic_auth_accepts_exact_credentials_only():
    assert check_basic_auth(_basic("paylocity", "pa:ss w0rd"), "paylocity", "pa:ss w0rd")
    assert check_basic_auth("basic   " + _basic("u", "p")[6:] + "  ", "u", "p")
    assert not check_basic_auth(_basic("paylocity", "wrong"), "paylocity", "pa:ss w0rd")
    assert not check_basic_auth(_basic("other", "pa:ss w0rd"), "paylocity", "pa:ss w0rd")
    assert not check_basic_auth(_basic("paylocity", "pa:ss w0rd "), "paylocity", "pa:ss w0rd")
    assert not check_basic_auth(_basic("Paylocity", "pa:ss w0rd"), "paylocity", "pa:ss w0rd")


def test_basic_auth_unicode_credentials():
    assert check_basic_auth(_basic("j\u00f6rg", "p\u00e4ss\u2603"), "j\u00f6rg", "p\u00e4ss\u2603")
    # A client that sent Latin-1 bytes does not match the UTF-8 credential.
    assert not check_basic_auth(_basic("j\u00f6rg", "p\u00e4ss", "latin-1"), "j\u00f6rg", "p\u00e4ss")


@pytest.mark.parametrize(
    "header",
    [
        None, "", "Basic", "Basic ", "Bearer abc", "Digest " + _basic("u", "p")[6:], "Basic !!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(), "Basic \u00e9\u00e9\u00e9\u00e9",
        "Basic dTp", "Basic dTpw dTpw", "Basic " + "A" * 5000, b"Basic dTpw",
    ],
)
def test_basic_auth_malformed_headers_are_refused(header):
    assert check_basic_auth(header, "u", "p") is False


def test_basic_auth_without_configured_username_is_never_true():
    assert not check_basic_auth(_basic("", ""), "", "")
    assert not check_basic_auth(_basic("u", "p"), None, "p")
    assert not check_basic_auth(_basic("u", "p"), "u", None)
    assert check_basic_auth(_basic("u", ""), "u", "")  # an empty password is the caller's choice


# --- IP allow-list ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "address, allowed",
    [
        ("198.245.157.1", True), ("198.245.157.255", True), ("192.40.49.17", True),
        ("198.245.158.1", False), ("127.0.0.1", False), ("::1", False),
        ("::ffff:198.245.157.9", True), ("[::ffff:192.40.49.1]", True),
        ("not-an-ip", False), ("", False), (None, False), ("198.245.157.1:443", False), ("999.1.1.1", False),
    ],
)
def test_default_sender_ranges(address, allowed):
    assert ip_allowed(address, DEFAULT_SENDER_CIDRS) is allowed


def test_ipv6_ranges_and_single_addresses():
    cidrs = parse_cidrs("2001:db8::/32 10.1.2.3")
    assert ip_allowed("2001:db8::42", cidrs)
    assert ip_allowed("10.1.2.3", cidrs)
    assert not ip_allowed("10.1.2.4", cidrs)
    assert not ip_allowed("2001:db9::1", cidrs)
    assert ip_allowed(ipaddress.ip_address("10.1.2.3"), [ipaddress.ip_network("10.1.2.0/24")])


def test_empty_allow_list_allows_everyone_but_a_list_of_garbage_allows_no_one():
    assert ip_allowed("203.0.113.5", ())
    assert ip_allowed("203.0.113.5", None)
    assert ip_allowed("garbage", [])
    assert not ip_allowed("203.0.113.5", ["not-a-cidr"])
    assert ip_allowed("203.0.113.5", "203.0.113.0/24, junk")


def test_parse_cidrs_normalises_and_validates():
    assert parse_cidrs(" 198.245.157.0/24,192.40.49.0/24\n10.0.0.5; 10.0.0.7/24 198.245.157.0/24 ") == (
        "198.245.157.0/24", "192.40.49.0/24", "10.0.0.5/32", "10.0.0.0/24",
    )
    assert parse_cidrs("") == () and parse_cidrs(None) == () and parse_cidrs(" , ") == ()
    assert parse_cidrs(list(DEFAULT_SENDER_CIDRS)) == DEFAULT_SENDER_CIDRS
    assert parse_cidrs("::1") == ("::1/128",)


@pytest.mark.parametrize("text", ["10.0.0.0/33", "10.0.0", "example.com", "1.2.3.4/24/1", "x" * 200])
def test_parse_cidrs_names_the_bad_entry(text):
    with pytest.raises(ConfigurationError) as caught:
        parse_cidrs("198.245.157.0/24, " + text)
    assert text[:40] in str(caught.value)
    assert len(str(caught.value)) < 150


# --- end to end: the sandbox's webhook sender (an independent reading of Paylocity's bodies) ----------------

class _Receiver:
    """A minimal webhook endpoint on 127.0.0.1 built from this module's checks (what the Odoo controller does)."""

    def __init__(self, username, password, cidrs):
        import http.server
        import threading

        receiver = self
        self.events, self.rejections = [], []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"     # so "Expect: 100-continue" is answered as Paylocity's sender expects

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not ip_allowed(self.client_address[0], cidrs):
                    return self._answer(403, "sender not allowed")
                if not check_basic_auth(self.headers.get("Authorization"), username, password):
                    return self._answer(401, "authentication required")
                try:
                    event = classify(body)
                except WebhookShapeError as exc:
                    return self._answer(400, str(exc))
                receiver.events.append(event)
                return self._answer(200, "ok")

            def _answer(self, status, text):
                if status != 200:
                    receiver.rejections.append((status, text))
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/paylocity/webhook/token" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sandbox_and_receiver():
    sandbox = pytest.importorskip("sandbox")
    server = sandbox.SandboxServer(seed=3, employees=8, companies=("C1001",)).start()
    receiver = _Receiver("paylocity", "w\u00ebbh\u00f6\u00f6k:secret", ["127.0.0.0/8", "::1/128"])
    try:
        yield server, receiver
    finally:
        receiver.close()
        server.stop()


def test_every_sandbox_webhook_is_classified_and_redeliveries_share_a_key(sandbox_and_receiver):
    server, receiver = sandbox_and_receiver
    auth = ("paylocity", "w\u00ebbh\u00f6\u00f6k:secret")
    hired = server.hire("C1001")
    leaver = next(e.employee_id for e in server.company("C1001").sorted_employees()
                  if e.employee_id != hired and e.status_type == "A")
    server.terminate("C1001", leaver)
    check_date = server.company("C1001").today + datetime.timedelta(days=3)
    regular = server.run_payroll("C1001", check_date)
    off_cycle = server.run_payroll("C1001", check_date, off_cycle=True)

    sent = [
        ("new_hire", dict(employee_id=hired)),
        ("termination", dict(employee_id=leaver)),
        ("employee_change", dict(employee_id=hired)),
        ("time_off_approval", dict(employee_id=hired)),
        ("payroll_processed", dict(process_id=[regular, off_cycle])),
    ]
    for event_type, ids in sent:
        assert server.send_webhook(receiver.url, event_type, "C1001", auth=auth, copies=2, shuffle=True, **ids) \
            == [200] * (4 if event_type == "payroll_processed" else 2)
    assert receiver.rejections == []

    by_type = defaultdict(set)
    for event in receiver.events:
        assert event.company_id == "C1001"
        by_type[event.event_type].add(event.dedup_key)
    assert {t: len(keys) for t, keys in by_type.items()} == {
        NEW_HIRE: 1, TERMINATION: 1, EMPLOYEE_CHANGE: 1, TIME_OFF_APPROVAL: 1, PAYROLL_PROCESSED: 2,
    }
    runs = {(e.check_date, e.run_id, e.process_id) for e in receiver.events if e.event_type == PAYROLL_PROCESSED}
    assert {process_id for _, _, process_id in runs} == {regular, off_cycle}
    assert {check for check, _, _ in runs} == {check_date}
    termination = next(e for e in receiver.events if e.event_type == TERMINATION)
    assert termination.employee_id == leaver and "termination_date" in termination.summary
    hire = next(e for e in receiver.events if e.event_type == NEW_HIRE)
    assert hire.employee_id == hired and hire.dedup_key.endswith(hire.summary["hire_date"])


def test_sandbox_deliveries_with_wrong_or_missing_credentials_are_refused(sandbox_and_receiver):
    server, receiver = sandbox_and_receiver
    before = len(receiver.events)
    employee = server.company("C1001").sorted_employees()[0].employee_id
    assert server.send_webhook(receiver.url, "employee_change", "C1001", employee_id=employee,
                               auth=("paylocity", "wrong")) == [401]
    assert server.send_webhook(receiver.url, "employee_change", "C1001", employee_id=employee) == [401]
    assert len(receiver.events) == before


# --- stored webhook passwords, keys and process ids ----------------------------------------------------------------

def test_webhook_authorization_compares_with_the_stored_hash_only():
    stored = hash_webhook_password("s3cret-\u00e4")
    assert len(stored) == 64 and stored == hash_webhook_password("s3cret-\u00e4") != hash_webhook_password("s3cret")
    assert check_webhook_authorization(_basic("paylocity-1", "s3cret-\u00e4"), "paylocity-1", stored)
    assert not check_webhook_authorization(_basic("paylocity-1", "s3cret"), "paylocity-1", stored)
    assert not check_webhook_authorization(_basic("paylocity-2", "s3cret-\u00e4"), "paylocity-1", stored)
    # Knowing what is stored is not knowing the password.
    assert not check_webhook_authorization(_basic("paylocity-1", stored), "paylocity-1", stored)
    assert not check_webhook_authorization(_basic("paylocity-1", "s3cret-\u00e4"), "paylocity-1", "s3cret-\u00e4")
    # A neutralized database stores a hash no password has; no hash or no user name never matches.
    for hashed in ("neutralized", "", None, False):
        assert not check_webhook_authorization(_basic("paylocity-1", ""), "paylocity-1", hashed)
    assert not check_webhook_authorization(_basic("", "s3cret-\u00e4"), "", stored)
    assert not check_webhook_authorization(_basic("paylocity-1", "s3cret-\u00e4", "latin-1"), "paylocity-1", stored)
    assert not check_webhook_authorization("Bearer " + stored, "paylocity-1", stored)


def test_basic_auth_credentials_are_split_at_the_first_colon():
    assert basic_auth_credentials(_basic("u", "p:q")) == (b"u", b"p:q")
    assert basic_auth_credentials("BASIC " + _basic("", "")[6:]) == (b"", b"")
    for header in (None, b"Basic dTpw", "Basic", "Bearer dTpw", "Basic dTpw!", "Basic " + "A" * 5000,
                   "Basic " + base64.b64encode(b"no-colon").decode()):
        assert basic_auth_credentials(header) is None


def test_dedup_key_is_the_one_the_webhook_carries():
    payroll = classify({"companyId": "C01", "processId": "2026011602"})
    assert dedup_key(PAYROLL_PROCESSED, "C01", process_id(datetime.date(2026, 1, 16), 2)) == payroll.dedup_key
    change = classify({"companyId": "C01", "employeeId": "E7"})
    assert dedup_key(EMPLOYEE_CHANGE, "C01", "E7") == change.dedup_key == "employee_change:C01:E7"
    hire = classify({"companyId": "C01", "employeeId": "E7", "employeeHireDate": "2026-02-01T00:00:00"})
    assert dedup_key(NEW_HIRE, "C01", "E7", "2026-02-01") == hire.dedup_key
    with pytest.raises(ValueError, match="unknown Paylocity event type"):
        dedup_key("payroll", "C01", "2026011602")
    with pytest.raises(ValueError, match="every part"):
        dedup_key(EMPLOYEE_CHANGE, "C01", "")
    with pytest.raises(ValueError, match="every part"):
        dedup_key(PAYROLL_PROCESSED, None, "2026011602")


def test_process_id_format_and_parse_are_one_pair():
    days = (datetime.date(2026, 1, 16), datetime.date(2024, 2, 29), datetime.date(2026, 12, 31))
    for day, run in zip(days, (1, 12, 99)):
        assert parse_process_id(process_id(day, run)) == (day, run)
        assert classify({"companyId": "C01", "processId": process_id(day, run)}).process_id == process_id(day, run)
    with pytest.raises(ValueError):
        process_id(datetime.date(2026, 1, 16), 0)
