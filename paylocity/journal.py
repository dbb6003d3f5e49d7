"""Journal builder: one pay run's pay statements + GL rules → balanced journal lines, in ``Decimal``.

A pure function, no I/O. Paylocity has no GL endpoint (API-REFERENCE §4.1), so the entry is built from
each employee's pay-statement detail lines.

Which lines belong to the run
    An employee's summaries whose ``process`` is ``run_id`` (and whose ``checkDate`` is the run's check
    date) name the run's transaction numbers; only detail lines with one of those transaction
    numbers are used. An off-cycle run on the same check date therefore gets its own lines.

The ``det`` convention (API-REFERENCE §4.2, inferred there)
    ``E`` earning, ``D`` deduction, ``T`` tax; a positive amount is the normal direction (pay earned,
    amount withheld, tax due), a negative one an adjustment. Whether a line is the employer's cost
    rather than the employee's is decided by its rule, not by ``det``:

    ============== ============================================ ====================================
    rule kind      typical use                                  posting of a positive amount
    ============== ============================================ ====================================
    debit-only     earnings                                     Dr debit account
    credit-only    deductions, employee taxes (withholdings)    Cr credit account
    debit+credit   employer taxes and benefits                  Dr debit account, Cr credit account;
                                                                not part of the employee's pay
    ignore         memo lines                                   nothing
    unmapped       no rule, or a rule with neither account      nothing is built (see below)
    ============== ============================================ ====================================

    Net pay is credited to ``net_pay_account``: Σ debit-only − Σ credit-only, i.e. E − D − employee T.
    Every detail line thus meets its counterpart and the entry balances by construction. A negative
    amount flips its sides. The analytic account goes on the expense side only (the debit account;
    the credit account of a credit-only rule), so liability lines never cancel analytic reports; the
    partner goes on the liability side (the credit account; the debit account of a debit-only rule).

Rules, most specific first: (det, code, cost center) > (det, code) > (code, cost center) > (code).
Codes, dets and cost centers match case-insensitively, surrounding spaces ignored. The cost center is
the one ``EmployeePay`` carries (the caller picks the level); analytic "employee" maps it through
``cost_center_analytics``.

Totals
    ``totals`` count detail lines by ``det`` (unmapped ones included, ignored ones not, employer-side
    ones apart), so a memo line that Paylocity does count in ``grossPay`` shows up as a difference.

Rounding
    Amounts are summed unrounded per (account, analytic, partner[, employee]), each sum is rounded
    once to ``precision`` (ROUND_HALF_UP), and the net-pay line takes whatever makes debits equal
    credits exactly. A non-zero residue (only possible when inputs carry more decimals than
    ``precision``) is reported in ``warnings``.

Employer side
    Employer-side lines (``detType`` ``ER``, or, without a ``detType``, a line whose rule is debit+credit) have
    no Paylocity total to be compared with, so they are checked against their own statement instead, and what
    does not hold becomes a ``Difference`` (the run needs review) rather than a silent posting:

    * ``employer_duplicate``: an employer-side code appears more than once in one statement;
    * ``employer_missing``: a statement has a non-zero employee tax ``X`` but no line of its employer twin,
      where the company has one: a code spelled ``X-ER``, ``X_ER``, ``XER``, ``ER-X`` or ``ERX``
      (``FICA``/``FICA-ER``, ``MEDI``/``ERMEDI``; the spelling is inferred, API-REFERENCE §4.2 documents no
      code list), known from a debit+credit rule or from employer-side lines of the run. Employer-only taxes
      (``FUTA``, ``SUTA``) have no twin and are not asked for.

    A ``detType`` that contradicts the rule's kind (``ER`` on a one-sided rule, ``EE`` on a debit+credit rule)
    is named in ``warnings``; the net-pay comparison with Paylocity holds such a run anyway.

Hold, don't guess
    If any non-zero amount is unmapped, no line is built and ``unmapped`` lists every (det, code,
    cost center, exact amount, employee count). Paylocity's own totals (Σ ``grossPay``, Σ ``netPay`` of
    the run's summaries) are compared with the detail lines and every difference is reported in
    ``differences``; lines are still built. ``JournalResult.verdict`` says what the run may do with them:
    wait for a mapping, wait for a review, or post.
"""
import dataclasses
import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, List, NamedTuple, Optional, Tuple

from .models import parse_date

EARNING, DEDUCTION, TAX = "E", "D", "T"
DETAIL_AGGREGATE, DETAIL_EMPLOYEE = "aggregate", "employee"
ANALYTIC_EMPLOYEE, ANALYTIC_FIXED = "employee", "fixed"
KIND_DEBIT, KIND_CREDIT, KIND_BOTH, KIND_IGNORE, KIND_UNMAPPED = "debit", "credit", "debit_credit", "ignore", "unmapped"
NET_PAY_LABEL = "Net pay"
# Verdicts on a built run (the pay run's states of the same names).
NEEDS_MAPPING, NEEDS_REVIEW, READY = "needs_mapping", "needs_review", "ready"

_ZERO = Decimal(0)


# --- inputs ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GlRule:
    """Map a code (optionally per ``det`` and cost center) to accounts. Ids are opaque to the builder."""

    code: str
    det: Optional[str] = None
    cost_center: Optional[str] = None
    debit_account: Any = None
    credit_account: Any = None
    analytic: Optional[str] = None          # "employee" (the employee's cost center), "fixed", or None
    analytic_account: Any = None            # for analytic="fixed"
    partner: Any = None
    label: Optional[str] = None
    ignore: bool = False
    rule_id: Any = None

    def __post_init__(self):
        if not isinstance(self.code, str) or not self.code.strip():
            raise ValueError("a GL rule needs a code")
        if self.analytic not in (None, ANALYTIC_EMPLOYEE, ANALYTIC_FIXED):
            raise ValueError("GL rule %s: analytic must be 'employee', 'fixed' or None" % self.code)
        if self.analytic == ANALYTIC_FIXED and self.analytic_account is None and not self.ignore:
            raise ValueError("GL rule %s: a fixed analytic needs an analytic account" % self.code)

    @property
    def kind(self):
        if self.ignore:
            return KIND_IGNORE
        if self.debit_account is not None and self.credit_account is not None:
            return KIND_BOTH
        if self.debit_account is not None:
            return KIND_DEBIT
        if self.credit_account is not None:
            return KIND_CREDIT
        return KIND_UNMAPPED


@dataclasses.dataclass(frozen=True)
class EmployeePay:
    """One employee's pay statements for the check date (``PayStatementSummary``/``PayStatementDetail``)."""

    employee_id: str
    cost_center: Optional[str] = None
    summaries: List[Any] = dataclasses.field(default_factory=list)
    details: List[Any] = dataclasses.field(default_factory=list)


# --- outputs --------------------------------------------------------------------------------------

class JournalLine(NamedTuple):
    """One line of the entry (a named tuple: cheap to build by the hundred thousand, immutable). The builder fills
    the first eight fields; ``cash.build_entry`` the rest, on the cash lines it splits net pay and taxes into."""

    account: Any
    debit: Decimal
    credit: Decimal
    analytic: Any = None
    partner: Any = None
    label: Optional[str] = None
    employee_id: Optional[str] = None       # the employee at "employee" level; on check lines always
    codes: Tuple[str, ...] = ()             # the Paylocity codes summed into this line
    cash_kind: Optional[str] = None         # one of cash.CASH_KINDS, cash.NET_PAY for an unsplit remainder
    date: Optional[datetime.date] = None    # the check date, on cash lines
    bank_label: Optional[str] = None
    bank_words: Tuple[str, ...] = ()
    match_key: Optional[Tuple] = None       # lines with one key are settled by one bank line
    check_number: Optional[int] = None
    transaction_numbers: Tuple[int, ...] = ()

    @property
    def balance(self):
        return self.debit - self.credit


class UnmappedCode(NamedTuple):
    det: Optional[str]
    code: Optional[str]
    cost_center: Optional[str]   # set when only other cost centers are mapped, or from a draft rule's cost center
    amount: Decimal              # exact, unrounded
    employees: int


class Difference(NamedTuple):
    kind: str                    # "gross", "net" (Paylocity vs details), "net_pay_line" (details vs entry),
    #                              "employer_duplicate" or "employer_missing" (employer side vs its statement)
    expected: Decimal            # employer_duplicate: one line's amount; employer_missing: the employee tax
    actual: Decimal              # employer_duplicate: the lines' sum; employer_missing: 0
    difference: Decimal          # actual - expected
    employee_id: Optional[str]   # None for the whole run
    code: Optional[str] = None   # the employer-side code, for the employer_* kinds


@dataclasses.dataclass(frozen=True)
class Totals:
    """From the detail lines: gross = Σ E, deductions = Σ D, employee_taxes = Σ T (employee side),
    employer = Σ debit+credit rule amounts, net = gross − deductions − employee_taxes. Ignored lines excluded."""

    gross: Decimal = _ZERO
    deductions: Decimal = _ZERO
    employee_taxes: Decimal = _ZERO
    employer: Decimal = _ZERO
    net: Decimal = _ZERO


@dataclasses.dataclass(frozen=True)
class PaylocityTotals:
    """Σ ``grossPay`` and Σ ``netPay`` of the run's summaries."""

    gross: Decimal = _ZERO
    net: Decimal = _ZERO


class LineTotals:
    """Σ debit and Σ credit of an entry's ``lines``."""

    @property
    def total_debit(self):
        return sum((line.debit for line in self.lines), _ZERO)

    @property
    def total_credit(self):
        return sum((line.credit for line in self.lines), _ZERO)


class BalancedLines(LineTotals):
    """An entry whose ``lines`` balance when Σ debit = Σ credit (``JournalResult`` decides it while building)."""

    @property
    def is_empty(self):
        return not self.lines

    @property
    def is_balanced(self):
        return self.total_debit == self.total_credit


@dataclasses.dataclass(frozen=True)
class JournalResult(LineTotals):
    lines: List[JournalLine]
    unmapped: List[UnmappedCode]
    differences: List[Difference]
    totals: Totals
    paylocity_totals: PaylocityTotals
    employees: int
    warnings: List[str]
    is_balanced: bool

    @property
    def review_needed(self):
        """The entry cannot be trusted as built: Paylocity's totals differ, no statement belongs to the run, or
        the lines do not balance (impossible by construction; never posted if it happens)."""
        return bool(self.differences) or not self.employees or (bool(self.lines) and not self.is_balanced)

    def verdict(self, setup_complete=True, review_accepted=False):
        """``NEEDS_MAPPING`` while a code has no usable rule or the caller's set-up is incomplete
        (``setup_complete`` False: no net pay account, no journal...); else ``NEEDS_REVIEW`` while
        ``review_needed``, unless an accountant accepted exactly these findings (``review_accepted``); else
        ``READY``."""
        if self.unmapped or not setup_complete:
            return NEEDS_MAPPING
        if self.review_needed and not review_accepted:
            return NEEDS_REVIEW
        return READY

    @property
    def can_post(self):
        """Ready as it stands: everything mapped and in agreement with Paylocity, nothing accepted by hand."""
        return self.verdict() == READY


# --- rules ----------------------------------------------------------------------------------------

def _norm(value):
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None


# Where a detail amount is counted in ``Totals`` (an index into the per-employee sums).
_GROSS, _DEDUCTIONS, _EMPLOYEE_TAXES, _EMPLOYER = range(4)
_COUNTED_BY_DET = {EARNING: _GROSS, DEDUCTION: _DEDUCTIONS, TAX: _EMPLOYEE_TAXES}
# Stands in a posting for "the employee's cost-center analytic", looked up once per employee.
_EMPLOYEE_ANALYTIC = object()


class _Plan:
    """What to do with one (det, code, cost center): resolved once, used for every employee.

    ``counted_as``: which total the amount adds to (None for an unknown det); ``net_pay_sign``: +1 when the amount
    is part of the employee's pay (debit-only rule), -1 when withheld from it (credit-only), 0 otherwise;
    ``postings``: ``(account, sign, analytic, partner)`` per line it moves, the analytic possibly
    ``_EMPLOYEE_ANALYTIC``."""

    __slots__ = ("code", "kind", "counted_as", "net_pay_sign", "postings", "label", "report_cost_center")

    def __init__(self, det, code, rule, report_cost_center=None):
        self.code = code      # as Paylocity spelled it, for the line's ``codes``
        self.kind = kind = rule.kind if rule is not None else KIND_UNMAPPED
        self.report_cost_center = report_cost_center
        self.label = rule.label if rule is not None else None
        self.counted_as = _EMPLOYER if kind == KIND_BOTH else _COUNTED_BY_DET.get(det)
        self.net_pay_sign = 1 if kind == KIND_DEBIT else (-1 if kind == KIND_CREDIT else 0)
        self.postings = self._postings(rule) if rule is not None else ()

    @staticmethod
    def _postings(rule):
        analytic = {ANALYTIC_FIXED: rule.analytic_account, ANALYTIC_EMPLOYEE: _EMPLOYEE_ANALYTIC}.get(rule.analytic)
        kind = rule.kind
        if kind == KIND_DEBIT:
            return ((rule.debit_account, 1, analytic, rule.partner),)
        if kind == KIND_CREDIT:
            return ((rule.credit_account, -1, analytic, rule.partner),)
        if kind == KIND_BOTH:
            return ((rule.debit_account, 1, analytic, None), (rule.credit_account, -1, None, rule.partner))
        return ()


class _RuleBook:
    """The rules by (det, code, cost center), and the plan each combination met in the run resolves to."""

    def __init__(self, rules):
        self._rules = {}
        self._has_cost_center_rules = set()   # (det, code) with at least one cost-center specific rule
        for rule in rules:
            key = (_norm(rule.det), _norm(rule.code), _norm(rule.cost_center))
            if key in self._rules:
                raise ValueError("two GL rules for det %s, code %s, cost center %s" % tuple(k or "*" for k in key))
            self._rules[key] = rule
            if key[2] is not None:
                self._has_cost_center_rules.add(key[:2])
        self.plans = {}   # (det, code, cost center) as given -> _Plan: the builder reads it before calling plan()

    def employer_codes(self):
        """Codes (normalised) some debit+credit rule maps: the company's employer-side codes."""
        return {code for (_det, code, _cost_center), rule in self._rules.items() if rule.kind == KIND_BOTH}

    def plan(self, det, code, cost_center):
        cache_key = (det, code, cost_center)
        plan = self.plans.get(cache_key)
        if plan is None:
            plan = self.plans[cache_key] = self._resolve(det, code, _norm(det), _norm(code), _norm(cost_center))
        return plan

    def _resolve(self, raw_det, raw_code, det, code, cost_center):
        rules = self._rules
        for key in ((det, code, cost_center), (det, code, None), (None, code, cost_center), (None, code, None)):
            rule = rules.get(key)
            if rule is not None:
                return _Plan(raw_det, raw_code, rule, rule.cost_center if rule.kind == KIND_UNMAPPED else None)
        specific = (det, code) in self._has_cost_center_rules or (None, code) in self._has_cost_center_rules
        return _Plan(raw_det, raw_code, None, cost_center if specific else None)


class _NetPaySource:
    code = None
    label = NET_PAY_LABEL


# --- the builder ----------------------------------------------------------------------------------

def build_journal(pays, rules, *, run_id, check_date, net_pay_account, detail_level=DETAIL_AGGREGATE,
                  precision=2, cost_center_analytics=None, max_employee_differences=20):
    """Build the journal lines of pay run (``check_date``, ``run_id``); see the module docstring.

    ``pays``: one ``EmployeePay`` per employee (statements of other runs are skipped); ``rules``: ``GlRule``
    objects, one per (det, code, cost center); ``cost_center_analytics``: cost center code → analytic id for rules
    with ``analytic="employee"``; ``max_employee_differences``: how many employees' own differences to list.
    Raises ``ValueError`` for bad arguments, an employee given twice or two rules with the same key.
    """
    check_date, run_id = _checked_arguments(detail_level, precision, net_pay_account, check_date, run_id)
    run = _RunBuilder(_RuleBook(rules), check_date, run_id, _Ledger(net_pay_account),
                      _EmployeeAnalytics(cost_center_analytics), per_employee=detail_level == DETAIL_EMPLOYEE)
    for pay in pays:
        run.add(pay)
    return run.result(precision, max_employee_differences)


def _checked_arguments(detail_level, precision, net_pay_account, check_date, run_id):
    """(check date, run id) once every argument is valid; ``ValueError`` naming the first that is not."""
    if detail_level not in (DETAIL_AGGREGATE, DETAIL_EMPLOYEE):
        raise ValueError("detail_level must be 'aggregate' or 'employee'")
    if not isinstance(precision, int) or isinstance(precision, bool) or precision < 0:
        raise ValueError("precision must be a non-negative number of decimal places")
    if net_pay_account is None:
        raise ValueError("a net pay account is required")
    check_date = parse_date(check_date)
    if check_date is None:
        raise ValueError("a check date is required")
    return check_date, int(run_id)


class _RunBuilder:
    """One run, employee by employee: each employee's detail amounts are summed per (det, code), posted to the
    ledger by their plan and counted in the totals; ``result`` rounds the ledger into lines and reports."""

    def __init__(self, book, check_date, run_id, ledger, analytics, per_employee):
        self.book = book
        self.check_date = check_date
        self.run_id = run_id
        self.ledger = ledger
        self.analytics = analytics
        self.per_employee = per_employee
        self.totals = _RunTotals()
        self.employer_side = _EmployerSide(book)
        self.unmapped = _Unmapped()
        self.unknown_dets = set()
        self.warnings = []
        self._seen = set()

    def add(self, pay):
        """Post one employee's statements of the run (none: nothing happens)."""
        employee_id = str(pay.employee_id)
        if employee_id in self._seen:
            raise ValueError("employee %s is given twice" % employee_id)
        self._seen.add(employee_id)
        summaries = _run_summaries(pay.summaries, self.run_id, self.check_date, employee_id, self.warnings)
        if not summaries:
            return
        transactions = {s.transaction_number for s in summaries if s.transaction_number is not None}
        groups, repeated = _group_details(pay.details, transactions, self.check_date)
        self.employer_side.add(employee_id, groups, repeated, pay.cost_center)
        sums = {}
        for (_number, det, code, _det_type), amount in groups.items():
            key = (det, code)
            previous = sums.get(key)
            sums[key] = amount if previous is None else previous + amount
        owner = employee_id if self.per_employee else None
        counted, net_pay = self._post(sums, employee_id, pay.cost_center, owner)
        self.ledger.credit_net_pay(owner, net_pay)
        self.totals.add_employee(employee_id, summaries, counted, net_pay)

    def _post(self, sums, employee_id, cost_center, owner):
        """Post ``{(det, code): amount}`` to the ledger; returns (the amounts counted per total, the net pay the
        entry owes this employee). Hot loop: locals and two flat dicts, no object per line."""
        plans, plan_for = self.book.plans, self.book.plan
        balances, sources = self.ledger.balances, self.ledger.sources
        counted = [_ZERO, _ZERO, _ZERO, _ZERO]
        net_pay = _ZERO
        employee_analytic = _EMPLOYEE_ANALYTIC    # not looked up yet
        for (det, code), amount in sums.items():
            plan = plans.get((det, code, cost_center)) or plan_for(det, code, cost_center)
            kind = plan.kind
            if kind == KIND_IGNORE:
                continue
            if plan.counted_as is None:
                self.unknown_dets.add(det)
            else:
                counted[plan.counted_as] += amount
            if kind == KIND_UNMAPPED:
                self.unmapped.add(det, code, plan.report_cost_center, amount, employee_id)
                continue
            if plan.net_pay_sign:
                net_pay = net_pay + amount if plan.net_pay_sign > 0 else net_pay - amount
            for account, sign, analytic, partner in plan.postings:
                if analytic is _EMPLOYEE_ANALYTIC:
                    if employee_analytic is _EMPLOYEE_ANALYTIC:
                        employee_analytic = self.analytics.lookup(cost_center)
                    analytic = employee_analytic
                key = (account, analytic, partner, owner)
                balances[key] = balances.get(key, _ZERO) + (amount if sign > 0 else -amount)
                source = sources.get(key)
                if source is None:
                    sources[key] = plan
                elif source is not plan:
                    if type(source) is list:
                        source.append(plan)
                    else:
                        sources[key] = [source, plan]
        return counted, net_pay

    def result(self, precision, max_employee_differences):
        unmapped = self.unmapped.codes()
        self.totals.employee_differences += self.employer_side.differences()
        differences = self.totals.differences(bool(unmapped), max_employee_differences, self.warnings)
        warnings = self.warnings
        warnings += self.employer_side.warnings()
        if not self.totals.employees:
            warnings.append("no pay statement belongs to check date %s, run %d"
                            % (self.check_date.isoformat(), self.run_id))
        for det in sorted(self.unknown_dets, key=lambda d: d or ""):
            warnings.append("detail lines with unknown det %r are posted by their rule but not counted in gross or "
                            "net" % det)
        warnings += self.unmapped.warnings(unmapped)
        warnings += self.analytics.warnings()
        lines = [] if unmapped else self.ledger.lines(precision, warnings)
        total_debit = sum((line.debit for line in lines), _ZERO)
        total_credit = sum((line.credit for line in lines), _ZERO)
        return JournalResult(
            lines=lines,
            unmapped=unmapped,
            differences=differences,
            totals=self.totals.totals(),
            paylocity_totals=PaylocityTotals(gross=self.totals.paylocity_gross, net=self.totals.paylocity_net),
            employees=self.totals.employees,
            warnings=warnings,
            is_balanced=total_debit == total_credit,
        )


def _run_summaries(summaries, run_id, check_date, employee_id, warnings):
    """The employee's summaries of this run, one per transaction number."""
    result = []
    transactions = set()
    for summary in summaries:
        if summary.process != run_id:
            continue
        if summary.check_date is not None and summary.check_date != check_date:
            continue
        number = summary.transaction_number
        if number is None:
            warnings.append("employee %s: a summary of this run has no transaction number; its details cannot "
                            "be joined" % employee_id)
        elif number in transactions:
            warnings.append("employee %s: transaction %s was given twice; counted once" % (employee_id, number))
            continue
        else:
            transactions.add(number)
        result.append(summary)
    return result


def _group_details(details, transactions, check_date):
    """The one pass over every detail line of ``transactions`` (plain dicts + Decimal: the hot path): the sum per
    ``(transaction, det, code, detType)``, and for a group of more than one line, its first line's amount."""
    groups = {}
    repeated = {}
    for detail in details:
        number = detail.transaction_number
        if number in transactions:
            amount = detail.amount
            if amount is None:
                continue
            detail_date = detail.check_date
            if detail_date is not None and detail_date != check_date:
                continue
            key = (number, detail.det, detail.det_code, detail.det_type)
            previous = groups.get(key)
            if previous is None:
                groups[key] = amount
            else:
                if key not in repeated:
                    repeated[key] = previous      # the one line summed so far
                groups[key] = previous + amount
    return groups, repeated


_SIDE_EMPLOYER, _SIDE_EMPLOYEE_TAX = "employer", "employee tax"
_EMPLOYER_TWIN = re.compile(r"^ER[-_ ]?(?P<prefixed>.+)$|^(?P<suffixed>.+?)[-_ ]?ER$")


def employee_code_of(employer_code):
    """The employee tax an employer-side code is the twin of by its spelling (``FICA-ER``, ``ERFICA`` → ``FICA``),
    normalised; None when the spelling names none."""
    match = _EMPLOYER_TWIN.match(_norm(employer_code) or "")
    if not match:
        return None
    return (match.group("prefixed") or match.group("suffixed")).strip(" -_") or None


class _EmployerSide:
    """Employer-side lines against their own statement: a code repeated in one statement, and an employee tax
    whose employer twin is missing from it (see "Employer side" in the module docstring)."""

    def __init__(self, book):
        self._book = book
        self._employer_codes = book.employer_codes()   # normalised; grows with the run's employer-side lines
        self._sides = {}               # (det, code, detType, cost center) -> (side, normalised code) or None
        self._statements = []          # (employee, {EE tax code: amount}, {ER code}) per statement with EE taxes
        self._duplicates = {}          # (employee, raw ER code) -> [one line's amount, sum of the lines]
        self._contradictions = set()   # (code, detType, rule kind)

    def add(self, employee_id, groups, repeated, cost_center):
        """Check one employee's ``_group_details``."""
        per_statement = {}             # transaction -> ({EE tax code: amount}, {ER code})
        sides = self._sides
        for group, amount in groups.items():
            number, det, code, det_type = group
            key = (det, code, det_type, cost_center)
            side = sides.get(key, sides)
            if side is sides:
                side = sides[key] = self._side(*key)
            if side is None:
                continue
            taxes, employer = per_statement.get(number) or per_statement.setdefault(number, ({}, set()))
            if side[0] is _SIDE_EMPLOYER:
                employer.add(side[1])
                if group in repeated:
                    entry = self._duplicates.setdefault((employee_id, code), [_ZERO, _ZERO])
                    entry[0] += repeated[group]
                    entry[1] += amount
            else:
                taxes[side[1]] = taxes.get(side[1], _ZERO) + amount
        for taxes, employer in per_statement.values():
            if taxes:
                self._statements.append((employee_id, taxes, employer))

    def _side(self, det, code, det_type, cost_center):
        """``(_SIDE_EMPLOYER, code)``, ``(_SIDE_EMPLOYEE_TAX, code)`` or None (not checked); once per combination."""
        plan = self._book.plan(det, code, cost_center)
        if plan.kind == KIND_IGNORE:
            return None
        side = _norm(det_type)
        if side == "ER" or (side != "EE" and plan.kind == KIND_BOTH):
            if side == "ER" and plan.kind in (KIND_DEBIT, KIND_CREDIT):
                self._contradictions.add((code, side, plan.kind))
            self._employer_codes.add(_norm(code))
            return _SIDE_EMPLOYER, _norm(code)
        if side == "EE" and plan.kind == KIND_BOTH:
            self._contradictions.add((code, side, plan.kind))
        return (_SIDE_EMPLOYEE_TAX, _norm(code)) if _norm(det) == TAX else None

    def differences(self):
        twins = {}
        for employer_code in self._employer_codes:
            employee_code = employee_code_of(employer_code)
            if employee_code and employee_code not in self._employer_codes:
                twins[employee_code] = employer_code
        missing = {}                   # (employee, ER code) -> the employee tax without it
        for employee_id, taxes, employer in self._statements:
            for code, amount in taxes.items():
                twin = twins.get(code)
                if twin is not None and amount and twin not in employer:
                    missing[(employee_id, twin)] = missing.get((employee_id, twin), _ZERO) + amount
        found = [Difference("employer_duplicate", one, total, total - one, employee_id, code)
                 for (employee_id, code), (one, total) in self._duplicates.items()]
        found += [Difference("employer_missing", amount, _ZERO, -amount, employee_id, code)
                  for (employee_id, code), amount in missing.items()]
        return found

    def warnings(self):
        return ["code %s has detType %s but its rule is %s: check the mapping" % (code, side, kind.replace("_", "+"))
                for code, side, kind in sorted(self._contradictions, key=lambda c: (str(c[0]), c[1], c[2]))]


class _EmployeeAnalytics:
    """Cost center → analytic account, and the cost centers (or employees without one) that found none."""

    def __init__(self, cost_center_analytics):
        self._by_cost_center = {_norm(code): analytic for code, analytic in (cost_center_analytics or {}).items()}
        self._missing = set()
        self._without_cost_center = 0

    def lookup(self, cost_center):
        """The analytic of an employee's cost center (None when it has none); called once per employee."""
        if cost_center is None or not str(cost_center).strip():
            self._without_cost_center += 1
            return self._by_cost_center.get(_norm(cost_center))
        analytic = self._by_cost_center.get(_norm(cost_center))
        if analytic is None:
            self._missing.add(str(cost_center).strip())
        return analytic

    def warnings(self):
        found = ["cost center %s has no analytic account: its lines carry none" % cost_center
                 for cost_center in sorted(self._missing)]
        if self._without_cost_center:
            found.append("%d employee(s) without a cost center: their lines carry no analytic account"
                         % self._without_cost_center)
        return found


class _Unmapped:
    """Amounts no rule maps, per (det, code, cost center): their exact sum and the employees they concern."""

    def __init__(self):
        self._amounts = {}         # (det, code, cost center) -> [amount, employees]
        self._netted_out = set()   # (det, code) seen only with a zero amount for some employee

    def add(self, det, code, cost_center, amount, employee_id):
        if amount:
            entry = self._amounts.setdefault((det, code, cost_center), [_ZERO, set()])
            entry[0] += amount
            entry[1].add(employee_id)
        else:
            self._netted_out.add((det, code))

    def codes(self):
        return sorted(
            (UnmappedCode(det, code, cost_center, amount, len(people))
             for (det, code, cost_center), (amount, people) in self._amounts.items()),
            key=lambda u: (u.det or "", u.code or "", u.cost_center or ""),
        )

    def warnings(self, codes):
        netted_to_zero = self._netted_out - {(u.det, u.code) for u in codes}
        return ["code %s (%s) has no rule; its amounts in this run net to zero" % (code, det)
                for det, code in sorted(netted_to_zero, key=lambda k: (k[0] or "", k[1] or ""))]


class _RunTotals:
    """Σ over the run's employees: the detail lines' totals, the entry's net pay, Paylocity's own totals, and
    every employee's own differences with Paylocity."""

    def __init__(self):
        self.employees = 0
        self.counted = [_ZERO, _ZERO, _ZERO, _ZERO]    # indexed by _GROSS, _DEDUCTIONS, _EMPLOYEE_TAXES, _EMPLOYER
        self.net_pay = _ZERO
        self.paylocity_gross = self.paylocity_net = _ZERO
        self.employee_differences = []

    def add_employee(self, employee_id, summaries, counted, net_pay):
        self.employees += 1
        s_gross = sum((s.gross_pay for s in summaries if s.gross_pay is not None), _ZERO)
        s_net = sum((s.net_pay for s in summaries if s.net_pay is not None), _ZERO)
        e_net = counted[_GROSS] - counted[_DEDUCTIONS] - counted[_EMPLOYEE_TAXES]
        self.employee_differences.extend(_differences(s_gross, s_net, counted[_GROSS], e_net, net_pay, employee_id))
        run = self.counted
        for index, amount in enumerate(counted):
            run[index] += amount
        self.net_pay += net_pay
        self.paylocity_gross += s_gross
        self.paylocity_net += s_net

    @property
    def net(self):
        return self.counted[_GROSS] - self.counted[_DEDUCTIONS] - self.counted[_EMPLOYEE_TAXES]

    def totals(self):
        gross, deductions, employee_taxes, employer = self.counted
        return Totals(gross=gross, deductions=deductions, employee_taxes=employee_taxes, employer=employer,
                      net=self.net)

    def differences(self, has_unmapped, max_employees, warnings):
        """The run's differences, then those of at most ``max_employees`` employees (a warning counts the rest)."""
        differences = _differences(self.paylocity_gross, self.paylocity_net, self.counted[_GROSS], self.net,
                                   self.net_pay, None)
        employee_differences = self.employee_differences
        if has_unmapped:
            # Without every rule the entry's net pay means nothing: compare Paylocity with the details only.
            differences = [d for d in differences if d.kind != "net_pay_line"]
            employee_differences = [d for d in employee_differences if d.kind != "net_pay_line"]
        employees_differing = sorted({d.employee_id for d in employee_differences})
        if len(employees_differing) > max_employees:
            shown = set(employees_differing[:max_employees])
            warnings.append("%d more employees differ from Paylocity's totals (not listed)"
                            % (len(employees_differing) - max_employees))
            employee_differences = [d for d in employee_differences if d.employee_id in shown]
        employee_differences.sort(key=lambda d: (d.employee_id, d.kind))
        return differences + employee_differences


def _differences(paylocity_gross, paylocity_net, gross, net, journal_net, employee_id):
    found = []
    if gross != paylocity_gross:
        found.append(Difference("gross", paylocity_gross, gross, gross - paylocity_gross, employee_id))
    if net != paylocity_net:
        found.append(Difference("net", paylocity_net, net, net - paylocity_net, employee_id))
    if journal_net != net:
        # A rule's kind disagrees with its det (e.g. an earning mapped to a credit-only rule).
        found.append(Difference("net_pay_line", net, journal_net, journal_net - net, employee_id))
    return found


# --- the ledger -----------------------------------------------------------------------------------

class _Ledger:
    """The entry being built: a signed, unrounded balance per line key (account, analytic, partner, employee or
    None) and what was summed into each (a plan, or a list of them: the line's label and codes). The builder's
    hot loop writes ``balances`` and ``sources`` directly."""

    def __init__(self, net_pay_account):
        self.net_pay_account = net_pay_account
        self.balances = {}
        self.sources = {}
        self.net_keys = {}       # employee or None -> key of its net-pay line

    def credit_net_pay(self, owner, amount):
        """Credit ``amount`` to the net pay line of ``owner`` (the employee, or None for the whole run)."""
        net_key = self.net_keys.get(owner)
        if net_key is None:
            net_key = self.net_keys[owner] = (self.net_pay_account, None, None, owner)
            self.balances[net_key] = self.balances.get(net_key, _ZERO)
            source = self.sources.get(net_key)
            self.sources[net_key] = _NetPaySource if source is None else [_NetPaySource] + _as_list(source)
        self.balances[net_key] -= amount

    def lines(self, precision, warnings):
        """The balances rounded once each to ``precision``, residues on the net pay lines, as sorted lines."""
        quantum = Decimal(1).scaleb(-precision)
        rounded = self._rounded(quantum, warnings)
        return self._sorted_lines(rounded, _ZERO.quantize(quantum))

    def _rounded(self, quantum, warnings):
        zero = _ZERO.quantize(quantum)
        rounded = {}
        group_totals = {}
        for key, balance in self.balances.items():
            amount = rounded[key] = balance.quantize(quantum, rounding=ROUND_HALF_UP)
            owner = key[3]
            group_totals[owner] = group_totals.get(owner, zero) + amount

        # Each group (the run, or each employee) balances unrounded; give its rounding residue to its net-pay line.
        residues = {owner: total for owner, total in group_totals.items() if total}
        for owner, total in residues.items():
            rounded[self.net_keys[owner]] -= total
        if len(residues) == 1 and None in residues:
            warnings.append("rounding residue of %s put on the net pay line" % residues[None])
        elif residues:
            warnings.append("rounding residues (%s in absolute value) put on the net pay lines of %d employee(s)"
                            % (sum(abs(total) for total in residues.values()), len(residues)))
        return rounded

    def _sorted_lines(self, rounded, zero):
        net_lines = set(self.net_keys.values())
        kept = [key for key, amount in rounded.items() if amount]
        # Few distinct accounts/analytics/partners: compute their sort tokens once.
        tokens = {value: _sort_token(value) for key in kept for value in key[:3]}
        kept.sort(key=lambda key: (key[3] or "", key in net_lines, rounded[key] < 0,
                                   tokens[key[0]], tokens[key[1]], tokens[key[2]]))
        lines = []
        sources = self.sources
        for key in kept:
            amount = rounded[key]
            source = sources[key]
            if type(source) is list:
                label = "; ".join(sorted({s.label for s in source if s.label})) or None
                codes = tuple(sorted({s.code for s in source if s.code}))
            else:
                label = source.label or None
                codes = (source.code,) if source.code else ()
            lines.append(JournalLine(key[0], amount if amount > 0 else zero, -amount if amount < 0 else zero,
                                     key[1], key[2], label, key[3], codes))
        return lines


def _as_list(source):
    return source if type(source) is list else [source]


def _sort_token(value):
    if value is None:
        return (0, 0, "")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (1, value, "")
    return (2, 0, str(value))
