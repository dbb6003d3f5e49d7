"""Cash lines: a run's credit side split the way the money leaves the bank, in ``Decimal``, no I/O.

After a Paylocity payroll the company's bank shows (sandbox/README.md "Bank debits"): one debit for the direct
deposits, one tax impound (employee and employer taxes), sometimes one for garnishments, and each paper check
clearing on its own later. The journal builder (``journal.build_journal``) credits all net pay to one account;
``build_entry`` builds the same entry with its credit side split into lines those bank lines can be matched to:

============== ================================================ ======================================== ===========
cash kind      amount                                           account                                  lines
============== ================================================ ======================================== ===========
direct_deposit Σ summary ``directDepositAmount``                ``CashAccounts.direct_deposit``          one per run
                                                                                                         (per
                                                                                                         employee at
                                                                                                         "employee"
                                                                                                         level)
check          the summary's ``netCheck``                       ``CashAccounts.check``                   one per
                                                                                                         check number
tax_impound    every tax line's liability side (employee        ``CashAccounts.tax_impound``; when None, one per run
               withholding and employer taxes)                  taxes stay on their mapped accounts      (employee)
garnishment    the liability side of ``garnishment_codes``      ``CashAccounts.garnishment``; when None, one per run
               (deductions, default GARN)                       as mapped                                (employee)
net_pay        what the summaries do not split (net of the      the builder's net pay account            only when
               details − DD − checks), with a warning                                                    not zero
============== ================================================ ======================================== ===========

Every other deduction stays on its liability as mapped. How: the tax and garnishment rules are given to the
builder with their credit account replaced by the clearing account (the builder still resolves every mapping);
the lines it makes on a clearing account are then merged (one per run or employee, no analytic: a clearing
account is settled by the bank, not analysed), and the net-pay line is replaced by the direct-deposit line, the
check lines and any remainder. Each step keeps Σ debit − Σ credit, so the entry balances by construction at both
detail levels.

Cash lines carry the check date (``date``), a label a person finds on the bank statement (``bank_label``:
``PAYLOCITY DD 2026-11-20``, ``PAYLOCITY TAX 2026-11-20``, ``PAYLOCITY GARN 2026-11-20``, ``CHECK 10005``), the
words a bank line must contain to be matched (``bank_words``, see ``bank_matching``) and a ``match_key``: lines with
the same key are settled by one bank line together (the run's DD lines of every employee; a check and its void).
A void of a paper check carries the voided check's number, so the check's line and the void's line share a key.

Inputs: ``pays`` are ``journal.EmployeePay`` whose summaries may carry ``direct_deposit_amount``, ``net_check``
and ``check_number`` (``PayStatementSummary`` does; so does ``payroll.StoredSummary``); a summary with neither
amount leaves its net pay on the net-pay account (remainder). The net-pay account should be used by no rule: every
line on it is taken as net pay.
"""
import dataclasses
from decimal import Decimal
from typing import Any, FrozenSet, List, Optional, Tuple

from .journal import DEDUCTION, DETAIL_AGGREGATE, DETAIL_EMPLOYEE, TAX, BalancedLines, JournalLine, build_journal
from .models import parse_date

DIRECT_DEPOSIT, CHECK, TAX_IMPOUND, GARNISHMENT, NET_PAY = (
    "direct_deposit", "check", "tax_impound", "garnishment", "net_pay")
CASH_KINDS = (DIRECT_DEPOSIT, CHECK, TAX_IMPOUND, GARNISHMENT)

_ZERO = Decimal(0)


@dataclasses.dataclass(frozen=True)
class CashAccounts:
    """Where the money leaving the bank is credited (account ids are opaque, as in ``GlRule``).

    ``tax_impound`` / ``garnishment`` None: those liabilities stay as mapped (no clearing line, no bank match).
    ``partner``: put on every cash line (e.g. Paylocity as a vendor), else the line has none.
    ``label_prefix``: first word of the bank labels; ``bank_words``: words a DD, tax or garnishment bank line must
    contain (default: the prefix); check lines ask for their check number instead.
    """

    direct_deposit: Any
    check: Any
    tax_impound: Any = None
    garnishment: Any = None
    garnishment_codes: FrozenSet[str] = frozenset({"GARN"})
    partner: Any = None
    label_prefix: str = "PAYLOCITY"
    bank_words: Optional[Tuple[str, ...]] = None

    def __post_init__(self):
        if self.direct_deposit is None or self.check is None:
            raise ValueError("cash lines need a direct deposit account and a check account")
        object.__setattr__(self, "garnishment_codes", frozenset(_norm(c) for c in self.garnishment_codes if _norm(c)))

    @property
    def words(self):
        return tuple(self.bank_words) if self.bank_words is not None else (self.label_prefix,)


@dataclasses.dataclass(frozen=True)
class EntryResult(BalancedLines):
    """``lines`` of the entry (empty when the journal could not be built); ``journal`` is the builder's result
    (totals, unmapped, differences: ``journal.can_post`` still decides whether to post)."""

    lines: List[JournalLine]
    journal: Any
    warnings: List[str]

    @property
    def cash_lines(self):
        return [line for line in self.lines if line.cash_kind in CASH_KINDS]

    @property
    def can_post(self):
        return bool(self.lines) and self.is_balanced and self.journal.can_post


def _norm(value):
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None


def _money(value):
    return _ZERO if value is None else Decimal(value)


# --- rules: route tax and garnishment liabilities to their clearing accounts ----------------------------------

def clearing_rules(rules, pays, accounts):
    """The GL rules with the credit account of every tax rule (and garnishment rule) replaced by the clearing
    account, for the (det, code) pairs the pays' details carry. A code-only rule whose code is also used with
    another det gets a det-specific copy instead, made only where it resolves exactly the lines the code-only rule
    resolved (so every line keeps its rule, debit account and analytic; only the credit account moves).
    ``accounts`` None or without clearing accounts: the rules unchanged."""
    routes = []
    if accounts is not None and accounts.tax_impound is not None:
        routes.append((TAX, None, accounts.tax_impound))
    if accounts is not None and accounts.garnishment is not None and accounts.garnishment_codes:
        routes.append((DEDUCTION, accounts.garnishment_codes, accounts.garnishment))
    if not routes:
        return list(rules)
    dets_of = {}
    for pay in pays:
        for detail in pay.details:
            code = _norm(detail.det_code)
            if code is not None:
                dets_of.setdefault(code, set()).add(_norm(detail.det))
    keys = {(_norm(r.det), _norm(r.code), _norm(r.cost_center)) for r in rules}
    out = []
    for rule in rules:
        code, det = _norm(rule.code), _norm(rule.det)
        route = next(((d, account) for d, codes, account in routes
                      if (codes is None or code in codes) and (det == d or (det is None and d in dets_of.get(code, ())))),
                     None)
        if route is None or rule.ignore or rule.credit_account is None:
            out.append(rule)
            continue
        route_det, account = route
        if det is not None or dets_of.get(code, set()) <= {route_det}:
            out.append(dataclasses.replace(rule, credit_account=account))
            continue
        out.append(rule)      # the code is also used with another det: keep the rule for it
        # ... and give the routed det a copy, unless that would change which rule its lines resolve to: an own rule
        # exists, or (for a cost-center copy) a det rule for every cost center already wins over this one.
        cost_center = _norm(rule.cost_center)
        if (route_det, code, cost_center) not in keys and not (
                cost_center is not None and (route_det, code, None) in keys):
            out.append(dataclasses.replace(rule, det=route_det, credit_account=account))
    return out


# --- the entry -------------------------------------------------------------------------------------------------

def build_entry(pays, rules, *, run_id, check_date, net_pay_account, accounts=None, detail_level=DETAIL_AGGREGATE,
                precision=2, cost_center_analytics=None, max_employee_differences=20):
    """Build run (``check_date``, ``run_id``)'s entry: ``journal.build_journal`` (same arguments) with its credit
    side split into cash lines by ``accounts`` (a ``CashAccounts``; None: the builder's lines as they are).
    Returns an ``EntryResult``. Raises ``ValueError`` as the builder does."""
    pays = list(pays)
    check_date = parse_date(check_date)
    run_id = int(run_id)
    journal = build_journal(pays, clearing_rules(rules, pays, accounts), run_id=run_id, check_date=check_date,
                            net_pay_account=net_pay_account, detail_level=detail_level, precision=precision,
                            cost_center_analytics=cost_center_analytics,
                            max_employee_differences=max_employee_differences)
    if accounts is None or not journal.lines:
        return EntryResult(list(journal.lines), journal, [])
    lines, warnings = split_cash(journal.lines, pays, run_id=run_id, check_date=check_date,
                                 net_pay_account=net_pay_account, accounts=accounts, detail_level=detail_level,
                                 precision=precision)
    return EntryResult(lines, journal, warnings)


def split_cash(lines, pays, *, run_id, check_date, net_pay_account, accounts, detail_level=DETAIL_AGGREGATE,
               precision=2):
    """(entry lines, warnings): the builder's ``lines`` with clearing-account lines merged and the net-pay lines
    replaced by direct-deposit, check and remainder lines (see the module docstring). Σ balance is unchanged."""
    if detail_level not in (DETAIL_AGGREGATE, DETAIL_EMPLOYEE):
        raise ValueError("detail_level must be 'aggregate' or 'employee'")
    check_date = parse_date(check_date)
    run_id = int(run_id)
    per_employee = detail_level == DETAIL_EMPLOYEE
    quantum = Decimal(1).scaleb(-precision)
    day = check_date.isoformat()
    prefix = accounts.label_prefix
    clearing = {}
    if accounts.tax_impound is not None:
        clearing[accounts.tax_impound] = (TAX_IMPOUND, "Tax impound", "%s TAX %s" % (prefix, day))
    if accounts.garnishment is not None and accounts.garnishment not in clearing:
        clearing[accounts.garnishment] = (GARNISHMENT, "Garnishments", "%s GARN %s" % (prefix, day))

    out = []
    net = {}          # owner -> net pay the builder credited (credit − debit)
    merged = {}       # (account, owner) -> [balance, codes]
    for line in lines:
        owner = line.employee_id if per_employee else None
        if line.account == net_pay_account:
            net[owner] = net.get(owner, _ZERO) + line.credit - line.debit
        elif line.account in clearing:
            entry = merged.setdefault((line.account, owner), [_ZERO, set()])
            entry[0] += line.debit - line.credit
            entry[1].update(line.codes)
        else:
            out.append(line)
    for (account, owner), (balance, codes) in merged.items():
        kind, label, bank_label = clearing[account]
        out.append(_cash_line(account, balance, accounts.partner, label, owner, tuple(sorted(codes)), kind,
                              check_date, bank_label, accounts.words, (kind, day, run_id)))

    warnings = []
    split = _summary_split(pays, run_id, check_date, per_employee)
    for owner in sorted(set(net) | set(split), key=lambda o: (o is not None, len(o or ""), o or "")):
        deposit, checks = split.get(owner, (_ZERO, {}))
        remainder = net.get(owner, _ZERO) - deposit - sum((amount for amount, _n, _e in checks.values()), _ZERO)
        if deposit:
            out.append(_cash_line(accounts.direct_deposit, -deposit, accounts.partner, "Direct deposit", owner, (),
                                  DIRECT_DEPOSIT, check_date, "%s DD %s" % (prefix, day), accounts.words,
                                  (DIRECT_DEPOSIT, day, run_id)))
        for key in sorted(checks, key=lambda k: (k[0] is None, k[0] or 0, k[1])):
            amount, transactions, employee_id = checks[key]
            number = key[0]
            if not amount:
                continue      # a check and its void
            bank_label = "CHECK %d" % number if number else "CHECK (employee %s)" % employee_id
            words = (str(number),) if number else ()
            out.append(_cash_line(accounts.check, -amount, accounts.partner, "Check %s" % (number or "?"),
                                  employee_id, (), CHECK, check_date, bank_label, words,
                                  (CHECK, number or "employee %s" % employee_id, day, run_id), number,
                                  tuple(sorted(transactions))))
        if remainder:
            if remainder.quantize(quantum) != remainder:
                warnings.append("net pay split: a remainder of %s is not in whole %s" % (remainder, quantum))
            warnings.append("%s: net pay of %s is not split by the summaries' directDepositAmount and netCheck; "
                            "it stays on the net pay account" % ("the run" if owner is None else
                                                                 "employee %s" % owner, remainder))
            out.append(_cash_line(net_pay_account, -remainder, None, "Net pay not split", owner, (), NET_PAY,
                                  check_date, None, (), None))
    return out, warnings


def _cash_line(account, balance, partner, label, employee_id, codes, kind, day, bank_label, words, match_key,
               check_number=None, transactions=()):
    return JournalLine(account, balance if balance > 0 else _ZERO, -balance if balance < 0 else _ZERO, None, partner,
                     label, employee_id, codes, kind, day, bank_label, tuple(words), match_key, check_number,
                     tuple(transactions))


def _summary_split(pays, run_id, check_date, per_employee):
    """owner -> (Σ direct deposit, {(check number, employee or ""): (amount, transaction numbers, employee)}) over
    the run's summaries, one per transaction number."""
    deposits = {}
    checks = {}
    for pay in pays:
        employee_id = str(pay.employee_id)
        owner = employee_id if per_employee else None
        seen = set()
        for summary in pay.summaries:
            if summary.process != run_id or (summary.check_date is not None and summary.check_date != check_date):
                continue
            number = summary.transaction_number
            if number is not None:
                if number in seen:
                    continue
                seen.add(number)
            deposits[owner] = deposits.get(owner, _ZERO) + _money(getattr(summary, "direct_deposit_amount", None))
            paper = _money(getattr(summary, "net_check", None))
            if paper:
                check_number = getattr(summary, "check_number", None) or None
                key = (check_number, "" if check_number else employee_id)
                entry = checks.setdefault(owner, {}).setdefault(key, [_ZERO, set(), employee_id])
                entry[0] += paper
                if number is not None:
                    entry[1].add(number)
    return {owner: (deposits.get(owner, _ZERO), {k: tuple(v) for k, v in checks.get(owner, {}).items()})
            for owner in set(deposits) | set(checks)}


def entry_builder(rules, *, run_id, check_date, net_pay_account, accounts=None, detail_level=DETAIL_AGGREGATE,
                  precision=2, cost_center_analytics=None):
    """``build(pays) -> EntryResult`` with every other argument of ``build_entry`` fixed: what
    ``verification.correction`` calls to build both sides of a correction the way the run's entry is built."""
    rules = list(rules)

    def build(pays):
        return build_entry(pays, rules, run_id=run_id, check_date=check_date, net_pay_account=net_pay_account,
                           accounts=accounts, detail_level=detail_level, precision=precision,
                           cost_center_analytics=cost_center_analytics)

    return build
