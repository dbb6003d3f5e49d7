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

Hold, don't guess
    If any non-zero amount is unmapped, no line is built and ``unmapped`` lists every (det, code,
    cost center, exact amount, employee count). Paylocity's own totals (Σ ``grossPay``, Σ ``netPay`` of
    the run's summaries) are compared with the detail lines and every difference is reported in
    ``differences``; lines are still built, the caller decides whether to hold the run.
"""
import dataclasses
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, List, NamedTuple, Optional, Tuple

from .models import parse_date

EARNING, DEDUCTION, TAX = "E", "D", "T"
DETAIL_AGGREGATE, DETAIL_EMPLOYEE = "aggregate", "employee"
ANALYTIC_EMPLOYEE, ANALYTIC_FIXED = "employee", "fixed"
KIND_DEBIT, KIND_CREDIT, KIND_BOTH, KIND_IGNORE, KIND_UNMAPPED = "debit", "credit", "debit_credit", "ignore", "unmapped"
NET_PAY_LABEL = "Net pay"

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
    """One line of the entry (a named tuple: cheap to build by the hundred thousand, immutable)."""

    account: Any
    debit: Decimal
    credit: Decimal
    analytic: Any = None
    partner: Any = None
    label: Optional[str] = None
    employee_id: Optional[str] = None       # set only at the "employee" detail level
    codes: Tuple[str, ...] = ()             # the Paylocity codes summed into this line

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
    kind: str                    # "gross", "net" (Paylocity vs details) or "net_pay_line" (details vs entry)
    expected: Decimal
    actual: Decimal
    difference: Decimal          # actual - expected
    employee_id: Optional[str]   # None for the whole run


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


@dataclasses.dataclass(frozen=True)
class JournalResult:
    lines: List[JournalLine]
    unmapped: List[UnmappedCode]
    differences: List[Difference]
    totals: Totals
    paylocity_totals: PaylocityTotals
    employees: int
    warnings: List[str]
    is_balanced: bool

    @property
    def total_debit(self):
        return sum((line.debit for line in self.lines), _ZERO)

    @property
    def total_credit(self):
        return sum((line.credit for line in self.lines), _ZERO)

    @property
    def can_post(self):
        """Lines exist, balance, nothing is unmapped and Paylocity's totals agree."""
        return bool(self.lines) and self.is_balanced and not self.unmapped and not self.differences

    def as_dict(self):
        """JSON-ready form (amounts as strings) for storing on the pay run."""
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if hasattr(value, "_asdict"):
            return _jsonable(value._asdict())
        return [_jsonable(item) for item in value]
    return value


# --- rules ----------------------------------------------------------------------------------------

def _norm(value):
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None


class _Plan:
    """What to do with one (det, code, cost center): resolved once, used for every employee."""

    __slots__ = ("code", "kind", "postings", "analytic_mode", "fixed_analytic", "label", "report_cost_center")

    def __init__(self, code, rule, report_cost_center=None):
        self.code = code      # as Paylocity spelled it, for the line's ``codes``
        self.kind = rule.kind if rule is not None else KIND_UNMAPPED
        self.report_cost_center = report_cost_center
        self.label = rule.label if rule is not None else None
        self.analytic_mode = rule.analytic if rule is not None else None
        self.fixed_analytic = rule.analytic_account if rule is not None else None
        # (account, sign, carries the analytic, partner)
        if self.kind == KIND_DEBIT:
            self.postings = ((rule.debit_account, 1, True, rule.partner),)
        elif self.kind == KIND_CREDIT:
            self.postings = ((rule.credit_account, -1, True, rule.partner),)
        elif self.kind == KIND_BOTH:
            self.postings = ((rule.debit_account, 1, True, None), (rule.credit_account, -1, False, rule.partner))
        else:
            self.postings = ()


class _RuleBook:
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
        self._plans = {}

    def plan(self, det, code, cost_center):
        cache_key = (det, code, cost_center)
        plan = self._plans.get(cache_key)
        if plan is None:
            plan = self._plans[cache_key] = self._resolve(code, _norm(det), _norm(code), _norm(cost_center))
        return plan

    def _resolve(self, raw_code, det, code, cost_center):
        rules = self._rules
        for key in ((det, code, cost_center), (det, code, None), (None, code, cost_center), (None, code, None)):
            rule = rules.get(key)
            if rule is not None:
                return _Plan(raw_code, rule, rule.cost_center if rule.kind == KIND_UNMAPPED else None)
        specific = (det, code) in self._has_cost_center_rules or (None, code) in self._has_cost_center_rules
        return _Plan(raw_code, None, cost_center if specific else None)


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
    if detail_level not in (DETAIL_AGGREGATE, DETAIL_EMPLOYEE):
        raise ValueError("detail_level must be 'aggregate' or 'employee'")
    if not isinstance(precision, int) or isinstance(precision, bool) or precision < 0:
        raise ValueError("precision must be a non-negative number of decimal places")
    if net_pay_account is None:
        raise ValueError("a net pay account is required")
    check_date = parse_date(check_date)
    if check_date is None:
        raise ValueError("a check date is required")
    run_id = int(run_id)
    per_employee = detail_level == DETAIL_EMPLOYEE
    book = _RuleBook(rules)
    analytics = {_norm(code): analytic for code, analytic in (cost_center_analytics or {}).items()}

    warnings = []
    balances = {}        # (account, analytic, partner, employee or None) -> signed unrounded balance
    sources = {}         # same key -> the plan summed in, or a list of them (for the line's label and codes)
    net_keys = {}        # employee or None -> key of its net-pay line
    unmapped = {}        # (det, code, cost center) -> [amount, employees]
    zero_unmapped = set()
    unknown_dets = set()
    missing_analytics = set()
    no_cost_center = 0
    seen = set()
    employees = 0
    gross = deductions = employee_taxes = employer = _ZERO
    paylocity_gross = paylocity_net = journal_net = _ZERO
    employee_differences = []

    for pay in pays:
        employee_id = str(pay.employee_id)
        if employee_id in seen:
            raise ValueError("employee %s is given twice" % employee_id)
        seen.add(employee_id)

        summaries = _run_summaries(pay.summaries, run_id, check_date, employee_id, warnings)
        if not summaries:
            continue
        employees += 1
        transactions = {s.transaction_number for s in summaries if s.transaction_number is not None}

        # Hot loop: sum the run's detail amounts per (det, code); plain dict + Decimal, no model building.
        sums = {}
        for detail in pay.details:
            if detail.transaction_number in transactions:
                amount = detail.amount
                if amount is None:
                    continue
                detail_date = detail.check_date
                if detail_date is not None and detail_date != check_date:
                    continue
                key = (detail.det, detail.det_code)
                previous = sums.get(key)
                sums[key] = amount if previous is None else previous + amount

        cost_center = pay.cost_center
        employee_analytic = None
        analytic_looked_up = False
        e_gross = e_deductions = e_taxes = e_employer = e_journal = _ZERO
        owner = employee_id if per_employee else None
        for (det, code), amount in sums.items():
            plan = book.plan(det, code, cost_center)
            kind = plan.kind
            if kind == KIND_IGNORE:
                continue
            if kind == KIND_BOTH:
                e_employer += amount
            elif det == EARNING:
                e_gross += amount
            elif det == DEDUCTION:
                e_deductions += amount
            elif det == TAX:
                e_taxes += amount
            else:
                unknown_dets.add(det)
            if kind == KIND_UNMAPPED:
                if amount:
                    entry = unmapped.setdefault((det, code, plan.report_cost_center), [_ZERO, set()])
                    entry[0] += amount
                    entry[1].add(employee_id)
                else:
                    zero_unmapped.add((det, code))
                continue
            if kind == KIND_DEBIT:
                e_journal += amount
            elif kind == KIND_CREDIT:
                e_journal -= amount
            for account, sign, carries_analytic, partner in plan.postings:
                analytic = None
                if carries_analytic:
                    if plan.analytic_mode == ANALYTIC_FIXED:
                        analytic = plan.fixed_analytic
                    elif plan.analytic_mode == ANALYTIC_EMPLOYEE:
                        if not analytic_looked_up:
                            analytic_looked_up = True
                            employee_analytic = analytics.get(_norm(cost_center))
                            if cost_center is None or not str(cost_center).strip():
                                no_cost_center += 1
                            elif employee_analytic is None:
                                missing_analytics.add(str(cost_center).strip())
                        analytic = employee_analytic
                key = (account, analytic, partner, owner)
                # Two dicts instead of a container per key: far fewer allocations at the employee level.
                balances[key] = balances.get(key, _ZERO) + (amount if sign > 0 else -amount)
                source = sources.get(key)
                if source is None:
                    sources[key] = plan
                elif source is not plan:
                    if type(source) is list:
                        source.append(plan)
                    else:
                        sources[key] = [source, plan]

        net_key = net_keys.get(owner)
        if net_key is None:
            net_key = net_keys[owner] = (net_pay_account, None, None, owner)
            balances[net_key] = balances.get(net_key, _ZERO)
            source = sources.get(net_key)
            sources[net_key] = _NetPaySource if source is None else [_NetPaySource] + _as_list(source)
        balances[net_key] -= e_journal

        s_gross = sum((s.gross_pay for s in summaries if s.gross_pay is not None), _ZERO)
        s_net = sum((s.net_pay for s in summaries if s.net_pay is not None), _ZERO)
        e_net = e_gross - e_deductions - e_taxes
        employee_differences.extend(_differences(s_gross, s_net, e_gross, e_net, e_journal, employee_id))
        gross += e_gross
        deductions += e_deductions
        employee_taxes += e_taxes
        employer += e_employer
        journal_net += e_journal
        paylocity_gross += s_gross
        paylocity_net += s_net

    net = gross - deductions - employee_taxes
    unmapped_list = sorted(
        (UnmappedCode(det, code, cost_center, amount, len(people))
         for (det, code, cost_center), (amount, people) in unmapped.items()),
        key=lambda u: (u.det or "", u.code or "", u.cost_center or ""),
    )
    differences = _differences(paylocity_gross, paylocity_net, gross, net, journal_net, None)
    if unmapped_list:
        # Without every rule the entry's net pay means nothing: compare Paylocity with the details only.
        differences = [d for d in differences if d.kind != "net_pay_line"]
        employee_differences = [d for d in employee_differences if d.kind != "net_pay_line"]
    employees_differing = sorted({d.employee_id for d in employee_differences})
    if len(employees_differing) > max_employee_differences:
        shown = set(employees_differing[:max_employee_differences])
        warnings.append("%d more employees differ from Paylocity's totals (not listed)"
                        % (len(employees_differing) - max_employee_differences))
        employee_differences = [d for d in employee_differences if d.employee_id in shown]
    employee_differences.sort(key=lambda d: (d.employee_id, d.kind))
    differences = differences + employee_differences

    if not employees:
        warnings.append("no pay statement belongs to check date %s, run %d" % (check_date.isoformat(), run_id))
    for det in sorted(unknown_dets, key=lambda d: d or ""):
        warnings.append("detail lines with unknown det %r are posted by their rule but not counted in gross or net"
                        % det)
    netted_to_zero = zero_unmapped - {(u.det, u.code) for u in unmapped_list}
    for det, code in sorted(netted_to_zero, key=lambda k: (k[0] or "", k[1] or "")):
        warnings.append("code %s (%s) has no rule; its amounts in this run net to zero" % (code, det))
    for cost_center in sorted(missing_analytics):
        warnings.append("cost center %s has no analytic account: its lines carry none" % cost_center)
    if no_cost_center:
        warnings.append("%d employee(s) without a cost center: their lines carry no analytic account" % no_cost_center)

    lines = [] if unmapped_list else _round_lines(balances, sources, net_keys, precision, warnings)
    total_debit = sum((line.debit for line in lines), _ZERO)
    total_credit = sum((line.credit for line in lines), _ZERO)
    return JournalResult(
        lines=lines,
        unmapped=unmapped_list,
        differences=differences,
        totals=Totals(gross=gross, deductions=deductions, employee_taxes=employee_taxes, employer=employer, net=net),
        paylocity_totals=PaylocityTotals(gross=paylocity_gross, net=paylocity_net),
        employees=employees,
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


def _as_list(source):
    return source if type(source) is list else [source]


def _round_lines(balances, sources, net_keys, precision, warnings):
    quantum = Decimal(1).scaleb(-precision)
    zero = _ZERO.quantize(quantum)
    rounded = {}
    group_totals = {}
    for key, balance in balances.items():
        amount = rounded[key] = balance.quantize(quantum, rounding=ROUND_HALF_UP)
        owner = key[3]
        group_totals[owner] = group_totals.get(owner, zero) + amount

    # Each group (the run, or each employee) balances unrounded; give its rounding residue to its net-pay line.
    residues = {owner: total for owner, total in group_totals.items() if total}
    for owner, total in residues.items():
        rounded[net_keys[owner]] -= total
    if len(residues) == 1 and None in residues:
        warnings.append("rounding residue of %s put on the net pay line" % residues[None])
    elif residues:
        warnings.append("rounding residues (%s in absolute value) put on the net pay lines of %d employee(s)"
                        % (sum(abs(total) for total in residues.values()), len(residues)))

    net_lines = set(net_keys.values())
    kept = [key for key, amount in rounded.items() if amount]
    # Few distinct accounts/analytics/partners: compute their sort tokens once.
    tokens = {value: _sort_token(value) for key in kept for value in key[:3]}
    kept.sort(key=lambda key: (key[3] or "", key in net_lines, rounded[key] < 0,
                               tokens[key[0]], tokens[key[1]], tokens[key[2]]))
    lines = []
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


def _sort_token(value):
    if value is None:
        return (0, 0, "")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (1, value, "")
    return (2, 0, str(value))
