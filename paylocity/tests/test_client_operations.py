"""The contract's operations against the sandbox, checked against the sandbox's own generated data:
paging on both families, employees, codes, reference data, pay statements, PATCH (plain and secureContent),
secret renewal and the connection checks."""
import datetime
from decimal import Decimal

import pytest

from paylocity.auth import Credentials
from paylocity.client import CODE_RESOURCES
from paylocity.errors import ConfigurationError, ValidationError
from paylocity.models import Employee
from paylocity.tests.conftest import COMPANY, calls_to, weblink_credentials

LIST_PATH = "/api/v2/companies/%s/employees" % COMPANY
NG_EMPLOYEES_PATH = "/coreHr/v1/companies/%s/employees" % COMPANY


def sandbox_ids(srv):
    return [e.employee_id for e in srv.company(COMPANY).sorted_employees()]


def paid_statement(srv):
    """An employee's statement in the last regular run (and that run)."""
    company = srv.company(COMPANY)
    run = [r for r in company.pay_runs if not r.off_cycle][-1]
    return run, run.statements[0]


# -- WebLink employees and paging -------------------------------------------------------------------

def test_list_employees_pages_until_the_total(srv, make_client):
    client = make_client(srv, page_size=7)
    employees = client.list_employees()
    assert [e.employee_id for e in employees] == sandbox_ids(srv)
    company = srv.company(COMPANY)
    assert [(e.status_code, e.status_type_code) for e in employees] == [
        (e.status, e.status_type) for e in company.sorted_employees()]
    pages = calls_to(srv, LIST_PATH, exact=True)
    assert [c.query["pagenumber"] for c in pages] == ["0", "1", "2", "3", "4"]   # 30 = 4 × 7 + 2
    assert {c.query["pagesize"] for c in pages} == {"7"}


def test_list_employees_exact_multiple_stops_on_the_total(srv, make_client):
    client = make_client(srv, page_size=10)
    assert len(client.list_employees()) == 30
    assert len(calls_to(srv, LIST_PATH, exact=True)) == 3


def test_get_employee_matches_the_record(srv, make_client):
    client = make_client(srv)
    source = srv.company(COMPANY).employee("1005")
    employee = client.get_employee("1005")
    assert isinstance(employee, Employee)
    assert (employee.first_name, employee.last_name) == (source.first_name, source.last_name)
    assert employee.status.employee_status == source.status
    assert employee.department_position.cost_center2 == source.cost_center2
    assert employee.work_address.email_address == source.work_email
    record = employee.to_record(COMPANY)
    assert record.company_id == COMPANY and record.hire_date == source.hire_date


# -- NextGen employees ------------------------------------------------------------------------------

def test_nextgen_employees_follow_next_token(srv, make_client):
    client = make_client(srv)
    employees = list(client.iter_nextgen_employees())
    assert [e.id for e in employees] == sandbox_ids(srv)
    pages = calls_to(srv, NG_EMPLOYEES_PATH, exact=True)
    assert len(pages) == 2                                    # 20 + 10
    tokens = [{k.lower(): v for k, v in page.query.items()}.get("nexttoken") for page in pages]
    assert tokens[0] is None and tokens[1]
    assert pages[0].query["include"] == "info,position,status,payRate"
    first = srv.company(COMPANY).employee(employees[0].id)
    assert employees[0].info.first_name == first.first_name
    assert employees[0].to_record().cost_centers[1] == first.cost_center2


def test_nextgen_small_pages_and_active_only(srv, make_client):
    client = make_client(srv, nextgen_rate=100)
    active = list(client.iter_nextgen_employees(include=("status",), active_only=True, page_size=7))
    expected = [e.employee_id for e in srv.company(COMPANY).sorted_employees() if e.status_type == "A"]
    assert [e.id for e in active] == expected
    assert len(calls_to(srv, NG_EMPLOYEES_PATH, exact=True)) == -(-len(expected) // 7)


def test_nextgen_page_size_is_capped_at_20(srv, make_client):
    client = make_client(srv)
    list(client.iter_nextgen_employees(page_size=500))
    assert {c.query["limit"] for c in calls_to(srv, NG_EMPLOYEES_PATH, exact=True)} == {"20"}
    with pytest.raises(ValueError):
        list(client.iter_nextgen_employees(include=("salary",)))


# -- codes and reference data -----------------------------------------------------------------------

@pytest.mark.parametrize("resource", CODE_RESOURCES)
def test_company_codes(srv, make_client, resource):
    client = make_client(srv)
    codes = client.get_company_codes(resource)
    assert [(c.code, c.description) for c in codes] == srv.company(COMPANY).codes(resource)


def test_cost_centers_and_levels(srv, make_client):
    client = make_client(srv)
    levels = client.get_cost_centers_and_levels()
    company = srv.company(COMPANY)
    assert [lv.level for lv in levels] == sorted(company.cost_centers)
    for level in levels:
        assert [(c.code, c.name) for c in level.cost_centers] == [
            (c.code, c.name) for c in company.cost_centers[level.level]]


def test_reference_lists_page_with_limit_and_offset(srv, make_client):
    client = make_client(srv, nextgen_page_size=4, nextgen_rate=100)
    company = srv.company(COMPANY)
    positions = client.get_positions()
    assert [(p.code, p.title) for p in positions] == [(p.code, p.title) for p in company.positions]
    offsets = [c.query["offset"] for c in calls_to(srv, "/positionmanagement/v1/companies/C1001/positions")]
    assert offsets == [str(n) for n in range(0, len(company.positions), 4)]
    assert [(g.code, g.description) for g in client.get_pay_grades()] == [
        (g.code, g.description) for g in company.pay_grades]
    assert [(w.code, w.name) for w in client.get_work_locations()] == [
        (w.code, w.name) for w in company.work_locations]


# -- pay statements ---------------------------------------------------------------------------------

def test_pay_statement_details_for_a_check_date(srv, make_client):
    client = make_client(srv, page_size=5)       # several pages of detail lines
    run, statement = paid_statement(srv)
    details = client.get_pay_statement_details(statement.employee_id, run.check_date.year, run.check_date)
    expected = [st for st in srv.company(COMPANY).statements(statement.employee_id, check_date=run.check_date)]
    lines = [(line.det, line.det_code, line.amount) for st in expected for line in st.lines]
    assert [(d.det, d.det_code, d.amount) for d in details] == lines
    assert all(isinstance(d.amount, Decimal) for d in details)
    assert {d.transaction_number for d in details} == {st.transaction_number for st in expected}
    assert len(calls_to(srv, "/paystatement/details/")) == -(-len(lines) // 5)


def test_pay_statement_summaries_for_a_year(srv, make_client):
    client = make_client(srv)
    run, statement = paid_statement(srv)
    summaries = client.get_pay_statement_summaries(statement.employee_id, run.check_date.year)
    expected = srv.company(COMPANY).statements(statement.employee_id, year=run.check_date.year)
    assert [(s.check_date, s.transaction_number, s.gross_pay, s.net_pay) for s in summaries] == [
        (st.check_date, st.transaction_number, st.gross, st.net) for st in expected]
    assert calls_to(srv, "/paystatement/summary/%d" % run.check_date.year)[0].path.endswith(
        "/summary/%d" % run.check_date.year)


def test_check_date_spellings_reach_the_same_path(srv, make_client):
    client = make_client(srv)
    run, statement = paid_statement(srv)
    day = run.check_date
    as_date = client.get_pay_statement_summaries(statement.employee_id, day.year, day)
    as_text = client.get_pay_statement_summaries(statement.employee_id, day.year, day.isoformat())
    assert as_date == as_text and as_date
    paths = {c.path for c in calls_to(srv, "/paystatement/summary/")}
    assert paths == {"/api/v2/companies/C1001/employees/%s/paystatement/summary/%d/%s"
                     % (statement.employee_id, day.year, day.isoformat())}
    with pytest.raises(ValueError):
        client.get_pay_statement_summaries(statement.employee_id, day.year, "next friday")


def test_no_pay_in_that_year_is_an_empty_list(srv, make_client):
    client = make_client(srv)
    assert client.get_pay_statement_details("1001", 2001) == []
    assert client.get_pay_statement_summaries("1001", 2001, datetime.date(2001, 1, 5)) == []
    assert [c.status for c in calls_to(srv, "/paystatement/")] == [404, 404]


# -- writes -------------------------------------------------------------------------------------------

def test_plain_patch_reaches_the_sandbox_as_sent(srv, make_client):
    client = make_client(srv)
    payload = {"workAddress": {"emailAddress": "plain.1004@c1001.example.com", "phone": "(608) 555-0199"}}
    client.patch_employee("1004", payload)
    record = srv.patches[-1]
    assert tuple(record) == ("1004", payload, False)
    assert client.get_employee("1004").work_address.phone == "(608) 555-0199"


@pytest.mark.parametrize("key_format", ["pem", "xml"])
def test_secure_content_patch_is_decrypted_to_the_original(srv, make_client, key_format):
    key = srv.public_key_pem if key_format == "pem" else srv.public_key_xml
    client = make_client(srv, public_key=key, encrypt_writes=True)
    payload = {"preferredName": "Zoë", "departmentPosition": {"jobTitle": "Payroll Lead – West"}}
    client.patch_employee("1006", payload)
    assert tuple(srv.patches[-1]) == ("1006", payload, True)
    assert client.get_employee("1006").department_position.job_title == "Payroll Lead – West"


def test_patch_body_decimals_and_dates_become_json(srv, make_client):
    client = make_client(srv, public_key=srv.public_key_pem, encrypt_writes=True)
    client.patch_employee("1007", {"status": {"effectiveDate": datetime.date(2026, 1, 2)},
                                   "ownerPercent": Decimal("12.5")})
    assert srv.patches[-1].body == {"status": {"effectiveDate": "2026-01-02"}, "ownerPercent": 12.5}


def test_encrypted_writes_need_a_key(srv, make_client):
    with pytest.raises(ConfigurationError):
        make_client(srv, encrypt_writes=True)
    with pytest.raises(ConfigurationError):
        make_client(srv, public_key="not a key")


def test_renew_client_secret_and_both_secrets_work(fresh_sandbox, make_client):
    srv = fresh_sandbox()
    old = weblink_credentials(srv)
    client = make_client(srv)
    renewed = client.renew_client_secret(srv.credentials(COMPANY).weblink_secret_code)
    assert renewed.client_secret and renewed.client_secret != old.client_secret
    assert renewed.client_secret_expiration_date > datetime.date.today()
    assert calls_to(srv, "/api/v2/credentials/secrets", method="POST")[0].status == 200
    new_client = make_client(srv, weblink=Credentials(old.client_id, renewed.client_secret))
    assert new_client.check_weblink()["employee_count"] == 30
    assert make_client(srv, weblink=old).check_weblink()["employee_count"] == 30


def test_renew_with_a_wrong_code_is_a_validation_error(srv, make_client):
    client = make_client(srv)
    with pytest.raises(ValidationError) as info:
        client.renew_client_secret("not-the-code")
    assert info.value.errors[0]["field"] == "code"
    assert "not-the-code" not in str(info.value)


# -- connection checks --------------------------------------------------------------------------------

def test_connection_checks(srv, make_client):
    client = make_client(srv)
    assert client.check_weblink() == {"family": "weblink", "employee_count": 30}
    assert client.check_nextgen() == {"family": "nextgen", "employees_seen": 1}
    assert calls_to(srv, LIST_PATH, exact=True)[0].query["pagesize"] == "1"
    assert calls_to(srv, NG_EMPLOYEES_PATH, exact=True)[0].query["limit"] == "1"


def test_missing_pair_is_a_configuration_error(srv, make_client):
    client = make_client(srv, nextgen=None)
    with pytest.raises(ConfigurationError) as info:
        client.check_nextgen()
    assert "NextGen" in str(info.value)
    assert srv.count() == 0


def test_environment_names_resolve_to_paylocity_hosts():
    from paylocity.client import PaylocityClient
    client = PaylocityClient(COMPANY, "test", weblink=Credentials("id", "secret"))
    assert client.hosts.weblink_base == "https://dc1demogw.paylocity.com/api"
    with pytest.raises(ConfigurationError):
        PaylocityClient(COMPANY, "staging")
    with pytest.raises(ConfigurationError):
        PaylocityClient(" ", "test")
