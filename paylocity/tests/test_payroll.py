"""Payroll helpers: who is fetched, one employee's run read over real HTTP, discovery, stored rows → builder."""
import datetime
from decimal import Decimal as D

import pytest

from paylocity.errors import AuthenticationError, RateLimited, ServerError
from paylocity.journal import EmployeePay, GlRule, build_journal
from paylocity.models import EmployeeInfo
from paylocity.payroll import (
    Candidate,
    StoredDetail,
    StoredSummary,
    discover_runs,
    employees_to_fetch,
    entry_reference,
    error_text,
    fetch_run_statements,
    poll_years,
    process_id,
    retry_delay,
    select_run,
    sort_fetch_results,
    unbound_candidates,
)
from paylocity.tests.conftest import COMPANY, calls_to
from paylocity.transport import RetryPolicy

DAY = datetime.date


# --- who is fetched -------------------------------------------------------------------------------

def test_employees_to_fetch_keeps_who_could_have_been_paid():
    check = DAY(2026, 3, 13)
    candidates = [
        Candidate("10", "A"),
        Candidate("2", "L"),
        Candidate("3", None),                               # status unknown: ask
        Candidate("4", "T", DAY(2026, 3, 1)),               # final check inside the look-back
        Candidate("5", "T", DAY(2026, 1, 1)),               # long gone
        Candidate("6", "T", None),                          # termination date unknown: ask
        Candidate("7", "t", DAY(2026, 1, 28)),              # exactly on the cut-off (lower case status)
        Candidate("10", "A"),                               # twice: once
        Candidate("  ", "A"),                               # no id: skipped
    ]
    assert employees_to_fetch(candidates, check, 44) == ["2", "3", "4", "6", "7", "10"]
    assert employees_to_fetch(candidates, "2026-03-13", 0) == ["2", "3", "6", "10"]


def test_unbound_candidates_are_listed_employees_who_may_be_paid():
    listed = [EmployeeInfo(employee_id="5", status_code="A"), EmployeeInfo(employee_id="12", status_type_code="L"),
              EmployeeInfo(employee_id="7", status_code="T"), EmployeeInfo(employee_id="8", status_code="XT"),
              EmployeeInfo(employee_id="9"), EmployeeInfo(employee_id="3", status_code="A")]
    got = unbound_candidates(listed, ["3", 4])
    assert [(c.employee_id, c.status_type) for c in got] == [("5", "A"), ("9", None), ("12", "L")]
    assert employees_to_fetch(got, DAY(2026, 3, 13), 10) == ["5", "9", "12"]


def test_employees_to_fetch_refuses_nonsense():
    with pytest.raises(ValueError):
        employees_to_fetch([], None, 10)
    with pytest.raises(ValueError):
        employees_to_fetch([], DAY(2026, 1, 1), -1)


# --- one employee's run, over HTTP ------------------------------------------------------------------

def _latest_runs(srv):
    company = srv.company(COMPANY)
    latest = company.pay_runs[-1].check_date
    regular, off_cycle = company.runs_on(latest)
    return company, regular, off_cycle


def test_fetch_run_statements_reads_exactly_the_run(srv, make_client):
    company, regular, off_cycle = _latest_runs(srv)
    client = make_client(srv)
    bonus = off_cycle.statements[0]
    statement = next(s for s in regular.statements if s.employee_id == bonus.employee_id)

    got = fetch_run_statements(client, statement.employee_id, regular.check_date, regular.run_id)
    assert got.paid and got.runs_on_date == (1, 2)
    assert [s.transaction_number for s in got.summaries] == [statement.transaction_number]
    assert sorted((d.det_code, d.amount) for d in got.details) == sorted(
        (line.det_code, line.amount) for line in statement.lines)

    got_bonus = fetch_run_statements(client, bonus.employee_id, off_cycle.check_date, off_cycle.run_id)
    assert [(d.det_code, d.amount) for d in got_bonus.details if d.det == "E"] == [("BONUS", bonus.gross)]
    assert {d.transaction_number for d in got_bonus.details} == {bonus.transaction_number}


def test_fetch_run_statements_not_paid_costs_one_call(srv, make_client):
    company, regular, off_cycle = _latest_runs(srv)
    client = make_client(srv)
    client.check_weblink()  # token first, so only the statement calls are counted below
    srv.reset_calls()
    unpaid_in_bonus_run = next(s.employee_id for s in regular.statements
                               if s.employee_id not in {b.employee_id for b in off_cycle.statements})
    got = fetch_run_statements(client, unpaid_in_bonus_run, off_cycle.check_date, off_cycle.run_id)
    assert not got.paid and got.details == [] and got.runs_on_date == (1,)
    assert len(calls_to(srv, "/paystatement/summary/")) == 1
    assert calls_to(srv, "/paystatement/details/") == []

    # A check date without any statement: Paylocity answers 404, which means "not paid".
    srv.reset_calls()
    got = fetch_run_statements(client, unpaid_in_bonus_run, regular.check_date + datetime.timedelta(days=1), 1)
    assert not got.paid and got.runs_on_date == ()
    assert srv.count(status=404) == 1


def test_sort_fetch_results_separates_paid_unpaid_failed_and_fatal(srv, make_client):
    company, regular, off_cycle = _latest_runs(srv)
    client = make_client(srv, max_workers=2)
    paid = [s.employee_id for s in off_cycle.statements][:2]
    unpaid = [s.employee_id for s in regular.statements if s.employee_id not in
              {b.employee_id for b in off_cycle.statements}][:2]
    client.check_weblink()
    # More 500s than the retry policy's attempts, on one employee's summary only.
    broken = unpaid[1]
    srv.inject("status", status=500, count=10, path="/employees/%s/paystatement/summary" % broken)
    results = client.fan_out(
        lambda eid: fetch_run_statements(client, eid, off_cycle.check_date, off_cycle.run_id), paid + unpaid)
    outcome = sort_fetch_results(results)
    assert [r.employee_id for r in outcome.paid] == paid
    assert outcome.not_paid == [unpaid[0]]
    assert [eid for eid, _exc in outcome.failed] == [broken]
    assert isinstance(outcome.failed[0][1], ServerError) and outcome.fatal is None

    outcome = sort_fetch_results([("1", AuthenticationError("refused", status=401)), ("2", ValueError("x"))])
    assert isinstance(outcome.fatal, AuthenticationError) and len(outcome.failed) == 2



def test_a_fetch_is_not_retried_before_the_longest_retry_after_of_its_failures(srv, make_client):
    _company, regular, _off_cycle = _latest_runs(srv)
    client = make_client(srv, max_workers=2, retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02,
                                                                 max_total=10, max_retry_after=0.1))
    told, unavailable, plain = [s.employee_id for s in regular.statements][:3]
    client.check_weblink()
    srv.inject("status", status=429, retry_after=900, path="/employees/%s/paystatement/" % told)
    srv.inject("status", status=503, retry_after=1800, path="/employees/%s/paystatement/" % unavailable)
    srv.inject("status", status=500, count=2, path="/employees/%s/paystatement/" % plain)
    outcome = sort_fetch_results(client.fan_out(
        lambda eid: fetch_run_statements(client, eid, regular.check_date, regular.run_id), [told, unavailable, plain]))
    waits = {eid: exc.retry_after for eid, exc in outcome.failed}
    assert waits == {told: 900, unavailable: 1800, plain: None}
    assert outcome.retry_after == 1800
    # Without a Retry-After among the failures, the fetch keeps its own backoff.
    assert sort_fetch_results([("1", ServerError("down", status=500)), ("2", ValueError("x"))]).retry_after is None
    assert sort_fetch_results([("1", RateLimited("slow", retry_after=0))]).retry_after == 0


def test_select_run_joins_on_transaction_number_and_date():
    summaries = [StoredSummary(DAY(2026, 1, 2), 1, 11, D("10"), D("8")),
                 StoredSummary(DAY(2026, 1, 2), 2, 12, D("5"), D("4")),
                 StoredSummary(DAY(2026, 1, 16), 1, 13, D("10"), D("8"))]
    details = [StoredDetail(DAY(2026, 1, 2), 11, "E", "REG", D("10")),
               StoredDetail(DAY(2026, 1, 2), 12, "E", "BONUS", D("5")),
               StoredDetail(None, 11, "T", "FITW", D("2")),
               StoredDetail(DAY(2026, 1, 16), 11, "E", "REG", D("99"))]   # same number, other date
    run_summaries, run_details = select_run(summaries, details, 1, "2026-01-02")
    assert [s.transaction_number for s in run_summaries] == [11]
    assert [(d.det_code, d.amount) for d in run_details] == [("REG", D("10")), ("FITW", D("2"))]


# --- discovery, naming, retries ---------------------------------------------------------------------

def test_discover_runs_and_poll_years():
    rows = [StoredSummary(DAY(2025, 12, 26), 1, 1, 0, 0), StoredSummary(DAY(2026, 1, 9), 1, 2, 0, 0),
            StoredSummary(DAY(2026, 1, 9), 2, 3, 0, 0), StoredSummary(DAY(2026, 1, 9), 2, 4, 0, 0),
            StoredSummary(None, 1, 5, 0, 0), StoredSummary(DAY(2026, 1, 9), None, 6, 0, 0),
            StoredSummary(DAY(2026, 2, 6), 1, 7, 0, 0)]
    assert discover_runs(rows, DAY(2026, 1, 1)) == {(DAY(2026, 1, 9), 1), (DAY(2026, 1, 9), 2),
                                                     (DAY(2026, 2, 6), 1)}
    assert discover_runs(rows, "2025-12-01", "2026-01-31") == {(DAY(2025, 12, 26), 1), (DAY(2026, 1, 9), 1),
                                                                (DAY(2026, 1, 9), 2)}
    assert poll_years(DAY(2025, 12, 20), DAY(2026, 1, 3)) == [2025, 2026]
    assert poll_years(DAY(2026, 2, 1), DAY(2026, 1, 3)) == []


def test_process_id_reference_and_retry_delay():
    assert process_id(DAY(2026, 1, 9), 2) == "2026010902"
    with pytest.raises(ValueError):
        process_id(DAY(2026, 1, 9), 100)
    ref = entry_reference("C1001", "Northwind Robotics Inc", "2026-01-09", 2)
    assert ref == "Paylocity payroll C1001 Northwind Robotics Inc, check date 2026-01-09, run 2 (2026010902)"
    assert [retry_delay(n, 60, 400) for n in (0, 1, 2, 3, 4)] == [60, 60, 120, 240, 400]


def test_error_text_is_one_short_line():
    assert error_text(ServerError("GET /v2/companies/C1/employees/{employeeId}: 500\ntrace", status=500)) == \
        "ServerError: GET /v2/companies/C1/employees/{employeeId}: 500"
    assert error_text(ValueError()) == "ValueError"
    assert len(error_text(RuntimeError("x" * 1000))) == 300


# --- stored rows build the same journal as the API's models -------------------------------------------

def test_stored_rows_build_the_same_journal_as_fetched_ones(srv, make_client):
    company, regular, _off = _latest_runs(srv)
    client = make_client(srv)
    employees = [s.employee_id for s in regular.statements][:6]
    fetched = [fetch_run_statements(client, eid, regular.check_date, regular.run_id) for eid in employees]
    rules = [GlRule(code, debit_account="expense") for code in ("REG", "OT", "BONUS")]
    rules += [GlRule(code, credit_account="withheld") for code in ("401K", "MED", "DEN", "FITW", "SITW", "FICA",
                                                                   "MEDI")]
    rules += [GlRule(code, debit_account="tax-expense", credit_account="tax-due")
              for code in ("FICA-ER", "MEDI-ER", "FUTA", "SUTA")]

    def stored(run):
        return EmployeePay(run.employee_id, None,
                           [StoredSummary(s.check_date, s.process, s.transaction_number, s.gross_pay, s.net_pay)
                            for s in run.summaries],
                           [StoredDetail(d.check_date, d.transaction_number, d.det, d.det_code, d.amount)
                            for d in run.details])

    direct = build_journal([EmployeePay(r.employee_id, None, r.summaries, r.details) for r in fetched], rules,
                           run_id=regular.run_id, check_date=regular.check_date, net_pay_account="net")
    again = build_journal([stored(r) for r in fetched], rules, run_id=regular.run_id,
                          check_date=regular.check_date, net_pay_account="net")
    assert direct.can_post and again.lines == direct.lines and again.totals == direct.totals
    expected_net = sum((s.net for s in regular.statements if s.employee_id in employees), D(0))
    assert again.totals.net == expected_net
