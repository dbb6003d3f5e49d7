"""Verification of a posted run: what Paylocity changed since posting, and the correcting lines. Pure, no I/O.

Paylocity sends no event when a processed payroll changes (a check voided, a manual check added, a line
corrected), so a posted run is re-read and compared with what was posted. Three steps, each a function:

1. ``details_to_reread(posted, summaries_now, ...)``: the daily discovery already reads each employee's summaries;
   only employees with a summary of this run that is new or whose amounts changed need their details read again
   (one call each). A removed statement needs no call: its lines are the stored ones. ``details_calls`` does it
   for every run being watched at once: one call per (employee, check date).
2. ``current_pays(posted, summaries_now, details_now, ...)``: the run as Paylocity has it now, as the journal
   builder's ``EmployeePay`` inputs: new summaries, re-read details where read, stored details otherwise.
   Employees absent from ``summaries_now`` were not checked and stay as posted. Each employee keeps the cost center
   it was posted with, so an HR change of cost center never moves already-posted amounts.
3. ``compare_run(posted, current, ...)`` lists the differences statement by statement (keyed on the transaction
   number): ``added`` (e.g. a manual check), ``void_added`` (a negative statement: a void), ``removed``, ``changed``
   (amounts of the summary or of a code differ). ``correction(posted, current, build, ...)`` turns them into lines:
   for each employee with a difference, ``build([current pay]) − build([posted pay])`` per (account, analytic,
   partner, cash kind, match key), labelled with what changed. ``build`` is the function that built the run's entry
   (``cash.entry_builder(...)``, or a ``functools.partial`` of ``journal.build_journal``), given today's rules on
   both sides: the mapping resolution is the builder's, and a mapping change alone never makes a correction.

Exactness: Paylocity's amounts are in cents, so the builder rounds nothing and the per-employee deltas add up to
the whole run's delta exactly; each delta is the difference of two balanced builds, so corrections balance.

The same change twice: ``RunComparison.fingerprint`` (and ``Correction.fingerprint``) is a digest of the run and
its sorted differences (kinds, employees, transaction numbers, amounts), independent of input order and of how an
amount is spelled (2500.0 = 2500.00). Record it with the correcting entry and refuse a second correction with the
same fingerprint for the run; once a correction is made, store the current statements as the run's posted ones, so
the next comparison starts from them and finds nothing.
"""
import dataclasses
import datetime
import hashlib
import json
from decimal import Decimal
from typing import Any, List, NamedTuple, Optional, Tuple

from .journal import BalancedLines, EmployeePay, JournalLine
from .models import parse_date

ADDED, VOID_ADDED, REMOVED, CHANGED = "added", "void_added", "removed", "changed"

_ZERO = Decimal(0)


class StatementAmounts(NamedTuple):
    """A summary's amounts (None where Paylocity gave none)."""

    gross: Optional[Decimal]
    net: Optional[Decimal]
    net_check: Optional[Decimal]
    direct_deposit: Optional[Decimal]
    check_number: Optional[int]


class CodeChange(NamedTuple):
    det: Optional[str]
    code: Optional[str]
    before: Decimal          # Σ the statement's lines of (det, code) as posted (0 when it had none)
    after: Decimal           # ... as Paylocity has them now

    @property
    def delta(self):
        return self.after - self.before


class StatementChange(NamedTuple):
    kind: str                             # ADDED, VOID_ADDED, REMOVED, CHANGED
    employee_id: str
    transaction_number: Optional[int]
    before: Optional[StatementAmounts]    # None when added
    after: Optional[StatementAmounts]     # None when removed
    codes: Tuple[CodeChange, ...]         # the (det, code) sums that differ
    transaction_type: Optional[str] = None   # of the details, when they say (e.g. "Manual", "Void")

    def describe(self):
        """A short English description for entry labels and the run's log, e.g.
        ``void 1108 of check 10005, employee 1001``."""
        number = self.transaction_number if self.transaction_number is not None else "?"
        amounts = self.after or self.before
        check = " of check %s" % amounts.check_number if amounts and amounts.check_number else ""
        if self.kind == VOID_ADDED:
            return "void %s%s, employee %s" % (number, check, self.employee_id)
        if self.kind == ADDED:
            what = "manual check" if (self.transaction_type or "").lower() == "manual" else "statement"
            return "%s %s added, employee %s" % (what, number, self.employee_id)
        if self.kind == REMOVED:
            return "statement %s removed, employee %s" % (number, self.employee_id)
        changed = ", ".join("%s %s→%s" % (c.code, _text(c.before), _text(c.after)) for c in self.codes)
        return "statement %s changed, employee %s%s" % (number, self.employee_id, ": " + changed if changed else "")


@dataclasses.dataclass(frozen=True)
class RunComparison:
    run_id: int
    check_date: datetime.date
    changes: List[StatementChange]
    fingerprint: str        # "" when nothing changed

    @property
    def is_empty(self):
        return not self.changes

    @property
    def employees(self):
        """Employee ids with a difference, sorted."""
        return sorted({c.employee_id for c in self.changes}, key=_id_order)


@dataclasses.dataclass(frozen=True)
class Correction(BalancedLines):
    """Correcting lines (``journal.JournalLine``; ``employee_id`` is the employee whose change makes the line, at every
    detail level). Empty when nothing changed or when ``unmapped`` is not empty (then nothing may be posted)."""

    comparison: RunComparison
    lines: List[JournalLine]
    unmapped: List[Any]
    warnings: List[str]

    @property
    def fingerprint(self):
        return self.comparison.fingerprint

    @property
    def label(self):
        """One line naming every change, for the entry's reference."""
        return "; ".join(change.describe() for change in self.comparison.changes)

    def totals_by_key(self):
        """{(account, analytic, partner): Σ debit − credit} of the lines."""
        out = {}
        for line in self.lines:
            key = (line.account, line.analytic, line.partner)
            out[key] = out.get(key, _ZERO) + line.debit - line.credit
        return {key: value for key, value in out.items() if value}


# --- reading a run's statements ------------------------------------------------------------------------------

def _id_order(employee_id):
    return (len(employee_id), employee_id)


def _text(amount):
    return format(amount.normalize(), "f") if amount else "0"


def _run_summaries(summaries, run_id, check_date):
    """{transaction number: summary} of the run (the first of a duplicated number)."""
    out = {}
    for summary in summaries:
        if summary.process != run_id or (summary.check_date is not None and summary.check_date != check_date):
            continue
        out.setdefault(summary.transaction_number, summary)
    return out


def _sums(details, numbers, check_date):
    """{transaction number: {(det, code): Σ amount}} and {transaction number: transaction type} of ``numbers``."""
    sums, types = {}, {}
    for detail in details:
        number = detail.transaction_number
        if number not in numbers or detail.amount is None:
            continue
        if detail.check_date is not None and detail.check_date != check_date:
            continue
        per = sums.setdefault(number, {})
        key = (detail.det, detail.det_code)
        per[key] = per.get(key, _ZERO) + detail.amount
        kind = getattr(detail, "transaction_type", None)
        if kind and number not in types:
            types[number] = kind
    return sums, types


def _amounts(summary):
    def money(name):
        value = getattr(summary, name, None)
        return None if value is None else Decimal(value)

    return StatementAmounts(money("gross_pay"), money("net_pay"), money("net_check"),
                            money("direct_deposit_amount"), getattr(summary, "check_number", None) or None)


# Compared strictly: a summary's gross and net. Compared when both sides carry a value: the split, the check number
# and the period (rows stored before those fields were kept carry None, and must not look changed every day).
_STRICT_FIELDS = ("gross_pay", "net_pay")
_OPTIONAL_FIELDS = ("net_check", "direct_deposit_amount", "check_number", "begin_date", "end_date")


def _same_summary(before, after):
    """Equal amounts (spelling aside: 2500.0 = 2500.00); see _STRICT_FIELDS / _OPTIONAL_FIELDS."""
    for name in _STRICT_FIELDS:
        if getattr(before, name, None) != getattr(after, name, None):
            return False
    for name in _OPTIONAL_FIELDS:
        a, b = getattr(before, name, None), getattr(after, name, None)
        if name == "check_number":
            a, b = a or None, b or None
        if a is not None and b is not None and a != b:
            return False
    return True


def _by_employee(pays):
    out = {}
    for pay in pays:
        employee_id = str(pay.employee_id)
        if employee_id in out:
            raise ValueError("employee %s is given twice" % employee_id)
        out[employee_id] = pay
    return out


def _check_run(run_id, check_date):
    check_date = parse_date(check_date)
    if check_date is None:
        raise ValueError("a check date is required")
    return int(run_id), check_date


# --- 1. which details to read again --------------------------------------------------------------------------

def details_to_reread(posted, summaries_now, *, run_id, check_date):
    """Employee ids (sorted) whose details for ``check_date`` must be read again: a summary of the run that was not
    posted, or whose amounts, check number or period differ from the posted one.

    ``posted``: the run's ``EmployeePay`` as posted; ``summaries_now``: {employee id: that employee's summaries as
    read now (the year's or the check date's; other runs are ignored)}. An employee whose statements were only
    removed needs no call."""
    run_id, check_date = _check_run(run_id, check_date)
    posted = _by_employee(posted)
    out = []
    for employee_id, summaries in summaries_now.items():
        employee_id = str(employee_id)
        now = _run_summaries(summaries, run_id, check_date)
        pay = posted.get(employee_id)
        before = _run_summaries(pay.summaries, run_id, check_date) if pay else {}
        if any(number not in before or not _same_summary(before[number], summary) for number, summary in now.items()):
            out.append(employee_id)
    return sorted(out, key=_id_order)


def details_calls(posted_runs, summaries_now):
    """The (employee id, check date) detail reads a verification round needs for several posted runs at once.

    ``posted_runs``: {(check date, run id): that run's posted ``EmployeePay`` list}; ``summaries_now``: {employee
    id: the employee's summaries as the discovery read them (the year's)}. One details call per employee and check
    date covers every run of that date. Sorted by check date, then employee."""
    calls = set()
    for (check_date, run_id), posted in posted_runs.items():
        check_date = parse_date(check_date)
        for employee_id in details_to_reread(posted, summaries_now, run_id=run_id, check_date=check_date):
            calls.add((employee_id, check_date))
    return sorted(calls, key=lambda call: (call[1], _id_order(call[0])))


# --- 2. the run as it is now ---------------------------------------------------------------------------------

def current_pays(posted, summaries_now, details_now, *, run_id, check_date, cost_centers=None):
    """The run as Paylocity has it now, one ``EmployeePay`` per employee posted or now paid by the run.

    ``details_now``: {employee id: details of the check date} for the employees whose details were read again
    (``details_to_reread``); ``cost_centers``: {employee id: cost center} for employees the run did not pay when
    posted. Raises ``ValueError`` when a statement is new or changed but its employee's details were not read."""
    run_id, check_date = _check_run(run_id, check_date)
    posted = _by_employee(posted)
    summaries_now = {str(k): v for k, v in summaries_now.items()}
    details_now = {str(k): v for k, v in (details_now or {}).items()}
    cost_centers = {str(k): v for k, v in (cost_centers or {}).items()}
    out = []
    for employee_id in sorted(set(posted) | set(summaries_now), key=_id_order):
        pay = posted.get(employee_id)
        if employee_id not in summaries_now:
            out.append(pay)
            continue
        now = _run_summaries(summaries_now[employee_id], run_id, check_date)
        numbers = set(now)
        if employee_id in details_now:
            details = [d for d in details_now[employee_id] if d.transaction_number in numbers
                       and (d.check_date is None or d.check_date == check_date)]
        else:
            before = _run_summaries(pay.summaries, run_id, check_date) if pay else {}
            stale = sorted(n for n, s in now.items() if n not in before or not _same_summary(before[n], s))
            if stale:
                raise ValueError("employee %s: statement(s) %s are new or changed; read their details again"
                                 % (employee_id, ", ".join(str(n) for n in stale)))
            details = [d for d in pay.details if d.transaction_number in numbers] if pay else []
        cost_center = pay.cost_center if pay else cost_centers.get(employee_id)
        out.append(EmployeePay(employee_id, cost_center, list(now.values()), details))
    return out


# --- 3. differences and corrections --------------------------------------------------------------------------

def compare_run(posted, current, *, run_id, check_date):
    """``RunComparison`` of run (``check_date``, ``run_id``) as posted and as it is now (both lists of
    ``EmployeePay``; an employee missing from one side has no statement of the run there)."""
    run_id, check_date = _check_run(run_id, check_date)
    posted, current = _by_employee(posted), _by_employee(current)
    changes = []
    for employee_id in sorted(set(posted) | set(current), key=_id_order):
        changes.extend(_employee_changes(employee_id, posted.get(employee_id), current.get(employee_id), run_id,
                                         check_date))
    return RunComparison(run_id, check_date, changes, _fingerprint(run_id, check_date, changes) if changes else "")


def _employee_changes(employee_id, before_pay, after_pay, run_id, check_date):
    before = _run_summaries(before_pay.summaries, run_id, check_date) if before_pay else {}
    after = _run_summaries(after_pay.summaries, run_id, check_date) if after_pay else {}
    before_sums, _ = _sums(before_pay.details, set(before), check_date) if before_pay else ({}, {})
    after_sums, types = _sums(after_pay.details, set(after), check_date) if after_pay else ({}, {})
    out = []
    for number in sorted(set(before) | set(after), key=lambda n: (n is None, n or 0)):
        old, new = before_sums.get(number, {}), after_sums.get(number, {})
        codes = tuple(CodeChange(det, code, old.get((det, code), _ZERO), new.get((det, code), _ZERO))
                      for det, code in sorted(set(old) | set(new), key=lambda k: (k[0] or "", k[1] or ""))
                      if old.get((det, code), _ZERO) != new.get((det, code), _ZERO))
        if number not in before:
            amounts = _amounts(after[number])
            kind = VOID_ADDED if _is_negative(amounts, new, types.get(number)) else ADDED
            out.append(StatementChange(kind, employee_id, number, None, amounts, codes, types.get(number)))
        elif number not in after:
            out.append(StatementChange(REMOVED, employee_id, number, _amounts(before[number]), None, codes))
        elif codes or not _same_summary(before[number], after[number]):
            out.append(StatementChange(CHANGED, employee_id, number, _amounts(before[number]),
                                       _amounts(after[number]), codes, types.get(number)))
    return out


def _is_negative(amounts, sums, transaction_type):
    if (transaction_type or "").lower() == "void":
        return True
    if amounts.gross is not None and amounts.gross != 0:
        return amounts.gross < 0
    if amounts.net is not None and amounts.net != 0:
        return amounts.net < 0
    values = [value for value in sums.values() if value]
    return bool(values) and all(value < 0 for value in values)


def _fingerprint(run_id, check_date, changes):
    def norm(value):
        if isinstance(value, Decimal):
            return _text(value)
        if isinstance(value, tuple):
            return [norm(v) for v in value]
        return value

    canonical = [[c.kind, c.employee_id, c.transaction_number, norm(c.before) if c.before else None,
                  norm(c.after) if c.after else None, [norm(tuple(code)) for code in c.codes]] for c in changes]
    canonical.sort(key=lambda item: json.dumps(item, sort_keys=True, default=str))
    text = json.dumps([run_id, check_date.isoformat(), canonical], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def correction(posted, current, build, *, run_id, check_date, comparison=None):
    """The correcting lines of run (``check_date``, ``run_id``): see the module docstring.

    ``build(pays)`` builds entry lines from a list of ``EmployeePay`` (a result with ``lines``, and ``unmapped`` or
    ``journal.unmapped``); ``comparison``: a ``compare_run`` result to reuse. Lines are ``journal.JournalLine`` with
    ``label`` "Paylocity correction: <what changed> [codes]" and ``transaction_numbers`` of the changes."""
    run_id, check_date = _check_run(run_id, check_date)
    if comparison is None:
        comparison = compare_run(posted, current, run_id=run_id, check_date=check_date)
    if comparison.is_empty:
        return Correction(comparison, [], [], [])
    posted, current = _by_employee(posted), _by_employee(current)
    lines, unmapped, warnings = [], [], []
    for employee_id in comparison.employees:
        changes = [c for c in comparison.changes if c.employee_id == employee_id]
        before = _built(build, posted.get(employee_id))
        after = _built(build, current.get(employee_id))
        # Both sides are built with today's rules: a code unmapped on either makes the delta unknowable (a void
        # cancels its check's codes, so the current side alone can look mapped).
        unmapped.extend(after[1] or before[1])
        warnings.extend(after[2])
        lines.extend(_delta(before[0], after[0], employee_id, changes))
    if unmapped:
        return Correction(comparison, [], unmapped, warnings)
    return Correction(comparison, lines, [], warnings)


def _built(build, pay):
    if pay is None:
        return [], [], []
    result = build([pay])
    journal = getattr(result, "journal", result)
    return list(result.lines), list(getattr(journal, "unmapped", []) or []), list(getattr(result, "warnings", []) or [])


def _line_key(line):
    return (line.account, line.analytic, line.partner, getattr(line, "cash_kind", None),
            getattr(line, "match_key", None))


def _delta(before_lines, after_lines, employee_id, changes):
    balances, models, codes = {}, {}, {}
    for sign, lines in ((-1, before_lines), (1, after_lines)):
        for line in lines:
            key = _line_key(line)
            balances[key] = balances.get(key, _ZERO) + sign * (line.debit - line.credit)
            models.setdefault(key, line)
            if sign > 0:
                models[key] = line      # the current line's date and bank label win
            codes.setdefault(key, set()).update(line.codes)
    changed_codes = {c.code for change in changes for c in change.codes}
    numbers = tuple(sorted({c.transaction_number for c in changes if c.transaction_number is not None}))
    what = "; ".join(change.describe() for change in changes)
    out = []
    for key, balance in balances.items():
        if not balance:
            continue
        model = models[key]
        line_codes = tuple(sorted(code for code in codes[key] if code in changed_codes)) or tuple(sorted(codes[key]))
        label = "Paylocity correction: %s" % what + (" [%s]" % ", ".join(line_codes) if line_codes else "")
        out.append(JournalLine(
            model.account, balance if balance > 0 else _ZERO, -balance if balance < 0 else _ZERO, model.analytic,
            model.partner, label, employee_id, line_codes, getattr(model, "cash_kind", None),
            getattr(model, "date", None), getattr(model, "bank_label", None), tuple(getattr(model, "bank_words", ())),
            getattr(model, "match_key", None), getattr(model, "check_number", None), numbers))
    out.sort(key=lambda line: (line.credit > 0, str(line.account), str(line.analytic), str(line.partner)))
    return out
