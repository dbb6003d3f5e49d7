"""Payroll posting helpers that need no Odoo: who to fetch, how one employee's statements of a run are read and
joined, what a poll discovers, stored rows back into the journal builder's inputs, retry delays, the entry's
reference.

A pay run is (check date, run id); Paylocity has no run endpoint, so a run is read employee by employee
(API-REFERENCE §4.2): the summaries for the check date name each statement's ``process`` (the run id) and
``transactionNumber``; the detail lines join on that transaction number.
"""
import dataclasses
import datetime
from typing import Any, List, NamedTuple, Optional, Tuple

from .errors import PaylocityError
from .fanout import FATAL_ERRORS
from .models import parse_date, status_type_of

STATUS_ACTIVE, STATUS_LEAVE, STATUS_TERMINATED = "A", "L", "T"


# --- who could have been paid ---------------------------------------------------------------------

class Candidate(NamedTuple):
    """What the fetch needs to know of a bound employee (a binding, without Odoo)."""

    employee_id: str
    status_type: Optional[str] = None
    termination_date: Optional[datetime.date] = None


def employees_to_fetch(candidates, check_date, lookback_days):
    """Paylocity ids of the employees who could have been paid on ``check_date``, sorted, each once.

    Active, on leave, or of unknown status: yes. Terminated: when the termination date is unknown, or on or
    after ``check_date - lookback_days`` (a final check is paid after the last day worked). Anyone else
    would answer 404, so asking would only spend calls.
    """
    check_date = parse_date(check_date)
    if check_date is None:
        raise ValueError("a check date is required")
    if lookback_days < 0:
        raise ValueError("the look-back cannot be negative")
    cutoff = check_date - datetime.timedelta(days=lookback_days)
    chosen = set()
    for candidate in candidates:
        employee_id = str(candidate.employee_id or "").strip()
        if not employee_id:
            continue
        if (candidate.status_type or "").upper() == STATUS_TERMINATED:
            ended = parse_date(candidate.termination_date)
            if ended is not None and ended < cutoff:
                continue
        chosen.add(employee_id)
    return sorted(chosen, key=lambda e: (len(e), e))


def unbound_candidates(listed, bound_ids):
    """Employees of Paylocity's list (``EmployeeInfo``) that no binding covers yet and that may be paid: active,
    on leave, or of unknown status. Terminated ones are left out: the list gives no termination date, and asking
    every past leaver would cost a call each. They are asked once the employee sync binds them."""
    bound = {str(employee_id) for employee_id in bound_ids}
    found = {}
    for info in listed:
        employee_id = str(info.employee_id or "").strip()
        if not employee_id or employee_id in bound:
            continue
        status = (info.status_type_code or status_type_of(info.status_code) or "").upper() or None
        if status == STATUS_TERMINATED:
            continue
        found[employee_id] = Candidate(employee_id, status)
    return [found[key] for key in sorted(found, key=lambda e: (len(e), e))]


# --- one employee's statements of one run ---------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RunStatements:
    """One employee's statements of run ``run_id`` on a check date; ``runs_on_date`` are every run id the
    employee's summaries of that date name (this one included when paid)."""

    employee_id: str
    summaries: List[Any]
    details: List[Any]
    runs_on_date: Tuple[int, ...] = ()

    @property
    def paid(self):
        return bool(self.summaries)


def select_run(summaries, details, run_id, check_date):
    """(this run's summaries, their detail lines): summaries whose ``process`` is ``run_id`` on ``check_date``;
    details whose transaction number one of them names (and whose check date, when given, matches)."""
    check_date = parse_date(check_date)
    run_id = int(run_id)
    run_summaries = [s for s in summaries
                     if s.process == run_id and (s.check_date is None or s.check_date == check_date)]
    transactions = {s.transaction_number for s in run_summaries if s.transaction_number is not None}
    run_details = [d for d in details
                   if d.transaction_number in transactions and (d.check_date is None or d.check_date == check_date)]
    return run_summaries, run_details


def fetch_run_statements(client, employee_id, check_date, run_id):
    """Read one employee's statements of (``check_date``, ``run_id``): the summaries of the check date, then
    (only when this run paid the employee) the details. A 404 from Paylocity is "not paid" (the client
    answers ``[]``). Thread-safe: touches nothing but ``client``."""
    check_date = parse_date(check_date)
    summaries = client.get_pay_statement_summaries(employee_id, check_date.year, check_date)
    runs = tuple(sorted({s.process for s in summaries
                         if s.process is not None and (s.check_date is None or s.check_date == check_date)}))
    if int(run_id) not in runs:
        return RunStatements(str(employee_id), [], [], runs)
    details = client.get_pay_statement_details(employee_id, check_date.year, check_date)
    run_summaries, run_details = select_run(summaries, details, run_id, check_date)
    return RunStatements(str(employee_id), run_summaries, run_details, runs)


@dataclasses.dataclass
class FetchOutcome:
    """Fan-out results sorted out: paid (``RunStatements``), not paid (ids), failed ((id, error)), and the
    first error that will be the same for every employee (bad credentials, no permission), if any."""

    paid: List[RunStatements] = dataclasses.field(default_factory=list)
    not_paid: List[str] = dataclasses.field(default_factory=list)
    failed: List[Tuple[str, Exception]] = dataclasses.field(default_factory=list)
    fatal: Optional[Exception] = None

    @property
    def retry_after(self):
        """The longest wait (seconds) Paylocity asked for in the failed calls (``Retry-After`` of a 429 or 503),
        or None: the fetch is not retried before it."""
        waits = [getattr(exc, "retry_after", None) for _employee, exc in self.failed]
        waits = [wait for wait in waits if isinstance(wait, (int, float))]
        return max(waits) if waits else None


def sort_fetch_results(results):
    """Sort ``client.fan_out`` results of ``fetch_run_statements`` into a ``FetchOutcome``."""
    outcome = FetchOutcome()
    for employee_id, result in results:
        if isinstance(result, BaseException):
            outcome.failed.append((str(employee_id), result))
            if outcome.fatal is None and isinstance(result, FATAL_ERRORS):
                outcome.fatal = result
        elif result.paid:
            outcome.paid.append(result)
        else:
            outcome.not_paid.append(str(employee_id))
    return outcome


def error_text(exc, limit=300):
    """A one-line description of an error for records and logs: class and message, never a traceback.
    The client's messages name path templates, not ids, so they carry no personal data."""
    message = exc.message if isinstance(exc, PaylocityError) else str(exc)
    message = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    text = "%s: %s" % (type(exc).__name__, message) if message else type(exc).__name__
    return text[:limit]


# --- discovering runs -----------------------------------------------------------------------------

def poll_years(since, until):
    """Calendar years whose summaries a poll from ``since`` to ``until`` must read."""
    since, until = parse_date(since), parse_date(until)
    if since > until:
        return []
    return list(range(since.year, until.year + 1))


def discover_runs(summaries, since, until=None):
    """Set of (check date, run id) named by ``summaries`` with a check date in [since, until]."""
    since = parse_date(since)
    until = parse_date(until) if until is not None else None
    found = set()
    for summary in summaries:
        day = summary.check_date
        if day is None or summary.process is None or int(summary.process) < 1:
            continue
        if day < since or (until is not None and day > until):
            continue
        found.add((day, int(summary.process)))
    return found


def process_id(check_date, run_id):
    """Paylocity's ``processId``: check date ``YYYYMMDD`` + two-digit run id."""
    check_date = parse_date(check_date)
    run_id = int(run_id)
    if not 1 <= run_id <= 99:
        raise ValueError("a run id is 1 to 99")
    return "%s%02d" % (check_date.strftime("%Y%m%d"), run_id)


# --- stored rows back into builder inputs ---------------------------------------------------------

class StoredSummary(NamedTuple):
    """A stored pay-statement summary, shaped as the journal builder reads one."""

    check_date: Optional[datetime.date]
    process: Optional[int]
    transaction_number: Optional[int]
    gross_pay: Any
    net_pay: Any
    end_date: Optional[datetime.date] = None
    begin_date: Optional[datetime.date] = None
    net_check: Any = None                  # net pay paid by paper check
    direct_deposit_amount: Any = None      # net pay paid by direct deposit
    check_number: Optional[int] = None


class StoredDetail(NamedTuple):
    """A stored pay-statement detail line, shaped as the journal builder reads one."""

    check_date: Optional[datetime.date]
    transaction_number: Optional[int]
    det: Optional[str]
    det_code: Optional[str]
    amount: Any
    transaction_type: Optional[str] = None   # e.g. Regular, Special, Manual, Void
    det_type: Optional[str] = None      # EE employee side, ER employer side: the builder checks the employer side


# --- retries and naming ---------------------------------------------------------------------------

def retry_delay(attempt, base_seconds=300, max_seconds=6 * 3600):
    """Seconds before retry number ``attempt`` (1 = the first retry): doubling from ``base_seconds``."""
    attempt = max(int(attempt), 1)
    return min(base_seconds * 2 ** (attempt - 1), max_seconds)


def entry_reference(paylocity_company_id, company_name, check_date, run_id):
    """The journal entry's ``ref``: who paid, which check date, which run (and the processId to search by)."""
    check_date = parse_date(check_date)
    who = "%s %s" % (paylocity_company_id, company_name) if company_name else str(paylocity_company_id)
    return "Paylocity payroll %s, check date %s, run %d (%s)" % (
        who, check_date.isoformat(), int(run_id), process_id(check_date, run_id))
